//! The summary on stderr when producing ends: how many messages were delivered and, when
//! some were not, why (a missing topic or an unreachable cluster said in words).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;

use super::super::note;
use super::Counting;
use crate::cli::ProduceArgs;

/// The summary on stderr, and the exit code: 1 when any message was not confirmed.
pub(super) fn report(
    producer: &BaseProducer<Counting>,
    args: &ProduceArgs,
    brokers: &str,
) -> ExitCode {
    let context = producer.context();
    let queued = context.queued.load(Ordering::Relaxed);
    let skipped = context.skipped.load(Ordering::Relaxed);
    let delivered = context.delivered.load(Ordering::Relaxed);
    // Messages queued that have no report yet (`in_flight_count` would also count queued
    // error events, e.g. "all brokers down", as if they were messages).
    let failed = context.failed.load(Ordering::Relaxed) + queued.saturating_sub(context.reported());
    let topic = crate::text::escape_control(&args.topic);
    let mut summary = format!("ktui: produced {} to {topic}", messages(delivered));
    if skipped > 0 {
        let lines = if skipped == 1 { "line" } else { "lines" };
        let _ = write!(
            summary,
            " ({skipped} empty {lines} skipped; --keep-empty sends them)"
        );
    }
    if failed == 0 {
        note(&summary);
        return ExitCode::SUCCESS;
    }
    let mut reasons = context
        .reasons
        .lock()
        .map(|r| r.join("; "))
        .unwrap_or_default();
    // Timed out (or no report at all): a missing topic or a cluster gone away is the
    // usual cause.
    if reasons.contains("MESSAGE_TIMED_OUT") || queued > context.reported() {
        if let Some(why) = missing_topic(producer, &args.topic) {
            reasons = format!("{why}; {reasons}");
        } else if let Some(cause) = context.base.last_error() {
            reasons = format!(
                "cannot reach the cluster at {}: {}; {reasons}",
                brokers,
                crate::kafka::client::explain_failure(&cause)
            );
        }
    }
    note(&format!(
        "{summary}; {failed} failed: {}",
        crate::text::escape_control(&reasons)
    ));
    ExitCode::from(1)
}

/// "1 message", "2 messages".
fn messages(n: u64) -> String {
    if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    }
}

/// When sends time out, the usual cause is a topic that does not exist (and that the
/// broker did not auto-create): say so instead of only "timed out".
fn missing_topic(producer: &BaseProducer<Counting>, topic: &str) -> Option<String> {
    let metadata = producer
        .client()
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .ok()?;
    let error = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)?
        .error()?;
    (RDKafkaErrorCode::from(error) == RDKafkaErrorCode::UnknownTopicOrPartition).then(|| {
        format!(
            "topic {:?} does not exist (and the broker did not create it)",
            crate::text::escape_control(topic)
        )
    })
}
