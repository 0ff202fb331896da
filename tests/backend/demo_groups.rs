//! Consumer groups on the demo cluster: librdkafka's mock has no ListGroups or
//! DescribeGroups, so the front answers them from what it saw go by. Checked with real
//! members (kafka-python classic, confluent-kafka KIP-848), `ktui groups`, and Kafka's own
//! ConsumerGroupCommand against the same demo.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::broker::MockCluster;
use crate::support::groups::{Member, cgc, groups_peer, table_rows};
use crate::support::peers::ck;
use crate::support::process::{Ran, run_with_timeout};
use crate::support::{KTUI, kafka, peers, require, wait_until};

fn ktui(address: &str, args: &[&str]) -> Ran {
    run_with_timeout(
        Command::new(KTUI)
            .args(["-b", address, "groups"])
            .args(args),
        Duration::from_secs(60),
    )
}

fn listed(address: &str) -> Vec<Value> {
    let ran = ktui(address, &["--json"]);
    assert!(ran.success(), "{ran:?}");
    serde_json::from_str::<Value>(&ran.stdout)
        .expect("JSON")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn row<'a>(rows: &'a [Value], group: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["group"] == group)
}

#[test]
#[allow(clippy::too_many_lines)] // one story: groups made, listed, described, left, reset
fn the_demo_lists_and_describes_every_kind_of_group_it_saw() {
    if !require("kafka-python", peers::peer_available())
        || !require("confluent-kafka", peers::ck_available())
    {
        return;
    }
    let mock = MockCluster::start();
    let address = mock.bootstrap().to_string();
    let topic = mock.topic("demo-groups", 3);
    for p in 0..3 {
        let records: Vec<(String, i64)> = (0..4)
            .map(|i| (format!("v{p}-{i}"), 1_700_000_000_000 + i))
            .collect();
        groups_peer(
            &address,
            &[
                "produce-timed",
                &topic,
                &p.to_string(),
                &serde_json::to_string(&records).unwrap(),
            ],
        );
    }
    groups_peer(&address, &["read", "demo-classic", &topic, "5"]);
    groups_peer(
        &address,
        &["commit", "demo-commits", &topic, r#"{"0": 1, "2": 3}"#],
    );
    let classic = Member::join(&address, "demo-live", &topic, "classic");
    let _modern = Member::join(&address, "demo-848", &topic, "consumer");

    let rows = wait_until("every group listed", Duration::from_secs(30), || {
        let rows = listed(&address);
        let all = ["demo-classic", "demo-commits", "demo-live", "demo-848"]
            .iter()
            .all(|g| row(&rows, g).is_some());
        if all {
            Ok(rows)
        } else {
            Err(format!("{rows:#?}"))
        }
    });
    let seen = |g: &str| {
        let r = row(&rows, g).unwrap();
        (
            r["type"].as_str().unwrap().to_string(),
            r["state"].as_str().unwrap().to_string(),
            r["members"].as_u64().unwrap(),
        )
    };
    assert_eq!(seen("demo-classic"), ("classic".into(), "Empty".into(), 0));
    assert_eq!(
        seen("demo-commits"),
        ("offsets-only".into(), "Empty".into(), 0)
    );
    assert_eq!(seen("demo-live"), ("classic".into(), "Stable".into(), 1));
    assert_eq!(seen("demo-848"), ("consumer".into(), "Stable".into(), 1));
    assert_eq!(row(&rows, "demo-classic").unwrap()["lag"], 7);
    assert_eq!(row(&rows, "demo-commits").unwrap()["lag"], 4);

    // A member's assignment, as a describe shows it.
    let described = ktui(&address, &["describe", "demo-live", "--json"]);
    let detail: Value =
        serde_json::from_str(&described.stdout).unwrap_or_else(|e| panic!("{e}: {described:?}"));
    assert_eq!(detail["members"][0]["client_id"], "classic-member");
    assert_eq!(detail["members"][0]["host"], "/127.0.0.1");
    assert_eq!(
        detail["members"][0]["assignment"],
        serde_json::json!([{"topic": topic, "partitions": [0, 1, 2]}])
    );

    // Kafka's own tool reads the same groups through the front.
    if kafka::available() {
        let theirs = cgc(&address, &["--describe", "--group", "demo-commits"]);
        let mut partitions: Vec<(String, String)> = table_rows(&theirs, "GROUP")
            .into_iter()
            .map(|r| (r["PARTITION"].clone(), r["CURRENT-OFFSET"].clone()))
            .collect();
        partitions.sort();
        assert_eq!(
            partitions,
            vec![("0".into(), "1".into()), ("2".into(), "3".into())],
            "{theirs}"
        );
    }

    // A member that leaves: the group is Empty again.
    drop(classic);
    wait_until("demo-live to be empty", Duration::from_secs(30), || {
        let rows = listed(&address);
        match row(&rows, "demo-live") {
            Some(r) if r["state"] == "Empty" && r["members"] == 0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    // Resetting a group that only committed works on the mock; deleting is not something
    // the mock can do, and ktui says so.
    let reset = ktui(
        &address,
        &["reset", "demo-commits", "--to-earliest", "--execute"],
    );
    assert!(reset.success(), "{reset:?}");
    assert_eq!(
        ck(&address, &["committed", "demo-commits", &topic]).trim(),
        r#"{"0": 0, "2": 0}"#
    );
    let delete = ktui(&address, &["delete", "demo-commits", "--yes"]);
    assert_eq!(delete.code(), Some(1), "{delete:?}");
    assert!(
        delete.stderr.contains("cannot do this"),
        "{}",
        delete.stderr
    );
}
