//! Compose's two schema fields, the value's (Schema) and the key's (Key schema): loading
//! the schema each names (off the UI task), checking what is typed against it, and framing
//! what is sent. Completing subjects and versions is in `complete`.

mod complete;
mod field;

pub use field::{Part, SchemaField, key_field_text};

use super::{ComposeTab, history};
use crate::kafka::RequestId;
use crate::loadable::Loadable;
use crate::schema::Encoder;

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
            Part::Value => {
                self.fill_example();
                self.check_schema();
            }
        }
    }

    /// A value schema loaded while the value is empty, or still the example the last
    /// schema filled in (and no tombstone armed): the value becomes an example this
    /// schema accepts, every field present, to edit. None is offered when the schema
    /// would refuse it, or it would be too big to edit.
    fn fill_example(&mut self) {
        let value = self.value_text();
        let untouched = value.trim().is_empty() || self.filled_example.as_ref() == Some(&value);
        if self.tombstone || !untouched {
            return;
        }
        let example = self.value_schema.encoder.loaded().and_then(|encoder| {
            let example = encoder.example(jiff::Timestamp::now())?;
            encoder.encode(example.as_bytes()).ok()?;
            Some(crate::widgets::payload::reindent_json(example.as_bytes()))
        });
        if let Some(example) = example {
            self.set_value(&example);
            self.filled_example = Some(example);
            self.draft.dirty = true;
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
