//! The Tail tab's part of `App`: starting tails, its keys and actions, copy and export.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Level, Tab};
use crate::action::Action;
use crate::kafka::Command;
use crate::tabs::tail::options::OptionsForm;

/// How a failed tail's toast begins (it goes once the tail is live again).
const TAIL_FAILED: &str = "Tail failed: ";

impl App {
    /// Opens the Tail tab on `topic`, replacing any running tail.
    pub fn open_in_tail(&mut self, topic: &str) -> Vec<Command> {
        self.tab = Tab::Tail;
        let spec = self.tail.spec_for(topic);
        self.restart_tail(spec)
    }

    /// Stops the running tail (if any) and starts `spec`.
    pub(super) fn restart_tail(&mut self, spec: crate::kafka::tail::TailSpec) -> Vec<Command> {
        let mut commands = Vec::new();
        if let Some(old) = self.tail.request.take() {
            commands.push(Command::StopTail { id: old });
        }
        let id = self.request_id();
        self.tail.begin(id, spec.clone());
        commands.push(Command::StartTail { id, spec });
        commands
    }

    /// An event of the running tail: the tab takes it; failures and partitions that went
    /// back are said in a toast.
    pub(super) fn on_tail_event(&mut self, event: crate::kafka::tail::TailEvent) {
        use crate::kafka::tail::TailEvent;
        match &event {
            TailEvent::Failed(reason) => {
                self.toast(Level::Error, format!("{TAIL_FAILED}{reason}"));
            }
            // Live again: an earlier failure is history.
            TailEvent::Started { .. } | TailEvent::Records(_) => {
                self.toasts.retain(|t| !t.text.starts_with(TAIL_FAILED));
            }
            _ => {}
        }
        for notice in self.tail.on_event(event) {
            self.toast(Level::Warn, notice);
        }
    }

    pub(super) fn tail_filter_key(&mut self, key: &KeyEvent) {
        let tail = &mut self.tail;
        match key.code {
            KeyCode::Enter => {
                tail.filter_editing = false;
                tail.apply_filter();
            }
            KeyCode::Esc => {
                tail.filter_editing = false;
                tail.clear_filter();
            }
            _ => {
                if tail.filter_input.handle_key(key) {
                    tail.filter_typed();
                }
            }
        }
    }

    pub(super) fn tail_options_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        let Some(form) = self.tail.options.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.tail.options = None,
            KeyCode::Tab | KeyCode::Down => form.focus_next(true),
            KeyCode::BackTab | KeyCode::Up => form.focus_next(false),
            KeyCode::Enter => {
                let topic = self.tail.topic.clone().unwrap_or_default();
                let known: Option<Vec<i32>> = self
                    .topics
                    .topics()
                    .iter()
                    .find(|t| t.name == topic && t.error.is_none())
                    .map(|t| t.partitions.iter().map(|p| p.id).collect());
                match form.spec(&topic, known.as_deref()) {
                    Ok(spec) => {
                        self.tail.options = None;
                        return self.restart_tail(spec);
                    }
                    Err(problem) => form.error = Some(problem),
                }
            }
            _ => {
                if form.fields[form.focus].handle_key(key) {
                    form.error = None;
                }
            }
        }
        Vec::new()
    }

    /// Performs a keymap action on the Tail tab.
    pub(super) fn apply_tail(&mut self, action: Action) -> Vec<Command> {
        let rows = self.list_rows().max(1);
        let page = isize::try_from(rows).unwrap_or(isize::MAX);
        let tail = &mut self.tail;
        match action {
            Action::Up => tail.move_by(-1, rows),
            Action::Down => tail.move_by(1, rows),
            Action::PageUp => tail.move_by(-page, rows),
            Action::PageDown => tail.move_by(page, rows),
            Action::Top => tail.to_top(rows),
            Action::Bottom => tail.follow(),
            Action::TogglePause => tail.toggle_pause(rows),
            Action::ShowDetail => tail.open_detail(),
            Action::CloseDetail => tail.detail = None,
            Action::CycleView => {
                if let Some(detail) = tail.detail.as_mut() {
                    detail.cycle_mode();
                }
            }
            Action::Filter => tail.filter_editing = true,
            Action::ClearFilter => tail.clear_filter(),
            Action::TailOptions => {
                if let Some(spec) = &tail.spec {
                    tail.options = Some(OptionsForm::from_spec(spec));
                }
            }
            Action::Copy => self.copy_selected(),
            Action::Export => self.export(),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn copy_selected(&mut self) {
        let record = match &self.tail.detail {
            Some(detail) => Some(detail.record.clone()),
            None => self
                .tail
                .selected_row()
                .and_then(|row| self.tail.buffer.seq_at(row))
                .and_then(|seq| self.tail.buffer.get(seq).cloned()),
        };
        let Some(record) = record else { return };
        match &record.value {
            None => self.toast(
                Level::Warn,
                "Nothing to copy: the value is null (tombstone)",
            ),
            Some(value) if value.len() > 1 << 20 => self.toast(
                Level::Warn,
                "Not copied: terminals take at most about 1 MiB through OSC 52",
            ),
            Some(value) => {
                self.effects.push(Effect::Clipboard(value.clone()));
                self.toast(
                    Level::Info,
                    format!(
                        "Copied {} (OSC 52)",
                        crate::widgets::payload::human_bytes(value.len() as u64)
                    ),
                );
            }
        }
    }

    pub(super) fn export(&mut self) {
        let Some(topic) = self.tail.topic.clone() else {
            return;
        };
        let records = self.tail.buffer.view_records();
        if records.is_empty() {
            self.toast(Level::Warn, "Nothing to export: no records in view");
            return;
        }
        let stamp = jiff::Timestamp::now()
            .strftime("%Y%m%d-%H%M%S%.3f")
            .to_string();
        let safe: String = topic
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = std::path::PathBuf::from(format!("ktui-{safe}-{stamp}.ndjson"));
        self.effects.push(Effect::Export {
            path,
            topic,
            records,
        });
    }

    /// Takes the effects `handle` queued.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}
