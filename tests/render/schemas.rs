//! Layer 2 for records framed with a registry schema: the Tail list previews the decoded
//! JSON (or says why it could not be decoded), the detail names the schema, pretty-prints
//! the decoding, keeps the bytes in the raw and hex views and shows the schema's text.

use std::sync::Arc;

use crossterm::event::KeyCode;
use ktui::app::App;
use ktui::event::Event;
use ktui::kafka::model::{Record, SchemaDecoding, TimestampKind};
use ktui::kafka::tail::TailEvent;
use ktui::kafka::{Command, KafkaEvent};
use ktui::schema::avro::AvroSchema;
use ktui::schema::{
    Decoded, Reference, SchemaInfo, SchemaKind, SubjectDetail, SubjectList, SubjectVersion, wire,
};

use crate::support::app::{app_sized, deliver, draw, key, screen, start_tail};

const T0: i64 = 1_700_000_000_000;

const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"]},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}"#;

fn info(id: u32, text: &str) -> Arc<SchemaInfo> {
    Arc::new(SchemaInfo {
        id,
        kind: SchemaKind::Avro,
        holders: vec![SubjectVersion {
            subject: "orders-value".into(),
            version: 3,
        }],
        text: text.into(),
        references: vec![],
        file: None,
    })
}

/// A record whose value is `json` framed with schema 17 (`orders-value` v3), decoded by
/// the real decoder.
fn order(offset: i64, json: &serde_json::Value) -> Record {
    let schema = AvroSchema::parse(ORDER, &[]).unwrap();
    let body = schema.from_json(json).unwrap();
    let framed = wire::frame(17, None, &body);
    let decoded = schema.to_json(&body);
    Record {
        partition: 0,
        offset,
        timestamp: Some(T0 + offset * 1500),
        timestamp_kind: TimestampKind::CreateTime,
        key: Some(format!("order-{offset}").into_bytes()),
        value: Some(framed),
        headers: vec![],
        schemas: Some(Box::new(SchemaDecoding {
            key: None,
            value: Some(Decoded {
                id: Some(17),
                schema: Some(info(17, ORDER)),
                subject: Some("orders-value".into()),
                version: Some(3),
                message: None,
                json: decoded,
            }),
        })),
    }
}

/// A value framed with an id the registry does not have.
fn unknown(offset: i64) -> Record {
    Record {
        value: Some(wire::frame(999, None, &[0x02, 0x04, b'h', b'i'])),
        schemas: Some(Box::new(SchemaDecoding {
            key: None,
            value: Some(Decoded {
                id: Some(999),
                schema: None,
                subject: None,
                version: None,
                message: None,
                json: Err("schema 999 not found in the registry".into()),
            }),
        })),
        ..order(
            offset,
            &serde_json::json!({"id": 1, "note": null, "amount": "0.00"}),
        )
    }
}

fn tailing(width: u16, height: u16, records: Vec<Record>) -> App {
    let mut app = app_sized(width, height);
    let id = start_tail(&mut app, "orders", &[0]);
    deliver(&mut app, id, TailEvent::Records(records));
    app
}

fn records() -> Vec<Record> {
    vec![
        order(
            0,
            &serde_json::json!({"id": 7, "note": "Grüße, 日本", "amount": "-1.05"}),
        ),
        unknown(1),
        order(
            2,
            &serde_json::json!({"id": 8, "note": null, "amount": "12.30"}),
        ),
    ]
}

#[test]
fn the_list_previews_decoded_values_and_says_why_not() {
    let app = tailing(110, 14, records());
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains(r#"{"id":7,"note":"Grüße, 日 本 ","amount":"-1.05"}"#),
        "{text}"
    );
    assert!(
        text.contains("⚠ schema 999 not found in the registry"),
        "{text}"
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn the_detail_names_the_schema_and_pretty_prints_the_decoding() {
    let mut app = tailing(100, 20, records());
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Enter);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(text.contains("orders-value v3 · id 17 · AVRO"), "{text}");
    assert!(text.contains("decoded, pretty"), "{text}");
    insta::assert_snapshot!("decoded_pretty", terminal.backend());
    // v: raw bytes, then hex, then the schema's text.
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('v'));
    let text = screen(&draw(&app));
    assert!(
        text.contains("00 00 00 00 11"),
        "hex shows the framing: {text}"
    );
    key(&mut app, KeyCode::Char('v'));
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(text.contains("its schema"), "{text}");
    assert!(text.contains(r#""name": "Order""#), "{text}");
    insta::assert_snapshot!("schema_text", terminal.backend());
}

#[test]
fn an_undecodable_value_shows_why_and_its_bytes() {
    let mut app = tailing(100, 14, vec![unknown(1)]);
    key(&mut app, KeyCode::Enter);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains("id 999 · ⚠ schema 999 not found in the registry"),
        "{text}"
    );
    assert!(text.contains("00 00 00 03 e7"), "the bytes in hex: {text}");
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn text_from_a_schema_or_a_registry_is_escaped() {
    let hostile = "\u{1b}]0;PWNED\u{7}\u{1b}[2J";
    let mut record = order(
        0,
        &serde_json::json!({"id": 1, "note": hostile, "amount": "1.00"}),
    );
    if let Some(decoding) = record.schemas.as_mut()
        && let Some(value) = decoding.value.as_mut()
    {
        value.subject = Some(format!("evil{hostile}-value"));
        value.schema = Some(info(
            17,
            &format!(
                "{{\"type\":\"string\",\"doc\":\"{}\"}}",
                "\\u001b]0;x\\u0007"
            ),
        ));
    }
    let mut failed = unknown(1);
    if let Some(decoding) = failed.schemas.as_mut()
        && let Some(value) = decoding.value.as_mut()
    {
        value.json = Err(format!("the schema registry answered 500: {hostile}"));
    }
    let mut app = tailing(120, 14, vec![record, failed]);
    let check = |text: &str| {
        for bad in ['\u{1b}', '\u{7}'] {
            assert!(!text.contains(bad), "{bad:?} reached the screen: {text}");
        }
    };
    check(&screen(&draw(&app)));
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Enter);
    check(&screen(&draw(&app)));
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('v'));
        check(&screen(&draw(&app)));
    }
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    check(&screen(&draw(&app)));
}

/// The Schemas tab with the subjects listed and `orders-value` v2 shown.
fn schemas_tab(width: u16, height: u16) -> App {
    let mut app =
        crate::support::app::loaded(&["orders", "payments", "payments-eu-west-1-dead-letters"]);
    app.handle(Event::Resize(width, height));
    let commands = key(&mut app, KeyCode::Char('7'));
    let Some(Command::ListSubjects { id }) = commands.first() else {
        panic!("{commands:?}");
    };
    let commands = app.handle(Event::Kafka(KafkaEvent::Subjects {
        id: *id,
        result: Ok(SubjectList {
            registry: "http://sr:8081".into(),
            subjects: vec![
                "orders-value".into(),
                "payments-eu-west-1-dead-letters-value".into(),
                "payments-key".into(),
                "retired-value".into(),
                "shop.Address".into(),
            ],
            compatibility: "BACKWARD".into(),
        }),
    }));
    let Some(Command::DescribeSubject { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    app.handle(Event::Kafka(KafkaEvent::Subject {
        id: *id,
        result: Ok(SubjectDetail {
            subject: "orders-value".into(),
            versions: vec![1, 2],
            version: 2,
            id: 17,
            kind: SchemaKind::Avro,
            text: ORDER.into(),
            references: vec![Reference {
                name: "shop.Address".into(),
                subject: "shop.Address".into(),
                version: 1,
            }],
            compatibility: "FULL".into(),
        }),
    }));
    app
}

#[test]
fn the_schemas_tab_lists_subjects_and_shows_a_version() {
    let app = schemas_tab(120, 24);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(text.contains("orders (value)"), "{text}");
    assert!(
        text.contains("version 2 of 1, 2 · id 17 · AVRO · compatibility FULL"),
        "{text}"
    );
    assert!(
        text.contains("imports shop.Address = shop.Address v1"),
        "{text}"
    );
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn the_schemas_tab_narrow_and_without_a_registry() {
    let app = schemas_tab(60, 20);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains("payments-eu-we… (value)"),
        "a long topic is cut with … and keeps its side:\n{text}"
    );
    insta::assert_snapshot!("schemas_narrow", terminal.backend());
    let mut app = crate::support::app::loaded(&["orders"]);
    let commands = key(&mut app, KeyCode::Char('7'));
    let Some(Command::ListSubjects { id }) = commands.first() else {
        panic!("{commands:?}");
    };
    app.handle(Event::Kafka(KafkaEvent::Subjects {
        id: *id,
        result: Err("no schema registry for this cluster: start ktui with --schema-registry URL, or set schema_registry in the cluster's config".into()),
    }));
    let terminal = draw(&app);
    assert!(screen(&terminal).contains("--schema-registry URL"));
    insta::assert_snapshot!("schemas_no_registry", terminal.backend());
}

/// Compose on `orders` with `value` typed and the Schema field set to `orders-value`,
/// answered with the Order schema (id 17, version 3).
fn composing_with_schema(value: &str) -> App {
    let mut app = crate::support::app::loaded(&["orders"]);
    app.handle(Event::Resize(110, 24));
    key(&mut app, KeyCode::Char('3'));
    crate::support::app::typed(&mut app, value);
    key(&mut app, KeyCode::Tab);
    crate::support::app::typed(&mut app, "orders");
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    crate::support::app::typed(&mut app, "orders-value");
    let commands = key(&mut app, KeyCode::Tab);
    let Some(Command::LoadSchema { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    let encoder = ktui::schema::Encoder::for_schema(
        17,
        SchemaKind::Avro,
        ORDER,
        Some(("orders-value".into(), 3)),
        None,
    )
    .unwrap();
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id: *id,
        result: Ok(Box::new(encoder)),
    }));
    key(&mut app, KeyCode::Tab);
    app
}

#[test]
fn compose_with_a_schema_says_what_does_not_match_and_what_will_be_sent() {
    let app = composing_with_schema(r#"{"id": 7, "note": null, "amount": "1.234"}"#);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains("✗ .amount: 1.234 has 3 digits after the point; the schema's scale is 2"),
        "{text}"
    );
    insta::assert_snapshot!("compose_schema_mismatch", terminal.backend());
    let app = composing_with_schema(r#"{"id": 7, "note": "hi", "amount": "1.23"}"#);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains("✓ matches orders-value v3 · id 17 · AVRO · sent framed, 12 B"),
        "{text}"
    );
    insta::assert_snapshot!("compose_schema_match", terminal.backend());
}

#[test]
fn compose_with_a_key_schema_says_whether_the_key_matches() {
    let mut app = composing_with_schema(r#"{"id": 7, "note": "hi", "amount": "1.23"}"#);
    // From the value back to the key: a string where the key schema has a long.
    for _ in 0..4 {
        key(&mut app, KeyCode::BackTab);
    }
    crate::support::app::typed(&mut app, r#"{"id": "x"}"#);
    key(&mut app, KeyCode::Tab);
    crate::support::app::typed(&mut app, "orders-key");
    let commands = key(&mut app, KeyCode::Tab);
    let Some(Command::LoadSchema { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    let encoder = ktui::schema::Encoder::for_schema(
        21,
        SchemaKind::Avro,
        r#"{"type":"record","name":"OrderKey","fields":[{"name":"id","type":"long"}]}"#,
        Some(("orders-key".into(), 1)),
        None,
    )
    .unwrap();
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id: *id,
        result: Ok(Box::new(encoder)),
    }));
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(text.contains("key ✗ "), "{text}");
    assert!(text.contains("orders-key v1 · id 21 · AVRO"), "{text}");
    insta::assert_snapshot!("compose_key_schema_mismatch", terminal.backend());
}

#[test]
fn compose_schema_field_offers_subjects_and_says_enter_leaves_an_empty_one() {
    let mut app = crate::support::app::loaded(&["orders"]);
    app.handle(Event::Resize(110, 24));
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Tab);
    crate::support::app::typed(&mut app, "orders");
    // Partition, Key, then Key schema: entering it asks for the subjects.
    for _ in 0..2 {
        key(&mut app, KeyCode::Tab);
    }
    let commands = key(&mut app, KeyCode::Tab);
    let Some(id) = commands.iter().find_map(|c| match c {
        Command::ListSubjects { id } => Some(*id),
        _ => None,
    }) else {
        panic!("subjects asked: {commands:?}");
    };
    app.handle(Event::Kafka(KafkaEvent::Subjects {
        id,
        result: Ok(ktui::schema::SubjectList {
            registry: "http://sr".into(),
            subjects: [
                "audit-value",
                "orders-key",
                "orders-value",
                "payments-value",
            ]
            .map(String::from)
            .to_vec(),
            compatibility: "BACKWARD".into(),
        }),
    }));
    // On to the value's Schema field. Empty: Enter moves on (no schema); the topic's own
    // subject is offered first.
    key(&mut app, KeyCode::Tab);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains(" Enter: no schema · type to pick: orders-value  orders-key"),
        "{text}"
    );
    insta::assert_snapshot!("compose_schema_subjects_empty_field", terminal.backend());
    // Typed: Enter takes the first.
    crate::support::app::typed(&mut app, "pay");
    let text = screen(&draw(&app));
    assert!(text.contains(" Enter completes: payments-value "), "{text}");
}
