//! The Compose tab: publish messages by hand. Fields (in Tab order): value, topic,
//! partition, key, key schema, schema, headers. With a schema (a registry subject, a
//! version or an id) the value (or the key) is typed as JSON, checked against the schema
//! as it is typed, and sent framed as the Confluent serializers frame it. Every send gets a delivery report; the editor keeps its
//! content, so sending again is one key and a failed send is never lost.

mod deliveries;
pub mod draft;
pub mod history;
mod schema;
mod update;
mod view;

use std::collections::VecDeque;

use ratatui_textarea::TextArea;

use crate::kafka::RequestId;
use crate::kafka::model::ClusterSnapshot;
use crate::kafka::produce::{OutgoingMessage, parse_header_lines};
use crate::widgets::text_input::TextInput;

pub use deliveries::{Outcome, SendReport, Watch};
pub use schema::{Part, SchemaField};
pub use update::Msg;
pub use view::ComposeView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Value,
    Topic,
    Partition,
    Key,
    /// The key's schema.
    KeySchema,
    /// The value's schema.
    Schema,
    Headers,
}

impl Field {
    const ORDER: [Self; 7] = [
        Self::Value,
        Self::Topic,
        Self::Partition,
        Self::Key,
        Self::KeySchema,
        Self::Schema,
        Self::Headers,
    ];

    fn step(self, forward: bool) -> Self {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// What the value is, checked as the user types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    Empty,
    Json,
    /// Looks like JSON (starts with `{` or `[`) but does not parse.
    InvalidJson {
        line: usize,
        column: usize,
        message: String,
    },
    Text,
}

#[derive(Debug)]
pub struct ComposeTab {
    pub value: TextArea<'static>,
    pub headers: TextArea<'static>,
    pub topic: TextInput,
    pub partition: TextInput,
    pub key: TextInput,
    /// The registry schema to write the value with: SUBJECT, SUBJECT@VERSION or an id
    /// (and a Protobuf message type after a space); empty: the value is sent as typed.
    pub value_schema: SchemaField,
    /// The same for the key (typed as JSON; text that is not JSON is a string).
    pub key_schema: SchemaField,
    /// The example last filled in from a value schema: replaced by the next schema's
    /// while the value is still exactly it.
    pub filled_example: Option<String>,
    /// The registry's subjects, asked for when the Schema field is first entered (its
    /// completions); `Some(Err)` when they could not be had.
    pub subjects: Option<Result<Vec<String>, String>>,
    pub(crate) subjects_request: Option<RequestId>,
    /// Subjects' versions, asked for when `SUBJECT@` is typed (a schema field's
    /// completions), by subject.
    pub versions: std::collections::HashMap<String, Result<Vec<i32>, String>>,
    pub(crate) versions_request: Option<(RequestId, String)>,
    /// `None`: no field has focus (keys are commands: 1–4, q, …).
    pub focus: Option<Field>,
    /// Ctrl-T armed a tombstone: the next send has a null value. Armed for exactly one
    /// send: sending or editing the value disarms it.
    pub tombstone: bool,
    pub value_kind: ValueKind,
    /// Why the last Ctrl-S was refused before sending, in words.
    pub problem: Option<String>,
    pub reports: VecDeque<SendReport>,
    pub history: Vec<history::Entry>,
    /// The history popup's selected entry, when open.
    pub history_open: Option<usize>,
    pub watch: Watch,
    /// The draft kept on disk while typing, and what became of it.
    pub draft: draft::DraftState,
}

impl Default for ComposeTab {
    fn default() -> Self {
        let mut value = TextArea::default();
        value.set_placeholder_text("the message value: text or JSON");
        let mut headers = TextArea::default();
        headers.set_placeholder_text("name=value, one per line");
        Self {
            value,
            headers,
            topic: TextInput::default(),
            partition: TextInput::default(),
            key: TextInput::default(),
            value_schema: SchemaField::default(),
            key_schema: SchemaField::default(),
            filled_example: None,
            subjects: None,
            subjects_request: None,
            versions: std::collections::HashMap::new(),
            versions_request: None,
            focus: Some(Field::Value),
            tombstone: false,
            value_kind: ValueKind::Empty,
            problem: None,
            reports: VecDeque::new(),
            history: Vec::new(),
            history_open: None,
            watch: Watch::default(),
            draft: draft::DraftState::default(),
        }
    }
}

/// Classifies the value: JSON, invalid JSON (with where), or text.
pub fn classify(text: &str) -> ValueKind {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return ValueKind::Empty;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => ValueKind::Json,
        Err(e)
            if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"') =>
        {
            ValueKind::InvalidJson {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            }
        }
        Err(_) => ValueKind::Text,
    }
}

impl ComposeTab {
    pub fn value_text(&self) -> String {
        self.value.lines().join("\n")
    }

    pub fn focus_step(&mut self, forward: bool) {
        self.focus = Some(self.focus.map_or(Field::Value, |f| f.step(forward)));
    }

    /// The value was edited: re-classify it, and disarm a tombstone (the user is typing
    /// the value they mean to send).
    pub fn value_changed(&mut self) {
        self.value_kind = classify(&self.value_text());
        self.problem = None;
        self.tombstone = false;
        self.check_schema();
    }

    /// Replaces the value with pretty JSON (Ctrl-F); refuses invalid JSON in words.
    pub fn format_json(&mut self) {
        let text = self.value_text();
        match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => {
                // Re-indent token by token: key order and number text stay as typed.
                let pretty = crate::widgets::payload::reindent_json(text.as_bytes());
                self.set_value(&pretty);
            }
            Err(e) => {
                self.problem = Some(format!(
                    "Not formatted: the value is not valid JSON (line {}, column {}: {e})",
                    e.line(),
                    e.column()
                ));
            }
        }
    }

    pub fn set_value(&mut self, text: &str) {
        let mut value = TextArea::new(text.split('\n').map(str::to_string).collect());
        value.set_placeholder_text("the message value: text or JSON");
        self.value = value;
        self.value_changed();
    }

    fn set_headers(&mut self, text: &str) {
        let mut headers = TextArea::new(text.split('\n').map(str::to_string).collect());
        headers.set_placeholder_text("name=value, one per line");
        self.headers = headers;
    }

    /// Topics in the cluster that start with (or contain) what is typed in the topic field.
    pub fn completions<'a>(&self, snapshot: Option<&'a ClusterSnapshot>) -> Vec<&'a str> {
        let typed = self.topic.value().to_lowercase();
        let Some(snapshot) = snapshot else {
            return Vec::new();
        };
        let mut out: Vec<&str> = snapshot
            .topics
            .iter()
            .map(|t| t.name.as_str())
            .filter(|n| {
                !typed.is_empty() && *n != self.topic.value() && n.to_lowercase().contains(&typed)
            })
            .collect();
        out.sort_by_key(|n| (!n.to_lowercase().starts_with(&typed), n.len()));
        out.truncate(5);
        out
    }

    /// Builds the message, or explains in words what is wrong before anything is sent.
    pub fn prepare(&self, snapshot: Option<&ClusterSnapshot>) -> Result<OutgoingMessage, String> {
        let topic = self.topic.value().trim();
        if topic.is_empty() {
            return Err("No topic: type one in the Topic field (Tab moves there).".into());
        }
        let known = snapshot.and_then(|s| s.topics.iter().find(|t| t.name == topic));
        if let (Some(_), None) = (snapshot, known) {
            return Err(format!(
                "Unknown topic {:?}: the cluster has no topic by that name (create it in Topics with n).",
                crate::text::escape_control(topic)
            ));
        }
        let partition = match self.partition.value().trim() {
            "" | "auto" => None,
            text => {
                let p: i32 = text.parse().ok().filter(|p| *p >= 0).ok_or_else(|| {
                    format!("Partition must be a number (0, 1, …) or empty for auto, not {text:?}.")
                })?;
                if let Some(t) = known
                    && p >= i32::try_from(t.partitions.len()).unwrap_or(i32::MAX)
                {
                    return Err(format!(
                        "Partition {p} does not exist: {topic} has partitions 0–{}.",
                        t.partitions.len().saturating_sub(1)
                    ));
                }
                Some(p)
            }
        };
        let headers = parse_header_lines(&self.headers.lines().join("\n"))?;
        let key = self.encoded(Part::Key)?;
        let value = self.encoded(Part::Value)?;
        Ok(OutgoingMessage {
            topic: topic.to_string(),
            partition,
            key,
            value,
            headers,
            timestamp: None,
        })
    }

    /// Fills the editor from a history entry (or a failed send): a key or value sent
    /// with a schema comes back as the JSON typed, its schema named (loaded when the
    /// returned commands are answered).
    pub fn load(
        &mut self,
        entry: &history::Entry,
        ctx: &mut crate::tabs::Ctx,
    ) -> Vec<crate::kafka::Command> {
        let message = &entry.message;
        self.topic = TextInput::with_value(&message.topic);
        self.partition =
            TextInput::with_value(message.partition.map(|p| p.to_string()).unwrap_or_default());
        self.key = TextInput::with_value(
            message
                .key
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default(),
        );
        let headers: Vec<String> = message
            .headers
            .iter()
            .map(|h| {
                format!(
                    "{}={}",
                    h.name,
                    String::from_utf8_lossy(h.value.as_deref().unwrap_or_default())
                )
            })
            .collect();
        self.set_headers(&headers.join("\n"));
        let typed = &entry.typed;
        self.key_schema = SchemaField::with_value(
            &typed
                .key
                .as_ref()
                .map(history::TypedPart::schema_field)
                .unwrap_or_default(),
        );
        self.value_schema = SchemaField::with_value(
            &typed
                .value
                .as_ref()
                .map(history::TypedPart::schema_field)
                .unwrap_or_default(),
        );
        if let Some(key) = &typed.key {
            self.key = TextInput::with_value(schema::key_field_text(&key.json));
        }
        match &typed.value {
            Some(value) => self.set_value(&crate::widgets::payload::reindent_json(
                value.json.as_bytes(),
            )),
            None => self.set_value(&String::from_utf8_lossy(
                message.value.as_deref().unwrap_or_default(),
            )),
        }
        // A tombstone loaded back is armed again, visibly, for one send.
        self.tombstone = message.value.is_none();
        self.focus = Some(Field::Value);
        self.ensure_schemas(ctx)
    }

    /// The form's text, as the draft file keeps it.
    pub fn draft_form(&self) -> draft::DraftForm {
        draft::DraftForm {
            topic: self.topic.value().to_string(),
            partition: self.partition.value().to_string(),
            key: self.key.value().to_string(),
            headers: self.headers.lines().join("\n"),
            value: self.value_text(),
            schema: self.value_schema.input.value().to_string(),
            key_schema: self.key_schema.input.value().to_string(),
        }
    }

    /// Puts a draft from an earlier run back into the form (a topic only when it had one).
    pub fn restore(&mut self, form: &draft::DraftForm) {
        if !form.topic.is_empty() {
            self.topic = TextInput::with_value(&form.topic);
        }
        self.partition = TextInput::with_value(&form.partition);
        self.key = TextInput::with_value(&form.key);
        self.value_schema = SchemaField::with_value(&form.schema);
        self.key_schema = SchemaField::with_value(&form.key_schema);
        self.set_headers(&form.headers);
        self.set_value(&form.value);
    }

    /// Empties the form but for the topic (the discard key).
    pub fn discard(&mut self) {
        self.partition = TextInput::default();
        self.key = TextInput::default();
        self.set_headers("");
        self.set_value("");
        self.tombstone = false;
        self.problem = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_values_while_typing() {
        assert_eq!(classify(""), ValueKind::Empty);
        assert_eq!(classify(r#"{"a": 1}"#), ValueKind::Json);
        assert_eq!(classify("hello"), ValueKind::Text);
        let ValueKind::InvalidJson { line, column, .. } = classify("{\n  \"a\": 1,\n  \"b\" 2\n}")
        else {
            panic!("expected invalid JSON");
        };
        assert_eq!((line, column), (3, 7));
    }

    #[test]
    fn focus_cycles_in_the_documented_order() {
        let mut tab = ComposeTab::default();
        let mut seen = vec![tab.focus.unwrap()];
        for _ in 0..7 {
            tab.focus_step(true);
            seen.push(tab.focus.unwrap());
        }
        assert_eq!(
            seen,
            [
                Field::Value,
                Field::Topic,
                Field::Partition,
                Field::Key,
                Field::KeySchema,
                Field::Schema,
                Field::Headers,
                Field::Value
            ]
        );
        tab.focus_step(false);
        assert_eq!(tab.focus, Some(Field::Headers));
    }
}
