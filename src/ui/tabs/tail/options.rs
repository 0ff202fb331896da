//! The tail's options (`o`): where to start, which partitions, and an optional group.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::kafka::position::{StartPosition, now_ms, parse_partitions};
use crate::kafka::tail::TailSpec;
use crate::ui::theme;
use crate::ui::widgets::text_input::TextInput;
use crate::ui::widgets::{centered, popup};

pub const LABELS: [&str; 3] = ["Start", "Partitions", "Group"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsForm {
    pub fields: [TextInput; 3],
    pub focus: usize,
    pub error: Option<String>,
}

fn start_text(start: StartPosition) -> String {
    match start {
        StartPosition::End => "end".into(),
        StartPosition::Beginning => "beginning".into(),
        StartPosition::Offset(n) => n.to_string(),
        StartPosition::Last(n) => format!("-{n}"),
        StartPosition::Time(ms) => format!("@{ms}"),
    }
}

impl OptionsForm {
    pub fn from_spec(spec: &TailSpec) -> Self {
        let partitions = spec.partitions.as_ref().map_or_else(
            || "all".to_string(),
            |p| {
                p.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            },
        );
        Self {
            fields: [
                TextInput::with_value(start_text(spec.start)),
                TextInput::with_value(partitions),
                TextInput::with_value(spec.group.clone().unwrap_or_default()),
            ],
            focus: 0,
            error: None,
        }
    }

    pub fn focus_next(&mut self, forward: bool) {
        self.focus = if forward {
            (self.focus + 1) % 3
        } else {
            (self.focus + 2) % 3
        };
    }

    /// The spec these options describe for `topic`, or what is wrong, in words.
    pub fn spec(&self, topic: &str) -> Result<TailSpec, String> {
        let start = StartPosition::parse(self.fields[0].value(), now_ms())?;
        let partitions = match self.fields[1].value().trim() {
            "" | "all" => None,
            list => Some(parse_partitions(list)?),
        };
        let group = Some(self.fields[2].value().trim().to_string()).filter(|g| !g.is_empty());
        Ok(TailSpec {
            topic: topic.to_string(),
            partitions,
            start,
            group,
            exit_at_end: false,
        })
    }
}

pub fn render(frame: &mut Frame, form: &OptionsForm, area: Rect) {
    let mut lines = Vec::new();
    for (i, label) in LABELS.iter().enumerate() {
        let focused = form.focus == i;
        let mut spans = vec![Span::styled(
            format!("{label:>11}: "),
            if focused { theme::key() } else { theme::dim() },
        )];
        spans.extend(form.fields[i].line(focused, Style::new()).spans);
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Start: end · beginning · N (offset) · -N (last N per partition) · @TIME (@-15m, @2026-11-22T10:00:00Z)",
        theme::dim(),
    ));
    lines.push(Line::styled(
        "Partitions: all, or 0,2 or 0-3 · Group: empty = read without a group (no commits)",
        theme::dim(),
    ));
    if let Some(error) = &form.error {
        lines.push(Line::styled(error.clone(), theme::error()));
    }
    lines.push(Line::styled(
        "Enter restart the tail · Tab next field · Esc cancel",
        theme::dim(),
    ));
    let rect = centered(area, 76, lines.len() as u16 + 4);
    let inner = popup(frame, rect, "Tail options");
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
