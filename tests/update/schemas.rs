//! Layer 1 for the Schemas tab: it asks the registry for the subjects once shown, then
//! for the selected subject's latest version; moving asks for the next one (the older
//! answer dropped); `[` and `]` step through versions; errors are kept as words.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::{Command, KafkaEvent};
use ktui::loadable::Loadable;
use ktui::schema::{SchemaKind, SubjectDetail, SubjectList};
use ktui::tabs::schemas::{Focus, topic_of};

use crate::support::app::{key, loaded};

fn subjects_asked(commands: &[Command]) -> Option<u64> {
    commands.iter().find_map(|c| match c {
        Command::ListSubjects { id } => Some(*id),
        _ => None,
    })
}

fn subject_asked(commands: &[Command]) -> Option<(u64, String, Option<i32>)> {
    commands.iter().find_map(|c| match c {
        Command::DescribeSubject {
            id,
            subject,
            version,
        } => Some((*id, subject.clone(), *version)),
        _ => None,
    })
}

fn detail(subject: &str, version: i32) -> SubjectDetail {
    SubjectDetail {
        subject: subject.into(),
        versions: vec![1, 2, 3],
        version,
        id: 10 + u32::try_from(version).unwrap(),
        kind: SchemaKind::Avro,
        text: r#"{"type":"string"}"#.into(),
        references: vec![],
        compatibility: "BACKWARD".into(),
    }
}

fn answer_subject(app: &mut App, id: u64, subject: &str, version: i32) -> Vec<Command> {
    app.handle(Event::Kafka(KafkaEvent::Subject {
        id,
        result: Ok(detail(subject, version)),
    }))
}

#[test]
fn shown_lists_subjects_then_describes_the_selected_one() {
    let mut app = loaded(&["orders"]);
    let id = subjects_asked(&key(&mut app, KeyCode::Char('7'))).expect("asked when shown");
    assert_eq!(app.tab, Tab::Schemas);
    assert!(app.schemas.subjects.is_loading());
    let asked = app.handle(Event::Kafka(KafkaEvent::Subjects {
        id,
        result: Ok(SubjectList {
            registry: "http://sr:8081".into(),
            subjects: vec!["orders-key".into(), "orders-value".into(), "other".into()],
            compatibility: "BACKWARD".into(),
        }),
    }));
    let (first, subject, version) = subject_asked(&asked).expect("the first subject");
    assert_eq!((subject.as_str(), version), ("orders-key", None));
    // Shown again: not asked again.
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(subjects_asked(&key(&mut app, KeyCode::Char('7'))), None);
    // Moving asks for the next subject; the first answer, now stale, is dropped.
    let (second, subject, _) = subject_asked(&key(&mut app, KeyCode::Down)).unwrap();
    assert_eq!(subject, "orders-value");
    answer_subject(&mut app, first, "orders-key", 3);
    assert!(app.schemas.detail.is_loading(), "a stale answer is dropped");
    answer_subject(&mut app, second, "orders-value", 3);
    assert_eq!(app.schemas.detail.loaded().unwrap().subject, "orders-value");
    // [ asks for version 2, ] back for 3; nothing past the newest.
    let (older, _, version) = subject_asked(&key(&mut app, KeyCode::Char('['))).unwrap();
    assert_eq!(version, Some(2));
    answer_subject(&mut app, older, "orders-value", 2);
    let (newer, _, version) = subject_asked(&key(&mut app, KeyCode::Char(']'))).unwrap();
    assert_eq!(version, Some(3));
    answer_subject(&mut app, newer, "orders-value", 3);
    assert_eq!(subject_asked(&key(&mut app, KeyCode::Char(']'))), None);
    // Enter focuses the schema; h goes back; R lists again.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.schemas.focus, Focus::Details);
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.schemas.focus, Focus::List);
    assert!(subjects_asked(&key(&mut app, KeyCode::Char('R'))).is_some());
}

#[test]
fn no_registry_is_said_in_words() {
    let mut app = loaded(&["orders"]);
    let id = subjects_asked(&key(&mut app, KeyCode::Char('7'))).unwrap();
    app.handle(Event::Kafka(KafkaEvent::Subjects {
        id,
        result: Err("no schema registry for this cluster".into()),
    }));
    assert_eq!(
        app.schemas.subjects,
        Loadable::Failed("no schema registry for this cluster".into())
    );
}

#[test]
fn subjects_belong_to_topics_by_their_suffix() {
    assert_eq!(topic_of("orders-value"), Some(("orders", "value")));
    assert_eq!(topic_of("orders-key"), Some(("orders", "key")));
    assert_eq!(topic_of("shop.Address"), None);
}
