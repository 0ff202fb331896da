//! Layer 2 for what every tab shares: the help overlay (drawn, and scrolled to each
//! section) and the status bar (the demo's address, a broker that went away).

use crossterm::event::KeyCode;
use ktui::app::{App, ClusterLabel};
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::model::Connection;
use ktui::keymap::Keymap;
use ktui::ui;
use ratatui::style::Color;

use crate::support::app::{app_sized, cluster, connected, draw, key};

#[test]
fn help_overlay() {
    let mut app = app_sized(100, 40);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('?'));
    assert_snapshot!(draw(&app).backend());
}

/// Issue 13: at 160x45 the help was cut after the Tail section and could not scroll.
/// Now it scrolls with the help context's keys, says where it is, and the hint bar says
/// which keys do it.
#[test]
fn help_scrolls_to_every_section_and_says_where_it_is() {
    let mut app = app_sized(160, 45);
    connected(&mut app, cluster());
    key(&mut app, KeyCode::Char('?'));
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("lines 1–"),
        "a position indicator:\n{screen}"
    );
    assert!(
        !screen.contains("rules: list, add, delete"),
        "the Feed section starts off screen at this size:\n{screen}"
    );
    assert!(screen.contains("↓/j scroll"), "the hint bar:\n{screen}");
    // Page by page, every section shows.
    let mut seen = vec![screen.clone()];
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
        seen.push(format!("{:?}", draw(&app).backend()));
    }
    let seen = seen.concat();
    for section in [
        "Tail",
        "Record detail (Tail)",
        "Compose",
        "Compose, in a field",
        "Feed",
        "Typing a filter",
        "A form",
        "The X stream's rules",
    ] {
        assert!(
            seen.contains(&format!("│{section}")),
            "{section} never showed"
        );
    }
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::End);
    let end = format!("{:?}", draw(&app).backend());
    assert!(end.contains("close the switcher"), "{end}");
    assert!(end.contains("↑ more · lines "), "{end}");
    assert!(app.help_scroll > 0);
    key(&mut app, KeyCode::Char('j'));
    let at_end = app.help_scroll;
    assert_eq!(
        at_end,
        ktui::widgets::help::max_scroll(&app.keymap, app.size),
        "j stops at the end"
    );
    key(&mut app, KeyCode::PageUp);
    assert!(app.help_scroll < at_end);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.help_scroll, 0);
    key(&mut app, KeyCode::PageDown);
    assert!(app.help_scroll > 0);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Esc);
    assert!(!app.help_open);
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.help_scroll, 0, "the help opens at the top");
}

#[test]
fn demo_status_bar_names_the_address() {
    let mut app = App::new(ktui::app::AppSettings::new(
        ClusterLabel {
            address: "127.0.0.1:40001,127.0.0.1:40002".into(),
            demo_address: Some("127.0.0.1:9092".into()),
        },
        Keymap::default(),
    ));
    app.size = (100, 10);
    connected(&mut app, cluster());
    let line: String = ui::status_line(&app)
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert!(line.contains("DEMO cluster at 127.0.0.1:9092"), "{line}");
    assert!(line.contains("connected"), "{line}");
}

#[test]
fn a_broker_that_went_away_is_named_in_red_in_the_status_bar() {
    let mut app = app_sized(120, 12);
    let mut snapshot = cluster();
    snapshot.brokers.retain(|b| b.id != 2);
    app.handle(Event::Kafka(KafkaEvent::Connection(
        Connection::Connected {
            address: "kafka-1:9092".into(),
            brokers: snapshot.brokers.len(),
            cluster_id: snapshot.cluster_id.clone(),
            unreachable: vec!["2 at kafka-2:9092".into()],
        },
    )));
    app.handle(Event::Kafka(KafkaEvent::Metadata {
        id: 0,
        result: Ok(snapshot),
    }));
    let terminal = draw(&app);
    assert_snapshot!(terminal.backend());
    let buffer = terminal.backend().buffer();
    let status_row = (0..buffer.area.height)
        .find(|&y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            line.contains("● connected")
        })
        .expect("a status row");
    let line: String = (0..buffer.area.width)
        .map(|x| buffer[(x, status_row)].symbol())
        .collect();
    let at = line
        .find("✖ broker 2 at kafka-2:9092 unreachable")
        .expect("the broker is named");
    // Columns, not bytes: count the characters before it.
    let column = line[..at].chars().count() as u16;
    let error = app
        .palette
        .error()
        .fg
        .expect("the default theme colours errors");
    assert_ne!(error, Color::Reset);
    assert_eq!(
        buffer[(column, status_row)].fg,
        error,
        "drawn in the error colour"
    );
}
