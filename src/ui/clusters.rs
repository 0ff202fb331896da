//! The cluster badge in the status bar and the cluster switcher (`c`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::config::Profile;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::{centered, popup};

/// The cluster's own style: its configured colour (none under `NO_COLOR`), reversed.
fn badge_style(profile: &Profile, palette: &Palette) -> Style {
    let colour = profile
        .color
        .as_deref()
        .and_then(|c| c.parse::<Color>().ok())
        .filter(|_| *palette != Palette::mono());
    match colour {
        Some(colour) => Style::new()
            .bg(colour)
            .fg(Color::Black)
            .add_modifier(Modifier::BOLD),
        None => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
    }
}

/// The status bar's lead: cluster name, security protocol, and READ-ONLY when writes are
/// refused. Empty when no cluster list is known (tests that build a bare `App`).
pub fn badges(app: &App) -> Vec<Span<'static>> {
    let palette = &app.palette;
    let Some(profile) = app.cluster.profiles.current() else {
        return Vec::new();
    };
    let mut spans = Vec::new();
    // A cluster known only by its address (-b) or the demo (its own badge) needs no name.
    let named = profile.name != profile.brokers
        && app.cluster.profiles.demo != Some(app.cluster.profiles.current);
    if named {
        spans.push(Span::styled(
            format!(" {} ", escape_control(&profile.name)),
            badge_style(profile, palette),
        ));
    }
    spans.push(Span::styled(
        format!(" {} ", profile.security()),
        palette.dim(),
    ));
    if profile.read_only.is_some() {
        spans.push(Span::styled(
            " READ-ONLY ",
            palette.warn().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    spans
}

/// The switcher: every cluster with its brokers, security and read-only flag.
pub fn render_switcher(app: &App, frame: &mut Frame, area: Rect) {
    let palette = &app.palette;
    let Some(selected) = app.cluster.profiles.picker else {
        return;
    };
    let list = &app.cluster.profiles.list;
    let height = u16::try_from(list.len())
        .unwrap_or(u16::MAX)
        .saturating_add(4);
    let rect = centered(area, 90, height.min(area.height));
    let inner = popup(
        frame,
        rect,
        "Switch cluster (a number or ↑↓ selects, Enter connects, Esc closes)",
        palette,
    );
    let name_width = list
        .iter()
        .map(|p| unicode_width::UnicodeWidthStr::width(p.name.as_str()))
        .max()
        .unwrap_or(4)
        .min(24);
    let mut lines = Vec::new();
    for (i, profile) in list.iter().enumerate() {
        let marker = if i == app.cluster.profiles.current {
            "●"
        } else {
            " "
        };
        let mut spans = vec![
            Span::styled(format!(" {} ", i + 1), palette.key()),
            Span::raw(format!("{marker} ")),
            Span::styled(
                format!(
                    "{:<name_width$}",
                    escape_control(&profile.name),
                    name_width = name_width
                ),
                badge_style(profile, palette),
            ),
            Span::raw(format!("  {}", escape_control(&profile.brokers))),
            Span::styled(format!("  {}", profile.security()), palette.dim()),
        ];
        if profile.read_only.is_some() {
            spans.push(Span::styled("  read-only", palette.warn()));
        }
        if let Some(problem) = &profile.problem {
            spans.push(Span::styled(
                format!("  ✖ {}", escape_control(problem)),
                palette.error(),
            ));
        }
        let mut line = Line::from(spans);
        if i == selected {
            line = line.style(palette.selected());
        }
        lines.push(line);
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Tails and the feed stop (start them again there); the topic list reloads.",
        palette.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}
