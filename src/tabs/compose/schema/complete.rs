//! Completing Compose's schema fields: the registry's subjects (the topic's own first), and
//! after `SUBJECT@` the subject's versions.

use super::Part;
use crate::kafka::RequestId;
use crate::tabs::compose::{ComposeTab, Field};
use crate::widgets::text_input::TextInput;

impl ComposeTab {
    /// `SUBJECT@` typed in a schema field: ask for the subject's versions once, for the
    /// field's completions.
    pub(in crate::tabs::compose) fn ensure_versions(
        &mut self,
        field: Field,
        ctx: &mut crate::tabs::Ctx,
    ) -> Vec<crate::kafka::Command> {
        let Some(part) = Part::of(field) else {
            return Vec::new();
        };
        let text = self.schema_field(part).input.value();
        let Some((subject, _)) = text.rsplit_once('@') else {
            return Vec::new();
        };
        let subject = subject.trim().to_string();
        if subject.is_empty()
            || self.versions.contains_key(&subject)
            || self
                .versions_request
                .as_ref()
                .is_some_and(|(_, asked)| *asked == subject)
        {
            return Vec::new();
        }
        let id = ctx.request_id();
        self.versions_request = Some((id, subject.clone()));
        vec![crate::kafka::Command::DescribeSubject {
            id,
            subject,
            version: None,
        }]
    }

    /// The worker's answer to a versions request.
    pub fn versions_listed(&mut self, id: RequestId, result: Result<Vec<i32>, String>) {
        if let Some((_, subject)) = self.versions_request.take_if(|(asked, _)| *asked == id) {
            self.versions.insert(subject, result);
        }
    }

    /// A schema field was entered: ask for the subjects once, for its completions.
    pub fn ensure_subjects(&mut self, ctx: &mut crate::tabs::Ctx) -> Vec<crate::kafka::Command> {
        if self.subjects.is_some() || self.subjects_request.is_some() {
            return Vec::new();
        }
        let id = ctx.request_id();
        self.subjects_request = Some(id);
        vec![crate::kafka::Command::ListSubjects { id }]
    }

    /// The worker's answer to the subjects request.
    pub fn subjects_listed(&mut self, id: RequestId, result: Result<Vec<String>, String>) {
        if self.subjects_request == Some(id) {
            self.subjects_request = None;
            self.subjects = Some(result);
        }
    }

    /// Subjects for what is typed in a schema field: the topic's own (`T-value` then
    /// `T-key` for the value, the other way round for the key) first, then those that
    /// start with it, then those that contain it. After `SUBJECT@`: its versions, the
    /// newest first, then `latest`.
    pub fn schema_completions(&self, part: Part) -> Vec<String> {
        let typed = self.schema_field(part).input.value().trim();
        if let Some((subject, _)) = typed.rsplit_once('@') {
            let Some(Ok(versions)) = self.versions.get(subject.trim()) else {
                return Vec::new();
            };
            let subject = subject.trim();
            let offered = |c: &String| c.starts_with(typed) && c != typed;
            let mut out: Vec<String> = versions
                .iter()
                .rev()
                .map(|v| format!("{subject}@{v}"))
                .filter(offered)
                .take(4)
                .collect();
            out.extend(Some(format!("{subject}@latest")).filter(offered));
            return out;
        }
        let Some(Ok(subjects)) = &self.subjects else {
            return Vec::new();
        };
        let typed = typed.to_lowercase();
        let topic = self.topic.value().trim();
        let mut own = [format!("{topic}-value"), format!("{topic}-key")];
        if part == Part::Key {
            own.reverse();
        }
        let mut out: Vec<&str> = subjects
            .iter()
            .map(String::as_str)
            .filter(|s| {
                let lower = s.to_lowercase();
                lower.contains(&typed) && lower != typed
            })
            .collect();
        out.sort_by_key(|s| {
            (
                own.iter().position(|o| o == s).unwrap_or(own.len()),
                !s.to_lowercase().starts_with(&typed),
                s.len(),
            )
        });
        out.into_iter().take(5).map(str::to_string).collect()
    }

    /// The completions of the focused schema field (subjects, or a subject's versions).
    pub fn focused_schema_completions(&self) -> Vec<String> {
        self.focus
            .and_then(Part::of)
            .map(|part| self.schema_completions(part))
            .unwrap_or_default()
    }

    /// Enter in a schema field: takes the first completion; false (Enter moves on) when
    /// there is none, the field is empty, or it names a subject, a version or an id as
    /// it is.
    pub(in crate::tabs::compose) fn complete_schema(&mut self, field: Field) -> bool {
        let Some(part) = Part::of(field) else {
            return false;
        };
        let typed = self.schema_field(part).named();
        let known_subject =
            matches!(&self.subjects, Some(Ok(all)) if all.iter().any(|s| s == typed));
        let known_version = typed.rsplit_once('@').is_some_and(|(subject, version)| {
            matches!(self.versions.get(subject.trim()), Some(Ok(versions))
                if version.trim() == "latest"
                    || versions.iter().any(|v| v.to_string() == version.trim()))
        });
        let an_id = typed
            .split_whitespace()
            .next()
            .is_some_and(|first| first.parse::<u32>().is_ok());
        if typed.is_empty() || known_subject || known_version || an_id {
            return false;
        }
        let Some(subject) = self.schema_completions(part).into_iter().next() else {
            return false;
        };
        self.schema_field_mut(part).input = TextInput::with_value(subject);
        true
    }
}
