//! The history popup (Ctrl-R): the messages sent, newest first; those sent with a schema
//! shown as the JSON typed and the schema named.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, Paragraph};

use super::ComposeView;
use crate::text::escape_control;
use crate::widgets::payload::{human_bytes, preview};
use crate::widgets::{centered, popup};

impl ComposeView<'_> {
    pub(super) fn render_history(&self, frame: &mut Frame, area: Rect, selected: usize) {
        let tab = self.tab;
        let palette = self.palette;
        let rect = centered(
            area,
            area.width.saturating_sub(8).min(100),
            area.height.saturating_sub(4).min(20),
        );
        frame.render_widget(Clear, rect);
        let inner = popup(
            frame,
            rect,
            "History (Enter loads into the editor, Esc closes)",
            palette,
        );
        if tab.history.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled("Nothing sent yet.", palette.dim())),
                inner,
            );
            return;
        }
        let width = usize::from(inner.width);
        let items: Vec<ListItem> = tab
            .history
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let m = &entry.message;
                // Sent with a schema: the JSON typed, not the framed bytes.
                let shown = |typed: Option<&crate::tabs::compose::history::TypedPart>,
                             bytes: &[u8],
                             width| {
                    typed.map_or_else(
                        || preview(Some(bytes), width),
                        |t| preview(Some(t.json.as_bytes()), width),
                    )
                };
                let value = m.value.as_deref().map_or_else(
                    || "∅ tombstone".to_string(),
                    |v| {
                        let schema = entry
                            .typed
                            .value
                            .as_ref()
                            .map(|t| format!(" · {}", escape_control(&t.schema_field())));
                        format!(
                            "{}{} · {}",
                            human_bytes(v.len() as u64),
                            schema.unwrap_or_default(),
                            shown(entry.typed.value.as_ref(), v, width.saturating_sub(40))
                        )
                    },
                );
                let key = m
                    .key
                    .as_deref()
                    .map(|k| format!(" key {}", shown(entry.typed.key.as_ref(), k, 16)))
                    .unwrap_or_default();
                let style = if i == selected {
                    palette.selected()
                } else {
                    Style::new()
                };
                ListItem::new(Line::from(vec![
                    Span::styled(escape_control(&m.topic).into_owned(), palette.key()),
                    Span::styled(key, palette.dim()),
                    Span::raw(format!("  {value}")),
                ]))
                .style(style)
            })
            .collect();
        let skip = selected.saturating_sub(usize::from(inner.height).saturating_sub(1));
        frame.render_widget(
            List::new(items.into_iter().skip(skip).collect::<Vec<_>>()),
            inner,
        );
    }
}
