//! confluent-kafka's own schema serializers as peers (tests/peers/schemas.py): what they
//! frame, ktui decodes; what ktui frames, they read back.
#![allow(dead_code)] // each test binary uses a subset

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use super::peers::python;
use super::process::run_with_timeout;
use super::require;

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/schemas.py")
}

/// Whether confluent-kafka's Avro, Protobuf and JSON Schema serializers are installed
/// (`pip install 'confluent-kafka[avro,protobuf,json,schemaregistry]'`); applies the
/// missing-tool policy.
pub fn serializers_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let found = *AVAILABLE.get_or_init(|| {
        Command::new(python())
            .args([
                "-c",
                "import fastavro, google.protobuf, jsonschema; \
                 from confluent_kafka.schema_registry.avro import AvroSerializer; \
                 from confluent_kafka.schema_registry.protobuf import ProtobufSerializer; \
                 from confluent_kafka.schema_registry.json_schema import JSONSerializer",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    require(
        "python3 with confluent-kafka[avro,protobuf,json,schemaregistry]",
        found,
    )
}

fn run(args: &[&str]) -> Vec<Value> {
    let ran = run_with_timeout(
        Command::new(python()).arg(script()).args(args),
        Duration::from_secs(90),
    );
    assert!(
        ran.success(),
        "schemas.py {args:?} failed ({:?}): {}{}",
        ran.status,
        ran.stdout.trim(),
        ran.stderr.trim()
    );
    ran.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// Produces the script's fixed records of `kind` (avro, protobuf, json) with their
/// serializer, keys too when `keyed`; returns what each should decode to, in order
/// (`{"key", "value"}` objects when keyed).
pub fn produce(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    kind: &str,
    keyed: bool,
) -> Vec<Value> {
    let mut args = vec![
        "produce",
        "--bootstrap",
        bootstrap,
        "--registry",
        registry,
        "--topic",
        topic,
        "--kind",
        kind,
    ];
    if keyed {
        args.push("--key");
    }
    run(&args)
}

/// Reads `count` records from the beginning with the deserializer of `kind`; returns
/// their values (or `{"key", "value"}` when `keyed`), by partition then offset.
pub fn consume(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    kind: &str,
    count: usize,
    keyed: bool,
    proto_message: Option<&str>,
) -> Vec<Value> {
    let mut extra = Vec::new();
    if keyed {
        extra.push("--key");
    }
    if let Some(message) = proto_message {
        extra.extend(["--proto-message", message]);
    }
    consume_with(bootstrap, registry, topic, kind, count, &extra)
}

/// Reads `count` Protobuf values from the beginning as `message`, a message of registry
/// schema `schema_id` built from what the registry serves for it serialized (no class of
/// the script's own); returns them by partition then offset.
pub fn consume_registry_proto(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    count: usize,
    schema_id: u32,
    message: &str,
) -> Vec<Value> {
    let schema_id = schema_id.to_string();
    let extra = [
        "--proto-registry-id",
        &schema_id,
        "--proto-message",
        message,
    ];
    consume_with(bootstrap, registry, topic, "protobuf", count, &extra)
}

fn consume_with(
    bootstrap: &str,
    registry: &str,
    topic: &str,
    kind: &str,
    count: usize,
    extra: &[&str],
) -> Vec<Value> {
    let count = count.to_string();
    let mut args = vec![
        "consume",
        "--bootstrap",
        bootstrap,
        "--registry",
        registry,
        "--topic",
        topic,
        "--kind",
        kind,
        "--count",
        &count,
        "--from-beginning",
    ];
    args.extend_from_slice(extra);
    run(&args)
}
