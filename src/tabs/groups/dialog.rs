//! The Groups tab's dialogs: the offset reset (a form, then its preview with a typed
//! confirmation) and deleting a group or its offsets for one topic (a typed confirmation).
//! What was typed survives Esc, bad input and refusals.

use crate::kafka::RequestId;
use crate::kafka::groups::plan::{parse_datetime, parse_duration};
use crate::kafka::groups::{ResetPlan, ResetRequest, ResetScope, ResetTo, TopicSelector};
use crate::widgets::text_input::TextInput;

/// Where a dialog's request is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Editing,
    /// Bad input, in words; nothing was sent.
    Invalid(String),
    /// Waiting for the worker's answer to this request.
    Sending(RequestId),
    /// The cluster (or the worker) said no, in its words.
    Refused(String),
}

impl Status {
    pub fn sending(&self) -> bool {
        matches!(self, Self::Sending(_))
    }
}

/// Where to move the offsets: kafka-consumer-groups.sh's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetMode {
    #[default]
    Earliest,
    Latest,
    Offset,
    Datetime,
    Duration,
    ShiftBy,
    FromGroup,
}

impl ResetMode {
    pub const ALL: [Self; 7] = [
        Self::Earliest,
        Self::Latest,
        Self::Offset,
        Self::Datetime,
        Self::Duration,
        Self::ShiftBy,
        Self::FromGroup,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Earliest => "earliest",
            Self::Latest => "latest",
            Self::Offset => "offset N",
            Self::Datetime => "datetime",
            Self::Duration => "duration ago",
            Self::ShiftBy => "shift by N",
            Self::FromGroup => "from group",
        }
    }

    /// What the value field holds in this mode, or `None` when it needs none.
    pub fn value_hint(self) -> Option<&'static str> {
        match self {
            Self::Earliest | Self::Latest => None,
            Self::Offset => Some("an offset, e.g. 42"),
            Self::Datetime => Some("2024-05-01T12:00:00 (local), …Z, +02:00, or epoch ms"),
            Self::Duration => Some("how long ago: 10m, 1h30m, 2d or PT10M"),
            Self::ShiftBy => Some("records to move: -100 re-reads, 50 skips"),
            Self::FromGroup => Some("the group whose committed offsets to copy"),
        }
    }

    #[must_use]
    pub fn cycle(self, forward: bool) -> Self {
        let n = Self::ALL.len();
        let i = Self::ALL.iter().position(|m| *m == self).unwrap_or(0);
        Self::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// The reset form's fields, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetField {
    #[default]
    Mode,
    Value,
    Scope,
}

/// The reset dialog: the form, then (after the worker planned it) the preview.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResetDialog {
    pub group: String,
    pub mode: ResetMode,
    pub value: TextInput,
    /// Empty: every topic the group has offsets for; else `T` or `T:0,1`, several
    /// separated by spaces.
    pub scope: TextInput,
    pub focus: ResetField,
    /// The plan the worker made, shown for confirmation; `None` while in the form.
    pub preview: Option<Box<ResetPlan>>,
    /// The group's name, typed to apply the preview.
    pub confirm: TextInput,
    pub status: Status,
}

impl ResetDialog {
    pub fn for_group(group: &str) -> Self {
        Self {
            group: group.to_string(),
            ..Self::default()
        }
    }

    pub fn previewing(&self) -> bool {
        self.preview.is_some()
    }

    /// The next (or previous) field; the value is skipped when the mode needs none.
    pub fn focus_next(&mut self, forward: bool) {
        let order: &[ResetField] = if self.mode.value_hint().is_some() {
            &[ResetField::Mode, ResetField::Value, ResetField::Scope]
        } else {
            &[ResetField::Mode, ResetField::Scope]
        };
        let n = order.len();
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// The text field with the keyboard: the confirmation in the preview, else the
    /// focused field (`None` on the mode selector).
    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        if self.preview.is_some() {
            return Some(&mut self.confirm);
        }
        match self.focus {
            ResetField::Mode => None,
            ResetField::Value => Some(&mut self.value),
            ResetField::Scope => Some(&mut self.scope),
        }
    }

    /// The request the form describes, or what is wrong with it in words.
    pub fn request(&self) -> Result<ResetRequest, String> {
        let value = self.value.value().trim();
        let whole = |what: &str| {
            value.trim_start_matches('+').parse::<i64>().map_err(|_| {
                if value.is_empty() {
                    format!("{what}: type a whole number.")
                } else {
                    format!("{what} must be a whole number, not {value:?}.")
                }
            })
        };
        let to = match self.mode {
            ResetMode::Earliest => ResetTo::Earliest,
            ResetMode::Latest => ResetTo::Latest,
            ResetMode::Offset => {
                let offset = whole("Offset")?;
                if offset < 0 {
                    return Err(format!("Offset must be 0 or more, not {offset}."));
                }
                ResetTo::Offset(offset)
            }
            ResetMode::ShiftBy => ResetTo::ShiftBy(whole("Shift by")?),
            ResetMode::Datetime => ResetTo::Datetime(parse_datetime(value)?),
            ResetMode::Duration => ResetTo::Duration(parse_duration(value)?),
            ResetMode::FromGroup => {
                if value.is_empty() {
                    return Err("From group: type the name of the group to copy from.".into());
                }
                if value == self.group {
                    return Err("From group: that is this group; name another one.".into());
                }
                ResetTo::FromGroup(value.to_string())
            }
        };
        Ok(ResetRequest {
            group: self.group.clone(),
            scope: parse_scope(self.scope.value())?,
            to,
        })
    }

    /// Whether the confirmation holds the group's name exactly.
    pub fn confirmed(&self) -> bool {
        self.confirm.value() == self.group
    }
}

/// The scope field: empty for every topic, else selectors separated by spaces.
pub fn parse_scope(text: &str) -> Result<ResetScope, String> {
    let selectors = text
        .split_whitespace()
        .map(|s| {
            s.parse::<TopicSelector>()
                .map_err(|e| format!("Scope: {e}."))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if selectors.is_empty() {
        ResetScope::AllTopics
    } else {
        ResetScope::Topics(selectors)
    })
}

/// What a delete removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteWhat {
    /// The group and all its offsets.
    Group,
    /// The group's committed offsets for one topic (typed here).
    Offsets { topic: TextInput },
}

/// Deleting a group, or its offsets for a topic: type the group's name to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteDialog {
    pub group: String,
    pub what: DeleteWhat,
    pub confirm: TextInput,
    /// Offsets: whether the topic field (not the confirmation) has the keyboard.
    pub topic_focused: bool,
    pub status: Status,
}

impl DeleteDialog {
    pub fn group(group: &str) -> Self {
        Self {
            group: group.to_string(),
            what: DeleteWhat::Group,
            confirm: TextInput::default(),
            topic_focused: false,
            status: Status::Editing,
        }
    }

    /// Deleting `group`'s offsets, the topic field holding `topic`.
    pub fn offsets(group: &str, topic: &str) -> Self {
        Self {
            what: DeleteWhat::Offsets {
                topic: TextInput::with_value(topic),
            },
            topic_focused: topic.is_empty(),
            ..Self::group(group)
        }
    }

    pub fn focused_input(&mut self) -> &mut TextInput {
        match &mut self.what {
            DeleteWhat::Offsets { topic } if self.topic_focused => topic,
            _ => &mut self.confirm,
        }
    }

    pub fn toggle_focus(&mut self) {
        if matches!(self.what, DeleteWhat::Offsets { .. }) {
            self.topic_focused = !self.topic_focused;
        }
    }

    /// The topic whose offsets go (trimmed), for an offsets delete.
    pub fn topic(&self) -> Option<&str> {
        match &self.what {
            DeleteWhat::Offsets { topic } => Some(topic.value().trim()),
            DeleteWhat::Group => None,
        }
    }

    pub fn confirmed(&self) -> bool {
        self.confirm.value() == self.group
    }
}

/// The open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Reset(ResetDialog),
    Delete(DeleteDialog),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(mode: ResetMode, value: &str, scope: &str) -> ResetDialog {
        ResetDialog {
            mode,
            value: TextInput::with_value(value),
            scope: TextInput::with_value(scope),
            ..ResetDialog::for_group("billing")
        }
    }

    #[test]
    fn each_mode_becomes_its_reset() {
        let to = |mode, value: &str| dialog(mode, value, "").request().map(|r| r.to);
        assert_eq!(to(ResetMode::Earliest, "ignored"), Ok(ResetTo::Earliest));
        assert_eq!(to(ResetMode::Offset, " 42 "), Ok(ResetTo::Offset(42)));
        assert_eq!(to(ResetMode::ShiftBy, "-5"), Ok(ResetTo::ShiftBy(-5)));
        assert_eq!(to(ResetMode::ShiftBy, "+5"), Ok(ResetTo::ShiftBy(5)));
        assert_eq!(
            to(ResetMode::Duration, "10m"),
            Ok(ResetTo::Duration(600_000))
        );
        assert_eq!(
            to(ResetMode::Datetime, "2024-01-01T00:00:00Z"),
            Ok(ResetTo::Datetime(1_704_067_200_000))
        );
        assert_eq!(
            to(ResetMode::FromGroup, "audit"),
            Ok(ResetTo::FromGroup("audit".into()))
        );
    }

    #[test]
    fn bad_input_is_explained() {
        let problem = |mode, value: &str, scope: &str| dialog(mode, value, scope).request();
        assert_eq!(
            problem(ResetMode::Offset, "abc", ""),
            Err("Offset must be a whole number, not \"abc\".".into())
        );
        assert!(problem(ResetMode::Offset, "-1", "").is_err());
        assert!(
            problem(ResetMode::Datetime, "yesterday", "")
                .unwrap_err()
                .contains("not a date")
        );
        assert!(problem(ResetMode::FromGroup, "billing", "").is_err());
        assert!(
            problem(ResetMode::Earliest, "", "orders:x")
                .unwrap_err()
                .starts_with("Scope: invalid partition")
        );
    }

    #[test]
    fn scopes_read_like_the_tool() {
        assert_eq!(parse_scope("  "), Ok(ResetScope::AllTopics));
        assert_eq!(
            parse_scope("orders:0,1 audit"),
            Ok(ResetScope::Topics(vec![
                TopicSelector {
                    topic: "orders".into(),
                    partitions: Some(vec![0, 1])
                },
                TopicSelector {
                    topic: "audit".into(),
                    partitions: None
                },
            ]))
        );
    }

    #[test]
    fn the_value_field_is_skipped_when_the_mode_needs_none() {
        let mut form = ResetDialog::for_group("g");
        form.focus_next(true);
        assert_eq!(form.focus, ResetField::Scope);
        form.mode = ResetMode::Offset;
        form.focus_next(false);
        assert_eq!(form.focus, ResetField::Value);
    }
}
