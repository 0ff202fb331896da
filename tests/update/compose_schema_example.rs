//! Layer 1: a value schema chosen in Compose while the value is empty fills the value with
//! an example the schema accepts (every field present, to edit); a value already typed,
//! or an armed tombstone, is left alone.

use crossterm::event::KeyCode;
use ktui::event::Event;
use ktui::kafka::KafkaEvent;

use crate::compose_schema::{load_asked, order_encoder, with_schema};
use crate::support::app::{ctrl, key, produced, typed};

#[test]
fn an_empty_value_is_filled_with_an_example_the_schema_takes_and_sends() {
    let (mut app, commands) = with_schema("orders-value", "");
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    let value: serde_json::Value = serde_json::from_str(&app.compose.value_text())
        .unwrap_or_else(|e| panic!("{e}: {}", app.compose.value_text()));
    assert_eq!(value, serde_json::json!({"id": 0, "lines": []}));
    // Pretty, one member a line, to edit.
    assert!(
        app.compose.value_text().contains("\n  \"id\": 0,"),
        "{}",
        app.compose.value_text()
    );
    assert!(
        matches!(app.compose.value_schema.check, Some(Ok(_))),
        "{:?}",
        app.compose.value_schema.check
    );
    // It is a draft like any typed value, and it sends framed.
    assert!(app.compose.draft.dirty);
    let (_, message) = produced(&ctrl(&mut app, 's'));
    let framed = message.value.expect("a value");
    assert_eq!(framed[..5], [0, 0, 0, 0, 17]);
}

#[test]
fn a_typed_value_or_an_armed_tombstone_is_left_alone() {
    let typed = r#"{"id": 7, "lines": [{"qty": 2}]}"#;
    let (mut app, commands) = with_schema("orders-value", typed);
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    assert_eq!(app.compose.value_text(), typed);

    let (mut app, commands) = with_schema("orders-value", "");
    let (id, _) = load_asked(&commands);
    ctrl(&mut app, 't');
    assert!(app.compose.tombstone);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    assert_eq!(app.compose.value_text(), "");
    assert!(app.compose.tombstone, "still armed");
    // A schema that failed to load fills nothing.
    let (mut app, commands) = with_schema("orders-value", "");
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Err("schema 17 not found in the registry".into()),
    }));
    assert_eq!(app.compose.value_text(), "");
}

#[test]
fn another_schema_replaces_the_example_until_it_is_edited() {
    let (mut app, commands) = with_schema("orders-value", "");
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    let first = app.compose.value_text();
    // Back to the Schema field (from the headers), another subject.
    let other = ktui::schema::Encoder::for_schema(
        18,
        ktui::schema::SchemaKind::Avro,
        r#"{"type":"record","name":"Ping","fields":[{"name":"note","type":"string"}]}"#,
        Some(("pings-value".into(), 1)),
        None,
    )
    .unwrap();
    let choose = |app: &mut ktui::app::App, subject: &str, encoder: ktui::schema::Encoder| {
        key(app, KeyCode::BackTab);
        for _ in 0..40 {
            key(app, KeyCode::Backspace);
        }
        typed(app, subject);
        let (id, _) = load_asked(&key(app, KeyCode::Tab));
        app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
            id,
            result: Ok(Box::new(encoder)),
        }));
    };
    choose(&mut app, "pings-value", other.clone());
    assert_ne!(app.compose.value_text(), first);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&app.compose.value_text()).unwrap(),
        serde_json::json!({"note": ""})
    );
    // Edited, it is the user's: the next schema leaves it.
    app.compose.set_value("{\"note\": \"mine\"}");
    choose(&mut app, "orders-value", order_encoder());
    assert_eq!(app.compose.value_text(), "{\"note\": \"mine\"}");
}
