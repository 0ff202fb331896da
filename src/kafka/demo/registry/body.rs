//! What a register or lookup body must hold, and the schema in it checked as the
//! registry checks it (Avro parsed, JSON Schema as JSON, Protobuf compiled, each with
//! what its references name).

use serde_json::Value;

use super::INVALID_SCHEMA;
use super::routes::{Response, error};
use super::store::{Reference, State, StoredSchema, compile_proto};

/// A register or lookup body: `{"schema", "schemaType"?, "references"?}` (other fields,
/// such as `metadata` and `ruleSet`, ignored), the schema checked as the registry would.
pub(super) fn parse_body(state: &State, body: &[u8]) -> Result<StoredSchema, Response> {
    let invalid = || error(422, 42201, INVALID_SCHEMA);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Err(error(400, 400, "HTTP 400 Bad Request"));
    };
    let Some(text) = value.get("schema").and_then(Value::as_str) else {
        return Err(invalid());
    };
    let kind = match value.get("schemaType") {
        None | Some(Value::Null) => "AVRO".to_string(),
        Some(Value::String(kind)) => kind.to_ascii_uppercase(),
        Some(_) => return Err(invalid()),
    };
    if !["AVRO", "PROTOBUF", "JSON"].contains(&kind.as_str()) {
        return Err(invalid());
    }
    let mut references = Vec::new();
    match value.get("references") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = item.get("name").and_then(Value::as_str);
                let subject = item.get("subject").and_then(Value::as_str);
                let version = item.get("version").and_then(Value::as_i64);
                let (Some(name), Some(subject), Some(version)) = (name, subject, version) else {
                    return Err(invalid());
                };
                let version = match version {
                    -1 => state.subjects.get(subject).map_or(0, |v| v.len() as u32),
                    v => u32::try_from(v).unwrap_or(0),
                };
                if state.version(subject, version).is_none() {
                    return Err(invalid());
                }
                references.push(Reference {
                    name: name.to_string(),
                    subject: subject.to_string(),
                    version,
                });
            }
        }
        Some(_) => return Err(invalid()),
    }
    let valid = match kind.as_str() {
        "PROTOBUF" => compile_proto(state, text, &references).is_ok(),
        "JSON" => matches!(
            serde_json::from_str::<Value>(text),
            Ok(Value::Object(_) | Value::Bool(_))
        ),
        // Avro: parsed with the named types its references define.
        _ => state.referenced(&references).is_ok_and(|found| {
            let texts: Vec<String> = found.into_iter().map(|(_, text)| text).collect();
            crate::schema::avro::AvroSchema::parse(text, &texts).is_ok()
        }),
    };
    if !valid {
        return Err(invalid());
    }
    Ok(StoredSchema {
        kind,
        text: text.to_string(),
        references,
    })
}
