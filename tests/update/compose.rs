//! Layer 1 for the Compose tab: keys and fake worker events into `App`; assert the
//! message it sends, what it refuses (in words), reports, history and the watch tail.

use std::time::Duration;

use crossterm::event::KeyCode;
use ktui::app::{App, Effect, Tab};
use ktui::event::Event;
use ktui::kafka::model::{Record, TimestampKind};
use ktui::kafka::produce::{DeliveryReport, ProduceFailure};
use ktui::kafka::tail::TailEvent;
use ktui::kafka::{Command, KafkaEvent};
use ktui::tabs::compose::{Field, Outcome, ValueKind};

use crate::support::app::{app_sized, ctrl, empty_topics, key, metadata, produced, typed};

fn app_with_topics() -> App {
    let mut app = app_sized(120, 40);
    metadata(
        &mut app,
        empty_topics(&[("orders", 3), ("orders-dlq", 1), ("sample", 1)]),
    );
    app
}

/// Compose with the value typed and the topic set (focus back on the value).
fn composing(value: &str, topic: &str) -> App {
    let mut app = app_with_topics();
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Compose);
    assert_eq!(
        app.compose.focus,
        Some(Field::Value),
        "focus starts in the value editor"
    );
    typed(&mut app, value);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, topic);
    key(&mut app, KeyCode::BackTab);
    app
}

#[test]
fn ctrl_s_sends_exactly_what_was_typed_and_keeps_the_editor() {
    let mut app = composing("{\"a\": 1,\n \"q\": \"123\"}", "orders");
    assert_eq!(app.compose.value_kind, ValueKind::Json);
    // Key and headers.
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(app.compose.focus, Some(Field::Key));
    typed(&mut app, "user-1");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(Field::KeySchema));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.compose.focus, Some(Field::Schema));
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "trace=abc\nsource=ktui");
    let commands = ctrl(&mut app, 's');
    let (id, message) = produced(&commands);
    assert_eq!(message.topic, "orders");
    assert_eq!(
        message.value.as_deref(),
        Some(&b"{\"a\": 1,\n \"q\": \"123\"}"[..])
    );
    assert_eq!(message.key.as_deref(), Some(&b"user-1"[..]));
    assert_eq!(
        message.partition, None,
        "auto: the partitioner picks by key"
    );
    assert_eq!(message.headers.len(), 2);
    assert!(
        !app.should_quit && app.tab == Tab::Compose,
        "q and digits were typed"
    );
    assert_eq!(app.compose.reports[0].outcome, Outcome::Pending);
    // The editor keeps its content: sending again is one key.
    assert!(app.compose.value_text().contains("\"q\""));
    let again = ctrl(&mut app, 's');
    assert_ne!(produced(&again).0, id);
    assert_eq!(app.compose.reports.len(), 2);
}

#[test]
fn problems_are_reported_before_sending() {
    let mut app = composing("x", "nope");
    assert!(
        ctrl(&mut app, 's')
            .iter()
            .all(|c| !matches!(c, Command::Produce { .. }))
    );
    assert!(
        app.compose
            .problem
            .as_deref()
            .unwrap()
            .starts_with("Unknown topic")
    );

    let mut app = composing("x", "orders");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "7");
    assert!(ctrl(&mut app, 's').is_empty());
    assert!(
        app.compose
            .problem
            .as_deref()
            .unwrap()
            .contains("Partition 7 does not exist")
    );
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "x");
    ctrl(&mut app, 's');
    assert!(
        app.compose
            .problem
            .as_deref()
            .unwrap()
            .contains("must be a number")
    );
    key(&mut app, KeyCode::Backspace);
    // Past Key, Key schema and Schema to the headers.
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "broken");
    ctrl(&mut app, 's');
    assert!(
        app.compose
            .problem
            .as_deref()
            .unwrap()
            .contains("header line 1")
    );
    assert!(app.compose.reports.is_empty(), "nothing was sent");
}

#[test]
fn invalid_json_is_labelled_but_can_be_sent_as_text() {
    let mut app = composing("{\"a\": }", "orders");
    assert!(matches!(
        app.compose.value_kind,
        ValueKind::InvalidJson { line: 1, .. }
    ));
    ctrl(&mut app, 'f');
    assert!(
        app.compose
            .problem
            .as_deref()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(
        app.compose.value_text(),
        "{\"a\": }",
        "formatting never loses text"
    );
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(message.value.as_deref(), Some(&b"{\"a\": }"[..]));
}

#[test]
fn ctrl_f_formats_and_ctrl_t_sends_a_tombstone() {
    let mut app = composing("{\"b\":[1,2],\"a\":{}}", "orders");
    ctrl(&mut app, 'f');
    // Key order and number text stay exactly as typed.
    assert_eq!(
        app.compose.value_text(),
        "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {}\n}"
    );
    ctrl(&mut app, 't');
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(message.value, None);
}

#[test]
fn a_tombstone_is_armed_for_exactly_one_send() {
    let mut app = composing("hello", "orders");
    ctrl(&mut app, 't');
    assert!(app.compose.tombstone, "Ctrl-T arms");
    let (_, first) = produced(&ctrl(&mut app, 's'));
    assert_eq!(first.value, None, "the armed send is a tombstone");
    assert!(!app.compose.tombstone, "the send spent it");
    let (_, second) = produced(&ctrl(&mut app, 's'));
    assert_eq!(
        second.value.as_deref(),
        Some(&b"hello"[..]),
        "the next Ctrl-S sends the text, not null again"
    );
}

#[test]
fn editing_the_value_or_ctrl_t_again_disarms_a_tombstone() {
    let mut app = composing("hello", "orders");
    ctrl(&mut app, 't');
    key(&mut app, KeyCode::Left);
    assert!(app.compose.tombstone, "moving the cursor is not an edit");
    typed(&mut app, "!");
    assert!(!app.compose.tombstone, "typing in the value disarms");
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert_eq!(message.value.as_deref(), Some(&b"hell!o"[..]));

    ctrl(&mut app, 't');
    ctrl(&mut app, 't');
    assert!(!app.compose.tombstone, "Ctrl-T again disarms");
    let (_, message) = produced(&ctrl(&mut app, 's'));
    assert!(message.value.is_some());

    // A refused send is not a send: the tombstone stays armed, visibly.
    ctrl(&mut app, 't');
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "9");
    assert!(ctrl(&mut app, 's').is_empty(), "partition 9 is refused");
    assert!(app.compose.tombstone);
}

#[test]
fn a_tombstone_loaded_from_the_history_is_armed_for_one_send() {
    let mut app = composing("hello", "orders");
    app.compose.history = vec![
        ktui::kafka::produce::OutgoingMessage {
            topic: "orders".into(),
            key: Some(b"gone".to_vec()),
            value: None,
            ..ktui::kafka::produce::OutgoingMessage::default()
        }
        .into(),
    ];
    ctrl(&mut app, 'r');
    key(&mut app, KeyCode::Enter);
    assert!(app.compose.tombstone, "loaded as it was sent");
    let (_, first) = produced(&ctrl(&mut app, 's'));
    assert_eq!(first.value, None);
    let (_, second) = produced(&ctrl(&mut app, 's'));
    assert_eq!(
        second.value.as_deref(),
        Some(&b""[..]),
        "then the (empty) text"
    );
}

#[test]
fn reports_show_delivery_failure_and_retriability_and_history_is_saved() {
    let mut app = composing("hello", "orders");
    let (id, _) = produced(&ctrl(&mut app, 's'));
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Err(ProduceFailure {
            code: "MESSAGE_TIMED_OUT".into(),
            message: "Local: Message timed out".into(),
            retriable: true,
        }),
    }));
    assert!(matches!(&app.compose.reports[0].outcome, Outcome::Failed(f) if f.retriable));
    assert!(
        app.take_effects().is_empty(),
        "a failed send is not history"
    );
    assert_eq!(
        app.compose.value_text(),
        "hello",
        "a failed send is never lost"
    );
    let (id, _) = produced(&ctrl(&mut app, 's'));
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Ok(DeliveryReport {
            partition: 2,
            offset: 41,
            latency: Duration::from_millis(3),
        }),
    }));
    assert!(matches!(app.compose.reports[0].outcome, Outcome::Delivered(d) if d.offset == 41));
    let effects = app.take_effects();
    let [Effect::SaveHistory(content)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert!(content.contains("\"value\":\"hello\""), "{content}");
}

#[test]
fn the_watch_tail_sees_the_message_and_times_it() {
    let mut app = app_with_topics();
    app.open_in_tail("orders");
    let commands = key(&mut app, KeyCode::Char('3'));
    assert_eq!(
        app.compose.topic.value(),
        "orders",
        "prefilled from the topic last opened"
    );
    let watch = commands
        .iter()
        .find_map(|c| match c {
            Command::StartTail { id, spec } if spec.topic == "orders" => Some(*id),
            _ => None,
        })
        .expect("a watch tail on the target topic");
    typed(&mut app, "ping");
    let (id, _) = produced(&ctrl(&mut app, 's'));
    // The record shows up in the watch tail before the delivery report arrives.
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id: watch,
        event: TailEvent::Records(vec![Record {
            partition: 1,
            offset: 7,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: None,
            value: Some(b"ping".to_vec()),
            headers: vec![],
            schemas: None,
        }]),
    }));
    assert_eq!(app.compose.watch.records.len(), 1);
    assert_eq!(
        app.tail.buffer.len(),
        0,
        "the Tail tab's buffer is not the watch"
    );
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Ok(DeliveryReport {
            partition: 1,
            offset: 7,
            latency: Duration::from_millis(2),
        }),
    }));
    assert!(app.compose.reports[0].seen_after.is_some());
}

#[test]
fn topic_completion_and_history_loading() {
    let mut app = app_with_topics();
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "dl");
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.topic.value(), "orders-dlq");
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::StartTail { spec, .. } if spec.topic == "orders-dlq"))
    );
    app.compose.history = vec![
        ktui::kafka::produce::OutgoingMessage {
            topic: "sample".into(),
            partition: Some(0),
            key: Some(b"k".to_vec()),
            value: Some(b"from history".to_vec()),
            headers: vec![],
            timestamp: None,
        }
        .into(),
    ];
    ctrl(&mut app, 'r');
    assert_eq!(app.compose.history_open, Some(0));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.topic.value(), "sample");
    assert_eq!(app.compose.partition.value(), "0");
    assert_eq!(app.compose.value_text(), "from history");
}

#[test]
fn esc_leaves_the_editor_then_keys_are_commands() {
    let mut app = composing("v", "orders");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.compose.focus, None);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.compose.focus, Some(Field::Value));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

// ---------------------------------------------------------------------------------------
// The draft kept on disk: which effects the update asks for (the disk work is the run
// loop's), when, and what it restores.

fn tick(app: &mut App) {
    app.handle(Event::Tick);
}

fn draft_writes(app: &mut App) -> Vec<Effect> {
    app.take_effects()
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Effect::SaveDraft(_) | Effect::RemoveDraft | Effect::LoadDraft
            )
        })
        .collect()
}

fn removed(effects: &[Effect]) -> bool {
    matches!(effects, [Effect::RemoveDraft])
}

fn saved_draft(effects: &[Effect]) -> ktui::tabs::compose::draft::Draft {
    let [Effect::SaveDraft(content)] = effects else {
        panic!("one SaveDraft expected: {effects:?}");
    };
    ktui::tabs::compose::draft::Draft::parse(content).expect("the draft is JSON")
}

#[test]
fn the_draft_is_saved_as_you_type_at_most_once_a_second() {
    let mut app = composing("hello", "orders");
    for _ in 0..2 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "1");
    // Past Key, Key schema and Schema to the headers.
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    typed(&mut app, "a=1\nb=2");
    key(&mut app, KeyCode::Tab); // back to the value
    assert!(
        draft_writes(&mut app).is_empty(),
        "typing writes nothing itself"
    );
    tick(&mut app);
    let draft = saved_draft(&draft_writes(&mut app));
    assert_eq!(draft.form.topic, "orders");
    assert_eq!(draft.form.partition, "1");
    assert_eq!(draft.form.headers, "a=1\nb=2");
    assert_eq!(draft.form.value, "hello");
    // More typing: the next write waits for a second (4 ticks) after the last.
    typed(&mut app, "!");
    for _ in 0..3 {
        tick(&mut app);
        assert!(draft_writes(&mut app).is_empty(), "debounced");
    }
    tick(&mut app);
    assert_eq!(saved_draft(&draft_writes(&mut app)).form.value, "hello!");
    // Nothing changed: nothing written.
    for _ in 0..8 {
        tick(&mut app);
    }
    assert!(draft_writes(&mut app).is_empty());
}

#[test]
fn quitting_saves_what_was_typed_since_the_last_write() {
    let mut app = composing("hello", "orders");
    tick(&mut app);
    draft_writes(&mut app);
    typed(&mut app, " world");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
    assert_eq!(
        saved_draft(&draft_writes(&mut app)).form.value,
        "hello world"
    );
}

#[test]
fn a_sent_draft_is_removed_and_not_saved_again_until_edited() {
    let mut app = composing("hello", "orders");
    tick(&mut app);
    saved_draft(&draft_writes(&mut app));
    produced(&ctrl(&mut app, 's'));
    assert!(removed(&draft_writes(&mut app)), "sent: not a draft");
    for _ in 0..8 {
        tick(&mut app);
    }
    assert!(
        draft_writes(&mut app).is_empty(),
        "the editor keeps the sent message, but it is no draft"
    );
    typed(&mut app, "2");
    tick(&mut app);
    assert_eq!(saved_draft(&draft_writes(&mut app)).form.value, "hello2");
}

#[test]
fn a_send_that_fails_keeps_the_draft() {
    let mut app = composing("hello", "orders");
    tick(&mut app);
    draft_writes(&mut app);
    let (id, _) = produced(&ctrl(&mut app, 's'));
    assert!(removed(&draft_writes(&mut app)));
    app.handle(Event::Kafka(KafkaEvent::Delivered {
        id,
        result: Err(ProduceFailure {
            code: "MESSAGE_TIMED_OUT".into(),
            message: "Local: Message timed out".into(),
            retriable: true,
        }),
    }));
    for _ in 0..4 {
        tick(&mut app);
    }
    assert_eq!(saved_draft(&draft_writes(&mut app)).form.value, "hello");
}

#[test]
fn ctrl_l_twice_discards_the_draft_and_any_other_key_keeps_it() {
    let mut app = composing("hello", "orders");
    tick(&mut app);
    draft_writes(&mut app);
    ctrl(&mut app, 'l');
    assert!(app.compose.draft.confirm_discard, "the first press asks");
    assert_eq!(app.compose.value_text(), "hello");
    key(&mut app, KeyCode::Right);
    assert!(!app.compose.draft.confirm_discard, "another key keeps it");
    ctrl(&mut app, 'l');
    ctrl(&mut app, 'l');
    assert_eq!(app.compose.value_text(), "", "emptied");
    assert_eq!(app.compose.topic.value(), "orders", "the topic stays");
    assert!(removed(&draft_writes(&mut app)));
    for _ in 0..8 {
        tick(&mut app);
    }
    assert!(draft_writes(&mut app).is_empty());
    // It is in the keymap's compose context, described for ? and the hint bar.
    let binding = app
        .keymap
        .bindings(ktui::keymap::Context::Compose)
        .iter()
        .find(|b| b.action == ktui::action::Action::DiscardDraft)
        .expect("bound");
    assert!(
        binding.desc.contains("discard the draft"),
        "{}",
        binding.desc
    );
    assert!(binding.hint.is_some());
    // With no field focused, the same two presses work.
    typed(&mut app, "again");
    key(&mut app, KeyCode::Esc);
    ctrl(&mut app, 'l');
    ctrl(&mut app, 'l');
    assert_eq!(app.compose.value_text(), "");
}

#[test]
fn start_reads_the_draft_and_a_found_one_is_restored_and_said() {
    let mut app = app_with_topics();
    app.start();
    assert!(
        app.take_effects()
            .iter()
            .any(|e| matches!(e, Effect::LoadDraft)),
        "the first effect reads the draft"
    );
    let form = ktui::tabs::compose::draft::DraftForm {
        topic: "orders".into(),
        partition: "2".into(),
        key: "user-1".into(),
        headers: "trace=abc\nsource=ktui".into(),
        value: "{\"a\": 1}".into(),
        schema: String::new(),
        key_schema: String::new(),
    };
    let saved = ktui::tabs::compose::draft::Draft::new(form.clone(), 1_700_000_000_000);
    app.handle(Event::DraftRead(saved.to_json()));
    assert_eq!(app.compose.draft_form(), form, "every field is back");
    assert_eq!(app.compose.value_kind, ValueKind::Json);
    assert!(!app.compose.tombstone);
    assert_eq!(app.compose.draft.restored_ms, Some(1_700_000_000_000));
    assert!(
        app.toasts
            .iter()
            .any(|t| t.sticky && t.text.contains("draft") && t.text.contains("restored")),
        "{:?}",
        app.toasts
    );
    // The file already holds it: nothing is written until it changes.
    for _ in 0..8 {
        tick(&mut app);
    }
    assert!(draft_writes(&mut app).is_empty());
    // Sending it removes the file.
    key(&mut app, KeyCode::Char('3'));
    produced(&ctrl(&mut app, 's'));
    assert!(removed(&draft_writes(&mut app)));
    assert_eq!(app.compose.draft.restored_ms, None);
}

#[test]
fn a_draft_read_after_typing_began_does_not_overwrite_the_form() {
    let mut app = composing("typed first", "orders");
    let saved = ktui::tabs::compose::draft::Draft::new(
        ktui::tabs::compose::draft::DraftForm {
            value: "old".into(),
            ..Default::default()
        },
        1,
    );
    app.handle(Event::DraftRead(saved.to_json()));
    assert_eq!(app.compose.value_text(), "typed first");
    tick(&mut app);
    assert_eq!(
        saved_draft(&draft_writes(&mut app)).form.value,
        "typed first",
        "what is typed replaces the old file"
    );
    // A broken file is said, not fatal.
    app.handle(Event::DraftRead("{not json".into()));
    assert!(app.toasts.iter().any(|t| t.text.contains("cannot be read")));
}

#[test]
fn an_unreadable_draft_file_is_removed_at_the_next_save_so_the_warning_does_not_return() {
    let mut app = app_with_topics();
    app.handle(Event::DraftRead("{not json".into()));
    assert!(app.toasts.iter().any(|t| t.text.contains("cannot be read")));
    app.flush_draft();
    assert!(
        app.take_effects()
            .iter()
            .any(|e| matches!(e, Effect::RemoveDraft)),
        "the unreadable file goes"
    );
}
