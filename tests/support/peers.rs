//! Peer clients beside kafka-python (which lives in `mod.rs`): confluent-kafka (the
//! current librdkafka, from PyPI) and Kafka's own Java command-line tools, run from the
//! same jars as the broker.
#![allow(dead_code)] // each test binary uses a subset

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::{PeerRecord, Ran, parse_peer_records, python, require, run_with_timeout};

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
