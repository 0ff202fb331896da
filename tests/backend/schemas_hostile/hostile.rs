//! The hostile topic: a record of every hostile kind, and what ktui should make of each.

use serde_json::Value;

use super::{
    BIG, BIG_PARTITION, Cluster, JSON_SCHEMA, NOTE, NOTE_JSON, REC, avro_bytes, framed, rec, value,
    zigzag,
};
use crate::support::broker::Out;
use crate::support::fake_registry::FakeRegistry;
use crate::support::process::RanBytes;

const NODE: &str = r#"{"type":"record","name":"Node","namespace":"t","fields":[{"name":"next","type":["null","Node"]}]}"#;
const PROTO: &str = r#"syntax = "proto3"; package t; message M { string s = 1; }"#;
/// A message that holds itself.
const PROTO_DEEP: &str = r#"syntax = "proto3"; package t; message R { R r = 1; string s = 2; }"#;

/// What ktui should make of a record's value.
#[derive(Debug)]
pub(super) enum Want {
    /// Not framed (or a tombstone): no schema at all.
    Plain,
    /// Decoded through schema `id` (`kind`, the topic's value subject at `version`).
    Decoded {
        id: u32,
        kind: &'static str,
        version: u32,
        /// Exactly as ktui writes it.
        json: &'static str,
        message: Option<&'static str>,
    },
    /// Not decoded: the schema (when it could be had) and why.
    Failed {
        id: u32,
        /// `(kind, version)` when the schema was had.
        schema: Option<(&'static str, u32)>,
        message: Option<&'static str>,
        why: Why,
    },
}

#[derive(Debug)]
pub(super) enum Why {
    Exactly(String),
    /// Words partly a library's (or a count's grammar): how they start, a part they hold,
    /// how they end.
    Shape {
        start: String,
        holds: &'static str,
        end: &'static str,
    },
}

impl Why {
    pub(super) fn check(&self, got: &str, what: &str) {
        match self {
            Self::Exactly(want) => assert_eq!(got, want, "{what}"),
            Self::Shape { start, holds, end } => assert!(
                got.starts_with(start.as_str()) && got.contains(holds) && got.ends_with(end),
                "{what}: {got:?}, wanted {start:?}…{holds:?}…{end:?}"
            ),
        }
    }
}

pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) out: Out,
    pub(super) want: Want,
    /// Where it landed: partition and offset.
    pub(super) at: (i32, i64),
}

/// A cluster, a registry and a topic holding every hostile record: the 10 MB one alone in
/// partition 1, the others in order in partition 0.
pub(super) struct Hostile {
    pub(super) cases: Vec<Case>,
    pub(super) topic: String,
    pub(super) registry: FakeRegistry,
    cluster: Cluster,
    /// The framed key's schema.
    pub(super) key_id: u32,
}

#[allow(clippy::too_many_lines)] // one record a case, each with what it should become
pub(super) fn hostile() -> Hostile {
    let cluster = Cluster::start();
    let registry = FakeRegistry::start_in_background();
    let topic = cluster.topic("sr-hostile", 2);
    let subject = format!("{topic}-value");
    let rec_id = registry.register(&subject, "avro", REC, vec![]);
    let node_id = registry.register(&subject, "avro", NODE, vec![]);
    let proto_id = registry.register(&subject, "protobuf", PROTO, vec![]);
    let json_id = registry.register(&subject, "json", JSON_SCHEMA, vec![]);
    let deep_proto_id = registry.register(&subject, "protobuf", PROTO_DEEP, vec![]);
    let key_id = registry.register(&format!("{topic}-key"), "avro", r#""string""#, vec![]);
    assert_eq!(
        registry.versions(&subject),
        [rec_id, node_id, proto_id, json_id, deep_proto_id]
    );
    let (rec_v, node_v, proto_v, json_v, deep_proto_v) = (1, 2, 3, 4, 5);
    assert_ne!(rec_id, 999);

    let avro_failed = |id: u32, version: u32, why: String| Want::Failed {
        id,
        schema: Some(("AVRO", version)),
        message: None,
        why: Why::Exactly(format!("does not match Avro schema {id}: {why}")),
    };
    let unknown = || Want::Failed {
        id: 999,
        schema: None,
        message: None,
        why: Why::Exactly("schema 999 not found in the registry".into()),
    };

    // 100,000 nodes, each `next` the union's branch 1 (zigzag 2), the last one null.
    let mut deep = vec![0x02; 100_000];
    deep.push(0x00);
    // id 1, then a note claiming 20,000,000 bytes (a 4-byte varint) of the ~10 MB left.
    let mut huge = vec![0x02];
    zigzag(&mut huge, 20_000_000);
    assert_eq!(huge.len(), 5);
    huge.resize(BIG, 0xff);
    let mut trailing = rec(3, "ok");
    trailing.push(0x00);
    // t.R nested 100,000 deep (field 1, length-delimited, around the next), s = "x" inside.
    let mut nested = vec![0x12, 0x01, b'x'];
    for _ in 0..100_000 {
        let mut outer = vec![0x0a];
        let mut n = nested.len();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                outer.push(byte);
                break;
            }
            outer.push(byte | 0x80);
        }
        outer.extend_from_slice(&nested);
        nested = outer;
    }
    nested.insert(0, 0x00); // message indexes [0]

    let cases = vec![
        Case {
            name: "a valid Avro record",
            out: value(framed(rec_id, &rec(42, NOTE))),
            at: (0, 0),
            want: Want::Decoded {
                id: rec_id,
                kind: "AVRO",
                version: rec_v,
                json: NOTE_JSON,
                message: None,
            },
        },
        Case {
            name: "unknown id 999",
            out: value(framed(999, &rec(1, "x"))),
            at: (0, 0),
            want: unknown(),
        },
        Case {
            name: "unknown id 999 again",
            out: value(framed(999, &rec(2, "y"))),
            at: (0, 0),
            want: unknown(),
        },
        Case {
            name: "Avro cut short",
            // id 1, then a note of 10 bytes of which 3 are there.
            out: value(framed(rec_id, &[0x02, 0x14, b'a', b'b', b'c'])),
            at: (0, 0),
            want: avro_failed(rec_id, rec_v, "the record is cut short at byte 2".into()),
        },
        Case {
            name: "Avro with a byte left over",
            out: value(framed(rec_id, &trailing)),
            at: (0, 0),
            // Not pinned to "1 bytes": the count's grammar may be mended.
            want: Want::Failed {
                id: rec_id,
                schema: Some(("AVRO", rec_v)),
                message: None,
                why: Why::Shape {
                    start: format!("does not match Avro schema {rec_id}: 1 byte"),
                    holds: " left over after the record",
                    end: ": it was written with another schema",
                },
            },
        },
        Case {
            name: "Avro nested 100,000 deep",
            out: value(framed(node_id, &deep)),
            at: (0, 0),
            want: avro_failed(node_id, node_v, "nested deeper than 128 levels".into()),
        },
        Case {
            name: "10 MB of Avro whose string claims more than there is",
            out: Out {
                partition: BIG_PARTITION,
                ..value(framed(rec_id, &huge))
            },
            at: (0, 0),
            want: avro_failed(rec_id, rec_v, "the record is cut short at byte 5".into()),
        },
        Case {
            name: "corrupt Protobuf (wire type 7)",
            // Indexes [0] (one 0 byte), then field 1 with wire type 7.
            out: value(framed(proto_id, &[0x00, 0x0f, 0x00])),
            at: (0, 0),
            want: Want::Failed {
                id: proto_id,
                schema: Some(("PROTOBUF", proto_v)),
                message: Some("t.M"),
                why: Why::Shape {
                    start: "not a valid t.M message (".into(),
                    holds: "wire type",
                    end: ")",
                },
            },
        },
        Case {
            name: "Protobuf nested 100,000 deep",
            out: value(framed(deep_proto_id, &nested)),
            at: (0, 0),
            want: Want::Failed {
                id: deep_proto_id,
                schema: Some(("PROTOBUF", deep_proto_v)),
                message: Some("t.R"),
                why: Why::Shape {
                    start: "not a valid t.R message (".into(),
                    holds: "recursion limit",
                    end: ")",
                },
            },
        },
        Case {
            name: "Protobuf framing naming message 5",
            // Indexes [5]: count 1 (zigzag 2), index 5 (zigzag 10); then s = "hi".
            out: value(framed(proto_id, &[0x02, 0x0a, 0x0a, 0x02, b'h', b'i'])),
            at: (0, 0),
            want: Want::Failed {
                id: proto_id,
                schema: Some(("PROTOBUF", proto_v)),
                message: None,
                why: Why::Exactly(format!(
                    "schema {proto_id}: message indexes [5] name no message of the schema \
                     (it defines M)"
                )),
            },
        },
        Case {
            name: "JSON Schema framing around text that is not JSON",
            out: value(framed(json_id, b"not json {")),
            at: (0, 0),
            want: Want::Failed {
                id: json_id,
                schema: Some(("JSON", json_v)),
                message: None,
                why: Why::Exactly(format!(
                    "not JSON after the framing of JSON schema {json_id}"
                )),
            },
        },
        Case {
            name: "plain text",
            out: value(b"hello".to_vec()),
            at: (0, 0),
            want: Want::Plain,
        },
        Case {
            name: "a tombstone",
            out: Out::default(),
            at: (0, 0),
            want: Want::Plain,
        },
        Case {
            name: "a framed key with a valid Avro value",
            out: Out {
                key: Some(framed(key_id, &{
                    let mut k = Vec::new();
                    avro_bytes(&mut k, b"k-1");
                    k
                })),
                value: Some(framed(rec_id, &rec(7, "keyed"))),
                ..Out::default()
            },
            at: (0, 0),
            want: Want::Decoded {
                id: rec_id,
                kind: "AVRO",
                version: rec_v,
                json: r#"{"id":7,"note":"keyed"}"#,
                message: None,
            },
        },
        Case {
            name: "a valid Protobuf message",
            out: value(framed(proto_id, &[0x00, 0x0a, 0x02, b'h', b'i'])),
            at: (0, 0),
            want: Want::Decoded {
                id: proto_id,
                kind: "PROTOBUF",
                version: proto_v,
                json: r#"{"s":"hi"}"#,
                message: Some("t.M"),
            },
        },
        Case {
            name: "a valid JSON Schema value",
            out: value(framed(json_id, br#"{"a":[1,2]}"#)),
            at: (0, 0),
            want: Want::Decoded {
                id: json_id,
                kind: "JSON",
                version: json_v,
                json: r#"{"a":[1,2]}"#,
                message: None,
            },
        },
    ];
    let mut cases = cases;
    let records: Vec<Out> = cases.iter().map(|c| c.out.clone()).collect();
    let landed = cluster.produce(&topic, &records);
    for (case, at) in cases.iter_mut().zip(landed) {
        case.at = at;
    }
    // Partition 0 in order from offset 0; the big one alone in partition 1.
    let small: Vec<i64> = cases
        .iter()
        .filter(|c| c.at.0 == 0)
        .map(|c| c.at.1)
        .collect();
    assert_eq!(small, (0..).take(small.len()).collect::<Vec<i64>>());
    cases.sort_by_key(|c| c.at);
    Hostile {
        cases,
        topic,
        registry,
        cluster,
        key_id,
    }
}

impl Hostile {
    pub(super) fn consume(&self, args: &[&str]) -> RanBytes {
        self.cluster
            .consume(&self.registry.url(), &self.topic, args)
    }

    /// What text output prints for a record: its decoded JSON, else its bytes.
    pub(super) fn text_of(case: &Case) -> Vec<u8> {
        match &case.want {
            Want::Decoded { json, .. } => json.as_bytes().to_vec(),
            _ => case.out.value.clone().unwrap_or_default(),
        }
    }
}

/// A schema tag as ktui should write it.
pub(super) fn check_tag(tag: &Value, want: &Want, subject: &str, what: &str) {
    let obj = tag
        .as_object()
        .unwrap_or_else(|| panic!("{what}: value_schema {tag}"));
    let (id, schema, message, why) = match want {
        Want::Plain => unreachable!(),
        Want::Decoded {
            id,
            kind,
            version,
            message,
            ..
        } => (*id, Some((*kind, *version)), *message, None),
        Want::Failed {
            id,
            schema,
            message,
            why,
        } => (*id, *schema, *message, Some(why)),
    };
    assert_eq!(tag["id"], id, "{what}: {tag}");
    match schema {
        Some((kind, version)) => {
            assert_eq!(tag["type"], kind, "{what}: {tag}");
            assert_eq!(tag["subject"], subject, "{what}: {tag}");
            assert_eq!(tag["version"], version, "{what}: {tag}");
        }
        None => {
            for field in ["type", "subject", "version"] {
                assert!(!obj.contains_key(field), "{what}: no {field}: {tag}");
            }
        }
    }
    match message {
        Some(m) => assert_eq!(tag["message"], m, "{what}: {tag}"),
        None => assert!(!obj.contains_key("message"), "{what}: no message: {tag}"),
    }
    match why {
        Some(why) => why.check(
            tag["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: an error: {tag}")),
            what,
        ),
        None => assert!(!obj.contains_key("error"), "{what}: no error: {tag}"),
    }
}
