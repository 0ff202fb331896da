//! The panes that show what became of the sends: the delivery reports under the editor
//! and the watch tail beside it (when the terminal is wide enough).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::ComposeView;
use crate::tabs::compose::Outcome;
use crate::tabs::tail::detail::format_time;
use crate::text::escape_control;
use crate::widgets::payload::{preview, schema_preview};

impl ComposeView<'_> {
    pub(super) fn render_reports(&self, frame: &mut Frame, area: Rect) {
        let tab = self.tab;
        let palette = self.palette;
        let block = Block::bordered()
            .border_style(palette.border(false))
            .title(format!(" Deliveries ({}) ", tab.reports.len()))
            .title_style(palette.title());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let lines: Vec<Line> = tab
            .reports
            .iter()
            .take(usize::from(inner.height))
            .map(|r| {
                let time = format_time(r.sent_ms, self.tz, false);
                // A long topic name gives way (in the middle), so the outcome, latency and
                // the time to the tail always fit.
                let room = usize::from(inner.width).saturating_sub(76).max(12);
                let topic = middle_ellipsis(&escape_control(&r.message.topic), room);
                match &r.outcome {
                    Outcome::Pending => Line::from(vec![
                        Span::styled(format!("{time} "), palette.dim()),
                        Span::styled(format!("{topic} … waiting for the broker"), palette.warn()),
                    ]),
                    Outcome::Delivered(d) => {
                        let mut spans = vec![
                            Span::styled(format!("{time} "), palette.dim()),
                            Span::styled("✓ ", palette.ok()),
                            Span::raw(format!(
                                "{topic} partition {} offset {} · {} ms",
                                d.partition,
                                d.offset,
                                d.latency.as_millis()
                            )),
                        ];
                        if let Some(seen) = r.seen_after {
                            spans.push(Span::styled(
                                format!(" · in the tail after {} ms", seen.as_millis()),
                                palette.key(),
                            ));
                        }
                        Line::from(spans)
                    }
                    Outcome::Failed(f) => Line::from(vec![
                        Span::styled(format!("{time} "), palette.dim()),
                        Span::styled(
                            format!(
                                "✗ {topic}: {} ({}) · {}",
                                escape_control(&f.message),
                                escape_control(&f.code),
                                if f.retriable {
                                    "retriable"
                                } else {
                                    "not retriable"
                                }
                            ),
                            palette.error(),
                        ),
                    ]),
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    pub(super) fn render_watch(&self, frame: &mut Frame, area: Rect) {
        let watch = &self.tab.watch;
        let palette = self.palette;
        let title = match &watch.topic {
            Some(t) => format!(" Watching {} ", escape_control(t)),
            None => " Watching: no topic yet ".into(),
        };
        let block = Block::bordered()
            .border_style(palette.border(false))
            .title(title)
            .title_style(palette.title());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if let Some(reason) = &watch.failed {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    escape_control(reason).into_owned(),
                    palette.error(),
                ))
                .wrap(Wrap { trim: false }),
                inner,
            );
            return;
        }
        let rows = usize::from(inner.height);
        let width = usize::from(inner.width);
        let lines: Vec<Line> = watch
            .records
            .iter()
            .rev()
            .take(rows)
            .map(|r| {
                let head = format!("p{} @{} ", r.partition, r.offset);
                let key = match schema_preview(r.key_schema(), 12) {
                    Some((text, _)) => format!("{text} "),
                    None => r
                        .key
                        .as_deref()
                        .map(|k| format!("{} ", preview(Some(k), 12)))
                        .unwrap_or_default(),
                };
                let room = width.saturating_sub(head.len() + key.chars().count());
                let value = if r.value.is_none() {
                    "∅ tombstone".to_string()
                } else {
                    // A framed value as its schema's JSON (or why not), as the Tail shows it.
                    schema_preview(r.value_schema(), room)
                        .map_or_else(|| preview(r.value.as_deref(), room), |(text, _)| text)
                };
                Line::from(vec![
                    Span::styled(head, palette.dim()),
                    Span::styled(key, palette.key()),
                    Span::raw(value),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

/// `a-very-long-topic-name` → `a-very…c-name` when longer than `max` characters.
fn middle_ellipsis(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(1);
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_names_give_way_in_the_middle() {
        assert_eq!(super::middle_ellipsis("orders", 12), "orders");
        assert_eq!(
            super::middle_ellipsis("payments-eu-west-1-dead-letters", 12),
            "paymen…tters"
        );
        assert_eq!(
            super::middle_ellipsis("payments-eu-west-1-dead-letters", 12)
                .chars()
                .count(),
            12
        );
    }
}
