#!/usr/bin/env python3
"""A Schema Registry peer for ktui's tests: confluent-kafka's own serializers (AvroSerializer,
ProtobufSerializer, JSONSerializer) and deserializers against a registry and a broker, so a
test checks what ktui shows of records they framed, and what they read of records ktui framed.

    schemas.py produce --bootstrap HOST:PORT --registry URL --topic T --kind avro|protobuf|json
                       [--key] [--partition P] [--registry-auth USER:PASSWORD]
        registers the schemas (auto.register.schemas, subject "T-value", and "T-key" with
        --key) and produces this script's fixed records to partition P (default 0), in
        order; prints one JSON line per record, in produce order: the value as ktui is
        expected to show it, or with --key {"key": K, "value": V}.
    schemas.py consume --bootstrap HOST:PORT --registry URL --topic T --kind K --count N
                       [--from-beginning] [--key] [--proto-message NAME]
                       [--proto-key-message NAME] [--timeout-ms MS] [--registry-auth U:P]
        reads N records with the matching deserializer and prints each the same way, one
        JSON line each, by partition then offset. [--proto-registry-id ID] adds the
        messages of registry schema ID, built from what the registry serves for it with
        format=serialized (its base64 FileDescriptorProto). Without --from-beginning it reads what is
        written after it starts (it prints "ready" to stderr once it is positioned). A
        Protobuf value is read as --proto-message (default ktui.peer.Order), a key as
        --proto-key-message (default ktui.peer.Order.Ref): the classes produce uses.
    schemas.py produce-latest --bootstrap HOST:PORT --registry URL --topic T --subject S
                              --value JSON [--value JSON ...] [--registry-auth U:P]
        JSON Schema with a schema the registry already holds: JSONSerializer with
        use.latest.version (no auto.register.schemas) writes each --value with subject S's
        latest version, resolving its references through the registry and validating
        against it; each value it refuses is not sent. Prints one JSON line per --value, in
        order: {"value": V, "id": ID} (produced, framed with schema ID) or
        {"value": V, "refused": "the serializer's words"}.

Conventions of the printed JSON (what ktui is expected to show):
  Avro: a union as its plain value (no {"type": v} wrapper); bytes and fixed as a string of
    the code points U+0000-U+00FF (latin-1); an enum as its symbol; a decimal as its exact
    text with the scale's digits ("12.30", "-1.05"); uuid as text; date "YYYY-MM-DD";
    time-millis "HH:MM:SS.mmm" (time-micros 6 digits); timestamp-millis
    "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC (timestamp-micros 6 digits); records in field order;
    maps as objects.
  Protobuf: json_format.MessageToDict(msg) with its defaults (lowerCamelCase names, 64-bit
    integers as strings, enums by name, bytes as base64, default values left out,
    Timestamp as RFC 3339); map entries sorted by key (a map has no order).
  JSON: the object as given.
Compare parsed JSON values, not text (2.5 and 2.50 are one number).

The records (fresh registry; ids in registration order):
  avro: 1 = ktui.peer.Address under subject "ktui.peer.Address" (registered first, by
    this script); 2 = ktui.peer.Order under "T-value", referencing Address (name and subject
    "ktui.peer.Address", its version); with --key, 3 = ktui.peer.OrderKey under "T-key".
    Three records: everything set (unions holding long, string, a record and a decimal,
    non-ASCII text); nulls and empties (empty string, arrays, map, bytes; epoch zero);
    negatives (decimal -1.05, timestamps before 1970).
  protobuf: 1 = ktui/peer/common.proto under subject "ktui/peer/common.proto" (registered
    by ProtobufSerializer as a reference; google/protobuf/timestamp.proto is imported but
    not registered); 2 = ktui/peer/order.proto under "T-value" with that reference; the
    values are ktui.peer.Order, the file's second message (message indexes [1]); with
    --key the same id 2 under "T-key", keys ktui.peer.Order.Ref (message indexes [1, 0]).
    ProtobufSerializer registers each file as its base64 FileDescriptorProto, not .proto
    text; the descriptors are built at run time (no protoc), as proto_files() describes.
    Three records: everything set; the empty message ({}); defaults that are present (a
    oneof member 0, a map entry 0) and a Timestamp before 1970.
  json: 1 = ktui.peer.Event under "T-value"; with --key 2 = ktui.peer.EventKey under
    "T-key". Three records: nested objects and arrays, non-ASCII text, a 2^53+1 integer;
    empties and null; a sparse object.

Only the JSON lines go to stdout; diagnostics go to stderr; any failure exits 1.
"""

import argparse
import datetime
import json
import os
import sys
import time
import uuid
from decimal import Decimal

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf import timestamp_pb2

TIMEOUT_S = 15
UTC = datetime.timezone.utc


def log(text):
    print(f"schemas.py: {text}", file=sys.stderr, flush=True)


# ---- Avro ------------------------------------------------------------------------------------

AVRO_ADDRESS_SUBJECT = "ktui.peer.Address"
AVRO_ADDRESS = {
    "type": "record", "name": "Address", "namespace": "ktui.peer",
    "fields": [
        {"name": "street", "type": "string"},
        {"name": "city", "type": "string"},
        {"name": "zip", "type": ["null", "string"], "default": None},
    ],
}
AVRO_ORDER = {
    "type": "record", "name": "Order", "namespace": "ktui.peer",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "pick", "type": ["null", "long", "string"], "default": None},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 10, "scale": 2}},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "created_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "raw", "type": "bytes"},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
        {"name": "ship_to", "type": "ktui.peer.Address"},
        {"name": "bill_to", "type": ["null", "ktui.peer.Address"], "default": None},
        {"name": "items", "type": {"type": "array", "items": {
            "type": "record", "name": "Item",
            "fields": [
                {"name": "sku", "type": "string"},
                {"name": "qty", "type": "int"},
                {"name": "price", "type": ["null", "double"], "default": None},
            ],
        }}},
        {"name": "score", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "gift", "type": "boolean"},
        {"name": "discount", "type": ["null", {"type": "bytes", "logicalType": "decimal",
                                               "precision": 6, "scale": 3}], "default": None},
    ],
}
AVRO_KEY = {
    "type": "record", "name": "OrderKey", "namespace": "ktui.peer",
    "fields": [{"name": "id", "type": "string"}, {"name": "region", "type": "int"}],
}


def avro_records():
    paris = {"street": "1 rue de l'Église", "city": "Paris", "zip": "75001"}
    return [
        ({"id": "o-1", "region": 3}, {
            "id": "o-1",
            "note": "é 日本 🎉",
            "pick": 7,
            "amount": Decimal("12.30"),
            "created": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
            "created_us": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            "day": datetime.date(2024, 2, 29),
            "at": datetime.time(13, 45, 30, 250000),
            "uid": uuid.UUID("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
            "status": "PAID",
            "tags": ["a", "日本"],
            "attrs": {"n": 1, "big": 9007199254740993, "neg": -5},
            "raw": b"\x00\x01\xfe\xff",
            "digest": b"\xde\xad\xbe\xef",
            "ship_to": {"street": "2-3 丸の内", "city": "東京", "zip": None},
            "bill_to": paris,
            "items": [{"sku": "s-1", "qty": 2, "price": 9.99},
                      {"sku": "", "qty": 0, "price": None}],
            "score": 2.5,
            "ratio": 0.25,
            "gift": True,
            "discount": Decimal("0.125"),
        }),
        ({"id": "", "region": 0}, {
            "id": "",
            "note": None,
            "pick": None,
            "amount": Decimal("0.00"),
            "created": datetime.datetime(1970, 1, 1, tzinfo=UTC),
            "created_us": datetime.datetime(1970, 1, 1, tzinfo=UTC),
            "day": datetime.date(1970, 1, 1),
            "at": datetime.time(0, 0),
            "uid": uuid.UUID("00000000-0000-0000-0000-000000000000"),
            "status": "NEW",
            "tags": [],
            "attrs": {},
            "raw": b"",
            "digest": b"\x00\x00\x00\x00",
            "ship_to": {"street": "", "city": "", "zip": None},
            "bill_to": None,
            "items": [],
            "score": 0.0,
            "ratio": -1.5,
            "gift": False,
            "discount": None,
        }),
        ({"id": "o-3", "region": -1}, {
            "id": "o-3",
            "note": "",
            "pick": "seven",
            "amount": Decimal("-1.05"),
            "created": datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            "created_us": datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            "day": datetime.date(1969, 7, 20),
            "at": datetime.time(23, 59, 59, 999000),
            "uid": uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff"),
            "status": "SHIPPED",
            "tags": [""],
            "attrs": {"": 0},
            "raw": "€".encode("utf-8"),
            "digest": b"\x7f\x80\x81\xff",
            "ship_to": paris,
            "bill_to": {"street": "🏠", "city": "Zürich", "zip": None},
            "items": [{"sku": "x", "qty": -1, "price": -0.5}],
            "score": -1e-3,
            "ratio": 3.0,
            "gift": False,
            "discount": Decimal("-0.001"),
        }),
    ]


AVRO_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def avro_full_name(name, namespace):
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def avro_collect(schema, namespace, names):
    """Every named type of a schema, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            avro_collect(branch, namespace, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            full = avro_full_name(schema["name"], schema.get("namespace", namespace))
            names[full] = schema
            inner = full.rsplit(".", 1)[0] if "." in full else None
            for field in schema.get("fields", []):
                avro_collect(field["type"], inner, names)
        elif kind == "array":
            avro_collect(schema["items"], namespace, names)
        elif kind == "map":
            avro_collect(schema["values"], namespace, names)
        elif isinstance(kind, (dict, list)):
            avro_collect(kind, namespace, names)


def avro_resolve(name, namespace, names):
    for candidate in (avro_full_name(name, namespace), name):
        if candidate in names:
            schema = names[candidate]
            full = avro_full_name(schema["name"], schema.get("namespace", namespace))
            return schema, (full.rsplit(".", 1)[0] if "." in full else None)
    raise ValueError(f"unknown Avro type {name}")


def avro_matches(schema, value, namespace, names):
    """Whether a union branch can hold the value (as fastavro gives or takes it)."""
    if isinstance(schema, str):
        if schema not in AVRO_PRIMITIVES:
            schema, namespace = avro_resolve(schema, namespace, names)
            return avro_matches(schema, value, namespace, names)
        return {
            "null": value is None,
            "boolean": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "long": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, float),
            "double": isinstance(value, float),
            "bytes": isinstance(value, bytes),
            "string": isinstance(value, str),
        }[schema]
    logical = schema.get("logicalType")
    if logical == "decimal":
        return isinstance(value, Decimal)
    if logical in ("timestamp-millis", "timestamp-micros"):
        return isinstance(value, datetime.datetime)
    if logical == "date":
        return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    if logical in ("time-millis", "time-micros"):
        return isinstance(value, datetime.time)
    if logical == "uuid":
        return isinstance(value, uuid.UUID)
    kind = schema["type"]
    if kind in ("record", "error"):
        return isinstance(value, dict) and set(value) <= {f["name"] for f in schema["fields"]}
    if kind == "enum":
        return isinstance(value, str) and value in schema["symbols"]
    if kind == "fixed":
        return isinstance(value, bytes) and len(value) == schema["size"]
    if kind == "array":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, dict)
    return avro_matches(kind, value, namespace, names)


def avro_json(schema, value, namespace, names):
    """A value as ktui is expected to show it (see the module's conventions)."""
    if isinstance(schema, list):
        for branch in schema:
            if avro_matches(branch, value, namespace, names):
                return avro_json(branch, value, namespace, names)
        raise ValueError(f"no branch of {schema} holds {value!r}")
    if isinstance(schema, str):
        if schema not in AVRO_PRIMITIVES:
            schema, namespace = avro_resolve(schema, namespace, names)
            return avro_json(schema, value, namespace, names)
        if schema == "bytes":
            return value.decode("latin-1")
        if schema in ("float", "double"):
            return float(value)
        return value
    logical = schema.get("logicalType")
    if logical == "decimal":
        scale = schema.get("scale", 0)
        return str(value.quantize(Decimal(1).scaleb(-scale)))
    if logical in ("timestamp-millis", "timestamp-micros"):
        utc = value.astimezone(UTC)
        fraction = (f"{utc.microsecond // 1000:03d}" if logical == "timestamp-millis"
                    else f"{utc.microsecond:06d}")
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction}Z"
    if logical == "date":
        return value.isoformat()
    if logical in ("time-millis", "time-micros"):
        fraction = (f"{value.microsecond // 1000:03d}" if logical == "time-millis"
                    else f"{value.microsecond:06d}")
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{fraction}"
    if logical == "uuid":
        return str(value)
    kind = schema["type"]
    if kind in ("record", "error"):
        full = avro_full_name(schema["name"], schema.get("namespace", namespace))
        inner = full.rsplit(".", 1)[0] if "." in full else None
        return {f["name"]: avro_json(f["type"], value.get(f["name"]), inner, names)
                for f in schema["fields"]}
    if kind == "enum":
        return value
    if kind == "fixed":
        return value.decode("latin-1")
    if kind == "array":
        return [avro_json(schema["items"], v, namespace, names) for v in value]
    if kind == "map":
        return {k: avro_json(schema["values"], v, namespace, names) for k, v in value.items()}
    return avro_json(kind, value, namespace, names)


def avro_names(client, schema):
    """The named types of a registered schema and of its references, transitively."""
    names = {}
    for ref in schema.references or []:
        referenced = client.get_version(ref.subject, ref.version, True)
        names.update(avro_names(client, referenced.schema))
    avro_collect(json.loads(schema.schema_str), None, names)
    return names


# ---- Protobuf --------------------------------------------------------------------------------

F = descriptor_pb2.FieldDescriptorProto
PROTO_COMMON = "ktui/peer/common.proto"
PROTO_ORDER = "ktui/peer/order.proto"


def _field(name, number, kind, type_name=None, label=F.LABEL_OPTIONAL, json_name=None, **extra):
    field = F(name=name, number=number, type=kind, label=label, **extra)
    if type_name is not None:
        field.type_name = type_name
    # What protoc fills in; ProtobufSerializer registers the descriptor as it is.
    field.json_name = json_name or "".join(
        part if i == 0 else part[:1].upper() + part[1:] for i, part in enumerate(name.split("_")))
    return field


def proto_files():
    """ktui/peer/common.proto and ktui/peer/order.proto, as protoc would describe them:

        // ktui/peer/common.proto
        syntax = "proto3";
        package ktui.peer.common;
        message Money { string currency = 1; int64 units = 2; int32 nanos = 3; }

        // ktui/peer/order.proto
        syntax = "proto3";
        package ktui.peer;
        import "ktui/peer/common.proto";
        import "google/protobuf/timestamp.proto";
        message Envelope { string source = 1; }
        message Order {
          message Ref { string id = 1; int32 region = 2; }
          message Line { string sku = 1; int32 qty = 2; ktui.peer.common.Money price = 3; }
          enum Status { STATUS_UNSPECIFIED = 0; NEW = 1; PAID = 2; SHIPPED = 3; }
          string id = 1;
          string note = 2;
          int64 quantity = 3;
          Status status = 4;
          repeated string tags = 5;
          repeated Line lines = 6;
          map<string, int64> attrs = 7;
          google.protobuf.Timestamp created = 8;
          ktui.peer.common.Money total = 9;
          bytes raw = 10;
          double score = 11;
          float ratio = 12;
          bool gift = 13;
          uint64 big = 14;
          sint32 delta = 15;
          optional string maybe = 16;
          oneof choice { string text = 17; int32 number = 18; }
          repeated int32 counts = 19;
          Ref ref = 20;
        }
    """
    common = descriptor_pb2.FileDescriptorProto(
        name=PROTO_COMMON, package="ktui.peer.common", syntax="proto3")
    money = common.message_type.add(name="Money")
    money.field.extend([
        _field("currency", 1, F.TYPE_STRING),
        _field("units", 2, F.TYPE_INT64),
        _field("nanos", 3, F.TYPE_INT32),
    ])

    order_file = descriptor_pb2.FileDescriptorProto(
        name=PROTO_ORDER, package="ktui.peer", syntax="proto3",
        dependency=[PROTO_COMMON, "google/protobuf/timestamp.proto"])
    envelope = order_file.message_type.add(name="Envelope")
    envelope.field.extend([_field("source", 1, F.TYPE_STRING)])
    order = order_file.message_type.add(name="Order")
    ref = order.nested_type.add(name="Ref")
    ref.field.extend([_field("id", 1, F.TYPE_STRING), _field("region", 2, F.TYPE_INT32)])
    line = order.nested_type.add(name="Line")
    line.field.extend([
        _field("sku", 1, F.TYPE_STRING),
        _field("qty", 2, F.TYPE_INT32),
        _field("price", 3, F.TYPE_MESSAGE, ".ktui.peer.common.Money"),
    ])
    attrs_entry = order.nested_type.add(name="AttrsEntry")
    attrs_entry.options.map_entry = True
    attrs_entry.field.extend([_field("key", 1, F.TYPE_STRING), _field("value", 2, F.TYPE_INT64)])
    status = order.enum_type.add(name="Status")
    for number, name in enumerate(["STATUS_UNSPECIFIED", "NEW", "PAID", "SHIPPED"]):
        status.value.add(name=name, number=number)
    order.oneof_decl.add(name="choice")
    order.oneof_decl.add(name="_maybe")
    repeated = F.LABEL_REPEATED
    order.field.extend([
        _field("id", 1, F.TYPE_STRING),
        _field("note", 2, F.TYPE_STRING),
        _field("quantity", 3, F.TYPE_INT64),
        _field("status", 4, F.TYPE_ENUM, ".ktui.peer.Order.Status"),
        _field("tags", 5, F.TYPE_STRING, label=repeated),
        _field("lines", 6, F.TYPE_MESSAGE, ".ktui.peer.Order.Line", label=repeated),
        _field("attrs", 7, F.TYPE_MESSAGE, ".ktui.peer.Order.AttrsEntry", label=repeated),
        _field("created", 8, F.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
        _field("total", 9, F.TYPE_MESSAGE, ".ktui.peer.common.Money"),
        _field("raw", 10, F.TYPE_BYTES),
        _field("score", 11, F.TYPE_DOUBLE),
        _field("ratio", 12, F.TYPE_FLOAT),
        _field("gift", 13, F.TYPE_BOOL),
        _field("big", 14, F.TYPE_UINT64),
        _field("delta", 15, F.TYPE_SINT32),
        _field("maybe", 16, F.TYPE_STRING, oneof_index=1, proto3_optional=True),
        _field("text", 17, F.TYPE_STRING, oneof_index=0),
        _field("number", 18, F.TYPE_INT32, oneof_index=0),
        _field("counts", 19, F.TYPE_INT32, label=repeated),
        _field("ref", 20, F.TYPE_MESSAGE, ".ktui.peer.Order.Ref"),
    ])
    return common, order_file


def proto_classes():
    """The message classes by full name, built at run time (no protoc)."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    for file in proto_files():
        pool.Add(file)

    def cls(name):
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))

    return {name: cls(name) for name in (
        "ktui.peer.Envelope", "ktui.peer.Order", "ktui.peer.Order.Ref", "ktui.peer.Order.Line",
        "ktui.peer.common.Money")}


def proto_records(classes):
    order_cls = classes["ktui.peer.Order"]
    ref_cls = classes["ktui.peer.Order.Ref"]

    full = order_cls(
        id="o-1", note="é 日本 🎉", quantity=9007199254740993,
        status=order_cls.Status.Value("PAID"), tags=["a", "日本"],
        raw=b"\x00\x01\xfe\xff", score=2.5, ratio=0.25, gift=True,
        big=18446744073709551615, delta=-42, maybe="", text="hello", counts=[1, 2, 3])
    first = full.lines.add(sku="s-1", qty=2)
    first.price.currency = "EUR"
    first.price.units = 12
    first.price.nanos = 300000000
    full.lines.add(sku="", qty=0)
    full.attrs["n"] = 1
    full.attrs["neg"] = -5
    full.created.seconds = 1704164645  # 2024-01-02T03:04:05Z
    full.created.nanos = 678000000
    full.total.currency = "EUR"
    full.total.units = 24
    full.total.nanos = 600000000
    full.ref.id = "o-1"
    full.ref.region = 3

    empty = order_cls()

    present = order_cls(id="o-3", note="", quantity=-7, status=order_cls.Status.Value("NEW"),
                        number=0, counts=[0])
    present.lines.add(sku="x", qty=-1)
    present.attrs["zero"] = 0
    present.created.seconds = -1  # 1969-12-31T23:59:59.001Z
    present.created.nanos = 1000000

    return [
        (ref_cls(id="o-1", region=3), full),
        (ref_cls(), empty),
        (ref_cls(id="o-3", region=-1), present),
    ]


def proto_json(message):
    """MessageToDict, with map entries sorted by key (a Protobuf map has no order; this
    keeps the printed lines stable from run to run)."""
    return _sorted_maps(message.DESCRIPTOR, json_format.MessageToDict(message))


def _sorted_maps(descriptor, shown):
    if not isinstance(shown, dict) or descriptor.full_name.startswith("google.protobuf."):
        return shown
    for field in descriptor.fields:
        if field.json_name not in shown or field.message_type is None:
            continue
        value = shown[field.json_name]
        if field.message_type.GetOptions().map_entry:
            inner = field.message_type.fields_by_name["value"].message_type
            shown[field.json_name] = {
                k: _sorted_maps(inner, v) if inner is not None else v
                for k, v in sorted(value.items())}
        elif isinstance(value, list):
            shown[field.json_name] = [_sorted_maps(field.message_type, v) for v in value]
        else:
            shown[field.json_name] = _sorted_maps(field.message_type, value)
    return shown


# ---- JSON Schema -----------------------------------------------------------------------------

JSON_VALUE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "ktui.peer.Event",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "ok": {"type": "boolean"},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "nested": {"type": "object"},
        "big": {"type": "integer"},
    },
    "required": ["id"],
}
JSON_KEY = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "ktui.peer.EventKey",
    "type": "object",
    "properties": {"id": {"type": "string"}},
    "required": ["id"],
}


def json_records():
    return [
        ({"id": "e-1"}, {"id": "e-1", "n": 42, "x": 2.5, "ok": True, "note": "é 日本 🎉",
                         "tags": ["a", "b"], "nested": {"a": 1, "deep": {"b": [1, 2, {"c": None}]}},
                         "big": 9007199254740993}),
        ({"id": ""}, {"id": "", "n": 0, "x": -0.5, "ok": False, "note": None, "tags": [],
                      "nested": {}}),
        ({"id": "e-3"}, {"id": "e-3", "note": "", "tags": ["日本"], "n": -1}),
    ]


# ---- commands --------------------------------------------------------------------------------

def registry_client(args):
    conf = {"url": args.registry, "timeout": TIMEOUT_S}
    if args.registry_auth:
        conf["basic.auth.user.info"] = args.registry_auth
    return SchemaRegistryClient(conf)


def emit(value):
    sys.stdout.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def shown(key, value, with_key):
    return {"key": key, "value": value} if with_key else value


def cmd_produce(args):
    client = registry_client(args)
    if args.kind == "avro":
        address = Schema(json.dumps(AVRO_ADDRESS), "AVRO")
        client.register_schema(AVRO_ADDRESS_SUBJECT, address)
        version = client.lookup_schema(AVRO_ADDRESS_SUBJECT, address).version
        reference = SchemaReference(AVRO_ADDRESS_SUBJECT, AVRO_ADDRESS_SUBJECT, version)
        value_ser = AvroSerializer(client, Schema(json.dumps(AVRO_ORDER), "AVRO", [reference]))
        key_ser = AvroSerializer(client, json.dumps(AVRO_KEY))
        names = {}
        avro_collect(AVRO_ADDRESS, None, names)
        avro_collect(AVRO_ORDER, None, names)
        key_names = {}
        avro_collect(AVRO_KEY, None, key_names)
        records = [
            (key, value,
             avro_json(AVRO_KEY, key, None, key_names), avro_json(AVRO_ORDER, value, None, names))
            for key, value in avro_records()]
    elif args.kind == "protobuf":
        classes = proto_classes()
        value_ser = ProtobufSerializer(classes["ktui.peer.Order"], client)
        key_ser = ProtobufSerializer(classes["ktui.peer.Order.Ref"], client)
        records = [(key, value, proto_json(key), proto_json(value))
                   for key, value in proto_records(classes)]
    else:
        value_ser = JSONSerializer(json.dumps(JSON_VALUE), client)
        key_ser = JSONSerializer(json.dumps(JSON_KEY), client)
        records = [(key, value, key, value) for key, value in json_records()]

    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "enable.idempotence": True,
        "linger.ms": 0,
        "message.timeout.ms": TIMEOUT_S * 1000,
    })
    delivered = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append((msg.partition(), msg.offset()))

    for key, value, _, _ in records:
        # The value first: its schemas get the lower ids.
        value_bytes = value_ser(value, SerializationContext(args.topic, MessageField.VALUE))
        key_bytes = (key_ser(key, SerializationContext(args.topic, MessageField.KEY))
                     if args.key else None)
        producer.produce(args.topic, value=value_bytes, key=key_bytes,
                         partition=args.partition, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(TIMEOUT_S)
    if remaining or errors or len(delivered) != len(records):
        raise SystemExit(f"schemas.py produce: not all delivered ({remaining} left): {errors}")
    log(f"produced {len(records)} {args.kind} records to {args.topic} at "
        f"(partition, offset) {delivered}")
    for _, _, key_json, value_json in records:
        emit(shown(key_json, value_json, args.key))


def avro_reader(client, topic, field):
    deserializer = AvroDeserializer(client)
    subject = f"{topic}-{'key' if field == MessageField.KEY else 'value'}"

    def read(data):
        ctx = SerializationContext(topic, field)
        value = deserializer(data, ctx)
        if value is None:
            return None
        # The writer schema (already cached by the deserializer) says how to show it.
        schema = client.get_schema(int.from_bytes(data[1:5], "big"), subject)
        return avro_json(json.loads(schema.schema_str), value, None, avro_names(client, schema))

    return read


def registry_classes(client, schema_id):
    """The message classes of a Protobuf schema as the registry serves it serialized (a
    base64 FileDescriptorProto, which ProtobufDeserializer reads too), by full name."""
    import base64
    schema = client.get_schema(schema_id, fmt="serialized")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(schema.schema_str))
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    added = pool.Add(file)
    return {m.full_name: message_factory.GetMessageClass(m)
            for m in added.message_types_by_name.values()}


def cmd_consume(args):
    client = registry_client(args)
    if args.kind == "avro":
        read_value = avro_reader(client, args.topic, MessageField.VALUE)
        read_key = avro_reader(client, args.topic, MessageField.KEY)
    elif args.kind == "protobuf":
        classes = proto_classes()
        if args.proto_registry_id is not None:
            classes.update(registry_classes(client, args.proto_registry_id))
        for name in (args.proto_message, args.proto_key_message):
            if name not in classes:
                raise SystemExit(f"schemas.py consume: no message {name} (have {sorted(classes)})")
        value_des = ProtobufDeserializer(classes[args.proto_message], None, client)
        key_des = ProtobufDeserializer(classes[args.proto_key_message], None, client)

        def read_value(data):
            message = value_des(data, SerializationContext(args.topic, MessageField.VALUE))
            return None if message is None else proto_json(message)

        def read_key(data):
            message = key_des(data, SerializationContext(args.topic, MessageField.KEY))
            return None if message is None else proto_json(message)
    else:
        value_des = JSONDeserializer(None, schema_registry_client=client)
        key_des = JSONDeserializer(None, schema_registry_client=client)

        def read_value(data):
            return value_des(data, SerializationContext(args.topic, MessageField.VALUE))

        def read_key(data):
            return key_des(data, SerializationContext(args.topic, MessageField.KEY))

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"ktui-schemas-peer-{os.getpid()}",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })
    deadline = time.monotonic() + args.timeout_ms / 1000
    while True:
        metadata = consumer.list_topics(args.topic, timeout=TIMEOUT_S)
        topic = metadata.topics.get(args.topic)
        if topic is not None and topic.error is None and topic.partitions:
            break
        if time.monotonic() >= deadline:
            raise SystemExit(f"schemas.py consume: no topic {args.topic}")
        time.sleep(0.1)
    partitions = sorted(topic.partitions)
    if args.from_beginning:
        starts = {p: OFFSET_BEGINNING for p in partitions}
    else:
        starts = {p: consumer.get_watermark_offsets(TopicPartition(args.topic, p),
                                                    timeout=TIMEOUT_S)[1] for p in partitions}
    consumer.assign([TopicPartition(args.topic, p, starts[p]) for p in partitions])
    log(f"ready: reading {args.topic} from {starts}")
    records = []
    while len(records) < args.count:
        if time.monotonic() >= deadline:
            raise SystemExit(
                f"schemas.py consume: {len(records)} records from {args.topic} within "
                f"{args.timeout_ms} ms, wanted {args.count}")
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            raise SystemExit(f"schemas.py consume: {msg.error()}")
        value = read_value(msg.value())
        key = read_key(msg.key()) if args.key and msg.key() is not None else None
        records.append((msg.partition(), msg.offset(), key, value))
    consumer.close()
    records.sort(key=lambda r: (r[0], r[1]))
    for _, _, key, value in records:
        emit(shown(key, value, args.key))


def cmd_produce_latest(args):
    client = registry_client(args)
    subject = args.subject
    serializer = JSONSerializer(None, client, conf={
        "auto.register.schemas": False,
        "use.latest.version": True,
        "subject.name.strategy": lambda ctx, record_name: subject,
    })
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "enable.idempotence": True,
        "linger.ms": 0,
        "message.timeout.ms": TIMEOUT_S * 1000,
    })
    delivered = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append((msg.partition(), msg.offset()))

    shown_lines = []
    sent = 0
    for text in args.value:
        value = json.loads(text)
        try:
            framed = serializer(value, SerializationContext(args.topic, MessageField.VALUE))
        except SerializationError as e:
            shown_lines.append({"value": value, "refused": str(e)})
            continue
        producer.produce(args.topic, value=framed, partition=0, on_delivery=on_delivery)
        producer.poll(0)
        sent += 1
        shown_lines.append({"value": value, "id": int.from_bytes(framed[1:5], "big")})
    remaining = producer.flush(TIMEOUT_S)
    if remaining or errors or len(delivered) != sent:
        raise SystemExit(f"schemas.py produce-latest: not all delivered ({remaining} left): {errors}")
    log(f"produced {sent} JSON records with {subject}'s latest schema to {args.topic} at "
        f"(partition, offset) {delivered}")
    for line in shown_lines:
        emit(line)


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, run in (("produce", cmd_produce), ("consume", cmd_consume)):
        p = sub.add_parser(name)
        p.add_argument("--bootstrap", required=True)
        p.add_argument("--registry", required=True)
        p.add_argument("--registry-auth", metavar="USER:PASSWORD")
        p.add_argument("--topic", required=True)
        p.add_argument("--kind", required=True, choices=["avro", "protobuf", "json"])
        p.add_argument("--key", action="store_true")
        p.set_defaults(run=run)
        if name == "produce":
            p.add_argument("--partition", type=int, default=0)
        else:
            p.add_argument("--count", type=int, required=True)
            p.add_argument("--from-beginning", action="store_true")
            p.add_argument("--proto-message", default="ktui.peer.Order")
            p.add_argument("--proto-key-message", default="ktui.peer.Order.Ref")
            p.add_argument("--proto-registry-id", type=int, metavar="ID",
                           help="also the messages of this registry schema, as served")
            p.add_argument("--timeout-ms", type=int, default=20000)
    latest = sub.add_parser("produce-latest")
    latest.add_argument("--bootstrap", required=True)
    latest.add_argument("--registry", required=True)
    latest.add_argument("--registry-auth", metavar="USER:PASSWORD")
    latest.add_argument("--topic", required=True)
    latest.add_argument("--subject", required=True)
    latest.add_argument("--value", action="append", required=True, metavar="JSON")
    latest.set_defaults(run=cmd_produce_latest)
    args = parser.parse_args()
    try:
        args.run(args)
    except SystemExit:
        raise
    except KafkaException as e:
        raise SystemExit(f"schemas.py {args.command}: {e}")
    except Exception as e:  # a serializer's or the registry's error: say which, exit 1
        raise SystemExit(f"schemas.py {args.command}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
