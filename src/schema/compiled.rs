//! A registry schema compiled for its kind: Avro, Protobuf or JSON Schema, and the
//! decoding of one framed payload with it.

use std::sync::Arc;

use super::SchemaInfo;
use super::avro::AvroSchema;
use super::avro::MAX_DEPTH;
use super::json_text::{compact, nesting_exceeds};
use super::protobuf::ProtoSchema;
use super::registry::SchemaKind;
use super::wire;

/// A schema ready to decode with (cheap to clone: the codec is shared).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub info: Arc<SchemaInfo>,
    pub(super) codec: Arc<Codec>,
}

pub(super) enum Codec {
    Avro(AvroSchema),
    Protobuf(ProtoSchema),
    Json(Box<jsonschema::Validator>),
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Avro(schema) => schema.fmt(f),
            Self::Protobuf(schema) => schema.fmt(f),
            Self::Json(_) => f.write_str("JsonSchema"),
        }
    }
}

/// Finds a JSON Schema's references among the registered ones, by the name they were
/// registered under (the `$ref` text).
struct References(Vec<(String, serde_json::Value)>);

impl jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        find_reference(&self.0, wanted)
            .cloned()
            .ok_or_else(|| format!("{wanted} is not among the schema's references").into())
    }
}

/// The reference a `$ref` names. The `$ref` arrives resolved against its schema's base
/// (`json-schema:///address.json`, `https://example.com/schemas/address.json`): the name
/// it was registered under is the whole URI, or its end after a `/` (leading `./` and
/// `../` dropped: they were resolved away). The longest such name wins, so
/// `billing/address.json` is not taken for `address.json`.
fn find_reference<'a>(
    references: &'a [(String, serde_json::Value)],
    wanted: &str,
) -> Option<&'a serde_json::Value> {
    references
        .iter()
        .filter_map(|(name, schema)| {
            if wanted == name {
                return Some((usize::MAX, schema));
            }
            let mut path = name.as_str();
            while let Some(rest) = path.strip_prefix("./").or_else(|| path.strip_prefix("../")) {
                path = rest;
            }
            let matches = !path.is_empty()
                && wanted
                    .strip_suffix(path)
                    .is_some_and(|before| before.ends_with('/'));
            matches.then_some((path.len(), schema))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, schema)| schema)
}

impl Compiled {
    /// One framed payload (after magic and id) as JSON, and for Protobuf the message name.
    pub fn decode(&self, payload: &[u8]) -> (Option<String>, Result<String, String>) {
        match &*self.codec {
            Codec::Avro(schema) => (
                None,
                schema
                    .to_json(payload)
                    .map_err(|e| format!("does not match Avro schema {}: {e}", self.info.id)),
            ),
            Codec::Protobuf(schema) => {
                let (indexes, message) = match wire::message_indexes(payload) {
                    Ok(split) => split,
                    Err(e) => return (None, Err(e)),
                };
                let descriptor = match schema.message(&indexes) {
                    Ok(d) => d,
                    Err(e) => return (None, Err(format!("schema {}: {e}", self.info.id))),
                };
                (
                    Some(descriptor.full_name().to_string()),
                    ProtoSchema::to_json(&descriptor, message),
                )
            }
            Codec::Json(_) => (
                None,
                match std::str::from_utf8(payload) {
                    // (Checked before parsing: serde_json's own limit says less.)
                    Ok(_) if nesting_exceeds(payload, MAX_DEPTH) => {
                        Err(format!("nested deeper than {MAX_DEPTH} levels"))
                    }
                    // One line, whatever the writer's layout: NDJSON stays one record a line.
                    Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
                        Ok(compact(text))
                    }
                    _ => Err(format!(
                        "not JSON after the framing of JSON schema {}",
                        self.info.id
                    )),
                },
            ),
        }
    }
}

/// Compiles a registered schema whose references' texts are given by import name.
pub(super) fn compile(
    info: Arc<SchemaInfo>,
    references: &[(String, String)],
) -> Result<Compiled, String> {
    let codec = match info.kind {
        SchemaKind::Avro => {
            let texts: Vec<String> = references.iter().map(|(_, t)| t.clone()).collect();
            Codec::Avro(
                AvroSchema::parse(&info.text, &texts)
                    .map_err(|e| format!("Avro schema {} does not parse: {e}", info.id))?,
            )
        }
        SchemaKind::Protobuf => Codec::Protobuf(
            ProtoSchema::compile(&info.text, references)
                .map_err(|e| format!("schema {}: {e}", info.id))?,
        ),
        SchemaKind::Json => {
            let schema: serde_json::Value = serde_json::from_str(&info.text)
                .map_err(|e| format!("JSON schema {} is not JSON: {e}", info.id))?;
            let mut texts = Vec::new();
            for (name, text) in references {
                let value = serde_json::from_str(text)
                    .map_err(|e| format!("JSON schema {}: its reference {name}: {e}", info.id))?;
                texts.push((name.clone(), value));
            }
            let names: Vec<&str> = references.iter().map(|(name, _)| name.as_str()).collect();
            let validator = jsonschema::options()
                .with_retriever(References(texts))
                .build(&schema)
                .map_err(|e| match e.kind() {
                    // (jsonschema's own words here say "No base URI is available".)
                    jsonschema::error::ValidationErrorKind::Referencing(
                        jsonschema::ReferencingError::Unretrievable { uri, .. },
                    ) => format!(
                        "JSON schema {}: its $ref {uri:?} names none of its references ({})",
                        info.id,
                        if names.is_empty() {
                            "it has none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                    _ => format!("JSON schema {} is not a valid schema: {e}", info.id),
                })?;
            Codec::Json(Box::new(validator))
        }
    };
    Ok(Compiled {
        info,
        codec: Arc::new(codec),
    })
}
