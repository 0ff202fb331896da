//! Layer 1 for the Topics tab and what every tab shares (switching tabs, quitting, help,
//! toasts, paste): keys and fake worker events into `App`; assert state and the commands
//! it emits.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::model::{AdminError, ConfigEntryInfo, Connection, TopicInfo};
use ktui::kafka::{Command, KafkaEvent};
use ktui::loadable::Loadable;
use ktui::tabs::topics::{Dialog, FormStatus};

use crate::support::app::{app, ctrl, key, loaded, metadata, snapshot, typed};

fn selected(app: &App) -> String {
    app.topics.selected_topic().unwrap().name.clone()
}

#[test]
fn start_asks_for_metadata_and_shows_connecting() {
    let mut app = app();
    assert!(matches!(
        app.start().as_slice(),
        [Command::RefreshMetadata { .. }]
    ));
    assert!(matches!(
        app.cluster.connection,
        Connection::Connecting { .. }
    ));
    assert!(app.topics.snapshot.is_loading());
}

#[test]
fn moves_and_opens_the_selected_topic_in_tail() {
    let mut app = loaded(&["alpha", "beta", "gamma"]);
    assert_eq!(selected(&app), "alpha");
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Down);
    assert_eq!(selected(&app), "gamma");
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(selected(&app), "beta");
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(selected(&app), "gamma");
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(selected(&app), "alpha");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Tail);
    assert_eq!(app.tail.topic.as_deref(), Some("alpha"));
}

#[test]
fn page_keys_move_by_a_screen_and_keep_the_row_visible() {
    let names: Vec<String> = (0..500).map(|i| format!("t{i:04}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut app = loaded(&refs);
    key(&mut app, KeyCode::PageDown);
    let page = app.topics.selected;
    assert!(page > 5, "a page is more than a few rows, got {page}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.topics.selected, page * 2);
    let rows = ktui::tabs::topics::list_rows(app.size);
    assert!(app.topics.offset <= app.topics.selected);
    assert!(app.topics.selected < app.topics.offset + rows);
}

#[test]
fn tabs_switch_with_digits_and_tab_keys() {
    let mut app = loaded(&["a"]);
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Compose);
    // Compose's editor has focus: Tab moves between its fields, digits are typed.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Compose);
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.tab, Tab::Compose);
    assert_eq!(app.compose.topic.value(), "4");
    // Esc leaves the editor; then Tab switches tabs again.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Feed);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Groups);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Brokers);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Schemas);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Topics);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Schemas);
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.tab, Tab::Brokers);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Groups);
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(app.tab, Tab::Topics);
}

#[test]
fn q_quits_only_when_no_text_field_has_focus() {
    let mut app = loaded(&["queue", "other"]);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "q2");
    assert!(!app.should_quit, "q typed into the filter must not quit");
    assert_eq!(
        app.tab,
        Tab::Topics,
        "2 typed into the filter must not switch tab"
    );
    assert_eq!(app.topics.filter.value(), "q2");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.topics.filter.value(), "");
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[test]
fn ctrl_c_quits_even_from_a_dialog() {
    let mut app = loaded(&["a"]);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.topics.dialog, Some(Dialog::Create));
    ctrl(&mut app, 'c');
    assert!(app.should_quit);
}

#[test]
fn filter_narrows_the_list_and_enter_keeps_it() {
    let mut app = loaded(&["orders", "payments", "orders-dlq"]);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "ORD");
    assert_eq!(app.topics.visible_len(), 2, "case-insensitive substring");
    key(&mut app, KeyCode::Enter);
    assert!(!app.topics.filter_editing);
    assert_eq!(app.topics.visible_len(), 2);
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        app.topics.visible_len(),
        3,
        "Esc in the list clears the filter"
    );
}

#[test]
fn internal_topics_toggle_and_sort_cycles() {
    let mut app = loaded(&["b", "__consumer_offsets", "a"]);
    assert_eq!(app.topics.visible_len(), 2);
    key(&mut app, KeyCode::Char('i'));
    assert_eq!(app.topics.visible_len(), 3);
    key(&mut app, KeyCode::Char('S'));
    assert!(app.topics.descending);
    assert_eq!(app.topics.visible_topic(0).unwrap().name, "b");
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.topics.sort, ktui::tabs::topics::SortColumn::Partitions);
}

#[test]
fn help_overlay_opens_and_closes() {
    let mut app = loaded(&["a"]);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help_open);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.topics.selected, 0,
        "keys do not leak through the help overlay"
    );
    key(&mut app, KeyCode::Esc);
    assert!(!app.help_open);
}

#[test]
fn create_sends_a_validated_spec_and_keeps_the_form_when_refused() {
    let mut app = loaded(&["a"]);
    key(&mut app, KeyCode::Char('n'));
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "empty name is not sent"
    );
    assert!(matches!(&app.topics.create.status, FormStatus::Invalid(m) if m.contains("empty")));
    typed(&mut app, "orders");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "6");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "cleanup.policy=compact");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::CreateTopic { id, spec }] = commands.as_slice() else {
        panic!("expected one CreateTopic, got {commands:?}");
    };
    assert_eq!(spec.name, "orders");
    assert_eq!(spec.partitions, 6);
    assert_eq!(spec.replication, 1);
    assert_eq!(
        spec.configs,
        vec![("cleanup.policy".into(), "compact".into())]
    );

    // A stale answer (another id) is ignored; the real one shows the broker's refusal.
    app.handle(Event::Kafka(KafkaEvent::TopicCreated {
        id: id + 100,
        name: "orders".into(),
        result: Ok(()),
    }));
    assert_eq!(app.topics.create.status, FormStatus::Sending(*id));
    let refusal = AdminError {
        code: "TOPIC_ALREADY_EXISTS".into(),
        message: "Broker: Topic already exists".into(),
        explanation: "A topic with this name already exists.".into(),
    };
    app.handle(Event::Kafka(KafkaEvent::TopicCreated {
        id: *id,
        name: "orders".into(),
        result: Err(refusal.clone()),
    }));
    assert_eq!(app.topics.create.status, FormStatus::Refused(refusal));
    assert_eq!(app.topics.dialog, Some(Dialog::Create));

    // Esc and n again: nothing typed is lost.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.topics.dialog, None);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.topics.create.fields[0].value(), "orders");
    assert_eq!(app.topics.create.fields[1].value(), "6");
}

#[test]
fn created_topic_is_selected_after_the_refresh() {
    let mut app = loaded(&["a", "b"]);
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "zz");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::CreateTopic { id, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    let after = app.handle(Event::Kafka(KafkaEvent::TopicCreated {
        id: *id,
        name: "zz".into(),
        result: Ok(()),
    }));
    assert!(matches!(
        after.as_slice(),
        [Command::RefreshMetadata { .. }]
    ));
    assert_eq!(app.topics.dialog, None);
    assert_eq!(
        app.topics.create.fields[0].value(),
        "",
        "form resets after success"
    );
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot(&["a", "b", "zz"])),
    }));
    assert_eq!(selected(&app), "zz");
}

#[test]
fn delete_requires_the_exact_name() {
    let mut app = loaded(&["keep", "victim"]);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.topics.dialog, Some(Dialog::Delete));
    typed(&mut app, "victi");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(&app.topics.delete.status, FormStatus::Invalid(_)));
    typed(&mut app, "m");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(commands.as_slice(), [Command::DeleteTopic { name, .. }] if name == "victim"),
        "{commands:?}"
    );
}

#[test]
fn configs_are_requested_on_the_tick_and_stale_answers_dropped() {
    let mut app = loaded(&["a", "b"]);
    // (The Groups tab samples lag on the ticks too, hidden; only configs count here.)
    let tick = |app: &mut App| -> Vec<Command> {
        app.handle(Event::Tick)
            .into_iter()
            .filter(|c| !matches!(c, Command::ListGroups { .. }))
            .collect()
    };
    let first = tick(&mut app);
    let [Command::DescribeConfigs { id: id_a, topic }] = first.as_slice() else {
        panic!("{first:?}");
    };
    assert_eq!(topic, "a");
    assert!(
        tick(&mut app).is_empty(),
        "no second request for the same topic"
    );
    key(&mut app, KeyCode::Char('j'));
    let second = tick(&mut app);
    let [Command::DescribeConfigs { id: id_b, topic }] = second.as_slice() else {
        panic!("{second:?}");
    };
    assert_eq!(topic, "b");
    let entry = |name: &str| ConfigEntryInfo {
        name: name.into(),
        value: Some("1".into()),
        source: "default".into(),
        is_default: true,
        is_sensitive: false,
        is_read_only: false,
    };
    app.handle(Event::Kafka(KafkaEvent::Configs {
        id: *id_a,
        topic: "a".into(),
        result: Ok(vec![entry("from.a")]),
    }));
    assert!(app.topics.configs.is_loading(), "the answer for a is stale");
    app.handle(Event::Kafka(KafkaEvent::Configs {
        id: *id_b,
        topic: "b".into(),
        result: Ok(vec![entry("from.b")]),
    }));
    assert_eq!(app.topics.configs, Loadable::Loaded(vec![entry("from.b")]));
}

#[test]
fn no_config_requests_while_unreachable() {
    let mut app = loaded(&["a"]);
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Unreachable {
            address: "localhost:9092".into(),
            reason: "Connection refused".into(),
        },
    )));
    assert!(app.handle(Event::Tick).is_empty());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("Lost the connection")),
        "{:?}",
        app.toasts
    );
}

#[test]
fn a_failed_refresh_keeps_the_old_list() {
    let mut app = loaded(&["a"]);
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Err("timed out".into()),
    }));
    assert_eq!(app.topics.visible_len(), 1);
    assert_eq!(app.topics.refresh_error.as_deref(), Some("timed out"));
    let mut fresh = app_unloaded_failure();
    assert!(matches!(fresh.topics.snapshot, Loadable::Failed(_)));
    fresh.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot(&["x"])),
    }));
    assert_eq!(fresh.topics.visible_len(), 1);
}

fn app_unloaded_failure() -> App {
    let mut app = app();
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Err("timed out".into()),
    }));
    app
}

#[test]
fn toasts_expire_on_ticks() {
    let mut app = loaded(&["a"]);
    app.toast(ktui::app::Level::Info, "hello");
    for _ in 0..100 {
        app.handle(Event::Tick);
    }
    assert!(app.toasts.is_empty());
}

#[test]
fn paste_goes_into_the_focused_field() {
    let mut app = loaded(&["a"]);
    key(&mut app, KeyCode::Char('n'));
    app.handle(Event::Paste("pasted-name\n".into()));
    assert_eq!(app.topics.create.fields[0].value(), "pasted-name ");
}

/// Issue 13: stopping the feed with `s` read "stopped: stopped". It says it stopped and
/// how to start it again; a reason other than the stop itself is kept.
#[test]
fn a_stopped_feed_says_so_once_and_how_to_start_it() {
    use ktui::feed::{FeedState, SourceSpec};
    use ktui::kafka::FeedUpdate;
    let mut app = loaded(&["tweets"]);
    app.size = (100, 20);
    app.feed.source = Some(SourceSpec::Replay {
        path: None,
        per_second: 2.0,
        rounds: 1,
    });
    let bridge = app
        .start()
        .iter()
        .find_map(|c| match c {
            Command::StartFeed { id, .. } => Some(*id),
            _ => None,
        })
        .expect("the feed starts");
    app.tab = Tab::Feed;
    let screen = |app: &App| {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 20)).unwrap();
        terminal.draw(|f| ktui::ui::render(app, f)).unwrap();
        format!("{:?}", terminal.backend())
    };
    let state = |app: &mut App, reason: &str| {
        app.handle(Event::Kafka(KafkaEvent::Feed {
            id: bridge,
            update: FeedUpdate::State(FeedState::stopped(reason, false)),
        }));
    };
    state(&mut app, "stopped");
    let shown = screen(&app);
    assert!(!shown.contains("stopped: stopped"), "{shown}");
    assert!(shown.contains("· stopped (s starts it again)"), "{shown}");
    state(&mut app, "end of the replay (24 posts)");
    let shown = screen(&app);
    assert!(
        shown.contains("stopped: end of the replay (24 posts) (s starts it again)"),
        "{shown}"
    );
}

#[test]
fn watermarks_are_asked_only_while_the_topics_tab_shows_them_and_kept_meanwhile() {
    let mut app = loaded(&["orders"]);
    let counted = |app: &App| app.topics.selected_topic().and_then(TopicInfo::messages);
    let before = counted(&app);
    assert!(before.is_some());
    // Leaving the tab tells the worker; coming back too (it then refreshes at once).
    let left = key(&mut app, KeyCode::Char('5'));
    assert!(
        left.contains(&Command::Watermarks {
            wanted: false,
            first: Vec::new()
        }),
        "{left:?}"
    );
    // A refresh without watermarks keeps the counts already known.
    let mut bare = snapshot(&["orders"]);
    bare.watermarks = false;
    for p in bare.topics.iter_mut().flat_map(|t| t.partitions.iter_mut()) {
        (p.low, p.high) = (None, None);
    }
    metadata(&mut app, bare);
    let back = key(&mut app, KeyCode::Char('1'));
    assert!(
        back.contains(&Command::Watermarks {
            wanted: true,
            first: vec!["orders".into()]
        }),
        "{back:?}"
    );
    assert_eq!(counted(&app), before);
    assert!(
        !key(&mut app, KeyCode::Char('j'))
            .iter()
            .any(|c| matches!(c, Command::Watermarks { .. }))
    );
}

/// The names the last `Watermarks` command put first.
fn first_asked(commands: &[Command]) -> Option<Vec<String>> {
    commands.iter().rev().find_map(|c| match c {
        Command::Watermarks {
            wanted: true,
            first,
        } => Some(first.clone()),
        _ => None,
    })
}

#[test]
fn the_topics_on_screen_are_counted_first_and_follow_the_cursor() {
    let mut app = app(); // 80×24: 17 rows of topics
    let names: Vec<String> = (0..100).map(|i| format!("topic-{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let commands = app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot(&refs)),
    }));
    let first = first_asked(&commands).expect("the rows on screen are named");
    assert_eq!(first.first().map(String::as_str), Some("topic-000"));
    assert!(first.len() > 10 && first.len() < 30, "{first:?}");
    assert!(!first.contains(&"topic-050".to_string()), "{first:?}");
    // Moving within the screen changes nothing; jumping to the end names the last rows.
    assert_eq!(first_asked(&key(&mut app, KeyCode::Char('j'))), None);
    let end = first_asked(&key(&mut app, KeyCode::Char('G'))).expect("new rows on screen");
    assert_eq!(end.last().map(String::as_str), Some("topic-099"));
    assert!(!end.contains(&"topic-000".to_string()), "{end:?}");
}

#[test]
fn counts_fill_in_then_go_stale_when_the_cluster_stops_answering_and_fresh_again() {
    use ktui::kafka::model::PartitionEnds;
    let mut app = app();
    let mut bare = snapshot(&["a", "b"]);
    bare.watermarks = false;
    for p in bare.topics.iter_mut().flat_map(|t| t.partitions.iter_mut()) {
        (p.low, p.high) = (None, None);
    }
    metadata(&mut app, bare.clone());
    assert_eq!(app.topics.counting, Some(0), "names first, counts to come");
    let ends = |topic: &str, high: i64| {
        vec![PartitionEnds {
            topic: topic.into(),
            partition: 0,
            low: 0,
            high,
        }]
    };
    let watermarks = |app: &mut App, pass: u64, topic: &str, high: i64| {
        app.handle(Event::Kafka(KafkaEvent::Watermarks {
            pass,
            ends: ends(topic, high),
        }));
    };
    let done = |app: &mut App, pass: u64| {
        app.handle(Event::Kafka(KafkaEvent::WatermarksDone {
            pass,
            asked: 2,
            answered: 2,
        }));
    };
    let count = |app: &App, name: &str| {
        let topic = app.topics.topics().iter().find(|t| t.name == name).unwrap();
        (topic.messages(), app.topics.is_stale(topic))
    };
    watermarks(&mut app, 1, "a", 5);
    assert_eq!(app.topics.counting, Some(1));
    watermarks(&mut app, 1, "b", 7);
    done(&mut app, 1);
    assert_eq!(app.topics.counting, None);
    assert_eq!(app.topics.visible_messages(), Some(12));
    assert_eq!(count(&app, "a"), (Some(5), false));
    // The next refresh's metadata keeps the counts; its pass reaches only `a`.
    metadata(&mut app, bare.clone());
    watermarks(&mut app, 2, "a", 6);
    done(&mut app, 2);
    assert_eq!(count(&app, "a"), (Some(6), false));
    assert_eq!(count(&app, "b"), (Some(7), true), "kept, marked stale");
    // The cluster stops answering: every count is kept, and stale.
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Err("Local: Broker transport failure".into()),
    }));
    assert_eq!(count(&app, "a"), (Some(6), true));
    assert_eq!(count(&app, "b"), (Some(7), true));
    // Back: each count is fresh as soon as a pass brings it.
    metadata(&mut app, bare);
    watermarks(&mut app, 3, "b", 8);
    assert_eq!(count(&app, "b"), (Some(8), false));
    assert_eq!(count(&app, "a"), (Some(6), true));
}

#[test]
fn a_filter_that_shortens_a_scrolled_list_shows_every_row_left() {
    let mut app = app();
    let names: Vec<String> = (0..100).map(|i| format!("topic-{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    metadata(&mut app, snapshot(&refs));
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "topic-09");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.topics.visible_len(), 10);
    assert_eq!(app.topics.first_row(17), 0, "all ten rows in view");
}
