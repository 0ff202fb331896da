//! Layer 3 (fast half): the worker against librdkafka's mock cluster over TCP, the same
//! embedded cluster `--demo` runs, with kcat as the peer client where it is installed.

use std::process::Command as Process;
use std::time::{Duration, Instant};

use ktui::kafka::demo::DemoCluster;
use ktui::kafka::model::{ClusterSnapshot, Connection, NewTopicSpec};
use ktui::kafka::worker::{self, WorkerHandle};
use ktui::kafka::{ClientSettings, Command, KafkaEvent, WorkerOptions};

const DEADLINE: Duration = Duration::from_secs(20);

fn start(demo: Option<&DemoCluster>, brokers: &str) -> WorkerHandle {
    let mut options = WorkerOptions::new(ClientSettings::new(brokers));
    options.demo = demo.map(DemoCluster::admin);
    options.refresh_every = Duration::from_millis(500);
    worker::spawn(options)
}

/// Reads events until `pick` returns a value, or fails after the deadline.
async fn wait_for<T>(
    handle: &mut WorkerHandle,
    what: &str,
    mut pick: impl FnMut(KafkaEvent) -> Option<T>,
) -> T {
    let until = Instant::now() + DEADLINE;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, handle.events.recv()).await {
            Ok(Some(event)) => {
                if let Some(value) = pick(event) {
                    return value;
                }
            }
            Ok(None) => panic!("worker stopped while waiting for {what}"),
            Err(elapsed) => panic!("timed out waiting for {what} ({elapsed})"),
        }
    }
}

async fn snapshot_where(
    handle: &mut WorkerHandle,
    what: &str,
    mut pred: impl FnMut(&ClusterSnapshot) -> bool,
) -> ClusterSnapshot {
    wait_for(handle, what, |event| match event {
        KafkaEvent::Metadata { result: Ok(s), .. } if pred(&s) => Some(s),
        _ => None,
    })
    .await
}

fn kcat_topics(address: &str) -> Option<String> {
    let output = Process::new("kcat")
        .args(["-b", address, "-L", "-m", "5"])
        .output();
    match output {
        Ok(out) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("kcat cannot run ({error}); .ci/test installs it")
        }
        Err(error) => {
            eprintln!("kcat cannot run ({error}): skipping the peer check");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_cluster_is_seeded_and_reachable_by_kcat() {
    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = start(Some(&demo), &demo.bootstrap);
    let brokers = wait_for(&mut handle, "connected", |e| match e {
        KafkaEvent::Connection(Connection::Connected { brokers, .. }) => Some(brokers),
        _ => None,
    })
    .await;
    assert_eq!(brokers, 3);
    let snapshot = snapshot_where(&mut handle, "sample and tweets", |s| {
        s.topics.iter().any(|t| t.name == "sample") && s.topics.iter().any(|t| t.name == "tweets")
    })
    .await;
    let sample = snapshot.topics.iter().find(|t| t.name == "sample").unwrap();
    assert_eq!(sample.partitions.len(), 3);
    assert_eq!(sample.replication_factor(), 3);
    assert_eq!(
        sample.messages(),
        Some(6),
        "seeded like the quickstart producer"
    );
    if let Some(listing) = kcat_topics(demo.advertised_address()) {
        assert!(
            listing.contains("topic \"sample\" with 3 partitions"),
            "{listing}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_delete_through_the_demo_route() {
    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = start(Some(&demo), &demo.bootstrap);
    snapshot_where(&mut handle, "first snapshot", |_| true).await;

    let spec = NewTopicSpec {
        name: "made-here".into(),
        partitions: 4,
        replication: 2,
        configs: vec![],
    };
    handle
        .commands
        .send(Command::CreateTopic {
            id: 7,
            spec: spec.clone(),
        })
        .await
        .unwrap();
    let result = wait_for(&mut handle, "TopicCreated", |e| match e {
        KafkaEvent::TopicCreated { id: 7, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert_eq!(result, Ok(()));
    let snapshot = snapshot_where(&mut handle, "made-here listed", |s| {
        s.topics.iter().any(|t| t.name == "made-here")
    })
    .await;
    let made = snapshot
        .topics
        .iter()
        .find(|t| t.name == "made-here")
        .unwrap();
    assert_eq!(made.partitions.len(), 4);
    assert_eq!(made.replication_factor(), 2);
    if let Some(listing) = kcat_topics(&demo.bootstrap) {
        assert!(
            listing.contains("topic \"made-here\" with 4 partitions"),
            "{listing}"
        );
    }

    // Again: the mock refuses like a broker would.
    handle
        .commands
        .send(Command::CreateTopic { id: 8, spec })
        .await
        .unwrap();
    let again = wait_for(&mut handle, "second TopicCreated", |e| match e {
        KafkaEvent::TopicCreated { id: 8, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert_eq!(again.unwrap_err().code, "TOPIC_ALREADY_EXISTS");

    handle
        .commands
        .send(Command::DeleteTopic {
            id: 9,
            name: "made-here".into(),
        })
        .await
        .unwrap();
    let deleted = wait_for(&mut handle, "TopicDeleted", |e| match e {
        KafkaEvent::TopicDeleted { id: 9, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert_eq!(deleted, Ok(()));
    snapshot_where(&mut handle, "made-here gone", |s| {
        !s.topics.iter().any(|t| t.name == "made-here")
            && s.topics.iter().any(|t| t.name == "sample")
    })
    .await;

    // Unknown topics cannot be deleted.
    handle
        .commands
        .send(Command::DeleteTopic {
            id: 10,
            name: "never-was".into(),
        })
        .await
        .unwrap();
    let missing = wait_for(&mut handle, "TopicDeleted unknown", |e| match e {
        KafkaEvent::TopicDeleted { id: 10, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert_eq!(missing.unwrap_err().code, "UNKNOWN_TOPIC_OR_PARTITION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_do_not_pile_up() {
    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = start(Some(&demo), &demo.bootstrap);
    // A burst of 50 requests: the worker runs one fetch at a time and keeps only the
    // latest queued request, so far fewer than 50 answers come back.
    for id in 1..=50 {
        handle
            .commands
            .send(Command::RefreshMetadata { id })
            .await
            .unwrap();
    }
    let mut answered = Vec::new();
    let last = wait_for(&mut handle, "answer to request 50", |e| match e {
        KafkaEvent::Metadata { id, .. } => {
            answered.push(id);
            (id == 50).then_some(id)
        }
        _ => None,
    })
    .await;
    assert_eq!(last, 50);
    let user_answers = answered.iter().filter(|&&id| id != 0).count();
    assert!(user_answers <= 3, "answers: {answered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_names_the_address_and_the_reason() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = format!("127.0.0.1:{port}");
    let mut options = WorkerOptions::new(ClientSettings::new(&address));
    options.request_timeout = Duration::from_secs(2);
    let mut handle = worker::spawn(options);
    let (shown, reason) = wait_for(&mut handle, "unreachable", |e| match e {
        KafkaEvent::Connection(Connection::Unreachable { address, reason }) => {
            Some((address, reason))
        }
        _ => None,
    })
    .await;
    assert_eq!(shown, address);
    assert!(reason.contains("Connection refused"), "{reason}");
    assert!(reason.contains(&address), "{reason}");
}

#[test]
fn headless_topics_json_on_the_demo_cluster() {
    let output = Process::new(env!("CARGO_BIN_EXE_ktui"))
        .args(["--demo", "topics", "--json"])
        .env("XDG_DATA_HOME", std::env::temp_dir().join("ktui-test-data"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sample = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "sample")
        .expect("sample listed");
    assert_eq!(sample["partitions"], 3);
    assert_eq!(sample["replication_factor"], 3);
    assert_eq!(sample["messages"], 6);
}
