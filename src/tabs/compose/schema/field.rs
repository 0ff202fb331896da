//! A schema field of Compose (the value's Schema, the key's Key schema): what is typed in
//! it, the schema it names once loaded, and what is typed checked and framed with it.

use std::borrow::Cow;

use super::super::{Field, history};
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

    pub(super) fn of(field: Field) -> Option<Self> {
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

    pub(super) fn check_text(&mut self, text: &str, part: Part) {
        self.check = self
            .encoder
            .loaded()
            .map(|encoder| encode_typed(encoder, text, part).map(|(framed, _)| framed.len()));
    }

    /// Asks for the schema the field names when that changed.
    pub(super) fn ensure(&mut self, ctx: &mut crate::tabs::Ctx) -> Vec<crate::kafka::Command> {
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
    pub(super) fn forget(&mut self) {
        *self = Self {
            input: std::mem::take(&mut self.input),
            ..Self::default()
        };
    }

    /// What is typed, framed with the schema the field names, or why it cannot be.
    pub(super) fn framed(&self, text: &str, part: Part) -> Result<Vec<u8>, String> {
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
    pub(super) fn typed(&self, text: &str, part: Part) -> Option<history::TypedPart> {
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
pub(super) fn typed_json(text: &str, part: Part) -> Result<Vec<Cow<'_, str>>, String> {
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
