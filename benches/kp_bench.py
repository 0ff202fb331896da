#!/usr/bin/env python3
"""kafka-python as the benchmark's second peer (beside kcat) on Apache Kafka.

    kp_bench.py --bootstrap ADDR produce TOPIC < LINES     # one message per line, acks=all
    kp_bench.py --bootstrap ADDR consume TOPIC --count N   # from the beginning until N
    kp_bench.py --bootstrap ADDR list-topics                # the names (KafkaAdminClient)
    kp_bench.py --bootstrap ADDR watermarks                 # every partition's two ends

produce and consume print the number of messages and exit 1 if they fall short;
list-topics prints the number of topics, watermarks the number of partitions counted.
"""

import argparse
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition


def produce(args):
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", linger_ms=5)
    sent = 0
    for line in sys.stdin.buffer:
        producer.send(args.topic, value=line.rstrip(b"\n"))
        sent += 1
    producer.flush(timeout=60)
    producer.close()
    print(sent)


def consume(args):
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=10000,
    )
    seen = 0
    for _ in consumer:
        seen += 1
        if seen >= args.count:
            break
    consumer.close()
    print(seen)
    if seen < args.count:
        sys.exit(1)


def list_topics(args):
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
    print(len(admin.list_topics()))
    admin.close()


def watermarks(args):
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False)
    partitions = [
        TopicPartition(topic, p)
        for topic in consumer.topics()
        for p in consumer.partitions_for_topic(topic) or ()
    ]
    low = consumer.beginning_offsets(partitions)
    high = consumer.end_offsets(partitions)
    consumer.close()
    print(sum(1 for tp in partitions if tp in low and tp in high))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("produce")
    p.add_argument("topic")
    p.set_defaults(run=produce)
    p = sub.add_parser("consume")
    p.add_argument("topic")
    p.add_argument("--count", type=int, required=True)
    p.set_defaults(run=consume)
    sub.add_parser("list-topics").set_defaults(run=list_topics)
    sub.add_parser("watermarks").set_defaults(run=watermarks)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
