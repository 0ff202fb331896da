//! Schema decode: N Confluent-framed Avro orders (magic byte 0, the 4-byte schema id, the
//! Avro body) read from the beginning and decoded through a schema registry, `ktui consume
//! --schema-registry --format json -e` beside confluent-kafka's `AvroDeserializer`
//! (`benches/schema_bench.py`), same broker, same registry, alternating runs.
//!
//! The registry is the tests' fake one (`tests/support/fake_registry/`, the Confluent
//! REST API on a local port: no real registry runs here). The records are written once per
//! run by confluent-kafka's `AvroSerializer`, which registers the schema as `TOPIC-value`.
//! Each tool's answer is checked: every record decoded, and the decoded `quantity` fields
//! and `items` arrays add up to what the orders hold. kcat is no peer here: Debian's kcat
//! is built without Avro (its `-s` takes pack formats only, it has no `-r`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use serde_json::Value;

use super::fake_registry::FakeRegistry;
use super::mock::{messages, partitions_to_hold, retained};
use super::tools::{fmt_rate, median, rate, timed};
use super::{Options, Report, Row};

/// The framed orders' size is about 120–200 bytes; planned at this for the mock cluster's
/// per-partition limit.
const ORDER_BYTES: usize = 256;

/// Where the rows run.
pub(crate) enum Broker<'a> {
    /// Apache Kafka (its version).
    Kafka(&'a str),
    /// librdkafka's mock cluster, which creates topics through `create`.
    Mock(&'a dyn Fn(&str, i32)),
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/schema_bench.py")
}

/// Whether python3 has confluent-kafka with its Avro serdes (fastavro).
pub(crate) fn peer_installed() -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import fastavro; from confluent_kafka.schema_registry.avro import AvroDeserializer",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// confluent-kafka's version, e.g. "2.16.1".
fn peer_version() -> String {
    Command::new("python3")
        .args([
            "-c",
            "import confluent_kafka; print(confluent_kafka.__version__)",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "?".into())
}

/// Order `i`'s `quantity` (as `schema_bench.py` writes it).
fn quantity(i: u64) -> u64 {
    i % 97 + 1
}

/// Order `i`'s number of items (as `schema_bench.py` writes it).
fn item_count(i: u64) -> u64 {
    i % 3 + 1
}

/// What a reader of every order found: records decoded, the sum of their `quantity`
/// fields and of their `items` arrays' lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) records: u64,
    pub(crate) quantity: u64,
    pub(crate) items: u64,
}

impl Decoded {
    /// What orders `0..n` hold.
    pub(crate) fn expected(n: u64) -> Self {
        Self {
            records: n,
            quantity: (0..n).map(quantity).sum(),
            items: (0..n).map(item_count).sum(),
        }
    }

    fn from_json(value: &Value) -> Option<Self> {
        Some(Self {
            records: value.get("records")?.as_u64()?,
            quantity: value.get("quantity")?.as_u64()?,
            items: value.get("items")?.as_u64()?,
        })
    }
}

/// Runs a command with its stdout captured (the peer prints one line); seconds and stdout.
fn timed_output(command: &mut Command) -> (f64, String) {
    command.stdin(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let output = command.output().expect("run the tool");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        seconds,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn peer(bootstrap: &str, registry: &str, command: &str, topic: &str, n: usize) -> Command {
    let mut peer = Command::new("python3");
    peer.arg(script())
        .args([
            "--bootstrap",
            bootstrap,
            "--registry",
            registry,
            command,
            topic,
        ])
        .args(["--count", &n.to_string()]);
    peer
}

fn ktui_consume(ktui: &Path, bootstrap: &str, registry: &str, topic: &str) -> Command {
    let mut command = Command::new(ktui);
    command.args([
        "consume",
        topic,
        "-b",
        bootstrap,
        "--schema-registry",
        registry,
        "--format",
        "json",
        "-o",
        "beginning",
        "-e",
    ]);
    command
}

/// What ktui's envelopes hold: every line with a `value_decoded` (and no schema error)
/// counted, its `quantity` and `items` added up; and the framed values' bytes (`value` is
/// the bytes as consumed, base64 when they are not UTF-8).
fn ktui_decoded(output: &[u8]) -> (Decoded, u64) {
    use base64::Engine as _;
    let mut found = Decoded {
        records: 0,
        quantity: 0,
        items: 0,
    };
    let mut bytes = 0;
    for line in output.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let envelope: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
            panic!(
                "ktui consume --format json printed {:?}: {e}",
                String::from_utf8_lossy(line)
            )
        });
        let decoded = &envelope["value_decoded"];
        let error = &envelope["value_schema"]["error"];
        assert!(
            decoded.is_object() && error.is_null(),
            "ktui decoded no value: {envelope}"
        );
        found.records += 1;
        found.quantity += decoded["quantity"].as_u64().unwrap_or(0);
        found.items += decoded["items"].as_array().map_or(0, |a| a.len() as u64);
        let value = envelope["value"].as_str().unwrap_or_default();
        bytes += if envelope["value_encoding"] == "base64" {
            base64::engine::general_purpose::STANDARD
                .decode(value)
                .map_or(0, |b| b.len() as u64)
        } else {
            value.len() as u64
        };
    }
    (found, bytes)
}

/// `schema_bench.py produce`: the orders, framed by `AvroSerializer`.
fn produce(bootstrap: &str, registry: &str, topic: &str, n: usize) {
    timed(&mut peer(bootstrap, registry, "produce", topic, n), None);
}

/// A topic on Apache Kafka.
fn create_on_kafka(rt: &tokio::runtime::Runtime, bootstrap: &str, name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let results = rt
        .block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .expect("create a topic on Kafka");
    assert!(
        results.iter().all(Result::is_ok),
        "create {name}: {results:?}"
    );
}

/// "123 k msg/s · 24.6 MB/s (runs: 1.62 1.60 1.71 s)".
fn figure(n: usize, bytes: u64, times: &[f64]) -> String {
    let middle = median(times);
    let runs: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
    format!(
        "{} · {:.1} MB/s (runs: {} s)",
        fmt_rate(rate(n, middle)),
        bytes as f64 / middle / 1e6,
        runs.join(" ")
    )
}

/// The schema decode row: produces the orders (untimed), then times both readers,
/// alternating, `options.repeat` runs each; checks every answer.
pub(crate) fn schema_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    bootstrap: &str,
    broker: &Broker<'_>,
    rt: &tokio::runtime::Runtime,
) {
    let n = options.schema_records;
    let on = match broker {
        Broker::Kafka(version) => format!("Apache Kafka {version}"),
        Broker::Mock(_) => "the mock cluster".to_string(),
    };
    let scenario = format!(
        "schema decode on {on}: {n} Avro orders via a registry (ktui consume \
         --schema-registry --format json -e / confluent-kafka AvroDeserializer)"
    );
    if !peer_installed() {
        report.rows.push(Row {
            scenario,
            ktui: "not run".into(),
            peer: "python3 confluent-kafka[avro] not installed (it writes the records)".into(),
            ratio: None,
        });
        return;
    }
    let registry = FakeRegistry::start_in_background();
    let url = registry.url();
    let topic = "bench-schema-orders";
    let partitions = match broker {
        Broker::Kafka(_) => {
            create_on_kafka(rt, bootstrap, topic, options.partitions);
            options.partitions
        }
        Broker::Mock(create) => {
            let partitions = partitions_to_hold(n, ORDER_BYTES).max(options.partitions);
            create(topic, partitions);
            partitions
        }
    };
    produce(bootstrap, &url, topic, n);
    assert_eq!(
        messages(bootstrap, topic, partitions),
        n as u64,
        "AvroSerializer produced every order to {topic}"
    );
    assert_eq!(
        retained(bootstrap, topic, partitions),
        n as u64,
        "the broker kept every order"
    );
    let expected = Decoded::expected(n as u64);

    let (mut ktui_times, mut peer_times) = (Vec::new(), Vec::new());
    let mut peer_found = None;
    let mut ktui_found = None;
    let mut bytes = 0;
    for _ in 0..options.repeat {
        // Every timed run's output is checked: one that printed records undecoded (a
        // registry hiccup) would otherwise pass for speed.
        let (seconds, stdout) = timed_output(&mut ktui_consume(ktui, bootstrap, &url, topic));
        let (found, run_bytes) = ktui_decoded(stdout.as_bytes());
        assert_eq!(
            found, expected,
            "ktui consume decoded every order through the registry"
        );
        ktui_times.push(seconds);
        (ktui_found, bytes) = (Some(found), run_bytes);
        let (seconds, stdout) = timed_output(&mut peer(bootstrap, &url, "consume", topic, n));
        peer_times.push(seconds);
        let found = serde_json::from_str(stdout.trim())
            .ok()
            .as_ref()
            .and_then(Decoded::from_json)
            .unwrap_or_else(|| panic!("schema_bench.py consume printed {stdout:?}"));
        assert_eq!(
            found, expected,
            "confluent-kafka's AvroDeserializer decoded every order"
        );
        peer_found = Some(found);
    }

    let ratio = median(&peer_times) / median(&ktui_times);
    report.rows.push(Row {
        scenario: format!(
            "{scenario}, {} B each on average",
            bytes.checked_div(n as u64).unwrap_or(0)
        ),
        ktui: figure(n, bytes, &ktui_times),
        peer: format!(
            "confluent-kafka {} {}",
            peer_version(),
            figure(n, bytes, &peer_times)
        ),
        ratio: Some(ratio),
    });
    report.schema = Some((
        expected.records,
        ktui_found.map_or(0, |f| f.records),
        peer_found.map_or(0, |f| f.records),
    ));
}
