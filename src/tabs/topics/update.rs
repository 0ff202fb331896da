//! The Topics tab's update: the keys that reach it (the filter, the create and delete
//! dialogs), keymap actions, and the answers to its admin requests.

use crossterm::event::KeyEvent;

use super::{CreateForm, DeleteForm, Dialog, Focus, FormStatus, TopicsTab, list_rows};
use crate::action::Action;
use crate::effects::Level;
use crate::kafka::model::AdminError;
use crate::kafka::{Command, RequestId};
use crate::tabs::Ctx;

/// What the Topics tab is told.
#[derive(Debug)]
pub enum Msg<'a> {
    /// A key while the filter or a dialog has the keyboard ([`TopicsTab::takes_keys`]),
    /// with the action the keymap's context for it gives (`None`: the key is typed).
    Key {
        key: &'a KeyEvent,
        action: Option<Action>,
    },
    /// A keymap action.
    Action(Action),
    Created {
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
    },
    Deleted {
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
    },
}

impl TopicsTab {
    /// Whether keys go to the filter or a dialog before the keymap.
    pub fn takes_keys(&self) -> bool {
        self.filter_editing || self.dialog.is_some()
    }

    pub fn update(&mut self, msg: Msg<'_>, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Key { key, action } => {
                if let Some(dialog) = self.dialog {
                    return self.dialog_key(dialog, key, action, ctx);
                }
                self.filter_key(key, action, ctx);
                Vec::new()
            }
            Msg::Action(action) => self.apply(action, ctx),
            Msg::Created { id, name, result } => self.on_created(id, name, result, ctx),
            Msg::Deleted { id, name, result } => self.on_deleted(id, &name, result, ctx),
        }
    }

    fn filter_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &Ctx) {
        let tab = &mut *self;
        match action {
            Some(Action::Submit) => tab.filter_editing = false,
            Some(Action::ClearFilter) => {
                tab.filter_editing = false;
                tab.filter.clear();
                tab.recompute(None);
            }
            Some(Action::Up) => tab.move_by(-1),
            Some(Action::Down) => tab.move_by(1),
            _ => {
                if tab.filter.handle_key(key) {
                    tab.recompute(None);
                }
            }
        }
        self.scroll_into_view(list_rows(ctx.size));
    }

    fn dialog_key(
        &mut self,
        dialog: Dialog,
        key: &KeyEvent,
        action: Option<Action>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        let sending = matches!(
            (dialog, &self.create.status, &self.delete.status),
            (Dialog::Create, FormStatus::Sending(_), _)
                | (Dialog::Delete, _, FormStatus::Sending(_))
        );
        if action == Some(Action::Close) {
            // The form keeps what was typed; `n` brings it back.
            self.dialog = None;
            return Vec::new();
        }
        if sending {
            return Vec::new();
        }
        match dialog {
            Dialog::Create => {
                let form = &mut self.create;
                match action {
                    Some(Action::NextField) => form.focus_next(true),
                    Some(Action::PrevField) => form.focus_next(false),
                    Some(Action::Submit) => match form.validate() {
                        Ok(spec) => {
                            let id = ctx.request_id();
                            self.create.status = FormStatus::Sending(id);
                            return vec![Command::CreateTopic { id, spec }];
                        }
                        Err(problem) => form.status = FormStatus::Invalid(problem),
                    },
                    _ => {
                        if form.focused_mut().handle_key(key) {
                            form.status = FormStatus::Editing;
                        }
                    }
                }
            }
            Dialog::Delete => {
                let submit = action == Some(Action::Submit);
                if submit && self.delete.confirmed() {
                    let id = ctx.request_id();
                    let form = &mut self.delete;
                    form.status = FormStatus::Sending(id);
                    return vec![Command::DeleteTopic {
                        id,
                        name: form.topic.clone(),
                    }];
                }
                let form = &mut self.delete;
                if submit {
                    form.status = FormStatus::Invalid(format!(
                        "Type the topic's name exactly ({}) to confirm.",
                        crate::text::escape_control(&form.topic)
                    ));
                } else if form.confirm.handle_key(key) {
                    form.status = FormStatus::Editing;
                }
            }
        }
        Vec::new()
    }

    /// Performs a keymap action on the Topics tab.
    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let page = isize::try_from(list_rows(ctx.size).max(1)).unwrap_or(isize::MAX);
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
                self.recompute(None);
            }
            Action::Refresh => {
                let id = ctx.request_id();
                return vec![Command::RefreshMetadata { id }];
            }
            Action::OpenInTail => {
                ctx.open_tail = self
                    .selected_topic()
                    .map(|t| crate::tabs::OpenTail::topic(&t.name));
            }
            Action::GroupsOfTopic => {
                ctx.show_groups_of = self.selected_topic().map(|t| t.name.clone());
            }
            Action::ToggleInternal => {
                self.show_internal = !self.show_internal;
                self.recompute(None);
            }
            Action::SortNext => {
                self.sort = self.sort.next();
                self.recompute(None);
            }
            Action::SortReverse => {
                self.descending = !self.descending;
                self.recompute(None);
            }
            Action::CreateTopic | Action::DeleteTopic => self.open_dialog(action, ctx),
            Action::FocusDetails => {
                if self.selected_topic().is_some() {
                    self.focus = Focus::Details;
                }
            }
            Action::FocusList => self.focus = Focus::List,
            Action::TogglePause
            | Action::StopSearch
            | Action::ShowDetail
            | Action::CloseDetail
            | Action::CycleView
            | Action::Copy
            | Action::Export
            | Action::TailOptions
            | Action::Quit
            | Action::ForceQuit
            | Action::Help
            | Action::NextTab
            | Action::PrevTab
            | Action::TabTopics
            | Action::TabTail
            | Action::TabCompose
            | Action::TabFeed
            | Action::TabGroups
            | Action::TabBrokers
            | Action::TabSchemas
            | Action::OlderVersion
            | Action::NewerVersion
            | Action::TailAsGroup
            | Action::ResetOffsets
            | Action::DeleteGroup
            | Action::DeleteGroupOffsets
            | Action::FocusEditor
            | Action::Send
            | Action::FormatJson
            | Action::ToggleTombstone
            | Action::History
            | Action::DiscardDraft
            | Action::ToggleSource
            | Action::EditRules
            | Action::SwitchCluster
            | Action::Close
            | Action::Connect
            | Action::SelectNumbered
            | Action::Submit
            | Action::NextField
            | Action::PrevField
            | Action::AddRule
            | Action::DeleteRule => {}
        }
        self.scroll_into_view(list_rows(ctx.size));
        Vec::new()
    }

    /// `n` and `d`: the create and delete dialogs (refused on a read-only cluster).
    fn open_dialog(&mut self, action: Action, ctx: &mut Ctx) {
        if action == Action::CreateTopic {
            if ctx.refuse_write("Creating topics") {
                return;
            }
            if !matches!(self.create.status, FormStatus::Sending(_)) {
                self.create.status = FormStatus::Editing;
            }
            self.dialog = Some(Dialog::Create);
        } else {
            if ctx.refuse_write("Deleting topics") {
                return;
            }
            if let Some(name) = self.selected_topic().map(|t| t.name.clone()) {
                if self.delete.topic != name {
                    self.delete = DeleteForm::for_topic(&name);
                }
                self.dialog = Some(Dialog::Delete);
            }
        }
    }

    /// The answer to a create: close the form and refresh, or show the refusal.
    fn on_created(
        &mut self,
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        if self.create.status != FormStatus::Sending(id) {
            return Vec::new();
        }
        match result {
            Ok(()) => {
                self.create = CreateForm::default();
                let said = format!("Created topic {}", crate::text::escape_control(&name));
                self.select_when_seen = Some(name);
                self.answered(Dialog::Create, said, ctx)
            }
            Err(error) => {
                self.refused(format!("Create {name} refused: {}", error.code), ctx);
                self.create.status = FormStatus::Refused(error);
                Vec::new()
            }
        }
    }

    /// The answer to a delete.
    fn on_deleted(
        &mut self,
        id: RequestId,
        name: &str,
        result: Result<(), AdminError>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        if self.delete.status != FormStatus::Sending(id) {
            return Vec::new();
        }
        match result {
            Ok(()) => {
                self.delete = DeleteForm::default();
                let said = format!("Deleted topic {}", crate::text::escape_control(name));
                self.answered(Dialog::Delete, said, ctx)
            }
            Err(error) => {
                self.refused(format!("Delete {name} refused: {}", error.code), ctx);
                self.delete.status = FormStatus::Refused(error);
                Vec::new()
            }
        }
    }

    /// A create or delete done: say so, close its dialog if open, and refresh the list.
    fn answered(&mut self, dialog: Dialog, said: String, ctx: &mut Ctx) -> Vec<Command> {
        ctx.toast(Level::Info, said);
        if self.dialog == Some(dialog) {
            self.dialog = None;
        }
        vec![Command::RefreshMetadata {
            id: ctx.request_id(),
        }]
    }

    /// A create or delete refused: the dialog shows why when open, else a toast does.
    fn refused(&self, said: String, ctx: &mut Ctx) {
        if self.dialog.is_none() {
            ctx.toast(Level::Error, said);
        }
    }
}
