//! Layer 3: ktui's Kafka side against Apache Kafka (the shared single node) over TCP,
//! checked against what an independent client (kafka-python) sees on the same broker.
//! Each test uses uniquely named topics.

use std::process::Command;
use std::time::Duration;

use ktui::kafka::model::{AdminError, NewTopicSpec};
use ktui::kafka::worker::WorkerHandle;
use ktui::kafka::{
    ClientSettings, Command as WorkerCommand, Connection, KafkaEvent, WorkerOptions,
};
use serde_json::Value;
use tokio::task::block_in_place;

use crate::support::kafka;
use crate::support::peers::{kp, wait_for_topic};
use crate::support::process::run_with_timeout;
use crate::support::worker::{next_event, shut_down};
use crate::support::{KTUI, unique, unused_address};

/// `ktui -b ADDR topics --json`, parsed.
fn headless_topics(address: &str) -> Vec<Value> {
    let ran = run_with_timeout(
        Command::new(KTUI).args(["-b", address, "topics", "--json", "--timeout", "5"]),
        Duration::from_secs(20),
    );
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "ktui topics --json failed ({:?})\nstdout: {}\nstderr: {}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| {
        panic!(
            "ktui topics --json printed invalid JSON ({e}):\n{}",
            ran.stdout
        )
    })
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row named {name} in {rows:#?}"))
}

#[test]
fn headless_topics_json_matches_what_the_broker_holds() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let empty = unique("hl-empty");
    let filled = unique("hl-filled");
    kp(
        &address,
        &[
            "create-topic",
            &empty,
            "--partitions",
            "3",
            "--replication",
            "1",
        ],
    );
    kp(
        &address,
        &[
            "create-topic",
            &filled,
            "--partitions",
            "3",
            "--replication",
            "1",
        ],
    );
    kp(
        &address,
        &["produce", &filled, "a", "b", "--partition", "0"],
    );
    kp(&address, &["produce", &filled, "c", "--partition", "2"]);
    let ends: Value =
        serde_json::from_str(&kp(&address, &["end-offsets", &filled])).expect("end-offsets JSON");
    assert_eq!(
        ends,
        serde_json::json!({"0": 2, "1": 0, "2": 1}),
        "what kafka-python sees"
    );

    let rows = headless_topics(&address);
    let expect = |name: &str, messages: u64| {
        serde_json::json!({
            "name": name,
            "partitions": 3,
            "replication_factor": 1,
            "under_replicated": 0,
            "messages": messages,
            "internal": false,
        })
    };
    assert_eq!(row(&rows, &empty), &expect(&empty, 0));
    assert_eq!(row(&rows, &filled), &expect(&filled, 3));

    // The table form shows the same row.
    let ran = run_with_timeout(
        Command::new(KTUI).args(["-b", &address, "topics", "--timeout", "5"]),
        Duration::from_secs(20),
    );
    assert!(ran.status.is_some_and(|s| s.success()), "{ran:?}");
    let line = ran
        .stdout
        .lines()
        .find(|l| l.starts_with(&filled))
        .unwrap_or_else(|| panic!("no table row for {filled}:\n{}", ran.stdout));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cells,
        [filled.as_str(), "3", "1", "0", "3"],
        "table row: {line:?}"
    );
}

#[test]
fn headless_topics_on_a_closed_port_fails_fast_and_names_the_address() {
    let address = unused_address();
    let ran = run_with_timeout(
        Command::new(KTUI).args(["-b", &address, "topics"]),
        Duration::from_secs(15),
    );
    let status = ran
        .status
        .unwrap_or_else(|| panic!("ktui topics did not exit within 15 s: {ran:?}"));
    assert!(
        !status.success(),
        "exit status {status} for an unreachable cluster: {ran:?}"
    );
    assert_eq!(status.code(), Some(2), "{ran:?}");
    assert!(ran.stdout.is_empty(), "nothing on stdout: {ran:?}");
    assert!(
        ran.stderr.contains(&address),
        "stderr names the address {address}: {:?}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("Connection refused"),
        "stderr says why: {:?}",
        ran.stderr
    );
}

/// How long the worker may take to answer one request.
const ANSWER: Duration = Duration::from_secs(15);

/// Sends `command` and waits for the answer `pick` recognizes.
async fn ask<T>(
    worker: &mut WorkerHandle,
    command: WorkerCommand,
    pick: impl FnMut(&KafkaEvent) -> Option<T>,
) -> T {
    let what = format!("the answer to {command:?}");
    worker
        .commands
        .send(command)
        .await
        .expect("the worker is running");
    next_event(worker, &what, ANSWER, pick).await
}

/// Starts the worker on `address` and waits until it reports `Connected`; checks the
/// events on the way (first `Connecting`, then `Connected` to one broker at that address).
async fn connected_worker(address: &str) -> WorkerHandle {
    let mut worker = ktui::kafka::worker::spawn(WorkerOptions::new(ClientSettings::new(address)));
    let first = next_event(&mut worker, "the first event", ANSWER, |e| Some(e.clone())).await;
    assert_eq!(
        first,
        KafkaEvent::Connection(Connection::Connecting {
            address: address.to_string()
        })
    );
    let connected = next_event(&mut worker, "Connected", ANSWER, |e| match e {
        KafkaEvent::Connection(c @ Connection::Connected { .. }) => Some(c.clone()),
        KafkaEvent::Connection(Connection::Unreachable { reason, .. }) => {
            panic!("Kafka is up, yet the worker says unreachable: {reason}")
        }
        _ => None,
    })
    .await;
    let Connection::Connected {
        address: connected_to,
        brokers,
        ..
    } = connected
    else {
        unreachable!("picked Connected")
    };
    assert_eq!((connected_to.as_str(), brokers), (address, 1));
    worker
}

/// The metadata answer to a refresh, with the watermarks its pass brings (up to the
/// pass's end).
async fn snapshot(worker: &mut WorkerHandle, id: u64) -> ktui::kafka::ClusterSnapshot {
    let mut snapshot = None;
    ask(worker, WorkerCommand::RefreshMetadata { id }, |e| match e {
        KafkaEvent::Metadata { id: got, result } if *got == id => {
            snapshot = Some(result.clone().expect("metadata from a live broker"));
            None
        }
        KafkaEvent::Watermarks { pass, ends } => {
            if let Some(s) = &mut snapshot {
                s.apply_watermarks(ends, *pass);
            }
            None
        }
        KafkaEvent::WatermarksDone { .. } => snapshot.take(),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_creates_a_topic_the_peer_sees_and_a_second_create_is_refused() {
    let Some(broker) = block_in_place(kafka::shared) else {
        return;
    };
    let address = broker.address();
    let name = unique("wk-create");
    let mut worker = connected_worker(&address).await;

    let spec = NewTopicSpec {
        name: name.clone(),
        partitions: 3,
        replication: 1,
        configs: vec![
            ("retention.ms".into(), "3600000".into()),
            ("cleanup.policy".into(), "compact".into()),
        ],
    };
    let create = |id| WorkerCommand::CreateTopic {
        id,
        spec: spec.clone(),
    };
    let created = ask(&mut worker, create(101), |e| match e {
        KafkaEvent::TopicCreated {
            id: 101,
            name,
            result,
        } => Some((name.clone(), result.clone())),
        _ => None,
    })
    .await;
    assert_eq!(created, (name.clone(), Ok(())));
    block_in_place(|| {
        wait_for_topic(&address, &name, true, Duration::from_secs(10));
        let described: Value = serde_json::from_str(&kp(&address, &["describe-topics", &name]))
            .expect("describe JSON");
        assert_eq!(
            described[&name], 3,
            "kafka-python sees 3 partitions: {described}"
        );
    });

    // Create again: the broker's refusal comes back verbatim.
    let again = ask(&mut worker, create(102), |e| match e {
        KafkaEvent::TopicCreated {
            id: 102, result, ..
        } => Some(result.clone()),
        _ => None,
    })
    .await;
    let error: AdminError = again.expect_err("creating an existing topic is refused");
    assert_eq!(error.code, "TOPIC_ALREADY_EXISTS", "{error:?}");
    assert_eq!(error.message, "Broker: Topic already exists", "{error:?}");
    assert!(error.explanation.contains("already exists"), "{error:?}");

    // DescribeConfigs lists every topic config with its value and where it comes from:
    // set on the topic, the broker's static server.properties, or Kafka's default.
    let command = WorkerCommand::DescribeConfigs {
        id: 103,
        topic: name.clone(),
    };
    let (topic, result) = ask(&mut worker, command, |e| match e {
        KafkaEvent::Configs {
            id: 103,
            topic,
            result,
        } => Some((topic.clone(), result.clone())),
        _ => None,
    })
    .await;
    assert_eq!(topic, name);
    let entries = result.expect("Kafka answers DescribeConfigs");
    let entry = |key: &str| {
        entries
            .iter()
            .find(|e| e.name == key)
            .unwrap_or_else(|| panic!("no config {key} in {entries:#?}"))
    };
    assert_eq!(entry("retention.ms").value.as_deref(), Some("3600000"));
    assert_eq!(entry("retention.ms").source, "topic");
    assert!(!entry("retention.ms").is_default);
    assert_eq!(entry("cleanup.policy").value.as_deref(), Some("compact"));
    assert_eq!(entry("cleanup.policy").source, "topic");
    // .ci/kafka/node sets log.flush.interval.messages in server.properties.
    assert_eq!(entry("flush.messages").source, "broker (static)");
    assert_eq!(entry("segment.bytes").source, "default");
    assert_eq!(entry("segment.bytes").value.as_deref(), Some("1073741824"));
    assert!(
        entries.len() > 20,
        "every topic config is listed: {entries:#?}"
    );

    // A refresh lists the new topic with its partitions and (empty) watermarks.
    let snapshot = snapshot(&mut worker, 104).await;
    let topic = snapshot
        .topics
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {snapshot:#?}"));
    assert_eq!(topic.partitions.len(), 3);
    assert_eq!(topic.replication_factor(), 1);
    assert_eq!(topic.messages(), Some(0));
    assert_eq!(snapshot.brokers.len(), 1);
    assert_eq!(
        format!("127.0.0.1:{}", snapshot.brokers[0].port),
        address,
        "the broker as it advertises itself"
    );

    shut_down(worker).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_deletes_a_topic_the_peer_created() {
    let Some(broker) = block_in_place(kafka::shared) else {
        return;
    };
    let address = broker.address();
    let name = unique("wk-delete");
    block_in_place(|| {
        kp(
            &address,
            &[
                "create-topic",
                &name,
                "--partitions",
                "2",
                "--replication",
                "1",
            ],
        );
    });
    let mut worker = connected_worker(&address).await;
    let before = snapshot(&mut worker, 201).await;
    assert!(
        before
            .topics
            .iter()
            .any(|t| t.name == name && t.partitions.len() == 2),
        "ktui sees the peer's topic: {before:#?}"
    );

    let delete = |id| WorkerCommand::DeleteTopic {
        id,
        name: name.clone(),
    };
    let deleted = ask(&mut worker, delete(202), |e| match e {
        KafkaEvent::TopicDeleted {
            id: 202,
            name,
            result,
        } => Some((name.clone(), result.clone())),
        _ => None,
    })
    .await;
    assert_eq!(deleted, (name.clone(), Ok(())));
    block_in_place(|| wait_for_topic(&address, &name, false, Duration::from_secs(10)));
    let after = snapshot(&mut worker, 203).await;
    assert!(
        after.topics.iter().all(|t| t.name != name),
        "{name} is gone from ktui's view too: {after:#?}"
    );

    // Deleting what is not there is refused with the broker's code.
    let missing = ask(&mut worker, delete(204), |e| match e {
        KafkaEvent::TopicDeleted {
            id: 204, result, ..
        } => Some(result.clone()),
        _ => None,
    })
    .await;
    let error = missing.expect_err("deleting a missing topic is refused");
    assert_eq!(error.code, "UNKNOWN_TOPIC_OR_PARTITION", "{error:?}");
    assert!(
        error.explanation.contains("No topic with this name"),
        "{error:?}"
    );

    shut_down(worker).await;
}
