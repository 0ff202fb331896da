//! Layer 2 for the Feed tab: what it reads back from Kafka, its state and counts, a fatal
//! stop, the missing source and the rules popup, drawn and checked with insta; the bearer
//! token is never drawn.

use crossterm::event::KeyCode;
use ktui::event::Event;
use ktui::feed::FeedState;
use ktui::feed::twitter::StreamRule;
use ktui::kafka::tail::TailEvent;
use ktui::kafka::worker::RulesChange;
use ktui::kafka::{Command, KafkaEvent};
use ktui::kafka::{FeedCounts, FeedUpdate};

use crate::support::app::{TOKEN, draw, feed_app, feed_started, key, post, twitter};

#[test]
fn shows_what_kafka_holds_newest_first_with_state_and_counts() {
    let (mut app, bridge, readback) = feed_started(twitter());
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
    let screen = draw(&app).backend().to_string();
    assert!(!screen.contains(TOKEN));
    assert_snapshot!(screen);
}

#[test]
fn a_fatal_stop_is_shown_and_toasted() {
    let (mut app, bridge, _) = feed_started(twitter());
    app.handle(Event::Kafka(KafkaEvent::Feed {
        id: bridge,
        update: FeedUpdate::State(FeedState::Stopped {
            reason: "401 Unauthorized (check the bearer token) — Unauthorized".into(),
            fatal: true,
        }),
    }));
    assert!(!app.feed.running());
    assert!(app.toasts.iter().any(|t| t.text.contains("401")));
    let screen = draw(&app).backend().to_string();
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
fn no_source_says_how_to_start_one() {
    let mut app = feed_app(None);
    let commands = key(&mut app, KeyCode::Char('4'));
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::StartTail { .. })),
        "still reads the topic back"
    );
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert!(app.toasts.iter().any(|t| t.text.contains("--feed")));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn rules_are_listed_added_and_deleted() {
    let (mut app, _, _) = feed_started(twitter());
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
    assert_snapshot!(draw(&app).backend());
    key(&mut app, KeyCode::Esc);
    let commands = key(&mut app, KeyCode::Char('d'));
    assert!(
        matches!(commands.as_slice(), [Command::FeedRules { change: RulesChange::Delete { ids }, .. }] if ids == &["1".to_string()])
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.feed.rules.is_none());
}
