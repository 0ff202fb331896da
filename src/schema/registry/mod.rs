//! A client of the Confluent Schema Registry REST API (which Karapace, Apicurio's
//! compatibility API and Redpanda serve too): schemas by id, subjects, versions, the
//! compatibility level. Blocking, with deadlines: it runs on the tail's reading thread or
//! on a blocking thread of the worker, never on the UI task.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Client;
use serde::Deserialize;

use crate::secret::Secret;

mod settings;
mod tls;

pub use settings::{RegistrySettings, RegistrySpec, without_password};

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a registry answer may hold (a schema is text; anything bigger is not one).
const MAX_BODY: u64 = 16 << 20;
/// What the Confluent clients accept.
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, \
                      application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

/// The schema types a registry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaKind {
    Avro,
    Protobuf,
    Json,
}

impl SchemaKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Avro => "AVRO",
            Self::Protobuf => "PROTOBUF",
            Self::Json => "JSON",
        }
    }
}

/// Another subject's version a schema imports (Avro named types, Protobuf imports by
/// `name`, JSON Schema `$ref`s).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredSchema {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub id: Option<u32>,
    /// The registry leaves it out for Avro.
    #[serde(default = "avro")]
    pub schema_type: SchemaKind,
    pub schema: String,
    #[serde(default)]
    pub references: Vec<Reference>,
}

fn avro() -> SchemaKind {
    SchemaKind::Avro
}

/// One subject's version that holds a schema id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
}

/// Why the registry did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// 404: the registry's `error_code` (40401 subject, 40402 version, 40403 schema) and
    /// message.
    NotFound { code: Option<i64>, message: String },
    /// 401 or 403.
    Refused { status: u16, message: String },
    /// No answer: refused connection, DNS, TLS, or the deadline passed.
    Unreachable(String),
    /// Any other answer.
    Failed { status: u16, message: String },
}

impl RegistryError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { code, message } => match code {
                Some(code) => write!(f, "not found in the registry ({code}: {message})"),
                None => write!(f, "not found in the registry ({message})"),
            },
            Self::Refused {
                status: 401,
                message,
            } => write!(
                f,
                "the schema registry refused the login (401 {message}): check the \
                 schema_registry username and password"
            ),
            Self::Refused { status, message } => {
                write!(f, "the schema registry refused access ({status} {message})")
            }
            Self::Unreachable(reason) => f.write_str(reason),
            Self::Failed { status, message } => {
                write!(f, "the schema registry answered {status}: {message}")
            }
        }
    }
}

/// The registry's error body: `{"error_code": 40403, "message": "Schema 7 not found"}`.
#[derive(Deserialize)]
struct ErrorBody {
    error_code: Option<i64>,
    message: Option<String>,
}

/// A registry client.
pub struct RegistryClient {
    http: Client,
    base: Url,
    /// The URL as the user gave it (without any password), for messages.
    shown: String,
    username: Option<String>,
    password: Option<Secret>,
    /// The certificate files, for the words of a failed TLS handshake.
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryClient({})", self.shown)
    }
}

impl RegistryClient {
    /// A client for these settings. Errors name the bad URL or certificate file.
    pub fn new(settings: &RegistrySettings) -> Result<Self, String> {
        let text = settings.url.trim();
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let mut base = Url::parse(&with_scheme).map_err(|e| {
            format!(
                "schema registry URL {:?} is not a URL: {e}",
                without_password(text)
            )
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "schema registry URL {:?}: use http:// or https://",
                without_password(text)
            ));
        }
        // user:password@ in the URL, as the Confluent clients take it.
        let mut username = settings.username.clone();
        let mut password = settings.password.clone();
        if !base.username().is_empty() {
            let decoded = |text: &str| {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            username.get_or_insert_with(|| decoded(base.username()));
            if let Some(pw) = base.password() {
                password.get_or_insert_with(|| Secret::new(decoded(pw)));
            }
            let _ = base.set_username("");
            let _ = base.set_password(None);
        }
        let mut builder = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("ktui/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("schema registry CA file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("schema registry CA file {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "schema registry CA file {}: no certificate in it (PEM, -----BEGIN \
                     CERTIFICATE-----)",
                    path.display()
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        match (&settings.cert_file, &settings.key_file) {
            (Some(cert), Some(key)) => {
                let read = |p: &PathBuf| {
                    std::fs::read(p).map_err(|e| {
                        format!("schema registry client certificate {}: {e}", p.display())
                    })
                };
                let identity = reqwest::Identity::from_pkcs8_pem(&read(cert)?, &read(key)?)
                    .map_err(|e| {
                        format!("schema registry client certificate (a PKCS#8 key is needed): {e}")
                    })?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => {
                return Err(
                    "schema registry: a client certificate needs both cert_file and key_file"
                        .into(),
                );
            }
        }
        let http = builder
            .build()
            .map_err(|e| format!("schema registry client: {e}"))?;
        // (Masked again: a password with an unescaped `/` parses as a port and a path.)
        let shown = without_password(base.as_str().trim_end_matches('/'));
        Ok(Self {
            http,
            base,
            shown,
            username,
            password,
            ca_file: settings.ca_file.clone(),
            cert_file: settings.cert_file.clone(),
        })
    }

    /// The registry's address, for messages.
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn url_for(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// GETs a path and parses its JSON answer.
    fn get<T: serde::de::DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, RegistryError> {
        let url = self.url_for(segments, query);
        let mut request = self.http.get(url).header("Accept", ACCEPT);
        if let Some(user) = &self.username {
            request = request.basic_auth(user, self.password.as_ref().map(Secret::expose));
        }
        let response = request.send().map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        response
            .take(MAX_BODY)
            .read_to_end(&mut body)
            .map_err(|e| {
                RegistryError::Unreachable(format!(
                    "the schema registry at {} broke off its answer: {e}",
                    self.shown
                ))
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| RegistryError::Failed {
                status,
                message: format!("an answer that is not the registry's JSON ({e})"),
            });
        }
        let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let message = parsed
            .as_ref()
            .and_then(|b| b.message.clone())
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(&body);
                let text = text.trim();
                if text.is_empty() {
                    reqwest::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("no reason given")
                        .to_string()
                } else {
                    crate::text::escape_control(&text.chars().take(200).collect::<String>())
                        .into_owned()
                }
            });
        let code = parsed.and_then(|b| b.error_code);
        Err(match status {
            404 => RegistryError::NotFound { code, message },
            401 | 403 => RegistryError::Refused { status, message },
            _ => RegistryError::Failed { status, message },
        })
    }

    fn unreachable(&self, error: &reqwest::Error) -> RegistryError {
        let why = if error.is_timeout() {
            format!(
                "the schema registry at {} did not answer within {} s",
                self.shown,
                REQUEST_TIMEOUT.as_secs()
            )
        } else {
            let mut chain = vec![error.to_string()];
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                chain.push(inner.to_string());
                source = inner.source();
            }
            let reason =
                match tls::problem(&chain, self.ca_file.as_deref(), self.cert_file.as_deref()) {
                    Some(problem) => {
                        let raw = chain.join(": ");
                        tracing::debug!(
                            "schema registry {}: {}",
                            self.shown,
                            crate::secret::redact(&raw)
                        );
                        problem
                    }
                    None => chain.pop().unwrap_or_default(),
                };
            format!(
                "cannot reach the schema registry at {}: {reason}",
                self.shown
            )
        };
        RegistryError::Unreachable(crate::secret::redact(&why).into_owned())
    }

    /// `GET /schemas/ids/{id}`.
    pub fn schema_by_id(&self, id: u32) -> Result<RegisteredSchema, RegistryError> {
        self.get(&["schemas", "ids", &id.to_string()], &[])
    }

    /// `GET /schemas/ids/{id}/versions`: the subjects and versions that hold it.
    pub fn versions_of_id(&self, id: u32) -> Result<Vec<SubjectVersion>, RegistryError> {
        self.get(&["schemas", "ids", &id.to_string(), "versions"], &[])
    }

    /// `GET /subjects/{subject}/versions/{version}` (`latest` or a number).
    pub fn subject_version(
        &self,
        subject: &str,
        version: &str,
    ) -> Result<RegisteredSchema, RegistryError> {
        self.get(&["subjects", subject, "versions", version], &[])
    }

    /// `GET /subjects`.
    pub fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        self.get(&["subjects"], &[])
    }

    /// `GET /subjects/{subject}/versions`.
    pub fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.get(&["subjects", subject, "versions"], &[])
    }

    /// The compatibility level of a subject (its own, else the global one).
    pub fn compatibility(&self, subject: Option<&str>) -> Result<String, RegistryError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Config {
            compatibility_level: Option<String>,
            compatibility: Option<String>,
        }
        let config: Config = match subject {
            Some(subject) => self.get(&["config", subject], &[("defaultToGlobal", "true")])?,
            None => self.get(&["config"], &[])?,
        };
        Ok(config
            .compatibility_level
            .or(config.compatibility)
            .unwrap_or_else(|| "unknown".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked_even_when_the_url_is_broken() {
        assert_eq!(
            without_password("http://u:pw@h:8081/x"),
            "http://u:••••••@h:8081/x"
        );
        assert_eq!(without_password("htps://u:s3cr3t@h"), "htps://u:••••••@h");
        assert_eq!(without_password("http://u:pw@[::1"), "http://u:••••••@[::1");
        assert_eq!(without_password("u:pw@h:1"), "u:••••••@h:1");
        assert_eq!(
            without_password("https://KEY:ab/cd@host"),
            "https://KEY:••••••@host"
        );
        assert_eq!(
            without_password("http://u:p?w#x@h/p"),
            "http://u:••••••@h/p"
        );
        assert_eq!(without_password("http://user@h"), "http://user@h");
        let err = RegistryClient::new(&RegistrySettings::new("htps://u:s3cr3t@h")).unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
        let err = RegistryClient::new(&RegistrySettings::new("http://u:s3cr3t@[::1")).unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
        // Parses as host u, port 123: still never shown.
        let client = RegistryClient::new(&RegistrySettings::new("http://u:123/s3cr3t@h")).unwrap();
        assert!(!client.url().contains("s3cr3t"), "{}", client.url());
        // Percent-escaped in the URL, sent decoded.
        let client = RegistryClient::new(&RegistrySettings::new("http://us%40r:p%2Fw@h")).unwrap();
        assert_eq!(client.username.as_deref(), Some("us@r"));
        assert_eq!(client.password.as_ref().map(Secret::expose), Some("p/w"));
    }
}
