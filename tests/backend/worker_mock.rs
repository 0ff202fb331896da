//! Layer 3 (fast half): the worker against librdkafka's mock cluster over TCP, the same
//! embedded cluster `--demo` runs, with kcat as the peer client where it is installed.

use std::process::Command as Process;
use std::time::Duration;

use ktui::kafka::demo::DemoCluster;
use ktui::kafka::model::{ClusterSnapshot, Connection, NewTopicSpec};
use ktui::kafka::worker::{self, WorkerHandle};
use ktui::kafka::{ClientSettings, Command, KafkaEvent, WorkerOptions};

use crate::support::unused_address;
use crate::support::worker::next_event;

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
    next_event(handle, what, DEADLINE, |event| pick(event.clone())).await
}

/// The first snapshot `pred` accepts, as the UI assembles it: each Metadata answer, with
/// the watermarks its pass brings (checked when the metadata comes and when the pass ends).
async fn snapshot_where(
    handle: &mut WorkerHandle,
    what: &str,
    mut pred: impl FnMut(&ClusterSnapshot) -> bool,
) -> ClusterSnapshot {
    let mut current: Option<ClusterSnapshot> = None;
    wait_for(handle, what, |event| {
        match event {
            KafkaEvent::Metadata { result: Ok(s), .. } => current = Some(s),
            KafkaEvent::Watermarks { pass, ends } => {
                if let Some(c) = &mut current {
                    c.apply_watermarks(&ends, pass);
                }
                return None;
            }
            KafkaEvent::WatermarksDone { .. } => {
                if let Some(c) = &mut current {
                    c.watermarks = true;
                }
            }
            _ => return None,
        }
        current.as_ref().filter(|s| pred(s)).cloned()
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
    let snapshot = snapshot_where(&mut handle, "sample and tweets, counted", |s| {
        s.watermarks
            && s.topics.iter().any(|t| t.name == "sample")
            && s.topics.iter().any(|t| t.name == "tweets")
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
    let address = unused_address();
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
        .env("KTUI_DEMO_LISTEN", "127.0.0.1:0")
        .env("KTUI_DEMO_TRICKLE", "off")
        .env("KTUI_DEMO_REGISTRY_LISTEN", "127.0.0.1:0")
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

/// The messages in `topic` according to `snapshot` (sum of high − low).
fn messages(snapshot: &ClusterSnapshot, topic: &str) -> Option<u64> {
    snapshot
        .topics
        .iter()
        .find(|t| t.name == topic)
        .and_then(ktui::kafka::TopicInfo::messages)
}

fn read_only_worker(demo: &DemoCluster) -> WorkerHandle {
    let mut options = WorkerOptions::new(ClientSettings::new(&demo.bootstrap));
    options.demo = Some(demo.admin());
    options.read_only = Some("cluster prod is read-only (config)".into());
    worker::spawn(options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_worker_refuses_feeds_and_group_tails() {
    use ktui::kafka::tail::{TailEvent, TailSpec};
    use ktui::kafka::{FeedJob, FeedUpdate, ValueFormat};

    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = read_only_worker(&demo);
    let commands = handle.commands.clone();
    let send = |command| {
        let commands = commands.clone();
        async move { commands.send(command).await.unwrap() }
    };
    send(Command::StartFeed {
        id: 13,
        job: FeedJob {
            source: ktui::feed::SourceSpec::Replay {
                path: None,
                per_second: 100.0,
                rounds: 1,
            },
            topic: "tweets".into(),
            value: ValueFormat::Json,
        },
    })
    .await;
    let feed = wait_for(&mut handle, "feed refused", |e| match e {
        KafkaEvent::Feed {
            id: 13,
            update: FeedUpdate::State(state),
        } => Some(state),
        _ => None,
    })
    .await;
    assert!(feed.to_string().contains("read-only"), "{feed}");

    send(Command::StartTail {
        id: 14,
        spec: TailSpec {
            group: Some("a-real-group".into()),
            ..TailSpec::new("sample".to_string())
        },
    })
    .await;
    let tail = wait_for(&mut handle, "group tail refused", |e| match e {
        KafkaEvent::Tail {
            id: 14,
            event: TailEvent::Failed(reason),
        } => Some(reason),
        _ => None,
    })
    .await;
    assert!(tail.contains("would commit offsets"), "{tail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_worker_refuses_every_write_and_writes_nothing() {
    use ktui::kafka::produce::OutgoingMessage;

    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = read_only_worker(&demo);
    handle
        .commands
        .send(Command::RefreshMetadata { id: 1 })
        .await
        .unwrap();
    let before = snapshot_where(&mut handle, "sample", |s| messages(s, "sample").is_some()).await;

    let commands = handle.commands.clone();
    let send = |command| {
        let commands = commands.clone();
        async move { commands.send(command).await.unwrap() }
    };
    send(Command::Produce {
        id: 10,
        message: OutgoingMessage {
            topic: "sample".into(),
            partition: None,
            key: None,
            value: Some(b"must not land".to_vec()),
            headers: Vec::new(),
            timestamp: None,
        },
    })
    .await;
    let refused = wait_for(&mut handle, "produce refused", |e| match e {
        KafkaEvent::Delivered { id: 10, result } => Some(result),
        _ => None,
    })
    .await
    .expect_err("no delivery on a read-only cluster");
    assert_eq!(refused.code, "REFUSED");
    assert_eq!(
        refused.message,
        "cluster prod is read-only (config): writes are disabled"
    );

    send(Command::CreateTopic {
        id: 11,
        spec: NewTopicSpec {
            name: "ro-new".into(),
            partitions: 1,
            replication: 1,
            configs: Vec::new(),
        },
    })
    .await;
    let created = wait_for(&mut handle, "create refused", |e| match e {
        KafkaEvent::TopicCreated { id: 11, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert!(created.is_err());

    send(Command::DeleteTopic {
        id: 12,
        name: "sample".into(),
    })
    .await;
    let deleted = wait_for(&mut handle, "delete refused", |e| match e {
        KafkaEvent::TopicDeleted { id: 12, result, .. } => Some(result),
        _ => None,
    })
    .await;
    assert!(deleted.is_err());

    // Nothing changed on the cluster.
    send(Command::RefreshMetadata { id: 2 }).await;
    let after = snapshot_where(&mut handle, "a fresh snapshot", |s| {
        messages(s, "sample").is_some()
    })
    .await;
    assert_eq!(messages(&after, "sample"), messages(&before, "sample"));
    assert_eq!(messages(&after, "tweets"), messages(&before, "tweets"));
    assert!(!after.topics.iter().any(|t| t.name == "ro-new"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_moves_to_another_cluster_and_names_an_unreadable_secret() {
    use ktui::kafka::client::{ClientSpec, Property};

    let first = DemoCluster::start().await.expect("first cluster");
    let second = DemoCluster::start().await.expect("second cluster");
    let mut handle = start(Some(&first), &first.bootstrap);
    wait_for(&mut handle, "connected to the first", |e| match e {
        KafkaEvent::Connection(Connection::Connected { address, .. })
            if address == first.bootstrap =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    let spec = |name: &str, brokers: &str| ClientSpec {
        name: name.into(),
        brokers: brokers.into(),
        properties: Vec::new(),
        problem: None,
        schema_registry: None,
        proto: None,
    };
    handle
        .commands
        .send(Command::Connect {
            spec: Box::new(spec("second", &second.bootstrap)),
            read_only: None,
            demo: false,
        })
        .await
        .unwrap();
    wait_for(&mut handle, "connected to the second", |e| match e {
        KafkaEvent::Connection(Connection::Connected { address, .. })
            if address == second.bootstrap =>
        {
            Some(())
        }
        _ => None,
    })
    .await;

    let mut locked = spec("locked", &first.bootstrap);
    locked.properties.push((
        "sasl.password".into(),
        Property::new("sasl.password", "env:KTUI_WORKER_TEST_UNSET"),
    ));
    handle
        .commands
        .send(Command::Connect {
            spec: Box::new(locked),
            read_only: None,
            demo: false,
        })
        .await
        .unwrap();
    let reason = wait_for(&mut handle, "the unreadable secret", |e| match e {
        KafkaEvent::Connection(Connection::Unreachable { reason, .. }) => Some(reason),
        _ => None,
    })
    .await;
    assert_eq!(
        reason,
        "cluster locked: sasl.password: env:KTUI_WORKER_TEST_UNSET is not set"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watermarks_are_fetched_only_while_wanted() {
    let demo = DemoCluster::start().await.expect("demo cluster starts");
    let mut handle = start(Some(&demo), &demo.bootstrap);
    let counted = |s: &ClusterSnapshot| {
        s.watermarks
            && s.topics
                .iter()
                .any(|t| t.name == "sample" && t.messages().is_some())
    };
    snapshot_where(&mut handle, "sample with its counts", counted).await;
    // The Topics tab is left: periodic refreshes bring metadata only. (One pass may be
    // under way when the command lands: wait for the metadata after it.)
    handle
        .commands
        .send(Command::Watermarks {
            wanted: false,
            first: Vec::new(),
        })
        .await
        .unwrap();
    wait_for(&mut handle, "a refresh", |e| {
        matches!(e, KafkaEvent::Metadata { .. }).then_some(())
    })
    .await;
    let mut counted_meanwhile = 0;
    let bare = wait_for(&mut handle, "the next refresh", |e| match e {
        KafkaEvent::Watermarks { .. } | KafkaEvent::WatermarksDone { .. } => {
            counted_meanwhile += 1;
            None
        }
        KafkaEvent::Metadata { result: Ok(s), .. } => Some(s),
        _ => None,
    })
    .await;
    assert_eq!(counted_meanwhile, 0, "no watermarks while unwanted");
    let sample = bare.topics.iter().find(|t| t.name == "sample").unwrap();
    assert_eq!(sample.partitions.len(), 3);
    assert!(
        sample
            .partitions
            .iter()
            .all(|p| p.low.is_none() && p.high.is_none()),
        "{sample:?}"
    );
    // Back on the Topics tab: counted again (a refresh starts at once), the topic on
    // screen first.
    handle
        .commands
        .send(Command::Watermarks {
            wanted: true,
            first: vec!["tweets".into()],
        })
        .await
        .unwrap();
    let first = wait_for(&mut handle, "the first counts", |e| match e {
        KafkaEvent::Watermarks { ends, .. } => Some(ends),
        _ => None,
    })
    .await;
    assert_eq!(first[0].topic, "tweets", "{first:?}");
    snapshot_where(&mut handle, "counts again", counted).await;
}
