//! The open group's details: its summary, its lag since launch (a sparkline of ktui's
//! own samples), its members with their assignments, and each partition's committed
//! offset, log end, lag, time lag and owner. The partitions scroll with a cursor.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, Widget, Wrap};

use super::{cadence, lag_text, state_style};
use crate::kafka::groups::{GroupDetail, GroupKind, MemberInfo, PartitionLag};
use crate::loadable::Loadable;
use crate::tabs::groups::pace::LagHistory;
use crate::tabs::groups::{Details, time_lag};
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::spinner;

/// Member rows shown at most (the rest are counted).
const MEMBERS: usize = 4;
/// Rows of the lag history chart.
const CHART: u16 = 2;

/// Partition rows visible in the details pane at this terminal size (for paging).
pub fn details_rows(size: (u16, u16)) -> usize {
    let body = crate::layout::body_area(ratatui::layout::Rect::new(0, 0, size.0, size.1));
    let height = body.height - body.height * 38 / 100;
    // Borders, the summary, the chart, the members (header, rows, a gap), the header.
    usize::from(height.saturating_sub(2 + 1 + CHART + 2 + 2 + 1)).max(1)
}

pub(super) struct DetailsView<'a> {
    pub details: &'a Details,
    pub history: &'a LagHistory,
    pub ticks: u64,
    pub palette: &'a Palette,
}

impl Widget for DetailsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let palette = self.palette;
        let details = self.details;
        let mut block = Block::bordered()
            .border_style(palette.border(true))
            .title(format!(" Group {} ", escape_control(&details.group)))
            .title_style(palette.title())
            .title_top(
                Line::styled(
                    format!(
                        " refreshed every {} ",
                        cadence(details.pace.took_ms(), true)
                    ),
                    palette.dim(),
                )
                .right_aligned(),
            );
        if let Some(error) = &details.refresh_error {
            block = block.title_bottom(Line::styled(
                format!(
                    " stale: the last refresh failed: {} ",
                    escape_control(error)
                ),
                palette.error(),
            ));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let detail = match &details.data {
            Loadable::Loaded(detail) => detail,
            Loadable::Idle | Loadable::Loading => {
                Paragraph::new(Line::styled(
                    format!(
                        "{} describing {}…",
                        spinner(self.ticks),
                        escape_control(&details.group)
                    ),
                    palette.warn(),
                ))
                .render(inner, buf);
                return;
            }
            Loadable::Failed(reason) => {
                Paragraph::new(Line::styled(
                    format!(
                        "Could not describe {}: {}",
                        escape_control(&details.group),
                        escape_control(reason)
                    ),
                    palette.error(),
                ))
                .wrap(Wrap { trim: false })
                .render(inner, buf);
                return;
            }
        };
        let members_height = if detail.members.is_empty() {
            1
        } else {
            1 + detail.members.len().min(MEMBERS + 1) as u16
        };
        let [summary, chart, members, _, partitions] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(CHART),
            Constraint::Length(members_height),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);
        Paragraph::new(summary_line(detail, palette)).render(summary, buf);
        self.render_chart(chart, buf);
        if detail.summary.kind == GroupKind::Share {
            Paragraph::new(Line::styled(
                "A share group: members not listed (no ShareGroupDescribe yet); START \
                 OFFSET: where it still hands records out.",
                palette.dim(),
            ))
            .render(members, buf);
        } else {
            render_members(&detail.members, palette, members, buf);
        }
        render_partitions(detail, details.selected, palette, partitions, buf);
    }
}

fn summary_line(detail: &GroupDetail, palette: &Palette) -> Line<'static> {
    let s = &detail.summary;
    let dim = palette.dim();
    let mut spans = vec![
        Span::styled(
            escape_control(&s.state).into_owned(),
            state_style(&s.state, palette),
        ),
        Span::styled(" · ", dim),
        Span::raw(s.kind.name().to_string()),
        Span::styled(" · assignor ", dim),
        Span::raw(
            s.protocol
                .as_deref()
                .map_or_else(|| "—".into(), |p| escape_control(p).into_owned()),
        ),
        Span::styled(" · ", dim),
        Span::raw(match s.members {
            Some(n) => format!("{n} member{}", if n == 1 { "" } else { "s" }),
            None => "members not known".into(),
        }),
        Span::styled(" · lag ", dim),
        Span::raw(lag_text(s.lag)),
    ];
    if let Some(error) = &s.error {
        spans.push(Span::styled(
            format!(" · {}", escape_control(error)),
            palette.warn(),
        ));
    }
    Line::from(spans)
}

impl DetailsView<'_> {
    /// The total lag as sampled since launch: a label, then ratatui's sparkline.
    fn render_chart(&self, area: Rect, buf: &mut Buffer) {
        let palette = self.palette;
        let samples: Vec<u64> = self
            .history
            .of(&self.details.group)
            .map(|(_, lag)| lag.unsigned_abs())
            .collect();
        let [label, chart] =
            Layout::horizontal([Constraint::Length(24), Constraint::Min(1)]).areas(area);
        let peak = samples.iter().copied().max().unwrap_or(0);
        Paragraph::new(vec![
            Line::styled("lag since launch", palette.dim()),
            Line::styled(
                format!(
                    "{} samples, peak {}",
                    samples.len(),
                    lag_text(Some(peak.cast_signed()))
                ),
                palette.dim(),
            ),
        ])
        .render(label, buf);
        if samples.is_empty() {
            return;
        }
        // The newest samples that fit, one column each.
        let skip = samples.len().saturating_sub(usize::from(chart.width));
        Sparkline::default()
            .data(&samples[skip..])
            .style(palette.accent())
            .render(chart, buf);
    }
}

fn assignment_text(member: &MemberInfo) -> String {
    if member.assignment.is_empty() {
        return "—".into();
    }
    member
        .assignment
        .iter()
        .map(|(topic, partitions)| {
            let list: Vec<String> = partitions.iter().map(i32::to_string).collect();
            format!("{} {}", escape_control(topic), list.join(","))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_members(members: &[MemberInfo], palette: &Palette, area: Rect, buf: &mut Buffer) {
    if members.is_empty() {
        Paragraph::new(Line::styled(
            "No active members: nobody consumes now (offsets can be reset).",
            palette.dim(),
        ))
        .render(area, buf);
        return;
    }
    let mut rows: Vec<Row> = members
        .iter()
        .take(MEMBERS)
        .map(|m| {
            Row::new(vec![
                Cell::from(escape_control(&m.client_id).into_owned()),
                Cell::from(escape_control(&m.host).into_owned()),
                Cell::from(format!("{:>5}", m.partition_count())),
                Cell::from(assignment_text(m)),
            ])
        })
        .collect();
    if members.len() > MEMBERS {
        rows.push(Row::new(vec![Cell::from(Span::styled(
            format!("+{} more members", members.len() - MEMBERS),
            palette.dim(),
        ))]));
    }
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(18),
            Constraint::Length(5),
            Constraint::Fill(2),
        ],
    )
    .header(Row::new(["MEMBER (CLIENT ID)", "HOST", "PARTS", "ASSIGNED"]).style(palette.header()))
    .render(area, buf);
}

fn partition_row(p: &PartitionLag, palette: &Palette) -> Row<'static> {
    let offset = |o: Option<i64>| o.map_or_else(|| "—".into(), |o| o.to_string());
    let lag_style = if p.lag.unwrap_or(0) > 0 {
        palette.warn()
    } else {
        Style::new()
    };
    Row::new(vec![
        Cell::from(escape_control(&p.topic).into_owned()),
        Cell::from(format!("{:>4}", p.partition)),
        Cell::from(format!("{:>12}", offset(p.committed))),
        Cell::from(format!("{:>12}", offset(p.end))),
        Cell::from(Span::styled(format!("{:>10}", lag_text(p.lag)), lag_style)),
        Cell::from(Span::styled(
            format!("{:>8}", time_lag(p.time_lag_ms)),
            lag_style,
        )),
        Cell::from(
            p.owner
                .as_deref()
                .map_or_else(|| "—".into(), |o| escape_control(o).into_owned()),
        ),
    ])
}

fn render_partitions(
    detail: &GroupDetail,
    selected: usize,
    palette: &Palette,
    area: Rect,
    buf: &mut Buffer,
) {
    if detail.partitions.is_empty() {
        Paragraph::new(Line::styled(
            "No partitions: the group has no assignment and no committed offset.",
            palette.dim(),
        ))
        .render(area, buf);
        return;
    }
    let fit = usize::from(area.height.saturating_sub(1)).max(1);
    // Keep the cursor in view: the window ends at the cursor when it is further down.
    let top = selected.saturating_sub(fit - 1);
    let rows = detail
        .partitions
        .iter()
        .enumerate()
        .skip(top)
        .take(fit)
        .map(|(i, p)| {
            let row = partition_row(p, palette);
            if i == selected {
                row.style(palette.selected())
            } else {
                row
            }
        });
    let more = detail.partitions.len().saturating_sub(top + fit);
    let header = Row::new(vec![
        Cell::from("TOPIC"),
        Cell::from("PART"),
        Cell::from(if detail.summary.kind == GroupKind::Share {
            "START OFFSET"
        } else {
            "   COMMITTED"
        }),
        Cell::from("     LOG END"),
        Cell::from("       LAG"),
        Cell::from("TIME LAG"),
        Cell::from(if more > 0 {
            format!("OWNER (↓ {more} more)")
        } else {
            "OWNER".into()
        }),
    ])
    .style(palette.header());
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .render(area, buf);
}
