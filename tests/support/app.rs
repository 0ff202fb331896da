//! `App` builders, keys and drawing, shared by the update and render layers (no terminal,
//! no broker): every App a test builds starts here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ktui::app::{App, ClusterLabel, Clusters};
use ktui::config::Profile;
use ktui::event::Event;
use ktui::feed::twitter::{Options, Secret, Stream};
use ktui::feed::{Author, Post, SourceSpec};
use ktui::kafka::ValueFormat;
use ktui::kafka::model::{
    BrokerInfo, ClusterSnapshot, Connection, PartitionInfo, Record, TimestampKind, TopicInfo,
};
use ktui::kafka::produce::OutgoingMessage;
use ktui::kafka::tail::TailEvent;
use ktui::kafka::{Command, KafkaEvent};
use ktui::keymap::Keymap;
use ktui::tabs::feed::FeedTab;
use ktui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

// ---------------------------------------------------------------------------------------
// Apps and clusters

/// An App for `localhost:9092` with the default keys in a `width`×`height` terminal,
/// showing times in UTC. Nothing has happened yet: it is still connecting.
pub fn app_sized(width: u16, height: u16) -> App {
    let mut app = App::new(ktui::app::AppSettings::new(
        ClusterLabel {
            address: "localhost:9092".into(),
            demo_address: None,
        },
        Keymap::default(),
    ));
    app.size = (width, height);
    app.tz = jiff::tz::TimeZone::UTC;
    app
}

/// [`app_sized`] at 100×30.
pub fn app() -> App {
    app_sized(100, 30)
}

/// One partition led by the first of `replicas`, holding the offsets `low..high`.
pub fn partition(id: i32, replicas: &[i32], isr: &[i32], low: i64, high: i64) -> PartitionInfo {
    PartitionInfo {
        id,
        leader: replicas[0],
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        low: Some(low),
        high: Some(high),
        pass: 0,
        error: None,
    }
}

/// A topic of `partitions` partitions on broker 1, each holding `messages` records.
pub fn topic_holding(name: &str, partitions: i32, messages: i64) -> TopicInfo {
    TopicInfo {
        name: name.into(),
        partitions: (0..partitions)
            .map(|id| partition(id, &[1], &[1], 0, messages))
            .collect(),
        error: None,
    }
}

/// A topic of `partitions` partitions on broker 1, each holding 10 records.
pub fn topic(name: &str, partitions: i32) -> TopicInfo {
    topic_holding(name, partitions, 10)
}

/// A cluster of one broker (`localhost:9092`, cluster id `c1`) holding `topics`.
pub fn cluster_of(topics: Vec<TopicInfo>) -> ClusterSnapshot {
    ClusterSnapshot {
        watermarks: true,
        brokers: vec![BrokerInfo {
            id: 1,
            host: "localhost".into(),
            port: 9092,
        }],
        cluster_id: Some("c1".into()),
        topics,
    }
}

/// Three brokers (`kafka-1..3`) holding `__consumer_offsets` (50 partitions), `orders` (3
/// partitions of about 1.2 million records, one under-replicated), `sample` and `tweets`.
pub fn cluster() -> ClusterSnapshot {
    ClusterSnapshot {
        watermarks: true,
        brokers: (1..=3)
            .map(|id| BrokerInfo {
                id,
                host: format!("kafka-{id}"),
                port: 9092,
            })
            .collect(),
        cluster_id: Some("MkU3OEVBNTcwNTJENDM2Qg".into()),
        topics: vec![
            TopicInfo {
                name: "__consumer_offsets".into(),
                partitions: (0..50)
                    .map(|i| partition(i, &[1, 2, 3], &[1, 2, 3], 0, 0))
                    .collect(),
                error: None,
            },
            TopicInfo {
                name: "orders".into(),
                partitions: vec![
                    partition(0, &[1, 2, 3], &[1, 2, 3], 100, 1_250_000),
                    partition(1, &[2, 3, 1], &[2, 3], 0, 1_199_999),
                    partition(2, &[3, 1, 2], &[3, 1, 2], 5, 1_300_001),
                ],
                error: None,
            },
            TopicInfo {
                name: "sample".into(),
                partitions: vec![partition(0, &[1], &[1], 0, 6)],
                error: None,
            },
            TopicInfo {
                name: "tweets".into(),
                partitions: vec![partition(0, &[2], &[2], 0, 0)],
                error: None,
            },
        ],
    }
}

/// [`cluster_of`] topics of one partition holding 10 records each.
pub fn snapshot(names: &[&str]) -> ClusterSnapshot {
    cluster_of(names.iter().map(|n| topic(n, 1)).collect())
}

/// [`cluster_of`] the empty topics `(name, partitions)`.
pub fn empty_topics(topics: &[(&str, i32)]) -> ClusterSnapshot {
    cluster_of(
        topics
            .iter()
            .map(|(name, partitions)| topic_holding(name, *partitions, 0))
            .collect(),
    )
}

/// The worker's answer to the first metadata request (id 0), with no word on the
/// connection: the status bar still says connecting.
pub fn metadata(app: &mut App, snapshot: ClusterSnapshot) {
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot),
    }));
}

/// Connected to `localhost:9092`, then [`metadata`]: the Topics tab lists `snapshot`.
pub fn connected(app: &mut App, snapshot: ClusterSnapshot) {
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Connected {
            address: "localhost:9092".into(),
            brokers: snapshot.brokers.len(),
            cluster_id: snapshot.cluster_id.clone(),
            unreachable: Vec::new(),
        },
    )));
    metadata(app, snapshot);
}

/// [`app`], [`connected`] to a cluster holding `names` ([`snapshot`]).
pub fn loaded(names: &[&str]) -> App {
    let mut app = app();
    connected(&mut app, snapshot(names));
    app
}

// ---------------------------------------------------------------------------------------
// Keys

/// Presses `code` (no modifier); returns the commands for the worker.
pub fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Presses Ctrl and `c`; returns the commands for the worker.
pub fn ctrl(app: &mut App, c: char) -> Vec<Command> {
    app.handle(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

/// Types `text` key by key, a newline as Enter.
pub fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        if c == '\n' {
            key(app, KeyCode::Enter);
        } else {
            key(app, KeyCode::Char(c));
        }
    }
}

/// The toasts on screen, one per line.
pub fn toasts(app: &App) -> String {
    app.toasts
        .iter()
        .map(|t| t.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// Drawing

/// The frame `app` draws, in a `TestBackend` of its size.
pub fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal
}

/// Every drawn cell's symbol, row after row, with no line breaks between rows.
pub fn screen(terminal: &Terminal<TestBackend>) -> String {
    terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect()
}

// ---------------------------------------------------------------------------------------
// The Tail and Compose tabs

/// The request id of the first `StartTail` in `commands`.
pub fn start_id(commands: &[Command]) -> u64 {
    commands
        .iter()
        .find_map(|c| match c {
            Command::StartTail { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no StartTail in {commands:?}"))
}

/// An event of the tail `id`, as the worker sends it.
pub fn deliver(app: &mut App, id: u64, event: TailEvent) {
    app.handle(Event::Kafka(KafkaEvent::Tail { id, event }));
}

/// Opens `topic` in the Tail tab and has its tail start on `partitions`; returns the
/// tail's request id.
pub fn start_tail(app: &mut App, topic: &str, partitions: &[i32]) -> u64 {
    let id = start_id(&app.open_in_tail(topic));
    deliver(
        app,
        id,
        TailEvent::Started {
            partitions: partitions.to_vec(),
        },
    );
    id
}

/// The request id and the message of the first `Produce` in `commands`.
pub fn produced(commands: &[Command]) -> (u64, OutgoingMessage) {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Produce { id, message } => Some((*id, message.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Produce in {commands:?}"))
}

// ---------------------------------------------------------------------------------------
// The Feed tab

/// The bearer token of [`twitter`]: it must never be drawn.
pub const TOKEN: &str = "AAAA-secret-token-1234";

/// An App at 100×24 whose feed publishes `source` into `tweets` (as JSON).
pub fn feed_app(source: Option<SourceSpec>) -> App {
    let mut app = app_sized(100, 24);
    app.feed = FeedTab::new(source, "tweets".into(), ValueFormat::Json);
    app
}

/// X's filtered stream, behind an address nothing answers on.
pub fn twitter() -> SourceSpec {
    SourceSpec::Twitter(Options {
        api_base: "http://127.0.0.1:1".into(),
        token: Secret::new(TOKEN),
        stream: Stream::Filtered,
    })
}

/// Post `i` of `@kafka_ops` as the feed writes it to Kafka, at offset `i`.
pub fn post(i: u32, text: &str) -> Record {
    let post = Post {
        id: format!("18{i}"),
        text: text.into(),
        author: Author {
            id: "1".into(),
            username: "kafka_ops".into(),
            name: "Kafka Ops".into(),
        },
        created_at: Some("2026-11-22T10:00:00.000Z".into()),
        lang: Some("en".into()),
        source: "twitter".into(),
        url: None,
        matching_rules: vec!["kafka".into()],
    };
    Record {
        partition: 0,
        offset: i64::from(i),
        timestamp: Some(1_700_000_000_000),
        timestamp_kind: TimestampKind::CreateTime,
        key: Some(post.id.as_bytes().to_vec()),
        value: Some(serde_json::to_vec(&post).unwrap()),
        headers: vec![],
        schemas: None,
    }
}

/// [`feed_app`] started with `source`, on the Feed tab; returns it with the request ids
/// of the bridge and of the tail that reads `tweets` back.
pub fn feed_started(source: SourceSpec) -> (App, u64, u64) {
    let mut app = feed_app(Some(source));
    let commands = app.start();
    let readback = commands
        .iter()
        .find_map(|c| match c {
            Command::StartTail { id, spec } if spec.topic == "tweets" => Some(*id),
            _ => None,
        })
        .expect("reads the topic back");
    let bridge = commands
        .iter()
        .find_map(|c| match c {
            Command::StartFeed { id, job } if job.topic == "tweets" => Some(*id),
            _ => None,
        })
        .expect("starts the bridge");
    // The Feed tab, as a person opens it.
    key(&mut app, crossterm::event::KeyCode::Char('4'));
    assert_eq!(app.tab, ktui::app::Tab::Feed);
    (app, bridge, readback)
}

// ---------------------------------------------------------------------------------------
// Named clusters

/// `prod`: SASL_SSL with SCRAM, drawn in red, read-only by the config.
pub fn prod() -> Profile {
    let mut prod = Profile::ad_hoc("prod", "p1:9093,p2:9093");
    prod.set("security.protocol", "SASL_SSL");
    prod.set("sasl.mechanism", "SCRAM-SHA-512");
    prod.set("sasl.username", "ops");
    prod.set("sasl.password", "env:PROD_PW");
    prod.color = Some("red".into());
    prod.read_only = Some("cluster prod is read-only (config)".into());
    prod
}

/// Two clusters to switch between, `localhost:9092` and [`prod`]; `current` is on.
pub fn with_clusters(app: &mut App, current: usize) {
    let local = Profile::ad_hoc("localhost:9092", "localhost:9092");
    app.cluster.profiles = Clusters::new(vec![local, prod()], current);
}

/// [`loaded`] with `sample` and `orders`, on [`prod`] (read-only).
pub fn read_only_app() -> App {
    let mut app = loaded(&["sample", "orders"]);
    with_clusters(&mut app, 1);
    app
}

/// Three brokers as `DescribeBrokers` answers them: 1 the controller (rack a), 2 (rack b),
/// and 3 gone (its last address kept), with configs and log dirs where they answered.
pub fn brokers_snapshot() -> ktui::kafka::brokers::BrokersSnapshot {
    use ktui::kafka::brokers::{BrokerDetail, BrokersSnapshot, LogDirInfo};
    use ktui::kafka::model::ConfigEntryInfo;
    let config = |name: &str, value: &str, source: &str, is_default: bool| ConfigEntryInfo {
        name: name.into(),
        value: Some(value.into()),
        source: source.into(),
        is_default,
        is_sensitive: false,
        is_read_only: false,
    };
    let up = |id: i32, rack: &str, controller: bool| BrokerDetail {
        id,
        address: Some(format!("kafka-{id}.example:9092")),
        rack: Some(rack.into()),
        controller,
        reachable: true,
        leader_of: 40 + usize::try_from(id).unwrap(),
        replicas: 120,
        under_replicated: 17,
        offline: 0,
        configs: Ok(vec![
            config("log.retention.hours", "168", "default", true),
            config("node.id", &id.to_string(), "static broker config", false),
            config("num.io.threads", "16", "dynamic broker config", false),
        ]),
        log_dirs: Ok(vec![LogDirInfo {
            path: "/var/lib/kafka/data".into(),
            bytes: 3 << 30,
            partitions: 120,
            total_bytes: Some(100 << 30),
            usable_bytes: Some(60 << 30),
            error: None,
        }]),
    };
    BrokersSnapshot {
        cluster_id: Some("MkU3OEVBNTcwNTJENDM2Qg".into()),
        controller: Some(1),
        brokers: vec![
            up(1, "a", true),
            up(2, "b", false),
            BrokerDetail {
                id: 3,
                address: Some("kafka-3.example:9092".into()),
                rack: None,
                controller: false,
                reachable: false,
                leader_of: 0,
                replicas: 120,
                under_replicated: 120,
                offline: 0,
                configs: Err("no answer in 5 s (broker 3 is down?)".into()),
                log_dirs: Err("no answer in 5 s (broker 3 is down?)".into()),
            },
        ],
        warnings: Vec::new(),
    }
}
