//! Drawing the Compose tab: fields, the value editor with its JSON status, delivery
//! reports, the watch tail (when the terminal is wide enough) and the history popup.
//! The delivery reports and the watch tail are drawn in `view/deliveries.rs`, the history
//! popup in `view/history.rs`.

mod deliveries;
mod history;

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{ComposeTab, Field, Part, ValueKind};
use crate::kafka::model::ClusterSnapshot;
use crate::loadable::Loadable;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::payload::human_bytes;

/// The watch tail shows beside the editor from this width on.
pub const WATCH_MIN_WIDTH: u16 = 130;
/// Below this body height the fields lose their borders (`render_compact`): bordered, the
/// fields, headers, value and status line need 10 rows.
const FULL_MIN_HEIGHT: u16 = 10;

pub struct ComposeView<'a> {
    pub tab: &'a ComposeTab,
    pub snapshot: Option<&'a ClusterSnapshot>,
    pub tz: &'a TimeZone,
    pub palette: &'a Palette,
}

fn field_block(title: String, focused: bool, palette: &Palette) -> Block<'static> {
    Block::bordered()
        .border_style(palette.border(focused))
        .title(title)
        .title_style(if focused {
            palette.key()
        } else {
            palette.dim()
        })
}

impl ComposeView<'_> {
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let (editor, watch) = if area.width >= WATCH_MIN_WIDTH {
            let [e, w] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(area);
            (e, Some(w))
        } else {
            (area, None)
        };
        self.render_editor(frame, editor);
        if let Some(watch) = watch {
            self.render_watch(frame, watch);
        }
        if let Some(selected) = self.tab.history_open {
            self.render_history(frame, area, selected);
        }
    }

    /// Whether the focused field is a schema field with nothing typed.
    fn empty_schema_focused(&self) -> bool {
        let tab = self.tab;
        match tab.focus {
            Some(Field::Schema) => tab.value_schema.named().is_empty(),
            Some(Field::KeySchema) => tab.key_schema.named().is_empty(),
            _ => false,
        }
    }

    fn render_editor(&self, frame: &mut Frame, area: Rect) {
        let tab = self.tab;
        let palette = self.palette;
        let owned = match tab.focus {
            Some(Field::Topic) => Vec::new(),
            _ => tab.focused_schema_completions(),
        };
        let completions: Vec<&str> = match tab.focus {
            Some(Field::Topic) => tab.completions(self.snapshot),
            _ => owned.iter().map(String::as_str).collect(),
        };
        if area.height < FULL_MIN_HEIGHT {
            self.render_compact(frame, area, &completions);
            return;
        }
        // Small terminals give up the delivery list first, then header lines; the
        // fields and the value always stay.
        let (headers_h, reports_h) = match area.height {
            h if h >= 26 => (4, 8),
            h if h >= 18 => (3, 4),
            _ => (3, 0),
        };
        let [fields, hints, headers, value, status, reports] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(u16::from(!completions.is_empty())),
            Constraint::Length(headers_h),
            Constraint::Min(3),
            Constraint::Length(1),
            Constraint::Length(reports_h),
        ])
        .areas(area);
        self.render_fields(frame, fields);
        render_completions(
            frame,
            hints,
            completions.as_slice(),
            self.empty_schema_focused(),
            palette,
        );
        let mut headers_area = tab.headers.clone();
        headers_area.set_block(field_block(
            " Headers (name=value per line) ".into(),
            tab.focus == Some(Field::Headers),
            palette,
        ));
        headers_area.set_cursor_style(cursor(tab.focus == Some(Field::Headers)));
        frame.render_widget(&headers_area, headers);
        self.render_value(frame, value);
        let status_line = self.status_line();
        frame.render_widget(Paragraph::new(status_line), status);
        if reports.height > 0 {
            self.render_reports(frame, reports);
        }
    }

    /// The one-line fields in a row: topic, partition, key, key schema, schema.
    fn render_fields(&self, frame: &mut Frame, fields: Rect) {
        let tab = self.tab;
        let palette = self.palette;
        // Narrow: the partition's title and the placeholders shorten, so every title and
        // what is typed keep room.
        let narrow = fields.width < 90;
        let [topic, partition, key, key_schema, schema] = Layout::horizontal(if narrow {
            [
                Constraint::Fill(1),
                Constraint::Length(9),
                Constraint::Percentage(17),
                Constraint::Length(14),
                Constraint::Percentage(24),
            ]
        } else {
            [
                Constraint::Percentage(24),
                Constraint::Length(13),
                Constraint::Percentage(18),
                Constraint::Percentage(18),
                Constraint::Fill(1),
            ]
        })
        .areas(fields);
        let partition_title = if narrow { "Part." } else { "Partition" };
        let single = |input: &crate::widgets::text_input::TextInput,
                      field: Field,
                      title: &str,
                      rect: Rect,
                      frame: &mut Frame| {
            let focused = tab.focus == Some(field);
            frame.render_widget(
                Paragraph::new(input.line(focused, Style::new())).block(field_block(
                    format!(" {title} "),
                    focused,
                    palette,
                )),
                rect,
            );
        };
        single(&tab.topic, Field::Topic, "Topic", topic, frame);
        if tab.partition.is_empty() && tab.focus != Some(Field::Partition) {
            frame.render_widget(
                Paragraph::new(Line::styled("auto", palette.dim())).block(field_block(
                    format!(" {partition_title} "),
                    false,
                    palette,
                )),
                partition,
            );
        } else {
            single(
                &tab.partition,
                Field::Partition,
                partition_title,
                partition,
                frame,
            );
        }
        single(&tab.key, Field::Key, "Key", key, frame);
        for (part, rect, title, placeholder) in [
            (Part::Key, key_schema, "Key schema", "none"),
            (
                Part::Value,
                schema,
                "Schema",
                if narrow {
                    "none"
                } else {
                    "none: sent as typed"
                },
            ),
        ] {
            let field = tab.schema_field(part);
            if field.input.is_empty() && tab.focus != Some(part.field()) {
                frame.render_widget(
                    Paragraph::new(Line::styled(placeholder, palette.dim())).block(field_block(
                        format!(" {title} "),
                        false,
                        palette,
                    )),
                    rect,
                );
            } else {
                single(&field.input, part.field(), title, rect, frame);
            }
        }
    }

    /// A short terminal: the one-line fields lose their borders (a label before the text),
    /// headers and value keep a title line only, the delivery list goes. What was typed
    /// stays visible in every field.
    fn render_compact(&self, frame: &mut Frame, area: Rect, completions: &[&str]) {
        let tab = self.tab;
        let palette = self.palette;
        let [first, second, hints, headers, value, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(u16::from(!completions.is_empty())),
            Constraint::Length(2),
            Constraint::Min(2),
            Constraint::Length(1),
        ])
        .areas(area);
        let [topic, partition] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(14)]).areas(first);
        let labelled = |frame: &mut Frame,
                        rect: Rect,
                        label: &str,
                        field: Field,
                        input: &crate::widgets::text_input::TextInput| {
            let focused = tab.focus == Some(field);
            let mut spans = vec![Span::styled(
                format!("{label} "),
                if focused {
                    palette.key()
                } else {
                    palette.dim()
                },
            )];
            if input.is_empty() && !focused && field == Field::Partition {
                spans.push(Span::styled("auto", palette.dim()));
            } else {
                spans.extend(input.line(focused, Style::new()).spans);
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), rect);
        };
        labelled(frame, topic, "Topic", Field::Topic, &tab.topic);
        labelled(frame, partition, " Part.", Field::Partition, &tab.partition);
        let [key, key_schema, schema] = Layout::horizontal([
            Constraint::Percentage(25),
            Constraint::Percentage(40),
            Constraint::Fill(1),
        ])
        .areas(second);
        labelled(frame, key, "Key", Field::Key, &tab.key);
        labelled(
            frame,
            key_schema,
            " Key sch.",
            Field::KeySchema,
            &tab.key_schema.input,
        );
        labelled(
            frame,
            schema,
            " Schema",
            Field::Schema,
            &tab.value_schema.input,
        );
        render_completions(
            frame,
            hints,
            completions,
            self.empty_schema_focused(),
            palette,
        );
        let focused = tab.focus == Some(Field::Headers);
        let mut headers_area = tab.headers.clone();
        headers_area.set_block(
            field_block(" Headers ".into(), focused, palette)
                .borders(ratatui::widgets::Borders::TOP),
        );
        headers_area.set_cursor_style(cursor(focused));
        frame.render_widget(&headers_area, headers);
        let focused = tab.focus == Some(Field::Value);
        let (kind, kind_style) = self.value_kind();
        let mut value_area = tab.value.clone();
        value_area.set_block(
            field_block(" Value ".into(), focused, palette)
                .borders(ratatui::widgets::Borders::TOP)
                .title(Line::styled(format!(" {kind} "), kind_style).right_aligned()),
        );
        value_area.set_cursor_style(cursor(focused));
        if tab.tombstone {
            value_area.set_style(palette.dim());
        }
        frame.render_widget(&value_area, value);
        frame.render_widget(Paragraph::new(self.status_line()), status);
    }

    /// What the value holds, in words, and its colour.
    fn value_kind(&self) -> (String, Style) {
        let tab = self.tab;
        let palette = self.palette;
        if !tab.tombstone
            && let Some(status) = self.schema_status(Part::Value)
        {
            return status;
        }
        match &tab.value_kind {
            _ if tab.tombstone => (
                "tombstone armed: the next send has a null value, once".to_string(),
                palette.warn(),
            ),
            ValueKind::Empty => ("empty".into(), palette.dim()),
            ValueKind::Json => ("JSON ✓ (Ctrl-F formats)".into(), palette.ok()),
            ValueKind::InvalidJson { line, column, .. } => (
                format!("JSON ✗ line {line}, column {column} (sent as text if you insist)"),
                palette.error(),
            ),
            ValueKind::Text => ("text".into(), palette.dim()),
        }
    }

    /// With a schema named for the key or the value: whether it is loaded and what is
    /// typed matches it.
    fn schema_status(&self, part: Part) -> Option<(String, Style)> {
        let palette = self.palette;
        let field = self.tab.schema_field(part);
        let named = field.named();
        if named.is_empty() {
            return None;
        }
        if !field.is_current() {
            let name = match part {
                Part::Key => "Key schema",
                Part::Value => "Schema",
            };
            return Some((
                format!("schema not loaded yet: leave the {name} field (Tab) to load it"),
                palette.warn(),
            ));
        }
        Some(match (&field.encoder, &field.check) {
            (Loadable::Loaded(encoder), Some(Ok(size))) => (
                format!(
                    "✓ matches {} · sent framed, {}",
                    escape_control(&encoder.describe()),
                    human_bytes(*size as u64)
                ),
                palette.ok(),
            ),
            (Loadable::Loaded(encoder), Some(Err(why))) => (
                format!(
                    "✗ {} · {}",
                    escape_control(why),
                    escape_control(&encoder.describe())
                ),
                palette.error(),
            ),
            (Loadable::Loaded(_), None) | (Loadable::Idle | Loadable::Loading, _) => (
                format!("loading schema {}…", escape_control(named)),
                palette.warn(),
            ),
            (Loadable::Failed(reason), _) => (
                format!(
                    "schema {}: {}",
                    escape_control(named),
                    escape_control(reason)
                ),
                palette.error(),
            ),
        })
    }

    /// The key's schema status, for the status line: an empty key is sent as no key.
    fn key_status(&self) -> Option<(String, Style)> {
        let (status, style) = self.schema_status(Part::Key)?;
        if self.tab.key.is_empty() {
            return Some((
                "key: empty, sent without a key (type it as JSON for the key schema)".into(),
                self.palette.dim(),
            ));
        }
        Some((
            format!("key {}", status.replacen("✗ the key: ", "✗ ", 1)),
            style,
        ))
    }

    fn render_value(&self, frame: &mut Frame, value: Rect) {
        let tab = self.tab;
        let palette = self.palette;
        let mut value_area = tab.value.clone();
        let (kind, kind_style) = self.value_kind();
        value_area.set_block(
            field_block(" Value ".into(), tab.focus == Some(Field::Value), palette)
                .title_bottom(Line::styled(format!(" {kind} "), kind_style)),
        );
        value_area.set_cursor_style(cursor(tab.focus == Some(Field::Value)));
        if tab.tombstone {
            value_area.set_style(palette.dim());
        }
        frame.render_widget(&value_area, value);
    }

    fn status_line(&self) -> Line<'static> {
        let tab = self.tab;
        let palette = self.palette;
        if tab.draft.confirm_discard {
            Line::styled(
                "Ctrl-L again: empty the form (the topic stays), delete the saved draft · other keys keep it",
                palette.warn(),
            )
        } else if let Some(problem) = &tab.problem {
            Line::styled(escape_control(problem).into_owned(), palette.error())
        } else if tab.tombstone {
            Line::styled(
                "Ctrl-S sends ONE tombstone (null value), then the text again · Ctrl-T or typing disarms",
                palette.warn(),
            )
        } else if let Some(ms) = tab.draft.restored_ms {
            Line::styled(
                format!(
                    "Your unsent draft from {} was restored · Ctrl-S sends it · Ctrl-L twice discards it",
                    super::draft::saved_at(ms, self.tz)
                ),
                palette.key(),
            )
        } else if tab.focus.is_none() {
            Line::styled("Enter edits · Ctrl-S sends · Ctrl-R history", palette.dim())
        } else if let Some((status, style)) = self.key_status() {
            Line::styled(status, style)
        } else {
            Line::styled(
                "Ctrl-S send · Ctrl-T tombstone · Ctrl-R history · Esc leave the editor",
                palette.dim(),
            )
        }
    }
}

/// What Enter completes to (topic names, subjects, versions), on one line. In an empty
/// schema field Enter moves on (no schema): the subjects are offered for typing.
fn render_completions(
    frame: &mut Frame,
    area: Rect,
    completions: &[&str],
    empty_schema: bool,
    palette: &Palette,
) {
    if completions.is_empty() {
        return;
    }
    let lead = if empty_schema {
        " Enter: no schema · type to pick: "
    } else {
        " Enter completes: "
    };
    let mut spans = vec![Span::styled(lead, palette.dim())];
    for (i, name) in completions.iter().enumerate() {
        spans.push(Span::styled(
            escape_control(name).into_owned(),
            if i == 0 { palette.key() } else { Style::new() },
        ));
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn cursor(focused: bool) -> Style {
    if focused {
        Style::new().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        Style::new()
    }
}
