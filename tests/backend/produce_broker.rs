//! Layer 3 for Compose's engine: the headless `ktui produce` and the worker's
//! `Command::Produce`, against a real broker over TCP, checked with peer clients:
//! kcat on librdkafka's mock cluster (the one `--demo` runs; kafka-python cannot talk to
//! it), and kafka-python and kcat together on Apache Kafka (the shared node; a node of the
//! test's own where the test stops it).
//!
//! Every test makes its own uniquely named topics. Payloads are compared as bytes: kcat
//! prints lengths before key and value, and the kafka-python peer prints base64. On Kafka
//! both peers must agree with each other, and the end offsets must say exactly how many
//! records each partition holds (offsets 0, 1, 2… with no gap and no duplicate).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use ktui::kafka::envelope::Envelope;
use ktui::kafka::model::Header;
use ktui::kafka::produce::{DeliveryReport, OutgoingMessage, ProduceFailure};
use ktui::kafka::worker::{ShutdownReport, WorkerHandle};
use ktui::kafka::{ClientSettings, Command, Connection, KafkaEvent, WorkerOptions};
use tempfile::TempDir;
use tokio::task::block_in_place;

use crate::support::broker::{MockCluster, Out, producer, send_all};
use crate::support::kafka::{self, SharedKafka};
use crate::support::peers::{
    PeerRecord, assert_exact_offsets, kcat, kcat_available, kp, kp_consume, kp_default_partitions,
    kp_produce_records,
};
use crate::support::process::{RanBytes, run_with_input};
use crate::support::worker::{next_event, shut_down};
use crate::support::{self, KTUI, unique, unused_address};

/// Bound for a `ktui produce` or `consume` run that should succeed (they take a second).
const RUN: Duration = Duration::from_secs(30);
/// librdkafka's message timeout as ktui sets it, plus room for the summary.
const TIMES_OUT: Duration = Duration::from_secs(25);

type Headers = Vec<(String, Option<Vec<u8>>)>;

// ---------------------------------------------------------------------------------------
// Fixtures: a cluster to produce into, and a peer to read back with

/// A cluster the tests can make topics on and read back from with a peer client.
trait Cluster {
    fn bootstrap(&self) -> String;
    /// A new topic with this many partitions.
    fn topic(&self, prefix: &str, partitions: i32) -> String;
    /// Every record of `topic`, read by the peer (exactly `count` are expected), sorted
    /// by partition, then offset.
    fn read(&self, topic: &str, count: usize) -> Vec<PeerRecord>;
    /// What the peer shows for headers that hold `headers` (kcat prints them as text).
    fn peer_view(&self, headers: &Headers) -> Headers;
    /// Writes `records` to `topic` with rdkafka, each acknowledged before the next (exact
    /// bytes, null headers and all; neither peer can write those).
    fn seed(&self, topic: &str, records: &[Source]);
    /// XDG_DATA_HOME for the ktui processes (their log file).
    fn data(&self) -> &Path;

    /// `ktui -b BOOTSTRAP ARGS…` with `input` on stdin.
    fn ktui(&self, args: &[&str], input: &[u8]) -> RanBytes {
        run_with_input(
            Process::new(KTUI)
                .args(["-b", &self.bootstrap()])
                .args(args)
                .env_remove("KAFKA_BOOTSTRAP_SERVERS")
                .env("XDG_DATA_HOME", self.data()),
            input,
            RUN,
        )
    }
}

/// Produces `records` into `topic` on `bootstrap` (each acknowledged before the next).
fn seed(rt: &tokio::runtime::Runtime, bootstrap: &str, topic: &str, records: &[Source]) {
    let records: Vec<Out> = records
        .iter()
        .map(|source| Out {
            partition: source.partition,
            key: source.key.clone(),
            value: source.value.clone(),
            headers: source
                .headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            timestamp: None,
        })
        .collect();
    rt.block_on(send_all(&producer(bootstrap), topic, &records));
}

/// Every record of `topic` as kcat reads it from the beginning to the end, sorted by
/// partition, then offset.
fn kcat_read(kcat: &Path, bootstrap: &str, topic: &str) -> Vec<PeerRecord> {
    let ran = run_with_input(
        Process::new(kcat)
            .args(["-C", "-b", bootstrap, "-t", topic])
            .args(["-o", "beginning", "-e", "-q"])
            .args(["-f", r"%p %o %K:%k %S:%s %h\n"]),
        b"",
        RUN,
    );
    assert!(
        ran.success(),
        "kcat -C {topic} failed: {} (stderr {})",
        String::from_utf8_lossy(&ran.stdout),
        ran.stderr
    );
    let mut records = parse_kcat(&ran.stdout);
    records.sort_by_key(|r| (r.partition, r.offset));
    records
}

/// Headers as kcat's `%h` shows them: `name=value` text, `NULL` for a null value, a value
/// cut at its first NUL byte (kcat prints it as a C string).
fn kcat_view(headers: &Headers) -> Headers {
    headers
        .iter()
        .map(|(name, value)| {
            let bytes = value.as_deref().unwrap_or(b"NULL");
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            let text = String::from_utf8_lossy(&bytes[..end]);
            (name.clone(), Some(text.into_owned().into_bytes()))
        })
        .collect()
}

/// The mock cluster (`--demo`'s) in this process, read back with kcat.
struct Mock {
    cluster: MockCluster,
    data: TempDir,
    kcat: PathBuf,
}

impl Mock {
    /// `None` (after a skip notice) when kcat is missing outside CI.
    fn start() -> Option<Self> {
        if !kcat_available() {
            return None;
        }
        Some(Self {
            cluster: MockCluster::start(),
            data: tempfile::tempdir().expect("tempdir"),
            kcat: kcat()?,
        })
    }
}

impl Cluster for Mock {
    fn bootstrap(&self) -> String {
        self.cluster.bootstrap().to_string()
    }

    fn topic(&self, prefix: &str, partitions: i32) -> String {
        self.cluster.topic(prefix, partitions)
    }

    fn read(&self, topic: &str, count: usize) -> Vec<PeerRecord> {
        let records = kcat_read(&self.kcat, self.cluster.bootstrap(), topic);
        assert_eq!(
            records.len(),
            count,
            "kcat read {} records from {topic}, expected {count}: {records:#?}",
            records.len()
        );
        records
    }

    fn peer_view(&self, headers: &Headers) -> Headers {
        kcat_view(headers)
    }

    fn seed(&self, topic: &str, records: &[Source]) {
        seed(&self.cluster.rt, self.cluster.bootstrap(), topic, records);
    }

    fn data(&self) -> &Path {
        self.data.path()
    }
}
/// Parses kcat's `%p %o %K:%k %S:%s %h\n` lines: the lengths make keys and values exact
/// bytes (a value may hold newlines or any byte). Headers are `name=value,…`.
fn parse_kcat(mut out: &[u8]) -> Vec<PeerRecord> {
    fn until<'a>(out: &mut &'a [u8], stop: u8) -> &'a [u8] {
        let at = out.iter().position(|b| *b == stop).unwrap_or_else(|| {
            panic!(
                "kcat output ended early: {:?}",
                String::from_utf8_lossy(out)
            )
        });
        let field = &out[..at];
        *out = &out[at + 1..];
        field
    }
    fn number(field: &[u8]) -> i64 {
        std::str::from_utf8(field)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "kcat printed {:?} for a number",
                    String::from_utf8_lossy(field)
                )
            })
    }
    fn sized(out: &mut &[u8]) -> Option<Vec<u8>> {
        let length = number(until(out, b':'));
        let bytes = usize::try_from(length).ok().map(|n| {
            let bytes = out[..n].to_vec();
            *out = &out[n..];
            bytes
        });
        assert_eq!(
            out.first(),
            Some(&b' '),
            "kcat output: a space after a payload"
        );
        *out = &out[1..];
        bytes
    }
    let mut records = Vec::new();
    while !out.is_empty() {
        let partition = i32::try_from(number(until(&mut out, b' '))).expect("partition");
        let offset = number(until(&mut out, b' '));
        let key = sized(&mut out);
        let value = sized(&mut out);
        let headers = String::from_utf8_lossy(until(&mut out, b'\n'))
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                let (name, value) = h.split_once('=').expect("name=value");
                (name.to_string(), Some(value.as_bytes().to_vec()))
            })
            .collect();
        records.push(PeerRecord {
            partition,
            offset,
            key,
            value,
            headers,
        });
    }
    records
}

/// Apache Kafka (the shared node), read back with kafka-python and kcat, which must agree.
struct Kafka {
    broker: &'static SharedKafka,
    data: TempDir,
    kcat: PathBuf,
}

impl Kafka {
    /// `None` (after a skip notice) when Kafka, kafka-python or kcat is missing outside CI.
    fn start() -> Option<Self> {
        let broker = kafka::shared()?;
        if !kcat_available() {
            return None;
        }
        Some(Self {
            broker,
            data: tempfile::tempdir().expect("tempdir"),
            kcat: kcat()?,
        })
    }
}

impl Cluster for Kafka {
    fn bootstrap(&self) -> String {
        self.broker.address()
    }

    fn topic(&self, prefix: &str, partitions: i32) -> String {
        let name = unique(prefix);
        kp(
            &self.broker.address(),
            &[
                "create-topic",
                &name,
                "--partitions",
                &partitions.to_string(),
            ],
        );
        name
    }

    fn read(&self, topic: &str, count: usize) -> Vec<PeerRecord> {
        let address = self.broker.address();
        let records = kp_consume(&address, topic, count);
        assert_eq!(records.len(), count, "{records:#?}");
        assert_exact_offsets(&address, topic, &records);
        let seen_by_kcat = kcat_read(&self.kcat, &address, topic);
        let want: Vec<PeerRecord> = records
            .iter()
            .map(|r| PeerRecord {
                headers: kcat_view(&r.headers),
                ..r.clone()
            })
            .collect();
        assert_eq!(
            seen_by_kcat, want,
            "kcat (left) and kafka-python (right) read the same records from {topic}"
        );
        records
    }

    fn peer_view(&self, headers: &Headers) -> Headers {
        headers.clone()
    }

    fn seed(&self, topic: &str, records: &[Source]) {
        // A runtime of its own: a test on a runtime cannot drop one it holds.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        seed(&rt, &self.broker.address(), topic, records);
    }

    fn data(&self) -> &Path {
        self.data.path()
    }
}

/// What a record should hold: (partition, key, value, headers).
type Want = (i32, Option<Vec<u8>>, Option<Vec<u8>>, Headers);

fn got(records: &[PeerRecord]) -> Vec<Want> {
    records
        .iter()
        .map(|r| {
            (
                r.partition,
                r.key.clone(),
                r.value.clone(),
                r.headers.clone(),
            )
        })
        .collect()
}

fn raw(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn header(name: &str, value: &str) -> (String, Option<Vec<u8>>) {
    (name.to_string(), Some(raw(value)))
}

/// Asserts `ktui produce` exited 0 and its summary counts `n` messages to `topic`.
fn assert_produced(ran: &RanBytes, n: usize, topic: &str) {
    assert!(
        ran.success(),
        "ktui produce failed ({:?}) after {:?}: {}",
        ran.status,
        ran.elapsed,
        ran.stderr
    );
    let messages = if n == 1 { "message" } else { "messages" };
    assert!(
        ran.stderr
            .contains(&format!("produced {n} {messages} to {topic}")),
        "the summary on stderr: {:?}",
        ran.stderr
    );
}

// ---------------------------------------------------------------------------------------
// A1: text lines, -K, -k, -H, -p and files arrive exactly

/// Lines from stdin, in order, byte for byte: UTF-8, an empty line (kept with
/// `--keep-empty`; skipped by default, see `tests/backend/headless_hardening.rs`), a tab, an
/// escape sequence, and a last line without its newline.
fn lines_arrive_in_order(cluster: &impl Cluster) {
    let topic = cluster.topic("prod-lines", 1);
    let lines = [
        "plain",
        "héllo wörld ✓ 日本",
        "",
        "with\ttab",
        r#"{"json": [1, 2]}"#,
        " spaced \x1b[1m ",
        "last line without newline",
    ];
    let ran = cluster.ktui(
        &["produce", &topic, "--keep-empty"],
        lines.join("\n").as_bytes(),
    );
    assert_produced(&ran, lines.len(), &topic);
    let want: Vec<Want> = lines
        .iter()
        .map(|l| (0, None, Some(raw(l)), Vec::new()))
        .collect();
    assert_eq!(got(&cluster.read(&topic, lines.len())), want, "stdin lines");
}

/// `-K :` splits at the first `:`; a line without one is all value; `:v` is an empty key.
fn key_separator_splits_key_and_value(cluster: &impl Cluster) {
    let topic = cluster.topic("prod-sep", 1);
    let input = "k1:v1\nno separator\n:empty key\nk:a:b\nk1:v2\n";
    let ran = cluster.ktui(&["produce", &topic, "-K", ":"], input.as_bytes());
    assert_produced(&ran, 5, &topic);
    let want: Vec<Want> = [
        (Some("k1"), "v1"),
        (None, "no separator"),
        (Some(""), "empty key"),
        (Some("k"), "a:b"),
        (Some("k1"), "v2"),
    ]
    .iter()
    .map(|(k, v)| (0, k.map(raw), Some(raw(v)), Vec::new()))
    .collect();
    assert_eq!(got(&cluster.read(&topic, 5)), want, "-K :");
}

/// `-k KEY -H a=1 -H b=2 -p 1`: every message has that key, both headers in order, and
/// lands in partition 1 of 3.
fn key_headers_and_partition_apply_to_every_message(cluster: &impl Cluster) {
    let topic = cluster.topic("prod-khp", 3);
    let args = [
        "produce",
        &topic,
        "-k",
        "fixed-key",
        "-H",
        "a=1",
        "-H",
        "b=2",
        "-p",
        "1",
    ];
    let ran = cluster.ktui(&args, b"x\ny\nz\n");
    assert_produced(&ran, 3, &topic);
    let want: Vec<Want> = ["x", "y", "z"]
        .iter()
        .map(|v| {
            (
                1,
                Some(raw("fixed-key")),
                Some(raw(v)),
                vec![header("a", "1"), header("b", "2")],
            )
        })
        .collect();
    assert_eq!(got(&cluster.read(&topic, 3)), want, "-k -H -H -p 1");
}

/// `produce T f1 f2`: each file is one message, exactly (all 256 byte values too);
/// with `-l`, one message per line.
fn files_are_one_message_each_or_one_per_line(cluster: &impl Cluster) {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.txt");
    let binary = dir.path().join("binary.bin");
    let third = dir.path().join("third.txt");
    std::fs::write(&text, "first line\nsecond line ✓\n").expect("file");
    let all_bytes: Vec<u8> = (0..=255).collect();
    std::fs::write(&binary, &all_bytes).expect("file");
    std::fs::write(&third, "three").expect("file");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_string();

    let topic = cluster.topic("prod-files", 1);
    let ran = cluster.ktui(&["produce", &topic, &path(&text), &path(&binary)], b"");
    assert_produced(&ran, 2, &topic);
    let want: Vec<Want> = vec![
        (
            0,
            None,
            Some(raw("first line\nsecond line ✓\n")),
            Vec::new(),
        ),
        (0, None, Some(all_bytes), Vec::new()),
    ];
    assert_eq!(got(&cluster.read(&topic, 2)), want, "one message per file");

    let topic = cluster.topic("prod-lines-l", 1);
    let ran = cluster.ktui(&["produce", &topic, "-l", &path(&text), &path(&third)], b"");
    assert_produced(&ran, 3, &topic);
    let want: Vec<Want> = ["first line", "second line ✓", "three"]
        .iter()
        .map(|v| (0, None, Some(raw(v)), Vec::new()))
        .collect();
    assert_eq!(
        got(&cluster.read(&topic, 3)),
        want,
        "-l: one message per line"
    );
}

#[test]
fn produce_text_keys_headers_partition_and_files_arrive_exactly_on_the_mock_via_kcat() {
    let Some(mock) = Mock::start() else { return };
    lines_arrive_in_order(&mock);
    key_separator_splits_key_and_value(&mock);
    key_headers_and_partition_apply_to_every_message(&mock);
    files_are_one_message_each_or_one_per_line(&mock);
}

#[test]
fn produce_text_keys_headers_partition_and_files_arrive_exactly_on_kafka_via_kafka_python_and_kcat()
{
    let Some(kafka) = Kafka::start() else { return };
    lines_arrive_in_order(&kafka);
    key_separator_splits_key_and_value(&kafka);
    key_headers_and_partition_apply_to_every_message(&kafka);
    files_are_one_message_each_or_one_per_line(&kafka);
}

// ---------------------------------------------------------------------------------------
// A2: a key lands where kafka-python's default partitioner puts it

#[test]
fn keyed_messages_land_in_the_partition_kafka_python_picks() {
    let Some(kafka) = Kafka::start() else { return };
    let address = kafka.bootstrap();
    let topic = kafka.topic("prod-murmur", 6);
    let mut keys: Vec<String> = (0..10).map(|i| format!("user-{i}")).collect();
    keys.extend((0..7).map(|i| format!("order-{}", i * 7919)));
    keys.extend(["ключ-é".to_string(), "a".into(), String::new()]);
    let input = keys
        .iter()
        .enumerate()
        .fold(String::new(), |mut out, (i, k)| {
            let _ = writeln!(out, "{k}:value {i}");
            out
        });
    let ran = kafka.ktui(&["produce", &topic, "-K", ":"], input.as_bytes());
    assert_produced(&ran, keys.len(), &topic);

    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let expected = kp_default_partitions(&address, &topic, &key_refs);
    let records = kafka.read(&topic, keys.len());
    let actual: BTreeMap<String, i32> = records
        .iter()
        .map(|r| {
            let key = String::from_utf8(r.key.clone().expect("every record has a key"))
                .expect("UTF-8 key");
            (key, r.partition)
        })
        .collect();
    assert_eq!(actual.len(), keys.len(), "one record per key: {records:#?}");
    assert_eq!(
        actual, expected,
        "where ktui put each key (left) vs where kafka-python would (right)"
    );
    let used: std::collections::BTreeSet<i32> = actual.values().copied().collect();
    assert!(
        used.len() >= 3,
        "20 keys spread over several of the 6 partitions: {actual:?}"
    );

    // The other way round: kafka-python's producer really sends the same keys to a topic
    // of the same shape, and each lands where ktui put it.
    let theirs = kafka.topic("prod-murmur-kp", 6);
    let sent = kp_produce_records(
        &address,
        &theirs,
        &serde_json::Value::Array(
            keys.iter()
                .map(|k| serde_json::json!({"key": k, "value": "from kafka-python"}))
                .collect(),
        ),
    );
    let placed: BTreeMap<String, i32> = keys
        .iter()
        .zip(&sent)
        .map(|(k, (partition, _))| (k.clone(), *partition))
        .collect();
    assert_eq!(
        actual, placed,
        "where ktui put each key (left) vs where kafka-python's producer sent it (right)"
    );
}
// ---------------------------------------------------------------------------------------
// A3: consume --format json | produce --format json copies a topic byte for byte

/// A record to seed the source topic with.
struct Source {
    partition: i32,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Headers,
}

fn sources() -> Vec<Source> {
    vec![
        Source {
            partition: 0,
            key: Some(raw("user-1")),
            value: Some(raw(r#"{"a":1,"s":"ü"}"#)),
            headers: vec![
                header("trace", "abc"),
                ("bin".into(), Some(vec![0xff, 0x00, 0xfe])),
                ("nil".into(), None),
            ],
        },
        Source {
            partition: 0,
            key: None,
            value: Some(vec![0, 1, 2, 0xff, 0xfe, 0x1b, b'\n', 0x80]),
            headers: Vec::new(),
        },
        Source {
            partition: 1,
            key: Some(vec![0xc3, 0x28]),
            value: Some(raw("héllo\nwörld\r\n")),
            headers: vec![header("empty", "")],
        },
        Source {
            partition: 1,
            key: Some(raw("user-1")),
            value: None,
            headers: vec![header("reason", "deleted")],
        },
        Source {
            partition: 2,
            key: Some(raw("")),
            value: Some(raw("")),
            headers: Vec::new(),
        },
        Source {
            partition: 2,
            key: Some(raw("k")),
            value: Some(raw("with \"quotes\", a \\ backslash\tand a tab")),
            headers: vec![header("x", "1"), header("x", "2")],
        },
    ]
}

/// `ktui consume --format json -o beginning -e TOPIC`, checked and parsed.
fn consume_json(cluster: &impl Cluster, topic: &str) -> (Vec<u8>, Vec<Envelope>) {
    let ran = cluster.ktui(
        &[
            "consume",
            "--format",
            "json",
            "-o",
            "beginning",
            "-e",
            topic,
        ],
        b"",
    );
    assert!(ran.success(), "ktui consume {topic} failed: {ran:?}");
    let envelopes = String::from_utf8(ran.stdout.clone())
        .expect("NDJSON is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (ran.stdout, envelopes)
}

/// (partition, key, value, headers, timestamp) per record, sorted by partition, then
/// offset: what a copy must keep (the topic and offsets may differ).
fn contents(envelopes: &[Envelope]) -> Vec<(Want, Option<i64>)> {
    let mut sorted: Vec<&Envelope> = envelopes.iter().collect();
    sorted.sort_by_key(|e| (e.partition, e.offset));
    sorted
        .iter()
        .map(|e| {
            let (key, value, headers) = e.payload().expect("a valid envelope");
            let headers = headers.into_iter().map(|h| (h.name, h.value)).collect();
            (
                (e.partition.expect("partition"), key, value, headers),
                e.timestamp,
            )
        })
        .collect()
}

fn copies_a_topic_byte_for_byte(cluster: &impl Cluster) {
    let source = cluster.topic("copy-src", 3);
    let target = cluster.topic("copy-dst", 3);
    let seeded = sources();
    cluster.seed(&source, &seeded);

    let (ndjson, original) = consume_json(cluster, &source);
    assert_eq!(
        original.len(),
        seeded.len(),
        "{}",
        String::from_utf8_lossy(&ndjson)
    );
    let want: Vec<Want> = seeded
        .iter()
        .map(|s| {
            (
                s.partition,
                s.key.clone(),
                s.value.clone(),
                s.headers.clone(),
            )
        })
        .collect();
    let original = contents(&original);
    assert_eq!(
        original.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>(),
        want,
        "consume --format json holds what was produced"
    );

    let ran = cluster.ktui(&["produce", "--format", "json", &target], &ndjson);
    assert_produced(&ran, seeded.len(), &target);

    let (_, copied) = consume_json(cluster, &target);
    let copied = contents(&copied);
    assert_eq!(
        copied, original,
        "the copy: same partition, key, value, headers and timestamp, byte for byte"
    );
    // The peer agrees on every byte the copy holds.
    let want: Vec<Want> = want
        .into_iter()
        .map(|(p, k, v, h)| (p, k, v, cluster.peer_view(&h)))
        .collect();
    assert_eq!(
        got(&cluster.read(&target, seeded.len())),
        want,
        "the peer reads the copy"
    );
}

#[test]
fn consume_json_piped_into_produce_json_copies_a_topic_byte_for_byte_on_the_mock() {
    let Some(mock) = Mock::start() else { return };
    copies_a_topic_byte_for_byte(&mock);
}

#[test]
fn consume_json_piped_into_produce_json_copies_a_topic_byte_for_byte_on_kafka() {
    let Some(kafka) = Kafka::start() else { return };
    copies_a_topic_byte_for_byte(&kafka);
}

// ---------------------------------------------------------------------------------------
// A4: failures are reported in words, with a non-zero exit

#[test]
fn producing_to_a_topic_that_does_not_exist_fails_naming_it() {
    let Some(kafka) = Kafka::start() else { return };
    let topic = unique("prod-missing");
    let ran = run_with_input(
        Process::new(KTUI)
            .args(["-b", &kafka.bootstrap(), "produce", &topic])
            .env("XDG_DATA_HOME", kafka.data()),
        b"one\ntwo\n",
        TIMES_OUT + Duration::from_secs(10),
    );
    assert!(
        ran.status.is_some(),
        "ktui produce gave up by itself (it was killed after {:?}): {}",
        ran.elapsed,
        ran.stderr
    );
    // Checked before any input is read: nothing is queued, nothing times out.
    assert_eq!(ran.code(), Some(2), "a failure exits non-zero: {ran:?}");
    assert!(
        ran.stderr.contains(&format!(
            "unknown topic \"{topic}\": the cluster has no topic by that name"
        )),
        "names the topic and says it does not exist: {:?}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("produced"), "{:?}", ran.stderr);
    // The node does not auto-create topics (auto.create.topics.enable=false): nothing
    // appeared.
    let topics = support::peers::kp_topics(&kafka.bootstrap());
    assert!(!topics.contains(&topic), "{topics:?}");
}

#[test]
fn invalid_json_lines_are_named_by_number_and_the_valid_ones_still_go_out() {
    let Some(mock) = Mock::start() else { return };
    let topic = mock.topic("prod-badjson", 1);
    let input = [
        r#"{"key":"k1","value":"before"}"#,
        "this is not json",
        r#"{"value":"after"}"#,
        "",
        r#"{"value":"%%%","value_encoding":"base64"}"#,
        r#"{"value":"last","headers":[{"key":"h","value":"v"}]}"#,
    ]
    .join("\n");
    let ran = mock.ktui(&["produce", "--format", "json", &topic], input.as_bytes());
    assert_eq!(ran.code(), Some(1), "exit 1: {ran:?}");
    for needle in [
        "produced 3 messages",
        "2 failed",
        "line 2: not a JSON envelope",
        "line 5: value: invalid base64",
    ] {
        assert!(
            ran.stderr.contains(needle),
            "{needle:?} in {:?}",
            ran.stderr
        );
    }
    let want: Vec<Want> = vec![
        (0, Some(raw("k1")), Some(raw("before")), Vec::new()),
        (0, None, Some(raw("after")), Vec::new()),
        (0, None, Some(raw("last")), vec![header("h", "v")]),
    ];
    assert_eq!(
        got(&mock.read(&topic, 3)),
        want,
        "the valid lines, in order"
    );
}

#[test]
fn an_unreachable_broker_fails_within_seconds_saying_it_cannot_be_reached() {
    let data = tempfile::tempdir().expect("tempdir");
    let address = unused_address();
    let ran = run_with_input(
        Process::new(KTUI)
            .args(["-b", &address, "produce", "nowhere"])
            .env("XDG_DATA_HOME", data.path()),
        b"one\ntwo\n",
        Duration::from_secs(60),
    );
    assert!(
        ran.status.is_some() && ran.elapsed < TIMES_OUT,
        "ktui produce must give up within {TIMES_OUT:?}, took {:?}: {ran:?}",
        ran.elapsed
    );
    assert_eq!(ran.code(), Some(2), "{ran:?}");
    assert!(
        ran.stderr
            .contains(&format!("cannot reach the cluster at {address}: "))
            && ran.stderr.contains("Connection refused"),
        "says which cluster and why: {:?}",
        ran.stderr
    );
}

// ---------------------------------------------------------------------------------------
// A5: the worker's Command::Produce

/// How long a delivery report may take (the message timeout is 15 s).
const DELIVERY: Duration = Duration::from_secs(20);

/// Sends `message` as request `id` and waits for its delivery report.
async fn produce(
    worker: &mut WorkerHandle,
    id: u64,
    message: OutgoingMessage,
) -> Result<DeliveryReport, ProduceFailure> {
    worker
        .commands
        .send(Command::Produce { id, message })
        .await
        .expect("the worker is running");
    next_event(
        worker,
        &format!("the delivery report for {id}"),
        DELIVERY,
        |e| match e {
            KafkaEvent::Delivered { id: got, result } if *got == id => Some(result.clone()),
            _ => None,
        },
    )
    .await
}

/// A worker on `address`, once it reports Connected.
async fn connected_worker(address: &str) -> WorkerHandle {
    let mut options = WorkerOptions::new(ClientSettings::new(address));
    options.refresh_every = Duration::from_secs(60);
    let mut worker = ktui::kafka::worker::spawn(options);
    next_event(&mut worker, "Connected", DELIVERY, |e| match e {
        KafkaEvent::Connection(Connection::Connected { .. }) => Some(()),
        _ => None,
    })
    .await;
    worker
}

fn message(
    topic: &str,
    partition: Option<i32>,
    key: &str,
    value: Option<&[u8]>,
) -> OutgoingMessage {
    OutgoingMessage {
        topic: topic.to_string(),
        partition,
        key: Some(raw(key)),
        value: value.map(<[u8]>::to_vec),
        headers: Vec::new(),
        timestamp: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_reports_where_each_message_landed_and_the_peer_reads_it_there() {
    let Some(kafka) = block_in_place(Kafka::start) else {
        return;
    };
    let address = kafka.bootstrap();
    let topic = block_in_place(|| kafka.topic("wk-produce", 3));
    let mut worker = connected_worker(&address).await;

    let headers = vec![
        Header {
            name: "trace".into(),
            value: Some(raw("abc-123")),
        },
        Header {
            name: "bin".into(),
            value: Some(vec![0xff, 0x00, 0x7f]),
        },
    ];
    let keyed = OutgoingMessage {
        headers: headers.clone(),
        ..message(&topic, None, "order-42", Some(br#"{"total": 9.5}"#))
    };
    let first = produce(&mut worker, 7, keyed)
        .await
        .unwrap_or_else(|f| panic!("the keyed message was not delivered: {f:?}"));
    let tombstone = produce(&mut worker, 8, message(&topic, Some(2), "order-42", None))
        .await
        .unwrap_or_else(|f| panic!("the tombstone was not delivered: {f:?}"));
    assert_eq!(tombstone.partition, 2, "an explicit partition is kept");
    // The first records of a new topic: offset 0 of their partitions (1 for the
    // tombstone if the keyed message went to partition 2 too).
    assert_eq!(first.offset, 0, "{first:?}");
    assert_eq!(
        tombstone.offset,
        i64::from(first.partition == 2),
        "{tombstone:?} after {first:?}"
    );

    let expected = block_in_place(|| kp_default_partitions(&address, &topic, &["order-42"]));
    assert_eq!(
        first.partition, expected["order-42"],
        "a key lands where kafka-python would put it"
    );
    let records = block_in_place(|| kafka.read(&topic, 2));
    let at = |partition: i32, offset: i64| {
        records
            .iter()
            .find(|r| (r.partition, r.offset) == (partition, offset))
            .unwrap_or_else(|| panic!("nothing at {partition}/{offset}: {records:#?}"))
    };
    let peer = at(first.partition, first.offset);
    assert_eq!(peer.key.as_deref(), Some(&b"order-42"[..]));
    assert_eq!(peer.value.as_deref(), Some(&br#"{"total": 9.5}"#[..]));
    assert_eq!(
        peer.headers,
        vec![
            header("trace", "abc-123"),
            ("bin".to_string(), Some(vec![0xff, 0x00, 0x7f]))
        ]
    );
    let peer = at(2, tombstone.offset);
    assert_eq!(peer.key.as_deref(), Some(&b"order-42"[..]));
    assert_eq!(peer.value, None, "a tombstone arrives as null, not empty");

    let report = shut_down(worker).await;
    assert_eq!(
        report,
        ShutdownReport { unconfirmed: 0 },
        "everything confirmed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_reports_a_timeout_as_retriable_and_counts_unconfirmed_messages_at_shutdown() {
    // A node of its own: the test kills it.
    let Some(mut node) = block_in_place(kafka::KafkaNode::start) else {
        return;
    };
    let address = node.address();
    let topic = unique("wk-stopped");
    block_in_place(|| kp(&address, &["create-topic", &topic, "--partitions", "1"]));
    let mut worker = connected_worker(&address).await;
    let delivered = produce(&mut worker, 1, message(&topic, None, "k", Some(b"first")))
        .await
        .unwrap_or_else(|f| panic!("the first message was not delivered: {f:?}\n{}", node.log()));
    assert_eq!((delivered.partition, delivered.offset), (0, 0));

    block_in_place(|| node.kill());
    // One that will time out, and one still waiting when the worker is told to stop.
    let failure = produce(&mut worker, 2, message(&topic, None, "k", Some(b"second")))
        .await
        .expect_err("no broker, no delivery");
    assert_eq!(failure.code, "MESSAGE_TIMED_OUT", "{failure:?}");
    assert!(failure.retriable, "a timeout may work later: {failure:?}");

    worker
        .commands
        .send(Command::Produce {
            id: 3,
            message: message(&topic, None, "k", Some(b"third")),
        })
        .await
        .expect("the worker is running");
    let report = shut_down(worker).await;
    assert_eq!(
        report,
        ShutdownReport { unconfirmed: 1 },
        "the third message was never confirmed"
    );
}
