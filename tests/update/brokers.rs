//! Layer 1 for the Brokers tab: when it asks (shown, every 10 s while shown, R), where
//! answers go, the cursor and the details focus, and a cluster switch forgetting it.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::{Command, KafkaEvent};
use ktui::tabs::brokers::Focus;

use crate::support::app::{brokers_snapshot, key, loaded};

fn asked(commands: &[Command]) -> Option<u64> {
    commands.iter().find_map(|c| match c {
        Command::DescribeBrokers { id } => Some(*id),
        _ => None,
    })
}

fn answer(app: &mut App, id: u64) {
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Ok(brokers_snapshot()),
    }));
}

#[test]
fn shown_asks_then_refreshes_every_ten_seconds_only_while_shown() {
    let mut app = loaded(&["orders"]);
    let id = asked(&key(&mut app, KeyCode::Char('6'))).expect("asked when shown");
    assert_eq!(app.tab, Tab::Brokers);
    assert!(app.brokers.brokers.is_loading());
    answer(&mut app, id);
    assert_eq!(app.brokers.brokers.loaded().unwrap().brokers.len(), 3);
    // The next ask comes 40 ticks (10 s) after the last one, not before.
    let mut ticks = 0;
    let again = loop {
        ticks += 1;
        if let Some(id) = asked(&app.handle(Event::Tick)) {
            break id;
        }
        assert!(ticks < 100, "no refresh");
    };
    assert_eq!(ticks, 40, "refreshed after 10 s of ticks");
    // Nothing more while that answer is awaited, even when shown again.
    for _ in 0..60 {
        assert_eq!(asked(&app.handle(Event::Tick)), None);
    }
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(asked(&key(&mut app, KeyCode::Char('6'))), None);
    answer(&mut app, again);
    // Hidden: no refresh.
    key(&mut app, KeyCode::Char('1'));
    for _ in 0..100 {
        assert_eq!(asked(&app.handle(Event::Tick)), None);
    }
    // Shown again: asked at once; R asks at once too.
    let id = asked(&key(&mut app, KeyCode::Char('6'))).expect("asked when shown again");
    answer(&mut app, id);
    assert!(asked(&key(&mut app, KeyCode::Char('R'))).is_some());
}

#[test]
fn a_cluster_switch_forgets_the_brokers() {
    let mut app = loaded(&["orders"]);
    crate::support::app::with_clusters(&mut app, 0);
    let id = asked(&key(&mut app, KeyCode::Char('6'))).unwrap();
    answer(&mut app, id);
    let commands = app.switch_cluster(1);
    assert!(
        app.brokers.brokers.loaded().is_none(),
        "the old cluster's brokers are gone"
    );
    assert!(
        asked(&commands).is_some(),
        "the new cluster's are asked (the tab is shown)"
    );
    // A late answer from the old cluster is not shown.
    answer(&mut app, id);
    assert!(app.brokers.brokers.loaded().is_none());
}

#[test]
fn the_cursor_keeps_its_broker_and_the_details_take_the_keys() {
    let mut app = loaded(&["orders"]);
    let id = asked(&key(&mut app, KeyCode::Char('6'))).unwrap();
    answer(&mut app, id);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.brokers.selected_broker().unwrap().id, 2);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.brokers.focus, Focus::Details);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.brokers.details_scroll, 1);
    assert_eq!(app.brokers.selected_broker().unwrap().id, 2, "j scrolls");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.brokers.focus, Focus::List);
    // A refresh that lists the brokers in another order keeps broker 2 selected.
    let id = asked(&key(&mut app, KeyCode::Char('R'))).unwrap();
    let mut snapshot = brokers_snapshot();
    snapshot.brokers.reverse();
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Ok(snapshot),
    }));
    assert_eq!(app.brokers.selected_broker().unwrap().id, 2);
    // A failed refresh keeps the list and says why.
    let id = asked(&key(&mut app, KeyCode::Char('R'))).unwrap();
    app.handle(Event::Kafka(KafkaEvent::Brokers {
        id,
        result: Err("no answer".into()),
    }));
    assert_eq!(app.brokers.refresh_error.as_deref(), Some("no answer"));
    assert_eq!(app.brokers.brokers.loaded().unwrap().brokers.len(), 3);
}
