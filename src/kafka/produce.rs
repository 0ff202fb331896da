//! Producing: the message model, the producer's settings, and delivery outcomes in words.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header as RdHeader, OwnedHeaders};
use rdkafka::types::RDKafkaErrorCode;

use super::admin::{code_description, code_name};
use super::client::ClientSettings;
use super::model::Header;

/// One message to send. `value: None` is a tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingMessage {
    pub topic: String,
    /// `None`: the partitioner picks (murmur2 of the key, like Java and kafka-python).
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// Milliseconds since the epoch; `None` lets the producer stamp it.
    pub timestamp: Option<i64>,
}

/// Where the broker put a message, and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub partition: i32,
    pub offset: i64,
    pub latency: Duration,
}

/// Why a message was not delivered, and whether sending it again may work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceFailure {
    pub code: String,
    pub message: String,
    pub retriable: bool,
}

/// The producer configuration: the user's settings, plus defaults a user of Java or
/// kafka-python expects unless `-X` says otherwise.
pub fn producer_config(settings: &ClientSettings) -> ClientConfig {
    let mut config = settings.client_config();
    let set_by_user = |key: &str| settings.properties.iter().any(|(k, _)| k == key);
    // The same partition for a key as the Java client and kafka-python choose.
    if !set_by_user("partitioner") {
        config.set("partitioner", "murmur2_random");
    }
    // Report an undeliverable message in seconds, not librdkafka's default 5 minutes.
    if !set_by_user("message.timeout.ms") {
        config.set("message.timeout.ms", "15000");
    }
    config
}

pub fn headers(list: &[Header]) -> Option<OwnedHeaders> {
    if list.is_empty() {
        return None;
    }
    let mut headers = OwnedHeaders::new_with_capacity(list.len());
    for h in list {
        headers = headers.insert(RdHeader {
            key: &h.name,
            value: h.value.as_deref(),
        });
    }
    Some(headers)
}

/// Whether librdkafka may succeed if the same message is sent again later.
pub fn is_retriable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode as E;
    matches!(
        code,
        E::MessageTimedOut
            | E::RequestTimedOut
            | E::OperationTimedOut
            | E::QueueFull
            | E::NotLeaderForPartition
            | E::LeaderNotAvailable
            | E::NetworkException
            | E::BrokerTransportFailure
            | E::AllBrokersDown
            | E::NotEnoughReplicas
            | E::NotEnoughReplicasAfterAppend
            | E::NotCoordinator
    )
}

pub fn failure(error: &KafkaError) -> ProduceFailure {
    match error.rdkafka_error_code() {
        Some(code) => ProduceFailure {
            code: code_name(code),
            message: code_description(code),
            retriable: is_retriable(code),
        },
        None => ProduceFailure {
            code: "CLIENT_ERROR".into(),
            message: error.to_string(),
            retriable: false,
        },
    }
}

/// Parses `name=value` header lines; blank lines are skipped; problems name the line.
pub fn parse_header_lines(text: &str) -> Result<Vec<Header>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| parse_header(line).map_err(|e| format!("header line {}: {e}", i + 1)))
        .collect()
}

/// One `name=value` header (as `-H` takes it).
pub fn parse_header(text: &str) -> Result<Header, String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok(Header {
            name: name.trim().to_string(),
            value: Some(value.as_bytes().to_vec()),
        }),
        _ => Err(format!("{text:?} is not name=value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_parse_and_explain() {
        let h = parse_header_lines("trace=abc\n\n content-type = application/json").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].name, "content-type");
        assert_eq!(h[1].value.as_deref(), Some(&b" application/json"[..]));
        assert_eq!(
            parse_header_lines("ok=1\nbroken").unwrap_err(),
            "header line 2: \"broken\" is not name=value"
        );
    }

    #[test]
    fn defaults_yield_to_the_user() {
        let mut settings = ClientSettings::new("x:1");
        assert_eq!(
            producer_config(&settings).get("partitioner"),
            Some("murmur2_random")
        );
        settings
            .properties
            .push(("partitioner".into(), "consistent".into()));
        assert_eq!(
            producer_config(&settings).get("partitioner"),
            Some("consistent")
        );
    }

    #[test]
    fn failures_say_whether_to_retry() {
        let timeout = failure(&KafkaError::MessageProduction(
            RDKafkaErrorCode::MessageTimedOut,
        ));
        assert!(timeout.retriable);
        assert_eq!(timeout.code, "MESSAGE_TIMED_OUT");
        let unknown = failure(&KafkaError::MessageProduction(
            RDKafkaErrorCode::UnknownTopicOrPartition,
        ));
        assert!(!unknown.retriable);
    }
}
