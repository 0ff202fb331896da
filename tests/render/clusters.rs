//! Layer 2 for named clusters: the switcher, how the status bar names the cluster, its
//! security and read-only mode, where start-up notices sit, and the themes (NO_COLOR, light
//! and dark).

use crossterm::event::KeyCode;
use ktui::app::Level;
use ktui::theme::{Palette, ThemeName};
use ktui::ui;
use ratatui::style::Color;

use crate::support::app::{draw, key, loaded, read_only_app};

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
