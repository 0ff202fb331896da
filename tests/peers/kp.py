#!/usr/bin/env python3
"""A small kafka-python peer for ktui's integration tests.

It is the independent client: the tests make ktui do something, then ask this peer what
the broker really holds (or set the broker up through it before ktui looks).

    kp.py --bootstrap ADDR create-topic NAME [--partitions N] [--replication R]
    kp.py --bootstrap ADDR delete-topic NAME
    kp.py --bootstrap ADDR list-topics              # JSON list of names, sorted
    kp.py --bootstrap ADDR describe-topics NAME...  # JSON {name: partition count}
    kp.py --bootstrap ADDR produce TOPIC VALUE... [--partition P]
                                                    # JSON list of [partition, offset]
    kp.py --bootstrap ADDR produce-records TOPIC JSON
                                                    # JSON is a list of {"key": str|null,
                                                    # "value": str|null, "headers": [[name,
                                                    # value]], "partition": int}; prints
                                                    # JSON list of [partition, offset]
    kp.py --bootstrap ADDR end-offsets TOPIC        # JSON {partition: end offset}
    kp.py --bootstrap ADDR consume TOPIC [--count N] [--timeout-ms T]
                                                    # every record from the beginning, as a
                                                    # JSON list of {"partition", "offset",
                                                    # "key", "value", "headers": [[name,
                                                    # value]]}; bytes are base64, null stays
                                                    # null. Reads until N records (or, without
                                                    # --count, until the end offsets); exits 1
                                                    # if fewer than N arrive within T ms
    kp.py --bootstrap ADDR default-partitions TOPIC KEY...
                                                    # JSON {key: partition}: where
                                                    # kafka-python's own producer (its default
                                                    # partitioner) would send each UTF-8 key

Every call gives up quickly on an unreachable broker and exits 1 with the reason on stderr.
"""

import argparse
import base64
import json
import sys
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

TIMEOUT_MS = 5000


def fast_fail(cls):
    """Options that make a kafka-python client give up quickly, for whichever version is
    installed (2.x names the bootstrap wait api_version_auto_timeout_ms, 3.x
    bootstrap_timeout_ms)."""
    known = getattr(cls, "DEFAULT_CONFIG", {})
    options = {"request_timeout_ms": TIMEOUT_MS, "reconnect_backoff_max_ms": 500}
    for name in ("bootstrap_timeout_ms", "api_version_auto_timeout_ms"):
        if name in known:
            options[name] = TIMEOUT_MS
    if "max_block_ms" in known:
        options["max_block_ms"] = TIMEOUT_MS
    return {k: v for k, v in options.items() if k in known}


def admin(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, **fast_fail(KafkaAdminClient))


def cmd_create_topic(args):
    client = admin(args.bootstrap)
    client.create_topics(
        [NewTopic(args.name, args.partitions, args.replication)], timeout_ms=TIMEOUT_MS
    )
    client.close()
    print(json.dumps({"created": args.name}))


def cmd_delete_topic(args):
    client = admin(args.bootstrap)
    client.delete_topics([args.name], timeout_ms=TIMEOUT_MS)
    client.close()
    print(json.dumps({"deleted": args.name}))


def cmd_list_topics(args):
    client = admin(args.bootstrap)
    names = sorted(client.list_topics())
    client.close()
    print(json.dumps(names))


def cmd_describe_topics(args):
    client = admin(args.bootstrap)
    described = client.describe_topics(args.names)
    client.close()
    out = {}
    for topic in described:
        if topic.get("error_code", 0) != 0:
            raise SystemExit(f"kp.py: describe {topic.get('name')}: error code {topic['error_code']}")
        out[topic["name"]] = len(topic["partitions"])
    print(json.dumps(out))


def cmd_produce(args):
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap, acks=1, linger_ms=0, **fast_fail(KafkaProducer)
    )
    written = []
    # One record per request (wait for each), so every record is a batch of its own.
    for value in args.values:
        meta = producer.send(
            args.topic, value.encode("utf-8"), partition=args.partition
        ).get(timeout=TIMEOUT_MS / 1000)
        written.append([meta.partition, meta.offset])
    producer.close(timeout=5)
    print(json.dumps(written))


def utf8_or_none(text):
    return None if text is None else text.encode("utf-8")


def cmd_produce_records(args):
    records = json.loads(args.records)
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap, acks=1, linger_ms=0, **fast_fail(KafkaProducer)
    )
    written = []
    # One record per request (wait for each), so every record is a batch of its own.
    for record in records:
        headers = [(name, value.encode("utf-8")) for name, value in record.get("headers", [])]
        meta = producer.send(
            args.topic,
            value=utf8_or_none(record.get("value")),
            key=utf8_or_none(record.get("key")),
            headers=headers or None,
            partition=record.get("partition"),
        ).get(timeout=TIMEOUT_MS / 1000)
        written.append([meta.partition, meta.offset])
    producer.close(timeout=5)
    print(json.dumps(written))


def cmd_end_offsets(args):
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, **fast_fail(KafkaConsumer))
    partitions = consumer.partitions_for_topic(args.topic) or set()
    tps = [TopicPartition(args.topic, p) for p in sorted(partitions)]
    ends = consumer.end_offsets(tps)
    consumer.close()
    print(json.dumps({str(tp.partition): off for tp, off in sorted(ends.items())}))


def b64_or_none(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def cmd_consume(args):
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        enable_auto_commit=False,
        group_id=None,
        **fast_fail(KafkaConsumer),
    )
    partitions = consumer.partitions_for_topic(args.topic)
    if not partitions:
        raise SystemExit(f"kp.py consume: no topic {args.topic}")
    tps = [TopicPartition(args.topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps) if args.count is None else None
    records = []
    deadline = time.monotonic() + args.timeout_ms / 1000

    def done():
        if args.count is not None:
            return len(records) >= args.count
        return all(consumer.position(tp) >= ends[tp] for tp in tps)

    while not done():
        if time.monotonic() >= deadline:
            print(json.dumps(records))
            raise SystemExit(
                f"kp.py consume: {len(records)} records from {args.topic} within "
                f"{args.timeout_ms} ms, wanted {args.count if args.count is not None else ends}"
            )
        for batch in consumer.poll(timeout_ms=200).values():
            for r in batch:
                records.append({
                    "partition": r.partition,
                    "offset": r.offset,
                    "key": b64_or_none(r.key),
                    "value": b64_or_none(r.value),
                    "headers": [[name, b64_or_none(value)] for name, value in (r.headers or [])],
                })
    consumer.close()
    records.sort(key=lambda r: (r["partition"], r["offset"]))
    print(json.dumps(records))


def cmd_default_partitions(args):
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, **fast_fail(KafkaProducer))
    # Waits for the topic's metadata, as send() does.
    if not producer.partitions_for(args.topic):
        raise SystemExit(f"kp.py default-partitions: no partitions for {args.topic}")
    out = {}
    for key in args.keys:
        serialized = key.encode("utf-8")
        # The very call send() makes to pick a partition: the configured (default)
        # partitioner on the producer's cluster metadata.
        out[key] = producer._partition(args.topic, None, serialized, None, serialized, None)
    producer.close(timeout=5)
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(prog="kp.py")
    parser.add_argument("--bootstrap", required=True)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("create-topic")
    p.add_argument("name")
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--replication", type=int, default=1)
    p.set_defaults(run=cmd_create_topic)

    p = sub.add_parser("delete-topic")
    p.add_argument("name")
    p.set_defaults(run=cmd_delete_topic)

    p = sub.add_parser("list-topics")
    p.set_defaults(run=cmd_list_topics)

    p = sub.add_parser("describe-topics")
    p.add_argument("names", nargs="+")
    p.set_defaults(run=cmd_describe_topics)

    p = sub.add_parser("produce")
    p.add_argument("topic")
    p.add_argument("values", nargs="+")
    p.add_argument("--partition", type=int, default=None)
    p.set_defaults(run=cmd_produce)

    p = sub.add_parser("produce-records")
    p.add_argument("topic")
    p.add_argument("records")
    p.set_defaults(run=cmd_produce_records)

    p = sub.add_parser("end-offsets")
    p.add_argument("topic")
    p.set_defaults(run=cmd_end_offsets)

    p = sub.add_parser("consume")
    p.add_argument("topic")
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--timeout-ms", type=int, default=15000)
    p.set_defaults(run=cmd_consume)

    p = sub.add_parser("default-partitions")
    p.add_argument("topic")
    p.add_argument("keys", nargs="+")
    p.set_defaults(run=cmd_default_partitions)

    args = parser.parse_args()
    try:
        args.run(args)
    except kafka.errors.KafkaError as error:
        print(f"kp.py {args.command}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
