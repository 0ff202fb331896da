//! Layer 3: share groups (KIP-932) on Apache Kafka 4.1, with share groups turned on
//! (`share.version=1`) on the shared node. A share group made by Kafka's own console share
//! consumer is listed by `ktui groups` with its type and state, and described with each
//! partition's share-partition start offset and lag, as Kafka's `ShareGroupCommand`
//! (kafka-share-groups.sh) prints them; resetting or deleting its offsets is refused in
//! words (ktui changes consumer groups' offsets only).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::groups_kafka::{filled_topic, ktui, ktui_json};
use crate::support::groups::table_rows;
use crate::support::kafka;
use crate::support::peers::java_tool;
use crate::support::{unique, wait_until};

/// Runs one of Kafka's tools, which must succeed; its stdout.
fn tool(class: &str, args: &[&str]) -> String {
    let ran = java_tool(class, args, "", Duration::from_secs(90));
    assert!(
        ran.success(),
        "{class} {args:?} failed ({:?}): {}{}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    ran.stdout
}

/// `kafka-share-groups.sh --describe --group G`: partition → start offset.
fn oracle_starts(address: &str, group: &str) -> BTreeMap<i64, i64> {
    let out = tool(
        "org.apache.kafka.tools.consumer.group.ShareGroupCommand",
        &[
            "--bootstrap-server",
            address,
            "--describe",
            "--group",
            group,
        ],
    );
    table_rows(&out, "GROUP")
        .into_iter()
        .filter_map(|r| {
            Some((
                r["PARTITION"].parse().ok()?,
                r["START-OFFSET"].parse().ok()?,
            ))
        })
        .collect()
}

/// A topic of 2 partitions × 5 records, and a share group that Kafka's console share
/// consumer made by reading (and accepting) 4 of them.
fn share_group_that_read_four(address: &str) -> (String, String) {
    // Share groups are a preview in Kafka 4.1: on once the feature is upgraded (again: a
    // no-op).
    tool(
        "org.apache.kafka.tools.FeatureCommand",
        &[
            "--bootstrap-server",
            address,
            "upgrade",
            "--feature",
            "share.version=1",
        ],
    );
    let topic = filled_topic(address, "share-jobs", 2, 5);
    let group = unique("share-workers");
    // A new share group starts at the log end; this one is to read what is there.
    tool(
        "kafka.admin.ConfigCommand",
        &[
            "--bootstrap-server",
            address,
            "--alter",
            "--entity-type",
            "groups",
            "--entity-name",
            &group,
            "--add-config",
            "share.auto.offset.reset=earliest",
        ],
    );
    // Kafka's console share consumer takes 4 records (accepting them) and leaves.
    let read = tool(
        "org.apache.kafka.tools.consumer.ConsoleShareConsumer",
        &[
            "--bootstrap-server",
            address,
            "--topic",
            &topic,
            "--group",
            &group,
            "--max-messages",
            "4",
            "--timeout-ms",
            "30000",
        ],
    );
    assert_eq!(read.lines().count(), 4, "{read}");

    (topic, group)
}

#[test]
fn share_groups_are_listed_and_described_as_kafkas_share_group_command_shows_them() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let (topic, group) = share_group_that_read_four(&address);

    // What Kafka's tool shows once the acknowledgements are in: the start offsets.
    let starts = wait_until(
        "Kafka's share group tool to show the group's start offsets",
        Duration::from_secs(60),
        || {
            let starts = oracle_starts(&address, &group);
            // All 4 accepted records acknowledged (each partition's start offset moves
            // past the records accepted in order from its beginning).
            if starts.values().sum::<i64>() == 4 {
                Ok(starts)
            } else {
                Err(format!("start offsets {starts:?}"))
            }
        },
    );

    let listed = ktui_json(&address, &[]);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group.as_str())
        .unwrap_or_else(|| panic!("{group} not listed: {listed:#}"));
    assert_eq!(row["type"], "share", "{row:#}");
    assert_eq!(row["state"], "Empty", "{row:#}");
    // Its members are not known to ktui (no ShareGroupDescribe): null, not 0.
    assert_eq!(row["members"], Value::Null, "{row:#}");
    assert_eq!(row["topics"], serde_json::json!([topic]));
    // Each partition holds 5 records; the lag is what lies past the start offset, over
    // the partitions the group holds state for (those Kafka's tool lists).
    let expected_lag: i64 = starts.values().map(|start| 5 - start).sum();
    assert_eq!(row["lag"], expected_lag, "{row:#} vs {starts:?}");

    let detail = ktui_json(&address, &["describe", &group]);
    let ours: BTreeMap<i64, i64> = detail["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["committed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours, starts, "{detail:#}");
    for p in detail["partitions"].as_array().unwrap() {
        assert_eq!(p["end"], 5, "{p:#}");
        assert_eq!(
            p["lag"].as_i64().unwrap(),
            5 - p["committed"].as_i64().unwrap()
        );
    }
    assert_eq!(detail["type"], "share");
    assert_eq!(detail["members"], Value::Null);
    // The text table names the column as Kafka's share group tool does.
    let text = ktui(&address, &["describe", &group]);
    assert!(text.success(), "{}", text.stderr);
    assert!(text.stdout.contains("START-OFFSET"), "{}", text.stdout);

    // Changes to its offsets are refused in words, and nothing is written.
    for args in [
        vec![
            "reset",
            &group,
            "--to-earliest",
            "--topic",
            &topic,
            "--execute",
        ],
        vec!["delete-offsets", &group, "--topic", &topic, "--yes"],
    ] {
        let refused = ktui(&address, &args);
        assert_eq!(refused.code(), Some(1), "{args:?}: {}", refused.stdout);
        assert!(
            refused.stderr.contains("is a share group"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    assert_eq!(oracle_starts(&address, &group), starts);
}
