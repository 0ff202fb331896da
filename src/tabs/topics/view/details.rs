//! The details pane: the selected topic's partitions (leader, replicas, ISR, offsets) and
//! its configs, overrides first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::TopicsView;
use crate::kafka::model::TopicInfo;
use crate::loadable::Loadable;
use crate::tabs::topics::Focus;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::spinner;

impl TopicsView<'_> {
    pub(super) fn render_details(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let focused = tab.focus == Focus::Details;
        let Some(topic) = tab.selected_topic() else {
            Block::bordered()
                .border_style(palette.border(false))
                .title(" Details ")
                .render(area, buf);
            return;
        };
        let block = Block::bordered()
            .border_style(palette.border(focused))
            .title(format!(" {} ", escape_control(&topic.name)))
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = details_lines(
            topic,
            tab.is_stale(topic),
            tab.counting.is_some(),
            &tab.configs,
            self.ticks,
            palette,
        );
        let height = usize::from(inner.height);
        let max_scroll = lines.len().saturating_sub(height);
        let scroll = tab.details_scroll.min(max_scroll);
        let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
        Paragraph::new(visible).render(inner, buf);
    }
}

fn ids(list: &[i32]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn details_lines(
    topic: &TopicInfo,
    is_stale: bool,
    counting: bool,
    configs: &Loadable<Vec<crate::kafka::model::ConfigEntryInfo>>,
    ticks: u64,
    palette: &Palette,
) -> Vec<Line<'static>> {
    let opt = |v: Option<i64>| v.map_or_else(|| "?".to_string(), |n| n.to_string());
    let mut lines = vec![Line::from(vec![
        Span::raw(topic.partitions.len().to_string()),
        Span::styled(
            if topic.partitions.len() == 1 {
                " partition · RF "
            } else {
                " partitions · RF "
            },
            palette.dim(),
        ),
        Span::raw(topic.replication_factor().to_string()),
        Span::styled(" · URP ", palette.dim()),
        Span::raw(topic.under_replicated().to_string()),
        Span::styled(" · ", palette.dim()),
        Span::raw(super::count_cell(topic, is_stale, counting)),
        Span::styled(
            if is_stale { " msgs, stale" } else { " msgs" },
            palette.dim(),
        ),
    ])];
    if let Some(error) = &topic.error {
        lines.push(Line::styled(
            format!("error: {}", escape_control(error)),
            palette.error(),
        ));
    }
    lines.push(Line::raw(""));
    // Column widths fit the content, so narrow panes still show every column.
    let width = |header: &str, values: &mut dyn Iterator<Item = usize>| {
        values.max().unwrap_or(0).max(header.len())
    };
    let wr = width(
        "REPLICAS",
        &mut topic.partitions.iter().map(|p| ids(&p.replicas).len()),
    );
    let wi = width(
        "ISR",
        &mut topic.partitions.iter().map(|p| ids(&p.isr).len()),
    );
    let wl = width(
        "LOW",
        &mut topic.partitions.iter().map(|p| opt(p.low).len()),
    );
    let wh = width(
        "HIGH",
        &mut topic.partitions.iter().map(|p| opt(p.high).len()),
    );
    lines.push(Line::styled(
        format!(
            "{:>4} {:>6} {:<wr$} {:<wi$} {:>wl$} {:>wh$}",
            "P", "LEADER", "REPLICAS", "ISR", "LOW", "HIGH"
        ),
        palette.header(),
    ));
    for p in &topic.partitions {
        let text = format!(
            "{:>4} {:>6} {:<wr$} {:<wi$} {:>wl$} {:>wh$}",
            p.id,
            p.leader,
            ids(&p.replicas),
            ids(&p.isr),
            opt(p.low),
            opt(p.high)
        );
        let style = if p.is_under_replicated() || p.error.is_some() {
            palette.error()
        } else {
            Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Configs", palette.header()));
    config_lines(&mut lines, configs, ticks, palette);
    lines
}

fn config_lines(
    lines: &mut Vec<Line<'static>>,
    configs: &Loadable<Vec<crate::kafka::model::ConfigEntryInfo>>,
    ticks: u64,
    palette: &Palette,
) {
    match configs {
        Loadable::Idle => {}
        Loadable::Loading => lines.push(Line::styled(
            format!("{} asking the broker (DescribeConfigs)…", spinner(ticks)),
            palette.warn(),
        )),
        Loadable::Failed(reason) => lines.push(Line::styled(
            format!("not available: {}", escape_control(reason)),
            palette.dim(),
        )),
        Loadable::Loaded(entries) if entries.is_empty() => {
            lines.push(Line::styled(
                "the broker returned no configs",
                palette.dim(),
            ));
        }
        Loadable::Loaded(entries) => config_entries(lines, entries, palette),
    }
}

/// One line per config, `name = value  (source)`, the overrides first (they are what
/// makes a topic or a broker different) and the defaults dimmed.
pub(crate) fn config_entries(
    lines: &mut Vec<Line<'static>>,
    entries: &[crate::kafka::model::ConfigEntryInfo],
    palette: &Palette,
) {
    let (set, defaults): (Vec<_>, Vec<_>) = entries.iter().partition(|e| !e.is_default);
    for entry in set.into_iter().chain(defaults) {
        let value = if entry.is_sensitive {
            "(sensitive)".to_string()
        } else {
            escape_control(entry.value.as_deref().unwrap_or("(null)")).into_owned()
        };
        let style = if entry.is_default {
            palette.dim()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} = ", escape_control(&entry.name)), style),
            Span::styled(value, style),
            Span::styled(format!("  ({})", entry.source), palette.dim()),
        ]));
    }
}
