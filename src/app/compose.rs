//! The Compose tab's part of `App`: field editing, sending, delivery reports, history
//! and the watch tail beside the editor.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Level};
use crate::action::Action;
use crate::kafka::position::{StartPosition, now_ms};
use crate::kafka::produce::{DeliveryReport, ProduceFailure};
use crate::kafka::tail::{TailEvent, TailSpec};
use crate::kafka::{Command, RequestId};
use crate::keymap::{Context, Key};
use crate::tabs::compose::draft::{self, Draft, DraftWrite};
use crate::tabs::compose::{Field, history};

impl App {
    /// Keys while the Compose tab is shown.
    pub(super) fn compose_key(&mut self, key: &KeyEvent) -> Option<Vec<Command>> {
        // Any key may change the form: the next tick looks (a cheap comparison).
        self.compose.draft.dirty = true;
        if self
            .keymap
            .lookup(&[Context::Compose], Key::from_event(key))
            != Some(Action::DiscardDraft)
        {
            // Only the discard key, pressed again, discards; anything else keeps the draft.
            self.compose.draft.confirm_discard = false;
        }
        if let Some(selected) = self.compose.history_open {
            self.history_key(key, selected);
            return Some(Vec::new());
        }
        let field = self.compose.focus?;
        if key.modifiers.contains(KeyModifiers::CONTROL)
            && let Some(action) = self
                .keymap
                .lookup(&[Context::Compose], Key::from_event(key))
        {
            return Some(self.apply_compose(action));
        }
        let mut commands = Vec::new();
        match key.code {
            KeyCode::Tab | KeyCode::BackTab => {
                if field == Field::Topic {
                    commands = self.ensure_watch();
                }
                self.compose.focus_step(key.code == KeyCode::Tab);
            }
            KeyCode::Esc => {
                if field == Field::Topic {
                    commands = self.ensure_watch();
                }
                self.compose.focus = None;
            }
            KeyCode::Enter if field == Field::Topic => {
                let first = self
                    .compose
                    .completions(self.topics.snapshot.loaded())
                    .first()
                    .map(|s| (*s).to_string());
                if let Some(name) = first {
                    self.compose.topic = crate::widgets::text_input::TextInput::with_value(name);
                } else {
                    self.compose.focus_step(true);
                }
                commands = self.ensure_watch();
            }
            KeyCode::Enter if matches!(field, Field::Partition | Field::Key) => {
                self.compose.focus_step(true);
            }
            _ => self.compose_input(field, key),
        }
        Some(commands)
    }

    fn compose_input(&mut self, field: Field, key: &KeyEvent) {
        let compose = &mut self.compose;
        match field {
            Field::Value => {
                if compose.value.input(*key) {
                    compose.value_changed();
                }
            }
            Field::Headers => {
                if compose.headers.input(*key) {
                    compose.problem = None;
                }
            }
            Field::Topic => {
                compose.topic.handle_key(key);
            }
            Field::Partition => {
                compose.partition.handle_key(key);
            }
            Field::Key => {
                compose.key.handle_key(key);
            }
        }
    }

    pub(super) fn compose_paste(&mut self, text: &str) {
        let compose = &mut self.compose;
        compose.draft.dirty = true;
        compose.draft.confirm_discard = false;
        match compose.focus {
            Some(Field::Value) => {
                compose.value.insert_str(text);
                compose.value_changed();
            }
            Some(Field::Headers) => {
                compose.headers.insert_str(text);
            }
            Some(Field::Topic) => compose.topic.insert_str(text),
            Some(Field::Partition) => compose.partition.insert_str(text),
            Some(Field::Key) => compose.key.insert_str(text),
            None => {}
        }
    }

    fn history_key(&mut self, key: &KeyEvent, selected: usize) {
        let last = self.compose.history.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => self.compose.history_open = None,
            KeyCode::Up | KeyCode::Char('k') => {
                self.compose.history_open = Some(selected.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.compose.history_open = Some((selected + 1).min(last));
            }
            KeyCode::Enter => {
                if let Some(message) = self.compose.history.get(selected).cloned() {
                    self.compose.load(&message);
                }
                self.compose.history_open = None;
            }
            _ => {}
        }
    }

    /// Performs a keymap action on the Compose tab.
    pub(super) fn apply_compose(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::FocusEditor => self.compose.focus = Some(Field::Value),
            Action::Send => return self.send(),
            Action::FormatJson => self.compose.format_json(),
            Action::ToggleTombstone => self.compose.tombstone = !self.compose.tombstone,
            Action::History => self.compose.history_open = Some(0),
            Action::DiscardDraft => self.discard_draft(),
            _ => {}
        }
        Vec::new()
    }

    /// The discard key: the first press asks, the second empties the form (the topic
    /// stays) and removes the saved draft.
    fn discard_draft(&mut self) {
        let draft = &mut self.compose.draft;
        if !draft.confirm_discard {
            draft.confirm_discard = true;
            return;
        }
        draft.confirm_discard = false;
        draft.restored_ms = None;
        draft.sent = None;
        self.compose.discard();
        self.effects.push(Effect::RemoveDraft);
        self.compose.draft.on_disk = None;
        self.compose.draft.dirty = false;
        self.toast(Level::Info, "Draft discarded");
    }

    /// On the tick: writes the draft when it changed, at most once a second.
    pub(super) fn draft_tick(&mut self) {
        if self.compose.draft.due(self.ticks) {
            self.write_draft();
        }
    }

    /// Writes the draft now if it changed (on quit, and after a send).
    pub fn flush_draft(&mut self) {
        if self.compose.draft.dirty {
            self.write_draft();
        }
    }

    fn write_draft(&mut self) {
        let form = self.compose.draft_form();
        let write = self.compose.draft.flush(form, self.ticks, now_ms());
        match write {
            Some(DraftWrite::Save(content)) => {
                // Edited since it was restored: the notice has done its job.
                self.compose.draft.restored_ms = None;
                self.effects.push(Effect::SaveDraft(content));
            }
            Some(DraftWrite::Remove) => self.effects.push(Effect::RemoveDraft),
            None => {}
        }
    }

    /// The draft file an earlier run left: restored into the form, and said so.
    pub(super) fn on_draft_read(&mut self, text: &str) {
        let saved = match Draft::parse(text) {
            Ok(saved) => saved,
            Err(error) => {
                let file = draft::path().map(|p| p.display().to_string());
                self.notice(
                    Level::Warn,
                    format!(
                        "The Compose draft {} cannot be read ({error}); it is replaced by what you type, or removed",
                        file.unwrap_or_default()
                    ),
                );
                // Something unreadable is on disk: the next flush replaces or removes it,
                // so the warning does not come back at every start.
                self.compose.draft.on_disk = Some(draft::DraftForm::default());
                self.compose.draft.dirty = true;
                return;
            }
        };
        let compose = &mut self.compose;
        // The file holds this, whatever happens next: later writes replace or remove it.
        compose.draft.on_disk = Some(saved.form.clone());
        if saved.form.is_blank() {
            compose.draft.dirty = true;
            return;
        }
        if !compose.draft_form().is_blank() {
            // Typed into already (the read came late): what is typed wins, and is saved.
            tracing::info!("a Compose draft was found but the form is no longer empty");
            compose.draft.dirty = true;
            return;
        }
        compose.restore(&saved.form);
        compose.draft.restored_ms = Some(saved.saved_ms);
        let when = draft::saved_at(saved.saved_ms, &self.tz);
        self.notice(
            Level::Info,
            format!(
                "Compose (3): your unsent draft from {when} was restored; Ctrl-L twice there discards it"
            ),
        );
    }

    /// Ctrl-S: validate, send, and keep the editor as it is.
    fn send(&mut self) -> Vec<Command> {
        if let Some(reason) = self.read_only().map(str::to_string) {
            self.compose.problem = Some(format!("Not sent: {reason}"));
            return Vec::new();
        }
        match self.compose.prepare(self.topics.snapshot.loaded()) {
            Ok(message) => {
                let mut commands = self.ensure_watch();
                let id = self.request_id();
                self.compose
                    .sent(id, message.clone(), Instant::now(), now_ms());
                // Sent: not a draft any more (the editor keeps it for sending again).
                self.compose.draft.sent = Some(self.compose.draft_form());
                self.compose.draft.restored_ms = None;
                self.compose.draft.dirty = true;
                self.flush_draft();
                commands.push(Command::Produce { id, message });
                commands
            }
            Err(problem) => {
                self.compose.problem = Some(problem);
                Vec::new()
            }
        }
    }

    /// Starts the watch tail on the composer's topic when it changed. It starts two
    /// seconds back, so a message sent while it is starting is still seen.
    pub(super) fn ensure_watch(&mut self) -> Vec<Command> {
        let topic = self.compose.topic.value().trim().to_string();
        if topic.is_empty() || self.compose.watch.topic.as_deref() == Some(topic.as_str()) {
            return Vec::new();
        }
        let mut commands = Vec::new();
        if let Some(old) = self.compose.watch.request.take() {
            commands.push(Command::StopTail { id: old });
        }
        let id = self.request_id();
        let watch = &mut self.compose.watch;
        watch.request = Some(id);
        watch.topic = Some(topic.clone());
        watch.records.clear();
        watch.failed = None;
        let spec = TailSpec {
            start: StartPosition::Time(now_ms() - 2_000),
            ..TailSpec::new(topic)
        };
        commands.push(Command::StartTail { id, spec });
        commands
    }

    /// A tail event for the watch beside the editor.
    pub(super) fn on_watch(&mut self, event: TailEvent) {
        match event {
            TailEvent::Records(records) => self.compose.watched(records, Instant::now()),
            TailEvent::Failed(reason) => self.compose.watch.failed = Some(reason),
            TailEvent::Started { .. }
            | TailEvent::Lag(_)
            | TailEvent::Warning(_)
            | TailEvent::ReachedEnd => {}
        }
    }

    pub(super) fn on_delivered(
        &mut self,
        id: RequestId,
        result: Result<DeliveryReport, ProduceFailure>,
    ) {
        if result.is_err() && self.compose.reports.iter().any(|r| r.id == id) {
            // Not delivered: what the editor holds is a draft again, so it is kept.
            self.compose.draft.sent = None;
            self.compose.draft.dirty = true;
        }
        if let Err(failure) = &result
            && self.tab != super::Tab::Compose
        {
            self.toast(
                Level::Error,
                format!("Send failed: {} ({})", failure.message, failure.code),
            );
        }
        if self.compose.delivered(id, result, Instant::now()) {
            self.effects.push(Effect::SaveHistory(history::serialize(
                &self.compose.history,
            )));
        }
    }
}
