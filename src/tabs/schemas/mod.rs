//! The Schemas tab: the schema registry's subjects, and the selected one's versions,
//! type, id, compatibility level, references, the topics that use it (by the
//! TopicNameStrategy: `T-value` and `T-key` belong to topic `T`) and its schema text.
//! State and update here, drawing in `view.rs`.

mod view;

pub use view::{SchemasView, list_rows};

use crate::action::Action;
use crate::kafka::{Command, KafkaEvent, RequestId};
use crate::loadable::Loadable;
use crate::schema::{SubjectDetail, SubjectList};
use crate::tabs::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    List,
    Details,
}

#[derive(Debug, Default)]
pub struct SchemasTab {
    pub subjects: Loadable<SubjectList>,
    /// Why the latest refresh failed while the older list is still shown.
    pub refresh_error: Option<String>,
    list_request: Option<RequestId>,
    pub selected: usize,
    pub focus: Focus,
    /// The selected subject's version shown.
    pub detail: Loadable<SubjectDetail>,
    /// The detail's schema text as shown (JSON re-indented once, when it arrives).
    pub detail_text: String,
    detail_request: Option<RequestId>,
    pub details_scroll: usize,
}

/// What the Schemas tab is told.
#[derive(Debug)]
pub enum Msg {
    Action(Action),
    /// The tab came into view: ask for the subjects the first time.
    Shown,
    /// The worker's answer to one of the tab's requests.
    Answer(KafkaEvent),
}

/// The topic a subject belongs to by the TopicNameStrategy, and which side.
pub fn topic_of(subject: &str) -> Option<(&str, &'static str)> {
    subject
        .strip_suffix("-value")
        .map(|t| (t, "value"))
        .or_else(|| subject.strip_suffix("-key").map(|t| (t, "key")))
}

impl SchemasTab {
    pub fn selected_subject(&self) -> Option<&str> {
        self.subjects
            .loaded()?
            .subjects
            .get(self.selected)
            .map(String::as_str)
    }

    fn len(&self) -> usize {
        self.subjects.loaded().map_or(0, |s| s.subjects.len())
    }

    /// Whether an answer is awaited (the spinner turns).
    pub fn is_loading(&self) -> bool {
        self.list_request.is_some() || self.detail_request.is_some()
    }

    pub fn update(&mut self, msg: Msg, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Shown if self.subjects.loaded().is_none() && self.list_request.is_none() => {
                self.ask_subjects(ctx)
            }
            Msg::Action(action) => self.apply(action, ctx),
            Msg::Answer(KafkaEvent::Subjects { id, result }) if self.list_request == Some(id) => {
                self.list_request = None;
                match result {
                    Ok(list) => {
                        let keep = self.selected_subject().map(str::to_string);
                        self.selected = keep
                            .and_then(|s| list.subjects.iter().position(|x| *x == s))
                            .unwrap_or(self.selected)
                            .min(list.subjects.len().saturating_sub(1));
                        self.subjects = Loadable::Loaded(list);
                        self.refresh_error = None;
                        return self.ask_detail(None, ctx);
                    }
                    Err(reason) if self.subjects.loaded().is_some() => {
                        self.refresh_error = Some(reason);
                    }
                    Err(reason) => self.subjects = Loadable::Failed(reason),
                }
                Vec::new()
            }
            Msg::Answer(KafkaEvent::Subject { id, result }) if self.detail_request == Some(id) => {
                self.detail_request = None;
                self.detail = match result {
                    Ok(detail) => {
                        let text = detail.text.as_bytes();
                        self.detail_text = if crate::widgets::payload::is_json(text) {
                            crate::widgets::payload::reindent_json(text)
                        } else {
                            detail.text.clone()
                        };
                        Loadable::Loaded(detail)
                    }
                    Err(reason) => Loadable::Failed(reason),
                };
                Vec::new()
            }
            Msg::Shown | Msg::Answer(_) => Vec::new(),
        }
    }

    fn ask_subjects(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        let id = ctx.request_id();
        self.list_request = Some(id);
        if self.subjects.loaded().is_none() {
            self.subjects = Loadable::Loading;
        }
        vec![Command::ListSubjects { id }]
    }

    /// Asks for the selected subject's version (`None`: the latest); a newer request
    /// replaces an older one (its answer is dropped).
    fn ask_detail(&mut self, version: Option<i32>, ctx: &mut Ctx) -> Vec<Command> {
        let Some(subject) = self.selected_subject().map(str::to_string) else {
            self.detail = Loadable::Idle;
            return Vec::new();
        };
        let id = ctx.request_id();
        self.detail_request = Some(id);
        self.detail = Loadable::Loading;
        self.details_scroll = 0;
        vec![Command::DescribeSubject {
            id,
            subject,
            version,
        }]
    }

    /// The version before or after the one shown.
    fn step_version(&mut self, newer: bool, ctx: &mut Ctx) -> Vec<Command> {
        let Some(detail) = self.detail.loaded() else {
            return Vec::new();
        };
        let at = detail.versions.iter().position(|v| *v == detail.version);
        let next = match (at, newer) {
            (Some(i), true) => detail.versions.get(i + 1),
            (Some(i), false) => i.checked_sub(1).and_then(|i| detail.versions.get(i)),
            (None, _) => None,
        };
        match next.copied() {
            Some(version) => self.ask_detail(Some(version), ctx),
            None => Vec::new(),
        }
    }

    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let page = list_rows(ctx.size).max(1);
        let last = self.len().saturating_sub(1);
        let row = match (self.focus, action) {
            (_, Action::Refresh) => return self.ask_subjects(ctx),
            (_, Action::OlderVersion) => return self.step_version(false, ctx),
            (_, Action::NewerVersion) => return self.step_version(true, ctx),
            (Focus::List, Action::Up) => self.selected.saturating_sub(1),
            (Focus::List, Action::Down) => (self.selected + 1).min(last),
            (Focus::List, Action::Top) => 0,
            (Focus::List, Action::Bottom) => last,
            (Focus::List, Action::PageUp) => self.selected.saturating_sub(page),
            (Focus::List, Action::PageDown) => (self.selected + page).min(last),
            (Focus::List, Action::FocusDetails) => {
                if self.selected_subject().is_some() {
                    self.focus = Focus::Details;
                }
                return Vec::new();
            }
            (Focus::Details, Action::FocusList) => {
                self.focus = Focus::List;
                return Vec::new();
            }
            (Focus::Details, Action::Up) => {
                self.details_scroll = self.details_scroll.saturating_sub(1);
                return Vec::new();
            }
            (Focus::Details, Action::Down) => {
                self.details_scroll += 1;
                return Vec::new();
            }
            (Focus::Details, Action::PageUp) => {
                self.details_scroll = self.details_scroll.saturating_sub(page);
                return Vec::new();
            }
            (Focus::Details, Action::PageDown) => {
                self.details_scroll += page;
                return Vec::new();
            }
            (Focus::Details, Action::Top) => {
                self.details_scroll = 0;
                return Vec::new();
            }
            (Focus::Details, Action::Bottom) => {
                self.details_scroll = usize::MAX / 2;
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        if row == self.selected {
            return Vec::new();
        }
        self.selected = row;
        self.ask_detail(None, ctx)
    }

    /// Forgets the registry (a switch to another cluster).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}
