//! Sent messages kept across runs (`history.jsonl` in the data dir, newest first, bounded).
//! Each line is an NDJSON envelope, the same format `ktui consume --format json` writes:
//! a key or value sent with a schema also has its `*_schema` tag and the JSON typed
//! (`*_decoded`), so it loads back as typed, with its schema named.

use crate::kafka::envelope::{
    Encoding, Envelope, EnvelopeHeader, JsonText, SchemaTag, encode_bytes,
};
use crate::kafka::produce::OutgoingMessage;

/// Entries kept.
pub const LIMIT: usize = 50;

/// A message sent, and what was typed for it with a schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub message: OutgoingMessage,
    pub typed: Typed,
}

impl From<OutgoingMessage> for Entry {
    fn from(message: OutgoingMessage) -> Self {
        Self {
            message,
            typed: Typed::default(),
        }
    }
}

/// The key and value typed as JSON and sent framed with a schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Typed {
    pub key: Option<TypedPart>,
    pub value: Option<TypedPart>,
}

/// JSON sent framed with the schema the tag names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedPart {
    pub tag: SchemaTag,
    /// The JSON typed, on one line.
    pub json: String,
}

impl TypedPart {
    /// The schema field's text that names the same schema: `SUBJECT@VERSION` or the id,
    /// then the Protobuf message.
    pub fn schema_field(&self) -> String {
        let mut out = match (&self.tag.subject, self.tag.version, self.tag.id) {
            (Some(subject), Some(version), _) => format!("{subject}@{version}"),
            (_, _, Some(id)) => id.to_string(),
            (Some(subject), None, None) => subject.clone(),
            (None, _, None) => String::new(),
        };
        if let Some(message) = &self.tag.message {
            out.push(' ');
            out.push_str(message);
        }
        out
    }

    fn of(tag: Option<&SchemaTag>, json: Option<&JsonText>) -> Option<Self> {
        let (tag, json) = (tag?, json?);
        (tag.error.is_none() && (tag.id.is_some() || tag.subject.is_some())).then(|| Self {
            tag: tag.clone(),
            json: json.0.clone(),
        })
    }
}

pub fn to_envelope(entry: &Entry) -> Envelope {
    let message = &entry.message;
    let encode = |bytes: Option<&Vec<u8>>| match bytes {
        Some(b) => {
            let (text, encoding) = encode_bytes(b);
            (Some(text), encoding)
        }
        None => (None, Encoding::Utf8),
    };
    let (key, key_encoding) = encode(message.key.as_ref());
    let (value, value_encoding) = encode(message.value.as_ref());
    Envelope {
        topic: Some(message.topic.clone()),
        partition: message.partition,
        offset: None,
        timestamp: None,
        timestamp_type: None,
        key,
        key_encoding,
        value,
        value_encoding,
        headers: message
            .headers
            .iter()
            .map(|h| {
                let (value, value_encoding) = encode(h.value.as_ref());
                EnvelopeHeader {
                    key: h.name.clone(),
                    value,
                    value_encoding,
                }
            })
            .collect(),
        key_schema: entry.typed.key.as_ref().map(|t| t.tag.clone()),
        key_decoded: entry.typed.key.as_ref().map(|t| JsonText(t.json.clone())),
        value_schema: entry.typed.value.as_ref().map(|t| t.tag.clone()),
        value_decoded: entry.typed.value.as_ref().map(|t| JsonText(t.json.clone())),
    }
}

pub fn from_envelope(envelope: &Envelope) -> Option<Entry> {
    let (key, value, headers) = envelope.payload().ok()?;
    Some(Entry {
        message: OutgoingMessage {
            topic: envelope.topic.clone()?,
            partition: envelope.partition,
            key,
            value,
            headers,
            timestamp: None,
        },
        typed: Typed {
            key: TypedPart::of(envelope.key_schema.as_ref(), envelope.key_decoded.as_ref()),
            value: TypedPart::of(
                envelope.value_schema.as_ref(),
                envelope.value_decoded.as_ref(),
            ),
        },
    })
}

/// Parses the history file; broken lines are skipped (the file is ours, but be kind).
pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Envelope>(line).ok())
        .filter_map(|e| from_envelope(&e))
        .take(LIMIT)
        .collect()
}

pub fn serialize(entries: &[Entry]) -> String {
    let mut out = String::new();
    for entry in entries.iter().take(LIMIT) {
        if let Ok(line) = serde_json::to_string(&to_envelope(entry)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Puts `message` first, dropping an identical older entry and anything past the limit.
pub fn remember(entries: &mut Vec<Entry>, entry: &Entry) {
    entries.retain(|e| e != entry);
    entries.insert(0, entry.clone());
    entries.truncate(LIMIT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::Header;

    #[test]
    fn round_trips_through_the_file_format() {
        let message = OutgoingMessage {
            topic: "sample".into(),
            partition: Some(1),
            key: Some(b"k".to_vec()),
            value: Some(vec![0xff, 0x00]),
            headers: vec![Header {
                name: "h".into(),
                value: Some(b"v".to_vec()),
            }],
            timestamp: None,
        };
        let tombstone = OutgoingMessage {
            value: None,
            ..message.clone()
        };
        let framed = Entry {
            message: OutgoingMessage {
                key: Some(vec![0, 0, 0, 0, 9, 2, b'k']),
                value: Some(vec![0, 0, 0, 0, 7, 0x02]),
                ..message.clone()
            },
            typed: Typed {
                key: Some(TypedPart {
                    tag: SchemaTag {
                        id: Some(9),
                        ..tag("orders-key", 1)
                    },
                    json: r#""k""#.into(),
                }),
                value: Some(TypedPart {
                    tag: tag("orders-value", 3),
                    json: r#"{"qty":1}"#.into(),
                }),
            },
        };
        let entries = [message.into(), tombstone.into(), framed];
        let text = serialize(&entries);
        assert_eq!(parse(&text), entries);
        assert_eq!(
            entries[2].typed.value.as_ref().unwrap().schema_field(),
            "orders-value@3"
        );
        assert_eq!(parse("garbage\n{}\n"), vec![]);
    }

    fn tag(subject: &str, version: i32) -> SchemaTag {
        SchemaTag {
            id: Some(7),
            kind: Some(crate::schema::SchemaKind::Avro),
            subject: Some(subject.into()),
            version: Some(version),
            file: None,
            message: None,
            error: None,
        }
    }

    #[test]
    fn remember_dedupes_and_bounds() {
        let m = |v: &str| -> Entry {
            OutgoingMessage {
                topic: "t".into(),
                value: Some(v.as_bytes().to_vec()),
                ..OutgoingMessage::default()
            }
            .into()
        };
        let mut entries = Vec::new();
        for i in 0..60 {
            remember(&mut entries, &m(&i.to_string()));
        }
        remember(&mut entries, &m("55"));
        assert_eq!(entries.len(), LIMIT);
        assert_eq!(entries[0], m("55"));
        assert_eq!(entries.iter().filter(|e| **e == m("55")).count(), 1);
    }
}
