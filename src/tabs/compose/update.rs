//! The Compose tab's update: field editing, sending, delivery reports, the history
//! popup, the draft kept on disk, and the watch tail beside the editor. Sending, the
//! watch tail and the delivery reports are in `update/deliveries.rs`.

mod deliveries;

use crossterm::event::KeyEvent;
use jiff::tz::TimeZone;

use super::draft::{self, Draft, DraftWrite};
use super::{ComposeTab, Field, Part};
use crate::action::Action;
use crate::effects::{Effect, Level};
use crate::kafka::model::ClusterSnapshot;
use crate::kafka::position::now_ms;
use crate::kafka::produce::{DeliveryReport, ProduceFailure};
use crate::kafka::tail::TailEvent;
use crate::kafka::{Command, RequestId};
use crate::tabs::Ctx;

/// What the Compose tab is told. Several carry the cluster's topics (completion and
/// checks before a send).
#[derive(Debug)]
pub enum Msg<'a> {
    /// A key while a field or the history popup has the keyboard
    /// ([`ComposeTab::takes_keys`]), with the action the keymap's contexts for them
    /// give it (`compose_form` or `history`; in a field the `compose` context's Ctrl
    /// keys too). `None`: the key is typed.
    Key {
        key: &'a KeyEvent,
        action: Option<Action>,
        snapshot: Option<&'a ClusterSnapshot>,
    },
    /// Pasted text, into the focused field.
    Paste(&'a str),
    /// A keymap action.
    Action {
        action: Action,
        snapshot: Option<&'a ClusterSnapshot>,
    },
    /// The tab is shown: watch the topic being composed for.
    Shown,
    /// A tick: save the draft when it changed (at most once a second).
    Tick,
    /// Save the draft now if it changed (on quit).
    Flush,
    /// The draft file an earlier run left.
    DraftRead { text: &'a str, tz: &'a TimeZone },
    /// A delivery report; `shown` when the tab is in view (else a failure is a toast).
    Delivered {
        id: RequestId,
        result: Result<DeliveryReport, ProduceFailure>,
        shown: bool,
    },
    /// An event of the watch tail.
    Watch(TailEvent),
    /// The registry's subjects (the Schema field's completions), or why not.
    Subjects {
        id: RequestId,
        result: Result<Vec<String>, String>,
    },
    /// A subject's versions (a schema field's completions after `SUBJECT@`), or why not.
    Versions {
        id: RequestId,
        result: Result<Vec<i32>, String>,
    },
    /// The schema the Schema field asked for, or why not.
    Schema {
        id: RequestId,
        result: Result<Box<crate::schema::Encoder>, String>,
    },
}

impl ComposeTab {
    /// Whether keys go to a field or the history popup before the keymap.
    pub fn takes_keys(&self) -> bool {
        self.focus.is_some() || self.history_open.is_some()
    }

    /// Any key while the tab is shown may change the form (the next tick compares), and
    /// only the discard key, pressed again, discards: anything else keeps the draft.
    pub fn key_seen(&mut self, action: Option<Action>) {
        self.draft.dirty = true;
        if action != Some(Action::DiscardDraft) {
            self.draft.confirm_discard = false;
        }
    }

    pub fn update(&mut self, msg: Msg<'_>, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Key {
                key,
                action,
                snapshot,
            } => return self.key(key, action, snapshot, ctx),
            Msg::Paste(text) => return self.paste(text, ctx),
            Msg::Action { action, snapshot } => return self.apply(action, snapshot, ctx),
            Msg::Shown => return self.ensure_watch(ctx),
            Msg::Tick => self.draft_tick(ctx),
            Msg::Flush => self.flush_draft(ctx),
            Msg::DraftRead { text, tz } => self.on_draft_read(text, tz, ctx),
            Msg::Delivered { id, result, shown } => self.on_delivered(id, result, shown, ctx),
            Msg::Watch(event) => self.on_watch(event),
            Msg::Schema { id, result } => self.schema_loaded(id, result),
            Msg::Subjects { id, result } => self.subjects_listed(id, result),
            Msg::Versions { id, result } => self.versions_listed(id, result),
        }
        Vec::new()
    }

    /// A key while a field or the history popup has the keyboard.
    fn key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        snapshot: Option<&ClusterSnapshot>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        if let Some(selected) = self.history_open {
            return self.history_key(action, selected, ctx);
        }
        let Some(field) = self.focus else {
            return Vec::new();
        };
        let multiline = matches!(field, Field::Value | Field::Headers);
        let mut commands = Vec::new();
        match action {
            Some(Action::NextField | Action::PrevField) => {
                commands = self.left(field, ctx);
                self.focus_step(action == Some(Action::NextField));
                commands.extend(self.entered(ctx));
            }
            Some(Action::Close) => {
                commands = self.left(field, ctx);
                self.focus = None;
            }
            // Enter is a new line in the value and the headers.
            Some(Action::Submit) if multiline => self.input(field, key),
            Some(Action::Submit) if field == Field::Topic => {
                let first = self.completions(snapshot).first().map(|s| (*s).to_string());
                if let Some(name) = first {
                    self.topic = crate::widgets::text_input::TextInput::with_value(name);
                } else {
                    self.focus_step(true);
                }
                commands = self.ensure_watch(ctx);
            }
            Some(Action::Submit) if matches!(field, Field::Schema | Field::KeySchema) => {
                if !self.complete_schema(field) {
                    commands = self.left(field, ctx);
                    self.focus_step(true);
                    commands.extend(self.entered(ctx));
                }
            }
            Some(Action::Submit) => {
                commands = self.left(field, ctx);
                self.focus_step(true);
                commands.extend(self.entered(ctx));
            }
            Some(action) => return self.apply(action, snapshot, ctx),
            None => {
                self.input(field, key);
                commands = self.ensure_versions(field, ctx);
            }
        }
        commands
    }

    /// A field was entered: a schema field asks for the subjects (its completions).
    fn entered(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        match self.focus {
            Some(Field::Schema | Field::KeySchema) => {
                // Asked again on entering: a failure may have passed, versions may have
                // been registered since.
                self.versions.clear();
                if matches!(self.subjects, Some(Err(_))) {
                    self.subjects = None;
                }
                let mut commands = self.ensure_subjects(ctx);
                if let Some(field) = self.focus {
                    commands.extend(self.ensure_versions(field, ctx));
                }
                commands
            }
            _ => Vec::new(),
        }
    }

    /// A field was left: the topic is watched, the schema loaded (when they changed).
    fn left(&mut self, field: Field, ctx: &mut Ctx) -> Vec<Command> {
        match field {
            Field::Topic => self.ensure_watch(ctx),
            Field::Schema => self.ensure_schema(Part::Value, ctx),
            Field::KeySchema => self.ensure_schema(Part::Key, ctx),
            _ => Vec::new(),
        }
    }

    fn input(&mut self, field: Field, key: &KeyEvent) {
        let compose = &mut *self;
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
                if compose.key.handle_key(key) {
                    compose.problem = None;
                    compose.check_key_schema();
                }
            }
            Field::Schema => {
                if compose.value_schema.input.handle_key(key) {
                    compose.problem = None;
                }
            }
            Field::KeySchema => {
                if compose.key_schema.input.handle_key(key) {
                    compose.problem = None;
                }
            }
        }
    }

    /// A paste into a schema field asks for the versions of a `SUBJECT@` it completes.
    fn paste(&mut self, text: &str, ctx: &mut Ctx) -> Vec<Command> {
        let compose = &mut *self;
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
            Some(Field::Key) => {
                compose.key.insert_str(text);
                compose.problem = None;
                compose.check_key_schema();
            }
            Some(Field::Schema) => {
                compose.value_schema.input.insert_str(text);
                compose.problem = None;
            }
            Some(Field::KeySchema) => {
                compose.key_schema.input.insert_str(text);
                compose.problem = None;
            }
            None => {}
        }
        match self.focus {
            Some(field) => self.ensure_versions(field, ctx),
            None => Vec::new(),
        }
    }

    fn history_key(
        &mut self,
        action: Option<Action>,
        selected: usize,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        let last = self.history.len().saturating_sub(1);
        let mut commands = Vec::new();
        match action {
            Some(Action::Close) => self.history_open = None,
            Some(Action::Up) => {
                self.history_open = Some(selected.saturating_sub(1));
            }
            Some(Action::Down) => {
                self.history_open = Some((selected + 1).min(last));
            }
            Some(Action::Submit) => {
                if let Some(entry) = self.history.get(selected).cloned() {
                    commands = self.load(&entry, ctx);
                }
                self.history_open = None;
            }
            _ => {}
        }
        commands
    }

    /// Performs a keymap action on the Compose tab.
    fn apply(
        &mut self,
        action: Action,
        snapshot: Option<&ClusterSnapshot>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        match action {
            Action::FocusEditor => self.focus = Some(Field::Value),
            Action::Send => return self.send(snapshot, ctx),
            Action::FormatJson => self.format_json(),
            Action::ToggleTombstone => self.tombstone = !self.tombstone,
            Action::History => self.history_open = Some(0),
            Action::DiscardDraft => self.discard_draft(ctx),
            _ => {}
        }
        Vec::new()
    }

    /// The discard key: the first press asks, the second empties the form (the topic
    /// stays) and removes the saved draft.
    fn discard_draft(&mut self, ctx: &mut Ctx) {
        let draft = &mut self.draft;
        if !draft.confirm_discard {
            draft.confirm_discard = true;
            return;
        }
        draft.confirm_discard = false;
        draft.restored_ms = None;
        draft.sent = None;
        self.discard();
        ctx.effects.push(Effect::RemoveDraft);
        self.draft.on_disk = None;
        self.draft.dirty = false;
        ctx.toast(Level::Info, "Draft discarded");
    }

    /// On the tick: writes the draft when it changed, at most once a second.
    fn draft_tick(&mut self, ctx: &mut Ctx) {
        if self.draft.due(ctx.ticks) {
            self.write_draft(ctx);
        }
    }

    /// Writes the draft now if it changed (on quit, and after a send).
    fn flush_draft(&mut self, ctx: &mut Ctx) {
        if self.draft.dirty {
            self.write_draft(ctx);
        }
    }

    fn write_draft(&mut self, ctx: &mut Ctx) {
        let form = self.draft_form();
        let write = self.draft.flush(form, ctx.ticks, now_ms());
        match write {
            Some(DraftWrite::Save(content)) => {
                // Edited since it was restored: the notice has done its job.
                self.draft.restored_ms = None;
                ctx.effects.push(Effect::SaveDraft(content));
            }
            Some(DraftWrite::Remove) => ctx.effects.push(Effect::RemoveDraft),
            None => {}
        }
    }

    /// The draft file an earlier run left: restored into the form, and said so.
    fn on_draft_read(&mut self, text: &str, tz: &TimeZone, ctx: &mut Ctx) {
        let saved = match Draft::parse(text) {
            Ok(saved) => saved,
            Err(error) => {
                let file = draft::path().map(|p| p.display().to_string());
                ctx.notice(
                    Level::Warn,
                    format!(
                        "The Compose draft {} cannot be read ({error}); it is replaced by what you type, or removed",
                        file.unwrap_or_default()
                    ),
                );
                // Something unreadable is on disk: the next flush replaces or removes it,
                // so the warning does not come back at every start.
                self.draft.on_disk = Some(draft::DraftForm::default());
                self.draft.dirty = true;
                return;
            }
        };
        let compose = &mut *self;
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
        let when = draft::saved_at(saved.saved_ms, tz);
        ctx.notice(
            Level::Info,
            format!(
                "Compose (3): your unsent draft from {when} was restored; Ctrl-L twice there discards it"
            ),
        );
    }
}
