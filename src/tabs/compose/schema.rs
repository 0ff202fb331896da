//! Compose's two schema fields, the value's (Schema) and the key's (Key schema): loading
//! the schema each names (off the UI task), completing the registry's subjects, checking
//! what is typed against the schema, and framing what is sent.

use std::borrow::Cow;

use super::{ComposeTab, Field, history};
use crate::kafka::RequestId;
use crate::kafka::envelope::SchemaTag;
use crate::loadable::Loadable;
use crate::schema::{Encoder, SchemaChoice};
use crate::widgets::text_input::TextInput;

/// Whose schema: the key's or the value's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl Part {
    pub fn word(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
        }
    }

    /// The field that names this part's schema.
    pub fn field(self) -> Field {
        match self {
            Self::Key => Field::KeySchema,
            Self::Value => Field::Schema,
        }
    }

    fn of(field: Field) -> Option<Self> {
        match field {
            Field::KeySchema => Some(Self::Key),
            Field::Schema => Some(Self::Value),
            _ => None,
        }
    }
}

/// A schema field: what is typed (SUBJECT, SUBJECT@VERSION or an id, then a Protobuf
/// message type), the schema it named when last left, and what is typed checked against it.
#[derive(Debug, Default)]
pub struct SchemaField {
    pub input: TextInput,
    /// The schema the field named when it was last left, once loaded.
    pub encoder: Loadable<Encoder>,
    /// The field's text `encoder` is for.
    pub asked: String,
    pub(crate) request: Option<RequestId>,
    /// What is typed checked against the loaded schema: the framed size, or why not.
    pub check: Option<Result<usize, String>>,
}

impl SchemaField {
    pub fn with_value(text: &str) -> Self {
        Self {
            input: TextInput::with_value(text),
            ..Self::default()
        }
    }

    /// What the field names, trimmed; empty: written as typed.
    pub fn named(&self) -> &str {
        self.input.value().trim()
    }

    /// Whether the loaded schema is the one the field names now.
    pub fn is_current(&self) -> bool {
        self.named() == self.asked
    }

    fn check_text(&mut self, text: &str, part: Part) {
        self.check = self
            .encoder
            .loaded()
            .map(|encoder| encode_typed(encoder, text, part).map(|(framed, _)| framed.len()));
    }

    /// Asks for the schema the field names when that changed.
    fn ensure(&mut self, ctx: &mut crate::tabs::Ctx) -> Vec<crate::kafka::Command> {
        let text = self.named().to_string();
        if text == self.asked {
            return Vec::new();
        }
        self.asked.clone_from(&text);
        self.request = None;
        self.check = None;
        if text.is_empty() {
            self.encoder = Loadable::Idle;
            return Vec::new();
        }
        match SchemaChoice::parse(&text) {
            Ok(choice) => {
                let id = ctx.request_id();
                self.request = Some(id);
                self.encoder = Loadable::Loading;
                vec![crate::kafka::Command::LoadSchema { id, choice }]
            }
            Err(problem) => {
                self.encoder = Loadable::Failed(problem);
                Vec::new()
            }
        }
    }

    /// Forgets what was loaded, keeping what is typed.
    fn forget(&mut self) {
        *self = Self {
            input: std::mem::take(&mut self.input),
            ..Self::default()
        };
    }

    /// What is typed, framed with the schema the field names, or why it cannot be.
    fn framed(&self, text: &str, part: Part) -> Result<Vec<u8>, String> {
        let named = self.named();
        let word = part.word();
        if !self.is_current() {
            return Err(format!(
                "Not sent: the {word} schema is not loaded yet (leave its field to load it)."
            ));
        }
        match &self.encoder {
            Loadable::Loaded(encoder) => encode_typed(encoder, text, part)
                .map(|(framed, _)| framed)
                .map_err(|e| {
                    format!(
                        "Not sent: the {word} does not match {}: {e}",
                        encoder.describe()
                    )
                }),
            Loadable::Failed(reason) => Err(format!("Not sent: {word} schema {named:?}: {reason}")),
            Loadable::Idle | Loadable::Loading => {
                Err(format!("Not sent: the {word} schema is still loading."))
            }
        }
    }

    /// What was sent with the loaded schema, as the history keeps it: the schema's tag
    /// and the JSON typed (on one line).
    fn typed(&self, text: &str, part: Part) -> Option<history::TypedPart> {
        let encoder = self.encoder.loaded().filter(|_| self.is_current())?;
        let (_, json) = encode_typed(encoder, text, part).ok()?;
        let info = &encoder.compiled.info;
        Some(history::TypedPart {
            tag: SchemaTag {
                id: Some(info.id),
                kind: Some(info.kind),
                subject: encoder.subject.as_ref().map(|(s, _)| s.clone()),
                version: encoder.subject.as_ref().map(|(_, v)| *v),
                file: None,
                message: encoder.message_name(),
                error: None,
            },
            json: crate::schema::json_text::compact(&json),
        })
    }
}

/// The JSON a key or a value typed may be, in the order tried. A key is also tried as a
/// string (keys usually are one): `order-1` is `"order-1"`, and `12345` is the number
/// where the schema takes one, else the string `"12345"`.
fn typed_json(text: &str, part: Part) -> Result<Vec<Cow<'_, str>>, String> {
    if text.trim().is_empty() {
        return Err(format!("empty: type the {} as JSON", part.word()));
    }
    let is_json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    let as_string = || Cow::Owned(serde_json::Value::from(text).to_string());
    Ok(match (part, is_json) {
        (Part::Value, _) => vec![Cow::Borrowed(text)],
        (Part::Key, true) => vec![Cow::Borrowed(text), as_string()],
        (Part::Key, false) => vec![as_string()],
    })
}

/// What is typed, framed, and the JSON it was taken as; a refusal is the first form's.
fn encode_typed<'t>(
    encoder: &Encoder,
    text: &'t str,
    part: Part,
) -> Result<(Vec<u8>, Cow<'t, str>), String> {
    let mut first = None;
    for json in typed_json(text, part)? {
        match encoder.encode(json.as_bytes()) {
            Ok(framed) => return Ok((framed, json)),
            Err(why) => {
                first.get_or_insert(why);
            }
        }
    }
    let why = first.unwrap_or_default();
    Err(match (part, why.strip_prefix("the value")) {
        // A refusal at the root names what was typed: the key, not a value.
        (Part::Key, Some(rest)) => format!("the key{rest}"),
        _ => why,
    })
}

/// A key sent as a JSON string, as the Key field shows it: the text itself when typing
/// it back gives the same string (not empty, not JSON itself), else the JSON.
pub fn key_field_text(json: &str) -> String {
    match serde_json::from_str::<String>(json) {
        Ok(text)
            if !text.trim().is_empty()
                && serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() =>
        {
            text
        }
        _ => json.to_string(),
    }
}

impl ComposeTab {
    pub fn schema_field(&self, part: Part) -> &SchemaField {
        match part {
            Part::Key => &self.key_schema,
            Part::Value => &self.value_schema,
        }
    }

    fn schema_field_mut(&mut self, part: Part) -> &mut SchemaField {
        match part {
            Part::Key => &mut self.key_schema,
            Part::Value => &mut self.value_schema,
        }
    }

    /// What is typed for the key or the value.
    fn typed_text(&self, part: Part) -> String {
        match part {
            Part::Key => self.key.value().to_string(),
            Part::Value => self.value_text(),
        }
    }

    /// Checks the value against its loaded schema (each edit, and once it loads).
    pub fn check_schema(&mut self) {
        let text = self.value_text();
        self.value_schema.check_text(&text, Part::Value);
    }

    /// Checks the key against its loaded schema (each edit, and once it loads).
    pub fn check_key_schema(&mut self) {
        let text = self.key.value().to_string();
        self.key_schema.check_text(&text, Part::Key);
    }

    /// A schema field was left (or a send asked): ask for the schema it names when that
    /// changed.
    pub fn ensure_schema(
        &mut self,
        part: Part,
        ctx: &mut crate::tabs::Ctx,
    ) -> Vec<crate::kafka::Command> {
        self.schema_field_mut(part).ensure(ctx)
    }

    /// Both schema fields (a send, a history entry loaded).
    pub fn ensure_schemas(&mut self, ctx: &mut crate::tabs::Ctx) -> Vec<crate::kafka::Command> {
        let mut commands = self.ensure_schema(Part::Key, ctx);
        commands.extend(self.ensure_schema(Part::Value, ctx));
        commands
    }

    /// Forgets the loaded schemas (a switch to another cluster: its registry gives ids
    /// other meanings); each field is loaded again when next left or sent.
    pub fn forget_schema(&mut self) {
        self.value_schema.forget();
        self.key_schema.forget();
        self.subjects = None;
        self.subjects_request = None;
        self.versions.clear();
        self.versions_request = None;
    }

    /// `SUBJECT@` typed in a schema field: ask for the subject's versions once, for the
    /// field's completions.
    pub(super) fn ensure_versions(
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
    /// newest first.
    pub fn schema_completions(&self, part: Part) -> Vec<String> {
        let typed = self.schema_field(part).input.value().trim();
        if let Some((subject, _)) = typed.rsplit_once('@') {
            let Some(Ok(versions)) = self.versions.get(subject.trim()) else {
                return Vec::new();
            };
            return versions
                .iter()
                .rev()
                .map(|v| format!("{}@{v}", subject.trim()))
                .filter(|c| c.starts_with(typed) && c != typed)
                .take(5)
                .collect();
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
    pub(super) fn complete_schema(&mut self, field: Field) -> bool {
        let Some(part) = Part::of(field) else {
            return false;
        };
        let typed = self.schema_field(part).named();
        let known_subject =
            matches!(&self.subjects, Some(Ok(all)) if all.iter().any(|s| s == typed));
        let known_version = typed.rsplit_once('@').is_some_and(|(subject, version)| {
            matches!(self.versions.get(subject.trim()), Some(Ok(versions))
                if versions.iter().any(|v| v.to_string() == version.trim()))
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

    /// The worker's answer to a schema request (a stale one is dropped).
    pub fn schema_loaded(&mut self, id: RequestId, result: Result<Box<Encoder>, String>) {
        let Some(part) = [Part::Key, Part::Value]
            .into_iter()
            .find(|p| self.schema_field(*p).request == Some(id))
        else {
            return;
        };
        let field = self.schema_field_mut(part);
        field.request = None;
        field.encoder = match result {
            Ok(encoder) => Loadable::Loaded(*encoder),
            Err(reason) => Loadable::Failed(reason),
        };
        match part {
            Part::Key => self.check_key_schema(),
            Part::Value => self.check_schema(),
        }
    }

    /// What is sent for the key or value: `None` for an empty key (no key) and for an
    /// armed tombstone's value (null).
    fn sent_text(&self, part: Part) -> Option<String> {
        let text = self.typed_text(part);
        match part {
            Part::Key if text.is_empty() => None,
            Part::Value if self.tombstone => None,
            _ => Some(text),
        }
    }

    /// The key or value as sent: framed with the schema its field names, else as typed.
    pub(super) fn encoded(&self, part: Part) -> Result<Option<Vec<u8>>, String> {
        let Some(text) = self.sent_text(part) else {
            return Ok(None);
        };
        let field = self.schema_field(part);
        if field.named().is_empty() {
            return Ok(Some(text.into_bytes()));
        }
        field.framed(&text, part).map(Some)
    }

    /// What was typed with a schema, for the history (sent framed, loaded back as typed).
    pub(super) fn typed_for_history(&self) -> history::Typed {
        let part = |part: Part| {
            let text = self.sent_text(part)?;
            self.schema_field(part).typed(&text, part)
        };
        history::Typed {
            key: part(Part::Key),
            value: part(Part::Value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_tried_as_typed_then_as_a_string() {
        assert_eq!(typed_json("order-1", Part::Key).unwrap(), ["\"order-1\""]);
        assert_eq!(
            typed_json("{\"id\": 1}", Part::Key).unwrap(),
            ["{\"id\": 1}", r#""{\"id\": 1}""#]
        );
        assert_eq!(typed_json("7", Part::Key).unwrap(), ["7", "\"7\""]);
        assert_eq!(typed_json("order-1", Part::Value).unwrap(), ["order-1"]);
        assert_eq!(
            typed_json(" ", Part::Value).unwrap_err(),
            "empty: type the value as JSON"
        );
    }

    #[test]
    fn a_key_string_loads_back_as_text_only_when_it_types_back_the_same() {
        assert_eq!(key_field_text(r#""o-42""#), "o-42");
        assert_eq!(key_field_text(r#""12345""#), r#""12345""#);
        assert_eq!(key_field_text(r#""true""#), r#""true""#);
        assert_eq!(key_field_text(r#""""#), r#""""#);
        assert_eq!(key_field_text(r#"{"id":1}"#), r#"{"id":1}"#);
    }
}
