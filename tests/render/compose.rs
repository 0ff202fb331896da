//! Layer 2 for the Compose tab: each state drawn into a TestBackend, checked with insta.

use std::time::Duration;

use crossterm::event::KeyCode;
use ktui::app::App;
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::model::{Record, TimestampKind};
use ktui::kafka::produce::{DeliveryReport, OutgoingMessage, ProduceFailure};
use ktui::kafka::tail::TailEvent;

use crate::support::app::{
    app_sized, ctrl, draw, empty_topics, key, metadata, produced, screen, typed,
};

/// An app with the topics `orders`, `orders-dlq` and `sample`, one partition each.
fn app(width: u16, height: u16) -> App {
    let mut app = app_sized(width, height);
    metadata(
        &mut app,
        empty_topics(&[("orders", 1), ("orders-dlq", 1), ("sample", 1)]),
    );
    app
}

fn compose(width: u16, height: u16, value: &str) -> App {
    let mut app = app(width, height);
    key(&mut app, KeyCode::Char('3'));
    typed(&mut app, value);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders");
    key(&mut app, KeyCode::BackTab);
    app
}

#[test]
fn compose_empty() {
    let mut app = app(100, 30);
    key(&mut app, KeyCode::Char('3'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_valid_json() {
    let app = compose(
        100,
        30,
        "{\n  \"user\": {\"id\": 42},\n  \"level\": \"error\"\n}",
    );
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_invalid_json_with_position() {
    let app = compose(100, 30, "{\"user\": {\"id\": 42,}}");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_refused_before_sending() {
    let mut app = compose(100, 30, "hello");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "9");
    ctrl(&mut app, 's');
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_tombstone_armed() {
    let mut app = compose(100, 30, "hello");
    ctrl(&mut app, 't');
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_tombstone_spent_after_one_send() {
    let mut app = compose(100, 30, "hello");
    ctrl(&mut app, 't');
    ctrl(&mut app, 's');
    for report in &mut app.compose.reports {
        report.sent_ms = 1_700_000_000_000;
    }
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_topic_completion() {
    let mut app = app(100, 30);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "ord");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_reports_ok_failed_pending_and_tombstone() {
    let mut app = compose(100, 30, "hello");
    let ok = produced(&ctrl(&mut app, 's')).0;
    let failed = produced(&ctrl(&mut app, 's')).0;
    ctrl(&mut app, 't');
    let _pending = produced(&ctrl(&mut app, 's')).0;
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id: ok,
        result: Ok(DeliveryReport {
            partition: 0,
            offset: 12,
            latency: Duration::from_millis(4),
        }),
    }));
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id: failed,
        result: Err(ProduceFailure {
            code: "MESSAGE_TIMED_OUT".into(),
            message: "Local: Message timed out".into(),
            retriable: true,
        }),
    }));
    // Report times are wall-clock; pin them for the snapshot.
    for report in &mut app.compose.reports {
        report.sent_ms = 1_700_000_000_000;
    }
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_wide_with_watch_tail() {
    let mut app = compose(150, 30, "ping");
    let watch = app
        .compose
        .watch
        .request
        .expect("watch tail started when the topic field was left");
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id: watch,
        event: TailEvent::Records(vec![Record {
            partition: 0,
            offset: 12,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: Some(b"user-1".to_vec()),
            value: Some(b"ping".to_vec()),
            headers: vec![],
            schemas: None,
        }]),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_history_popup() {
    let mut app = app(100, 30);
    key(&mut app, KeyCode::Char('3'));
    app.compose.history = vec![
        OutgoingMessage {
            topic: "orders".into(),
            key: Some(b"user-1".to_vec()),
            value: Some(b"{\"a\":1}".to_vec()),
            ..OutgoingMessage::default()
        }
        .into(),
        OutgoingMessage {
            topic: "sample".into(),
            value: None,
            ..OutgoingMessage::default()
        }
        .into(),
        // Sent framed with a schema: shown as the JSON typed, the schema named.
        ktui::tabs::compose::history::Entry {
            message: OutgoingMessage {
                topic: "orders".into(),
                key: Some(vec![0, 0, 0, 0, 21, 6, b'o', b'-', b'7']),
                value: Some(vec![0, 0, 0, 0, 17, 14, 0]),
                ..OutgoingMessage::default()
            },
            typed: ktui::tabs::compose::history::Typed {
                key: Some(typed_part("orders-key", 1, r#""o-7""#)),
                value: Some(typed_part("orders-value", 3, r#"{"id":7,"lines":[]}"#)),
            },
        },
    ];
    ctrl(&mut app, 'r');
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_narrow_60x20() {
    let app = compose(60, 20, "{\"a\": 1}");
    assert_snapshot!(draw(&app).backend());
}

/// Issue 13: at 40x12 the fields' borders took every row and nothing typed showed. Labels
/// and borders give way first; what was typed in each field stays visible.
#[test]
fn compose_tiny_40x12_shows_what_was_typed() {
    let mut app = compose(40, 12, "{\"id\": 42}");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "k-7");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "s-key");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "s-value");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "trace=abc");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(ktui::tabs::compose::Field::Value));
    let terminal = draw(&app);
    let screen = format!("{:?}", terminal.backend());
    for typed in [
        "orders",
        "k-7",
        "s-key",
        "s-value",
        "trace=abc",
        "{\"id\": 42}",
    ] {
        assert!(screen.contains(typed), "{typed} is not shown:\n{screen}");
    }
    assert_snapshot!(terminal.backend());
}

#[test]
fn a_long_topic_name_leaves_room_for_the_outcome_and_timing() {
    let mut app = compose(100, 30, "hello");
    let (id, mut message) = (1_000, ktui::kafka::produce::OutgoingMessage::default());
    message.topic = "payments-eu-west-1-dead-letters-and-retries".into();
    app.compose.sent(
        id,
        message.into(),
        std::time::Instant::now(),
        1_700_000_000_000,
    );
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Ok(DeliveryReport {
            partition: 3,
            offset: 123_456,
            latency: Duration::from_millis(4),
        }),
    }));
    app.compose.reports[0].seen_after = Some(Duration::from_millis(87));
    let terminal = draw(&app);
    let screen = screen(&terminal);
    assert!(
        screen.contains("offset 123456 · 4 ms · in the tail after 87 ms"),
        "{screen}"
    );
    assert!(
        screen.contains("payments-eu…"),
        "the name gives way in the middle"
    );
}

#[test]
fn compose_draft_restored_notice() {
    let mut app = app(100, 30);
    let saved = ktui::tabs::compose::draft::Draft::new(
        ktui::tabs::compose::draft::DraftForm {
            topic: "orders".into(),
            partition: "0".into(),
            key: "user-1".into(),
            headers: "trace=abc".into(),
            value: "{\"unsent\": true}".into(),
            schema: String::new(),
            key_schema: String::new(),
        },
        1_700_000_000_000,
    );
    app.handle(Event::DraftRead(saved.to_json()));
    key(&mut app, KeyCode::Char('3'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_draft_restored_notice_before_a_key() {
    // Right after start, on whatever tab: the sticky notice says where the draft went.
    let mut app = app(100, 30);
    let saved = ktui::tabs::compose::draft::Draft::new(
        ktui::tabs::compose::draft::DraftForm {
            value: "half a message".into(),
            ..Default::default()
        },
        1_700_000_000_000,
    );
    app.handle(Event::DraftRead(saved.to_json()));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn compose_discard_asks_once() {
    let mut app = compose(100, 30, "hello");
    ctrl(&mut app, 'l');
    assert_snapshot!(draw(&app).backend());
}

fn typed_part(subject: &str, version: i32, json: &str) -> ktui::tabs::compose::history::TypedPart {
    ktui::tabs::compose::history::TypedPart {
        tag: ktui::kafka::envelope::SchemaTag {
            id: Some(17),
            kind: Some(ktui::schema::SchemaKind::Avro),
            subject: Some(subject.into()),
            version: Some(version),
            file: None,
            message: None,
            error: None,
        },
        json: json.into(),
    }
}
