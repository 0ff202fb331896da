//! Layer 2: every view in each state drawn into ratatui's TestBackend, checked with insta;
//! plus cell-style asserts where colour carries meaning.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ktui::app::{App, ClusterLabel, Level};
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::model::{
    AdminError, BrokerInfo, ClusterSnapshot, ConfigEntryInfo, Connection, PartitionInfo, TopicInfo,
};
use ktui::keymap::Keymap;
use ktui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn app(width: u16, height: u16) -> App {
    let mut app = App::new(
        ClusterLabel {
            address: "localhost:9092".into(),
            demo_address: None,
        },
        Keymap::default(),
    );
    app.size = (width, height);
    app.tz = jiff::tz::TimeZone::UTC;
    app
}

fn partition(id: i32, replicas: &[i32], isr: &[i32], low: i64, high: i64) -> PartitionInfo {
    PartitionInfo {
        id,
        leader: replicas[0],
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        low: Some(low),
        high: Some(high),
        error: None,
    }
}

fn cluster() -> ClusterSnapshot {
    ClusterSnapshot {
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

fn connected(app: &mut App, snapshot: ClusterSnapshot) {
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Connected {
            address: "localhost:9092".into(),
            brokers: snapshot.brokers.len(),
            cluster_id: snapshot.cluster_id.clone(),
            unreachable: Vec::new(),
        },
    )));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot),
    }));
}

fn key(app: &mut App, code: KeyCode) {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal
}

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
    let app = app(100, 20);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_loaded_with_details_and_configs() {
    let mut app = app(120, 24);
    connected(&mut app, cluster());
    let commands = app.handle(Event::Tick);
    let Some(ktui::kafka::Command::DescribeConfigs { id, topic }) = commands.into_iter().next()
    else {
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
    let mut app = app(100, 16);
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
    let mut app = app(100, 20);
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
    let mut app = app(100, 16);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "or");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_filter_without_match() {
    let mut app = app(100, 16);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "nothing-like-this");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn topics_internal_shown_sorted_by_messages_descending() {
    let mut app = app(100, 16);
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
    let mut app = app(100, 24);
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
    let mut app = app(100, 24);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "bad name!");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn delete_dialog() {
    let mut app = app(100, 24);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('d'));
    typed(&mut app, "ord");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn help_overlay() {
    let mut app = app(100, 40);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('?'));
    assert_snapshot!(draw(&app).backend());
}

/// Issue 13: at 160x45 the help was cut after the Tail section and could not scroll.
/// Now it scrolls with the help context's keys, says where it is, and the hint bar says
/// which keys do it.
#[test]
fn help_scrolls_to_every_section_and_says_where_it_is() {
    let mut app = app(160, 45);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('?'));
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("lines 1–"),
        "a position indicator:\n{screen}"
    );
    assert!(
        !screen.contains("rules: list, add, delete"),
        "the Feed section starts off screen at this size:\n{screen}"
    );
    assert!(screen.contains("↓/j scroll"), "the hint bar:\n{screen}");
    // Page by page, every section shows.
    let mut seen = vec![screen.clone()];
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
        seen.push(format!("{:?}", draw(&app).backend()));
    }
    let seen = seen.concat();
    for section in ["Tail", "Record detail (Tail)", "Compose (Ctrl keys", "Feed"] {
        assert!(
            seen.contains(&format!("│{section}")),
            "{section} never showed"
        );
    }
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::End);
    let end = format!("{:?}", draw(&app).backend());
    assert!(end.contains("rules: list, add, delete"), "{end}");
    assert!(end.contains("↑ more · lines "), "{end}");
    assert!(app.help_scroll > 0);
    key(&mut app, KeyCode::Char('j'));
    let at_end = app.help_scroll;
    assert_eq!(at_end, ui::help::max_scroll(&app), "j stops at the end");
    key(&mut app, KeyCode::PageUp);
    assert!(app.help_scroll < at_end);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.help_scroll, 0);
    key(&mut app, KeyCode::PageDown);
    assert!(app.help_scroll > 0);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Esc);
    assert!(!app.help_open);
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.help_scroll, 0, "the help opens at the top");
}

#[test]
fn narrow_terminal_60x20() {
    let mut app = app(60, 20);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('j'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn long_and_hostile_topic_names_are_escaped() {
    let mut app = app(100, 16);
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
    let screen: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(!screen.contains('\x1b') && !screen.contains('\x07') && !screen.contains('\u{202e}'));
    assert!(screen.contains("\\x1b]0;pwned\\x07"));
    assert_snapshot!(terminal.backend());
}

#[test]
fn under_replicated_partitions_are_red() {
    let mut app = app(120, 24);
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
    let mut app = app(120, 16);
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

#[test]
fn other_tabs_and_toasts() {
    let mut app = app(100, 14);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Enter);
    app.toast(Level::Error, "Lost the connection to the cluster");
    assert_snapshot!("tail_tab_with_toast", draw(&app).backend());
    key(&mut app, KeyCode::Char('3'));
    app.toasts.clear();
    assert_snapshot!("compose_tab", draw(&app).backend());
    // Leave the composer's editor, or '4' is typed into it.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.tab, ktui::app::Tab::Feed);
    assert_snapshot!("feed_tab", draw(&app).backend());
}

#[test]
fn demo_status_bar_names_the_address() {
    let mut app = App::new(
        ClusterLabel {
            address: "127.0.0.1:40001,127.0.0.1:40002".into(),
            demo_address: Some("127.0.0.1:9092".into()),
        },
        Keymap::default(),
    );
    app.size = (100, 10);
    connected(&mut app, cluster());
    let line: String = ui::status_line(&app)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(line.contains("DEMO cluster at 127.0.0.1:9092"), "{line}");
    assert!(line.contains("connected"), "{line}");
}

#[test]
fn a_broker_that_went_away_is_named_in_red_in_the_status_bar() {
    let mut app = app(120, 12);
    let mut snapshot = cluster();
    snapshot.brokers.retain(|b| b.id != 2);
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Connected {
            address: "kafka-1:9092".into(),
            brokers: snapshot.brokers.len(),
            cluster_id: snapshot.cluster_id.clone(),
            unreachable: vec!["2 at kafka-2:9092".into()],
        },
    )));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot),
    }));
    let terminal = draw(&app);
    assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    let status_row = (0..buffer.area.height)
        .find(|&y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            line.contains("● connected")
        })
        .expect("a status row");
    let line: String = (0..buffer.area.width)
        .map(|x| buffer[(x, status_row)].symbol())
        .collect();
    let at = line
        .find("✖ broker 2 at kafka-2:9092 unreachable")
        .expect("the broker is named");
    // Columns, not bytes: count the characters before it.
    let column = line[..at].chars().count() as u16;
    let error = ui::theme::error()
        .fg
        .expect("the default theme colours errors");
    assert_ne!(error, Color::Reset);
    assert_eq!(
        buffer[(column, status_row)].fg,
        error,
        "drawn in the error colour"
    );
}
