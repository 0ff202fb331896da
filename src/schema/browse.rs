//! Browsing a registry: its subjects and the global compatibility level, and one
//! subject's versions, schema, references and compatibility (the Schemas tab).

use super::Schemas;
use super::registry::{Reference, RegistryError, SchemaKind};

/// Every subject the registry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectList {
    /// The registry's address (without a password).
    pub registry: String,
    pub subjects: Vec<String>,
    /// The registry-wide compatibility level.
    pub compatibility: String,
}

/// One version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectDetail {
    pub subject: String,
    /// Every version the subject has, oldest first.
    pub versions: Vec<i32>,
    /// The version shown.
    pub version: i32,
    pub id: u32,
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
    /// The subject's compatibility level (its own, else the registry's).
    pub compatibility: String,
}

impl Schemas {
    pub fn list_subjects(&self) -> Result<SubjectList, String> {
        let mut subjects = self.client().subjects().map_err(|e| e.to_string())?;
        subjects.sort();
        let compatibility = self
            .client()
            .compatibility(None)
            .unwrap_or_else(|e| format!("unknown ({e})"));
        Ok(SubjectList {
            registry: self.client().url().to_string(),
            subjects,
            compatibility,
        })
    }

    /// A subject's version (`None`: its latest).
    pub fn describe_subject(
        &self,
        subject: &str,
        version: Option<i32>,
    ) -> Result<SubjectDetail, String> {
        let words = |e: RegistryError| match e {
            RegistryError::NotFound {
                code: Some(40401), ..
            } => format!("subject {subject:?} not found in the registry"),
            RegistryError::NotFound {
                code: Some(40402), ..
            } => format!("subject {subject:?} has no such version"),
            e => format!("subject {subject:?}: {e}"),
        };
        let mut versions = self.client().versions(subject).map_err(words)?;
        versions.sort_unstable();
        let asked = version.map_or_else(|| "latest".to_string(), |v| v.to_string());
        let found = self
            .client()
            .subject_version(subject, &asked)
            .map_err(words)?;
        let compatibility = self
            .client()
            .compatibility(Some(subject))
            .unwrap_or_else(|e| format!("unknown ({e})"));
        Ok(SubjectDetail {
            subject: subject.to_string(),
            version: found
                .version
                .or(version)
                .or_else(|| versions.last().copied())
                .unwrap_or_default(),
            versions,
            id: found.id.unwrap_or_default(),
            kind: found.schema_type,
            text: found.schema,
            references: found.references,
            compatibility,
        })
    }
}
