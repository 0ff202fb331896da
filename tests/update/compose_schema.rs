//! Layer 1 for Compose's schema fields: the value's (Schema) and the key's (Key schema)
//! loaded off the UI task, what is typed checked against them, what is sent framed, the
//! subjects completed, and a framed send loaded back from the history as typed.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::produce::DeliveryReport;
use ktui::kafka::{Command, KafkaEvent};
use ktui::tabs::compose::{Field, Part};

use crate::support::app::{app_sized, ctrl, empty_topics, key, metadata, produced, typed};

/// Compose with the value typed and the topic set (focus back on the value).
pub(crate) fn composing(value: &str, topic: &str) -> App {
    let mut app = app_sized(120, 40);
    metadata(&mut app, empty_topics(&[("orders", 3)]));
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Compose);
    typed(&mut app, value);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, topic);
    key(&mut app, KeyCode::BackTab);
    app
}

pub(crate) const ORDER: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"qty","type":"int"}]}}}]}"#;

/// Compose on `orders` with `schema` typed into the Schema field and the field left:
/// the schema asked for, answered with `ORDER` as id 17.
pub(crate) fn with_schema(schema: &str, value: &str) -> (App, Vec<Command>) {
    let mut app = composing(value, "orders");
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Schema));
    typed(&mut app, schema);
    let commands = key(&mut app, KeyCode::Tab);
    (app, commands)
}

pub(crate) fn load_asked(commands: &[Command]) -> (u64, ktui::schema::SchemaChoice) {
    commands
        .iter()
        .find_map(|c| match c {
            Command::LoadSchema { id, choice } => Some((*id, choice.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no LoadSchema in {commands:?}"))
}

pub(crate) fn order_encoder() -> ktui::schema::Encoder {
    ktui::schema::Encoder::for_schema(
        17,
        ktui::schema::SchemaKind::Avro,
        ORDER,
        Some(("orders-value".into(), 3)),
        None,
    )
    .unwrap()
}

#[test]
fn a_schema_checks_the_value_as_it_is_typed_and_frames_what_is_sent() {
    let (mut app, commands) =
        with_schema("orders-value@3", r#"{"id": 7, "lines": [{"qty": "x"}]}"#);
    let (id, choice) = load_asked(&commands);
    assert_eq!(choice.subject.as_deref(), Some("orders-value"));
    assert_eq!(choice.version, Some(3));
    // Sending before it is loaded is refused in words.
    refused(&mut app, "still loading");
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    // The value does not match: the path of the offending field, and nothing is sent.
    let check = app.compose.value_schema.check.clone().unwrap();
    assert_eq!(
        check.unwrap_err(),
        r#".lines[0].qty: expected an int, got "x""#
    );
    refused(&mut app, "does not match orders-value v3");
    // Fixed as typed: the check follows each edit; the message goes out framed.
    app.compose.set_value(r#"{"id": 7, "lines": [{"qty": 2}]}"#);
    assert!(app.compose.value_schema.check.clone().unwrap().is_ok());
    let (_, message) = produced(&ctrl(&mut app, 's'));
    let value = message.value.unwrap();
    assert_eq!(&value[..5], &[0, 0, 0, 0, 17], "magic byte and id 17");
    assert_eq!(&value[5..], &[14, 2, 4, 0], "id 7, one line of qty 2");
}

#[test]
fn a_schema_that_cannot_be_had_is_said_and_nothing_is_sent() {
    let (mut app, commands) = with_schema("nope-value", r#"{"id": 1}"#);
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Err("subject \"nope-value\" not found in the registry".into()),
    }));
    refused(&mut app, "not found in the registry");
    // Emptying the field: sent as typed again.
    for _ in 0..6 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Schema));
    for _ in 0.."nope-value".len() {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Tab);
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(message.value.as_deref(), Some(&br#"{"id": 1}"#[..]));
}

#[test]
fn a_cluster_switch_forgets_the_loaded_schema() {
    let (mut app, commands) = with_schema("orders-value", r#"{"id": 7, "lines": []}"#);
    let (id, _) = load_asked(&commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(order_encoder())),
    }));
    assert!(app.compose.value_schema.encoder.loaded().is_some());
    // Another cluster's registry gives id 17 another meaning: asked again at the next send.
    crate::support::app::with_clusters(&mut app, 1);
    app.switch_cluster(0);
    assert!(app.compose.value_schema.encoder.loaded().is_none());
    let commands = ctrl(&mut app, 's');
    assert!(
        commands
            .iter()
            .all(|c| !matches!(c, Command::Produce { .. }))
    );
    let (_, choice) = load_asked(&commands);
    assert_eq!(choice.subject.as_deref(), Some("orders-value"));
}

/// Compose on `orders`, the focus tabbed into the Key schema field, whose entering asked
/// for the subjects: answered with `subjects`.
fn in_key_schema_with_subjects(subjects: &[&str]) -> App {
    let mut app = composing(r#"{"id": 1, "lines": []}"#, "orders");
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    let commands = key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(Field::KeySchema));
    let id = commands
        .iter()
        .find_map(|c| match c {
            Command::ListSubjects { id } => Some(*id),
            _ => None,
        })
        .expect("subjects asked");
    app.handle(Event::Kafka(KafkaEvent::Subjects {
        id,
        result: Ok(ktui::schema::SubjectList {
            registry: "http://sr".into(),
            subjects: subjects.iter().map(|s| (*s).to_string()).collect(),
            compatibility: "BACKWARD".into(),
        }),
    }));
    app
}

#[test]
fn the_schema_field_completes_subjects_the_topic_first() {
    // Entering a schema field asks for the subjects, once.
    let mut app = in_key_schema_with_subjects(&[
        "audit-value",
        "orders-key",
        "orders-value",
        "orders-v2-value",
    ]);
    // The key's own subject first in the Key schema field, the value's in the Schema field.
    assert_eq!(
        app.compose.schema_completions(Part::Key),
        [
            "orders-key",
            "orders-value",
            "audit-value",
            "orders-v2-value"
        ]
    );
    let next = key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(Field::Schema));
    assert!(
        next.iter()
            .all(|c| !matches!(c, Command::ListSubjects { .. })),
        "asked once for both fields"
    );
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        [
            "orders-value",
            "orders-key",
            "audit-value",
            "orders-v2-value"
        ]
    );
    typed(&mut app, "v2");
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        ["orders-v2-value"]
    );
    // Enter takes the first completion; Enter again loads it and moves on.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.value_schema.input.value(), "orders-v2-value");
    let (_, choice) = load_asked(&key(&mut app, KeyCode::Enter));
    assert_eq!(choice.subject.as_deref(), Some("orders-v2-value"));
    assert_eq!(app.compose.focus, Some(Field::Headers));
    // Not asked again.
    let back = key(&mut app, KeyCode::BackTab);
    assert!(
        back.iter()
            .all(|c| !matches!(c, Command::ListSubjects { .. }))
    );
}

/// Ctrl-S sends nothing, and says why in words containing `words`; returns them.
fn refused(app: &mut App, words: &str) -> String {
    let commands = ctrl(app, 's');
    assert!(
        commands
            .iter()
            .all(|c| !matches!(c, Command::Produce { .. })),
        "nothing is sent: {commands:?}"
    );
    let problem = app.compose.problem.clone().expect("a refusal in words");
    assert!(problem.contains(words), "{problem}");
    problem
}

/// A schema loaded into the field it was asked for.
fn answer(app: &mut App, commands: &[Command], encoder: ktui::schema::Encoder) {
    let (id, _) = load_asked(commands);
    app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
        id,
        result: Ok(Box::new(encoder)),
    }));
}

fn string_key_encoder() -> ktui::schema::Encoder {
    ktui::schema::Encoder::for_schema(
        21,
        ktui::schema::SchemaKind::Avro,
        r#""string""#,
        Some(("orders-key".into(), 1)),
        None,
    )
    .unwrap()
}

#[test]
fn a_key_schema_frames_the_key_and_text_that_is_not_json_is_a_string() {
    let mut app = composing(r#"{"id": 7, "lines": []}"#, "orders");
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Key));
    typed(&mut app, "o-7");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(Field::KeySchema));
    typed(&mut app, "orders-key");
    let commands = key(&mut app, KeyCode::Tab);
    let (_, choice) = load_asked(&commands);
    assert_eq!(choice.subject.as_deref(), Some("orders-key"));
    answer(&mut app, &commands, string_key_encoder());
    assert_eq!(app.compose.key_schema.check, Some(Ok(9)));
    // The value has no schema: sent as typed; the key goes out framed.
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(
        message.key.as_deref(),
        Some(&[0, 0, 0, 0, 21, 6, b'o', b'-', b'7'][..]),
        "magic byte, id 21, the Avro string \"o-7\""
    );
    assert_eq!(
        message.value.as_deref(),
        Some(&br#"{"id": 7, "lines": []}"#[..])
    );
}

fn record_key_encoder() -> ktui::schema::Encoder {
    ktui::schema::Encoder::for_schema(
        22,
        ktui::schema::SchemaKind::Avro,
        r#"{"type":"record","name":"OrderKey","fields":[{"name":"id","type":"long"}]}"#,
        Some(("orders-key".into(), 2)),
        None,
    )
    .unwrap()
}

#[test]
fn a_key_that_does_not_match_its_schema_is_refused_in_words() {
    let mut app = composing(r#"{"id": 7, "lines": []}"#, "orders");
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, r#"{"id": "x"}"#);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders-key");
    let commands = key(&mut app, KeyCode::Tab);
    answer(&mut app, &commands, record_key_encoder());
    // Neither as typed nor as a string: the refusal is the one for what was typed.
    assert_eq!(
        app.compose.key_schema.check,
        Some(Err(r#".id: expected a long, got "x""#.to_string())),
        "checked as typed"
    );
    let problem = refused(&mut app, "the key does not match");
    assert_eq!(
        problem,
        r#"Not sent: the key does not match orders-key v2 · id 22 · AVRO: .id: expected a long, got "x""#
    );
    assert_eq!(
        app.compose.key.value(),
        r#"{"id": "x"}"#,
        "nothing typed is lost"
    );
    // Fixed: the refusal goes as the key is edited.
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "5}");
    assert_eq!(app.compose.key.value(), r#"{"id": 5}"#);
    assert_eq!(app.compose.problem, None, "the refusal cleared");
    assert_eq!(app.compose.key_schema.check, Some(Ok(6)));
}

#[test]
fn a_string_key_that_looks_like_json_is_sent_as_the_string_and_loads_back_so() {
    let mut app = composing(r#"{"id": 7, "lines": []}"#, "orders");
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "12345");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders-key");
    let commands = key(&mut app, KeyCode::Tab);
    answer(&mut app, &commands, string_key_encoder());
    let (id, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(
        message.key.as_deref(),
        Some(&[0, 0, 0, 0, 21, 10, b'1', b'2', b'3', b'4', b'5'][..]),
        "the string \"12345\", not a refusal for the number"
    );
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Ok(DeliveryReport {
            partition: 0,
            offset: 1,
            latency: std::time::Duration::from_millis(3),
        }),
    }));
    let typed_key = app.compose.history[0]
        .typed
        .key
        .clone()
        .expect("kept typed");
    assert_eq!(typed_key.json, r#""12345""#);
    // Loaded back quoted, so sending again sends the same string.
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'r');
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.key.value(), r#""12345""#);
}

#[test]
fn a_framed_send_comes_back_from_the_history_as_typed_with_its_schemas() {
    let (mut app, commands) = with_schema("orders-value@3", r#"{"id": 7, "lines": [{"qty": 2}]}"#);
    answer(&mut app, &commands, order_encoder());
    // The key schema too (Tab from the headers: value, topic, partition, key).
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "o-7");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders-key");
    let commands = key(&mut app, KeyCode::Tab);
    answer(&mut app, &commands, string_key_encoder());
    let (id, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(
        message.value.as_deref().map(|v| v[0..5].to_vec()),
        Some(vec![0, 0, 0, 0, 17])
    );
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Ok(DeliveryReport {
            partition: 0,
            offset: 5,
            latency: std::time::Duration::from_millis(3),
        }),
    }));
    // The history file's line names the schemas and keeps the JSON typed.
    let saved = ktui::tabs::compose::history::serialize(&app.compose.history);
    assert!(
        saved.contains(r#""value_decoded":{"id":7,"lines":[{"qty":2}]}"#),
        "{saved}"
    );
    assert!(saved.contains(r#""key_decoded":"o-7""#), "{saved}");
    let reread = ktui::tabs::compose::history::parse(&saved);
    assert_eq!(reread, app.compose.history, "the file round-trips");
    // Another value typed, then the history entry loaded back.
    app.compose.set_value("something else");
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'r');
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.value_schema.input.value(), "orders-value@3");
    assert_eq!(app.compose.key_schema.input.value(), "orders-key@1");
    assert_eq!(
        app.compose.key.value(),
        "o-7",
        "the key as typed, not its bytes"
    );
    let value = app.compose.value_text();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&value).unwrap(),
        serde_json::json!({"id": 7, "lines": [{"qty": 2}]}),
        "the JSON typed, not the framed bytes: {value:?}"
    );
    // Both schemas asked for again; once loaded, it sends the same bytes.
    let asked: Vec<_> = commands
        .iter()
        .filter_map(|c| match c {
            Command::LoadSchema { id, choice } => Some((*id, choice.subject.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 2, "{commands:?}");
    for (id, subject) in asked {
        let encoder = if subject.as_deref() == Some("orders-key") {
            string_key_encoder()
        } else {
            order_encoder()
        };
        app.handle(Event::Kafka(KafkaEvent::SchemaLoaded {
            id,
            result: Ok(Box::new(encoder)),
        }));
    }
    let (_, again) = produced(&ctrl(&mut app, 's'));
    assert_eq!(again.key, message.key);
    assert_eq!(again.value, message.value);
}

/// The versions of `orders-value` asked for by `commands`, answered with `versions`.
fn answer_versions(app: &mut App, commands: &[Command], versions: Vec<i32>) {
    let id = commands
        .iter()
        .find_map(|c| match c {
            Command::DescribeSubject {
                id,
                subject,
                version: None,
            } if subject == "orders-value" => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the versions of orders-value asked: {commands:?}"));
    app.handle(Event::Kafka(KafkaEvent::Subject {
        id,
        result: Ok(ktui::schema::SubjectDetail {
            subject: "orders-value".into(),
            version: *versions.last().unwrap(),
            versions,
            id: 17,
            kind: ktui::schema::SchemaKind::Avro,
            text: ORDER.into(),
            references: vec![],
            compatibility: "BACKWARD".into(),
        }),
    }));
}

#[test]
fn after_subject_at_the_schema_field_completes_its_versions_newest_first() {
    let mut app = composing(r#"{"id": 1, "lines": []}"#, "orders");
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Schema));
    typed(&mut app, "orders-value");
    let commands = key(&mut app, KeyCode::Char('@'));
    answer_versions(&mut app, &commands, vec![1, 2, 3, 12]);
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        [
            "orders-value@12",
            "orders-value@3",
            "orders-value@2",
            "orders-value@1",
            "orders-value@latest"
        ]
    );
    // Enter takes the newest.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.value_schema.input.value(), "orders-value@12");
    // Typing on narrows them, and is not asked again.
    key(&mut app, KeyCode::Backspace);
    let more = key(&mut app, KeyCode::Backspace);
    assert!(
        more.iter()
            .all(|c| !matches!(c, Command::DescribeSubject { .. }))
    );
    typed(&mut app, "1");
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        ["orders-value@12"]
    );
    // Enter on a version that exists takes it as typed (not @12), and moves on.
    let (_, choice) = load_asked(&key(&mut app, KeyCode::Enter));
    assert_eq!(
        (choice.subject.as_deref(), choice.version),
        (Some("orders-value"), Some(1))
    );
    assert_eq!(app.compose.focus, Some(Field::Headers));
}

#[test]
fn enter_on_an_id_loads_that_id_and_entering_a_field_asks_its_versions_again() {
    let mut app = in_key_schema_with_subjects(&["t17-value", "orders-value"]);
    key(&mut app, KeyCode::Tab);
    // An id typed is taken as the id, not completed to a subject that contains it.
    typed(&mut app, "17");
    assert_eq!(app.compose.schema_completions(Part::Value), ["t17-value"]);
    let (_, choice) = load_asked(&key(&mut app, KeyCode::Enter));
    assert_eq!((choice.id, choice.subject), (Some(17), None));
    // A field left holding `SUBJECT@` whose versions could not be had: entering it again
    // asks for them again.
    key(&mut app, KeyCode::BackTab);
    for _ in 0..2 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "orders-value");
    let asked = key(&mut app, KeyCode::Char('@'));
    let id = asked
        .iter()
        .find_map(|c| match c {
            Command::DescribeSubject { id, .. } => Some(*id),
            _ => None,
        })
        .expect("versions asked");
    app.handle(Event::Kafka(KafkaEvent::Subject {
        id,
        result: Err("the schema registry at http://sr did not answer within 5 s".into()),
    }));
    key(&mut app, KeyCode::Tab);
    let again = key(&mut app, KeyCode::BackTab);
    assert_eq!(app.compose.focus, Some(Field::Schema));
    assert!(
        again.iter().any(
            |c| matches!(c, Command::DescribeSubject { subject, .. } if subject == "orders-value")
        ),
        "{again:?}"
    );
}

#[test]
fn a_pasted_subject_at_asks_its_versions_and_latest_is_offered() {
    let mut app = composing(r#"{"id": 1, "lines": []}"#, "orders");
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Schema));
    let commands = app.handle(Event::Paste("orders-value@".into()));
    answer_versions(&mut app, &commands, (1..=9).collect());
    // Four versions, the newest first, and `latest` always.
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        [
            "orders-value@9",
            "orders-value@8",
            "orders-value@7",
            "orders-value@6",
            "orders-value@latest"
        ]
    );
    typed(&mut app, "l");
    assert_eq!(
        app.compose.schema_completions(Part::Value),
        ["orders-value@latest"]
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.compose.value_schema.input.value(),
        "orders-value@latest"
    );
    // `latest` as typed is the subject's latest version: Enter loads it and moves on.
    let (_, choice) = load_asked(&key(&mut app, KeyCode::Enter));
    assert_eq!(
        (choice.subject.as_deref(), choice.version),
        (Some("orders-value"), None)
    );
    assert_eq!(app.compose.focus, Some(Field::Headers));
}
