//! Schemas: records framed by a schema registry (the Confluent wire format) decoded to
//! JSON, for Avro, Protobuf and JSON Schema.
//!
//! [`Schemas`] fetches each schema id once (with the schemas it references), compiles it
//! and keeps it: a registry never changes what an id means. A schema that could not be
//! had is asked for again after [`RETRY_AFTER`], so a registry that is down costs one
//! deadline per id now and then, not one per record. It blocks: it runs where records are
//! read (the tail's thread), never on the UI task.
//!
//! Like `kafka/`, this knows nothing of the UI.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

pub mod avro;
pub mod protobuf;
pub mod registry;
pub mod wire;

pub use registry::{
    Reference, RegisteredSchema, RegistryClient, RegistryError, RegistrySettings, RegistrySpec,
    SchemaKind, SubjectVersion,
};

use avro::AvroSchema;
use protobuf::ProtoSchema;

/// How long a failed lookup is remembered before the registry is asked again.
pub const RETRY_AFTER: Duration = Duration::from_secs(15);
/// References nest at most this deep, and a schema pulls in at most this many.
const MAX_REFERENCE_DEPTH: usize = 16;
const MAX_REFERENCES: usize = 256;

/// A schema as a record names it: what the detail view and `--format json` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub id: u32,
    pub kind: SchemaKind,
    /// The subjects and versions that hold the id, when the registry says.
    pub holders: Vec<SubjectVersion>,
    /// The schema's text as registered.
    pub text: String,
    pub references: Vec<Reference>,
}

impl SchemaInfo {
    /// The subject that holds the id: `preferred` (the topic's `T-value` or `T-key`, by
    /// the TopicNameStrategy) when it is one of them, else the first.
    pub fn holder(&self, preferred: &str) -> Option<&SubjectVersion> {
        self.holders
            .iter()
            .find(|h| h.subject == preferred)
            .or_else(|| self.holders.first())
    }
}

/// A key or value that was framed with a schema id, decoded (or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The id in the framing.
    pub id: u32,
    /// The schema, when it could be had.
    pub schema: Option<Arc<SchemaInfo>>,
    /// The subject and version holding it (see [`SchemaInfo::holder`]).
    pub subject: Option<String>,
    pub version: Option<i32>,
    /// For Protobuf: the message the framing names, by full name.
    pub message: Option<String>,
    /// The value as JSON text, or why it could not be decoded (in words).
    pub json: Result<String, String>,
}

impl Decoded {
    /// `orders-value v3 · id 17 · AVRO`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(subject) = &self.subject {
            out.push_str(subject);
            if let Some(version) = self.version {
                let _ = write!(out, " v{version}");
            }
            out.push_str(" · ");
        }
        let _ = write!(out, "id {}", self.id);
        if let Some(schema) = &self.schema {
            out.push_str(" · ");
            out.push_str(schema.kind.name());
        }
        out
    }

    /// Bytes held beside the record's own (for the tail's memory bound).
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + match &self.json {
                Ok(text) | Err(text) => text.len(),
            }
            + self.message.as_ref().map_or(0, String::len)
    }
}

/// A schema ready to decode with.
#[derive(Debug)]
pub struct Compiled {
    pub info: Arc<SchemaInfo>,
    codec: Codec,
}

enum Codec {
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

impl Encoder {
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
        match (&self.compiled.codec, &self.message) {
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

/// Finds a JSON Schema's references among the registered ones, by the name they were
/// registered under (the `$ref` text).
struct References(Vec<(String, serde_json::Value)>);

impl jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        self.0
            .iter()
            .find(|(name, _)| wanted == name || wanted.ends_with(&format!("/{name}")))
            .map(|(_, schema)| schema.clone())
            .ok_or_else(|| format!("{wanted} is not among the schema's references").into())
    }
}

impl Compiled {
    /// One framed payload (after magic and id) as JSON, and for Protobuf the message name.
    pub fn decode(&self, payload: &[u8]) -> (Option<String>, Result<String, String>) {
        match &self.codec {
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
                    Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
                        Ok(text.to_string())
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
fn compile(info: Arc<SchemaInfo>, references: &[(String, String)]) -> Result<Compiled, String> {
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
            let validator = jsonschema::options()
                .with_retriever(References(texts))
                .build(&schema)
                .map_err(|e| format!("JSON schema {} is not a valid schema: {e}", info.id))?;
            Codec::Json(Box::new(validator))
        }
    };
    Ok(Compiled { info, codec })
}

/// A cached lookup.
#[derive(Debug, Clone)]
enum Slot {
    Ready(Arc<Compiled>),
    Failed { why: String, at: Instant },
}

/// Schemas from one registry, fetched once per id.
#[derive(Debug)]
pub struct Schemas {
    client: RegistryClient,
    by_id: Mutex<HashMap<u32, Slot>>,
}

impl Schemas {
    pub fn new(settings: &RegistrySettings) -> Result<Self, String> {
        Ok(Self {
            client: RegistryClient::new(settings)?,
            by_id: Mutex::new(HashMap::new()),
        })
    }

    /// The one `Schemas` of this process for these settings (every tail of a cluster
    /// shares the cache).
    pub fn shared(settings: &RegistrySettings) -> Result<Arc<Self>, String> {
        type Registries = Mutex<Vec<(RegistrySettings, Arc<Schemas>)>>;
        static ALL: OnceLock<Registries> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, schemas)) = all.iter().find(|(s, _)| s == settings) {
            return Ok(Arc::clone(schemas));
        }
        let schemas = Arc::new(Self::new(settings)?);
        all.push((settings.clone(), Arc::clone(&schemas)));
        Ok(schemas)
    }

    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The schema with this id, from the cache or the registry.
    pub fn get(&self, id: u32) -> Result<Arc<Compiled>, String> {
        let cached = self
            .by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned();
        match cached {
            Some(Slot::Ready(compiled)) => return Ok(compiled),
            Some(Slot::Failed { why, at }) if at.elapsed() < RETRY_AFTER => return Err(why),
            _ => {}
        }
        let slot = match self.fetch(id) {
            Ok(compiled) => Slot::Ready(Arc::new(compiled)),
            Err(why) => {
                tracing::info!("schema {id}: {why}");
                Slot::Failed {
                    why,
                    at: Instant::now(),
                }
            }
        };
        self.by_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, slot.clone());
        match slot {
            Slot::Ready(compiled) => Ok(compiled),
            Slot::Failed { why, .. } => Err(why),
        }
    }

    fn fetch(&self, id: u32) -> Result<Compiled, String> {
        let registered = self.client.schema_by_id(id).map_err(|e| match e {
            RegistryError::NotFound { .. } => format!("schema {id} not found in the registry"),
            e => format!("schema {id}: {e}"),
        })?;
        // Which subject and version hold it: for the eyes only, so a registry that cannot
        // say (older ones, or no permission) does not stop the decoding.
        let holders = self.client.versions_of_id(id).unwrap_or_default();
        let mut references = Vec::new();
        self.collect_references(&registered.references, 0, &mut references)
            .map_err(|e| format!("schema {id}: {e}"))?;
        let info = Arc::new(SchemaInfo {
            id,
            kind: registered.schema_type,
            holders,
            text: registered.schema,
            references: registered.references,
        });
        compile(info, &references)
    }

    /// The texts of every schema `refs` pull in, dependencies first, by import name.
    fn collect_references(
        &self,
        refs: &[Reference],
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(format!(
                "references nest deeper than {MAX_REFERENCE_DEPTH} levels"
            ));
        }
        for reference in refs {
            if out.iter().any(|(name, _)| *name == reference.name) {
                continue;
            }
            if out.len() >= MAX_REFERENCES {
                return Err(format!("more than {MAX_REFERENCES} references"));
            }
            let found = self
                .client
                .subject_version(&reference.subject, &reference.version.to_string())
                .map_err(|e| {
                    format!(
                        "its reference {} ({} version {}): {e}",
                        reference.name, reference.subject, reference.version
                    )
                })?;
            self.collect_references(&found.references, depth + 1, out)?;
            out.push((reference.name.clone(), found.schema));
        }
        Ok(())
    }

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
        let message = match &compiled.codec {
            Codec::Protobuf(schema) => {
                let message = schema.find(choice.message.as_deref())?;
                let indexes = schema.indexes_of(&message);
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

    /// Decodes a key or value when it is framed; `None` when it is not. `subject` is the
    /// one the topic's records would use (`T-value`, `T-key`), to name the schema by.
    pub fn decode(&self, bytes: &[u8], subject: &str) -> Option<Decoded> {
        let (id, payload) = wire::split(bytes)?;
        Some(match self.get(id) {
            Ok(compiled) => {
                let (message, json) = compiled.decode(payload);
                let holder = compiled.info.holder(subject);
                Decoded {
                    id,
                    subject: holder.map(|h| h.subject.clone()),
                    version: holder.map(|h| h.version),
                    schema: Some(Arc::clone(&compiled.info)),
                    message,
                    json,
                }
            }
            Err(why) => Decoded {
                id,
                schema: None,
                subject: None,
                version: None,
                message: None,
                json: Err(why),
            },
        })
    }
}
