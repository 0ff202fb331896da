//! Layer 1 for the Feed tab: the commands it sends to start and stop a source, and what it
//! refuses. How it shows what it reads back is in the render layer (`render/feed.rs`).

use crossterm::event::KeyCode;
use ktui::feed::SourceSpec;
use ktui::kafka::Command;

use crate::support::app::{feed_started, key, twitter};

#[test]
fn s_stops_a_running_source() {
    let (mut app, bridge, _) = feed_started(twitter());
    let commands = key(&mut app, KeyCode::Char('s'));
    assert!(matches!(commands.as_slice(), [Command::StopFeed { id }] if *id == bridge));
}

#[test]
fn rules_need_the_twitter_source() {
    let (mut app, _, _) = feed_started(SourceSpec::Replay {
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
