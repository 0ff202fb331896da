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
//!
//! Here: the constants, the bytes written by hand, the cluster and the checks every part
//! shares. `hostile` builds the topic of hostile records and says what each should become;
//! `records` consumes it (its envelopes, its text, a jq filter over it), then a JSON Schema
//! value's layout and jq over deeply nested values; `registry` has the registry fail.

mod hostile;
mod records;
mod registry;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use rdkafka::config::ClientConfig;
use rdkafka::producer::FutureProducer;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::KTUI;
use crate::support::broker::{MockCluster, Out, send_all};
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
const JSON_SCHEMA: &str =
    r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}"#;

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
