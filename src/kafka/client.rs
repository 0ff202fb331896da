//! Building rdkafka clients from the user's settings, and the context that captures
//! librdkafka's own error reasons so the UI can show them.

use std::sync::{Arc, Mutex};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::schema::{ProtoSpec, RegistrySettings, RegistrySpec};

/// Where to connect and any librdkafka properties (`-X key=value`, as kcat takes them).
/// Secret values are resolved here; `Debug` masks them.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub brokers: String,
    pub properties: Vec<(String, String)>,
    /// The cluster's schema registry, if it has one.
    pub schema_registry: Option<RegistrySettings>,
    /// Local `.proto` files to read and write records with (`--proto-file`).
    pub proto: Option<ProtoSpec>,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<(&str, &str)> = self
            .properties
            .iter()
            .map(|(k, v)| {
                let v = if crate::secret::is_secret_property(k) {
                    crate::secret::MASK
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            })
            .collect();
        f.debug_struct("ClientSettings")
            .field("brokers", &self.brokers)
            .field("properties", &shown)
            .field("schema_registry", &self.schema_registry)
            .field("proto", &self.proto)
            .finish()
    }
}

impl ClientSettings {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            properties: Vec::new(),
            schema_registry: None,
            proto: None,
        }
    }

    /// The librdkafka configuration shared by every client ktui creates.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "ktui")
            // Surface a dead cluster quickly instead of after minutes of retries.
            .set("socket.connection.setup.timeout.ms", "5000")
            .set("reconnect.backoff.max.ms", "2000")
            // Info, not Warning: a connection closed during the handshake (TLS against a
            // plaintext listener, a SASL mismatch) is logged at LOG_INFO, and its reason
            // is the one the status bar needs.
            .set_log_level(RDKafkaLogLevel::Info);
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}

/// A librdkafka property's value: plain, or a secret resolved only when connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Property {
    Plain(String),
    Secret(crate::secret::SecretSpec),
}

impl Property {
    /// A secret when the property holds one (`sasl.password`, …), else plain.
    pub fn new(key: &str, value: &str) -> Self {
        if crate::secret::is_secret_property(key) {
            Self::Secret(crate::secret::SecretSpec::parse(value))
        } else {
            Self::Plain(value.to_string())
        }
    }
}

/// Where and how to connect before secrets are resolved: what a cluster switch carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// The cluster's name, for error messages.
    pub name: String,
    pub brokers: String,
    pub properties: Vec<(String, Property)>,
    /// Why it cannot be used at all (e.g. its kcat file is unreadable).
    pub problem: Option<String>,
    pub schema_registry: Option<RegistrySpec>,
    pub proto: Option<ProtoSpec>,
}

impl ClientSpec {
    /// The settings with secrets resolved (blocking for `cmd:` secrets). Errors name the
    /// cluster and property, never a value.
    pub fn resolve(&self) -> Result<ClientSettings, String> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        let mut settings = ClientSettings::new(self.brokers.clone());
        for (key, value) in &self.properties {
            let text = match value {
                Property::Plain(text) => text.clone(),
                Property::Secret(spec) => spec
                    .resolve()
                    .map_err(|e| format!("cluster {}: {key}: {e}", self.name))?
                    .expose()
                    .to_string(),
            };
            settings.properties.push((key.clone(), text));
        }
        settings.schema_registry = self
            .schema_registry
            .as_ref()
            .map(RegistrySpec::resolve)
            .transpose()
            .map_err(|e| format!("cluster {}: {e}", self.name))?;
        settings.proto.clone_from(&self.proto);
        Ok(settings)
    }
}

/// Parses a `key=value` librdkafka property as `-X` takes it.
pub fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "expected PROPERTY=VALUE (a librdkafka property such as security.protocol=ssl), got {text:?}"
        )),
    }
}

/// librdkafka's reason for a failed connection, led by what it means in words when the
/// pattern is a known security mistake: a wrong password, a SASL mechanism the broker does
/// not offer, a SASL login to a listener that takes none, an untrusted certificate, TLS
/// against a plaintext listener and the reverse, a missing or refused client certificate.
pub fn explain_failure(reason: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    let words = if has(&[
        "sasl authentication error",
        "authentication failed",
        "invalid username or password",
        "invalid credentials",
    ]) {
        "wrong user name or password: the broker refused the SASL login"
    } else if has(&[
        "request not valid in current sasl state",
        "illegal_sasl_state",
    ]) {
        // Apache Kafka's answer to a SaslHandshake on a PLAINTEXT or SSL listener (with an
        // empty mechanism list, which would otherwise read as "offers nothing").
        "this listener takes no SASL login: security.protocol asks for SASL but the port is a PLAINTEXT or SSL listener"
    } else if has(&[
        "unsupported sasl mechanism",
        "no shared mechanism",
        "mechanism handshake failed",
    ]) {
        "the broker does not offer this SASL mechanism (sasl.mechanism); its own list, if it gave one, follows"
    } else if has(&[
        "certificate verify failed",
        "self-signed certificate",
        "self signed certificate",
        "unable to get local issuer",
    ]) {
        "the broker's TLS certificate is not trusted: point ssl.ca.location at the CA that signed it"
    } else if has(&[
        "certificate required",
        "peer did not return a certificate",
        // Alerts the broker sends when it wants a client certificate and got none, or one
        // it does not trust (Apache Kafka's JSSE: bad_certificate, certificate_unknown).
        "alert bad certificate",
        "alert certificate unknown",
        "alert unknown ca",
    ]) {
        "the broker requires a client certificate it trusts: set ssl.certificate.location and ssl.key.location to one signed by a CA the broker trusts"
    } else if has(&[
        "wrong version number",
        "packet length too long",
        "record layer failure",
        "unexpected eof while reading",
    ]) || (lower.contains("disconnected")
        && (lower.contains("ssl handshake") || lower.contains("in state ssl_handshake")))
        || lower.contains("timed out in state ssl_handshake")
    {
        "the broker does not speak TLS on this port: security.protocol asks for SSL but the listener is plaintext"
    } else if lower.contains("invalid response size")
        || (lower.contains("disconnected")
            && (lower.contains("apiversion_query")
                // A SASL listener answers ApiVersions, then closes on the first request
                // without a login: within a moment of UP, unlike a broker going away.
                || ms_in_state(&lower, "up").is_some_and(|ms| ms < 1000)))
    {
        "the broker closed the connection at once: it may expect TLS or a SASL login (check security.protocol), or it is still starting up"
    } else {
        return reason.to_string();
    };
    format!("{words} ({reason})")
}

/// N from librdkafka's "(after Nms in state STATE" in an already lowercased reason.
fn ms_in_state(lower: &str, state: &str) -> Option<u64> {
    let marker = format!("ms in state {state}");
    // The whole state name: "up" must not match "update".
    let end = lower.match_indices(&marker).map(|(at, _)| at).find(|&at| {
        !lower[at + marker.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })?;
    let digits = lower[..end].len()
        - lower[..end]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
    lower[end - digits..end].parse().ok()
}

impl KtuiContext {
    /// An error with librdkafka's most specific cause appended, explained in words when
    /// it is a known security mistake.
    pub fn reason_for(&self, error: &str) -> String {
        match self.last_error() {
            Some(cause) => explain_failure(&format!("{error}: {cause}")),
            None => explain_failure(error),
        }
    }
}

/// The client context: forwards librdkafka logs to `tracing` and keeps the last
/// connection-level error so "unreachable" can say why.
#[derive(Clone, Default)]
pub struct KtuiContext {
    last_error: Arc<Mutex<Option<String>>>,
}

impl KtuiContext {
    /// The most specific error librdkafka reported since the last `take`, if any.
    pub fn take_last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|mut slot| slot.take())
    }

    /// The most specific error librdkafka reported, left in place.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|slot| slot.clone())
    }

    fn remember(&self, error: &KafkaError, reason: &str) {
        // "1/1 brokers are down" says less than the connect failure that caused it.
        let generic = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::AllBrokersDown)
        );
        self.remember_reason(reason, generic);
    }

    fn remember_reason(&self, reason: &str, generic: bool) {
        let Ok(mut slot) = self.last_error.lock() else {
            return;
        };
        if !generic || slot.is_none() {
            // Drop librdkafka's "[thrd:…]: " thread tag; the rest names broker and cause.
            let reason = match reason.strip_prefix("[thrd:") {
                Some(rest) => rest.split_once("]: ").map_or(reason, |(_, r)| r),
                None => reason,
            };
            *slot = Some(reason.to_string());
        }
    }
}

impl ClientContext for KtuiContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        // librdkafka's text is not ours to vet: mask any secret before it goes anywhere.
        let log_message = &*crate::secret::redact(log_message);
        // Broker connection failures ("Connect to ipv4#127.0.0.1:1 failed: Connection
        // refused", "Failed to resolve 'x:9092'", SSL and SASL failures) arrive as FAIL
        // logs from librdkafka's own threads: the most specific reason there is.
        if fac == "FAIL" || fac == "ERROR" {
            self.remember_reason(log_message, false);
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "{fac} {log_message}");
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", "{fac} {log_message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{fac} {log_message}");
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", "{fac} {log_message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let reason = &*crate::secret::redact(reason);
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
        self.remember(&error, reason);
    }
}

impl ConsumerContext for KtuiContext {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_properties_like_kcat() {
        assert_eq!(
            parse_property("security.protocol=SASL_SSL").unwrap(),
            ("security.protocol".into(), "SASL_SSL".into())
        );
        assert_eq!(
            parse_property("sasl.password=a=b").unwrap(),
            ("sasl.password".into(), "a=b".into())
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=x").is_err());
    }

    #[test]
    fn security_failures_are_named_in_words() {
        let cases = [
            (
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error: SASL SCRAM authentication failed: broker responded with unknown-user (after 46ms in state AUTH_REQ)",
                "wrong user name or password",
            ),
            (
                // Apache Kafka 4.1, a wrong PLAIN password.
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error: Authentication failed: Invalid username or password (after 301ms in state AUTH_REQ)",
                "wrong user name or password",
            ),
            (
                // Apache Kafka 4.1, a wrong SCRAM password (or a user of another mechanism).
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256 (after 305ms in state AUTH_REQ)",
                "wrong user name or password",
            ),
            (
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL PLAIN mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: SCRAM-SHA-512 (after 1ms in state AUTH_HANDSHAKE)",
                "does not offer this SASL mechanism",
            ),
            (
                "ssl://127.0.0.1:9/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured (after 4ms in state SSL_HANDSHAKE)",
                "certificate is not trusted",
            ),
            (
                "ssl://127.0.0.1:9/bootstrap: SSL handshake failed: error:0A00045C:SSL routines::tlsv13 alert certificate required (after 3ms in state SSL_HANDSHAKE)",
                "requires a client certificate",
            ),
            (
                // Apache Kafka 4.1, mutual TLS without a client certificate.
                "ssl://127.0.0.1:9/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 0ms in state APIVERSION_QUERY)",
                "requires a client certificate",
            ),
            (
                // Apache Kafka 4.1, mutual TLS with a certificate it does not accept.
                "ssl://127.0.0.1:9/bootstrap: Receive failed: error:0A000416:SSL routines::sslv3 alert certificate unknown: SSL alert number 46 (after 2ms in state APIVERSION_QUERY)",
                "requires a client certificate",
            ),
            (
                // Apache Kafka 4.1, a SASL client on a PLAINTEXT listener.
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL SCRAM-SHA-256 mechanism handshake failed: Broker: Request not valid in current SASL state: broker's supported mechanisms:  (after 0ms in state AUTH_HANDSHAKE)",
                "takes no SASL login",
            ),
            (
                // Apache Kafka 4.1, a mechanism the listener does not enable.
                "sasl_plaintext://127.0.0.1:9/bootstrap: SASL OAUTHBEARER mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512,SCRAM-SHA-256 (after 301ms in state AUTH_HANDSHAKE)",
                "does not offer this SASL mechanism",
            ),
            (
                // Apache Kafka 4.1's PLAINTEXT listener, as librdkafka words it one time...
                "ssl://127.0.0.1:9/bootstrap: SSL handshake failed: Disconnected: SSL connection closed by peer: connecting to a PLAINTEXT broker listener? (after 1ms in state SSL_HANDSHAKE)",
                "does not speak TLS",
            ),
            (
                // ...and another (the same mistake, the close seen first).
                "ssl://127.0.0.1:9/bootstrap: Disconnected: SSL connection closed by peer (after 0ms in state SSL_HANDSHAKE)",
                "does not speak TLS",
            ),
            (
                "ssl://127.0.0.1:9/bootstrap: Connection setup timed out in state SSL_HANDSHAKE (after 5005ms in state SSL_HANDSHAKE)",
                "does not speak TLS",
            ),
            (
                // Apache Kafka 4.1's SASL listener and a client without a login.
                "127.0.0.1:9/bootstrap: Disconnected: connection closed by peer: receive 0 after POLLIN (after 1ms in state UP, 1 identical error(s) suppressed)",
                "it may expect TLS or a SASL login",
            ),
            (
                "127.0.0.1:9/bootstrap: Disconnected: connection closed by peer: receive 0 after POLLIN: requesting ApiVersion: might be caused by incorrect security.protocol configuration (connecting to a SSL listener?) (after 0ms in state APIVERSION_QUERY)",
                "it may expect TLS",
            ),
        ];
        for (reason, words) in cases {
            let explained = explain_failure(reason);
            assert!(explained.contains(words), "{explained}");
            assert!(
                explained.contains(reason),
                "librdkafka's words stay: {explained}"
            );
        }
        let refused = "Connect to ipv4#127.0.0.1:1 failed: Connection refused";
        assert_eq!(explain_failure(refused), refused);
        // A broker that was up for minutes and went away is an outage, not a TLS mistake.
        let outage = "127.0.0.1:9/1: Disconnected (after 183201ms in state UP)";
        assert_eq!(explain_failure(outage), outage);
    }

    #[test]
    fn a_state_is_matched_by_its_whole_name() {
        assert_eq!(ms_in_state("(after 5ms in state up)", "up"), Some(5));
        assert_eq!(ms_in_state("(after 5ms in state update)", "up"), None);
        assert_eq!(
            ms_in_state("after 5ms in state update, then 7ms in state up)", "up"),
            Some(7)
        );
    }

    #[test]
    fn specific_reason_wins_over_all_brokers_down() {
        let ctx = KtuiContext::default();
        ctx.remember(
            &KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure),
            "Connect to ipv4#127.0.0.1:1 failed: Connection refused",
        );
        ctx.remember(
            &KafkaError::Global(RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
        assert_eq!(
            ctx.last_error().as_deref(),
            Some("Connect to ipv4#127.0.0.1:1 failed: Connection refused")
        );
    }
}
