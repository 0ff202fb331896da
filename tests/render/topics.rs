//! Layer 2 for the Topics tab: loading, loaded with details and configs, empty,
//! unreachable, filtered, sorted, its dialogs, a narrow terminal and hostile names, drawn
//! and checked with insta; plus cell-style asserts where colour carries meaning.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::model::{AdminError, ClusterSnapshot, ConfigEntryInfo, Connection, TopicInfo};
use ratatui::style::Color;

use crate::support::app::{app_sized, cluster, connected, draw, key, partition, screen, typed};

fn configs() -> Vec<ConfigEntryInfo> {
    vec![
        ConfigEntryInfo {
            name: "cleanup.policy".into(),
            value: Some("compact".into()),
            source: "topic".into(),
            is_default: false,
            is_sensitive: false,
            is_read_only: false,
        },
        ConfigEntryInfo {
            name: "retention.ms".into(),
            value: Some("604800000".into()),
            source: "default".into(),
            is_default: true,
            is_sensitive: false,
            is_read_only: false,
        },
    ]
}

#[test]
fn topics_loading() {
    let app = app_sized(100, 20);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_loaded_with_details_and_configs() {
    let mut app = app_sized(120, 24);
    connected(&mut app, cluster());
    let commands = app.handle(Event::Tick);
    let Some((id, topic)) = commands.into_iter().find_map(|c| match c {
        ktui::kafka::Command::DescribeConfigs { id, topic } => Some((id, topic)),
        _ => None,
    }) else {
        panic!("configs not requested");
    };
    app.handle(Event::Kafka(KafkaEvent::Configs {
        id,
        topic,
        result: Ok(configs()),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_empty_cluster() {
    let mut app = app_sized(100, 16);
    connected(
        &mut app,
        ClusterSnapshot {
            topics: vec![],
            ..cluster()
        },
    );
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_unreachable_full_view() {
    let mut app = app_sized(100, 20);
    app.handle(Event::Kafka(KafkaEvent::Connection(Connection::Unreachable {
        address: "localhost:9092".into(),
        reason: "Local: Broker transport failure (BROKER_TRANSPORT_FAILURE): localhost:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)".into(),
    })));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Err("Local: Broker transport failure".into()),
    }));
    let terminal = draw(&app);
    assert_snapshot!(terminal.backend());
    // The status bar carries the error in red.
    let status_y = app.size.1 - 2;
    assert_eq!(terminal.backend().buffer()[(0, status_y)].fg, Color::Red);
}

#[test]
fn topics_filter_active() {
    let mut app = app_sized(100, 16);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "or");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_filter_without_match() {
    let mut app = app_sized(100, 16);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "nothing-like-this");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_internal_shown_sorted_by_messages_descending() {
    let mut app = app_sized(100, 16);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('i'));
    for _ in 0..4 {
        key(&mut app, KeyCode::Char('s'));
    }
    key(&mut app, KeyCode::Char('S'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn create_dialog_with_refusal() {
    let mut app = app_sized(100, 24);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "orders");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "3");
    let commands = app.handle(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let Some(ktui::kafka::Command::CreateTopic { id, .. }) = commands.into_iter().next() else {
        panic!("not sent");
    };
    app.handle(Event::Kafka(KafkaEvent::TopicCreated {
        id,
        name: "orders".into(),
        result: Err(AdminError {
            code: "TOPIC_ALREADY_EXISTS".into(),
            message: "Broker: Topic already exists".into(),
            explanation: "A topic with this name already exists.".into(),
        }),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn create_dialog_invalid_input() {
    let mut app = app_sized(100, 24);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "bad name!");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn delete_dialog() {
    let mut app = app_sized(100, 24);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('d'));
    typed(&mut app, "ord");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn narrow_terminal_60x20() {
    let mut app = app_sized(60, 20);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('j'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn long_and_hostile_topic_names_are_escaped() {
    let mut app = app_sized(100, 16);
    let mut snapshot = cluster();
    snapshot.topics = vec![
        TopicInfo {
            name:
                "a-very-long-topic-name-that-goes-on-and-on-and-on-past-any-reasonable-column-width"
                    .into(),
            partitions: vec![partition(0, &[1], &[1], 0, 1)],
            error: None,
        },
        TopicInfo {
            // A hostile broker could send anything: it must not reach the terminal raw.
            name: "evil\x1b]0;pwned\x07\x1b[2J\u{202e}txt".into(),
            partitions: vec![partition(0, &[1], &[1], 0, 1)],
            error: None,
        },
    ];
    connected(&mut app, snapshot);
    key(&mut app, KeyCode::Char('j'));
    let terminal = draw(&app);
    let screen = screen(&terminal);
    assert!(!screen.contains('\x1b') && !screen.contains('\x07') && !screen.contains('\u{202e}'));
    assert!(screen.contains("\\x1b]0;pwned\\x07"));
    assert_snapshot!(terminal.backend());
}

#[test]
fn under_replicated_partitions_are_red() {
    let mut app = app_sized(120, 24);
    connected(&mut app, cluster());
    // orders (1 URP) is the first visible row; its URP cell is red.
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    let row = (0..app.size.1)
        .find(|&y| {
            (0..app.size.0)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("│orders")
        })
        .expect("orders row");
    let red = (0..app.size.0 / 2)
        .any(|x| buffer[(x, row)].symbol() == "1" && buffer[(x, row)].fg == Color::Red);
    assert!(red, "the under-replicated count is red");
}

#[test]
fn details_focus_scrolls_partitions() {
    let mut app = app_sized(120, 16);
    let mut snapshot = cluster();
    snapshot.topics[1].partitions = (0..40)
        .map(|i| partition(i, &[1, 2, 3], &[1, 2, 3], 0, i64::from(i) * 1000))
        .collect();
    connected(&mut app, snapshot);
    key(&mut app, KeyCode::Char('l'));
    for _ in 0..10 {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_snapshot!(draw(&app).backend());
}

/// The cluster's metadata without any watermarks: names and partitions come first.
fn uncounted() -> ClusterSnapshot {
    let mut snapshot = cluster();
    for p in snapshot
        .topics
        .iter_mut()
        .flat_map(|t| t.partitions.iter_mut())
    {
        (p.low, p.high) = (None, None);
    }
    snapshot
}

/// The watermarks `snapshot` holds for `topics`, as one round trip of `pass` brings them.
fn ends_of(snapshot: &ClusterSnapshot, topics: &[&str]) -> Vec<ktui::kafka::model::PartitionEnds> {
    snapshot
        .topics
        .iter()
        .filter(|t| topics.contains(&t.name.as_str()))
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| ktui::kafka::model::PartitionEnds {
                    topic: t.name.clone(),
                    partition: p.id,
                    low: p.low.unwrap(),
                    high: p.high.unwrap(),
                })
        })
        .collect()
}

#[test]
fn topics_names_first_then_counts_fill_in() {
    let mut app = app_sized(120, 16);
    connected(&mut app, uncounted());
    let full = cluster();
    app.handle(Event::Kafka(KafkaEvent::Watermarks {
        pass: 1,
        ends: ends_of(&full, &["orders"]),
    }));
    let shown = screen(&draw(&app));
    assert!(shown.contains("counting messages: "), "{shown}");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_counts_stale_after_a_failed_refresh() {
    let mut app = app_sized(120, 16);
    connected(&mut app, uncounted());
    let full = cluster();
    let names: Vec<&str> = full.topics.iter().map(|t| t.name.as_str()).collect();
    app.handle(Event::Kafka(KafkaEvent::Watermarks {
        pass: 1,
        ends: ends_of(&full, &names),
    }));
    app.handle(Event::Kafka(KafkaEvent::WatermarksDone {
        pass: 1,
        asked: 0,
        answered: 0,
    }));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Err("Local: Broker transport failure".into()),
    }));
    let shown = screen(&draw(&app));
    assert!(shown.contains("~3,749,895"), "{shown}");
    assert!(
        shown.contains("~6") && shown.contains("~0"),
        "a count that could not be refreshed keeps its value: {shown}"
    );
    assert_snapshot!(draw(&app).backend());
}
