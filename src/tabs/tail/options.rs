//! The tail's options (`o`): where to start, where to end (a search through history),
//! which partitions, and an optional group.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::kafka::position::{EndBound, StartPosition, now_ms, parse_partitions};
use crate::kafka::tail::TailSpec;
use crate::theme::Palette;
use crate::widgets::text_input::TextInput;
use crate::widgets::{centered, popup};

pub const LABELS: [&str; 4] = ["Start", "Until", "Partitions", "Group"];
/// The fields' indexes.
const START: usize = 0;
const UNTIL: usize = 1;
const PARTITIONS: usize = 2;
const GROUP: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsForm {
    pub fields: [TextInput; 4],
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

fn until_text(until: Option<EndBound>) -> String {
    match until {
        None => String::new(),
        Some(EndBound::Now) => "now".into(),
        Some(EndBound::Offset(n)) => n.to_string(),
        Some(EndBound::Time(ms)) => format!("@{ms}"),
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
                TextInput::with_value(until_text(spec.until)),
                TextInput::with_value(partitions),
                TextInput::with_value(spec.group.clone().unwrap_or_default()),
            ],
            focus: 0,
            error: None,
        }
    }

    pub fn focus_next(&mut self, forward: bool) {
        self.focus = if forward {
            (self.focus + 1) % LABELS.len()
        } else {
            (self.focus + LABELS.len() - 1) % LABELS.len()
        };
    }

    /// The spec these options describe for `topic`, or what is wrong, in words.
    /// `known` is the topic's partitions when the metadata has them: a partition it
    /// lacks is refused here rather than failing the tail (and dropping its buffer).
    pub fn spec(&self, topic: &str, known: Option<&[i32]>) -> Result<TailSpec, String> {
        let start = StartPosition::parse(self.fields[START].value(), now_ms())?;
        let until = match self.fields[UNTIL].value().trim() {
            "" => None,
            text => Some(EndBound::parse(text, now_ms())?),
        };
        let partitions = match self.fields[PARTITIONS].value().trim() {
            "" | "all" => None,
            list => Some(parse_partitions(list)?),
        };
        if let (Some(wanted), Some(known)) = (&partitions, known) {
            let missing: Vec<String> = wanted
                .iter()
                .filter(|p| !known.contains(p))
                .map(ToString::to_string)
                .collect();
            if !missing.is_empty() {
                let has = match known.len() {
                    0 => "no partitions".to_string(),
                    1 => "1 partition (0)".to_string(),
                    n => format!("{n} partitions ({})", describe(known)),
                };
                let which = if missing.len() == 1 {
                    format!("there is no partition {}", missing[0])
                } else {
                    format!("there are no partitions {}", missing.join(","))
                };
                return Err(format!(
                    "{} has {has}: {which}",
                    crate::text::escape_control(topic)
                ));
            }
        }
        let group = Some(self.fields[GROUP].value().trim().to_string()).filter(|g| !g.is_empty());
        if until.is_some() && group.is_some() {
            return Err(
                "Until searches without a group (a group reads what it is assigned): \
                 clear Group, or Until"
                    .into(),
            );
        }
        Ok(TailSpec {
            topic: topic.to_string(),
            partitions,
            start,
            group,
            read_as: None,
            exit_at_end: false,
            until,
            filter: None,
        })
    }
}

/// `0-3` for consecutive ids, else `0,2,5`.
fn describe(ids: &[i32]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let consecutive = sorted.windows(2).all(|w| w[1] == w[0] + 1);
    match (sorted.first(), sorted.last()) {
        (Some(first), Some(last)) if consecutive => format!("{first}-{last}"),
        _ => sorted
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

pub fn render(frame: &mut Frame, form: &OptionsForm, area: Rect, palette: &Palette) {
    let mut lines = Vec::new();
    for (i, label) in LABELS.iter().enumerate() {
        lines.push(crate::widgets::form_field(
            label,
            11,
            &form.fields[i],
            form.focus == i,
            palette,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Start: end · beginning · N (offset) · -N (last N per partition) · @TIME (@-15m, @2026-11-22T10:00:00Z)",
        palette.dim(),
    ));
    lines.push(Line::styled(
        "Until: empty = follow live · now · N (offset) · @TIME: search up to there, through the filter",
        palette.dim(),
    ));
    lines.push(Line::styled(
        "Partitions: all, or 0,2 or 0-3 · Group: empty = read without a group (no commits)",
        palette.dim(),
    ));
    if let Some(error) = &form.error {
        lines.push(Line::styled(error.clone(), palette.error()));
    }
    lines.push(Line::styled(
        "Enter restart the tail · Tab next field · Esc cancel",
        palette.dim(),
    ));
    let rect = centered(area, 76, lines.len() as u16 + 4);
    let inner = popup(frame, rect, "Tail options", palette);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_the_topic_lacks_are_refused_in_words() {
        let mut form = OptionsForm::from_spec(&TailSpec::new("orders"));
        form.fields[PARTITIONS] = TextInput::with_value("1,9");
        assert_eq!(
            form.spec("orders", Some(&[0, 1])).unwrap_err(),
            "orders has 2 partitions (0-1): there is no partition 9"
        );
        form.fields[PARTITIONS] = TextInput::with_value("3-4");
        assert_eq!(
            form.spec("orders", Some(&[0])).unwrap_err(),
            "orders has 1 partition (0): there are no partitions 3,4"
        );
        form.fields[PARTITIONS] = TextInput::with_value("1");
        assert_eq!(
            form.spec("orders", Some(&[0, 1])).unwrap().partitions,
            Some(vec![1])
        );
        form.fields[PARTITIONS] = TextInput::with_value("9");
        assert!(
            form.spec("orders", None).is_ok(),
            "unknown metadata: the broker decides"
        );
    }
}
