//! Cluster reads (metadata, watermarks, configs) and topic administration.
//! The blocking calls here run on `spawn_blocking` threads in the worker, or directly
//! in headless mode.

use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigSource, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use super::model::{
    AdminError, BrokerInfo, ClusterSnapshot, ConfigEntryInfo, NewTopicSpec, PartitionInfo,
    TopicInfo,
};
use super::watermarks::{fetch_watermarks, led_partitions};

/// Serves the client's queued events: librdkafka delivers its logs and errors (the
/// reasons a broker is unreachable among them) through the main queue, and they reach
/// the context's callbacks only when it is polled. A zero-timeout poll serves a single
/// log event and returns `None` just as for an empty queue, so it cannot tell when the
/// queue is drained: serve for a short, fixed time instead (an error event ends a poll
/// early, hence the loop).
pub fn serve_events<C: ConsumerContext>(consumer: &BaseConsumer<C>) {
    let deadline = std::time::Instant::now() + Duration::from_millis(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let _ = consumer.poll(left);
    }
}

/// Fetches metadata for every topic, then (when `watermarks`) both watermarks of every
/// partition in batched ListOffsets calls (see [`fetch_watermarks`]).
pub fn fetch_snapshot<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    timeout: Duration,
    watermarks: bool,
) -> Result<ClusterSnapshot, KafkaError> {
    let result = fetch_metadata(consumer, timeout).map(|mut snapshot| {
        if watermarks {
            let wanted = led_partitions(&snapshot, &[]);
            let mut ends = Vec::new();
            fetch_watermarks(
                consumer,
                &wanted,
                timeout,
                &std::sync::atomic::AtomicBool::new(false),
                |chunk| {
                    ends.extend(chunk);
                },
            );
            snapshot.apply_watermarks(&ends, 0);
            snapshot.watermarks = true;
        }
        snapshot
    });
    serve_events(consumer);
    result
}

/// One Metadata request for every topic: brokers, topics and partitions (no watermarks).
pub fn fetch_metadata<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    timeout: Duration,
) -> Result<ClusterSnapshot, KafkaError> {
    let metadata = consumer.fetch_metadata(None, timeout)?;
    let brokers = metadata
        .brokers()
        .iter()
        .map(|b| BrokerInfo {
            id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
        })
        .collect();
    let mut topics: Vec<TopicInfo> = metadata
        .topics()
        .iter()
        // A deleted topic (or one the demo cluster hides) answers UNKNOWN_TOPIC_OR_PART.
        .filter(|t| {
            t.error()
                .map(RDKafkaErrorCode::from)
                .is_none_or(|e| e != RDKafkaErrorCode::UnknownTopicOrPartition)
        })
        .map(|t| {
            let mut partitions: Vec<PartitionInfo> = t
                .partitions()
                .iter()
                .map(|p| PartitionInfo {
                    id: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                    low: None,
                    high: None,
                    pass: 0,
                    error: p.error().map(|e| RDKafkaErrorCode::from(e).to_string()),
                })
                .collect();
            partitions.sort_by_key(|p| p.id);
            TopicInfo {
                name: t.name().to_string(),
                partitions,
                error: t.error().map(|e| RDKafkaErrorCode::from(e).to_string()),
            }
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ClusterSnapshot {
        brokers,
        cluster_id: None,
        topics,
        watermarks: false,
    })
}

/// The cluster id, where the broker reports one (blocking).
pub fn fetch_cluster_id<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    timeout: Duration,
) -> Option<String> {
    consumer.client().fetch_cluster_id(Timeout::After(timeout))
}

fn admin_options(timeout: Duration) -> AdminOptions {
    AdminOptions::new()
        .request_timeout(Some(timeout))
        .operation_timeout(Some(timeout))
}

/// DescribeConfigs for one topic.
pub async fn describe_topic_configs<C: ClientContext + 'static>(
    admin: &AdminClient<C>,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<ConfigEntryInfo>, String> {
    let resources = [ResourceSpecifier::Topic(topic)];
    let results = admin
        .describe_configs(&resources, &admin_options(timeout))
        .await
        .map_err(|e| describe_kafka_error(&e))?;
    let resource = results
        .into_iter()
        .next()
        .ok_or_else(|| "the broker returned no configs".to_string())?
        .map_err(|code| format!("{} ({})", code_description(code), code_name(code)))?;
    let mut entries: Vec<ConfigEntryInfo> = resource
        .entries
        .into_iter()
        .map(|e| ConfigEntryInfo {
            source: source_name(&e.source).to_string(),
            value: if e.is_sensitive { None } else { e.value },
            name: e.name,
            is_default: e.is_default,
            is_sensitive: e.is_sensitive,
            is_read_only: e.is_read_only,
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

fn source_name(source: &ConfigSource) -> &'static str {
    match source {
        ConfigSource::Unknown => "unknown",
        ConfigSource::DynamicTopic => "topic",
        ConfigSource::DynamicBroker => "broker (dynamic)",
        ConfigSource::DynamicDefaultBroker => "broker default (dynamic)",
        ConfigSource::StaticBroker => "broker (static)",
        ConfigSource::Default => "default",
    }
}

/// CreateTopics for one topic.
pub async fn create_topic<C: ClientContext + 'static>(
    admin: &AdminClient<C>,
    spec: &NewTopicSpec,
    timeout: Duration,
) -> Result<(), AdminError> {
    let mut new_topic = NewTopic::new(
        &spec.name,
        spec.partitions,
        TopicReplication::Fixed(spec.replication),
    );
    for (key, value) in &spec.configs {
        new_topic = new_topic.set(key, value);
    }
    let results = admin
        .create_topics([&new_topic], &admin_options(timeout))
        .await
        .map_err(|e| admin_error_from_kafka(&e))?;
    first_result(results)
}

/// DeleteTopics for one topic.
pub async fn delete_topic<C: ClientContext + 'static>(
    admin: &AdminClient<C>,
    name: &str,
    timeout: Duration,
) -> Result<(), AdminError> {
    let results = admin
        .delete_topics(&[name], &admin_options(timeout))
        .await
        .map_err(|e| admin_error_from_kafka(&e))?;
    first_result(results)
}

fn first_result(results: Vec<rdkafka::admin::TopicResult>) -> Result<(), AdminError> {
    match results.into_iter().next() {
        Some(Ok(_)) => Ok(()),
        Some(Err((_, code))) => Err(explain(code)),
        None => Err(AdminError {
            code: "NO_RESULT".into(),
            message: "the broker's answer named no topic".into(),
            explanation: "The request may or may not have taken effect; refresh to see.".into(),
        }),
    }
}

/// The protocol code behind a client error. `rdkafka_error_code()` misses admin errors
/// (an admin request that timed out is `AdminOp(OperationTimedOut)`).
fn error_code(error: &KafkaError) -> Option<RDKafkaErrorCode> {
    match error {
        KafkaError::AdminOp(code) => Some(*code),
        other => other.rdkafka_error_code(),
    }
}

fn admin_error_from_kafka(error: &KafkaError) -> AdminError {
    match error_code(error) {
        Some(code) => explain(code),
        None => AdminError {
            code: "CLIENT_ERROR".into(),
            message: error.to_string(),
            explanation: "librdkafka refused the request before sending it.".into(),
        },
    }
}

/// A protocol error code's name as Kafka spells it (`TOPIC_ALREADY_EXISTS`).
pub fn code_name(code: RDKafkaErrorCode) -> String {
    // RDKafkaErrorCode's Debug is the CamelCase variant name; Kafka's docs use SCREAMING_SNAKE.
    let camel = format!("{code:?}");
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// librdkafka's description of a code (`Broker: Topic already exists`).
pub fn code_description(code: RDKafkaErrorCode) -> String {
    // Display is "Variant (description)".
    let text = code.to_string();
    match (text.find(" ("), text.rfind(')')) {
        (Some(start), Some(end)) if end > start + 2 => text[start + 2..end].to_string(),
        _ => text,
    }
}

/// Turns an error code into the verbatim code, librdkafka's text, and what it means.
pub fn explain(code: RDKafkaErrorCode) -> AdminError {
    use RDKafkaErrorCode as E;
    let explanation = match code {
        E::TopicAlreadyExists => "A topic with this name already exists.",
        E::TopicAuthorizationFailed | E::ClusterAuthorizationFailed => {
            "Not authorized: this principal lacks the ACL for this operation."
        }
        E::UnsupportedVersion | E::InvalidRequest => {
            "The broker does not support this request (unsupported API)."
        }
        E::UnknownTopicOrPartition => "No topic with this name exists.",
        E::InvalidTopic => {
            "Invalid topic name: use at most 249 of a-z A-Z 0-9 . _ - (and not '.' or '..')."
        }
        E::InvalidPartitions => "The number of partitions is not valid.",
        E::InvalidReplicationFactor => {
            "Invalid replication factor: it cannot exceed the number of brokers."
        }
        E::InvalidConfig => "The broker rejected one of the topic configs.",
        E::TopicDeletionDisabled => {
            "Topic deletion is disabled on this broker (delete.topic.enable=false)."
        }
        E::PolicyViolation => "The broker's create-topic policy refused this request.",
        E::NotController => "The broker is not the controller; retry in a moment.",
        E::RequestTimedOut | E::OperationTimedOut => {
            "The broker did not answer in time; the operation may still complete."
        }
        E::BrokerTransportFailure | E::AllBrokersDown => "The cluster cannot be reached.",
        _ => "The broker refused the request.",
    };
    AdminError {
        code: code_name(code),
        message: code_description(code),
        explanation: explanation.to_string(),
    }
}

/// A one-line description of a client error, with the protocol code name when there is one.
pub fn describe_kafka_error(error: &KafkaError) -> String {
    match error_code(error) {
        Some(code) => format!("{} ({})", code_description(code), code_name(code)),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_kafka_style() {
        assert_eq!(
            code_name(RDKafkaErrorCode::TopicAlreadyExists),
            "TOPIC_ALREADY_EXISTS"
        );
        assert_eq!(
            code_name(RDKafkaErrorCode::TopicAuthorizationFailed),
            "TOPIC_AUTHORIZATION_FAILED"
        );
    }

    #[test]
    fn admin_timeouts_keep_their_code() {
        let e = admin_error_from_kafka(&KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut));
        assert_eq!(e.code, "OPERATION_TIMED_OUT");
        assert!(e.explanation.contains("did not answer in time"));
        assert_eq!(
            describe_kafka_error(&KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut)),
            "Local: Timed out (OPERATION_TIMED_OUT)"
        );
    }

    #[test]
    fn explains_refusals_in_words() {
        let e = explain(RDKafkaErrorCode::TopicAlreadyExists);
        assert_eq!(e.code, "TOPIC_ALREADY_EXISTS");
        assert_eq!(e.message, "Broker: Topic already exists");
        assert!(e.explanation.contains("already exists"));
        assert!(
            explain(RDKafkaErrorCode::TopicAuthorizationFailed)
                .explanation
                .starts_with("Not authorized")
        );
        assert!(
            explain(RDKafkaErrorCode::UnsupportedVersion)
                .explanation
                .contains("does not support")
        );
    }
}
