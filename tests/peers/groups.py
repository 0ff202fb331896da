#!/usr/bin/env python3
"""Consumer-group peers for ktui's group tests: real members and real commits made by
independent clients, for ktui (and Kafka's own ConsumerGroupCommand) to look at.

    groups.py --bootstrap ADDR commit GROUP TOPIC JSON
        commits {"partition": offset} for GROUP without joining it (kafka-python), so the
        group only has committed offsets.
    groups.py --bootstrap ADDR read GROUP TOPIC COUNT
        a classic kafka-python member reads COUNT records from the beginning, commits and
        leaves (the group is Empty afterwards).
    groups.py --bootstrap ADDR member GROUP TOPIC --protocol classic|consumer [--seconds S]
        a confluent-kafka member (group.protocol=consumer is KIP-848) that reads and
        commits; prints "assigned" once it owns partitions, then stays until S seconds pass
        or SIGTERM, and leaves the group (closes) either way.
    groups.py --bootstrap ADDR produce-timed TOPIC PARTITION JSON
        produces values with the given timestamps: JSON is a list of [value, timestamp_ms].

Every call gives up quickly on an unreachable broker and exits 1 with the reason on stderr.
"""

import argparse
import json
import signal
import sys
import time


def cmd_commit(args):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=args.group,
                             enable_auto_commit=False, request_timeout_ms=10000)
    offsets = {TopicPartition(args.topic, int(p)): OffsetAndMetadata(int(o), None, -1)
               for p, o in json.loads(args.json).items()}
    consumer.commit(offsets)
    consumer.close()
    print("ok")


def cmd_read(args):
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=args.group,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             request_timeout_ms=10000)
    got = 0
    # Generous: a classic group joins slowly on the mock cluster of a loaded 2-core CI machine.
    deadline = time.time() + 50  # inside the 60 s the Rust side gives the script
    while got < args.count and time.time() < deadline:
        batch = consumer.poll(500, max_records=args.count - got)
        got += sum(len(records) for records in batch.values())
    consumer.commit()
    consumer.close()
    if got < args.count:
        print(f"read only {got} of {args.count}", file=sys.stderr)
        sys.exit(1)
    print(got)


def cmd_member(args):
    from confluent_kafka import Consumer

    config = {"bootstrap.servers": args.bootstrap, "group.id": args.group,
              "auto.offset.reset": "earliest", "enable.auto.commit": True,
              "auto.commit.interval.ms": 200, "client.id": f"{args.protocol}-member"}
    if args.protocol == "consumer":
        config["group.protocol"] = "consumer"
    assigned = []

    def on_assign(consumer, partitions):
        assigned.extend(partitions)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    consumer = Consumer(config)
    consumer.subscribe([args.topic], on_assign=on_assign)
    said = False
    end = time.time() + args.seconds
    while time.time() < end and not stop:
        consumer.poll(0.2)
        if assigned and not said:
            print("assigned", flush=True)
            said = True
    consumer.close()


def cmd_produce_timed(args):
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=args.bootstrap)
    for value, ts in json.loads(args.json):
        producer.send(args.topic, value=value.encode(), partition=args.partition, timestamp_ms=ts)
    producer.flush()
    print("ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("commit")
    p.add_argument("group")
    p.add_argument("topic")
    p.add_argument("json")
    p = sub.add_parser("read")
    p.add_argument("group")
    p.add_argument("topic")
    p.add_argument("count", type=int)
    p = sub.add_parser("member")
    p.add_argument("group")
    p.add_argument("topic")
    p.add_argument("--protocol", choices=["classic", "consumer"], default="classic")
    p.add_argument("--seconds", type=float, default=120)
    p = sub.add_parser("produce-timed")
    p.add_argument("topic")
    p.add_argument("partition", type=int)
    p.add_argument("json")
    args = parser.parse_args()
    try:
        {"commit": cmd_commit, "read": cmd_read, "member": cmd_member,
         "produce-timed": cmd_produce_timed}[args.command](args)
    except Exception as e:  # the reason, not a traceback
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
