//! The NDJSON envelope: one JSON object per record, written by `ktui consume --format json`
//! and the Tail tab's export, read back by `ktui produce --format json`.
//!
//! Bytes that are valid UTF-8 are written as text; anything else as base64 with an
//! explicit `*_encoding: "base64"` field, so every record round-trips byte for byte.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::model::{Header, Record, TimestampKind};
use crate::schema::{Decoded, SchemaKind};

/// Key, value and headers as bytes.
pub type Payload = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<Header>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Utf8,
    Base64,
}

impl Encoding {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde passes &self
    fn is_utf8(&self) -> bool {
        *self == Self::Utf8
    }
}

fn utf8() -> Encoding {
    Encoding::Utf8
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeHeader {
    pub key: String,
    pub value: Option<String>,
    #[serde(default = "utf8", skip_serializing_if = "Encoding::is_utf8")]
    pub value_encoding: Encoding,
}

/// One record as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_type: Option<TimestampKind>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default = "utf8", skip_serializing_if = "Encoding::is_utf8")]
    pub key_encoding: Encoding,
    /// A framed key: its schema (or why it could not be had)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<SchemaTag>,
    /// …and the key decoded through it, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_decoded: Option<JsonText>,
    /// `null` is a tombstone.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default = "utf8", skip_serializing_if = "Encoding::is_utf8")]
    pub value_encoding: Encoding,
    /// A framed value: its schema (or why it could not be had)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_schema: Option<SchemaTag>,
    /// …and the value decoded through it, as JSON (`value` keeps the bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_decoded: Option<JsonText>,
    #[serde(default)]
    pub headers: Vec<EnvelopeHeader>,
}

/// Which schema a framed key or value names: `{"id": 17, "type": "AVRO", "subject":
/// "orders-value", "version": 3}`, with `error` when it could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaTag {
    /// `None`: a raw Protobuf message read with a local `.proto` type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SchemaKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    /// A local schema's `.proto` file (`--proto-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Protobuf: the message the framing names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SchemaTag {
    /// The tag and the decoded JSON of a key or value.
    fn of(decoded: Option<&Decoded>) -> (Option<Self>, Option<JsonText>) {
        let Some(decoded) = decoded else {
            return (None, None);
        };
        let schema = decoded.schema.as_deref();
        let tag = Self {
            id: decoded.id,
            kind: schema.map(|s| s.kind),
            subject: decoded.subject.clone(),
            version: decoded.version,
            file: schema.and_then(|s| s.file.clone()),
            message: decoded.message.clone(),
            error: decoded.json.as_ref().err().cloned(),
        };
        (Some(tag), decoded.json.as_ref().ok().cloned().map(JsonText))
    }
}

/// JSON text written into the envelope as JSON (not as a string), its key order kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(pub String);

impl Serialize for JsonText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::value::RawValue::from_string(self.0.clone()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => self.0.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        Ok(Self(raw.get().to_string()))
    }
}

/// Bytes as text when they are UTF-8, else base64.
pub fn encode_bytes(bytes: &[u8]) -> (String, Encoding) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => (BASE64.encode(bytes), Encoding::Base64),
    }
}

pub fn decode_bytes(text: &str, encoding: Encoding) -> Result<Vec<u8>, String> {
    match encoding {
        Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
        Encoding::Base64 => BASE64
            .decode(text)
            .map_err(|e| format!("invalid base64: {e}")),
    }
}

fn encode_optional(bytes: Option<&Vec<u8>>) -> (Option<String>, Encoding) {
    match bytes {
        Some(b) => {
            let (text, encoding) = encode_bytes(b);
            (Some(text), encoding)
        }
        None => (None, Encoding::Utf8),
    }
}

impl Envelope {
    pub fn from_record(topic: &str, record: &Record) -> Self {
        let (key, key_encoding) = encode_optional(record.key.as_ref());
        let (value, value_encoding) = encode_optional(record.value.as_ref());
        let (key_schema, key_decoded) = SchemaTag::of(record.key_schema());
        let (value_schema, value_decoded) = SchemaTag::of(record.value_schema());
        Self {
            topic: Some(topic.to_string()),
            partition: Some(record.partition),
            offset: Some(record.offset),
            timestamp: record.timestamp,
            timestamp_type: Some(record.timestamp_kind),
            key,
            key_encoding,
            key_schema,
            key_decoded,
            value,
            value_encoding,
            value_schema,
            value_decoded,
            headers: record
                .headers
                .iter()
                .map(|h| {
                    let (value, value_encoding) = encode_optional(h.value.as_ref());
                    EnvelopeHeader {
                        key: h.name.clone(),
                        value,
                        value_encoding,
                    }
                })
                .collect(),
        }
    }

    /// The key, value and headers as bytes, as they were consumed.
    pub fn payload(&self) -> Result<Payload, String> {
        let key = self
            .key
            .as_deref()
            .map(|k| decode_bytes(k, self.key_encoding))
            .transpose()
            .map_err(|e| format!("key: {e}"))?;
        let value = self
            .value
            .as_deref()
            .map(|v| decode_bytes(v, self.value_encoding))
            .transpose()
            .map_err(|e| format!("value: {e}"))?;
        let headers = self
            .headers
            .iter()
            .map(|h| {
                Ok(Header {
                    name: h.key.clone(),
                    value: h
                        .value
                        .as_deref()
                        .map(|v| decode_bytes(v, h.value_encoding))
                        .transpose()
                        .map_err(|e| format!("header {:?}: {e}", h.key))?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok((key, value, headers))
    }
}

/// One NDJSON line (no trailing newline) for a record.
pub fn to_line(topic: &str, record: &Record) -> String {
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string(&Envelope::from_record(topic, record)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            partition: 2,
            offset: 41,
            timestamp: Some(1_700_000_000_000),
            timestamp_kind: TimestampKind::CreateTime,
            key: Some(b"user-1".to_vec()),
            value: Some(vec![0xff, 0x00, 0x1b, b'x']),
            headers: vec![
                Header {
                    name: "trace".into(),
                    value: Some(b"abc".to_vec()),
                },
                Header {
                    name: "bin".into(),
                    value: Some(vec![0xc3, 0x28]),
                },
                Header {
                    name: "nil".into(),
                    value: None,
                },
            ],
            schemas: None,
        }
    }

    #[test]
    fn text_stays_text_and_binary_becomes_base64() {
        let line = to_line("sample", &record());
        let json: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json["key"], "user-1");
        assert!(json.get("key_encoding").is_none());
        assert_eq!(json["value_encoding"], "base64");
        assert_eq!(json["headers"][0]["value"], "abc");
        assert_eq!(json["headers"][1]["value_encoding"], "base64");
        assert_eq!(json["headers"][2]["value"], serde_json::Value::Null);
        assert_eq!(json["timestamp_type"], "create_time");
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let original = record();
        let back: Envelope = serde_json::from_str(&to_line("sample", &original)).unwrap();
        let (key, value, headers) = back.payload().unwrap();
        assert_eq!(key, original.key);
        assert_eq!(value, original.value);
        assert_eq!(headers, original.headers);
        let tombstone = Record {
            value: None,
            ..record()
        };
        let back: Envelope = serde_json::from_str(&to_line("t", &tombstone)).unwrap();
        assert_eq!(back.payload().unwrap().1, None);
    }

    #[test]
    fn minimal_envelopes_parse() {
        let e: Envelope = serde_json::from_str(r#"{"value":"hi"}"#).unwrap();
        assert_eq!(e.payload().unwrap(), (None, Some(b"hi".to_vec()), vec![]));
        let bad: Envelope =
            serde_json::from_str(r#"{"value":"!!","value_encoding":"base64"}"#).unwrap();
        assert!(bad.payload().unwrap_err().contains("base64"));
    }
}
