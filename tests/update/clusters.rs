//! Layer 1 for named clusters: the switcher, read-only refusals on every write path and
//! start-up notices. How they are drawn is in the render layer (`render/clusters.rs`).

use crossterm::event::KeyCode;
use ktui::action::Action;
use ktui::app::{Clusters, Level, Tab};
use ktui::config::Profile;
use ktui::event::Event;
use ktui::kafka::Command;
use ktui::kafka::model::Connection;
use ktui::ui;
use ktui::widgets::text_input::TextInput;

use crate::support::app::{draw, key, loaded, read_only_app, toasts, with_clusters};

#[test]
fn read_only_refuses_topic_create_and_delete_and_says_why() {
    let mut app = read_only_app();
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.topics.dialog.is_none(), "no create dialog opens");
    assert!(
        toasts(&app).contains("Creating topics is disabled: cluster prod is read-only (config)"),
        "{}",
        toasts(&app)
    );
    assert!(key(&mut app, KeyCode::Char('d')).is_empty());
    assert!(app.topics.dialog.is_none(), "no delete dialog opens");
    assert!(toasts(&app).contains("Deleting topics is disabled"));
}

#[test]
fn read_only_refuses_to_send_and_keeps_the_message() {
    let mut app = read_only_app();
    app.tab = Tab::Compose;
    app.compose.topic = TextInput::with_value("sample");
    let commands = app.apply(Action::Send);
    assert!(
        !commands
            .iter()
            .any(|c| matches!(c, Command::Produce { .. })),
        "{commands:?}"
    );
    assert_eq!(
        app.compose.problem.as_deref(),
        Some("Not sent: cluster prod is read-only (config)")
    );
    assert_eq!(app.compose.topic.value(), "sample", "nothing typed is lost");
}

#[test]
fn read_only_keeps_the_feed_from_publishing() {
    let mut app = read_only_app();
    app.feed.source = Some(ktui::feed::SourceSpec::Replay {
        path: None,
        per_second: 2.0,
        rounds: 1,
    });
    let started = app.start();
    assert!(
        !started
            .iter()
            .any(|c| matches!(c, Command::StartFeed { .. })),
        "{started:?}"
    );
    app.tab = Tab::Feed;
    let toggled = key(&mut app, KeyCode::Char('s'));
    assert!(
        !toggled
            .iter()
            .any(|c| matches!(c, Command::StartFeed { .. }))
    );
    assert!(toasts(&app).contains("Feed publishing is disabled"));
}

#[test]
fn the_switcher_reconnects_to_the_chosen_cluster_and_stops_the_tail() {
    let mut app = loaded(&["sample"]);
    with_clusters(&mut app, 0);
    let _ = app.open_in_tail("sample");
    app.tab = Tab::Topics;
    assert!(key(&mut app, KeyCode::Char('c')).is_empty());
    assert_eq!(app.cluster.profiles.picker, Some(0));
    key(&mut app, KeyCode::Down);
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.cluster.profiles.picker, None);
    assert_eq!(app.cluster.profiles.current, 1);
    match &commands[0] {
        Command::Connect {
            spec,
            read_only,
            demo,
        } => {
            assert_eq!(spec.brokers, "p1:9093,p2:9093");
            assert_eq!(spec.name, "prod");
            assert!(read_only.is_some());
            assert!(!demo);
        }
        other => panic!("first a Connect, got {other:?}"),
    }
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Command::RefreshMetadata { .. }))
    );
    assert_eq!(
        app.cluster.connection,
        Connection::Connecting {
            address: "p1:9093,p2:9093".into()
        }
    );
    assert!(app.topics.snapshot.is_loading());
    assert_eq!(app.tab, Tab::Topics, "the user stays where they were");
}

/// Issue 13: the switcher said tails stop, yet reopened the tail on the other cluster
/// (with `--group`, joining a group there). It stops, and the Tail tab says how to start
/// one again.
#[test]
fn switching_clusters_stops_the_tail_and_never_joins_a_group_there() {
    let mut app = loaded(&["sample"]);
    with_clusters(&mut app, 0);
    app.tail.defaults.group = Some("audit".into());
    let started = app.open_in_tail("sample");
    assert!(started.iter().any(
        |c| matches!(c, Command::StartTail { spec, .. } if spec.group.as_deref() == Some("audit"))
    ));
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('2'));
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.cluster.profiles.current, 1);
    assert!(
        !commands
            .iter()
            .any(|c| matches!(c, Command::StartTail { .. })),
        "no tail starts on the other cluster: {commands:?}"
    );
    assert_eq!(app.tail.request, None);
    assert_eq!(app.tab, Tab::Tail);
    app.size = (120, 20);
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("tail stopped (switched to prod): Enter on the topic in Topics (1)"),
        "{screen}"
    );
    assert!(
        toasts(&app).contains("the tail stopped"),
        "{}",
        toasts(&app)
    );
}

/// Issue 13: the switcher asks for Enter, but a digit connected at once. A digit selects;
/// Enter connects; the hint bar says so.
#[test]
fn a_digit_selects_a_cluster_and_enter_connects() {
    let mut app = loaded(&["sample"]);
    with_clusters(&mut app, 0);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        key(&mut app, KeyCode::Char('2')).is_empty(),
        "no Connect yet"
    );
    assert_eq!(
        app.cluster.profiles.picker,
        Some(1),
        "the digit selected row 2"
    );
    assert_eq!(
        app.cluster.profiles.current, 0,
        "still on the first cluster"
    );
    key(&mut app, KeyCode::Char('9'));
    assert_eq!(
        app.cluster.profiles.picker,
        Some(1),
        "no row 9: the selection stays"
    );
    let hints = ui::hint_line(&app)
        .spans
        .iter()
        .map(|s| s.content.to_string())
        .collect::<String>();
    assert!(hints.contains("1–9 select"), "{hints}");
    assert!(hints.contains("Enter connect"), "{hints}");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(matches!(commands.first(), Some(Command::Connect { .. })));
    assert_eq!(app.cluster.profiles.current, 1);
    // The current cluster: Enter connects nowhere; Esc closes.
    key(&mut app, KeyCode::Char('c'));
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.cluster.profiles.picker, None);
}

/// The feed stops on a switch too (it would publish to the other cluster), and its tab
/// says why.
#[test]
fn switching_clusters_stops_the_feed() {
    let mut app = loaded(&["sample"]);
    with_clusters(&mut app, 1);
    app.cluster.profiles.list[0].read_only = None;
    app.cluster.profiles.list[1].read_only = None;
    app.feed.source = Some(ktui::feed::SourceSpec::Replay {
        path: None,
        per_second: 2.0,
        rounds: 1,
    });
    let started = app.start();
    assert!(
        started
            .iter()
            .any(|c| matches!(c, Command::StartFeed { .. }))
    );
    app.tab = Tab::Feed;
    let commands = app.switch_cluster(0);
    assert!(
        !commands
            .iter()
            .any(|c| matches!(c, Command::StartFeed { .. })),
        "{commands:?}"
    );
    assert!(!app.feed.running());
    app.size = (120, 20);
    let screen = format!("{:?}", draw(&app).backend());
    assert!(
        screen.contains("switched to cluster localhost:9092"),
        "{screen}"
    );
}

#[test]
fn with_one_cluster_the_switcher_says_how_to_add_more() {
    let mut app = loaded(&["sample"]);
    app.cluster.profiles =
        Clusters::new(vec![Profile::ad_hoc("localhost:9092", "localhost:9092")], 0);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.cluster.profiles.picker, None);
    assert!(
        toasts(&app).contains("define [clusters.NAME] in"),
        "{}",
        toasts(&app)
    );
}

#[test]
fn start_up_notices_stay_until_a_key_is_pressed() {
    let mut app = loaded(&["sample"]);
    app.notice(
        Level::Error,
        "/home/u/.config/ktui/config.toml:3:13: key `clusters.a.read_only`: invalid type",
    );
    for _ in 0..200 {
        app.handle(Event::Tick);
    }
    assert_eq!(app.toasts.len(), 1, "a notice does not time out");
    app.size = (100, 20);
    let screen = format!("{}", draw(&app).backend());
    assert!(screen.contains("config.toml:3:13"), "{screen}");
    key(&mut app, KeyCode::Down);
    assert!(app.toasts.is_empty());
}
