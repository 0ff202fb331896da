//! The peer clients that check what ktui wrote and write what it reads: kafka-python,
//! kcat, confluent-kafka (the current librdkafka, from PyPI) and Kafka's own Java
//! command-line tools, run from the same jars as the broker.
#![allow(dead_code)] // each test binary uses a subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::process::{Ran, run_with_timeout};
use super::{find_tool, require, wait_until};

// ---------------------------------------------------------------------------------------
// kafka-python

fn kp_script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/kp.py")
}

pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether python3 with kafka-python is installed (checked once).
pub fn peer_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(python())
            .args(["-c", "import kafka"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs `kp.py --bootstrap ADDR ARGS…`: stdout on success, stdout+stderr on failure.
pub fn kp_try(bootstrap: &str, args: &[&str]) -> Result<String, String> {
    let ran = run_with_timeout(
        Command::new(python())
            .arg(kp_script())
            .args(["--bootstrap", bootstrap])
            .args(args),
        Duration::from_secs(30),
    );
    match ran.status {
        Some(status) if status.success() => Ok(ran.stdout),
        status => Err(format!(
            "kp.py {args:?} failed ({status:?}): {}{}",
            ran.stdout.trim(),
            ran.stderr.trim()
        )),
    }
}

/// Like [`kp_try`], but panics with the peer's stderr on failure.
pub fn kp(bootstrap: &str, args: &[&str]) -> String {
    kp_try(bootstrap, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Produces records with kafka-python, one request each. `records` is a JSON list of
/// `{"key": str|null, "value": str|null, "headers": [[name, value]], "partition": n}`
/// (every field optional). Returns `[partition, offset]` per record.
pub fn kp_produce_records(
    bootstrap: &str,
    topic: &str,
    records: &serde_json::Value,
) -> Vec<(i32, i64)> {
    let out = kp(bootstrap, &["produce-records", topic, &records.to_string()]);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py produce-records printed {out:?}: {e}"))
}

/// One record as kafka-python read it: exact bytes, `None` for null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl PeerRecord {
    /// The value as text (lossy), `<null>` for a tombstone: for failure messages.
    pub fn value_text(&self) -> String {
        self.value.as_deref().map_or_else(
            || "<null>".into(),
            |v| String::from_utf8_lossy(v).into_owned(),
        )
    }
}

fn base64_field(value: &serde_json::Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    value.as_str().map(|text| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|e| panic!("kp.py printed bad base64 {text:?}: {e}"))
    })
}

/// Reads `topic` from the beginning with kafka-python until `count` records arrived
/// (panics, naming what did arrive, if they do not within 15 s). Sorted by partition,
/// then offset.
pub fn kp_consume(bootstrap: &str, topic: &str, count: usize) -> Vec<PeerRecord> {
    let out = kp(
        bootstrap,
        &["consume", topic, "--count", &count.to_string()],
    );
    parse_peer_records("kp.py", &out)
}

/// Parses the JSON list of records that `kp.py consume` and `ck.py consume` print.
pub fn parse_peer_records(peer: &str, out: &str) -> Vec<PeerRecord> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("{peer} consume printed {out:?}: {e}"));
    rows.iter()
        .map(|row| PeerRecord {
            partition: row["partition"]
                .as_i64()
                .and_then(|p| i32::try_from(p).ok())
                .expect("partition"),
            offset: row["offset"].as_i64().expect("offset"),
            key: base64_field(&row["key"]),
            value: base64_field(&row["value"]),
            headers: row["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().expect("header name").to_string(),
                        base64_field(&h[1]),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Each partition's end offset, as kafka-python reads them.
pub fn kp_end_offsets(bootstrap: &str, topic: &str) -> BTreeMap<i32, i64> {
    let out = kp(bootstrap, &["end-offsets", topic]);
    let ends: BTreeMap<String, i64> = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py end-offsets printed {out:?}: {e}"));
    ends.into_iter()
        .map(|(p, end)| (p.parse().expect("a partition number"), end))
        .collect()
}

/// Asserts that every partition of `topic` holds exactly the offsets 0, 1, 2… of
/// `records` (sorted by partition, then offset) and ends right after them.
pub fn assert_exact_offsets(bootstrap: &str, topic: &str, records: &[PeerRecord]) {
    let ends = kp_end_offsets(bootstrap, topic);
    let mut held: BTreeMap<i32, Vec<i64>> = ends.keys().map(|p| (*p, Vec::new())).collect();
    for r in records {
        held.entry(r.partition).or_default().push(r.offset);
    }
    for (partition, offsets) in &held {
        let want: Vec<i64> = (0..i64::try_from(offsets.len()).expect("count")).collect();
        assert_eq!(
            offsets, &want,
            "{topic}/{partition}: offsets from 0 with no gap or duplicate"
        );
    }
    let counts: BTreeMap<i32, i64> = held
        .iter()
        .map(|(p, o)| (*p, i64::try_from(o.len()).expect("count")))
        .collect();
    assert_eq!(
        ends, counts,
        "{topic}: each partition's end offset is the number of records read from it"
    );
}

/// The partition kafka-python's producer (its default partitioner, murmur2 like the
/// Java client) would send each UTF-8 key of `topic` to.
pub fn kp_default_partitions(
    bootstrap: &str,
    topic: &str,
    keys: &[&str],
) -> std::collections::BTreeMap<String, i32> {
    let mut args = vec!["default-partitions", topic];
    args.extend_from_slice(keys);
    let out = kp(bootstrap, &args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py default-partitions printed {out:?}: {e}"))
}

/// The topic names the broker lists, as kafka-python sees them.
pub fn kp_topics(bootstrap: &str) -> Vec<String> {
    let out = kp(bootstrap, &["list-topics"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("kp.py list-topics printed {out:?}: {e}"))
}

/// Waits until kafka-python does (or does not) list `topic`.
pub fn wait_for_topic(bootstrap: &str, topic: &str, present: bool, timeout: Duration) {
    let what = if present {
        format!("kafka-python to list topic {topic}")
    } else {
        format!("kafka-python to no longer list topic {topic}")
    };
    wait_until(&what, timeout, || {
        let topics = kp_topics(bootstrap);
        if topics.iter().any(|t| t == topic) == present {
            Ok(())
        } else {
            Err(format!("listed {topics:?}"))
        }
    });
}

// ---------------------------------------------------------------------------------------
// kcat

/// kcat: `$KCAT_BIN` or `kcat` on `PATH`.
pub fn kcat() -> Option<PathBuf> {
    find_tool("kcat", Some("KCAT_BIN"), None)
}

/// Whether jq is installed (the search benchmark's peer pipes kcat into it); applies the
/// missing-tool policy.
pub fn jq_available() -> bool {
    require("jq", find_tool("jq", None, None).is_some())
}

/// Whether kcat is installed; applies the missing-tool policy.
pub fn kcat_available() -> bool {
    require("kcat ($KCAT_BIN or kcat on PATH)", kcat().is_some())
}

/// Produces one record per line with `kcat -P -l` (so a line must not hold a newline);
/// `args` adds options such as `-K:` (key before the first `:`), `-H name=value`
/// (`-H name` for a null value) or `-p N`. Panics with kcat's output when it fails.
/// kcat (librdkafka 2.0) works with the embedded demo cluster and with Apache Kafka.
pub fn kcat_produce(bootstrap: &str, topic: &str, lines: &[&str], args: &[&str]) {
    let kcat = kcat().expect("kcat is installed (check kcat_available first)");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("records.txt");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&input, text).expect("kcat input");
    let ran = run_with_timeout(
        Command::new(kcat)
            .args(["-P", "-b", bootstrap, "-t", topic])
            .args(args)
            .arg("-l")
            .arg(&input),
        Duration::from_secs(30),
    );
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "kcat -P {args:?} into {topic} failed: {ran:?}"
    );
}

// ---------------------------------------------------------------------------------------
// confluent-kafka

fn ck_script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/ck.py")
}

/// Whether python3 with confluent-kafka is installed; applies the missing-tool policy.
pub fn ck_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let found = *AVAILABLE.get_or_init(|| {
        Command::new(python())
            .args(["-c", "import confluent_kafka"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    require(
        "python3 with confluent-kafka (pip install confluent-kafka)",
        found,
    )
}

/// Runs `ck.py --bootstrap ADDR ARGS…`; panics with its output on failure.
pub fn ck(bootstrap: &str, args: &[&str]) -> String {
    let ran = run_with_timeout(
        Command::new(python())
            .arg(ck_script())
            .args(["--bootstrap", bootstrap])
            .args(args),
        Duration::from_secs(40),
    );
    assert!(
        ran.success(),
        "ck.py {args:?} failed ({:?}): {}{}",
        ran.status,
        ran.stdout.trim(),
        ran.stderr.trim()
    );
    ran.stdout
}

/// Produces records with confluent-kafka, one at a time. `records` is a JSON list of
/// `{"key": b64|null, "value": b64|null, "headers": [[name, b64|null]], "partition": n}`.
/// Returns `[partition, offset]` per record.
pub fn ck_produce_records(
    bootstrap: &str,
    topic: &str,
    records: &serde_json::Value,
) -> Vec<(i32, i64)> {
    let out = ck(bootstrap, &["produce-records", topic, &records.to_string()]);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("ck.py produce-records printed {out:?}: {e}"))
}

/// Reads `topic` from the beginning with confluent-kafka until `count` records arrived.
/// Sorted by partition, then offset.
pub fn ck_consume(bootstrap: &str, topic: &str, count: usize) -> Vec<PeerRecord> {
    let out = ck(
        bootstrap,
        &["consume", topic, "--count", &count.to_string()],
    );
    parse_peer_records("ck.py", &out)
}

// ---------------------------------------------------------------------------------------
// Kafka's own tools

/// Runs a Kafka tool's main class (`org.apache.kafka.tools...`) from the broker's jars
/// with `input` on stdin.
pub fn java_tool(class: &str, args: &[&str], input: &str, timeout: Duration) -> Ran {
    let libs = super::kafka::libs_dir();
    let log4j = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/kafka/tools-log4j2.properties");
    let dir = tempfile::tempdir().expect("tempdir");
    let stdin = dir.path().join("stdin");
    std::fs::write(&stdin, input).expect("the tool's input");
    let mut command = Command::new("java");
    command
        .args(["-Xmx256m", "-XX:TieredStopAtLevel=1"])
        .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg(class)
        .args(args);
    // run_with_timeout gives the child a null stdin; the tool reads this file instead.
    let shell = format!(
        "exec \"$@\" < {}",
        shell_quote(&stdin.display().to_string())
    );
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(shell)
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args());
    run_with_timeout(&mut sh, timeout)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `kafka-console-consumer.sh --from-beginning --max-messages N` printing partition,
/// offset, headers and key before each value, separated by `|`: one line per record.
pub fn java_console_consume(bootstrap: &str, topic: &str, count: usize) -> Vec<String> {
    let ran = java_tool(
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        &[
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--max-messages",
            &count.to_string(),
            "--timeout-ms",
            "30000",
            "--property",
            "print.partition=true",
            "--property",
            "print.offset=true",
            "--property",
            "print.headers=true",
            "--property",
            "print.key=true",
            "--property",
            "key.separator=|",
            "--property",
            "headers.separator=,",
            "--property",
            "null.literal=<null>",
        ],
        "",
        Duration::from_secs(60),
    );
    assert!(
        ran.success(),
        "ConsoleConsumer on {topic} failed ({:?}):\n{}\n{}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    ran.stdout.lines().map(str::to_string).collect()
}

/// `kafka-console-producer.sh` with keys (`key|value`) and headers
/// (`name:value,name:value|key|value`) parsed from each line.
pub fn java_console_produce(bootstrap: &str, topic: &str, lines: &[&str]) {
    let mut input = lines.join("\n");
    input.push('\n');
    let ran = java_tool(
        "org.apache.kafka.tools.ConsoleProducer",
        &[
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=|",
            "--property",
            "parse.headers=true",
            "--property",
            "headers.delimiter=|",
            "--property",
            "headers.separator=,",
            "--property",
            "headers.key.separator=:",
        ],
        &input,
        Duration::from_secs(60),
    );
    assert!(
        ran.success(),
        "ConsoleProducer into {topic} failed ({:?}):\n{}\n{}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
}
