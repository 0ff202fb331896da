//! Drawing the Topics tab: the list, the details pane, the full "unreachable" view and
//! the dialogs. Only the visible rows are formatted, so thousands of topics stay cheap.
//! The details pane is drawn in `view/details.rs`.

pub(crate) mod details;

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::dialog::{CREATE_FIELDS, FormStatus};
use super::{Dialog, Focus, TopicsTab};
use crate::kafka::model::{Connection, TopicInfo};
use crate::loadable::Loadable;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::{centered, popup, spinner, thousands};

/// Whether the details pane sits beside the list (wide) or below it.
fn split(body: Rect) -> (Rect, Rect) {
    if body.width >= 100 {
        let [list, details] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        (list, details)
    } else {
        let [list, details] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        (list, details)
    }
}

/// Rows available for topics in the list at this terminal size (borders and header off).
pub fn list_rows(size: (u16, u16)) -> usize {
    let body = crate::layout::body_area(Rect::new(0, 0, size.0, size.1));
    let (list, _) = split(body);
    usize::from(list.height.saturating_sub(3))
}

/// The Topics tab as a widget over borrowed state.
pub struct TopicsView<'a> {
    pub tab: &'a TopicsTab,
    pub connection: &'a Connection,
    pub ticks: u64,
    pub palette: &'a Palette,
}

impl Widget for TopicsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        if tab.snapshot.loaded().is_none()
            && let Connection::Unreachable { address, reason } = self.connection
        {
            unreachable_view(address, reason, self.palette, area, buf);
            return;
        }
        let (list, details) = split(area);
        self.render_list(list, buf);
        self.render_details(details, buf);
    }
}

fn unreachable_view(address: &str, reason: &str, palette: &Palette, area: Rect, buf: &mut Buffer) {
    let lines = vec![
        Line::styled("Cannot reach the cluster", palette.error().bold()),
        Line::raw(""),
        Line::from(vec![
            Span::styled("Address  ", palette.dim()),
            Span::raw(escape_control(address).into_owned()),
        ]),
        Line::from(vec![
            Span::styled("Reason   ", palette.dim()),
            Span::raw(escape_control(reason).into_owned()),
        ]),
        Line::raw(""),
        Line::styled(
            "ktui keeps retrying and recovers by itself when the broker is back.",
            palette.dim(),
        ),
        Line::styled(
            "Press r to retry now, q to quit; use -b HOST:PORT for another cluster, or --demo.",
            palette.dim(),
        ),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .border_style(palette.error())
                .title(" Topics ")
                .title_style(palette.title()),
        )
        .render(area, buf);
}

impl TopicsView<'_> {
    /// The list's bottom border: the filter, a failed refresh, or the counting's progress
    /// on the left; the messages in the listed topics on the right, once all are counted.
    fn bottom_titles<'b>(&self, mut block: Block<'b>) -> Block<'b> {
        let tab = self.tab;
        let palette = self.palette;
        if tab.filter_editing || !tab.filter.is_empty() {
            let mut spans = vec![Span::styled(" / ", palette.key())];
            spans.extend(tab.filter.line(tab.filter_editing, Style::new()).spans);
            spans.push(Span::raw(" "));
            block = block.title_bottom(Line::from(spans));
        } else if let Some(error) = &tab.refresh_error {
            block = block.title_bottom(Line::styled(
                format!(
                    " refresh failed (~ counts are stale): {} ",
                    escape_control(error)
                ),
                palette.error(),
            ));
        } else if let Some(counted) = tab.counting {
            block = block.title_bottom(Line::styled(
                format!(
                    " {} counting messages: {} of {} partitions ",
                    spinner(self.ticks),
                    thousands(counted as u64),
                    thousands(tab.countable() as u64)
                ),
                palette.warn(),
            ));
        }
        if let (Some(total), None) = (tab.visible_messages(), &tab.refresh_error) {
            block = block.title_bottom(
                Line::styled(format!(" {} messages ", thousands(total)), palette.dim())
                    .right_aligned(),
            );
        }
        block
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let focused = tab.focus == Focus::List;
        let (total, internal) = tab.counts();
        let order = if tab.descending { "↓" } else { "↑" };
        let mut title = format!(" Topics {}/{} ", tab.visible_len(), total);
        if !tab.show_internal && internal > 0 {
            let _ = write!(title, "({internal} internal hidden) ");
        }
        let mut block = Block::bordered()
            .border_style(palette.border(focused))
            .title(title)
            .title_style(palette.title())
            .title_top(
                Line::styled(
                    format!(" sort: {} {order} ", tab.sort.title()),
                    palette.dim(),
                )
                .right_aligned(),
            );
        block = self.bottom_titles(block);
        let inner = block.inner(area);
        block.render(area, buf);

        let message = match &tab.snapshot {
            Loadable::Idle | Loadable::Loading => Some(Line::styled(
                format!(
                    "{} loading topics from {}…",
                    spinner(self.ticks),
                    escape_control(self.connection.address())
                ),
                palette.warn(),
            )),
            Loadable::Failed(reason) => Some(Line::styled(
                format!("Could not list topics: {}", escape_control(reason)),
                palette.error(),
            )),
            Loadable::Loaded(_) if tab.visible_len() == 0 => Some(if tab.filter.is_empty() {
                Line::styled("No topics. Press n to create one.", palette.dim())
            } else {
                Line::styled(
                    format!(
                        "No topic matches “{}”. Esc clears the filter.",
                        escape_control(tab.filter.value())
                    ),
                    palette.dim(),
                )
            }),
            Loadable::Loaded(_) => None,
        };
        if let Some(message) = message {
            Paragraph::new(message)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            return;
        }

        let rows_fit = usize::from(inner.height.saturating_sub(1));
        let offset = tab.first_row(rows_fit);
        let rows = (offset..tab.visible_len().min(offset + rows_fit)).filter_map(|i| {
            let topic = tab.visible_topic(i)?;
            let style = if i == tab.selected {
                if focused {
                    palette.selected()
                } else {
                    palette.selected_unfocused()
                }
            } else {
                Style::new()
            };
            let count = count_cell(topic, tab.is_stale(topic), tab.counting.is_some());
            Some(topic_row(topic, &count, tab.is_stale(topic), palette).style(style))
        });
        let header = Row::new(["NAME", "PARTS", "RF", "URP", "MESSAGES"]).style(palette.header());
        Table::new(
            rows,
            [
                Constraint::Fill(1),
                Constraint::Length(5),
                Constraint::Length(3),
                Constraint::Length(4),
                Constraint::Length(13),
            ],
        )
        .header(header)
        .render(inner, buf);
    }
}

/// A topic's message count: `~` marks one a later refresh could not confirm, `…` one
/// still being counted (`counting`: the first counts are on their way), `?` one its
/// leaders did not answer.
pub fn count_cell(topic: &TopicInfo, stale: bool, counting: bool) -> String {
    match topic.messages() {
        Some(n) if stale => format!("~{}", thousands(n)),
        Some(n) => thousands(n),
        None if counting && topic.partitions.iter().any(|p| p.leader >= 0) => "…".into(),
        None => "?".into(),
    }
}

fn topic_row(topic: &TopicInfo, count: &str, stale: bool, palette: &Palette) -> Row<'static> {
    let urp = topic.under_replicated();
    let urp_cell = if urp > 0 {
        Cell::from(Span::styled(format!("{urp:>3}"), palette.error()))
    } else {
        Cell::from("  0")
    };
    let name = if topic.error.is_some() {
        Cell::from(Span::styled(
            escape_control(&topic.name).into_owned(),
            palette.error(),
        ))
    } else {
        Cell::from(escape_control(&topic.name).into_owned())
    };
    Row::new(vec![
        name,
        Cell::from(format!("{:>5}", topic.partitions.len())),
        Cell::from(format!("{:>3}", topic.replication_factor())),
        urp_cell,
        Cell::from(Span::styled(
            format!("{count:>13}"),
            if stale { palette.dim() } else { Style::new() },
        )),
    ])
}

/// Draws the open dialog, if any, over `area`.
pub fn render_dialog(
    frame: &mut Frame,
    tab: &TopicsTab,
    area: Rect,
    ticks: u64,
    palette: &Palette,
) {
    match tab.dialog {
        Some(Dialog::Create) => render_create(frame, tab, area, ticks, palette),
        Some(Dialog::Delete) => render_delete(frame, tab, area, ticks, palette),
        None => {}
    }
}

fn status_lines(
    status: &FormStatus,
    ticks: u64,
    busy: &str,
    palette: &Palette,
) -> Vec<Line<'static>> {
    match status {
        FormStatus::Editing => vec![],
        FormStatus::Invalid(problem) => vec![Line::styled(problem.clone(), palette.error())],
        FormStatus::Sending(_) => vec![Line::styled(
            format!("{} {busy}", spinner(ticks)),
            palette.warn(),
        )],
        FormStatus::Refused(error) => vec![
            Line::styled(
                format!(
                    "Refused: {} ({})",
                    escape_control(&error.code),
                    escape_control(&error.message)
                ),
                palette.error(),
            ),
            Line::styled(
                escape_control(&error.explanation).into_owned(),
                palette.error(),
            ),
        ],
    }
}

fn render_create(frame: &mut Frame, tab: &TopicsTab, area: Rect, ticks: u64, palette: &Palette) {
    let form = &tab.create;
    let mut lines = Vec::new();
    for (i, label) in CREATE_FIELDS.iter().enumerate() {
        lines.push(crate::widgets::form_field(
            label,
            12,
            &form.fields[i],
            form.focus == i,
            palette,
        ));
    }
    lines.push(Line::styled(
        "              configs as key=value, comma separated",
        palette.dim(),
    ));
    lines.push(Line::raw(""));
    lines.extend(status_lines(&form.status, ticks, "creating…", palette));
    lines.push(Line::styled(
        "Enter create · Tab next field · Esc close (keeps what you typed)",
        palette.dim(),
    ));
    let rect = centered(area, 70, lines.len() as u16 + 2);
    let inner = popup(frame, rect, "Create topic", palette);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_delete(frame: &mut Frame, tab: &TopicsTab, area: Rect, ticks: u64, palette: &Palette) {
    let form = &tab.delete;
    let name = escape_control(&form.topic).into_owned();
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Delete "),
            Span::styled(name, palette.error().bold()),
            Span::raw(" and all its messages? This cannot be undone."),
        ]),
        Line::raw("Type the topic's name to confirm:"),
    ];
    let mut field = vec![Span::styled("> ", palette.key())];
    field.extend(form.confirm.line(true, Style::new()).spans);
    lines.push(Line::from(field));
    lines.push(Line::raw(""));
    lines.extend(status_lines(&form.status, ticks, "deleting…", palette));
    lines.push(Line::styled("Enter delete · Esc cancel", palette.dim()));
    let rect = centered(area, 70, lines.len() as u16 + 2);
    let inner = popup(frame, rect, "Delete topic", palette);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
