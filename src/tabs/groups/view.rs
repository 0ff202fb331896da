//! Drawing the Groups tab: the list with each group's lag history, the empty and error
//! states, and (below the list) the open group's details. Only visible rows are
//! formatted. The details pane is in `view/details.rs`, the dialogs in `view/dialog.rs`.

mod details;
mod dialog;

pub use details::details_rows;
pub use dialog::render_dialog;

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::pace::{HIDDEN_FLOOR_MS, SHOWN_FLOOR_MS, sparkline};
use super::{GroupSort, GroupsTab};
use crate::kafka::groups::GroupSummary;
use crate::kafka::model::Connection;
use crate::loadable::Loadable;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::{spinner, thousands};

/// Samples drawn in the list's trend column.
const TREND: u16 = 12;

/// The list's area and, with a group open, the details' below it.
fn split(body: Rect, details_open: bool) -> (Rect, Option<Rect>) {
    if !details_open {
        return (body, None);
    }
    let [list, details] =
        Layout::vertical([Constraint::Percentage(38), Constraint::Percentage(62)]).areas(body);
    (list, Some(details))
}

/// Rows available for groups in the list at this terminal size (borders and header off).
pub fn list_rows(size: (u16, u16), details_open: bool) -> usize {
    let body = crate::layout::body_area(Rect::new(0, 0, size.0, size.1));
    let (list, _) = split(body, details_open);
    usize::from(list.height.saturating_sub(3))
}

/// The Groups tab as a widget over borrowed state.
pub struct GroupsView<'a> {
    pub tab: &'a GroupsTab,
    pub connection: &'a Connection,
    pub ticks: u64,
    pub palette: &'a Palette,
}

impl Widget for GroupsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (list, details) = split(area, self.tab.details.is_some());
        self.render_list(list, buf);
        if let (Some(area), Some(open)) = (details, &self.tab.details) {
            details::DetailsView {
                details: open,
                history: &self.tab.history,
                ticks: self.ticks,
                palette: self.palette,
            }
            .render(area, buf);
        }
    }
}

/// A state's colour: stable is good, rebalancing is a warning, dead an error.
pub(super) fn state_style(state: &str, palette: &Palette) -> Style {
    match state {
        "Stable" => palette.ok(),
        "Empty" => palette.dim(),
        "Dead" | "Unknown" => palette.error(),
        _ => palette.warn(),
    }
}

/// The topics cell: the first topic, and how many more.
fn topics_cell(topics: &[String]) -> String {
    match topics {
        [] => "—".into(),
        [one] => escape_control(one).into_owned(),
        [first, rest @ ..] => format!("{} +{}", escape_control(first), rest.len()),
    }
}

pub(super) fn lag_text(lag: Option<i64>) -> String {
    lag.map_or_else(|| "—".into(), |l| thousands(l.unsigned_abs()))
}

impl GroupsView<'_> {
    fn title(&self) -> String {
        let tab = self.tab;
        let (total, internal) = tab.counts();
        let mut title = format!(" Groups {}/{} ", tab.visible_len(), total);
        if !tab.show_internal && internal > 0 {
            let _ = write!(title, "({internal} internal hidden) ");
        }
        if let Some(topic) = &tab.topic {
            let _ = write!(title, "consuming {} ", escape_control(topic));
        }
        title
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let focused = tab.details.is_none();
        let order = match tab.sort {
            GroupSort::Lag => "lag ↓",
            GroupSort::Name => "name ↑",
        };
        let mut block = Block::bordered()
            .border_style(palette.border(focused))
            .title(self.title())
            .title_style(palette.title())
            .title_top(Line::styled(format!(" sort: {order} "), palette.dim()).right_aligned());
        if tab.filter_editing || !tab.filter.is_empty() {
            let mut spans = vec![Span::styled(" / ", palette.key())];
            spans.extend(tab.filter.line(tab.filter_editing, Style::new()).spans);
            spans.push(Span::raw(" "));
            block = block.title_bottom(Line::from(spans));
        } else if let Some(error) = &tab.refresh_error {
            block = block.title_bottom(Line::styled(
                format!(
                    " stale: the last refresh failed: {} ",
                    escape_control(error)
                ),
                palette.error(),
            ));
        } else if let Some(warning) = tab.groups.loaded().and_then(|s| s.warnings.first()) {
            block = block.title_bottom(Line::styled(
                format!(" partial: {} ", escape_control(warning)),
                palette.warn(),
            ));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if let Some(message) = self.message() {
            Paragraph::new(message)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            return;
        }
        self.render_table(inner, buf);
    }

    /// What the list says instead of rows: loading, the error, or why it is empty.
    fn message(&self) -> Option<Vec<Line<'static>>> {
        let tab = self.tab;
        let palette = self.palette;
        let dim = |text: String| Line::styled(text, palette.dim());
        Some(match &tab.groups {
            Loadable::Idle | Loadable::Loading => vec![Line::styled(
                format!(
                    "{} listing consumer groups on {}…",
                    spinner(self.ticks),
                    escape_control(self.connection.address())
                ),
                palette.warn(),
            )],
            Loadable::Failed(reason) => vec![
                Line::styled(
                    format!("Could not list consumer groups: {}", escape_control(reason)),
                    palette.error(),
                ),
                Line::raw(""),
                dim(format!(
                    "ktui asks again every {} s or so while this tab is open.",
                    SHOWN_FLOOR_MS.max(tab.listing.took_ms().unwrap_or(0) * 4) / 1_000
                )),
            ],
            Loadable::Loaded(_) if tab.visible_len() > 0 => return None,
            Loadable::Loaded(snapshot) if snapshot.groups.is_empty() => vec![
                Line::raw("No consumer groups on this cluster."),
                Line::raw(""),
                dim("A group shows here once a consumer joins one or commits offsets.".into()),
            ],
            Loadable::Loaded(_) if !tab.filter.is_empty() => vec![dim(format!(
                "No group matches “{}”. Esc clears the filter.",
                escape_control(tab.filter.value())
            ))],
            Loadable::Loaded(_) if tab.topic.is_some() => vec![dim(format!(
                "No group consumes {}. Esc shows every group.",
                escape_control(tab.topic.as_deref().unwrap_or_default())
            ))],
            Loadable::Loaded(_) => vec![dim(format!(
                "Only internal groups ({}): press i to show them.",
                tab.counts().1
            ))],
        })
    }

    fn render_table(&self, inner: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let wide = inner.width >= 96;
        let rows_fit = usize::from(inner.height.saturating_sub(1));
        let offset = crate::tabs::topics::scrolled_offset(tab.offset, tab.selected, rows_fit);
        let focused = tab.details.is_none();
        let rows = (offset..tab.visible_len().min(offset + rows_fit)).filter_map(|i| {
            let group = tab.visible_group(i)?;
            let style = match (i == tab.selected, focused) {
                (true, true) => palette.selected(),
                (true, false) => palette.selected_unfocused(),
                (false, _) => Style::new(),
            };
            let trend = sparkline(&tab.history.last(&group.name, usize::from(TREND)));
            Some(group_row(group, trend, wide, palette).style(style))
        });
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
            (
                vec![
                    "GROUP", "TYPE", "STATE", "ASSIGNOR", "MEMBERS", "TOPICS", "LAG", "TREND",
                ],
                vec![
                    Constraint::Fill(1),
                    Constraint::Length(12),
                    Constraint::Length(11),
                    Constraint::Length(8),
                    Constraint::Length(7),
                    Constraint::Fill(1),
                    Constraint::Length(10),
                    Constraint::Length(TREND),
                ],
            )
        } else {
            (
                vec!["GROUP", "STATE", "MEMBERS", "LAG", "TREND"],
                vec![
                    Constraint::Fill(1),
                    Constraint::Length(11),
                    Constraint::Length(7),
                    Constraint::Length(10),
                    Constraint::Length(TREND),
                ],
            )
        };
        Table::new(rows, widths)
            .header(Row::new(header).style(palette.header()))
            .render(inner, buf);
    }
}

fn group_row(group: &GroupSummary, trend: String, wide: bool, palette: &Palette) -> Row<'static> {
    let name = if group.error.is_some() {
        Cell::from(Span::styled(
            format!("{} !", escape_control(&group.name)),
            palette.warn(),
        ))
    } else {
        Cell::from(escape_control(&group.name).into_owned())
    };
    let state = Cell::from(Span::styled(
        escape_control(&group.state).into_owned(),
        state_style(&group.state, palette),
    ));
    let lag = Cell::from(Span::styled(
        format!("{:>10}", lag_text(group.lag)),
        if group.lag.unwrap_or(0) > 0 {
            palette.warn()
        } else {
            Style::new()
        },
    ));
    let members = Cell::from(format!(
        "{:>7}",
        group.members.map_or_else(|| "?".into(), |n| n.to_string())
    ));
    let trend = Cell::from(Span::styled(trend, palette.accent()));
    if !wide {
        return Row::new(vec![name, state, members, lag, trend]);
    }
    Row::new(vec![
        name,
        Cell::from(group.kind.name().to_string()),
        state,
        Cell::from(
            group
                .protocol
                .as_deref()
                .map_or_else(|| "—".into(), |p| escape_control(p).into_owned()),
        ),
        members,
        Cell::from(topics_cell(&group.topics)),
        lag,
        trend,
    ])
}

/// The pause between two listings, in words, for the details pane's footnote.
pub(super) fn cadence(took_ms: Option<u64>, shown: bool) -> String {
    let floor = if shown {
        SHOWN_FLOOR_MS
    } else {
        HIDDEN_FLOOR_MS
    };
    let pause = super::pace::Pace::pause_ms(floor, took_ms.unwrap_or(0));
    format!("{} s", pause.div_ceil(1_000))
}
