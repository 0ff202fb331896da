//! Schemas: records framed by a schema registry (the Confluent wire format) decoded to
//! JSON, for Avro, Protobuf and JSON Schema.
//!
//! [`Schemas`] fetches each schema id once (with the schemas it references), compiles it
//! and keeps it: a registry never changes what an id means. A schema that could not be
//! had is asked for again after [`RETRY_AFTER`], so a registry that is down costs one
//! deadline per id now and then, not one per record; so are the subjects holding an id
//! when the registry failed to say (only they are asked again). It blocks: it runs where records are
//! read (the tail's thread), never on the UI task.
//!
//! Like `kafka/`, this knows nothing of the UI.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

pub mod avro;
mod browse;
mod compiled;
mod encoder;
mod example;
pub mod json_text;
pub mod local;
pub mod protobuf;
pub mod registry;
pub mod wire;

pub use browse::{SubjectDetail, SubjectList};
pub use compiled::Compiled;
pub use encoder::{Encoder, SchemaChoice};
pub use local::{LocalProto, ProtoSpec};

pub use registry::{
    Reference, RegisteredSchema, RegistryClient, RegistryError, RegistrySettings, RegistrySpec,
    SchemaKind, SubjectVersion,
};

use compiled::compile;

/// What a cluster without a schema registry says when one is needed.
pub const NO_REGISTRY: &str = "no schema registry for this cluster: start ktui with \
                               --schema-registry URL, or set schema_registry in the \
                               cluster's config";

/// How long a failed lookup is remembered before the registry is asked again.
pub const RETRY_AFTER: Duration = Duration::from_secs(15);
/// References nest at most this deep, and a schema pulls in at most this many.
const MAX_REFERENCE_DEPTH: usize = 16;
const MAX_REFERENCES: usize = 256;

/// A schema as a record names it: what the detail view and `--format json` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub id: u32,
    pub kind: SchemaKind,
    /// The subjects and versions that hold the id, when the registry says.
    pub holders: Vec<SubjectVersion>,
    /// The schema's text as registered.
    pub text: String,
    pub references: Vec<Reference>,
    /// A local schema's `.proto` file (`--proto-file`); `None` for a registry's.
    pub file: Option<String>,
}

impl SchemaInfo {
    /// The subject that holds the id: `preferred` (the topic's `T-value` or `T-key`, by
    /// the TopicNameStrategy) when it is one of them, else the first.
    pub fn holder(&self, preferred: &str) -> Option<&SubjectVersion> {
        self.holders
            .iter()
            .find(|h| h.subject == preferred)
            .or_else(|| self.holders.first())
    }
}

/// A key or value that was framed with a schema id, decoded (or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The id in the framing (`None`: a raw message read with a local `.proto` type).
    pub id: Option<u32>,
    /// The schema, when it could be had.
    pub schema: Option<Arc<SchemaInfo>>,
    /// The subject and version holding it (see [`SchemaInfo::holder`]).
    pub subject: Option<String>,
    pub version: Option<i32>,
    /// For Protobuf: the message the framing names, by full name.
    pub message: Option<String>,
    /// The value as JSON text, or why it could not be decoded (in words).
    pub json: Result<String, String>,
}

impl Decoded {
    /// `orders-value v3 · id 17 · AVRO`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(subject) = &self.subject {
            out.push_str(subject);
            if let Some(version) = self.version {
                let _ = write!(out, " v{version}");
            }
            out.push_str(" · ");
        }
        if let Some(file) = self.schema.as_ref().and_then(|s| s.file.as_deref()) {
            let _ = write!(out, "{file} (--proto-file) · ");
        }
        match (self.id, &self.schema) {
            (Some(id), Some(schema)) => {
                let _ = write!(out, "id {id} · {}", schema.kind.name());
            }
            (Some(id), None) => {
                let _ = write!(out, "id {id}");
            }
            (None, Some(schema)) => out.push_str(schema.kind.name()),
            (None, None) => {}
        }
        out
    }

    /// Bytes held beside the record's own (for the tail's memory bound).
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + match &self.json {
                Ok(text) | Err(text) => text.len(),
            }
            + self.message.as_ref().map_or(0, String::len)
    }
}

/// A cached lookup.
#[derive(Debug, Clone)]
enum Slot {
    /// `holders_failed`: when the registry could not say which subjects hold the id (it
    /// is asked again after `RETRY_AFTER`; the schema itself decodes meanwhile).
    Ready {
        compiled: Arc<Compiled>,
        holders_failed: Option<Instant>,
    },
    Failed {
        why: String,
        at: Instant,
    },
}

/// Schemas from one registry, fetched once per id.
#[derive(Debug)]
pub struct Schemas {
    client: RegistryClient,
    by_id: Mutex<HashMap<u32, Slot>>,
    /// The registry did not answer (refused, timed out): every lookup fails at once with
    /// this reason until `RETRY_AFTER` has passed, instead of one deadline per id.
    down: Mutex<Option<(String, Instant)>>,
    /// [`RETRY_AFTER`], shorter in tests.
    retry_after: Duration,
}

/// A reason as long as a line: a registry's message or a parser's can be megabytes.
fn shortened(why: String) -> String {
    const MOST: usize = 300;
    if why.len() <= MOST {
        return why;
    }
    let mut cut = MOST;
    while !why.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &why[..cut])
}

impl Schemas {
    pub fn new(settings: &RegistrySettings) -> Result<Self, String> {
        Ok(Self {
            client: RegistryClient::new(settings)?,
            by_id: Mutex::new(HashMap::new()),
            down: Mutex::new(None),
            retry_after: RETRY_AFTER,
        })
    }

    /// Asks again after `retry_after` instead of [`RETRY_AFTER`] (tests).
    #[doc(hidden)]
    #[must_use]
    pub fn with_retry_after(self, retry_after: Duration) -> Self {
        Self {
            retry_after,
            ..self
        }
    }

    /// The one `Schemas` of this process for this registry and login (every tail of a
    /// cluster shares the cache). A password that changed (a rotated `cmd:` secret)
    /// replaces the registry's entry rather than adding one per reconnect.
    pub fn shared(settings: &RegistrySettings) -> Result<Arc<Self>, String> {
        type Registries = Mutex<Vec<(RegistrySettings, Arc<Schemas>)>>;
        static ALL: OnceLock<Registries> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let same_registry = |s: &RegistrySettings| {
            RegistrySettings {
                password: None,
                ..s.clone()
            } == RegistrySettings {
                password: None,
                ..settings.clone()
            }
        };
        let found = all.iter().position(|(s, _)| same_registry(s));
        if let Some(i) = found
            && all[i].0 == *settings
        {
            return Ok(Arc::clone(&all[i].1));
        }
        let schemas = Arc::new(Self::new(settings)?);
        let entry = (settings.clone(), Arc::clone(&schemas));
        match found {
            Some(i) => all[i] = entry,
            None => all.push(entry),
        }
        Ok(schemas)
    }

    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The schema with this id, from the cache or the registry. No lock is held while
    /// the registry is asked: the tails' threads do not wait on each other.
    pub fn get(&self, id: u32) -> Result<Arc<Compiled>, String> {
        let stale = {
            let mut by_id = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
            match by_id.get_mut(&id) {
                Some(Slot::Ready {
                    compiled,
                    holders_failed,
                }) => {
                    if holders_failed.is_none_or(|at| at.elapsed() < self.retry_after) {
                        return Ok(Arc::clone(compiled));
                    }
                    // This thread asks for the holders; the others keep decoding meanwhile.
                    *holders_failed = Some(Instant::now());
                    Some(Arc::clone(compiled))
                }
                Some(Slot::Failed { why, at }) if at.elapsed() < self.retry_after => {
                    return Err(why.clone());
                }
                _ => None,
            }
        };
        // Only the holders are asked for a stale one: what decodes keeps decoding,
        // whatever the answer, and the breaker is not for them.
        let slot = if let Some(compiled) = stale {
            self.with_holders(id, compiled)
        } else {
            let down = self
                .down
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .filter(|(_, at)| at.elapsed() < self.retry_after);
            if let Some((reason, _)) = down {
                return Err(format!("schema {id}: {reason}"));
            }
            self.fetched(id)
        };
        let mut by_id = self.by_id.lock().unwrap_or_else(PoisonError::into_inner);
        // Another thread's success in the meantime wins over this one's failure.
        let kept = if let (Some(ready @ Slot::Ready { .. }), Slot::Failed { .. }) =
            (by_id.get(&id), &slot)
        {
            ready.clone()
        } else {
            by_id.insert(id, slot.clone());
            slot
        };
        match kept {
            Slot::Ready { compiled, .. } => Ok(compiled),
            Slot::Failed { why, .. } => Err(why),
        }
    }

    /// A schema decoding already whose holders the registry failed to say: asked for
    /// those alone; what decodes keeps decoding whatever the answer.
    fn with_holders(&self, id: u32, compiled: Arc<Compiled>) -> Slot {
        match self.holders(id) {
            Ok(Some(holders)) => Slot::Ready {
                compiled: Arc::new(Compiled {
                    info: Arc::new(SchemaInfo {
                        holders,
                        ..(*compiled.info).clone()
                    }),
                    codec: Arc::clone(&compiled.codec),
                }),
                holders_failed: None,
            },
            Ok(None) | Err(_) => Slot::Ready {
                compiled,
                holders_failed: Some(Instant::now()),
            },
        }
    }

    /// The subjects and versions holding an id: `Ok(Some)` when the registry said (a
    /// registry without the route, 404, or that will not say, 401/403: none, for good),
    /// `Ok(None)` when it failed (asked again later), `Err` when it did not answer.
    fn holders(&self, id: u32) -> Result<Option<Vec<SubjectVersion>>, String> {
        match self.client.versions_of_id(id) {
            Ok(holders) => Ok(Some(holders)),
            Err(RegistryError::NotFound { .. } | RegistryError::Refused { .. }) => {
                Ok(Some(Vec::new()))
            }
            Err(RegistryError::Unreachable(reason)) => Err(reason),
            Err(e) => {
                tracing::info!("schema {id}: which subjects hold it: {e}");
                Ok(None)
            }
        }
    }

    /// A schema fetched and compiled, or why not.
    fn fetched(&self, id: u32) -> Slot {
        match self.fetch(id) {
            Ok((compiled, holders_known)) => Slot::Ready {
                compiled: Arc::new(compiled),
                holders_failed: (!holders_known).then(Instant::now),
            },
            Err((why, unreachable)) => {
                let why = shortened(why);
                tracing::info!("schema {id}: {why}");
                if let Some(reason) = unreachable {
                    *self.down.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some((reason, Instant::now()));
                }
                Slot::Failed {
                    why,
                    at: Instant::now(),
                }
            }
        }
    }

    /// The schema and whether the registry said which subjects hold it, or why not (and,
    /// when the registry did not answer at all, that reason alone, for the other ids to
    /// fail fast with).
    fn fetch(&self, id: u32) -> Result<(Compiled, bool), (String, Option<String>)> {
        let registered = self.client.schema_by_id(id).map_err(|e| match e {
            RegistryError::NotFound { .. } => {
                (format!("schema {id} not found in the registry"), None)
            }
            RegistryError::Unreachable(reason) => (format!("schema {id}: {reason}"), Some(reason)),
            e => (format!("schema {id}: {e}"), None),
        })?;
        // Which subject and version hold it: for the eyes only, so a registry that cannot
        // say does not stop the decoding. One without the route (404) or that will not say
        // (401/403) is not asked again; one that failed or did not answer is, later.
        let (holders, holders_known) = match self.holders(id) {
            Ok(Some(holders)) => (holders, true),
            Ok(None) | Err(_) => (Vec::new(), false),
        };
        let mut references = Vec::new();
        self.collect_references(&registered.references, 0, &mut references)
            .map_err(|e| (format!("schema {id}: {e}"), None))?;
        let info = Arc::new(SchemaInfo {
            id,
            kind: registered.schema_type,
            holders,
            file: None,
            text: registered.schema,
            references: registered.references,
        });
        compile(info, &references)
            .map(|compiled| (compiled, holders_known))
            .map_err(|e| (e, None))
    }

    /// The texts of every schema `refs` pull in, dependencies first, by import name.
    fn collect_references(
        &self,
        refs: &[Reference],
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        if depth > MAX_REFERENCE_DEPTH {
            return Err(format!(
                "references nest deeper than {MAX_REFERENCE_DEPTH} levels"
            ));
        }
        for reference in refs {
            if out.iter().any(|(name, _)| *name == reference.name) {
                continue;
            }
            if out.len() >= MAX_REFERENCES {
                return Err(format!("more than {MAX_REFERENCES} references"));
            }
            let found = self
                .client
                .subject_version(&reference.subject, &reference.version.to_string())
                .map_err(|e| {
                    format!(
                        "its reference {} ({} version {}): {e}",
                        reference.name, reference.subject, reference.version
                    )
                })?;
            self.collect_references(&found.references, depth + 1, out)?;
            out.push((reference.name.clone(), found.schema));
        }
        Ok(())
    }

    /// Decodes a key or value when it is framed; `None` when it is not. `subject` is the
    /// one the topic's records would use (`T-value`, `T-key`), to name the schema by.
    pub fn decode(&self, bytes: &[u8], subject: &str) -> Option<Decoded> {
        let (id, payload) = wire::split(bytes)?;
        Some(match self.get(id) {
            Ok(compiled) => {
                let (message, json) = compiled.decode(payload);
                let holder = compiled.info.holder(subject);
                Decoded {
                    id: Some(id),
                    subject: holder.map(|h| h.subject.clone()),
                    version: holder.map(|h| h.version),
                    schema: Some(Arc::clone(&compiled.info)),
                    message,
                    json,
                }
            }
            Err(why) => Decoded {
                id: Some(id),
                schema: None,
                subject: None,
                version: None,
                message: None,
                json: Err(why),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_password_replaces_the_registrys_entry() {
        let with = |password: &str| RegistrySettings {
            username: Some("ktui".into()),
            password: Some(crate::secret::Secret::new(password)),
            ..RegistrySettings::new("http://127.0.0.1:1/rotation-test")
        };
        let first = Schemas::shared(&with("one")).unwrap();
        assert!(Arc::ptr_eq(&first, &Schemas::shared(&with("one")).unwrap()));
        let second = Schemas::shared(&with("two")).unwrap();
        assert!(!Arc::ptr_eq(&first, &second), "the new password is used");
        assert!(Arc::ptr_eq(
            &second,
            &Schemas::shared(&with("two")).unwrap()
        ));
        let again = Schemas::shared(&with("one")).unwrap();
        assert!(
            !Arc::ptr_eq(&first, &again),
            "the first entry was replaced, not kept beside the second"
        );
    }
}
