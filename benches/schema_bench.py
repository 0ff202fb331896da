#!/usr/bin/env python3
"""confluent-kafka as the peer of the benchmark's schema decode rows: Confluent-framed Avro
"orders" written with its AvroSerializer and read back with its AvroDeserializer, both
through a schema registry (the bench's fake one speaks the Confluent REST API).

    schema_bench.py --bootstrap ADDR --registry URL produce TOPIC --count N
        registers the order schema (auto.register.schemas, subject "TOPIC-value") and
        produces orders 0..N-1 (keyless, acks=all); prints N.
    schema_bench.py --bootstrap ADDR --registry URL consume TOPIC --count N
        assigns every partition of TOPIC from its beginning and deserializes records until
        N were read; prints one JSON line {"records", "quantity", "items"}: the count, the
        sum of the decoded "quantity" fields and of the decoded "items" arrays' lengths
        (proof that every value was decoded). Exits 1 when it falls short.

Order i is built from i alone (see order()); benches/compare/schema.rs computes the same
sums for the check.
"""

import argparse
import datetime
import json
import sys
import time
from decimal import Decimal

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

# A realistic order: strings, a long, a double, unions with null, an enum, a timestamp-millis,
# a decimal, a nested record and an array of records.
ORDER_SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "ktui.bench",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer", "type": "string"},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "PAID", "SHIPPED", "CANCELLED"]}},
        {"name": "quantity", "type": "long"},
        {"name": "total", "type": "double"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 12, "scale": 2}},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "coupon", "type": ["null", "string"], "default": None},
        {"name": "ship_to", "type": {
            "type": "record", "name": "Address",
            "fields": [
                {"name": "street", "type": "string"},
                {"name": "city", "type": "string"},
                {"name": "zip", "type": ["null", "string"], "default": None},
                {"name": "country", "type": "string"},
            ],
        }},
        {"name": "items", "type": {"type": "array", "items": {
            "type": "record", "name": "Item",
            "fields": [
                {"name": "sku", "type": "string"},
                {"name": "name", "type": "string"},
                {"name": "qty", "type": "int"},
                {"name": "price", "type": "double"},
            ],
        }}},
    ],
}

CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Kraków", "Zürich", "Tokyo"]
STATUSES = ["NEW", "PAID", "SHIPPED", "CANCELLED"]
PRODUCTS = ["kettle", "lamp", "desk chair", "notebook", "headphones", "backpack"]
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
TIMEOUT_S = 60


def log(text):
    print(f"schema_bench.py: {text}", file=sys.stderr, flush=True)


def quantity(i):
    """Mirrored by benches/compare/schema.rs."""
    return i % 97 + 1


def item_count(i):
    """Mirrored by benches/compare/schema.rs."""
    return i % 3 + 1


def order(i):
    items = [
        {
            "sku": f"SKU-{(i * 31 + k) % 10000:05d}",
            "name": PRODUCTS[(i + k) % len(PRODUCTS)],
            "qty": k + 1,
            "price": ((i * 7 + k * 13) % 10000) / 100 + 0.99,
        }
        for k in range(item_count(i))
    ]
    total = sum(item["qty"] * item["price"] for item in items)
    return {
        "order_id": f"order-{i:08d}",
        "customer": f"customer-{i % 9973:05d}@example.com",
        "status": STATUSES[i % len(STATUSES)],
        "quantity": quantity(i),
        "total": total,
        "amount": Decimal(f"{(i * 7919) % 1000000}.{i % 100:02d}"),
        "created": EPOCH + datetime.timedelta(milliseconds=i * 1237),
        "note": None if i % 4 else f"leave at the door, ring twice ({i})",
        "coupon": None if i % 5 else "SPRING-10",
        "ship_to": {
            "street": f"{i % 300 + 1} Main Street",
            "city": CITIES[i % len(CITIES)],
            "zip": None if i % 7 == 0 else f"{10000 + i % 89999}",
            "country": "EU",
        },
        "items": items,
    }


def produce(args):
    registry = SchemaRegistryClient({"url": args.registry})
    serializer = AvroSerializer(registry, json.dumps(ORDER_SCHEMA))
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "linger.ms": 20,
        "batch.size": 1000000,
        "queue.buffering.max.messages": 1000000,
    })
    context = SerializationContext(args.topic, MessageField.VALUE)
    failed = []

    def delivered(err, _msg):
        if err is not None:
            failed.append(err)

    for i in range(args.count):
        value = serializer(order(i), context)
        while True:
            try:
                producer.produce(args.topic, value=value, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    left = producer.flush(TIMEOUT_S)
    if left or failed:
        log(f"{left} records undelivered, {len(failed)} failed: {failed[:3]}")
        sys.exit(1)
    print(args.count)


def consume(args):
    registry = SchemaRegistryClient({"url": args.registry})
    deserializer = AvroDeserializer(registry)
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "ktui-bench-schema-peer",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    metadata = consumer.list_topics(args.topic, timeout=TIMEOUT_S)
    partitions = metadata.topics[args.topic].partitions
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in partitions])
    context = SerializationContext(args.topic, MessageField.VALUE)
    seen = quantity_sum = items = 0
    last_progress = time.monotonic()
    while seen < args.count:
        batch = consumer.consume(num_messages=10000, timeout=1.0)
        if not batch:
            if time.monotonic() - last_progress > TIMEOUT_S:
                break
            continue
        last_progress = time.monotonic()
        for message in batch:
            if message.error():
                log(f"consume: {message.error()}")
                sys.exit(1)
            value = deserializer(message.value(), context)
            seen += 1
            quantity_sum += value["quantity"]
            items += len(value["items"])
    consumer.close()
    print(json.dumps({"records": seen, "quantity": quantity_sum, "items": items}))
    if seen < args.count:
        log(f"read {seen} of {args.count}")
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, run in [("produce", produce), ("consume", consume)]:
        p = sub.add_parser(name)
        p.add_argument("topic")
        p.add_argument("--count", type=int, required=True)
        p.set_defaults(run=run)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
