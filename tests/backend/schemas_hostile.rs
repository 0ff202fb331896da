//! Layer 3: schema decoding under hostile input, on the real binary. Records framed in the
//! Confluent wire format, their bytes written here by hand (none of ktui's encoders is the
//! oracle), against schemas held by the fake registry (tests/support/fake_registry.rs):
//! unknown ids, Avro cut short, with bytes left over, nested 100,000 deep or claiming more
//! bytes than a 10 MB record holds, corrupt Protobuf, Protobuf nested 100,000 deep and
//! Protobuf framing naming no message, JSON Schema framing around text that is not JSON,
//! next to plain values, a tombstone and a framed key. `ktui consume` must keep every
//! record's bytes, say per record why it could not decode (in the envelope, or once per
//! reason on stderr), never let a control character through raw, and exit 0; a jq filter
//! sees the decoded values, and survives deeply nested ones. Then the registry itself
//! fails: it refuses the login, is stopped, never answers, answers 500, or its URL is not
//! one; and a password in the URL must never be printed.
//!
//! Every test starts its own mock cluster (librdkafka's, in this process) and registry.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use rdkafka::config::ClientConfig;
use rdkafka::producer::FutureProducer;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::KTUI;
use crate::support::broker::{MockCluster, Out, send_all};
use crate::support::fake_registry::{BACKEND_ERROR, FakeRegistry};
use crate::support::process::{RanBytes, run_with_input};

/// Bound for a `ktui consume -e` that should end by itself (it takes well under a second,
/// or 5 s and a bit against a registry that never answers).
const DEADLINE: Duration = Duration::from_secs(60);

/// The hostile value's size: past librdkafka's default `message.max.bytes` (1 MB), and
/// past what the mock cluster keeps of a partition (5 MB: appending a message set beyond
/// that drops the oldest ones, the big one too once another follows it), so it goes to a
/// partition of its own, where it is the only message set and stays.
const BIG: usize = 10 * 1024 * 1024;
/// The partition of the 10 MB record; every other one is in partition 0.
const BIG_PARTITION: i32 = 1;

/// A note with a non-ASCII letter and a terminal escape (set the window title, ended by
/// BEL): decoded, it must come out as JSON escapes, never as raw control bytes.
const NOTE: &str = "é\x1b]0;PWNED\x07";
/// The valid record decoded, exactly as ktui writes it.
const NOTE_JSON: &str = r#"{"id":42,"note":"é\u001b]0;PWNED\u0007"}"#;

const REC: &str = r#"{"type":"record","name":"Rec","namespace":"t","fields":[{"name":"id","type":"long"},{"name":"note","type":"string"}]}"#;
const NODE: &str = r#"{"type":"record","name":"Node","namespace":"t","fields":[{"name":"next","type":["null","Node"]}]}"#;
const PROTO: &str = r#"syntax = "proto3"; package t; message M { string s = 1; }"#;
/// A message that holds itself.
const PROTO_DEEP: &str = r#"syntax = "proto3"; package t; message R { R r = 1; string s = 2; }"#;
const JSON_SCHEMA: &str =
    r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}"#;

/// The password of the login tests: distinctive, so any leak is found.
const PASSWORD: &str = "s3cr3t-pw";

// ---------------------------------------------------------------------------------------
// Bytes, by hand

/// An Avro long (and int, and length): zigzag, then a little-endian base-128 varint.
fn zigzag(out: &mut Vec<u8>, n: i64) {
    let mut v = ((n << 1) ^ (n >> 63)).cast_unsigned();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An Avro string or bytes: its length, then the bytes.
fn avro_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    zigzag(out, i64::try_from(bytes.len()).expect("a length"));
    out.extend_from_slice(bytes);
}

/// `t.Rec {id, note}` in Avro's binary encoding.
fn rec(id: i64, note: &str) -> Vec<u8> {
    let mut out = Vec::new();
    zigzag(&mut out, id);
    avro_bytes(&mut out, note.as_bytes());
    out
}

/// The Confluent framing: magic byte 0, the id as 4 bytes big-endian, the payload.
fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn value(value: Vec<u8>) -> Out {
    Out {
        value: Some(value),
        ..Out::default()
    }
}

// ---------------------------------------------------------------------------------------
// The cluster, the registry and ktui

/// A mock cluster of its own, a producer on it that takes 10 MB records, and a home for
/// the ktui processes (no user config, logs in a temp dir).
/// Fields drop in order: the producer, then the cluster, then the home.
struct Cluster {
    producer: FutureProducer,
    mock: MockCluster,
    home: TempDir,
}

impl Cluster {
    fn start() -> Self {
        let mock = MockCluster::start();
        let producer = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap())
            .set("linger.ms", "0")
            .set("message.max.bytes", (2 * BIG).to_string())
            .create()
            .expect("producer");
        Self {
            producer,
            mock,
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn topic(&self, prefix: &str, partitions: i32) -> String {
        self.mock.topic(prefix, partitions)
    }

    /// Produces the records in order; where each landed.
    fn produce(&self, topic: &str, records: &[Out]) -> Vec<(i32, i64)> {
        self.mock
            .rt
            .block_on(send_all(&self.producer, topic, records))
    }

    /// `ktui -b BOOTSTRAP --schema-registry URL consume TOPIC -o beginning -e ARGS…`.
    fn consume(&self, registry: &str, topic: &str, args: &[&str]) -> RanBytes {
        run_with_input(
            ktui(self.home.path())
                .args(["-b", self.mock.bootstrap(), "--schema-registry", registry])
                .args(["consume", topic, "-o", "beginning", "-e"])
                .args(args),
            b"",
            DEADLINE,
        )
    }

    /// Every file ktui wrote under its home (its log), as text.
    fn written_files(&self) -> String {
        fn walk(dir: &Path, out: &mut String) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
        }
        let mut out = String::new();
        walk(self.home.path(), &mut out);
        out
    }
}

/// `ktui` with its config and data dirs in `home`, and nothing from the environment that
/// would pick a cluster, a config file or a registry.
fn ktui(home: &Path) -> Command {
    let mut command = Command::new(KTUI);
    command
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("KTUI_CONFIG")
        .env_remove("KTUI_SCHEMA_REGISTRY")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS");
    command
}

/// Exit 0, no panic.
fn assert_clean_exit(ran: &RanBytes) {
    assert!(
        ran.success(),
        "ktui consume failed ({:?}) after {:?}\nstderr: {}",
        ran.status,
        ran.elapsed,
        ran.stderr
    );
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

/// Stdout as NDJSON envelopes.
fn envelopes(ran: &RanBytes) -> Vec<Value> {
    let text = std::str::from_utf8(&ran.stdout).expect("envelopes are UTF-8");
    text.lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{e}: {}", line.chars().take(300).collect::<String>()))
        })
        .collect()
}

/// An envelope's key or value (`"key"` or `"value"`) as the bytes it stands for.
fn bytes_of(envelope: &Value, field: &str) -> Option<Vec<u8>> {
    let text = envelope[field].as_str()?;
    match envelope[format!("{field}_encoding")].as_str() {
        None => Some(text.as_bytes().to_vec()),
        Some("base64") => Some(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("valid base64"),
        ),
        Some(other) => panic!("{field}_encoding {other:?}"),
    }
}

/// Byte strings compared without printing megabytes: where they first differ.
fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let around = |b: &[u8]| {
        String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned()
    };
    panic!(
        "{what}: {} bytes, {} wanted; first difference at byte {at}:\n got: {:?}\nwant: {:?}",
        got.len(),
        want.len(),
        around(got),
        around(want)
    );
}

// ---------------------------------------------------------------------------------------
// The hostile topic

/// What ktui should make of a record's value.
#[derive(Debug)]
enum Want {
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
enum Why {
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
    fn check(&self, got: &str, what: &str) {
        match self {
            Self::Exactly(want) => assert_eq!(got, want, "{what}"),
            Self::Shape { start, holds, end } => assert!(
                got.starts_with(start.as_str()) && got.contains(holds) && got.ends_with(end),
                "{what}: {got:?}, wanted {start:?}…{holds:?}…{end:?}"
            ),
        }
    }
}

struct Case {
    name: &'static str,
    out: Out,
    want: Want,
    /// Where it landed: partition and offset.
    at: (i32, i64),
}

/// A cluster, a registry and a topic holding every hostile record: the 10 MB one alone in
/// partition 1, the others in order in partition 0.
struct Hostile {
    cases: Vec<Case>,
    topic: String,
    registry: FakeRegistry,
    cluster: Cluster,
    /// The framed key's schema.
    key_id: u32,
}

#[allow(clippy::too_many_lines)] // one record a case, each with what it should become
fn hostile() -> Hostile {
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
    fn consume(&self, args: &[&str]) -> RanBytes {
        self.cluster
            .consume(&self.registry.url(), &self.topic, args)
    }

    /// What text output prints for a record: its decoded JSON, else its bytes.
    fn text_of(case: &Case) -> Vec<u8> {
        match &case.want {
            Want::Decoded { json, .. } => json.as_bytes().to_vec(),
            _ => case.out.value.clone().unwrap_or_default(),
        }
    }
}

/// A schema tag as ktui should write it.
fn check_tag(tag: &Value, want: &Want, subject: &str, what: &str) {
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

// ---------------------------------------------------------------------------------------
// 1. The envelopes

#[test]
fn hostile_framed_values_keep_their_bytes_and_say_why_in_the_envelope() {
    let h = hostile();
    let ran = h.consume(&["--format", "json"]);
    assert_clean_exit(&ran);
    assert_eq!(
        ran.stderr, "",
        "JSON output carries the problems in the envelopes"
    );
    // Nothing raw: every control byte (the note's ESC and BEL) is a JSON escape.
    assert!(
        !ran.stdout.iter().any(|b| *b < 0x20 && *b != b'\n'),
        "a raw control byte in the envelopes"
    );
    let text = String::from_utf8_lossy(&ran.stdout);
    assert!(
        text.contains(&format!(r#""value_decoded":{NOTE_JSON}"#)),
        "the note decoded with its escapes as written"
    );
    let mut envelopes = envelopes(&ran);
    // The order across partitions is not defined; within one it is.
    let at = |e: &Value| (e["partition"].as_i64(), e["offset"].as_i64());
    envelopes.sort_by_key(at);
    let got: Vec<_> = envelopes.iter().map(at).collect();
    let want: Vec<_> = h
        .cases
        .iter()
        .map(|c| (Some(i64::from(c.at.0)), Some(c.at.1)))
        .collect();
    assert_eq!(got, want, "one envelope a record");
    let subject = format!("{}-value", h.topic);
    for (envelope, case) in envelopes.iter().zip(&h.cases) {
        let what = format!("{:?}, {}", case.at, case.name);
        let obj = envelope.as_object().expect("an object");
        assert_eq!(
            bytes_of(envelope, "key"),
            case.out.key,
            "{what}: the key's bytes"
        );
        let value = bytes_of(envelope, "value");
        match (&value, &case.out.value) {
            (Some(got), Some(want)) => assert_same_bytes(got, want, &what),
            (got, want) => assert_eq!(got, want, "{what}: the value's bytes"),
        }
        if case.out.value.is_none() {
            assert!(envelope["value"].is_null(), "{what}: a tombstone is null");
        }
        match &case.want {
            Want::Plain => {
                assert!(!obj.contains_key("value_schema"), "{what}: {envelope}");
                assert!(!obj.contains_key("value_decoded"), "{what}: {envelope}");
            }
            want => {
                check_tag(&envelope["value_schema"], want, &subject, &what);
                match want {
                    Want::Decoded { json, .. } => assert_eq!(
                        envelope["value_decoded"],
                        serde_json::from_str::<Value>(json).expect("JSON"),
                        "{what}"
                    ),
                    _ => assert!(!obj.contains_key("value_decoded"), "{what}"),
                }
            }
        }
        if case.out.key.is_some() {
            let key_tag = &envelope["key_schema"];
            assert_eq!(key_tag["id"], h.key_id, "{what}: {key_tag}");
            assert_eq!(key_tag["type"], "AVRO", "{what}: {key_tag}");
            assert_eq!(key_tag["subject"], format!("{}-key", h.topic), "{what}");
            assert_eq!(key_tag["version"], 1, "{what}");
            assert_eq!(envelope["key_decoded"], json!("k-1"), "{what}");
        } else {
            assert!(!obj.contains_key("key_schema"), "{what}: {envelope}");
        }
    }
    assert_eq!(
        h.registry.schema_fetches(999),
        1,
        "a failed lookup is remembered: {:#?}",
        h.registry.request_lines()
    );
    for id in 1..=h.key_id {
        assert_eq!(h.registry.schema_fetches(id), 1, "schema {id}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Text output

#[test]
fn hostile_framed_values_in_text_print_raw_with_one_warning_a_reason() {
    let h = hostile();
    let ran = h.consume(&[]);
    assert_clean_exit(&ran);
    // Into a pipe, the bytes exactly: the decoded JSON where there is some, else the
    // record's own bytes (a tombstone: nothing), a line each; partition 0 in order, the
    // big record's line somewhere among them (the order across partitions is not defined).
    let mut want = Vec::new();
    let mut big_line = Vec::new();
    for case in &h.cases {
        let line = if case.at.0 == BIG_PARTITION {
            &mut big_line
        } else {
            &mut want
        };
        line.extend(Hostile::text_of(case));
        line.push(b'\n');
    }
    assert!(big_line.len() > BIG);
    let stdout = &ran.stdout;
    let mut line_starts = std::iter::once(0).chain(
        stdout
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let big_at = line_starts
        .find(|i| stdout[*i..].starts_with(&big_line))
        .unwrap_or_else(|| {
            panic!(
                "the 10 MB record's bytes, as they are, on a line of their own; stdout has {} \
                 bytes",
                stdout.len()
            )
        });
    let rest = [&stdout[..big_at], &stdout[big_at + big_line.len()..]].concat();
    assert_same_bytes(&rest, &want, "stdout without the 10 MB line");
    let first_line = want.split(|b| *b == b'\n').next().unwrap_or_default();
    assert_eq!(first_line, NOTE_JSON.as_bytes(), "the decoded line");

    // One warning a kind of reason (the same words whatever their byte offsets), at the
    // first record that had it: by offset within a partition, either partition first.
    let mut kinds: Vec<(String, Vec<String>)> = Vec::new();
    for case in &h.cases {
        let Want::Failed { why, .. } = &case.want else {
            continue;
        };
        let (partition, offset) = case.at;
        let here = format!("partition {partition} offset {offset}: ");
        let why = match why {
            Why::Exactly(text) => text.clone(),
            Why::Shape { .. } => {
                // Words not pinned: taken from the warning, checked for their shape.
                let line = ran
                    .stderr
                    .lines()
                    .find(|l| l.contains(&here))
                    .unwrap_or_else(|| panic!("a warning for {here}{}", ran.stderr));
                let start = line.find(&here).expect("the place") + here.len();
                let end = line.find("; printed as it is").expect("the end");
                let text = line[start..end].to_string();
                why.check(&text, case.name);
                text
            }
        };
        let warning = format!(
            "ktui: warning: the value at {here}{why}; printed as it is (later records with \
             this problem are not reported)"
        );
        let kind = without_numbers(&why);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, candidates)) => candidates.push(warning),
            None => kinds.push((kind, vec![warning])),
        }
    }
    let got: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(
        got.len(),
        kinds.len(),
        "one warning a kind:\n{}",
        ran.stderr
    );
    for (kind, candidates) in &kinds {
        assert_eq!(
            got.iter()
                .filter(|l| candidates.iter().any(|c| c == *l))
                .count(),
            1,
            "one warning for {kind:?} among {candidates:#?}\nstderr:\n{}",
            ran.stderr
        );
    }
    assert_eq!(h.registry.schema_fetches(999), 1);
}

/// A reason with its numbers (byte offsets, lengths) taken out: its kind.
fn without_numbers(why: &str) -> String {
    let mut out = String::new();
    for c in why.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// 4. jq over the decoded values

#[test]
fn a_jq_filter_sees_decoded_values_among_hostile_ones() {
    let h = hostile();
    let ran = h.consume(&[
        "--format",
        "json",
        "--filter",
        r#"select(.note == "é\u001b]0;PWNED\u0007")"#,
    ]);
    assert_clean_exit(&ran);
    let found = envelopes(&ran);
    let at: Vec<(&Value, &Value)> = found
        .iter()
        .map(|e| (&e["partition"], &e["offset"]))
        .collect();
    assert_eq!(
        at,
        [(&json!(0), &json!(0))],
        "only the valid record: {}",
        ran.stderr
    );
    assert_eq!(found[0]["value_decoded"]["note"], NOTE);

    // Text output, a filter on the Protobuf message: its JSON, and no warning about
    // records the filter left out.
    let ran = h.consume(&["--filter", r#".s == "hi""#]);
    assert_clean_exit(&ran);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "{\"s\":\"hi\"}\n");
    assert_eq!(ran.stderr, "", "nothing printed, nothing to warn about");
}

// ---------------------------------------------------------------------------------------
// 3. The registry fails

/// A cluster, a fresh registry holding `t.Rec`, and a topic with one valid record.
struct One {
    cluster: Cluster,
    registry: FakeRegistry,
    topic: String,
    id: u32,
}

fn one_record() -> One {
    let cluster = Cluster::start();
    let registry = FakeRegistry::start_in_background();
    let topic = cluster.topic("sr-registry", 1);
    let id = registry.register(&format!("{topic}-value"), "avro", REC, vec![]);
    cluster.produce(&topic, &[value(framed(id, &rec(42, NOTE)))]);
    One {
        cluster,
        registry,
        topic,
        id,
    }
}

impl One {
    /// `http://user:password@127.0.0.1:PORT`.
    fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.registry.addr)
    }

    /// One envelope, its bytes kept; its value's schema tag.
    fn consume_json(&self, registry: &str) -> (RanBytes, Value) {
        let ran = self
            .cluster
            .consume(registry, &self.topic, &["--format", "json"]);
        assert_clean_exit(&ran);
        let found = envelopes(&ran);
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(&ran.stdout));
        assert_eq!(
            bytes_of(&found[0], "value"),
            Some(framed(self.id, &rec(42, NOTE)))
        );
        let tag = found[0]["value_schema"].clone();
        (ran, tag)
    }

    /// The record could not be decoded: the error's words.
    fn failed(&self, registry: &str) -> (RanBytes, String) {
        let (ran, tag) = self.consume_json(registry);
        assert_eq!(tag["id"], self.id, "{tag}");
        let error = tag["error"]
            .as_str()
            .unwrap_or_else(|| panic!("an error: {tag}"))
            .to_string();
        (ran, error)
    }
}

/// Nothing ktui printed or wrote holds the password (nor `password@`).
fn assert_no_leak(one: &One, ran: &RanBytes, password: &str) {
    let stdout = String::from_utf8_lossy(&ran.stdout);
    for (name, text) in [("stdout", stdout.as_ref()), ("stderr", ran.stderr.as_str())] {
        assert!(
            !text.contains(password),
            "{name} holds the password: {text}"
        );
        assert!(
            !text.contains("p@"),
            "{name} holds the password's end: {text}"
        );
    }
    let files = one.cluster.written_files();
    assert!(
        !files.contains(password),
        "ktui's log holds the password:\n{files}"
    );
}

#[test]
fn a_registry_that_wants_a_login_is_refused_without_and_decodes_with_it() {
    let one = one_record();
    one.registry.require_basic_auth("u", PASSWORD);

    let (ran, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry refused the login (401 Unauthorized): check the \
             schema_registry username and password",
            one.id
        )
    );
    assert!(error.contains("401") && error.contains("login"), "{error}");
    assert_no_leak(&one, &ran, PASSWORD);

    // The wrong password: refused, and not printed either.
    let wrong = "wr0ng-pw";
    let (ran, error) = one.failed(&one.url_with("u", wrong));
    assert!(error.contains("401") && error.contains("login"), "{error}");
    assert_no_leak(&one, &ran, wrong);

    // user:password@ in the URL logs in: decoded, in JSON and in text.
    let url = one.url_with("u", PASSWORD);
    let (ran, tag) = one.consume_json(&url);
    assert!(tag.get("error").is_none(), "{tag}");
    assert_eq!(tag["type"], "AVRO", "{tag}");
    assert!(
        String::from_utf8_lossy(&ran.stdout).contains(&format!(r#""value_decoded":{NOTE_JSON}"#))
    );
    assert_no_leak(&one, &ran, PASSWORD);
    let ran = one.cluster.consume(&url, &one.topic, &[]);
    assert_clean_exit(&ran);
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        format!("{NOTE_JSON}\n")
    );
    assert_eq!(ran.stderr, "");
    assert_no_leak(&one, &ran, PASSWORD);
    // Each of the four runs asked once.
    assert_eq!(one.registry.schema_fetches(one.id), 4);
}

#[test]
fn a_stopped_registry_is_named_without_its_password() {
    let one = one_record();
    one.registry.stop();
    let (ran, error) = one.failed(&one.url_with("u", PASSWORD));
    let start = format!(
        "schema {}: cannot reach the schema registry at http://{}: ",
        one.id, one.registry.addr
    );
    assert!(error.starts_with(&start), "{error:?}, wanted {start:?}…");
    assert_no_leak(&one, &ran, PASSWORD);

    // Text: the same reason, once, on stderr; the record as it is.
    let ran = one.cluster.consume(&one.registry.url(), &one.topic, &[]);
    assert_clean_exit(&ran);
    let mut want = framed(one.id, &rec(42, NOTE));
    want.push(b'\n');
    assert_same_bytes(&ran.stdout, &want, "stdout");
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", ran.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "ktui: warning: the value at partition 0 offset 0: {start}"
        )) && lines[0]
            .ends_with("; printed as it is (later records with this problem are not reported)"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_registry_that_never_answers_costs_one_deadline() {
    let one = one_record();
    one.registry.set_dead(true);
    let (_, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry at http://{} did not answer within 5 s",
            one.id, one.registry.addr
        )
    );
    assert_eq!(one.registry.schema_fetches(one.id), 1);
}

#[test]
fn a_registry_answering_500_is_quoted() {
    let one = one_record();
    one.registry.set_failure(Some(BACKEND_ERROR));
    let (_, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry answered 500: {}",
            one.id, BACKEND_ERROR.2
        )
    );
    assert!(error.contains("answered 500"));

    // The registry's own words may hold anything: a terminal escape is shown escaped on
    // stderr, never raw.
    one.registry
        .set_failure(Some((500, 50001, "store \x1b]0;PWNED\x07 down")));
    let ran = one.cluster.consume(&one.registry.url(), &one.topic, &[]);
    assert_clean_exit(&ran);
    let mut want = framed(one.id, &rec(42, NOTE));
    want.push(b'\n');
    assert_same_bytes(&ran.stdout, &want, "the record as it is");
    assert!(
        !ran.stderr.contains(['\x1b', '\x07']),
        "a raw control character on stderr: {:?}",
        ran.stderr
    );
    assert_eq!(
        ran.stderr,
        format!(
            "ktui: warning: the value at partition 0 offset 0: schema {}: the schema registry \
             answered 500: store \\x1b]0;PWNED\\x07 down; printed as it is (later records with \
             this problem are not reported)\n",
            one.id
        )
    );
}

#[test]
fn a_registry_url_that_is_not_a_url_is_said_and_records_print_raw() {
    let one = one_record();
    let ran = one
        .cluster
        .consume("ht!tp://", &one.topic, &["--format", "json"]);
    assert_clean_exit(&ran);
    let found = envelopes(&ran);
    assert_eq!(found.len(), 1, "{}", ran.stderr);
    assert_eq!(
        bytes_of(&found[0], "value"),
        Some(framed(one.id, &rec(42, NOTE)))
    );
    assert!(found[0].get("value_schema").is_none(), "{}", found[0]);
    assert!(found[0].get("value_decoded").is_none(), "{}", found[0]);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message: {}", ran.stderr);
    assert!(
        lines[0].starts_with(r#"ktui: warning: schema registry URL "ht!tp://" is not a URL: "#)
            && lines[0].contains("shown as they are"),
        "{}",
        lines[0]
    );
    assert_eq!(one.registry.request_count(), 0);
}

#[test]
fn a_registry_url_with_a_wrong_scheme_does_not_print_its_password() {
    let one = one_record();
    let addr = one.registry.addr;
    // A typo in the scheme (it parses, as another scheme), and a URL that does not parse.
    for url in [
        format!("htps://u:{PASSWORD}@{addr}"),
        format!("http://u:{PASSWORD}@[::1"),
    ] {
        let ran = one.cluster.consume(&url, &one.topic, &["--format", "json"]);
        assert_clean_exit(&ran);
        let found = envelopes(&ran);
        assert_eq!(found.len(), 1, "{}", ran.stderr);
        assert_eq!(
            bytes_of(&found[0], "value"),
            Some(framed(one.id, &rec(42, NOTE)))
        );
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert!(
            lines.len() == 1
                && lines[0].starts_with("ktui: warning: schema registry URL ")
                && lines[0].contains("shown as they are"),
            "{url}: {}",
            ran.stderr
        );
        // A URL that does not parse is quoted with its password masked.
        assert_no_leak(&one, &ran, PASSWORD);
    }
    assert_eq!(one.registry.request_count(), 0);
}

// ---------------------------------------------------------------------------------------
// JSON Schema values as they were written

#[test]
fn a_json_schema_value_with_a_line_break_keeps_one_envelope_a_line() {
    let one = one_record();
    let json_id =
        one.registry
            .register(&format!("{}-value", one.topic), "json", JSON_SCHEMA, vec![]);
    // Pretty-printed JSON, as `json.dumps(indent=2)` or `JSON.stringify(v, null, 2)`
    // write it: valid JSON, line breaks between its tokens.
    let pretty = framed(json_id, b"{\n  \"a\": 1\r\n}\n");
    one.cluster.produce(&one.topic, &[value(pretty.clone())]);
    let ran = one
        .cluster
        .consume(&one.registry.url(), &one.topic, &["--format", "json"]);
    assert_clean_exit(&ran);
    let text = String::from_utf8_lossy(&ran.stdout);
    // A JSON Schema value is written compact: one envelope a line, whatever its layout.
    assert_eq!(text.lines().count(), 2, "one envelope a record:\n{text}");
    let found = envelopes(&ran);
    assert_eq!(found[1]["value_decoded"], json!({"a": 1}), "{}", found[1]);
    assert_eq!(bytes_of(&found[1], "value"), Some(pretty));
}

// ---------------------------------------------------------------------------------------
// jq over deeply nested values

#[test]
fn a_jq_filter_survives_a_deeply_nested_value() {
    // Decoded Avro stops at 128 levels and Protobuf at 100; JSON Schema passes any depth
    // (its check reads the value with serde's `IgnoredAny`, which counts no levels), and a
    // plain value has no bound. 100,000 nested arrays (200 kB) of each, between two
    // records the filter matches.
    let one = one_record();
    let json_id =
        one.registry
            .register(&format!("{}-value", one.topic), "json", JSON_SCHEMA, vec![]);
    let mut deep = vec![b'['; 100_000];
    deep.extend(vec![b']'; 100_000]);
    let landed = one.cluster.produce(
        &one.topic,
        &[
            value(framed(json_id, b"[1]")),
            value(framed(json_id, &deep)),
            value(deep),
            value(b"[2]".to_vec()),
        ],
    );
    assert_eq!(landed, [(0, 1), (0, 2), (0, 3), (0, 4)]);
    let ran = one.cluster.consume(
        &one.registry.url(),
        &one.topic,
        &["--filter", ".[0] == 1 or .[0] == 2"],
    );
    // jaq recurses once a level: a value nested deeper than MAX_JQ_DEPTH is seen as text,
    // not parsed (it once overflowed the filter thread's stack and aborted the process).
    assert_clean_exit(&ran);
    assert!(!ran.stderr.contains("overflow"), "{}", ran.stderr);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "[1]\n[2]\n");
}
