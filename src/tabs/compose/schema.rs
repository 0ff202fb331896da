//! Compose's Schema field: loading the schema it names (off the UI task), completing the
//! registry's subjects, checking the value against the schema as it is typed, and framing
//! what is sent.

use super::ComposeTab;
use crate::kafka::RequestId;
use crate::loadable::Loadable;
use crate::schema::{Encoder, SchemaChoice};

impl ComposeTab {
    /// Checks the value against the loaded schema (each edit, and once it loads).
    pub fn check_schema(&mut self) {
        self.schema_check = self.encoder.loaded().map(|encoder| {
            let text = self.value_text();
            if text.trim().is_empty() {
                return Err("empty: type the value as JSON".to_string());
            }
            encoder.encode(text.as_bytes()).map(|framed| framed.len())
        });
    }

    /// The Schema field was left: ask for the schema it names when that changed.
    pub fn ensure_schema(&mut self, ctx: &mut crate::tabs::Ctx) -> Vec<crate::kafka::Command> {
        let text = self.schema.value().trim().to_string();
        if text == self.schema_asked {
            return Vec::new();
        }
        self.schema_asked.clone_from(&text);
        self.schema_request = None;
        self.schema_check = None;
        if text.is_empty() {
            self.encoder = Loadable::Idle;
            return Vec::new();
        }
        match SchemaChoice::parse(&text) {
            Ok(choice) => {
                let id = ctx.request_id();
                self.schema_request = Some(id);
                self.encoder = Loadable::Loading;
                vec![crate::kafka::Command::LoadSchema { id, choice }]
            }
            Err(problem) => {
                self.encoder = Loadable::Failed(problem);
                Vec::new()
            }
        }
    }

    /// Forgets the loaded schema (a switch to another cluster: its registry gives ids
    /// other meanings); the field is loaded again when next left or sent.
    pub fn forget_schema(&mut self) {
        self.encoder = Loadable::Idle;
        self.schema_asked.clear();
        self.schema_request = None;
        self.schema_check = None;
        self.subjects = None;
        self.subjects_request = None;
    }

    /// The Schema field was entered: ask for the subjects once, for its completions.
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

    /// Subjects for what is typed in the Schema field: the topic's own (`T-value`, then
    /// `T-key`) first, then those that start with it, then those that contain it.
    pub fn schema_completions(&self) -> Vec<&str> {
        let Some(Ok(subjects)) = &self.subjects else {
            return Vec::new();
        };
        let typed = self.schema.value().trim().to_lowercase();
        let topic = self.topic.value().trim();
        let own = [format!("{topic}-value"), format!("{topic}-key")];
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
        out.truncate(5);
        out
    }

    /// The worker's answer to a schema request (a stale one is dropped).
    pub fn schema_loaded(&mut self, id: RequestId, result: Result<Box<Encoder>, String>) {
        if self.schema_request != Some(id) {
            return;
        }
        self.schema_request = None;
        self.encoder = match result {
            Ok(encoder) => Loadable::Loaded(*encoder),
            Err(reason) => Loadable::Failed(reason),
        };
        self.check_schema();
    }

    /// The value framed with the schema the Schema field names, or why it cannot be.
    pub(super) fn framed_value(&self, named: &str) -> Result<Vec<u8>, String> {
        if named != self.schema_asked {
            return Err(
                "Not sent: the schema is not loaded yet (leave the Schema field to load it)."
                    .into(),
            );
        }
        match &self.encoder {
            Loadable::Loaded(encoder) => {
                encoder.encode(self.value_text().as_bytes()).map_err(|e| {
                    format!(
                        "Not sent: the value does not match {}: {e}",
                        encoder.describe()
                    )
                })
            }
            Loadable::Failed(reason) => Err(format!("Not sent: schema {named:?}: {reason}")),
            Loadable::Idle | Loadable::Loading => {
                Err("Not sent: the schema is still loading.".into())
            }
        }
    }
}
