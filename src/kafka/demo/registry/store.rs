//! The registry's contents: schemas by global id, each subject's versions, the
//! compatibility levels; and Protobuf schemas compiled with their references (protox), to
//! check a registered `.proto` and to answer `?format=serialized`.

use std::collections::{BTreeMap, HashMap};

use prost::Message as _;

use crate::schema::protobuf::Files;

/// The compatibility levels the registry accepts.
pub const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

/// A reference from one schema to another subject's version, under an import name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: u32,
}

/// A schema as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub kind: String,
    pub text: String,
    pub references: Vec<Reference>,
}

/// Everything the registry holds.
#[derive(Default)]
pub struct State {
    /// Id `n` is `schemas[n - 1]`.
    pub schemas: Vec<StoredSchema>,
    /// Each subject's versions: version `v` holds schema id `versions[v - 1]`.
    pub subjects: BTreeMap<String, Vec<u32>>,
    /// Subject-level compatibility levels (a subject may have one before any version).
    pub subject_levels: HashMap<String, String>,
    pub global_level: String,
}

impl State {
    /// An empty registry at the default compatibility level.
    pub fn new() -> Self {
        Self {
            global_level: super::DEFAULT_COMPATIBILITY.to_string(),
            ..Self::default()
        }
    }

    pub fn schema(&self, id: u32) -> Option<&StoredSchema> {
        self.schemas.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    /// The schema id a subject's version holds.
    pub fn version(&self, subject: &str, version: u32) -> Option<u32> {
        let versions = self.subjects.get(subject)?;
        versions
            .get(usize::try_from(version).ok()?.checked_sub(1)?)
            .copied()
    }

    /// The schemas `references` name, and those they name in turn, by import name:
    /// `(name, text)`.
    pub fn referenced(&self, references: &[Reference]) -> Result<Vec<(String, String)>, String> {
        let mut found: Vec<(String, String)> = Vec::new();
        let mut pending = references.to_vec();
        while let Some(r) = pending.pop() {
            if found.iter().any(|(name, _)| *name == r.name) {
                continue;
            }
            let schema = self
                .version(&r.subject, r.version)
                .and_then(|id| self.schema(id))
                .ok_or_else(|| {
                    format!("reference {} version {} not found", r.subject, r.version)
                })?;
            pending.extend(schema.references.iter().cloned());
            found.push((r.name.clone(), schema.text.clone()));
        }
        Ok(found)
    }

    /// Adds a schema under a subject: its existing id (and version) when it is already
    /// known, a new id otherwise; a new version only when the subject does not hold it.
    pub fn register(&mut self, subject: &str, schema: StoredSchema) -> (u32, u32) {
        let id = if let Some(index) = self.schemas.iter().position(|s| *s == schema) {
            index as u32 + 1
        } else {
            self.schemas.push(schema);
            self.schemas.len() as u32
        };
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let version = if let Some(index) = versions.iter().position(|v| *v == id) {
            index as u32 + 1
        } else {
            versions.push(id);
            versions.len() as u32
        };
        (id, version)
    }
}

// ---- Protobuf ------------------------------------------------------------------------------

/// Compiles a Protobuf schema with its references; its `FileDescriptorProto`, encoded.
pub fn compile_proto(
    state: &State,
    text: &str,
    references: &[Reference],
) -> Result<Vec<u8>, String> {
    const MAIN: &str = "registry_schema.proto";
    let mut files: HashMap<String, String> = state.referenced(references)?.into_iter().collect();
    files.insert(MAIN.to_string(), text.to_string());
    let mut compiler = protox::Compiler::with_file_resolver(Files::new(files));
    compiler.open_file(MAIN).map_err(|e| e.to_string())?;
    let set = compiler.file_descriptor_set();
    let file = set
        .file
        .iter()
        .find(|f| f.name() == MAIN)
        .ok_or_else(|| "compiled to nothing".to_string())?;
    Ok(file.encode_to_vec())
}

// ---- text ----------------------------------------------------------------------------------

pub fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}
