//! The Compose draft kept on disk while it is typed (`compose-draft.json` in the data dir,
//! 0600), so a crash, a kill or a closed terminal loses nothing: the next start restores it
//! into the form and says so. A sent or discarded draft removes the file.
//!
//! Only the form's text is kept (topic, partition, key, headers, value), never an armed
//! tombstone: a one-send mode must not come back armed by surprise after a restart.
//! The update decides what to write ([`DraftState::flush`]); the effects do the disk work.

use serde::{Deserialize, Serialize};

/// Ticks between two writes of a draft being typed (4 Hz ticks: one a second at most).
pub const SAVE_EVERY_TICKS: u64 = 4;

/// Where the draft is kept: `<data dir>/compose-draft.json`.
pub fn path() -> Option<std::path::PathBuf> {
    crate::config::draft_path()
}

/// When a draft was saved, for the notice: `2025-03-01 14:02`.
pub fn saved_at(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| "an earlier run".to_string(),
        |ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

/// The form as typed: every text field of the editor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    pub topic: String,
    pub partition: String,
    pub key: String,
    pub headers: String,
    pub value: String,
    /// The Schema field (older drafts have none).
    pub schema: String,
    /// The Key schema field (older drafts have none).
    pub key_schema: String,
}

impl DraftForm {
    /// Nothing worth keeping: a topic alone (prefilled from the Tail tab) is not a draft.
    pub fn is_blank(&self) -> bool {
        self.partition.is_empty()
            && self.key.is_empty()
            && self.headers.is_empty()
            && self.value.is_empty()
            && self.schema.is_empty()
            && self.key_schema.is_empty()
    }
}

/// The file: the form and when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The format's version, for whoever reads the file next.
    pub version: u32,
    /// Wall-clock save time, ms since the epoch (shown when the draft is restored).
    pub saved_ms: i64,
    #[serde(flatten)]
    pub form: DraftForm,
}

impl Draft {
    pub fn new(form: DraftForm, saved_ms: i64) -> Self {
        Self {
            version: 1,
            saved_ms,
            form,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// What the file should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftWrite {
    /// Write this content (JSON), replacing the file atomically.
    Save(String),
    /// Remove the file (sent, discarded, or emptied).
    Remove,
}

/// The draft's bookkeeping in the Compose tab: what is on disk, what was just sent (not a
/// draft any more), and when it was last written.
#[derive(Debug, Clone, Default)]
pub struct DraftState {
    /// What the file holds, as far as ktui asked (`None`: no file).
    pub on_disk: Option<DraftForm>,
    /// The form as it was sent: the editor keeps it, but it is not a draft.
    pub sent: Option<DraftForm>,
    /// Something may have changed since the last flush.
    pub dirty: bool,
    /// The tick of the last write.
    pub written_tick: Option<u64>,
    /// A draft from an earlier run was restored: when it was saved (ms since the epoch).
    /// Shown until the form is sent, discarded or edited.
    pub restored_ms: Option<i64>,
    /// Ctrl-L was pressed once: the next Ctrl-L discards; any other key keeps the draft.
    pub confirm_discard: bool,
}

impl DraftState {
    /// Whether a write is due at `tick` (debounced: at most one per [`SAVE_EVERY_TICKS`]).
    pub fn due(&self, tick: u64) -> bool {
        self.dirty
            && self
                .written_tick
                .is_none_or(|at| tick.saturating_sub(at) >= SAVE_EVERY_TICKS)
    }

    /// Brings the file in line with `form`; returns the write to do, if any.
    pub fn flush(&mut self, form: DraftForm, tick: u64, now_ms: i64) -> Option<DraftWrite> {
        self.dirty = false;
        let wanted = (!form.is_blank() && self.sent.as_ref() != Some(&form)).then_some(form);
        if wanted == self.on_disk {
            return None;
        }
        self.written_tick = Some(tick);
        let write = match &wanted {
            Some(form) => DraftWrite::Save(Draft::new(form.clone(), now_ms).to_json()),
            None => DraftWrite::Remove,
        };
        self.on_disk = wanted;
        Some(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(value: &str) -> DraftForm {
        DraftForm {
            topic: "orders".into(),
            value: value.into(),
            ..DraftForm::default()
        }
    }

    #[test]
    fn round_trips_and_reads_missing_fields_as_empty() {
        let draft = Draft::new(
            DraftForm {
                topic: "t".into(),
                partition: "1".into(),
                key: "k".into(),
                headers: "a=1\nb=2".into(),
                value: "{\"x\": \"\\u001b\"}\n".into(),
                schema: "orders-value@2".into(),
                key_schema: "orders-key".into(),
            },
            1_700_000_000_000,
        );
        assert_eq!(Draft::parse(&draft.to_json()), Ok(draft));
        let old = Draft::parse(r#"{"version":1,"saved_ms":5,"value":"v"}"#).expect("parses");
        assert_eq!(
            old.form,
            DraftForm {
                value: "v".into(),
                ..DraftForm::default()
            }
        );
        assert!(Draft::parse("not json").is_err());
    }

    #[test]
    fn a_topic_alone_is_not_a_draft() {
        assert!(form("").is_blank());
        assert!(!form("x").is_blank());
    }

    #[test]
    fn flush_writes_changes_once_and_removes_sent_or_emptied_drafts() {
        let mut state = DraftState {
            dirty: true,
            ..DraftState::default()
        };
        assert!(state.due(0));
        assert!(matches!(
            state.flush(form("a"), 0, 1),
            Some(DraftWrite::Save(json)) if json.contains("\"value\": \"a\"")
        ));
        assert_eq!(state.flush(form("a"), 1, 2), None, "unchanged: no write");
        state.dirty = true;
        assert!(!state.due(3), "debounced");
        assert!(state.due(4));
        // Sent: the file goes, and the kept form is not saved again until it changes.
        state.sent = Some(form("a"));
        assert_eq!(state.flush(form("a"), 4, 3), Some(DraftWrite::Remove));
        assert_eq!(state.flush(form("a"), 9, 4), None);
        assert!(matches!(
            state.flush(form("ab"), 9, 4),
            Some(DraftWrite::Save(_))
        ));
        // Back to exactly what was sent: no draft.
        assert_eq!(state.flush(form("a"), 13, 5), Some(DraftWrite::Remove));
        // Emptied: no draft either.
        state.sent = None;
        assert!(matches!(
            state.flush(form("b"), 20, 6),
            Some(DraftWrite::Save(_))
        ));
        assert_eq!(state.flush(form(""), 30, 7), Some(DraftWrite::Remove));
    }
}
