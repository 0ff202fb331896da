//! Protobuf: a registry schema (`.proto` text, or the base64 `FileDescriptorProto` some
//! clients register) and its imports compiled in-process by protox (no `protoc`), the
//! well-known types included; messages decoded by reflection (prost-reflect) to the
//! canonical Protobuf JSON mapping (lowerCamelCase names, 64-bit integers as strings,
//! enum names, defaults left out), as `JsonFormat` and `MessageToJson` print them.

use std::collections::HashMap;

use base64::Engine as _;
use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor, MessageDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver};

/// A compiled schema: its file, and the pool holding its imports.
#[derive(Debug)]
pub struct ProtoSchema {
    file: FileDescriptor,
}

/// The files a schema's compilation may open: the schema itself and its references by
/// import name (`.proto` source or base64 descriptors); anything else is a well-known
/// type or missing.
pub(crate) struct Files {
    files: HashMap<String, String>,
    google: GoogleFileResolver,
}

impl Files {
    pub(crate) fn new(files: HashMap<String, String>) -> Self {
        Self {
            files,
            google: GoogleFileResolver::new(),
        }
    }
}

/// A file's text: `.proto` source, or a base64 `FileDescriptorProto`.
fn open(name: &str, text: &str) -> Result<File, protox::Error> {
    if let Some(descriptor) = as_descriptor(text) {
        let mut file = File::decode_file_descriptor_proto(descriptor.as_slice())
            .map_err(|e| protox::Error::new(format!("{name}: {e}")))?;
        if file.name().is_empty() || file.name() != name {
            // Compile it under the name it is imported by.
            let mut proto = file.file_descriptor_proto().clone();
            proto.name = Some(name.to_string());
            file = File::from_file_descriptor_proto(proto);
        }
        return Ok(file);
    }
    File::from_source(name, text)
}

/// The descriptor bytes when `text` is base64 (a `.proto` file always has spaces).
pub(crate) fn as_descriptor(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains(';') {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(text) => open(name, text),
            None => self.google.open_file(name),
        }
    }
}

impl ProtoSchema {
    /// Compiles a schema: `main` is its text, `imports` the referenced files by import name.
    pub fn compile(main: &str, imports: &[(String, String)]) -> Result<Self, String> {
        let mut files: HashMap<String, String> = imports.iter().cloned().collect();
        // Under its own name when it is a descriptor that has one.
        let main_name = as_descriptor(main)
            .and_then(|d| {
                File::decode_file_descriptor_proto(d.as_slice())
                    .ok()
                    .map(|f| f.name().to_string())
            })
            .filter(|n| !n.is_empty() && !files.contains_key(n))
            .unwrap_or_else(|| "ktui_registry_schema.proto".to_string());
        files.insert(main_name.clone(), main.to_string());
        let mut compiler = protox::Compiler::with_file_resolver(Files::new(files));
        compiler.include_imports(true);
        compiler
            .open_file(&main_name)
            .map_err(|e| format!("the Protobuf schema does not compile: {e}"))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(&main_name)
            .ok_or_else(|| "the Protobuf schema compiled to nothing".to_string())?;
        if file.messages().len() == 0 {
            return Err("the Protobuf schema defines no message".into());
        }
        Ok(Self { file })
    }

    /// The message the framing's indexes name (`[0]`: the file's first message).
    pub fn message(&self, indexes: &[i32]) -> Result<MessageDescriptor, String> {
        let wrong = || {
            format!(
                "message indexes {indexes:?} name no message of the schema (it defines {})",
                self.file
                    .messages()
                    .map(|m| m.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut path = indexes.iter().map(|i| usize::try_from(*i).ok());
        let first = path.next().flatten().ok_or_else(wrong)?;
        let mut message = self.file.messages().nth(first).ok_or_else(wrong)?;
        for index in path {
            let index = index.ok_or_else(wrong)?;
            let child = message.child_messages().nth(index);
            message = child.ok_or_else(wrong)?;
        }
        Ok(message)
    }

    /// Every message type the file defines, nested ones too, by full name.
    pub fn message_names(&self) -> Vec<String> {
        fn walk(m: &MessageDescriptor, out: &mut Vec<String>) {
            if !m.is_map_entry() {
                out.push(m.full_name().to_string());
            }
            for child in m.child_messages() {
                walk(&child, out);
            }
        }
        let mut out = Vec::new();
        for m in self.file.messages() {
            walk(&m, &mut out);
        }
        out
    }

    /// A message type by full name (`shop.Order`) or, when that is unambiguous, by its
    /// own name (`Order`); `None` picks the file's first message, as the registry does.
    pub fn find(&self, name: Option<&str>) -> Result<MessageDescriptor, String> {
        let names = self.message_names();
        let Some(name) = name else {
            return self.message(&[0]);
        };
        let wanted = name.trim_start_matches('.');
        // A full name wins over the ends of longer ones.
        let exact: Vec<&String> = names.iter().filter(|n| *n == wanted).collect();
        let matching: Vec<&String> = if exact.is_empty() {
            names
                .iter()
                .filter(|n| n.ends_with(&format!(".{wanted}")))
                .collect()
        } else {
            exact
        };
        match matching.as_slice() {
            [one] => self
                .file
                .parent_pool()
                .get_message_by_name(one)
                .ok_or_else(|| format!("no message {one}")),
            [] => Err(format!(
                "the schema has no message {name:?} (it has: {})",
                names.join(", ")
            )),
            many => Err(format!(
                "{name:?} names several messages ({}): give the full name",
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// JSON (the canonical Protobuf mapping; field names as in the .proto accepted too) as
    /// the message's bytes; a refusal names the offending field's path.
    pub fn from_json(message: &MessageDescriptor, json: &str) -> Result<Vec<u8>, String> {
        use prost::Message as _;
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
        let decoded = DynamicMessage::deserialize_with_options(
            message.clone(),
            tracked,
            &prost_reflect::DeserializeOptions::new(),
        )
        .map_err(|e| {
            let path = track.path().to_string();
            let problem = e.to_string();
            if path.is_empty() || path == "." {
                format!("the value: {problem}")
            } else {
                format!(".{path}: {problem}")
            }
        })?;
        deserializer.end().map_err(|e| format!("the value: {e}"))?;
        Ok(decoded.encode_to_vec())
    }

    /// A message's bytes (after the framing and indexes) as canonical Protobuf JSON.
    pub fn to_json(message: &MessageDescriptor, bytes: &[u8]) -> Result<String, String> {
        let decoded = DynamicMessage::decode(message.clone(), bytes).map_err(|e| {
            format!(
                "not a valid {} message ({})",
                message.full_name(),
                e.to_string()
                    .trim_start_matches("failed to decode Protobuf message: ")
            )
        })?;
        let mut out = Vec::with_capacity(bytes.len() * 2 + 16);
        let mut serializer = serde_json::Serializer::new(&mut out);
        decoded
            .serialize_with_options(&mut serializer, &prost_reflect::SerializeOptions::new())
            .map_err(|e| format!("{} as JSON: {e}", message.full_name()))?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }
}

/// The message indexes the framing gives a message: its position among its file's
/// messages, then among each enclosing message's nested ones.
pub fn indexes_of(message: &MessageDescriptor) -> Vec<i32> {
    let mut path = Vec::new();
    let mut current = Some(message.clone());
    while let Some(m) = current {
        let index = match m.parent_message() {
            Some(parent) => parent
                .child_messages()
                .position(|s| s.full_name() == m.full_name()),
            None => m
                .parent_file()
                .messages()
                .position(|s| s.full_name() == m.full_name()),
        };
        path.push(i32::try_from(index.unwrap_or(0)).unwrap_or(0));
        current = m.parent_message();
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "common/money.proto";
message Order {
  int64 id = 1;
  string note = 2;
  repeated Line lines = 3;
  google.protobuf.Timestamp at = 4;
  common.Money total = 5;
  message Line { string sku = 1; int32 qty = 2; }
}
message Other { bool ok = 1; }
"#;
    const MONEY: &str = "syntax = \"proto3\"; package common; message Money { string currency = 1; int64 units = 2; }";

    #[test]
    fn compiles_with_imports_and_well_known_types_and_decodes() {
        let schema =
            ProtoSchema::compile(ORDER, &[("common/money.proto".into(), MONEY.into())]).unwrap();
        assert_eq!(
            schema.message_names(),
            ["shop.Order", "shop.Order.Line", "shop.Other"]
        );
        let order = schema.message(&[0]).unwrap();
        assert_eq!(
            schema.message(&[0, 0]).unwrap().full_name(),
            "shop.Order.Line"
        );
        assert_eq!(schema.message(&[1]).unwrap().full_name(), "shop.Other");
        assert!(schema.message(&[2]).is_err());
        // id=7, note="hé", lines=[{sku:"a", qty:2}], at={seconds:1}, total={units: 5}
        let bytes = [
            0x08, 7, 0x12, 3, b'h', 0xc3, 0xa9, 0x1a, 5, 0x0a, 1, b'a', 0x10, 2, 0x22, 2, 0x08, 1,
            0x2a, 2, 0x10, 5,
        ];
        assert_eq!(
            ProtoSchema::to_json(&order, &bytes).unwrap(),
            r#"{"id":"7","note":"hé","lines":[{"sku":"a","qty":2}],"at":"1970-01-01T00:00:01Z","total":{"units":"5"}}"#
        );
        assert!(ProtoSchema::to_json(&order, &[0x12, 9, b'x']).is_err());
    }

    #[test]
    fn a_missing_import_or_bad_text_is_an_error() {
        let err = ProtoSchema::compile(ORDER, &[]).unwrap_err();
        assert!(err.contains("common/money.proto"), "{err}");
        assert!(ProtoSchema::compile("message {", &[]).is_err());
    }

    #[test]
    fn a_base64_descriptor_compiles_too() {
        use prost::Message as _;
        let text = ProtoSchema::compile(MONEY, &[]).unwrap();
        let proto = text.file.file_descriptor_proto().encode_to_vec();
        let b64 = base64::engine::general_purpose::STANDARD.encode(proto);
        let schema = ProtoSchema::compile(&b64, &[]).unwrap();
        assert_eq!(schema.message_names(), ["common.Money"]);
    }
}
