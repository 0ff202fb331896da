//! Drawing the Tail tab: a header (topic, position, rates, lag, buffer, filter) and the
//! record table. Only the visible rows are formatted.

use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, Widget, Wrap};

use super::detail::{DetailView, format_time};
use super::{TailStatus, TailTab};
use crate::kafka::model::Record;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::payload::{human_bytes, preview, schema_preview};
use crate::widgets::{spinner, thousands};

/// Header lines above the table: topic, rates, status, filter.
const HEADER: u16 = 4;

/// Table rows that fit in the body (borders and the column header off).
pub fn table_rows(size: (u16, u16)) -> usize {
    let body = crate::layout::body_area(Rect::new(0, 0, size.0, size.1));
    usize::from(body.height.saturating_sub(HEADER + 3))
}

pub struct TailView<'a> {
    pub tab: &'a TailTab,
    pub ticks: u64,
    pub tz: &'a TimeZone,
    pub palette: &'a Palette,
}

impl Widget for TailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let Some(topic) = tab.topic.as_deref() else {
            Paragraph::new(vec![
                Line::raw("No topic chosen."),
                Line::raw(""),
                Line::styled(
                    "Pick one in Topics (1) and press Enter, or start ktui with --topic NAME.",
                    palette.dim(),
                ),
            ])
            .block(
                Block::bordered()
                    .border_style(palette.border(true))
                    .title(" Tail "),
            )
            .render(area, buf);
            return;
        };
        if let Some(detail) = &tab.detail {
            DetailView {
                detail,
                topic,
                tz: self.tz,
                palette,
            }
            .render(area, buf);
            return;
        }
        let [header, table] =
            Layout::vertical([Constraint::Length(HEADER), Constraint::Min(1)]).areas(area);
        self.render_header(topic, header, buf);
        self.render_table(topic, table, buf);
    }
}

impl TailView<'_> {
    fn render_header(&self, topic: &str, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let dim = palette.dim();
        let spec = tab.spec.as_ref();
        let partitions = match (&tab.status, spec.and_then(|s| s.partitions.as_ref())) {
            (TailStatus::Running { partitions }, _) => list(partitions),
            (_, Some(p)) => list(p),
            _ => "all".into(),
        };
        let from = match spec.and_then(|s| s.read_as.as_deref()) {
            // Reading as a group: its committed offsets, without joining it.
            Some(group) => vec![
                Span::styled(" · from group ", dim),
                Span::raw(escape_control(group).into_owned()),
                Span::styled("'s committed offsets (not joining)", dim),
            ],
            None => vec![
                Span::styled(" · from ", dim),
                Span::raw(spec.map_or_else(String::new, |s| s.start.to_string())),
            ],
        };
        let mut first = vec![Span::styled(
            escape_control(topic).into_owned(),
            palette.title(),
        )];
        first.extend(from);
        first.extend([Span::styled(" · partitions ", dim), Span::raw(partitions)]);
        if let Some(group) = spec.and_then(|s| s.group.as_deref()) {
            first.push(Span::styled(" · group ", dim));
            first.push(Span::raw(escape_control(group).into_owned()));
        }
        let (rps, bps) = tab.rate.per_second();
        let behind: i64 = tab.lag.iter().map(|l| l.behind).sum();
        let mut second = vec![
            Span::raw(format!("{} msg/s", thousands(rps))),
            Span::styled(" · ", dim),
            Span::raw(format!("{}/s", human_bytes(bps))),
            Span::styled(" · behind ", dim),
            Span::styled(
                thousands(u64::try_from(behind).unwrap_or(0)),
                if behind > 0 {
                    palette.warn()
                } else {
                    Style::new()
                },
            ),
        ];
        if !tab.lag.is_empty() && tab.lag.len() <= 8 {
            let per: Vec<String> = tab
                .lag
                .iter()
                .map(|l| format!("p{}:{}", l.partition, l.behind))
                .collect();
            second.push(Span::styled(format!(" ({})", per.join(" ")), dim));
        }
        second.push(Span::styled(" · buffer ", dim));
        second.push(Span::raw(format!(
            "{} / {}",
            thousands(tab.buffer.len() as u64),
            human_bytes(tab.buffer.bytes() as u64)
        )));
        if tab.buffer.evicted > 0 {
            second.push(Span::styled(
                format!(" · {} evicted", thousands(tab.buffer.evicted)),
                palette.warn(),
            ));
        }
        let third = self.status_line();
        let fourth = self.filter_line();
        let [text, spark] = Layout::horizontal([
            Constraint::Min(20),
            // The sparkline gives way on narrow terminals.
            Constraint::Length(if area.width >= 90 { 24 } else { 0 }),
        ])
        .areas(area);
        // One line each: a wrapped line would push the filter's error out of sight.
        Paragraph::new(vec![Line::from(first), Line::from(second), third, fourth])
            .render(text, buf);
        let history = tab.rate.history(usize::from(spark.width));
        Sparkline::default()
            .data(&history)
            .style(palette.accent())
            .render(spark, buf);
    }

    fn status_line(&self) -> Line<'static> {
        let tab = self.tab;
        let palette = self.palette;
        let mut spans = Vec::new();
        match &tab.status {
            TailStatus::Idle => {}
            TailStatus::Starting => spans.push(Span::styled(
                format!("{} starting…", spinner(self.ticks)),
                palette.warn(),
            )),
            TailStatus::Failed(reason) => spans.push(Span::styled(
                format!("✖ {}", escape_control(reason)),
                palette.error(),
            )),
            TailStatus::Running { .. } if let Some(search) = &tab.search => {
                spans.extend(search.spans(palette));
                if tab.paused {
                    spans.push(Span::styled(" · ⏸ view paused", palette.warn()));
                }
            }
            TailStatus::Running { .. } if tab.paused => spans.push(Span::styled(
                format!(
                    "⏸ PAUSED · {} new since (Space resumes)",
                    thousands(tab.since_pause)
                ),
                palette.warn().bold(),
            )),
            TailStatus::Running { .. } => spans.push(Span::styled("● live", palette.ok())),
        }
        if let Some(warning) = &tab.warning {
            spans.push(Span::styled(
                format!(" · ⚠ {}", escape_control(warning)),
                palette.warn(),
            ));
        }
        Line::from(spans)
    }

    fn filter_line(&self) -> Line<'static> {
        let tab = self.tab;
        let palette = self.palette;
        let mut spans = Vec::new();
        if tab.filter_editing || tab.filter.is_some() || !tab.filter_input.is_empty() {
            // The text as typed: `/re/` is a regex, so no `/` of our own before it.
            spans.push(Span::styled("filter ", palette.dim()));
            spans.extend(
                tab.filter_input
                    .line(tab.filter_editing, Style::new())
                    .spans,
            );
            if tab.filter_editing && tab.filter_input.is_empty() {
                spans.push(Span::styled(
                    " text, /regex/ or a jq expression (.a == 1)",
                    palette.dim(),
                ));
            }
            if let Some(filter) = &tab.filter {
                spans.push(Span::styled(
                    format!(
                        " ({}: {} of {} matched)",
                        filter.kind(),
                        thousands(tab.buffer.matched),
                        thousands(tab.buffer.scanned)
                    ),
                    palette.dim(),
                ));
            }
            if let Some(error) = &tab.filter_error {
                spans.push(Span::styled(
                    format!("  {}", escape_control(error)),
                    palette.error(),
                ));
            }
        }
        Line::from(spans)
    }

    fn render_table(&self, topic: &str, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let plural = |n: usize| if n == 1 { "record" } else { "records" };
        let title = if tab.buffer.is_filtered() {
            format!(
                " {} of {} {} ",
                thousands(tab.view_len() as u64),
                thousands(tab.buffer.len() as u64),
                plural(tab.buffer.len())
            )
        } else {
            // While paused, the rows shown (the ones that arrived since are counted above).
            format!(
                " {} {} ",
                thousands(tab.view_len() as u64),
                plural(tab.view_len())
            )
        };
        let block = Block::bordered()
            .border_style(palette.border(true))
            .title(title)
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let rows_fit = usize::from(inner.height.saturating_sub(1));
        let len = tab.view_len();
        if len == 0 {
            let text = match &tab.status {
                TailStatus::Running { .. }
                    if tab.buffer.is_filtered() && !tab.buffer.is_empty() =>
                {
                    "No record in the buffer matches the filter.".to_string()
                }
                TailStatus::Running { .. } => format!(
                    "Waiting for records on {} … (o changes where to start, e.g. beginning)",
                    escape_control(topic)
                ),
                _ => String::new(),
            };
            Paragraph::new(Line::styled(text, palette.dim()))
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            return;
        }
        let selected = tab.selected_row().unwrap_or(len - 1);
        let top = if tab.selected.is_none() {
            len.saturating_sub(rows_fit)
        } else {
            crate::tabs::topics::scrolled_offset(tab.buffer.row_of(tab.top), selected, rows_fit)
        };
        let columns = Columns::for_width(inner.width);
        let rows = (top..len.min(top + rows_fit)).filter_map(|row| {
            let record = tab.buffer.get(tab.buffer.seq_at(row)?)?;
            let style = if row == selected && tab.paused {
                palette.selected()
            } else {
                Style::new()
            };
            Some(columns.row(record, self.tz, palette).style(style))
        });
        Table::new(rows, columns.widths())
            .header(columns.header().style(palette.header()))
            .render(inner, buf);
    }
}

/// The table's columns for a width: narrow terminals drop the size column and shorten
/// time, offset and key.
struct Columns {
    wide: bool,
    time: usize,
    offset: usize,
    key: usize,
    value: usize,
}

impl Columns {
    fn for_width(width: u16) -> Self {
        let wide = width >= 90;
        let (time, offset, key) = if wide { (12, 9, 18) } else { (8, 7, 10) };
        let fixed = time + 3 + offset + key + if wide { 8 } else { 0 } + 5;
        Self {
            wide,
            time,
            offset,
            key,
            value: usize::from(width).saturating_sub(fixed).max(10),
        }
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut widths = vec![
            Constraint::Length(self.time as u16),
            Constraint::Length(3),
            Constraint::Length(self.offset as u16),
            Constraint::Length(self.key as u16),
            Constraint::Fill(1),
        ];
        if self.wide {
            widths.push(Constraint::Length(8));
        }
        widths
    }

    fn header(&self) -> Row<'static> {
        let mut header = vec![
            "TIME".to_string(),
            "  P".into(),
            format!("{:>w$}", "OFFSET", w = self.offset),
            "KEY".into(),
            "VALUE".into(),
        ];
        if self.wide {
            header.push("    SIZE".into());
        }
        Row::new(header)
    }

    fn row(&self, r: &Record, tz: &TimeZone, palette: &Palette) -> Row<'static> {
        let value = if r.value.is_none() {
            Cell::from(Span::styled("∅ tombstone", palette.warn()))
        } else {
            match schema_preview(r.value_schema(), self.value) {
                Some((why, true)) => Cell::from(Span::styled(why, palette.warn())),
                Some((json, false)) => Cell::from(json),
                None => Cell::from(preview(r.value.as_deref(), self.value)),
            }
        };
        let time = r.timestamp.map_or_else(
            || "-".to_string(),
            |ms| format_time(ms, tz, false).chars().take(self.time).collect(),
        );
        let key = match schema_preview(r.key_schema(), self.key) {
            Some((text, _)) => text,
            None => r
                .key
                .as_deref()
                .map_or_else(String::new, |k| preview(Some(k), self.key)),
        };
        let mut cells = vec![
            Cell::from(time),
            Cell::from(format!("{:>3}", r.partition)),
            Cell::from(format!("{:>w$}", r.offset, w = self.offset)),
            Cell::from(key),
            value,
        ];
        if self.wide {
            cells.push(Cell::from(format!("{:>8}", human_bytes(r.size() as u64))));
        }
        Row::new(cells)
    }
}

fn list(partitions: &[i32]) -> String {
    if partitions.len() > 12 {
        return format!("{} partitions", partitions.len());
    }
    partitions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
