//! Sent messages kept across runs (`history.jsonl` in the data dir, newest first, bounded).
//! Each line is an NDJSON envelope, the same format `ktui consume --format json` writes.

use crate::kafka::envelope::{Encoding, Envelope, EnvelopeHeader, encode_bytes};
use crate::kafka::produce::OutgoingMessage;

/// Entries kept.
pub const LIMIT: usize = 50;

pub fn to_envelope(message: &OutgoingMessage) -> Envelope {
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
        key_schema: None,
        key_decoded: None,
        value_schema: None,
        value_decoded: None,
    }
}

pub fn from_envelope(envelope: &Envelope) -> Option<OutgoingMessage> {
    let (key, value, headers) = envelope.payload().ok()?;
    Some(OutgoingMessage {
        topic: envelope.topic.clone()?,
        partition: envelope.partition,
        key,
        value,
        headers,
        timestamp: None,
    })
}

/// Parses the history file; broken lines are skipped (the file is ours, but be kind).
pub fn parse(text: &str) -> Vec<OutgoingMessage> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Envelope>(line).ok())
        .filter_map(|e| from_envelope(&e))
        .take(LIMIT)
        .collect()
}

pub fn serialize(entries: &[OutgoingMessage]) -> String {
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
pub fn remember(entries: &mut Vec<OutgoingMessage>, message: &OutgoingMessage) {
    entries.retain(|m| m != message);
    entries.insert(0, message.clone());
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
        let text = serialize(&[message.clone(), tombstone.clone()]);
        assert_eq!(parse(&text), vec![message, tombstone]);
        assert_eq!(parse("garbage\n{}\n"), vec![]);
    }

    #[test]
    fn remember_dedupes_and_bounds() {
        let m = |v: &str| OutgoingMessage {
            topic: "t".into(),
            value: Some(v.as_bytes().to_vec()),
            ..OutgoingMessage::default()
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
