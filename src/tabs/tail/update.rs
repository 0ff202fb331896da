//! The Tail tab's update: starting and replacing its tail, the keys that reach it (the
//! filter, the options dialog), keymap actions (copy, export, detail), and its tail's
//! events.

use crossterm::event::KeyEvent;

use super::options::OptionsForm;
use super::{TailTab, table_rows};
use crate::action::Action;
use crate::effects::{Effect, Level};
use crate::kafka::Command;
use crate::kafka::tail::{TailEvent, TailSpec};
use crate::tabs::Ctx;

/// How a failed tail's toast begins (it goes once the tail is live again).
pub const TAIL_FAILED: &str = "Tail failed: ";

/// What the Tail tab is told.
#[derive(Debug)]
pub enum Msg<'a> {
    /// A key while the filter or the options dialog has the keyboard
    /// ([`TailTab::takes_keys`]), with the partitions the cluster knows for the tail's
    /// topic (the options dialog checks them).
    Key {
        key: &'a KeyEvent,
        /// What the keymap's context for the filter or the dialog makes of the key
        /// (`None`: it is typed).
        action: Option<Action>,
        known_partitions: Option<Vec<i32>>,
    },
    /// A keymap action.
    Action(Action),
    /// An event of the running tail.
    Event(TailEvent),
}

impl TailTab {
    /// Whether keys go to the filter or the options dialog before the keymap.
    pub fn takes_keys(&self) -> bool {
        self.options.is_some() || self.filter_editing
    }

    pub fn update(&mut self, msg: Msg<'_>, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Key {
                key,
                action,
                known_partitions,
            } => {
                if self.options.is_some() {
                    return self.options_key(key, action, known_partitions.as_deref(), ctx);
                }
                self.filter_key(key, action);
                Vec::new()
            }
            Msg::Action(action) => self.apply(action, ctx),
            Msg::Event(event) => {
                self.on_tail_event(event, ctx);
                Vec::new()
            }
        }
    }

    /// Stops the running tail (if any) and starts `spec`.
    pub fn restart(&mut self, spec: TailSpec, ctx: &mut Ctx) -> Vec<Command> {
        let mut commands = Vec::new();
        if let Some(old) = self.request.take() {
            commands.push(Command::StopTail { id: old });
        }
        let id = ctx.request_id();
        self.begin(id, spec.clone());
        commands.push(Command::StartTail { id, spec });
        commands
    }

    /// An event of the running tail: the tab takes it; failures and partitions that went
    /// back are said in a toast.
    fn on_tail_event(&mut self, event: TailEvent, ctx: &mut Ctx) {
        match &event {
            TailEvent::Failed(reason) => {
                ctx.toast(Level::Error, format!("{TAIL_FAILED}{reason}"));
            }
            // Live again: an earlier failure is history.
            TailEvent::Started { .. } | TailEvent::Records(_) => {
                ctx.dismiss.push(TAIL_FAILED.to_string());
            }
            _ => {}
        }
        for notice in self.on_event(event) {
            ctx.toast(Level::Warn, notice);
        }
    }

    fn filter_key(&mut self, key: &KeyEvent, action: Option<Action>) {
        let tail = self;
        match action {
            Some(Action::Submit) => {
                tail.filter_editing = false;
                tail.apply_filter();
            }
            Some(Action::ClearFilter) => {
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

    fn options_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        known: Option<&[i32]>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        let Some(form) = self.options.as_mut() else {
            return Vec::new();
        };
        match action {
            Some(Action::Close) => self.options = None,
            Some(Action::NextField) => form.focus_next(true),
            Some(Action::PrevField) => form.focus_next(false),
            Some(Action::Submit) => {
                let topic = self.topic.clone().unwrap_or_default();
                match form.spec(&topic, known) {
                    Ok(mut spec) => {
                        self.options = None;
                        // A search reads through the tab's filter: only matches come back.
                        if spec.until.is_some() {
                            spec.filter.clone_from(&self.filter_text);
                        }
                        return self.restart(spec, ctx);
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
    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let rows = table_rows(ctx.size).max(1);
        let page = isize::try_from(rows).unwrap_or(isize::MAX);
        let tail = &mut *self;
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
            Action::Copy => self.copy_selected(ctx),
            Action::Export => self.export(ctx),
            Action::StopSearch => return self.stop_search(),
            _ => {}
        }
        Vec::new()
    }

    /// Stops a running search; what it found stays in the buffer.
    fn stop_search(&mut self) -> Vec<Command> {
        let Some(search) = self.search.as_mut().filter(|s| s.running()) else {
            return Vec::new();
        };
        search.state = super::search::SearchState::Stopped;
        self.request
            .take()
            .map(|id| Command::StopTail { id })
            .into_iter()
            .collect()
    }

    fn copy_selected(&self, ctx: &mut Ctx) {
        // The detail copies what it shows (a decoding, a schema); the list the bytes.
        let bytes = if let Some(detail) = &self.detail {
            detail.copied()
        } else {
            let Some(record) = self
                .selected_row()
                .and_then(|row| self.buffer.seq_at(row))
                .and_then(|seq| self.buffer.get(seq))
            else {
                return;
            };
            record.value.clone()
        };
        match bytes {
            None => ctx.toast(
                Level::Warn,
                "Nothing to copy: the value is null (tombstone)",
            ),
            Some(value) if value.len() > 1 << 20 => ctx.toast(
                Level::Warn,
                "Not copied: terminals take at most about 1 MiB through OSC 52",
            ),
            Some(value) => {
                let size = crate::widgets::payload::human_bytes(value.len() as u64);
                ctx.effects.push(Effect::Clipboard(value));
                ctx.toast(Level::Info, format!("Copied {size} (OSC 52)"));
            }
        }
    }

    fn export(&self, ctx: &mut Ctx) {
        let Some(topic) = self.topic.clone() else {
            return;
        };
        let records = self.buffer.view_records();
        if records.is_empty() {
            ctx.toast(Level::Warn, "Nothing to export: no records in view");
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
        ctx.effects.push(Effect::Export {
            path,
            topic,
            records,
        });
    }
}
