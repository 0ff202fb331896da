//! The registry's contents: schemas by global id, each subject's versions, the
//! compatibility levels; and Protobuf schemas compiled with their references (protox), to
//! check a registered `.proto` and to answer `?format=serialized`.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use prost::Message as _;

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

/// The descriptor bytes when `text` is base64 (`.proto` source always has spaces or `;`).
pub fn as_descriptor(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains(';') {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// The files a compilation may open: the schema, its references (transitively) by import
/// name, and the well-known types.
struct ProtoFiles {
    files: HashMap<String, String>,
    google: protox::file::GoogleFileResolver,
}

impl protox::file::FileResolver for ProtoFiles {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        let Some(text) = self.files.get(name) else {
            return self.google.open_file(name);
        };
        match as_descriptor(text) {
            Some(bytes) => {
                let file = protox::file::File::decode_file_descriptor_proto(bytes.as_slice())
                    .map_err(|e| protox::Error::new(format!("{name}: {e}")))?;
                let mut proto = file.file_descriptor_proto().clone();
                proto.name = Some(name.to_string());
                Ok(protox::file::File::from_file_descriptor_proto(proto))
            }
            None => protox::file::File::from_source(name, text),
        }
    }
}

/// Compiles a Protobuf schema with its references; its `FileDescriptorProto`, encoded.
pub fn compile_proto(
    state: &State,
    text: &str,
    references: &[Reference],
) -> Result<Vec<u8>, String> {
    const MAIN: &str = "registry_schema.proto";
    let mut files = HashMap::new();
    let mut pending: Vec<Reference> = references.to_vec();
    while let Some(r) = pending.pop() {
        if files.contains_key(&r.name) {
            continue;
        }
        let schema = state
            .version(&r.subject, r.version)
            .and_then(|id| state.schema(id))
            .ok_or_else(|| format!("reference {} version {} not found", r.subject, r.version))?;
        pending.extend(schema.references.iter().cloned());
        files.insert(r.name.clone(), schema.text.clone());
    }
    files.insert(MAIN.to_string(), text.to_string());
    let mut compiler = protox::Compiler::with_file_resolver(ProtoFiles {
        files,
        google: protox::file::GoogleFileResolver::new(),
    });
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
