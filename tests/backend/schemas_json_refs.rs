//! Layer 3: JSON Schema `$ref` to another registered schema, both ways, as a user with a
//! real registry meets it. `orders-json-value` holds `"address": {"$ref": "address.json"}`
//! with the reference `{"name": "address.json", "subject": "address", "version": 1}` (the
//! form confluent-kafka and Confluent's docs use). What confluent-kafka's JSONSerializer
//! frames with it (`use.latest.version`, the reference resolved through the registry),
//! `ktui consume` decodes to exactly the values given; what `ktui produce --value-subject`
//! frames, the peer's JSONDeserializer (which validates with the references) reads back
//! equal, and a line breaking the referenced schema is refused by number and path. The
//! other forms a reference takes are in `schemas_json_ref_forms.rs`. A reference whose subject the registry does not hold, and a
//! `$ref` naming no registered reference, are said in words, on the record (its bytes
//! kept) and by `ktui produce`.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use rdkafka::config::ClientConfig;
use rdkafka::producer::FutureProducer;
use serde_json::{Value, json};

use crate::support::broker::{MockCluster, Out, send_all};
use crate::support::fake_registry::FakeRegistry;
use crate::support::peers::{kp, python};
use crate::support::process::{RanBytes, run_with_input, run_with_timeout};
use crate::support::{KTUI, kafka, schema_peers, unique};

pub(super) const ADDRESS: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"ktui.peer.Address","type":"object","properties":{"street":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street"],"additionalProperties":false}"#;
const ORDER: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"ktui.peer.JsonOrder","type":"object","properties":{"id":{"type":"string"},"qty":{"type":"integer"},"address":{"$ref":"address.json"}},"required":["id","address"]}"#;
const SUBJECT: &str = "orders-json-value";
pub(super) const DEADLINE: Duration = Duration::from_secs(60);

/// Values the schemas accept: non-ASCII text, a zip left out, a negative quantity.
fn valid() -> [Value; 3] {
    [
        json!({"id": "o-1", "qty": 2, "address": {"street": "Rue de l'Église 1 — 日本", "zip": "75001"}}),
        json!({"id": "o-2", "address": {"street": ""}}),
        json!({"id": "o-3", "qty": -1, "address": {"street": "Main St", "zip": "00000"}}),
    ]
}

/// Refused by the referenced schema only: its zip pattern.
fn bad_zip() -> Value {
    json!({"id": "o-bad", "address": {"street": "x", "zip": "7500A"}})
}

/// Refused by the referenced schema only: its `additionalProperties: false`.
fn extra_field() -> Value {
    json!({"id": "o-extra", "address": {"street": "x", "zip": "12345", "floor": 3}})
}

/// `address` (id 1) and `orders-json-value` (id 2) referencing it, in a fresh registry.
fn registered() -> FakeRegistry {
    let registry = FakeRegistry::start_in_background();
    assert_eq!(registry.register("address", "json", ADDRESS, vec![]), 1);
    assert_eq!(
        registry.register(SUBJECT, "json", ORDER, vec![("address.json", "address", 1)]),
        2
    );
    registry
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

pub(super) fn lines(ran: &RanBytes) -> Vec<Value> {
    String::from_utf8_lossy(&ran.stdout)
        .lines()
        .map(parse)
        .collect()
}

/// An envelope's value as the bytes it stands for.
fn value_bytes(envelope: &Value) -> Vec<u8> {
    let text = envelope["value"].as_str().expect("a value");
    match envelope["value_encoding"].as_str() {
        None => text.as_bytes().to_vec(),
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64"),
        Some(other) => panic!("value_encoding {other:?}"),
    }
}

/// The Confluent framing: magic byte 0, the id big-endian, the JSON text.
fn framed(id: u32, value: &Value) -> Vec<u8> {
    let mut out = vec![0];
    out.extend(id.to_be_bytes());
    out.extend(value.to_string().as_bytes());
    out
}

/// `ktui -b BOOTSTRAP --schema-registry URL consume TOPIC -o beginning -e --format json`.
pub(super) fn ktui_consume(bootstrap: &str, registry: &str, topic: &str) -> RanBytes {
    let ran = run_with_input(
        Command::new(KTUI)
            .args(["-b", bootstrap, "--schema-registry", registry])
            .args([
                "consume",
                topic,
                "-o",
                "beginning",
                "-e",
                "--format",
                "json",
            ]),
        b"",
        DEADLINE,
    );
    assert!(
        ran.success(),
        "ktui consume failed ({:?}): {}",
        ran.status,
        ran.stderr
    );
    ran
}

/// `ktui -b BOOTSTRAP --schema-registry URL produce TOPIC --value-subject SUBJECT`, the
/// lines on stdin.
fn ktui_produce(bootstrap: &str, registry: &str, topic: &str, input: &str) -> RanBytes {
    run_with_input(
        Command::new(KTUI)
            .args(["-b", bootstrap, "--schema-registry", registry])
            .args(["produce", topic, "--value-subject", SUBJECT]),
        input.as_bytes(),
        DEADLINE,
    )
}

/// `schemas.py produce-latest`: each value written with the subject's latest schema by
/// JSONSerializer, or refused by it; its lines.
fn peer_produce_latest(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    values: &[Value],
) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/schemas.py");
    let mut command = Command::new(python());
    command.arg(script).args([
        "produce-latest",
        "--bootstrap",
        bootstrap,
        "--registry",
        registry,
        "--topic",
        topic,
        "--subject",
        SUBJECT,
    ]);
    for value in values {
        command.args(["--value", &value.to_string()]);
    }
    let ran = run_with_timeout(&mut command, Duration::from_secs(90));
    assert!(
        ran.success(),
        "schemas.py produce-latest failed ({:?}): {}{}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    ran.stdout.lines().map(parse).collect()
}

/// JSONSerializer resolves `address.json` through the registry and validates with it:
/// the zip it refuses, it refuses for the referenced schema's pattern; the rest ktui
/// decodes to exactly the values given, naming the subject, version and id.
#[test]
fn json_serializer_records_with_a_reference_decode_exactly() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let address = broker.address();
    let registry = registered();
    let topic = unique("sr-json-refs-peer");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let [first, second, third] = valid();
    let sent = [first, bad_zip(), second, third];
    let said = peer_produce_latest(&address, &registry.url(), &topic, &sent);
    assert_eq!(said.len(), sent.len(), "{said:#?}");
    assert_eq!(
        said[1],
        json!({"value": bad_zip(), "refused": "'7500A' does not match '^[0-9]{5}$'"}),
        "the peer validates with the referenced schema"
    );
    for (i, line) in said.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert_eq!(*line, json!({"value": sent[i], "id": 2}), "value {i}");
    }

    // ktui fetches the reference itself.
    registry.clear_requests();
    let ran = ktui_consume(&address, &registry.url(), &topic);
    assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
    let envelopes = lines(&ran);
    assert_eq!(envelopes.len(), 3, "{envelopes:#?}");
    for (envelope, want) in envelopes.iter().zip(valid()) {
        assert_eq!(envelope["value_decoded"], want, "{envelope:#}");
        assert_eq!(
            envelope["value_schema"],
            json!({"id": 2, "type": "JSON", "subject": SUBJECT, "version": 1}),
            "{envelope:#}"
        );
        assert_eq!(value_bytes(envelope), framed(2, &want));
    }
    let asked = registry.request_lines();
    assert!(
        asked
            .iter()
            .any(|l| l == "GET /subjects/address/versions/1 200"),
        "ktui asked for the reference: {asked:#?}"
    );
}

/// ktui frames with the schema and its reference; the lines the referenced schema refuses
/// are named by number and path and not sent; the peer's JSONDeserializer, validating
/// with the references, reads back the rest equal to what was written.
#[test]
fn ktui_frames_with_a_reference_and_the_peer_reads_back() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let address = broker.address();
    let registry = registered();
    let topic = unique("sr-json-refs-ktui");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let [first, second, third] = valid();
    let mut input = String::new();
    for value in [&first, &bad_zip(), &second, &extra_field(), &third] {
        let _ = writeln!(input, "{value}");
    }
    let ran = ktui_produce(&address, &registry.url(), &topic, &input);
    assert_eq!(ran.code(), Some(1), "two refused lines: {}", ran.stderr);
    let zip = r#"line 2: value: .address.zip: "7500A" does not match "^[0-9]{5}$""#;
    let floor =
        "line 4: value: .address: Additional properties are not allowed ('floor' was unexpected)";
    let summary = format!("ktui: produced 3 messages to {topic}; 2 failed: {zip}; {floor}");
    assert_eq!(
        ran.stderr.lines().collect::<Vec<_>>(),
        [&format!("ktui: {zip}"), &format!("ktui: {floor}"), &summary],
        "{}",
        ran.stderr
    );

    let back = schema_peers::consume(&address, &registry.url(), &topic, "json", 3, false, None);
    assert_eq!(back, valid(), "what JSONDeserializer read");
}

// ---------------------------------------------------------------------------------------
// A registry that does not hold the referenced subject

/// A registry holding `orders-json-value` but not the `address` subject it references (a
/// schema copied over without it): a record framed with it keeps its bytes and says which
/// reference is missing; `ktui produce` with that subject refuses before reading any
/// line, in words.
#[test]
fn a_reference_the_registry_does_not_hold_is_said_in_words() {
    let cluster = MockCluster::start();
    let registry = registered();
    registry.forget_subject("address");
    let url = registry.url();
    let topic = cluster.topic("sr-json-refs-orphan", 1);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap())
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    let [value, ..] = valid();
    let bytes = framed(2, &value);
    let landed = cluster.rt.block_on(send_all(
        &producer,
        &topic,
        &[Out {
            value: Some(bytes.clone()),
            ..Out::default()
        }],
    ));
    assert_eq!(landed, [(0, 0)]);

    let why = "schema 2: its reference address.json (address version 1): not found in the \
               registry (40401: Subject 'address' not found.)";
    let ran = ktui_consume(cluster.bootstrap(), &url, &topic);
    let envelopes = lines(&ran);
    assert_eq!(envelopes.len(), 1, "{envelopes:#?}");
    assert_eq!(value_bytes(&envelopes[0]), bytes, "the bytes are kept");
    assert_eq!(
        envelopes[0]["value_schema"],
        json!({"id": 2, "error": why}),
        "{:#}",
        envelopes[0]
    );
    assert!(
        envelopes[0].get("value_decoded").is_none(),
        "{:#}",
        envelopes[0]
    );
    let asked = registry.request_lines();
    assert!(
        asked
            .iter()
            .any(|l| l == "GET /subjects/address/versions/1 404"),
        "{asked:#?}"
    );

    let ours = cluster.topic("sr-json-refs-orphan-out", 1);
    let ran = ktui_produce(cluster.bootstrap(), &url, &ours, &format!("{value}\n"));
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert_eq!(
        ran.stderr.trim_end(),
        format!("ktui: the value's schema: {why}"),
    );
    let ran = ktui_consume(cluster.bootstrap(), &url, &ours);
    assert!(ran.stdout.is_empty(), "nothing was sent: {:?}", ran.stdout);
}

/// A `$ref` naming no registered reference (a typo, or a reference registered under
/// another name): the record keeps its bytes and says which `$ref`, and so does produce.
#[test]
fn a_ref_naming_no_registered_reference_is_said_in_words() {
    let cluster = MockCluster::start();
    let registry = FakeRegistry::start_in_background();
    registry.register("address", "json", ADDRESS, vec![]);
    let typo = ORDER.replace("\"address.json\"", "\"adress.json\"");
    let id = registry.register(SUBJECT, "json", &typo, vec![("address.json", "address", 1)]);
    let topic = cluster.topic("sr-json-refs-typo", 1);
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap())
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    let [value, ..] = valid();
    let bytes = framed(id, &value);
    let landed = cluster.rt.block_on(send_all(
        &producer,
        &topic,
        &[Out {
            value: Some(bytes.clone()),
            ..Out::default()
        }],
    ));
    assert_eq!(landed, [(0, 0)]);

    let why = format!(
        r#"JSON schema {id}: its $ref "adress.json" names none of its references (address.json)"#
    );
    let ran = ktui_consume(cluster.bootstrap(), &registry.url(), &topic);
    let envelopes = lines(&ran);
    assert_eq!(envelopes.len(), 1, "{envelopes:#?}");
    assert_eq!(value_bytes(&envelopes[0]), bytes, "the bytes are kept");
    assert_eq!(
        envelopes[0]["value_schema"],
        json!({"id": id, "error": &why}),
        "{:#}",
        envelopes[0]
    );

    let ours = cluster.topic("sr-json-refs-typo-out", 1);
    let ran = ktui_produce(
        cluster.bootstrap(),
        &registry.url(),
        &ours,
        &format!("{value}\n"),
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert_eq!(
        ran.stderr.trim_end(),
        format!("ktui: the value's schema: {why}")
    );
}
