//! What the demo's schema registry holds: schemas by id, subjects and their versions,
//! the compatibility level; and registering, as the Confluent registry does it (the same
//! schema under a subject is one version, the same schema anywhere is one id).

use std::collections::BTreeMap;

use crate::schema::registry::{Reference, SchemaKind};

/// One registered schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
}

impl Stored {
    /// The same schema: the same kind and references, and the same text, or for Avro and
    /// JSON Schema the same JSON laid out differently.
    pub fn same_as(&self, other: &Self) -> bool {
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
        self.kind == other.kind
            && self.references == other.references
            && (self.text == other.text
                || (self.kind != SchemaKind::Protobuf
                    && json(&self.text).is_some_and(|a| Some(a) == json(&other.text))))
    }
}

/// Why a request is refused: the registry's HTTP status, error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: u32,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(404, 40401, format!("Subject '{subject}' not found."))
    }

    pub fn version_not_found(version: &str) -> Self {
        Self::new(404, 40402, format!("Version {version} not found."))
    }

    pub fn schema_not_found(id: Option<u32>) -> Self {
        Self::new(
            404,
            40403,
            id.map_or_else(
                || "Schema not found".to_string(),
                |id| format!("Schema {id} not found"),
            ),
        )
    }

    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            422,
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values \
                 are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    pub fn invalid_schema(why: &str) -> Self {
        Self::new(
            422,
            42201,
            format!("Either the input schema or one of its references is invalid: {why}"),
        )
    }
}

/// The registry's contents.
#[derive(Debug)]
pub struct Store {
    /// By id: id `n` is `schemas[n - 1]`.
    schemas: Vec<Stored>,
    /// Each subject's versions: version `v` is the id at `[v - 1]`.
    subjects: BTreeMap<String, Vec<u32>>,
    pub compatibility: String,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            schemas: Vec::new(),
            subjects: BTreeMap::new(),
            compatibility: "BACKWARD".to_string(),
        }
    }
}

impl Store {
    pub fn schema(&self, id: u32) -> Result<&Stored, Refusal> {
        usize::try_from(id)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.schemas.get(i))
            .ok_or_else(|| Refusal::schema_not_found(Some(id)))
    }

    /// The subjects and versions that hold an id.
    pub fn holders(&self, id: u32) -> Result<Vec<(String, i32)>, Refusal> {
        self.schema(id)?;
        Ok(self
            .subjects
            .iter()
            .flat_map(|(subject, ids)| {
                ids.iter()
                    .zip(1..)
                    .filter(move |(held, _)| **held == id)
                    .map(move |(_, version)| (subject.clone(), version))
            })
            .collect())
    }

    pub fn subjects(&self) -> Vec<String> {
        self.subjects.keys().cloned().collect()
    }

    pub fn versions(&self, subject: &str) -> Result<Vec<i32>, Refusal> {
        let ids = self
            .subjects
            .get(subject)
            .ok_or_else(|| Refusal::subject_not_found(subject))?;
        Ok((1..).take(ids.len()).collect())
    }

    /// A subject's version (`latest` or a number) and the id it holds.
    pub fn version(&self, subject: &str, version: &str) -> Result<(i32, u32), Refusal> {
        let ids = self
            .subjects
            .get(subject)
            .ok_or_else(|| Refusal::subject_not_found(subject))?;
        let number = if version == "latest" || version == "-1" {
            i32::try_from(ids.len()).unwrap_or(i32::MAX)
        } else {
            match version.parse::<i32>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(Refusal::invalid_version(version)),
            }
        };
        usize::try_from(number)
            .ok()
            .and_then(|n| ids.get(n.wrapping_sub(1)))
            .map(|id| (number, *id))
            .ok_or_else(|| Refusal::version_not_found(version))
    }

    /// The version of `subject` holding exactly this schema, if any.
    pub fn lookup(&self, subject: &str, schema: &Stored) -> Result<(i32, u32), Refusal> {
        let ids = self
            .subjects
            .get(subject)
            .ok_or_else(|| Refusal::subject_not_found(subject))?;
        ids.iter()
            .zip(1..)
            .find(|(id, _)| self.schema(**id).is_ok_and(|s| s.same_as(schema)))
            .map(|(id, version)| (version, *id))
            .ok_or_else(|| Refusal::schema_not_found(None))
    }

    /// Registers a schema under a subject: its id (the same for the same schema under any
    /// subject), with a new version only when the subject does not hold it yet.
    pub fn register(&mut self, subject: &str, schema: Stored) -> Result<u32, Refusal> {
        for reference in &schema.references {
            self.version(&reference.subject, &reference.version.to_string())
                .map_err(|why| Refusal::invalid_schema(&why.message))?;
        }
        if let Ok((_, id)) = self.lookup(subject, &schema) {
            return Ok(id);
        }
        let id = if let Some(i) = self.schemas.iter().position(|s| s.same_as(&schema)) {
            u32::try_from(i + 1).unwrap_or(u32::MAX)
        } else {
            self.schemas.push(schema);
            u32::try_from(self.schemas.len()).unwrap_or(u32::MAX)
        };
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .push(id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(text: &str) -> Stored {
        Stored {
            kind: SchemaKind::Avro,
            text: text.into(),
            references: Vec::new(),
        }
    }

    #[test]
    fn the_same_schema_is_one_id_and_one_version_per_subject() {
        let mut store = Store::default();
        assert_eq!(store.register("a-value", avro("\"string\"")), Ok(1));
        assert_eq!(store.register("a-value", avro("\"string\"")), Ok(1));
        assert_eq!(store.register("b-value", avro("\"string\"")), Ok(1));
        assert_eq!(store.register("a-value", avro("\"long\"")), Ok(2));
        assert_eq!(store.versions("a-value"), Ok(vec![1, 2]));
        assert_eq!(store.version("a-value", "latest"), Ok((2, 2)));
        assert_eq!(store.version("a-value", "1"), Ok((1, 1)));
        assert_eq!(
            store.holders(1),
            Ok(vec![("a-value".into(), 1), ("b-value".into(), 1)])
        );
        assert_eq!(store.lookup("b-value", &avro("\"string\"")), Ok((1, 1)));
        // Laid out differently, the same Avro schema.
        let record = r#"{"type":"record","name":"R","fields":[]}"#;
        let id = store.register("r-value", avro(record)).unwrap();
        let spaced = r#"{ "type": "record", "name": "R", "fields": [ ] }"#;
        assert_eq!(store.register("r-value", avro(spaced)), Ok(id));
    }

    #[test]
    fn refusals_carry_the_registrys_codes() {
        let mut store = Store::default();
        store.register("a-value", avro("\"string\"")).unwrap();
        assert_eq!(store.schema(9).unwrap_err().code, 40403);
        assert_eq!(store.schema(0).unwrap_err().code, 40403);
        assert_eq!(store.versions("nope").unwrap_err().code, 40401);
        assert_eq!(store.version("a-value", "7").unwrap_err().code, 40402);
        assert_eq!(store.version("a-value", "x").unwrap_err().code, 42202);
        assert_eq!(store.lookup("a-value", &avro("1")).unwrap_err().code, 40403);
        let dangling = Stored {
            references: vec![Reference {
                name: "x".into(),
                subject: "nope".into(),
                version: 1,
            }],
            ..avro("\"string\"")
        };
        assert_eq!(store.register("c", dangling).unwrap_err().code, 42201);
    }
}
