//! Layer 1 for the Tail tab: keys and fake worker events into `App`; assert the state,
//! the commands for the worker and the effects for the run loop.

use crossterm::event::KeyCode;
use ktui::app::{App, Effect, Level, Tab};
use ktui::event::Event;
use ktui::kafka::Command;
use ktui::kafka::model::{Record, TimestampKind};
use ktui::kafka::position::StartPosition;
use ktui::kafka::tail::TailEvent;
use ktui::tabs::tail::TailStatus;
use ktui::tabs::tail::detail::DecodeMode;

use crate::support::app::{app_sized, deliver, empty_topics, key, metadata, start_id, typed};

fn app() -> App {
    app_sized(120, 30)
}

fn rec(offset: i64, value: &str) -> Record {
    Record {
        partition: 0,
        offset,
        timestamp: Some(1_700_000_000_000),
        timestamp_kind: TimestampKind::CreateTime,
        key: Some(b"k".to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: vec![],
        schemas: None,
    }
}

#[test]
fn enter_on_a_topic_starts_a_tail_from_the_end() {
    let mut app = app();
    metadata(&mut app, empty_topics(&[("sample", 1)]));
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Tail);
    // Leaving the Topics tab: the worker stops fetching every partition's watermarks.
    let [
        Command::StartTail { spec, .. },
        Command::Watermarks { wanted: false, .. },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}");
    };
    assert_eq!(spec.topic, "sample");
    assert_eq!(spec.start, StartPosition::End);
    assert_eq!(spec.group, None, "tailing never joins a group by default");
    assert_eq!(app.tail.status, TailStatus::Starting);
}

#[test]
fn topic_flag_starts_the_tail_with_the_first_commands() {
    let mut app = app();
    app.tail.topic = Some("sample".into());
    app.tab = Tab::Tail;
    let commands = app.start();
    assert!(matches!(commands[0], Command::RefreshMetadata { .. }));
    assert!(matches!(&commands[1], Command::StartTail { spec, .. } if spec.topic == "sample"));
}

#[test]
fn switching_topic_stops_the_old_tail_and_drops_its_events() {
    let mut app = app();
    let first = start_id(&app.open_in_tail("a"));
    let commands = app.open_in_tail("b");
    assert!(matches!(commands[0], Command::StopTail { id } if id == first));
    let second = start_id(&commands);
    deliver(&mut app, first, TailEvent::Records(vec![rec(0, "from a")]));
    assert_eq!(
        app.tail.buffer.len(),
        0,
        "a late batch of the old tail is dropped"
    );
    deliver(
        &mut app,
        second,
        TailEvent::Started {
            partitions: vec![0],
        },
    );
    deliver(&mut app, second, TailEvent::Records(vec![rec(0, "from b")]));
    assert_eq!(app.tail.buffer.len(), 1);
}

#[test]
fn q_and_digits_are_typed_into_the_tail_filter() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("t"));
    deliver(
        &mut app,
        id,
        TailEvent::Records(vec![rec(0, "q1"), rec(1, "other")]),
    );
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "q1");
    assert!(!app.should_quit);
    assert_eq!(app.tab, Tab::Tail);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tail.buffer.view_len(), 1);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.tail.buffer.view_len(), 2, "Esc clears the filter");
}

#[test]
fn options_restart_the_tail_and_explain_mistakes() {
    let mut app = app();
    let first = start_id(&app.open_in_tail("t"));
    key(&mut app, KeyCode::Char('o'));
    assert!(app.tail.options.is_some());
    // Start: replace "end" by "-5"; partitions: "0,x" is wrong.
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "-5");
    key(&mut app, KeyCode::Tab); // Until: empty, a live tail
    key(&mut app, KeyCode::Tab);
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "0,x");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let error = app.tail.options.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("not a partition number"), "{error}");
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "2");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(matches!(commands[0], Command::StopTail { id } if id == first));
    let Command::StartTail { spec, .. } = &commands[1] else {
        panic!("{commands:?}");
    };
    assert_eq!(spec.start, StartPosition::Last(5));
    assert_eq!(spec.partitions, Some(vec![0, 2]));
    assert_eq!(spec.until, None);
    assert!(app.tail.options.is_none());
}

#[test]
fn a_search_reads_through_the_filter_shows_its_progress_and_esc_stops_it() {
    let mut app = app();
    let first = start_id(&app.open_in_tail("t"));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "select(.level == \"error\")");
    key(&mut app, KeyCode::Enter);
    // o: from the beginning up to now.
    key(&mut app, KeyCode::Char('o'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "beginning");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "now");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(matches!(commands[0], Command::StopTail { id } if id == first));
    let Command::StartTail { id, spec } = &commands[1] else {
        panic!("{commands:?}");
    };
    let id = *id;
    assert_eq!(spec.until, Some(ktui::kafka::position::EndBound::Now));
    assert_eq!(
        spec.filter.as_deref(),
        Some("select(.level == \"error\")"),
        "the worker filters with the tab's filter"
    );
    deliver(
        &mut app,
        id,
        TailEvent::Started {
            partitions: vec![0],
        },
    );
    deliver(
        &mut app,
        id,
        TailEvent::Range(vec![ktui::kafka::tail::PartitionRange {
            partition: 0,
            start: 0,
            end: 1000,
        }]),
    );
    deliver(
        &mut app,
        id,
        TailEvent::Records(vec![rec(0, r#"{"level":"error"}"#)]),
    );
    deliver(&mut app, id, TailEvent::Progress { scanned: 400 });
    let search = app.tail.search.as_ref().expect("a search");
    assert_eq!(
        (search.total, search.scanned, search.matches),
        (Some(1000), 400, 1)
    );
    assert!(search.running());
    // Esc stops the search (not the filter): what was found stays.
    let commands = key(&mut app, KeyCode::Esc);
    assert!(matches!(commands[..], [Command::StopTail { id: stopped }] if stopped == id));
    let search = app.tail.search.as_ref().unwrap();
    assert_eq!(search.state, ktui::tabs::tail::search::SearchState::Stopped);
    assert!(app.tail.filter.is_some(), "the filter stays");
    assert_eq!(app.tail.buffer.len(), 1, "the match stays");
    // A second Esc clears the filter as usual.
    key(&mut app, KeyCode::Esc);
    assert!(app.tail.filter.is_none());
}

#[test]
fn a_search_that_reaches_its_end_is_done_and_until_refuses_a_group() {
    let mut app = app();
    start_id(&app.open_in_tail("t"));
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "@-5m");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "g1");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let error = app.tail.options.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("without a group"), "{error}");
    for _ in 0..2 {
        key(&mut app, KeyCode::Backspace);
    }
    let commands = key(&mut app, KeyCode::Enter);
    let Command::StartTail { id, spec } = &commands[1] else {
        panic!("{commands:?}");
    };
    assert!(matches!(
        spec.until,
        Some(ktui::kafka::position::EndBound::Time(_))
    ));
    assert_eq!(spec.filter, None, "no filter: every record is a match");
    let id = *id;
    deliver(
        &mut app,
        id,
        TailEvent::Records(vec![rec(0, "a"), rec(1, "b")]),
    );
    deliver(&mut app, id, TailEvent::ReachedEnd);
    let search = app.tail.search.as_ref().unwrap();
    assert_eq!(search.state, ktui::tabs::tail::search::SearchState::Done);
    assert_eq!(search.matches, 2);
}

#[test]
fn copy_and_export_become_effects() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("my topic/x"));
    deliver(
        &mut app,
        id,
        TailEvent::Records(vec![rec(0, "alpha"), rec(1, "beta")]),
    );
    key(&mut app, KeyCode::Char('y'));
    let effects = app.take_effects();
    assert!(matches!(effects.as_slice(), [Effect::Clipboard(bytes)] if bytes == b"beta"));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "alpha");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('e'));
    let effects = app.take_effects();
    let [
        Effect::Export {
            path,
            topic,
            records,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(topic, "my topic/x");
    assert_eq!(records.len(), 1, "only the filtered records are exported");
    let name = path.to_string_lossy();
    assert!(
        name.starts_with("ktui-my_topic_x-") && name.ends_with(".ndjson"),
        "{name}"
    );
    app.handle(Event::Exported(Ok("Exported 1 records".into())));
    assert!(
        app.toasts
            .iter()
            .any(|t| t.level == Level::Info && t.text.contains("Exported"))
    );
}

#[test]
fn a_tombstone_cannot_be_copied() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("t"));
    let mut tombstone = rec(0, "");
    tombstone.value = None;
    deliver(&mut app, id, TailEvent::Records(vec![tombstone]));
    key(&mut app, KeyCode::Char('y'));
    assert!(app.take_effects().is_empty());
    assert!(app.toasts.iter().any(|t| t.text.contains("tombstone")));
}

#[test]
fn a_failed_tail_says_why() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("nope"));
    deliver(
        &mut app,
        id,
        TailEvent::Failed("unknown topic \"nope\"".into()),
    );
    assert_eq!(
        app.tail.status,
        TailStatus::Failed("unknown topic \"nope\"".into())
    );
    assert!(app.toasts.iter().any(|t| t.level == Level::Error));
}

#[test]
fn detail_opens_cycles_and_closes() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("t"));
    deliver(&mut app, id, TailEvent::Records(vec![rec(0, r#"{"a":1}"#)]));
    key(&mut app, KeyCode::Enter);
    let mode = |app: &App| app.tail.detail.as_ref().map(|d| d.mode);
    assert_eq!(mode(&app), Some(DecodeMode::Pretty));
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(mode(&app), Some(DecodeMode::Raw));
    key(&mut app, KeyCode::Tab);
    assert_eq!(mode(&app), Some(DecodeMode::Hex));
    assert_eq!(app.tab, Tab::Tail, "Tab cycles the view inside the detail");
    key(&mut app, KeyCode::Esc);
    assert!(app.tail.detail.is_none());
}

#[test]
fn the_buffer_stays_bounded_under_a_flood() {
    let mut app = app();
    app.tail.buffer.bounds = ktui::tabs::tail::buffer::Bounds {
        records: 1000,
        bytes: usize::MAX,
    };
    let id = start_id(&app.open_in_tail("t"));
    for batch in 0..50 {
        deliver(
            &mut app,
            id,
            TailEvent::Records((0..1000).map(|i| rec(batch * 1000 + i, "v")).collect()),
        );
    }
    assert_eq!(app.tail.buffer.len(), 1000);
    assert_eq!(app.tail.buffer.evicted, 49_000);
    assert_eq!(
        app.tail.selected_row(),
        Some(999),
        "still following the newest"
    );
}

fn rec_at(partition: i32, offset: i64, value: &str) -> Record {
    Record {
        partition,
        ..rec(offset, value)
    }
}

#[test]
fn records_are_unique_by_partition_and_offset_and_a_rewind_is_said() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("t"));
    deliver(
        &mut app,
        id,
        TailEvent::Started {
            partitions: vec![0, 1],
        },
    );
    deliver(
        &mut app,
        id,
        TailEvent::Records((800..=812).map(|o| rec_at(0, o, "old")).collect()),
    );
    deliver(&mut app, id, TailEvent::Records(vec![rec_at(1, 4, "p1")]));
    // The same record three times (as seen after a broker lost its data).
    for _ in 0..3 {
        deliver(&mut app, id, TailEvent::Records(vec![rec_at(1, 4, "p1")]));
    }
    let held = |app: &App| -> Vec<(i32, i64)> {
        app.tail
            .buffer
            .view_records()
            .iter()
            .map(|r| (r.partition, r.offset))
            .collect()
    };
    assert_eq!(held(&app).iter().filter(|&&r| r == (1, 4)).count(), 1);
    assert!(
        app.toasts.is_empty(),
        "a repeat is not news: {:?}",
        app.toasts.iter().map(|t| &t.text).collect::<Vec<_>>()
    );
    // Partition 0 goes back: a broker that lost data.
    deliver(
        &mut app,
        id,
        TailEvent::Records((4..=5).map(|o| rec_at(0, o, "new")).collect()),
    );
    let rows = held(&app);
    let unique: std::collections::HashSet<_> = rows.iter().collect();
    assert_eq!(unique.len(), rows.len(), "{rows:?}");
    assert_eq!(rows, [(1, 4), (0, 4), (0, 5)]);
    let toast = app
        .toasts
        .iter()
        .find(|t| t.level == Level::Warn)
        .expect("a warning toast");
    assert_eq!(
        toast.text,
        "partition 0 went back from offset 812 to 4: the broker lost data or the topic was \
         recreated; its 13 rows from there on were dropped from the view"
    );
}

#[test]
fn options_refuse_a_partition_the_topic_lacks_and_keep_the_tail() {
    let mut app = app();
    metadata(&mut app, empty_topics(&[("pairs", 2)]));
    let id = start_id(&app.open_in_tail("pairs"));
    deliver(
        &mut app,
        id,
        TailEvent::Started {
            partitions: vec![0, 1],
        },
    );
    deliver(&mut app, id, TailEvent::Records(vec![rec(0, "kept")]));
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Tab); // Until
    key(&mut app, KeyCode::Tab); // Partitions
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "9");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(commands.is_empty(), "nothing restarted: {commands:?}");
    let form = app.tail.options.as_ref().expect("the dialog stays open");
    assert_eq!(
        form.error.as_deref(),
        Some("pairs has 2 partitions (0-1): there is no partition 9")
    );
    assert_eq!(form.fields[2].value(), "9", "what was typed stays");
    assert_eq!(app.tail.request, Some(id), "the running tail goes on");
    assert_eq!(app.tail.buffer.len(), 1, "and keeps its buffer");
    // Fixed: it restarts.
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "1");
    let commands = key(&mut app, KeyCode::Enter);
    let Command::StartTail { spec, .. } = &commands[1] else {
        panic!("{commands:?}");
    };
    assert_eq!(spec.partitions, Some(vec![1]));
}

#[test]
fn a_failure_is_forgotten_once_the_tail_is_live_again() {
    let mut app = app();
    let id = start_id(&app.open_in_tail("late"));
    deliver(
        &mut app,
        id,
        TailEvent::Failed("unknown topic \"late\"".into()),
    );
    assert!(app.toasts.iter().any(|t| t.text.starts_with("Tail failed")));
    app.toast(Level::Info, "something else");
    // The topic exists now; the user restarts the tail.
    let again = start_id(&app.open_in_tail("late"));
    deliver(
        &mut app,
        again,
        TailEvent::Started {
            partitions: vec![0],
        },
    );
    assert!(
        !app.toasts.iter().any(|t| t.text.starts_with("Tail failed")),
        "{:?}",
        app.toasts.iter().map(|t| &t.text).collect::<Vec<_>>()
    );
    assert!(app.toasts.iter().any(|t| t.text == "something else"));
    assert_eq!(
        app.tail.status,
        TailStatus::Running {
            partitions: vec![0]
        }
    );
}
