//! Writing JSON as framed records of a registry schema, as the Confluent serializers
//! write them.

use std::fmt::Write as _;
use std::sync::Arc;

use super::Schemas;
use super::compiled::{Codec, Compiled};
use super::protobuf::ProtoSchema;
use super::registry::RegistryError;
use super::wire;

/// Which schema to write with: a subject's version (`None`: its latest) or an id; for
/// Protobuf, which message of the file (`None`: its first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChoice {
    pub subject: Option<String>,
    pub version: Option<i32>,
    pub id: Option<u32>,
    pub message: Option<String>,
}

/// Writes JSON as framed records of one schema, as the Confluent serializers frame them.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub compiled: Arc<Compiled>,
    /// Protobuf: the message written, and its indexes in the framing.
    message: Option<(prost_reflect::MessageDescriptor, Vec<i32>)>,
    /// The subject and version it was chosen by, for messages.
    pub subject: Option<(String, i32)>,
}

impl PartialEq for Encoder {
    fn eq(&self, other: &Self) -> bool {
        self.compiled.info == other.compiled.info
            && self.subject == other.subject
            && self.message.as_ref().map(|(m, i)| (m.full_name(), i))
                == other.message.as_ref().map(|(m, i)| (m.full_name(), i))
    }
}

impl Eq for Encoder {}

impl SchemaChoice {
    /// The Compose tab's Schema field: `SUBJECT` (its latest version), `SUBJECT@VERSION`,
    /// or a schema id; for Protobuf a message type after a space (`orders-value Order`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return Err("no schema given".into());
        };
        let message = words.next().map(str::to_string);
        if let Some(extra) = words.next() {
            return Err(format!(
                "{extra:?}: give SUBJECT, SUBJECT@VERSION or an id, then a Protobuf message type"
            ));
        }
        if let Ok(id) = first.parse::<u32>() {
            return Ok(Self {
                subject: None,
                version: None,
                id: Some(id),
                message,
            });
        }
        let (subject, version) = match first.rsplit_once('@') {
            Some((subject, "latest")) => (subject, None),
            Some((subject, version)) => (
                subject,
                Some(
                    version
                        .parse::<i32>()
                        .map_err(|_| format!("version {version:?}: a number, or latest"))?,
                ),
            ),
            None => (first, None),
        };
        Ok(Self {
            subject: Some(subject.to_string()),
            version,
            id: None,
            message,
        })
    }
}

impl Encoder {
    /// An encoder for a schema given whole (no references): what a registry would
    /// answer for `id`, under `subject` at `version`.
    pub fn for_schema(
        id: u32,
        kind: super::SchemaKind,
        text: &str,
        subject: Option<(String, i32)>,
        message: Option<&str>,
    ) -> Result<Self, String> {
        let info = Arc::new(super::SchemaInfo {
            id,
            kind,
            holders: Vec::new(),
            text: text.to_string(),
            references: Vec::new(),
            file: None,
        });
        let compiled = Arc::new(super::compile(info, &[])?);
        let message = match &*compiled.codec {
            Codec::Protobuf(schema) => {
                let message = schema.find(message)?;
                let indexes = super::protobuf::indexes_of(&message);
                Some((message, indexes))
            }
            _ => None,
        };
        Ok(Self {
            compiled,
            message,
            subject,
        })
    }

    /// A value the schema accepts as compact JSON text, every field present in the
    /// schema's order (timestamps at `now`): what Compose fills an empty value with once
    /// the schema is chosen.
    pub fn example(&self, now: jiff::Timestamp) -> Option<String> {
        super::example::of(&self.compiled, self.message.as_ref().map(|(m, _)| m), now)
    }

    /// Protobuf: the full name of the message written.
    pub fn message_name(&self) -> Option<String> {
        self.message
            .as_ref()
            .map(|(m, _)| m.full_name().to_string())
    }

    /// `orders-value v3 · id 17 · AVRO`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some((subject, version)) = &self.subject {
            let _ = write!(out, "{subject} v{version} · ");
        }
        let _ = write!(
            out,
            "id {} · {}",
            self.compiled.info.id,
            self.compiled.info.kind.name()
        );
        if let Some((message, _)) = &self.message {
            let _ = write!(out, " · {}", message.full_name());
        }
        out
    }

    /// JSON text as a framed record; a refusal says why, naming the offending field's
    /// path (`.lines[2].qty: expected an int, got "x"`).
    pub fn encode(&self, json: &[u8]) -> Result<Vec<u8>, String> {
        let text = std::str::from_utf8(json).map_err(|_| "not UTF-8 text".to_string())?;
        let id = self.compiled.info.id;
        match (&*self.compiled.codec, &self.message) {
            (Codec::Avro(schema), _) => {
                let value = parse_json(text)?;
                Ok(wire::frame(id, None, &schema.from_json(&value)?))
            }
            (Codec::Protobuf(_), Some((message, indexes))) => Ok(wire::frame(
                id,
                Some(indexes),
                &ProtoSchema::from_json(message, text)?,
            )),
            (Codec::Protobuf(_), None) => Err("no Protobuf message chosen".into()),
            (Codec::Json(validator), _) => {
                let value = parse_json(text)?;
                let problems: Vec<String> = validator
                    .iter_errors(&value)
                    .take(3)
                    .map(|e| format!("{}: {e}", json_path(e.instance_path().as_str())))
                    .collect();
                if problems.is_empty() {
                    Ok(wire::frame(id, None, text.trim().as_bytes()))
                } else {
                    Err(problems.join("; "))
                }
            }
        }
    }
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

/// A JSON pointer (`/lines/2/qty`) as jq's path (`.lines[2].qty`); the root is "the value".
fn json_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the value".to_string();
    }
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.parse::<usize>().is_ok() {
            let _ = write!(out, "[{part}]");
        } else if part.chars().all(|c| c.is_alphanumeric() || c == '_') {
            let _ = write!(out, ".{part}");
        } else {
            let _ = write!(out, "[{part:?}]");
        }
    }
    out
}

impl Schemas {
    /// An encoder for the chosen schema (fetched once, like any id).
    pub fn encoder(&self, choice: &SchemaChoice) -> Result<Encoder, String> {
        let (id, subject) = match (&choice.id, &choice.subject) {
            (Some(id), _) => (*id, None),
            (None, Some(subject)) => {
                let version = choice
                    .version
                    .map_or_else(|| "latest".to_string(), |v| v.to_string());
                let found =
                    self.client
                        .subject_version(subject, &version)
                        .map_err(|e| match e {
                            RegistryError::NotFound {
                                code: Some(40401), ..
                            } => {
                                format!("subject {subject:?} not found in the registry")
                            }
                            RegistryError::NotFound {
                                code: Some(40402), ..
                            } => {
                                format!("subject {subject:?} has no version {version}")
                            }
                            e => format!("subject {subject:?} version {version}: {e}"),
                        })?;
                let id = found
                    .id
                    .ok_or_else(|| format!("the registry gave no id for subject {subject:?}"))?;
                (
                    id,
                    Some((subject.clone(), found.version.unwrap_or_default())),
                )
            }
            (None, None) => return Err("name a subject or a schema id".into()),
        };
        let compiled = self.get(id)?;
        let message = match &*compiled.codec {
            Codec::Protobuf(schema) => {
                let message = schema.find(choice.message.as_deref())?;
                let indexes = super::protobuf::indexes_of(&message);
                Some((message, indexes))
            }
            _ if choice.message.is_some() => {
                return Err(format!(
                    "schema {id} is {}: only a Protobuf schema has messages to choose from",
                    compiled.info.kind.name()
                ));
            }
            _ => None,
        };
        Ok(Encoder {
            compiled,
            message,
            subject,
        })
    }
}
