//! The Topics tab's part of `App`: its keys, actions and the answers to admin requests.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Level};
use crate::action::Action;
use crate::kafka::model::AdminError;
use crate::kafka::{Command, RequestId};
use crate::tabs::topics::{CreateForm, DeleteForm, Dialog, Focus, FormStatus};

impl App {
    pub(super) fn filter_key(&mut self, key: &KeyEvent) {
        let tab = &mut self.topics;
        match key.code {
            KeyCode::Enter => tab.filter_editing = false,
            KeyCode::Esc => {
                tab.filter_editing = false;
                tab.filter.clear();
                tab.recompute(None);
            }
            KeyCode::Up | KeyCode::Down => {
                tab.move_by(if key.code == KeyCode::Up { -1 } else { 1 });
            }
            _ => {
                if tab.filter.handle_key(key) {
                    tab.recompute(None);
                }
            }
        }
        let rows = self.list_rows();
        self.topics.scroll_into_view(rows);
    }

    pub(super) fn dialog_key(&mut self, dialog: Dialog, key: &KeyEvent) -> Vec<Command> {
        let sending = matches!(
            (
                dialog,
                &self.topics.create.status,
                &self.topics.delete.status
            ),
            (Dialog::Create, FormStatus::Sending(_), _)
                | (Dialog::Delete, _, FormStatus::Sending(_))
        );
        if key.code == KeyCode::Esc {
            // The form keeps what was typed; `n` brings it back.
            self.topics.dialog = None;
            return Vec::new();
        }
        if sending {
            return Vec::new();
        }
        match dialog {
            Dialog::Create => {
                let form = &mut self.topics.create;
                match key.code {
                    KeyCode::Tab | KeyCode::Down => form.focus_next(true),
                    KeyCode::BackTab | KeyCode::Up => form.focus_next(false),
                    KeyCode::Enter => match form.validate() {
                        Ok(spec) => {
                            let id = self.request_id();
                            self.topics.create.status = FormStatus::Sending(id);
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
                if key.code == KeyCode::Enter && self.topics.delete.confirmed() {
                    let id = self.request_id();
                    let form = &mut self.topics.delete;
                    form.status = FormStatus::Sending(id);
                    return vec![Command::DeleteTopic {
                        id,
                        name: form.topic.clone(),
                    }];
                }
                let form = &mut self.topics.delete;
                if key.code == KeyCode::Enter {
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
    pub(super) fn apply_topics(&mut self, action: Action) -> Vec<Command> {
        let page = isize::try_from(self.list_rows().max(1)).unwrap_or(isize::MAX);
        match action {
            Action::Up => self.topics.move_by(-1),
            Action::Down => self.topics.move_by(1),
            Action::PageUp => self.topics.move_by(-page),
            Action::PageDown => self.topics.move_by(page),
            Action::Top => self.topics.move_to_end(false),
            Action::Bottom => self.topics.move_to_end(true),
            Action::Filter => self.topics.filter_editing = true,
            Action::ClearFilter => {
                self.topics.filter.clear();
                self.topics.recompute(None);
            }
            Action::Refresh => {
                let id = self.request_id();
                return vec![Command::RefreshMetadata { id }];
            }
            Action::OpenInTail => {
                if let Some(name) = self.topics.selected_topic().map(|t| t.name.clone()) {
                    return self.open_in_tail(&name);
                }
            }
            Action::ToggleInternal => {
                self.topics.show_internal = !self.topics.show_internal;
                self.topics.recompute(None);
            }
            Action::SortNext => {
                self.topics.sort = self.topics.sort.next();
                self.topics.recompute(None);
            }
            Action::SortReverse => {
                self.topics.descending = !self.topics.descending;
                self.topics.recompute(None);
            }
            Action::CreateTopic => {
                if self.refuse_write("Creating topics") {
                    return Vec::new();
                }
                if !matches!(self.topics.create.status, FormStatus::Sending(_)) {
                    self.topics.create.status = FormStatus::Editing;
                }
                self.topics.dialog = Some(Dialog::Create);
            }
            Action::DeleteTopic => {
                if self.refuse_write("Deleting topics") {
                    return Vec::new();
                }
                if let Some(name) = self.topics.selected_topic().map(|t| t.name.clone()) {
                    if self.topics.delete.topic != name {
                        self.topics.delete = DeleteForm::for_topic(&name);
                    }
                    self.topics.dialog = Some(Dialog::Delete);
                }
            }
            Action::FocusDetails => {
                if self.topics.selected_topic().is_some() {
                    self.topics.focus = Focus::Details;
                }
            }
            Action::FocusList => self.topics.focus = Focus::List,
            Action::TogglePause
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
            | Action::SelectNumbered => {}
        }
        let rows = self.list_rows();
        self.topics.scroll_into_view(rows);
        Vec::new()
    }

    /// The answer to a create: close the form and refresh, or show the refusal.
    pub(super) fn on_created(
        &mut self,
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
    ) -> Vec<Command> {
        if self.topics.create.status != FormStatus::Sending(id) {
            return Vec::new();
        }
        match result {
            Ok(()) => {
                self.toast(
                    Level::Info,
                    format!("Created topic {}", crate::text::escape_control(&name)),
                );
                self.topics.create = CreateForm::default();
                if self.topics.dialog == Some(Dialog::Create) {
                    self.topics.dialog = None;
                }
                self.topics.select_when_seen = Some(name);
                let id = self.request_id();
                return vec![Command::RefreshMetadata { id }];
            }
            Err(error) => {
                if self.topics.dialog.is_none() {
                    self.toast(
                        Level::Error,
                        format!("Create {name} refused: {}", error.code),
                    );
                }
                self.topics.create.status = FormStatus::Refused(error);
            }
        }
        Vec::new()
    }

    /// The answer to a delete.
    pub(super) fn on_deleted(
        &mut self,
        id: RequestId,
        name: &str,
        result: Result<(), AdminError>,
    ) -> Vec<Command> {
        if self.topics.delete.status != FormStatus::Sending(id) {
            return Vec::new();
        }
        match result {
            Ok(()) => {
                self.toast(
                    Level::Info,
                    format!("Deleted topic {}", crate::text::escape_control(name)),
                );
                self.topics.delete = DeleteForm::default();
                if self.topics.dialog == Some(Dialog::Delete) {
                    self.topics.dialog = None;
                }
                let id = self.request_id();
                return vec![Command::RefreshMetadata { id }];
            }
            Err(error) => {
                if self.topics.dialog.is_none() {
                    self.toast(
                        Level::Error,
                        format!("Delete {name} refused: {}", error.code),
                    );
                }
                self.topics.delete.status = FormStatus::Refused(error);
            }
        }
        Vec::new()
    }
}
