//! Protobuf without a registry: `.proto` files given on the command line
//! (`--proto-file`, imports found along `--proto-path`), compiled in-process by protox (no
//! `protoc`), the well-known types included. Values (and keys, with `--key-proto-type`)
//! are read as the named message type: raw Protobuf, or Confluent-framed (a raw message
//! never starts with a 0 byte: field number 0 does not exist, so a leading 0 is the
//! framing's magic byte). Writing gives raw Protobuf, or framed with a given schema id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use prost_reflect::{DescriptorPool, MessageDescriptor};

use super::protobuf::{ProtoSchema, indexes_of};
use super::registry::SchemaKind;
use super::{Decoded, SchemaInfo, wire};

/// What the command line says: the files, where imports are found, the message types.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProtoSpec {
    pub files: Vec<PathBuf>,
    pub include: Vec<PathBuf>,
    /// The values' message type (`pkg.Message`, or its own name when unambiguous).
    pub value_type: Option<String>,
    /// The keys' message type.
    pub key_type: Option<String>,
}

impl ProtoSpec {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The compiled files and the chosen message types.
#[derive(Debug)]
pub struct LocalProto {
    value: Option<Typed>,
    key: Option<Typed>,
}

#[derive(Debug)]
struct Typed {
    message: MessageDescriptor,
    /// Shown as the record's schema.
    info: Arc<SchemaInfo>,
}

/// A message type by full name, or by the end of it (`Order`, `Order.Ref`) when only one
/// message's name ends so.
fn find(pool: &DescriptorPool, name: &str) -> Result<MessageDescriptor, String> {
    let wanted = name.trim_start_matches('.');
    if let Some(found) = pool.get_message_by_name(wanted) {
        return Ok(found);
    }
    let matching: Vec<MessageDescriptor> = pool
        .all_messages()
        .filter(|m| m.full_name().ends_with(&format!(".{wanted}")) && !m.is_map_entry())
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let mut known: Vec<String> = pool
                .all_messages()
                .filter(|m| !m.is_map_entry() && !m.full_name().starts_with("google.protobuf."))
                .map(|m| m.full_name().to_string())
                .collect();
            known.sort();
            Err(format!(
                "no message type {name:?} in the .proto files (they define: {})",
                known.join(", ")
            ))
        }
        many => Err(format!(
            "{name:?} names several message types ({}): give the full name",
            many.iter()
                .map(|m| m.full_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl LocalProto {
    /// Compiles the files. Errors name the file, line and column, or the missing type.
    pub fn compile(spec: &ProtoSpec) -> Result<Self, String> {
        if spec.value_type.is_none() && spec.key_type.is_none() {
            return Err(
                "--proto-file needs --proto-type (the values' message type) or \
                        --key-proto-type"
                    .into(),
            );
        }
        // Imports are looked up along --proto-path, then beside each file.
        let mut include: Vec<PathBuf> = spec.include.clone();
        for file in &spec.files {
            let dir = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            if !include.contains(&dir) {
                include.push(dir);
            }
        }
        for file in &spec.files {
            if !file.is_file() {
                return Err(format!("--proto-file {}: no such file", file.display()));
            }
        }
        let mut compiler =
            protox::Compiler::new(&include).map_err(|e| format!("--proto-path: {e}"))?;
        compiler.include_imports(true);
        compiler
            .open_files(&spec.files)
            .map_err(|e| format!("the .proto files do not compile: {e}"))?;
        let pool = compiler.descriptor_pool();
        let typed = |name: &Option<String>| -> Result<Option<Typed>, String> {
            let Some(name) = name else {
                return Ok(None);
            };
            let message = find(&pool, name)?;
            let file = message.parent_file();
            let info = Arc::new(SchemaInfo {
                id: 0,
                kind: SchemaKind::Protobuf,
                holders: Vec::new(),
                text: spec
                    .files
                    .iter()
                    .find(|f| f.ends_with(file.name()))
                    .and_then(|f| std::fs::read_to_string(f).ok())
                    .unwrap_or_default(),
                references: Vec::new(),
                file: Some(file.name().to_string()),
            });
            Ok(Some(Typed { message, info }))
        };
        Ok(Self {
            value: typed(&spec.value_type)?,
            key: typed(&spec.key_type)?,
        })
    }

    /// The one `LocalProto` of this process for this spec.
    pub fn shared(spec: &ProtoSpec) -> Result<Arc<Self>, String> {
        type Compiled = Mutex<HashMap<String, Arc<LocalProto>>>;
        static ALL: OnceLock<Compiled> = OnceLock::new();
        let key = format!("{spec:?}");
        let mut all = ALL
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = all.get(&key) {
            return Ok(Arc::clone(found));
        }
        let compiled = Arc::new(Self::compile(spec)?);
        all.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    pub fn value_type(&self) -> Option<&str> {
        self.value.as_ref().map(|t| t.message.full_name())
    }

    pub fn key_type(&self) -> Option<&str> {
        self.key.as_ref().map(|t| t.message.full_name())
    }

    /// A value read as the values' type (`None` without one).
    pub fn decode_value(&self, bytes: &[u8]) -> Option<Decoded> {
        self.value.as_ref().map(|t| decode(t, bytes))
    }

    /// A key read as the keys' type (`None` without one).
    pub fn decode_key(&self, bytes: &[u8]) -> Option<Decoded> {
        self.key.as_ref().map(|t| decode(t, bytes))
    }

    /// JSON as a value of the values' type: raw Protobuf, or framed with `id`.
    pub fn encode_value(&self, json: &[u8], id: Option<u32>) -> Option<Result<Vec<u8>, String>> {
        self.value.as_ref().map(|t| encode(t, json, id))
    }

    /// JSON as a key of the keys' type: raw Protobuf, or framed with `id`.
    pub fn encode_key(&self, json: &[u8], id: Option<u32>) -> Option<Result<Vec<u8>, String>> {
        self.key.as_ref().map(|t| encode(t, json, id))
    }
}

fn decode(typed: &Typed, bytes: &[u8]) -> Decoded {
    let (id, json) = match wire::split(bytes) {
        // Framed: skip the header and the message indexes (the type is the one given).
        Some((id, payload)) => (
            Some(id),
            wire::message_indexes(payload)
                .and_then(|(_, message)| ProtoSchema::to_json(&typed.message, message)),
        ),
        None => (None, ProtoSchema::to_json(&typed.message, bytes)),
    };
    Decoded {
        id,
        schema: Some(Arc::clone(&typed.info)),
        subject: None,
        version: None,
        message: Some(typed.message.full_name().to_string()),
        json,
    }
}

fn encode(typed: &Typed, json: &[u8], id: Option<u32>) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(json).map_err(|_| "not UTF-8 text".to_string())?;
    let body = ProtoSchema::from_json(&typed.message, text)?;
    Ok(match id {
        Some(id) => wire::frame(id, Some(&indexes_of(&typed.message)), &body),
        None => body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> (tempfile::TempDir, ProtoSpec) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("common")).unwrap();
        std::fs::write(
            dir.path().join("common/money.proto"),
            "syntax = \"proto3\"; package common; message Money { string currency = 1; int64 units = 2; }",
        )
        .unwrap();
        let order = dir.path().join("order.proto");
        std::fs::write(
            &order,
            "syntax = \"proto3\"; package shop; import \"common/money.proto\";\n\
             import \"google/protobuf/timestamp.proto\";\n\
             message Order { string id = 1; common.Money total = 2; \
             google.protobuf.Timestamp at = 3; message Line { string sku = 1; } repeated Line lines = 4; }",
        )
        .unwrap();
        let spec = ProtoSpec {
            files: vec![order],
            include: vec![],
            value_type: Some("Order".into()),
            key_type: Some("shop.Order.Line".into()),
        };
        (dir, spec)
    }

    #[test]
    fn raw_and_framed_messages_decode_and_encode() {
        let (_dir, spec) = files();
        let local = LocalProto::compile(&spec).unwrap();
        assert_eq!(local.value_type(), Some("shop.Order"));
        let json = br#"{"id":"o-1","total":{"currency":"EUR","units":"5"},"at":"2024-05-01T13:45:00Z","lines":[{"sku":"a"}]}"#;
        let raw = local.encode_value(json, None).unwrap().unwrap();
        let decoded = local.decode_value(&raw).unwrap();
        assert_eq!(decoded.json.as_deref().unwrap().as_bytes(), json);
        assert_eq!(decoded.id, None);
        let framed = local.encode_value(json, Some(42)).unwrap().unwrap();
        assert_eq!(&framed[..6], &[0, 0, 0, 0, 42, 0]);
        let decoded = local.decode_value(&framed).unwrap();
        assert_eq!(decoded.json.as_deref().unwrap().as_bytes(), json);
        assert_eq!(decoded.id, Some(42));
        // A nested type's framing names its path: Order (0), then Line (0).
        let key = local
            .encode_key(br#"{"sku":"x"}"#, Some(1))
            .unwrap()
            .unwrap();
        assert_eq!(&key[5..8], &[4, 0, 0]);
        let err = local
            .encode_value(br#"{"total":{"units":"x"}}"#, None)
            .unwrap()
            .unwrap_err();
        assert!(err.starts_with(".total.units: "), "{err}");
        assert!(
            local
                .decode_value(&[0x0a, 0x09, b'x'])
                .unwrap()
                .json
                .is_err()
        );
    }

    #[test]
    fn mistakes_are_said_in_words() {
        let (_dir, mut spec) = files();
        spec.value_type = Some("Nope".into());
        let err = LocalProto::compile(&spec).unwrap_err();
        assert!(
            err.contains("no message type \"Nope\"") && err.contains("shop.Order"),
            "{err}"
        );
        spec.value_type = None;
        spec.key_type = None;
        assert!(
            LocalProto::compile(&spec)
                .unwrap_err()
                .contains("--proto-type")
        );
        spec.value_type = Some("Order".into());
        spec.files = vec![PathBuf::from("/nonexistent/x.proto")];
        assert!(
            LocalProto::compile(&spec)
                .unwrap_err()
                .contains("no such file")
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.proto");
        std::fs::write(&bad, "syntax = \"proto3\";\nmessage M { strin x = 1; }").unwrap();
        spec.files = vec![bad];
        let err = LocalProto::compile(&spec).unwrap_err();
        assert!(err.contains("do not compile"), "{err}");
    }
}
