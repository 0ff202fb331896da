//! A Protobuf message's example, in the canonical JSON mapping.

use prost_reflect::{Cardinality, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Value, json};

use super::{Example, MAX_DEPTH, ordered_object, rfc3339};

impl Example<'_> {
    /// A message in the canonical JSON mapping, every field present: the first member of
    /// each oneof only (a oneof holds one), well-known types in their JSON forms; a field
    /// of a message already being written (`path`) is left out, as proto3 allows.
    pub(super) fn message(&self, message: &MessageDescriptor, path: &mut Vec<String>) -> String {
        let special = match message.full_name() {
            "google.protobuf.Timestamp" => Some(json!(rfc3339(self.now))),
            "google.protobuf.Duration" => Some(json!("0s")),
            "google.protobuf.FieldMask" => Some(json!("")),
            "google.protobuf.Struct" | "google.protobuf.Empty" => Some(json!({})),
            "google.protobuf.ListValue" => Some(json!([])),
            // An Any needs its `@type`: none is chosen for the user.
            "google.protobuf.Value" | "google.protobuf.Any" => Some(Value::Null),
            name if name.starts_with("google.protobuf.") && name.ends_with("Value") => {
                if let Some(field) = message.get_field_by_name("value") {
                    return self.field(&field, path).unwrap_or_else(|| "null".into());
                }
                None
            }
            _ => None,
        };
        if let Some(value) = special {
            return self.budget.take(value.to_string());
        }
        path.push(message.full_name().to_string());
        let mut oneofs_seen = Vec::new();
        let mut members = Vec::new();
        for field in message.fields() {
            if self.budget.exhausted() {
                break;
            }
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                if oneofs_seen.contains(&oneof.name().to_string()) {
                    continue;
                }
                oneofs_seen.push(oneof.name().to_string());
            }
            let value = if field.is_map() {
                Some("{}".to_string())
            } else if field.cardinality() == Cardinality::Repeated {
                Some("[]".to_string())
            } else {
                self.field(&field, path)
            };
            if let Some(value) = value {
                self.budget.spend(field.json_name().len());
                members.push((field.json_name().to_string(), value));
            }
        }
        path.pop();
        ordered_object(members)
    }

    /// A singular field's value; `None` for a message already being written (or too deep).
    fn field(&self, field: &FieldDescriptor, path: &mut Vec<String>) -> Option<String> {
        let value = match field.kind() {
            Kind::Double | Kind::Float => json!(0.0),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => {
                json!(0)
            }
            // 64-bit integers are strings in the JSON mapping.
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
                json!("0")
            }
            Kind::Bool => json!(false),
            Kind::String | Kind::Bytes => json!(""),
            Kind::Enum(e) => e.values().next().map_or(json!(0), |v| json!(v.name())),
            Kind::Message(message) => {
                if path.len() > MAX_DEPTH || path.iter().any(|p| p == message.full_name()) {
                    return None;
                }
                return Some(self.message(&message, path));
            }
        };
        Some(self.budget.take(value.to_string()))
    }
}
