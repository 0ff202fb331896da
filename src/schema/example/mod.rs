//! A value to start from for a chosen schema: JSON it accepts with every field present, in
//! the schema's order, so Compose can fill an empty value once a schema is loaded (the
//! user edits rather than recalls every field's name). Avro's is in `avro::example`,
//! Protobuf's in `protobuf`, JSON Schema's in `json_schema`; the budget that bounds them
//! all is here. Written as compact JSON text: a `serde_json` object would sort the
//! fields.

mod json_schema;
mod protobuf;

use std::cell::Cell;

use prost_reflect::MessageDescriptor;
use serde_json::Value;

use super::Compiled;
use super::compiled::Codec;

/// Past this depth a self-holding message or schema stops.
const MAX_DEPTH: usize = 12;
/// The most text an example may count (its values and names): a schema wide or
/// recursive enough to need more is offered none, rather than a value no one would edit
/// (and the work stays bounded whatever the schema).
const MAX_EXAMPLE: usize = 64 * 1024;

/// What an example may still write; once spent, every value is cut short and none is
/// offered.
pub(crate) struct Budget(Cell<usize>);

impl Budget {
    fn new() -> Self {
        Self(Cell::new(MAX_EXAMPLE))
    }

    pub(crate) fn spend(&self, bytes: usize) {
        self.0.set(self.0.get().saturating_sub(bytes));
    }

    /// `text`, counted.
    pub(crate) fn take(&self, text: String) -> String {
        self.spend(text.len());
        text
    }

    pub(crate) fn exhaust(&self) {
        self.0.set(0);
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.0.get() == 0
    }
}

/// A value `compiled` accepts (as `message` for Protobuf) as compact JSON text, its
/// timestamps at `now`; `None` when none can be made (a Protobuf schema without a message
/// chosen).
pub(super) fn of(
    compiled: &Compiled,
    message: Option<&MessageDescriptor>,
    now: jiff::Timestamp,
) -> Option<String> {
    let budget = Budget::new();
    let text = match (&*compiled.codec, message) {
        (Codec::Avro(schema), _) => schema.example(now, &budget),
        (Codec::Protobuf(_), Some(message)) => Example {
            now,
            budget: &budget,
        }
        .message(message, &mut Vec::new()),
        (Codec::Protobuf(_), None) => return None,
        (Codec::Json(_), _) => Example {
            now,
            budget: &budget,
        }
        .json_schema_text(&compiled.info.text)?,
    };
    (!budget.exhausted()).then_some(text)
}

/// `{"name":value,…}` in the order given.
fn ordered_object(members: impl IntoIterator<Item = (String, String)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(name, value)| format!("{}:{value}", Value::from(name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// `now` to the millisecond, RFC 3339 in UTC.
fn rfc3339(now: jiff::Timestamp) -> String {
    jiff::Timestamp::from_millisecond(now.as_millisecond())
        .unwrap_or(now)
        .to_string()
}

/// An example's making, for Protobuf and JSON Schema.
struct Example<'a> {
    now: jiff::Timestamp,
    budget: &'a Budget,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{Encoder, SchemaKind};

    fn now() -> jiff::Timestamp {
        "2026-12-02T10:11:12.345678Z".parse().unwrap()
    }

    /// The example, and whether the schema takes it.
    fn example(kind: SchemaKind, text: &str, message: Option<&str>) -> Value {
        let encoder = Encoder::for_schema(1, kind, text, None, message).unwrap();
        let example = encoder.example(now()).unwrap();
        assert!(!example.contains('\n'), "compact: {example}");
        encoder
            .encode(example.as_bytes())
            .unwrap_or_else(|e| panic!("the example is refused: {e}\n{example}"));
        serde_json::from_str(&example).unwrap()
    }

    #[test]
    fn fields_come_in_the_schemas_order() {
        let text = r#"{"type":"record","name":"R","fields":[
          {"name":"zulu","type":"int"},{"name":"alpha","type":"string"},
          {"name":"mike","type":{"type":"record","name":"M","fields":[
            {"name":"b","type":"int"},{"name":"a","type":"int"}]}}]}"#;
        let encoder = Encoder::for_schema(1, SchemaKind::Avro, text, None, None).unwrap();
        assert_eq!(
            encoder.example(now()).unwrap(),
            r#"{"zulu":0,"alpha":"","mike":{"b":0,"a":0}}"#
        );
        let proto =
            "syntax = \"proto3\"; package p; message M { int32 zulu = 1; string alpha = 2; }";
        let encoder =
            Encoder::for_schema(1, SchemaKind::Protobuf, proto, None, Some("p.M")).unwrap();
        assert_eq!(encoder.example(now()).unwrap(), r#"{"zulu":0,"alpha":""}"#);
        let json = r#"{"type":"object","properties":{"zulu":{"type":"integer"},
            "alpha":{"type":"object","properties":{"b":{"type":"string"},"a":{"default":{"y":1,"x":2}}}}}}"#;
        let encoder = Encoder::for_schema(1, SchemaKind::Json, json, None, None).unwrap();
        assert_eq!(
            encoder.example(now()).unwrap(),
            r#"{"zulu":0,"alpha":{"b":"","a":{"y":1,"x":2}}}"#
        );
    }

    #[test]
    fn an_avro_example_has_every_field_defaults_and_logical_types() {
        let text = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
          {"name":"id","type":"string"},
          {"name":"qty","type":"int","default":1},
          {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
          {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"day","type":{"type":"int","logicalType":"date"}},
          {"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","OLD"]}},
          {"name":"note","type":["null","string"]},
          {"name":"tags","type":{"type":"array","items":"string"}},
          {"name":"next","type":["null","Order"]},
          {"name":"id2","type":{"type":"string","logicalType":"uuid"}},
          {"name":"f","type":{"type":"fixed","name":"F","size":2}}]}"#;
        assert_eq!(
            example(SchemaKind::Avro, text, None),
            json!({
                "id": "", "qty": 1, "price": "0.00", "at": "2026-12-02T10:11:12.345Z",
                "day": "2026-12-02", "status": "NEW", "note": null, "tags": [], "next": null,
                "id2": "00000000-0000-0000-0000-000000000000", "f": "\u{0}\u{0}"
            })
        );
    }

    #[test]
    fn a_protobuf_example_names_fields_in_json_and_fills_nested_messages() {
        let text = r#"syntax = "proto3"; package p;
            import "google/protobuf/timestamp.proto";
            import "google/protobuf/wrappers.proto";
            message Order {
              enum Status { NEW = 0; PAID = 1; }
              message Line { string sku = 1; int32 qty = 2; }
              string order_id = 1; int64 cents = 2; Status status = 3;
              repeated Line lines = 4; map<string, string> labels = 5;
              google.protobuf.Timestamp placed_at = 6; Line first = 7;
              oneof pay { string card = 8; string iban = 9; }
              google.protobuf.StringValue note = 10; Order parent = 11;
            }"#;
        let value = example(SchemaKind::Protobuf, text, Some("p.Order"));
        assert_eq!(value["orderId"], "");
        assert_eq!(value["cents"], "0");
        assert_eq!(value["status"], "NEW");
        assert_eq!(value["lines"], json!([]));
        assert_eq!(value["labels"], json!({}));
        assert_eq!(value["placedAt"], "2026-12-02T10:11:12.345Z");
        assert_eq!(value["first"], json!({"sku": "", "qty": 0}));
        assert_eq!(value["card"], "");
        assert!(
            value.get("iban").is_none(),
            "one member of a oneof: {value}"
        );
        assert_eq!(value["note"], "");
        assert!(
            value.get("parent").is_none(),
            "its own type left out: {value}"
        );
    }

    #[test]
    fn hostile_schemas_get_no_example_and_cost_little() {
        let fixed = r#"{"type":"fixed","name":"F","size":100000000000}"#;
        let encoder = Encoder::for_schema(1, SchemaKind::Avro, fixed, None, None).unwrap();
        assert_eq!(encoder.example(now()), None);
        // Three fields of its own type, each: 3^13 objects unbounded; a field of a message
        // already being written is left out.
        let proto = "syntax = \"proto3\"; package p; message E { E a = 1; E b = 2; E c = 3; string s = 4; }";
        assert_eq!(
            example(SchemaKind::Protobuf, proto, Some("p.E")),
            json!({"s": ""})
        );
        // A wide record of records, 200 x 200 fields: too big to edit, none offered.
        let inner: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"name":"f{i}","type":"string"}}"#))
            .collect();
        let outer: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    r#"{{"name":"r{i}","type":{{"type":"record","name":"R{i}","fields":[{}]}}}}"#,
                    inner.join(",")
                )
            })
            .collect();
        let wide = format!(
            r#"{{"type":"record","name":"W","fields":[{}]}}"#,
            outer.join(",")
        );
        let encoder = Encoder::for_schema(1, SchemaKind::Avro, &wide, None, None).unwrap();
        assert_eq!(encoder.example(now()), None);
    }

    #[test]
    fn an_any_is_null_and_all_of_keeps_the_properties_beside_it() {
        let proto = r#"syntax = "proto3"; package p; import "google/protobuf/any.proto";
            message M { google.protobuf.Any detail = 1; string s = 2; }"#;
        assert_eq!(
            example(SchemaKind::Protobuf, proto, Some("p.M")),
            json!({"detail": null, "s": ""})
        );
        let schema = r##"{"allOf":[{"$ref":"#/$defs/base"}],
            "properties":{"extra":{"type":"integer"}},
            "$defs":{"base":{"type":"object","properties":{"id":{"type":"string"}}}}}"##;
        assert_eq!(
            example(SchemaKind::Json, schema, None),
            json!({"id": "", "extra": 0})
        );
    }

    #[test]
    fn a_json_schema_example_follows_types_refs_and_given_values() {
        let text = r##"{"type":"object","properties":{
            "user_id":{"type":"integer","minimum":1},
            "path":{"type":"string","minLength":1},
            "at":{"type":"string","format":"date-time"},
            "kind":{"enum":["click","view"]},
            "tags":{"type":"array","items":{"type":"string"},"minItems":1},
            "ratio":{"type":["null","number"]},
            "address":{"$ref":"#/$defs/address"},
            "lang":{"type":"string","default":"en"}},
          "required":["user_id","path"],
          "$defs":{"address":{"type":"object","properties":{"city":{"type":"string"}}}}}"##;
        assert_eq!(
            example(SchemaKind::Json, text, None),
            json!({
                "user_id": 1, "path": "x", "at": "2026-12-02T10:11:12.345Z", "kind": "click",
                "tags": [""], "ratio": 0.0, "address": {"city": ""}, "lang": "en"
            })
        );
    }
}
