//! Layer 2 for the Brokers tab: asking, the list with one broker gone and the selected
//! broker's log dirs and configs, the details of the broker that is gone, and a failure.

use crossterm::event::KeyCode;
use ktui::event::Event;
use ktui::kafka::{Command, KafkaEvent};

use crate::support::app::{app_sized, brokers_snapshot, cluster, connected, draw, key, screen};

/// The Brokers tab shown (key 6): the id of the `DescribeBrokers` it sent.
fn shown(app: &mut ktui::app::App) -> u64 {
    key(app, KeyCode::Char('6'))
        .into_iter()
        .find_map(|c| match c {
            Command::DescribeBrokers { id } => Some(id),
            _ => None,
        })
        .expect("DescribeBrokers asked when the tab is shown")
}

#[test]
fn brokers_loading() {
    let mut app = app_sized(120, 20);
    connected(&mut app, cluster());
    shown(&mut app);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn brokers_one_gone_with_details_of_the_controller() {
    let mut app = app_sized(130, 26);
    connected(&mut app, cluster());
    let id = shown(&mut app);
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Ok(brokers_snapshot()),
    }));
    let shown = screen(&draw(&app));
    assert!(shown.contains("controller"), "{shown}");
    assert!(shown.contains("unreachable"), "{shown}");
    assert!(shown.contains("/var/lib/kafka/data"), "{shown}");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn brokers_details_of_the_broker_that_is_gone() {
    let mut app = app_sized(130, 26);
    connected(&mut app, cluster());
    let id = shown(&mut app);
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Ok(brokers_snapshot()),
    }));
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    let shown = screen(&draw(&app));
    assert!(shown.contains("not available: no answer in 5 s"), "{shown}");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn brokers_failed() {
    let mut app = app_sized(120, 16);
    connected(&mut app, cluster());
    let id = shown(&mut app);
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Err("cannot reach the cluster at localhost:9092 (no answer in 5 s)".into()),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn hostile_text_from_a_broker_is_escaped() {
    let mut app = app_sized(130, 26);
    connected(&mut app, cluster());
    let id = shown(&mut app);
    let mut snapshot = brokers_snapshot();
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
    snapshot.brokers[0].rack = Some(evil.into());
    snapshot.brokers[0].address = Some(format!("{evil}:9092"));
    if let Ok(configs) = &mut snapshot.brokers[0].configs {
        configs[1].value = Some(evil.into());
    }
    if let Ok(dirs) = &mut snapshot.brokers[0].log_dirs {
        dirs[0].path = format!("/data/{evil}");
    }
    snapshot.warnings.push(format!("quorum: {evil}"));
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Ok(snapshot),
    }));
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|cell| !cell.symbol().contains(['\u{1b}', '\u{7}'])),
        "no control character reaches the terminal"
    );
    let shown = screen(&terminal);
    assert!(
        shown.matches(r"\x1b]0;pwned\x07").count() >= 4,
        "the text is shown escaped, in the list and the details:\n{shown}"
    );
}
