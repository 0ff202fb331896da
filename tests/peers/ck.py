#!/usr/bin/env python3
"""A confluent-kafka peer for ktui's integration tests (the modern librdkafka client, the
one kcat-class tools are built on; PyPI's wheel bundles its own librdkafka).

Same JSON shapes as kp.py, so the tests parse both the same way:

    ck.py --bootstrap ADDR produce-records TOPIC JSON
        JSON is a list of {"key": b64|null, "value": b64|null, "headers": [[name, b64|null]],
        "partition": int}: bytes are base64 here, so binary data goes through exactly.
        Prints a JSON list of [partition, offset].
    ck.py --bootstrap ADDR consume TOPIC --count N [--timeout-ms T]
        every record from the beginning, as a JSON list of {"partition", "offset", "key",
        "value", "headers": [[name, value]]}; bytes are base64, null stays null. Exits 1 if
        fewer than N arrive within T ms.
    ck.py --bootstrap ADDR committed GROUP TOPIC
        the group's committed offsets, as a JSON object {"partition": offset} (partitions
        without one are left out).
    ck.py --version      # confluent-kafka's and its librdkafka's versions

Every call gives up quickly on an unreachable broker and exits 1 with the reason on stderr.
"""

import argparse
import base64
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 10


def b64_or_none(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def bytes_or_none(text):
    return None if text is None else base64.b64decode(text)


def cmd_produce_records(args):
    records = json.loads(args.records)
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "message.timeout.ms": TIMEOUT_S * 1000,
        "linger.ms": 0,
    })
    written = [None] * len(records)
    errors = []

    def report(index):
        def on_delivery(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                written[index] = [msg.partition(), msg.offset()]
        return on_delivery

    for index, record in enumerate(records):
        kwargs = {
            "value": bytes_or_none(record.get("value")),
            "key": bytes_or_none(record.get("key")),
            "on_delivery": report(index),
        }
        headers = [(name, bytes_or_none(value)) for name, value in record.get("headers", [])]
        if headers:
            kwargs["headers"] = headers
        if record.get("partition") is not None:
            kwargs["partition"] = record["partition"]
        producer.produce(args.topic, **kwargs)
        # One record at a time, in order.
        producer.flush(TIMEOUT_S)
    if producer.flush(TIMEOUT_S) != 0 or errors or None in written:
        raise SystemExit(f"ck.py produce-records: not all delivered: {errors}")
    print(json.dumps(written))


def cmd_consume(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "ck-peer",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })
    metadata = consumer.list_topics(args.topic, timeout=TIMEOUT_S)
    topic = metadata.topics.get(args.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        raise SystemExit(f"ck.py consume: no topic {args.topic}")
    consumer.assign([TopicPartition(args.topic, p, confluent_kafka.OFFSET_BEGINNING)
                     for p in sorted(topic.partitions)])
    records = []
    deadline = time.monotonic() + args.timeout_ms / 1000
    while len(records) < args.count:
        if time.monotonic() >= deadline:
            print(json.dumps(records))
            raise SystemExit(
                f"ck.py consume: {len(records)} records from {args.topic} within "
                f"{args.timeout_ms} ms, wanted {args.count}")
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            raise SystemExit(f"ck.py consume: {msg.error()}")
        records.append({
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": b64_or_none(msg.key()),
            "value": b64_or_none(msg.value()),
            "headers": [[name, b64_or_none(value)] for name, value in (msg.headers() or [])],
        })
    consumer.close()
    records.sort(key=lambda r: (r["partition"], r["offset"]))
    print(json.dumps(records))


def cmd_committed(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "enable.auto.commit": False,
    })
    metadata = consumer.list_topics(args.topic, timeout=TIMEOUT_S)
    topic = metadata.topics.get(args.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        raise SystemExit(f"ck.py committed: no topic {args.topic}")
    wanted = [TopicPartition(args.topic, p) for p in sorted(topic.partitions)]
    committed = consumer.committed(wanted, timeout=TIMEOUT_S)
    consumer.close()
    print(json.dumps({str(tp.partition): tp.offset for tp in committed if tp.offset >= 0}))


def main():
    if sys.argv[1:] == ["--version"]:
        print(f"confluent-kafka {confluent_kafka.__version__}, "
              f"librdkafka {confluent_kafka.libversion()[0]}")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("produce-records")
    p.add_argument("topic")
    p.add_argument("records")
    p.set_defaults(run=cmd_produce_records)
    p = sub.add_parser("consume")
    p.add_argument("topic")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout-ms", type=int, default=15000)
    p.set_defaults(run=cmd_consume)
    p = sub.add_parser("committed")
    p.add_argument("group")
    p.add_argument("topic")
    p.set_defaults(run=cmd_committed)
    args = parser.parse_args()
    try:
        args.run(args)
    except KafkaException as e:
        raise SystemExit(f"ck.py {args.command}: {e}")


if __name__ == "__main__":
    main()
