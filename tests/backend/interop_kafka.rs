//! Layer 3: interop on Apache Kafka. What ktui writes, the peers read back byte for byte
//! (confluent-kafka, the current librdkafka) and line for line (Kafka's own console
//! consumer); what they write, ktui reads back the same. Keys, headers (null values
//! included), binary bytes, tombstones and partitions agree both ways.

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::support::kafka;
use crate::support::peers::{assert_exact_offsets, kp, kp_default_partitions};
use crate::support::peers::{
    ck_available, ck_consume, ck_produce_records, java_console_consume, java_console_produce,
};
use crate::support::process::run_with_input;
use crate::support::{KTUI, unique};

/// `ktui consume TOPIC -o beginning -e --format json`: one envelope per record.
fn ktui_envelopes(address: &str, topic: &str) -> Vec<Value> {
    let ran = run_with_input(
        Command::new(KTUI).args([
            "-b",
            address,
            "consume",
            topic,
            "-o",
            "beginning",
            "-e",
            "--format",
            "json",
        ]),
        b"",
        Duration::from_secs(60),
    );
    assert!(
        ran.success(),
        "ktui consume failed ({:?}): {}",
        ran.status,
        ran.stderr
    );
    let mut rows: Vec<Value> = String::from_utf8(ran.stdout)
        .expect("envelopes are UTF-8 JSON")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    rows.sort_by_key(|r| (r["partition"].as_i64(), r["offset"].as_i64()));
    rows
}

/// The bytes an envelope field holds (`*_encoding: base64` or text), `None` for null.
fn envelope_bytes(envelope: &Value, field: &str) -> Option<Vec<u8>> {
    let text = envelope[field].as_str()?;
    if envelope[format!("{field}_encoding")] == "base64" {
        Some(BASE64.decode(text).expect("base64"))
    } else {
        Some(text.as_bytes().to_vec())
    }
}

fn create_topic(address: &str, topic: &str, partitions: u32) {
    kp(
        address,
        &[
            "create-topic",
            topic,
            "--partitions",
            &partitions.to_string(),
        ],
    );
}

#[test]
fn what_confluent_kafka_writes_ktui_reads_byte_for_byte() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !ck_available() {
        return;
    }
    let address = broker.address();
    let topic = unique("ix-ck-in");
    create_topic(&address, &topic, 3);
    let binary: Vec<u8> = (0..=255u8).collect();
    let b64 = |b: &[u8]| BASE64.encode(b);
    let records = json!([
        {"key": b64(b"user-1"), "value": b64(br#"{"n":1}"#), "partition": 0,
         "headers": [["trace", b64(b"abc")], ["empty", null]]},
        {"key": null, "value": b64(&binary), "partition": 1},
        {"key": b64(&[0, 159, 146, 150]), "value": null, "partition": 2},
        {"key": b64(b"esc"), "value": b64(b"\x1b]0;title\x07 and \r text"), "partition": 2},
    ]);
    let written = ck_produce_records(&address, &topic, &records);
    assert_eq!(written, [(0, 0), (1, 0), (2, 0), (2, 1)]);

    let rows = ktui_envelopes(&address, &topic);
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert_eq!(
        envelope_bytes(&rows[0], "key").as_deref(),
        Some(&b"user-1"[..])
    );
    assert_eq!(
        envelope_bytes(&rows[0], "value").as_deref(),
        Some(&br#"{"n":1}"#[..])
    );
    assert_eq!(
        rows[0]["headers"],
        json!([{"key": "trace", "value": "abc"}, {"key": "empty", "value": null}])
    );
    assert_eq!(envelope_bytes(&rows[1], "key"), None);
    assert_eq!(envelope_bytes(&rows[1], "value"), Some(binary));
    assert_eq!(
        envelope_bytes(&rows[2], "key"),
        Some(vec![0, 159, 146, 150])
    );
    assert_eq!(rows[2]["value"], Value::Null, "a tombstone stays null");
    assert_eq!(
        envelope_bytes(&rows[3], "value").as_deref(),
        Some(&b"\x1b]0;title\x07 and \r text"[..])
    );
    for (row, (partition, offset)) in rows.iter().zip(&written) {
        assert_eq!(row["partition"], *partition);
        assert_eq!(row["offset"], *offset);
    }
}

#[test]
fn what_ktui_writes_confluent_kafka_and_the_console_consumer_read_back() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !ck_available() {
        return;
    }
    let address = broker.address();
    let topic = unique("ix-ktui-out");
    create_topic(&address, &topic, 3);
    // Keyed text lines with a header on each, as kcat -P -K: -H would send them.
    let keys = ["alpha", "bravo", "charlie", "delta", "echo"];
    let input = keys.map(|k| format!("{k}:value of {k}\n")).concat();
    let ran = run_with_input(
        Command::new(KTUI).args([
            "-b",
            &address,
            "produce",
            &topic,
            "-K",
            ":",
            "-H",
            "source=ktui",
        ]),
        input.as_bytes(),
        Duration::from_secs(60),
    );
    assert!(ran.success(), "ktui produce: {}", ran.stderr);
    // A binary value and a tombstone go through envelopes.
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    let envelopes = format!(
        "{}\n{}\n",
        json!({"key": "bin", "value": BASE64.encode(&binary), "value_encoding": "base64", "partition": 0}),
        json!({"key": "gone", "value": null, "partition": 1}),
    );
    let ran = run_with_input(
        Command::new(KTUI).args(["-b", &address, "produce", &topic, "--format", "json"]),
        envelopes.as_bytes(),
        Duration::from_secs(60),
    );
    assert!(ran.success(), "ktui produce --format json: {}", ran.stderr);

    // confluent-kafka: the exact bytes, and each key on the partition Java's default
    // partitioner (murmur2) picks, as kafka-python computes it.
    let records = ck_consume(&address, &topic, keys.len() + 2);
    // Exactly these: every partition holds offsets 0.. of what was read, and no more.
    assert_exact_offsets(&address, &topic, &records);
    let placement = kp_default_partitions(&address, &topic, &keys);
    for key in keys {
        let record = records
            .iter()
            .find(|r| r.key.as_deref() == Some(key.as_bytes()))
            .unwrap_or_else(|| panic!("no record keyed {key}: {records:#?}"));
        assert_eq!(record.value_text(), format!("value of {key}"));
        assert_eq!(
            record.headers,
            [("source".to_string(), Some(b"ktui".to_vec()))]
        );
        assert_eq!(record.partition, placement[key], "partition of {key}");
    }
    let bin = records
        .iter()
        .find(|r| r.key.as_deref() == Some(&b"bin"[..]))
        .expect("the binary record");
    assert_eq!(
        (bin.partition, bin.value.as_deref()),
        (0, Some(&binary[..]))
    );
    let gone = records
        .iter()
        .find(|r| r.key.as_deref() == Some(&b"gone"[..]))
        .expect("the tombstone");
    assert_eq!((gone.partition, gone.value.as_deref()), (1, None));

    // Kafka's console consumer shows the same text records, partitions and headers.
    let lines = java_console_consume(&address, &topic, keys.len() + 2);
    for key in keys {
        let line = lines
            .iter()
            .find(|l| l.ends_with(&format!("|{key}|value of {key}")))
            .unwrap_or_else(|| panic!("no console line for {key}: {lines:#?}"));
        let expected = format!("Partition:{}|Offset:", placement[key]);
        assert!(line.starts_with(&expected), "{line:?} starts {expected:?}");
        assert!(line.contains("|source:ktui|"), "{line:?} has the header");
    }
    assert!(
        lines.iter().any(|l| l.ends_with("|gone|<null>")),
        "the console consumer sees the tombstone: {lines:#?}"
    );
}

#[test]
fn what_the_console_producer_writes_ktui_reads_on_the_same_partitions() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("ix-java-in");
    create_topic(&address, &topic, 4);
    let keys = ["k1", "k2", "k3", "k4", "k5", "k6"];
    let lines: Vec<String> = keys
        .iter()
        .map(|k| format!("origin:java,id:{k}|{k}|hello from {k}"))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    java_console_produce(&address, &topic, &refs);

    let rows = ktui_envelopes(&address, &topic);
    assert_eq!(rows.len(), keys.len(), "{rows:#?}");
    let placement = kp_default_partitions(&address, &topic, &keys);
    for key in keys {
        let row = rows
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no record keyed {key}: {rows:#?}"));
        assert_eq!(row["value"], format!("hello from {key}"));
        assert_eq!(
            row["headers"],
            json!([{"key": "origin", "value": "java"}, {"key": "id", "value": key}])
        );
        assert_eq!(row["partition"], placement[key], "Java's murmur2 placement");
    }
}
