//! Drawing the Brokers tab: the list of brokers, and the selected one's details (what it
//! hosts, its log dirs, its configs).

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::{BrokersTab, Focus};
use crate::kafka::brokers::{BrokerDetail, BrokersSnapshot};
use crate::kafka::model::Connection;
use crate::tabs::topics::view::details::config_entries;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::list_pane::{ListPane, row_style};
use crate::widgets::payload::human_bytes;
use crate::widgets::{spinner, thousands};

/// The list beside the details (wide) or above them.
fn split(body: Rect) -> (Rect, Rect) {
    crate::layout::list_and_details(body, LIST_SHARE)
}

/// The share of the body the list takes: of the width when wide, of the height when not.
const LIST_SHARE: (u16, u16) = (62, 50);

/// Rows available for brokers in the list at this terminal size.
pub fn list_rows(size: (u16, u16)) -> usize {
    crate::layout::list_rows(size, LIST_SHARE)
}

/// The Brokers tab as a widget over borrowed state.
pub struct BrokersView<'a> {
    pub tab: &'a BrokersTab,
    pub connection: &'a Connection,
    pub ticks: u64,
    pub palette: &'a Palette,
}

impl Widget for BrokersView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (list, details) = split(area);
        self.render_list(list, buf);
        self.render_details(details, buf);
    }
}

impl BrokersView<'_> {
    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let focused = tab.focus == Focus::List;
        let pane = ListPane {
            title: tab.brokers.loaded().map(title),
            plain_title: "Brokers",
            refresh_error: tab.refresh_error.as_deref(),
            warning: tab
                .brokers
                .loaded()
                .and_then(|s| s.warnings.first())
                .map(String::as_str),
            loading: format!(
                "asking {} for its brokers…",
                escape_control(self.connection.address())
            ),
            failed: "Could not describe the brokers",
            focused,
        };
        let Some((inner, snapshot)) =
            pane.render(&tab.brokers, spinner(self.ticks), palette, area, buf)
        else {
            return;
        };
        let rows_fit = usize::from(inner.height.saturating_sub(1)).max(1);
        let offset = crate::tabs::topics::scrolled_offset(0, tab.selected, rows_fit);
        let rows = snapshot
            .brokers
            .iter()
            .enumerate()
            .skip(offset)
            .take(rows_fit)
            .map(|(i, broker)| {
                broker_row(broker, palette).style(row_style(i == tab.selected, focused, palette))
            });
        let header = Row::new([
            "ID", "ADDRESS", "RACK", "ROLE", "STATE", "LEADS", "URP", "LOG SIZE",
        ])
        .style(palette.header());
        Table::new(
            rows,
            [
                Constraint::Length(4),
                Constraint::Fill(3),
                Constraint::Fill(1),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Length(6),
                Constraint::Length(4),
                Constraint::Length(9),
            ],
        )
        .header(header)
        .render(inner, buf);
    }

    fn render_details(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let Some(broker) = tab.selected_broker() else {
            Block::bordered()
                .border_style(palette.border(false))
                .title(" Details ")
                .render(area, buf);
            return;
        };
        let block = Block::bordered()
            .border_style(palette.border(tab.focus == Focus::Details))
            .title(format!(" broker {} ", broker.id))
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = details_lines(broker, palette);
        let max_scroll = lines.len().saturating_sub(usize::from(inner.height));
        let scroll = u16::try_from(tab.details_scroll.min(max_scroll)).unwrap_or(u16::MAX);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(inner, buf);
    }
}

/// " Brokers 3 · controller 1 · cluster ID ".
fn title(snapshot: &BrokersSnapshot) -> String {
    let mut title = format!(" Brokers {} ", snapshot.brokers.len());
    if let Some(controller) = snapshot.controller {
        let _ = write!(title, "· controller {controller} ");
    }
    let down = snapshot.brokers.iter().filter(|b| !b.reachable).count();
    if down > 0 {
        let _ = write!(title, "· {down} unreachable ");
    }
    title
}

fn broker_row(broker: &BrokerDetail, palette: &Palette) -> Row<'static> {
    let text = |s: Option<&str>| escape_control(s.unwrap_or("-")).into_owned();
    let state = if broker.reachable {
        Cell::from(Span::styled("up", palette.ok()))
    } else {
        Cell::from(Span::styled("unreachable", palette.error()))
    };
    let urp = if broker.under_replicated > 0 {
        Cell::from(Span::styled(
            format!("{:>3}", broker.under_replicated),
            palette.error(),
        ))
    } else {
        Cell::from("  0")
    };
    Row::new(vec![
        Cell::from(format!("{:>3}", broker.id)),
        Cell::from(text(broker.address.as_deref())),
        Cell::from(text(broker.rack.as_deref())),
        Cell::from(if broker.controller { "controller" } else { "" }),
        state,
        Cell::from(format!("{:>6}", thousands(broker.leader_of as u64))),
        urp,
        Cell::from(format!(
            "{:>9}",
            broker.log_bytes().map_or_else(|| "?".into(), human_bytes)
        )),
    ])
}

fn details_lines(broker: &BrokerDetail, palette: &Palette) -> Vec<Line<'static>> {
    let dim = palette.dim();
    let mut head = vec![Span::raw(
        escape_control(broker.address.as_deref().unwrap_or("address unknown")).into_owned(),
    )];
    if let Some(rack) = &broker.rack {
        head.push(Span::styled(" · rack ", dim));
        head.push(Span::raw(escape_control(rack).into_owned()));
    }
    if broker.controller {
        head.push(Span::styled(" · controller", palette.key()));
    }
    head.push(Span::styled(" · ", dim));
    head.push(if broker.reachable {
        Span::styled("up", palette.ok())
    } else {
        Span::styled("unreachable", palette.error())
    });
    let mut lines = vec![
        Line::from(head),
        Line::from(vec![
            Span::styled("leads ", dim),
            Span::raw(thousands(broker.leader_of as u64)),
            Span::styled(" · hosts ", dim),
            Span::raw(thousands(broker.replicas as u64)),
            Span::styled(" replicas · under-replicated ", dim),
            Span::styled(
                thousands(broker.under_replicated as u64),
                if broker.under_replicated > 0 {
                    palette.error()
                } else {
                    Style::new()
                },
            ),
            Span::styled(" · offline ", dim),
            Span::raw(thousands(broker.offline as u64)),
        ]),
        Line::raw(""),
        Line::styled("Log dirs", palette.header()),
    ];
    match &broker.log_dirs {
        Err(reason) => lines.push(Line::styled(
            format!("not available: {}", escape_control(reason)),
            dim,
        )),
        Ok(dirs) if dirs.is_empty() => lines.push(Line::styled("none reported", dim)),
        Ok(dirs) => {
            for dir in dirs {
                let mut spans = vec![
                    Span::raw(escape_control(&dir.path).into_owned()),
                    Span::styled("  ", dim),
                    Span::raw(human_bytes(dir.bytes)),
                    Span::styled(
                        format!(" in {} partitions", thousands(dir.partitions as u64)),
                        dim,
                    ),
                ];
                if let (Some(usable), Some(total)) = (dir.usable_bytes, dir.total_bytes) {
                    spans.push(Span::styled(
                        format!(" · {} free of {}", human_bytes(usable), human_bytes(total)),
                        dim,
                    ));
                }
                if let Some(error) = &dir.error {
                    spans.push(Span::styled(
                        format!(" · offline: {}", escape_control(error)),
                        palette.error(),
                    ));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Configs", palette.header()));
    match &broker.configs {
        Err(reason) => lines.push(Line::styled(
            format!("not available: {}", escape_control(reason)),
            dim,
        )),
        Ok(entries) if entries.is_empty() => {
            lines.push(Line::styled("the broker returned no configs", dim));
        }
        Ok(entries) => config_entries(&mut lines, entries, palette),
    }
    lines
}
