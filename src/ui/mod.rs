//! Drawing. `render` is a function of `&App`: no I/O, no sends, no mutation.
//! The frame: tab bar | body | status bar | hint bar, then overlays (dialogs, help, toasts).

pub mod clusters;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Tabs, Wrap};

use crate::app::{App, Level, Tab};
use crate::kafka::model::Connection;
use crate::layout::frame_areas;
use crate::tabs;
use crate::tabs::topics::TopicsView;
use crate::text::escape_control;
use crate::widgets::spinner;

pub fn render(app: &App, frame: &mut Frame) {
    let palette = &app.palette;
    let [tabs_area, body, status, hints] = frame_areas(frame.area());
    render_tab_bar(app, frame, tabs_area);
    match app.tab {
        Tab::Topics => frame.render_widget(
            TopicsView {
                tab: &app.topics,
                connection: &app.cluster.connection,
                ticks: app.ticks,
                palette,
            },
            body,
        ),
        Tab::Tail => frame.render_widget(
            tabs::tail::TailView {
                tab: &app.tail,
                ticks: app.ticks,
                tz: &app.tz,
                palette,
            },
            body,
        ),
        Tab::Compose => tabs::compose::ComposeView {
            tab: &app.compose,
            snapshot: app.topics.snapshot.loaded(),
            tz: &app.tz,
            palette,
        }
        .render(frame, body),
        Tab::Feed => frame.render_widget(
            tabs::feed::FeedView {
                tab: &app.feed,
                tz: &app.tz,
                palette,
            },
            body,
        ),
        Tab::Groups => frame.render_widget(
            tabs::groups::GroupsView {
                tab: &app.groups,
                connection: &app.cluster.connection,
                ticks: app.ticks,
                palette,
            },
            body,
        ),
        Tab::Brokers => frame.render_widget(
            tabs::brokers::BrokersView {
                tab: &app.brokers,
                connection: &app.cluster.connection,
                ticks: app.ticks,
                palette,
            },
            body,
        ),
        Tab::Schemas => frame.render_widget(
            tabs::schemas::SchemasView {
                tab: &app.schemas,
                topics: app.topics.topics(),
                ticks: app.ticks,
                palette,
            },
            body,
        ),
    }
    render_status(app, frame, status);
    render_hints(app, frame, hints);
    if app.tab == Tab::Topics {
        tabs::topics::render_dialog(frame, &app.topics, body, app.ticks, palette);
    }
    if app.tab == Tab::Groups {
        tabs::groups::render_dialog(frame, &app.groups, body, app.ticks, palette);
    }
    if let (Tab::Tail, Some(form)) = (app.tab, &app.tail.options) {
        tabs::tail::options::render(frame, form, body, palette);
    }
    if let (Tab::Feed, Some(rules)) = (app.tab, &app.feed.rules) {
        tabs::feed::rules::render(frame, rules, body, app.ticks, palette);
    }
    clusters::render_switcher(app, frame, body);
    if app.help_open {
        crate::widgets::help::render(frame, body, &app.keymap, app.help_scroll, palette);
    }
    render_toasts(app, frame, body);
}

fn render_tab_bar(app: &App, frame: &mut Frame, area: Rect) {
    let palette = &app.palette;
    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()));
    let brand = " ktui ";
    let [tabs_area, brand_area] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(brand.len() as u16)])
            .areas(area);
    frame.render_widget(
        Tabs::new(titles)
            .select(app.tab.index())
            .style(palette.dim())
            .highlight_style(palette.title().add_modifier(Modifier::REVERSED))
            .divider("│"),
        tabs_area,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(brand, palette.title())),
        brand_area,
    );
}

/// The connection state, always visible.
pub fn status_line(app: &App) -> Line<'static> {
    let palette = &app.palette;
    let mut spans = match &app.cluster.connection {
        Connection::Connecting { address } => vec![Span::styled(
            format!(
                "{} connecting to {}…",
                spinner(app.ticks),
                escape_control(address)
            ),
            palette.warn(),
        )],
        Connection::Connected {
            address,
            brokers,
            cluster_id,
            unreachable,
        } => {
            let mut spans = vec![
                Span::styled("● connected", palette.ok()),
                Span::raw(format!(
                    " {} · {brokers} broker{}",
                    escape_control(address),
                    if *brokers == 1 { "" } else { "s" }
                )),
            ];
            if !unreachable.is_empty() {
                spans.push(Span::styled(
                    format!(
                        " · ✖ broker{} {} unreachable",
                        if unreachable.len() == 1 { "" } else { "s" },
                        escape_control(&unreachable.join(", "))
                    ),
                    palette.error(),
                ));
            }
            if let Some(id) = cluster_id {
                spans.push(Span::styled(
                    format!(" · cluster {}", escape_control(id)),
                    palette.dim(),
                ));
            }
            spans
        }
        Connection::Unreachable { address, reason } => vec![Span::styled(
            format!(
                "✖ unreachable {}: {}",
                escape_control(address),
                escape_control(reason)
            ),
            palette.error(),
        )],
    };
    let on_demo = app.cluster.demo_address.is_some() && app.cluster.profiles.on_demo();
    if let Some(demo) = app.cluster.demo_address.as_ref().filter(|_| on_demo) {
        spans.insert(
            0,
            Span::styled(
                format!(" DEMO cluster at {} ", escape_control(demo)),
                palette.accent().add_modifier(Modifier::REVERSED),
            ),
        );
        spans.insert(1, Span::raw(" "));
    }
    let badges = clusters::badges(app);
    let at = if on_demo { 2 } else { 0 };
    spans.splice(at..at, badges);
    Line::from(spans)
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(Paragraph::new(status_line(app)), area);
}

/// The keys that matter in the current view.
pub fn hint_line(app: &App) -> Line<'static> {
    let palette = &app.palette;
    // Every mode is a keymap context: the hints are its bindings, nothing else.
    let pairs = keymap_hints(app);
    let mut spans = Vec::new();
    for (keys, desc) in pairs {
        spans.push(Span::styled(format!(" {keys}"), palette.key()));
        spans.push(Span::styled(format!(" {desc} "), palette.dim()));
    }
    Line::from(spans)
}

/// The hint bar's entries of the keymap contexts in force.
fn keymap_hints(app: &App) -> Vec<(String, String)> {
    app.keymap
        .hints(&app.contexts())
        .into_iter()
        .map(|b| (b.keys_label(), b.hint.clone().unwrap_or_default()))
        .collect()
}

fn render_hints(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(Paragraph::new(hint_line(app)), area);
}

/// Toasts stack upwards from the body's bottom edge, newest lowest, right-aligned: over
/// the panes' bottom border first, never over a table's header row at the top.
fn render_toasts(app: &App, frame: &mut Frame, area: Rect) {
    let palette = &app.palette;
    let mut bottom = area.bottom();
    for toast in app.toasts.iter().rev().take(3) {
        if bottom <= area.y {
            break;
        }
        // As wide as the text (a file name must show whole), within the screen; a long
        // notice (a config error) wraps onto up to four lines.
        let text = escape_control(&toast.text);
        let text_width = unicode_width::UnicodeWidthStr::width(text.as_ref());
        let wanted = u16::try_from(text_width + 2).unwrap_or(u16::MAX);
        let width = wanted.max(20).min(area.width.saturating_sub(2));
        let room = usize::from(width.saturating_sub(2)).max(1);
        let lines = u16::try_from(text_width.div_ceil(room).clamp(1, 4)).unwrap_or(1);
        let height = lines.min(bottom - area.y);
        let y = bottom - height;
        let rect = Rect::new(area.right().saturating_sub(width + 1), y, width, height);
        let style = match toast.level {
            Level::Info => palette.toast_info(),
            Level::Warn => palette.toast_warn(),
            Level::Error => palette.toast_error(),
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(format!(" {text} "))
                .style(style)
                .wrap(Wrap { trim: false }),
            rect,
        );
        bottom = y;
    }
}
