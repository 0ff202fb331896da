//! Building rdkafka clients from the user's settings, and the context that captures
//! librdkafka's own error reasons so the UI can show them.

use std::sync::{Arc, Mutex};

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

/// Where to connect and any librdkafka properties (`-X key=value`, as kcat takes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub brokers: String,
    pub properties: Vec<(String, String)>,
}

impl ClientSettings {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            properties: Vec::new(),
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
            .set_log_level(RDKafkaLogLevel::Warning);
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
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
