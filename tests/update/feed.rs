//! Layers 1 and 2 for the Feed tab: commands it sends, how it shows what it reads back,
//! the rules popup, and snapshots of each state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ktui::app::{App, ClusterLabel, Tab};
use ktui::event::Event;
use ktui::feed::twitter::{Options, Secret, Stream, StreamRule};
use ktui::feed::{Author, FeedState, Post, SourceSpec};
use ktui::kafka::feed_bridge::{FeedCounts, FeedUpdate, ValueFormat};
use ktui::kafka::model::{Record, TimestampKind};
use ktui::kafka::tail::TailEvent;
use ktui::kafka::worker::RulesChange;
use ktui::kafka::{Command, KafkaEvent};
use ktui::keymap::Keymap;
use ktui::ui;
use ktui::ui::tabs::feed::FeedTab;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TOKEN: &str = "AAAA-secret-token-1234";

fn app(source: Option<SourceSpec>) -> App {
    let mut app = App::new(
        ClusterLabel {
            address: "localhost:9092".into(),
            demo_address: None,
        },
        Keymap::default(),
    );
    app.size = (100, 24);
    app.tz = jiff::tz::TimeZone::UTC;
    app.feed = FeedTab::new(source, "tweets".into(), ValueFormat::Json);
    app
}

fn twitter() -> SourceSpec {
    SourceSpec::Twitter(Options {
        api_base: "http://127.0.0.1:1".into(),
        token: Secret::new(TOKEN),
        stream: Stream::Filtered,
    })
}

fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn post(i: u32, text: &str) -> Record {
    let post = Post {
        id: format!("18{i}"),
        text: text.into(),
        author: Author {
            id: "1".into(),
            username: "kafka_ops".into(),
            name: "Kafka Ops".into(),
        },
        created_at: Some("2026-11-22T10:00:00.000Z".into()),
        lang: Some("en".into()),
        source: "twitter".into(),
        url: None,
        matching_rules: vec!["kafka".into()],
    };
    Record {
        partition: 0,
        offset: i64::from(i),
        timestamp: Some(1_700_000_000_000),
        timestamp_kind: TimestampKind::CreateTime,
        key: Some(post.id.as_bytes().to_vec()),
        value: Some(serde_json::to_vec(&post).unwrap()),
        headers: vec![],
    }
}

fn draw(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    format!("{}", terminal.backend())
}

/// Starts the app with a source; returns the bridge and read-back ids.
fn started(source: SourceSpec) -> (App, u64, u64) {
    let mut app = app(Some(source));
    let commands = app.start();
    let readback = commands
        .iter()
        .find_map(|c| match c {
            Command::StartTail { id, spec } if spec.topic == "tweets" => Some(*id),
            _ => None,
        })
        .expect("reads the topic back");
    let bridge = commands
        .iter()
        .find_map(|c| match c {
            Command::StartFeed { id, job } if job.topic == "tweets" => Some(*id),
            _ => None,
        })
        .expect("starts the bridge");
    app.tab = Tab::Feed;
    (app, bridge, readback)
}

#[test]
fn shows_what_kafka_holds_newest_first_with_state_and_counts() {
    let (mut app, bridge, readback) = started(twitter());
    app.handle(Event::Kafka(KafkaEvent::Feed {
        id: bridge,
        update: FeedUpdate::State(FeedState::Streaming),
    }));
    app.handle(Event::Kafka(KafkaEvent::Feed {
        id: bridge,
        update: FeedUpdate::Counts(FeedCounts {
            received: 3,
            published: 2,
            failed: 1,
            last_error: Some("Broker: Message size too large".into()),
        }),
    }));
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id: readback,
        event: TailEvent::Records(vec![
            post(1, "first post"),
            post(2, "second post\nwith a line break"),
        ]),
    }));
    assert_eq!(app.feed.posts.len(), 2);
    assert_eq!(
        app.feed.posts[0].text, "second post\nwith a line break",
        "newest first"
    );
    let screen = draw(&app);
    assert!(!screen.contains(TOKEN));
    assert_snapshot!(screen);
}

#[test]
fn a_fatal_stop_is_shown_and_toasted() {
    let (mut app, bridge, _) = started(twitter());
    app.handle(Event::Kafka(KafkaEvent::Feed {
        id: bridge,
        update: FeedUpdate::State(FeedState::Stopped {
            reason: "401 Unauthorized (check the bearer token) — Unauthorized".into(),
            fatal: true,
        }),
    }));
    assert!(!app.feed.running());
    assert!(app.toasts.iter().any(|t| t.text.contains("401")));
    let screen = draw(&app);
    assert!(screen.contains("stopped: 401 Unauthorized"));
    assert_snapshot!(screen);
    // s starts it again (a new bridge).
    let commands = key(&mut app, KeyCode::Char('s'));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::StartFeed { id, .. } if *id != bridge))
    );
}

#[test]
fn s_stops_a_running_source() {
    let (mut app, bridge, _) = started(twitter());
    let commands = key(&mut app, KeyCode::Char('s'));
    assert!(matches!(commands.as_slice(), [Command::StopFeed { id }] if *id == bridge));
}

#[test]
fn no_source_says_how_to_start_one() {
    let mut app = app(None);
    let commands = key(&mut app, KeyCode::Char('4'));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::StartTail { .. })),
        "still reads the topic back"
    );
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert!(app.toasts.iter().any(|t| t.text.contains("--feed")));
    assert_snapshot!(draw(&app));
}

#[test]
fn rules_are_listed_added_and_deleted() {
    let (mut app, _, _) = started(twitter());
    let commands = key(&mut app, KeyCode::Char('R'));
    let [
        Command::FeedRules {
            id,
            change: RulesChange::List,
            options,
        },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}");
    };
    assert_eq!(options.token.expose(), TOKEN);
    let rule = |id: &str, value: &str, tag: Option<&str>| StreamRule {
        id: id.into(),
        value: value.into(),
        tag: tag.map(str::to_string),
    };
    app.handle(Event::Kafka(KafkaEvent::Rules {
        id: *id,
        result: Ok(vec![rule("1", "kafka lang:en", Some("kafka"))]),
    }));
    key(&mut app, KeyCode::Char('a'));
    for c in "tui -is:retweet".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(!app.should_quit, "typing in the rule form never quits");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('t'));
    let commands = key(&mut app, KeyCode::Enter);
    let [
        Command::FeedRules {
            id,
            change: RulesChange::Add { value, tag },
            ..
        },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}");
    };
    assert_eq!(
        (value.as_str(), tag.as_deref()),
        ("tui -is:retweet", Some("t"))
    );
    // The API refuses: the form and what was typed stay, with the API's words.
    app.handle(Event::Kafka(KafkaEvent::Rules {
        id: *id,
        result: Err("DuplicateRule: duplicate value".into()),
    }));
    assert!(app.feed.rules.as_ref().unwrap().adding.is_some());
    assert_snapshot!(draw(&app));
    key(&mut app, KeyCode::Esc);
    let commands = key(&mut app, KeyCode::Char('d'));
    assert!(
        matches!(commands.as_slice(), [Command::FeedRules { change: RulesChange::Delete { ids }, .. }] if ids == &["1".to_string()])
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.feed.rules.is_none());
}

#[test]
fn rules_need_the_twitter_source() {
    let (mut app, _, _) = started(SourceSpec::Replay {
        path: None,
        per_second: 1.0,
        rounds: 1,
    });
    assert!(key(&mut app, KeyCode::Char('R')).is_empty());
    assert!(
        app.toasts
            .iter()
            .any(|t| t.text.contains("filtered stream"))
    );
}
