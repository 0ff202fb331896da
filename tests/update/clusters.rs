//! Layer 1 and 2 for named clusters: the switcher, read-only refusals on every write path,
//! start-up notices, and how the status bar and themes draw them.

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ktui::action::Action;
use ktui::app::{App, Clusters, Level, Tab};
use ktui::config::Profile;
use ktui::event::Event;
use ktui::kafka::Command;
use ktui::kafka::model::Connection;
use ktui::ui;
use ktui::ui::theme::{Palette, ThemeName};
use ktui::ui::widgets::text_input::TextInput;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::support::app::{key, loaded};

fn prod() -> Profile {
    let mut prod = Profile::ad_hoc("prod", "p1:9093,p2:9093");
    prod.set("security.protocol", "SASL_SSL");
    prod.set("sasl.mechanism", "SCRAM-SHA-512");
    prod.set("sasl.username", "ops");
    prod.set("sasl.password", "env:PROD_PW");
    prod.color = Some("red".into());
    prod.read_only = Some("cluster prod is read-only (config)".into());
    prod
}

fn with_clusters(app: &mut App, current: usize) {
    let local = Profile::ad_hoc("localhost:9092", "localhost:9092");
    app.clusters = Clusters::new(vec![local, prod()], current);
}

fn read_only_app() -> App {
    let mut app = loaded(&["sample", "orders"]);
    with_clusters(&mut app, 1);
    app
}

fn toasts(app: &App) -> String {
    app.toasts
        .iter()
        .map(|t| t.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal
}

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
    assert_eq!(app.clusters.picker, Some(0));
    key(&mut app, KeyCode::Down);
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.clusters.picker, None);
    assert_eq!(app.clusters.current, 1);
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
        app.connection,
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
    assert_eq!(app.clusters.current, 1);
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
    assert_eq!(app.clusters.picker, Some(1), "the digit selected row 2");
    assert_eq!(app.clusters.current, 0, "still on the first cluster");
    key(&mut app, KeyCode::Char('9'));
    assert_eq!(
        app.clusters.picker,
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
    assert_eq!(app.clusters.current, 1);
    // The current cluster: Enter connects nowhere; Esc closes.
    key(&mut app, KeyCode::Char('c'));
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.clusters.picker, None);
}

/// The feed stops on a switch too (it would publish to the other cluster), and its tab
/// says why.
#[test]
fn switching_clusters_stops_the_feed() {
    let mut app = loaded(&["sample"]);
    with_clusters(&mut app, 1);
    app.clusters.list[0].read_only = None;
    app.clusters.list[1].read_only = None;
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
    app.clusters = Clusters::new(vec![Profile::ad_hoc("localhost:9092", "localhost:9092")], 0);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.clusters.picker, None);
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

/// Issue 13: sticky notices were drawn over the Topics table's header row. They sit at
/// the bottom of the body now, and the header stays readable.
#[test]
fn notices_leave_the_table_header_visible() {
    let mut app = loaded(&["sample", "orders"]);
    app.size = (100, 20);
    app.notice(
        Level::Error,
        "/home/u/.config/ktui/config.toml:3:13: key `clusters.a.read_only`: invalid type: string \"yes\", expected a boolean",
    );
    app.notice(Level::Warn, "config.toml is readable by others");
    let buffer = draw(&app).backend().buffer().clone();
    let row = |y: u16| -> String { (0..100).map(|x| buffer[(x, y)].symbol()).collect() };
    let screen: Vec<String> = (0..20).map(row).collect();
    assert!(
        screen[2].contains("NAME") && screen[2].contains("MESSAGES"),
        "the header row:\n{}",
        screen.join("\n")
    );
    assert!(screen[3].contains("orders") && screen[4].contains("sample"));
    let all = screen.join("\n");
    assert!(all.contains("config.toml:3:13"), "{all}");
    assert!(all.contains("readable by others"), "{all}");
}

#[test]
fn status_bar_names_the_cluster_its_security_and_read_only() {
    let mut app = read_only_app();
    app.size = (120, 12);
    let line = ui::status_line(&app)
        .spans
        .iter()
        .map(|s| s.content.to_string())
        .collect::<String>();
    assert_snapshot!(line, @" prod  SASL_SSL SCRAM-SHA-512 as ops  READ-ONLY  ● connected localhost:9092 · 1 broker · cluster c1");
    let buffer = draw(&app).backend().buffer().clone();
    let badge = &buffer[(1, 10)];
    assert_eq!(badge.symbol(), "p");
    assert_eq!(badge.bg, Color::Red, "the cluster's colour");
}

#[test]
fn the_switcher_lists_every_cluster() {
    let mut app = read_only_app();
    app.size = (100, 16);
    key(&mut app, KeyCode::Char('c'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn no_color_draws_without_a_single_colour_and_light_differs_from_dark() {
    let mut app = read_only_app();
    app.size = (100, 16);
    app.palette = Palette::choose(ThemeName::Dark, true);
    let buffer = draw(&app).backend().buffer().clone();
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
    app.palette = Palette::choose(ThemeName::Light, false);
    let light = draw(&app).backend().buffer().clone();
    app.palette = Palette::choose(ThemeName::Dark, false);
    let dark = draw(&app).backend().buffer().clone();
    let title = |b: &ratatui::buffer::Buffer| b[(95, 0)].fg;
    assert_ne!(
        title(&light),
        title(&dark),
        "the brand's colour follows the theme"
    );
}
