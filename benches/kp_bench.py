#!/usr/bin/env python3
"""kafka-python as the benchmark's second peer (beside kcat) on Apache Kafka.

    kp_bench.py --bootstrap ADDR produce TOPIC < LINES     # one message per line, acks=all
    kp_bench.py --bootstrap ADDR consume TOPIC --count N   # from the beginning until N

Both print the number of messages on stdout and exit 1 if they fall short.
"""

import argparse
import sys

from kafka import KafkaConsumer, KafkaProducer


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
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
