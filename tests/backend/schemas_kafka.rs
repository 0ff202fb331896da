//! Layer 3: schemas on Apache Kafka with confluent-kafka's own serializers as peers and
//! the fake registry (tests/support/fake_registry.rs: no real registry runs here). What
//! AvroSerializer, ProtobufSerializer and JSONSerializer frame, `ktui consume` decodes to
//! exactly the values they were given: unions, nulls, logical types, nested and repeated
//! fields, references, a message other than the file's first, non-ASCII text, keys too.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::fake_registry::FakeRegistry;
use crate::support::kafka;
use crate::support::peers::kp;
use crate::support::process::run_with_input;
use crate::support::schema_peers;
use crate::support::{KTUI, unique};

/// `ktui consume TOPIC -o beginning -e --schema-registry URL ARGS…`: stdout lines.
fn ktui_consume(address: &str, registry: &str, topic: &str, args: &[&str]) -> Vec<String> {
    let ran = run_with_input(
        Command::new(KTUI)
            .args([
                "-b",
                address,
                "--schema-registry",
                registry,
                "consume",
                topic,
            ])
            .args(["-o", "beginning", "-e"])
            .args(args),
        b"",
        Duration::from_secs(60),
    );
    assert!(
        ran.success(),
        "ktui consume failed ({:?}): {}",
        ran.status,
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("warning"),
        "every record decodes: {}",
        ran.stderr
    );
    String::from_utf8(ran.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// The peer frames; ktui's envelopes carry the decoded key and value, the schema that
/// names them, and the framed bytes as they were; the text output is the decoded JSON.
fn peer_framed_records_decode_exactly(kind: &str, schema_type: &str) {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let address = broker.address();
    let registry = FakeRegistry::start_in_background();
    let topic = unique(&format!("sr-{kind}"));
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let expected = schema_peers::produce(&address, &registry.url(), &topic, kind, true);
    assert_eq!(expected.len(), 3, "{expected:#?}");

    let envelopes: Vec<Value> =
        ktui_consume(&address, &registry.url(), &topic, &["--format", "json"])
            .iter()
            .map(|l| parse(l))
            .collect();
    assert_eq!(envelopes.len(), expected.len());
    for (envelope, want) in envelopes.iter().zip(&expected) {
        assert_eq!(
            envelope["value_decoded"], want["value"],
            "value of {envelope:#}"
        );
        assert_eq!(envelope["key_decoded"], want["key"], "key of {envelope:#}");
        let tag = &envelope["value_schema"];
        assert_eq!(tag["type"], schema_type, "{tag}");
        assert_eq!(tag["subject"], format!("{topic}-value"), "{tag}");
        assert_eq!(tag["version"], 1, "{tag}");
        assert!(tag.get("error").is_none(), "{tag}");
        assert_eq!(envelope["key_schema"]["subject"], format!("{topic}-key"));
        // The bytes stay as consumed: the Confluent framing, magic byte 0 and the id.
        let raw = match envelope["value_encoding"].as_str() {
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(envelope["value"].as_str().unwrap())
                .unwrap(),
            _ => envelope["value"].as_str().unwrap().as_bytes().to_vec(),
        };
        assert_eq!(raw[0], 0);
        assert_eq!(
            u32::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]),
            tag["id"].as_u64().unwrap() as u32
        );
        if kind == "protobuf" {
            assert_eq!(tag["message"], "ktui.peer.Order", "{tag}");
            assert_eq!(envelope["key_schema"]["message"], "ktui.peer.Order.Ref");
        }
    }

    // Text: KEY<TAB>VALUE, each the decoded JSON.
    let lines = ktui_consume(&address, &registry.url(), &topic, &["-K", "\t"]);
    assert_eq!(lines.len(), expected.len());
    for (line, want) in lines.iter().zip(&expected) {
        let (key, value) = line.split_once('\t').expect("a key separator");
        assert_eq!(parse(key), want["key"]);
        assert_eq!(parse(value), want["value"]);
    }

    // jq sees the decoded value.
    let first = &expected[0]["value"];
    let (field, wanted) = first
        .as_object()
        .and_then(|o| o.iter().find(|(_, v)| v.is_string()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("a string field");
    let filter = format!("select(.{field} == {wanted})");
    let matched = ktui_consume(
        &address,
        &registry.url(),
        &topic,
        &["--format", "json", "--filter", &filter],
    );
    assert!(!matched.is_empty(), "{filter} matches the first record");
    assert!(
        matched
            .iter()
            .all(|l| parse(l)["value_decoded"][&field] == wanted),
        "{filter}: {matched:#?}"
    );

    // Each id was asked for once by each ktui process at most (three ran).
    for id in 1..=3 {
        assert!(
            registry.schema_fetches(id) <= 3,
            "schema {id} fetched {} times: {:#?}",
            registry.schema_fetches(id),
            registry.request_lines()
        );
    }
}

#[test]
fn avro_serializer_records_decode_exactly() {
    peer_framed_records_decode_exactly("avro", "AVRO");
}

#[test]
fn protobuf_serializer_records_decode_exactly() {
    peer_framed_records_decode_exactly("protobuf", "PROTOBUF");
}

#[test]
fn json_serializer_records_decode_exactly() {
    peer_framed_records_decode_exactly("json", "JSON");
}

/// What ktui frames with `produce --value-subject/--key-subject`, the peer's deserializers
/// read back equal to the JSON typed; a line the schema refuses is reported by number and
/// the rest still goes out. For Avro the framed bytes equal the peer serializer's own.
fn ktui_framed_records_read_back_by_the_peer(kind: &str, messages: Option<(&str, &str)>) {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let address = broker.address();
    let registry = FakeRegistry::start_in_background();
    let theirs = unique(&format!("sr-{kind}-peer"));
    let ours = unique(&format!("sr-{kind}-ktui"));
    for topic in [&theirs, &ours] {
        kp(&address, &["create-topic", topic, "--partitions", "1"]);
    }
    // The peer registers the schemas (under its topic's subjects) and says the values.
    let expected = schema_peers::produce(&address, &registry.url(), &theirs, kind, true);
    let mut input = String::new();
    for (i, record) in expected.iter().enumerate() {
        let _ = writeln!(input, "{}\t{}", record["key"], record["value"]);
        if i == 0 {
            // Refused by every schema kind: a value of the wrong type at the top.
            let _ = writeln!(input, "{}\t[1, 2]", record["key"]);
        }
    }
    let value_subject = format!("{theirs}-value");
    let key_subject = format!("{theirs}-key");
    let mut command = Command::new(KTUI);
    command
        .args([
            "-b",
            &address,
            "--schema-registry",
            &registry.url(),
            "produce",
            &ours,
        ])
        .args([
            "-K",
            "\t",
            "--value-subject",
            &value_subject,
            "--key-subject",
            &key_subject,
        ]);
    if let Some((value, key)) = messages {
        command.args(["--value-message", value, "--key-message", key]);
    }
    let ran = run_with_input(&mut command, input.as_bytes(), Duration::from_secs(60));
    assert_eq!(
        ran.status.and_then(|s| s.code()),
        Some(1),
        "one refused line makes the exit code 1: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("line 2: value: "),
        "the refused line is named by its number: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("produced 3 messages") && ran.stderr.contains("1 failed"),
        "{}",
        ran.stderr
    );

    let back = schema_peers::consume(
        &address,
        &registry.url(),
        &ours,
        kind,
        expected.len(),
        true,
        messages.map(|(value, _)| value),
    );
    assert_eq!(back, expected, "what the peer's deserializers read");

    if kind == "avro" {
        // The same values framed by the peer and by ktui: the same bytes, but for the
        // order of a map's entries (the first record has a map: ktui writes its entries in
        // key order, the peer in the order given; Avro maps have no order).
        let raw = |topic: &str| -> Vec<(Value, Value)> {
            ktui_consume(&address, &registry.url(), topic, &["--format", "json"])
                .iter()
                .map(|l| {
                    let e = parse(l);
                    (e["key"].clone(), e["value"].clone())
                })
                .collect()
        };
        let (ours, theirs) = (raw(&ours), raw(&theirs));
        assert_eq!(ours.len(), theirs.len());
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a.0, b.0, "key {i}");
            if i == 0 {
                assert_eq!(a.1.as_str().map(str::len), b.1.as_str().map(str::len));
            } else {
                assert_eq!(a.1, b.1, "value {i}");
            }
        }
    }
}

#[test]
fn avro_records_ktui_frames_are_read_back_by_the_peer() {
    ktui_framed_records_read_back_by_the_peer("avro", None);
}

#[test]
fn protobuf_records_ktui_frames_are_read_back_by_the_peer() {
    ktui_framed_records_read_back_by_the_peer(
        "protobuf",
        Some(("ktui.peer.Order", "ktui.peer.Order.Ref")),
    );
}

#[test]
fn json_schema_records_ktui_frames_are_read_back_by_the_peer() {
    ktui_framed_records_read_back_by_the_peer("json", None);
}

/// `--proto-file` with `--proto-path`: the peer's `.proto` files as text, compiled by ktui.
fn proto_flags() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/proto");
    vec![
        "--proto-file".into(),
        format!("{root}/ktui/peer/order.proto"),
        "--proto-path".into(),
        root.into(),
        "--proto-type".into(),
        "ktui.peer.Order".into(),
        "--key-proto-type".into(),
        "Order.Ref".into(),
    ]
}

/// Protobuf without a registry: what ProtobufSerializer framed, ktui reads with the
/// `.proto` files alone; what ktui writes as raw Protobuf it reads back; what it frames
/// with `--proto-schema-id`, the peer's ProtobufDeserializer reads back equal.
#[test]
fn local_proto_files_read_and_write_without_a_registry() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let address = broker.address();
    let registry = FakeRegistry::start_in_background();
    let [framed, raw, ours] = ["sr-proto-peer", "sr-proto-raw", "sr-proto-framed"].map(unique);
    for topic in [&framed, &raw, &ours] {
        kp(&address, &["create-topic", topic, "--partitions", "1"]);
    }
    let expected = schema_peers::produce(&address, &registry.url(), &framed, "protobuf", true);
    let proto = proto_flags();
    let consume = |topic: &str| -> Vec<Value> {
        let ran = run_with_input(
            Command::new(KTUI)
                .args(["-b", &address])
                .args(&proto)
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
            Duration::from_secs(60),
        );
        assert!(ran.success(), "{}", ran.stderr);
        String::from_utf8(ran.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let e = parse(l);
                assert_eq!(e["value_schema"]["message"], "ktui.peer.Order", "{e}");
                assert_eq!(e["value_schema"]["file"], "ktui/peer/order.proto", "{e}");
                json!({"key": e["key_decoded"], "value": e["value_decoded"]})
            })
            .collect()
    };
    // Framed by the peer, read with the files alone (no registry given).
    assert_eq!(consume(&framed), expected);

    let mut input = String::new();
    for record in &expected {
        let _ = writeln!(input, "{}\t{}", record["key"], record["value"]);
    }
    let produce = |topic: &str, extra: &[&str]| {
        let ran = run_with_input(
            Command::new(KTUI)
                .args(["-b", &address, "--schema-registry", &registry.url()])
                .args(&proto)
                .args(["produce", topic, "-K", "\t"])
                .args(extra),
            input.as_bytes(),
            Duration::from_secs(60),
        );
        assert!(ran.success(), "{}", ran.stderr);
    };
    // Raw Protobuf: no framing at all, read back the same.
    produce(&raw, &[]);
    assert_eq!(consume(&raw), expected);
    let first = ktui_consume(&address, &registry.url(), &raw, &["--format", "json"]);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(parse(&first[0])["value"].as_str().unwrap_or_default())
        .unwrap_or_else(|_| {
            parse(&first[0])["value"]
                .as_str()
                .unwrap()
                .as_bytes()
                .to_vec()
        });
    assert_ne!(bytes.first(), Some(&0), "raw Protobuf has no magic byte");

    // Framed with the registry's id of order.proto (2): the peer's deserializer reads it.
    produce(&ours, &["--proto-schema-id", "2"]);
    let back = schema_peers::consume(
        &address,
        &registry.url(),
        &ours,
        "protobuf",
        expected.len(),
        true,
        Some("ktui.peer.Order"),
    );
    assert_eq!(back, expected);
}
