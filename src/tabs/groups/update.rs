//! The Groups tab's update: ticks (when to ask), the keys that reach it (the filter and
//! the dialogs) and keymap actions. The worker's answers are taken in `answers.rs`.

use crossterm::event::{KeyCode, KeyEvent};

use super::dialog::{DeleteDialog, Dialog, ResetDialog, ResetField, Status};
use super::pace::{HIDDEN_FLOOR_MS, SHOWN_FLOOR_MS};
use super::{Details, GroupSort, GroupsTab, details_rows, list_rows};
use crate::action::Action;
use crate::effects::Level;
use crate::kafka::groups::GroupKind;
use crate::kafka::{Command, KafkaEvent};
use crate::tabs::{Ctx, OpenTail};
use crate::text::escape_control;

/// What the Groups tab is told.
#[derive(Debug)]
pub enum Msg<'a> {
    /// A key while the filter or a dialog has the keyboard ([`GroupsTab::takes_keys`]),
    /// with the action the keymap's context for it gives (`None`: the key is typed).
    Key {
        key: &'a KeyEvent,
        action: Option<Action>,
    },
    /// A keymap action.
    Action(Action),
    /// The tab came into view: ask now.
    Shown,
    /// A tick: whether the tab is in view and whether the cluster answers.
    Tick { shown: bool, connected: bool },
    /// Show only the groups that consume this topic (from the Topics tab).
    ConsumersOf(String),
    /// A worker answer to one of the tab's requests.
    Answer(KafkaEvent),
}

impl GroupsTab {
    pub fn update(&mut self, msg: Msg<'_>, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Key { key, action } => {
                if self.dialog.is_some() {
                    return self.dialog_key(key, action, ctx);
                }
                self.filter_key(key, action, ctx);
                Vec::new()
            }
            Msg::Action(action) => self.apply(action, ctx),
            Msg::Shown => self.shown(ctx),
            Msg::Tick { shown, connected } => self.tick(shown, connected, ctx),
            Msg::ConsumersOf(topic) => {
                self.topic = Some(topic);
                self.filter.clear();
                self.filter_editing = false;
                self.details = None;
                self.recompute(None);
                self.selected = 0;
                self.offset = 0;
                Vec::new()
            }
            Msg::Answer(event) => self.answer(event, ctx),
        }
    }

    /// Asks for the list (and the open group) now, unless a request is in flight.
    fn shown(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        let mut commands = Vec::new();
        if self.listing.idle(ctx.ticks) {
            commands.push(self.list(ctx));
        }
        if let Some(details) = &self.details
            && details.pace.idle(ctx.ticks)
        {
            commands.push(self.describe(ctx));
        }
        commands
    }

    /// Refreshes that are due: the list at the adaptive pace (slower while hidden, so the
    /// lag history covers the time since launch), the open group while shown.
    fn tick(&mut self, shown: bool, connected: bool, ctx: &mut Ctx) -> Vec<Command> {
        let mut commands = Vec::new();
        let floor = if shown {
            SHOWN_FLOOR_MS
        } else {
            HIDDEN_FLOOR_MS
        };
        if (shown || connected) && self.listing.due(ctx.ticks, floor) {
            commands.push(self.list(ctx));
        }
        if shown
            && let Some(details) = &self.details
            && details.pace.due(ctx.ticks, SHOWN_FLOOR_MS)
        {
            commands.push(self.describe(ctx));
        }
        commands
    }

    pub(super) fn list(&mut self, ctx: &mut Ctx) -> Command {
        let id = ctx.request_id();
        self.listing.sent(id, ctx.ticks);
        Command::ListGroups { id }
    }

    /// Describes the open group (the caller checked one is open).
    pub(super) fn describe(&mut self, ctx: &mut Ctx) -> Command {
        let id = ctx.request_id();
        let details = self.details.get_or_insert_with(Details::default);
        details.pace.sent(id, ctx.ticks);
        Command::DescribeGroup {
            id,
            group: details.group.clone(),
        }
    }

    /// The group the keys act on: the open one, else the selected one.
    fn current_group(&self) -> Option<String> {
        self.details
            .as_ref()
            .map(|d| d.group.clone())
            .or_else(|| self.selected_group().map(|g| g.name.clone()))
    }

    /// The topic a key means for `group`: the selected partition's in the details, else
    /// the group's first.
    fn current_topic(&self, group: &str) -> Option<String> {
        if let Some(details) = &self.details
            && details.group == group
            && let Some(topic) = details.selected_topic()
        {
            return Some(topic.to_string());
        }
        self.all()
            .iter()
            .find(|g| g.name == group)
            .and_then(|g| g.topics.first().cloned())
    }

    fn filter_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &Ctx) {
        match action {
            Some(Action::Submit) => self.filter_editing = false,
            Some(Action::ClearFilter) => {
                self.filter_editing = false;
                self.filter.clear();
                self.recompute(None);
            }
            Some(Action::Up) => self.move_by(-1),
            Some(Action::Down) => self.move_by(1),
            _ => {
                if self.filter.handle_key(key) {
                    self.recompute(None);
                }
            }
        }
        self.scroll_into_view(list_rows(ctx.size, self.details.is_some()));
    }

    fn dialog_key(
        &mut self,
        key: &KeyEvent,
        action: Option<Action>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        match self.dialog.as_mut() {
            Some(Dialog::Reset(reset)) => {
                if action == Some(Action::Close) {
                    if reset.status.sending() && reset.preview.is_none() {
                        // Stop waiting for the plan; its answer is dropped.
                        reset.status = Status::Editing;
                    } else if reset.preview.is_some() && !reset.status.sending() {
                        // Back to the form, to change it.
                        reset.preview = None;
                        reset.status = Status::Editing;
                    } else if let Some(Dialog::Reset(mut reset)) = self.dialog.take() {
                        // The form is kept for `r` on the same group, as a form: a preview
                        // being applied goes on without it, and its answer is a toast.
                        reset.preview = None;
                        reset.status = Status::Editing;
                        reset.confirm = crate::widgets::text_input::TextInput::default();
                        self.kept = Some(reset);
                    }
                    return Vec::new();
                }
                if reset.status.sending() {
                    return Vec::new();
                }
                reset_key(reset, key, action, ctx)
            }
            Some(Dialog::Delete(delete)) => {
                if action == Some(Action::Close) {
                    self.dialog = None;
                    return Vec::new();
                }
                if delete.status.sending() {
                    return Vec::new();
                }
                delete_key(delete, key, action, ctx)
            }
            None => Vec::new(),
        }
    }

    /// Performs a keymap action on the list or the open group.
    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let rows = if self.details.is_some() {
            details_rows(ctx.size)
        } else {
            list_rows(ctx.size, false)
        };
        let page = isize::try_from(rows.max(1)).unwrap_or(isize::MAX);
        let mut commands = Vec::new();
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-page),
            Action::PageDown => self.move_by(page),
            Action::Top => self.move_to_end(false),
            Action::Bottom => self.move_to_end(true),
            Action::Filter => self.filter_editing = true,
            Action::ClearFilter => {
                self.filter.clear();
                self.topic = None;
                self.recompute(None);
            }
            Action::SortNext | Action::SortReverse => {
                self.sort = match self.sort {
                    GroupSort::Lag => GroupSort::Name,
                    GroupSort::Name => GroupSort::Lag,
                };
                self.recompute(None);
            }
            Action::ToggleInternal => {
                self.show_internal = !self.show_internal;
                self.recompute(None);
            }
            Action::FocusDetails => {
                let open = self.details.as_ref().map(|d| d.group.as_str());
                if let Some(group) = self
                    .selected_group()
                    .map(|g| g.name.clone())
                    .filter(|g| open != Some(g.as_str()))
                {
                    self.details = Some(Details::new(&group));
                    commands.push(self.describe(ctx));
                }
            }
            Action::FocusList | Action::Close => self.details = None,
            Action::Refresh => commands.extend(self.refresh_now(ctx)),
            Action::TailAsGroup => self.tail_as_group(ctx),
            Action::ResetOffsets => self.open_reset(ctx),
            Action::DeleteGroup => {
                if !ctx.refuse_write("Deleting a group")
                    && let Some(group) = self.current_group()
                {
                    self.dialog = Some(Dialog::Delete(DeleteDialog::group(&group)));
                }
            }
            Action::DeleteGroupOffsets => {
                if !ctx.refuse_write("Deleting a group's offsets")
                    && let Some(group) = self.current_group()
                {
                    let topic = self.current_topic(&group).unwrap_or_default();
                    self.dialog = Some(Dialog::Delete(DeleteDialog::offsets(&group, &topic)));
                }
            }
            _ => {}
        }
        self.scroll_into_view(list_rows(ctx.size, self.details.is_some()));
        commands
    }

    /// Opens the Tail tab on the group's topic, from where the group has committed,
    /// without joining the group.
    fn tail_as_group(&self, ctx: &mut Ctx) {
        let Some(group) = self.current_group() else {
            return;
        };
        let share = self
            .all()
            .iter()
            .chain(
                self.details
                    .as_ref()
                    .and_then(|d| d.detail())
                    .map(|d| &d.summary),
            )
            .any(|g| g.name == group && g.kind == GroupKind::Share);
        if share {
            ctx.toast(
                Level::Warn,
                format!(
                    "{} is a share group: it hands records out one at a time, with no \
                     position of its own to tail from",
                    escape_control(&group)
                ),
            );
            return;
        }
        match self.current_topic(&group) {
            Some(topic) => ctx.open_tail = Some(OpenTail::as_group(topic, group)),
            None => ctx.toast(
                Level::Warn,
                format!(
                    "Group {} has no topic yet (no assignment, no committed offset): nothing to tail",
                    escape_control(&group)
                ),
            ),
        }
    }

    fn open_reset(&mut self, ctx: &mut Ctx) {
        if ctx.refuse_write("Resetting offsets") {
            return;
        }
        let Some(group) = self.current_group() else {
            return;
        };
        let reset = match self.kept.take() {
            Some(kept) if kept.group == group => kept,
            _ => ResetDialog::for_group(&group),
        };
        self.dialog = Some(Dialog::Reset(reset));
    }
}

/// A key in the reset dialog (nothing in flight).
fn reset_key(
    reset: &mut ResetDialog,
    key: &KeyEvent,
    action: Option<Action>,
    ctx: &mut Ctx,
) -> Vec<Command> {
    match action {
        Some(Action::Submit) => {
            if let Some(plan) = &reset.preview {
                if !reset.confirmed() {
                    reset.status = Status::Invalid(format!(
                        "Type the group's name exactly ({}) to apply the reset.",
                        escape_control(&reset.group)
                    ));
                    return Vec::new();
                }
                let id = ctx.request_id();
                reset.status = Status::Sending(id);
                return vec![Command::ApplyReset {
                    id,
                    plan: plan.clone(),
                }];
            }
            match reset.request() {
                Ok(request) => {
                    let id = ctx.request_id();
                    reset.status = Status::Sending(id);
                    return vec![Command::PlanReset { id, request }];
                }
                Err(problem) => reset.status = Status::Invalid(problem),
            }
        }
        Some(Action::NextField) if reset.preview.is_none() => reset.focus_next(true),
        Some(Action::PrevField) if reset.preview.is_none() => reset.focus_next(false),
        _ if reset.preview.is_none() && reset.focus == ResetField::Mode => {
            let forward = match key.code {
                KeyCode::Right | KeyCode::Char(' ') => Some(true),
                KeyCode::Left => Some(false),
                _ => None,
            };
            if let Some(forward) = forward {
                reset.mode = reset.mode.cycle(forward);
                reset.status = Status::Editing;
            }
        }
        _ => {
            if reset
                .focused_input()
                .is_some_and(|input| input.handle_key(key))
            {
                reset.status = Status::Editing;
            }
        }
    }
    Vec::new()
}

/// A key in the delete dialog (nothing in flight).
fn delete_key(
    delete: &mut DeleteDialog,
    key: &KeyEvent,
    action: Option<Action>,
    ctx: &mut Ctx,
) -> Vec<Command> {
    match action {
        Some(Action::NextField | Action::PrevField) => delete.toggle_focus(),
        Some(Action::Submit) => {
            let topic = delete.topic().map(str::to_string);
            if topic.as_deref() == Some("") {
                delete.status = Status::Invalid("Type the topic whose offsets to delete.".into());
                delete.topic_focused = true;
                return Vec::new();
            }
            if !delete.confirmed() {
                delete.status = Status::Invalid(format!(
                    "Type the group's name exactly ({}) to confirm.",
                    escape_control(&delete.group)
                ));
                delete.topic_focused = false;
                return Vec::new();
            }
            let id = ctx.request_id();
            delete.status = Status::Sending(id);
            let group = delete.group.clone();
            return vec![match topic {
                Some(topic) => Command::DeleteGroupOffsets { id, group, topic },
                None => Command::DeleteGroup { id, group },
            }];
        }
        _ => {
            if delete.focused_input().handle_key(key) {
                delete.status = Status::Editing;
            }
        }
    }
    Vec::new()
}
