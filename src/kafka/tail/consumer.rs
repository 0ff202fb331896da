//! The tail's consumer: its librdkafka configuration and its context, which reads lag
//! from statistics and notices, from librdkafka's own logs, when the topic under the tail
//! is replaced.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::super::client::{ClientSettings, KtuiContext};
use super::super::position::StartPosition;
use super::{PartitionLag, TailSpec};

/// The consumer's context: librdkafka logs/errors as usual, plus lag from statistics,
/// plus whether the topic under the tail is no longer the one it started on.
pub(super) struct TailContext {
    pub(super) base: KtuiContext,
    topic: String,
    pub(super) lag: Mutex<Option<Vec<PartitionLag>>>,
    /// Why the topic being read is another one now (the cluster's id or the topic's id
    /// changed), set from librdkafka's own logs.
    pub(super) replaced: Mutex<Option<String>>,
    /// Set with `replaced`: the read loop checks this before it takes the lock.
    pub(super) changed: AtomicBool,
    /// The debug logs ktui turned on itself (to see a topic's id change), read here and
    /// not logged: all of them, or only the metadata ones beside what the user asked for.
    hidden_debug: HiddenDebug,
}

/// Which librdkafka debug lines ktui asked for on its own (see [`TailContext`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HiddenDebug {
    /// The user asked for `metadata` (or `all`) debug: log everything.
    Nothing,
    /// The user asked for other debug contexts: hide the metadata lines ktui added.
    Metadata,
    /// The user asked for no debug: every debug line is ktui's.
    All,
}

impl ClientContext for TailContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        if let Some(reason) = identity_change(fac, log_message, &self.topic)
            && let Ok(mut slot) = self.replaced.lock()
        {
            slot.get_or_insert(reason);
            self.changed.store(true, Ordering::Release);
        }
        let hidden = match self.hidden_debug {
            HiddenDebug::Nothing => false,
            HiddenDebug::Metadata => fac == "METADATA",
            HiddenDebug::All => true,
        };
        if hidden && matches!(level, RDKafkaLogLevel::Debug) {
            return;
        }
        self.base.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        // The end of a partition is reported to the reader by poll; it is not an error.
        if matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::PartitionEOF)
        ) {
            return;
        }
        self.base.error(error, reason);
    }

    fn stats_raw(&self, statistics: &[u8]) {
        if let Some(lag) = lag_from_stats(statistics, &self.topic)
            && let Ok(mut slot) = self.lag.lock()
        {
            *slot = Some(lag);
        }
    }
}

impl ConsumerContext for TailContext {}

/// Whether a librdkafka log line says the tail's topic is another one now, and why:
///
/// - `CLUSTERID`: a broker answers with another cluster id than before (its storage was
///   replaced: a wiped broker formatted anew). The topic, if it exists, is a new one.
/// - `METADATA` (debug): "Topic T changed id from OLD to NEW": the topic was deleted and
///   created again under the same name. librdkafka 2.12.1 keeps reading at the old
///   offsets then (its FIXME: "an offset reset must be triggered"), so records of the new
///   topic below the old position would never be shown.
fn identity_change(fac: &str, message: &str, topic: &str) -> Option<String> {
    let quoted = |text: &str| -> Vec<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if fac == "CLUSTERID" && message.contains("reports different ClusterId") {
        let ids = quoted(message);
        return Some(match (ids.first(), ids.get(1)) {
            (Some(new), Some(old)) => format!(
                "the cluster is another one now (cluster id {old} → {new}): \
                 its storage was replaced"
            ),
            _ => "the cluster is another one now (its cluster id changed)".to_string(),
        });
    }
    if fac != "METADATA" {
        return None;
    }
    let marker = format!("Topic {topic} changed id from ");
    let rest = &message[message.find(&marker)? + marker.len()..];
    let (old, new) = rest.split_once(" to ")?;
    let new = new.split_whitespace().next().unwrap_or_default();
    // The zero id: the first metadata for the topic, not a change.
    if old.chars().all(|c| c == 'A' || c == '=') || old == new {
        return None;
    }
    Some(format!(
        "topic {topic:?} was deleted and created again (topic id {old} → {new})"
    ))
}

/// Reads `topics.<topic>.partitions.<p>.{hi_offset, app_offset, next_offset}` from
/// librdkafka's statistics JSON.
fn lag_from_stats(json: &[u8], topic: &str) -> Option<Vec<PartitionLag>> {
    let stats: serde_json::Value = serde_json::from_slice(json).ok()?;
    let partitions = stats
        .get("topics")?
        .get(topic)?
        .get("partitions")?
        .as_object()?;
    let mut out: Vec<PartitionLag> = partitions
        .values()
        .filter_map(|p| {
            let partition = i32::try_from(p.get("partition")?.as_i64()?).ok()?;
            if partition < 0 {
                return None; // librdkafka's internal "unassigned" partition
            }
            let high = p.get("hi_offset")?.as_i64()?;
            let app = p
                .get("app_offset")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(-1);
            let next = p
                .get("next_offset")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(-1);
            let position = if app >= 0 { app } else { next };
            (high >= 0).then(|| PartitionLag {
                partition,
                high,
                behind: if position >= 0 {
                    (high - position).max(0)
                } else {
                    0
                },
            })
        })
        .collect();
    out.sort_by_key(|l| l.partition);
    Some(out)
}

pub(super) fn consumer(
    settings: &ClientSettings,
    spec: &TailSpec,
) -> Result<BaseConsumer<TailContext>, String> {
    let mut config = settings.client_config();
    let group = spec
        .group
        .clone()
        .or_else(|| spec.read_as.clone())
        .unwrap_or_else(|| {
            // Never joined, never committed: only librdkafka's assign() needs a group id.
            format!(
                "ktui-tail-{}-{}",
                std::process::id(),
                super::super::position::now_ms()
            )
        });
    config
        .set("group.id", &group)
        .set(
            "enable.auto.commit",
            if spec.group.is_some() {
                "true"
            } else {
                "false"
            },
        )
        .set(
            "enable.auto.offset.store",
            if spec.group.is_some() {
                "true"
            } else {
                "false"
            },
        )
        .set("enable.partition.eof", "true")
        .set("statistics.interval.ms", "1000")
        .set(
            "auto.offset.reset",
            // A bounded read starts within the log; if retention moves the log's start
            // past it meanwhile, reading on from the new start skips nothing still held.
            if spec.start == StartPosition::Beginning
                || spec.read_as.is_some()
                || spec.until.is_some()
            {
                "earliest"
            } else {
                "latest"
            },
        )
        // Bound librdkafka's prefetch queue so memory stays predictable at any rate.
        .set("queued.max.messages.kbytes", "32768")
        // Once that queue is full, librdkafka postpones a partition's next fetch by this
        // much (default 1 s): fetching stalled for a second at a time whenever reading
        // out ran behind, which cut throughput several times over. Resume promptly.
        .set("fetch.queue.backoff.ms", "10")
        // A quiet topic's new record shows within ~0.1 s instead of librdkafka's 0.5 s;
        // a busy topic's fetches return at once anyway.
        .set("fetch.wait.max.ms", "100");
    // librdkafka says that a topic's id changed only in its metadata debug log.
    let user_debug = settings
        .properties
        .iter()
        .rev()
        .find(|(k, _)| k == "debug")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let hidden_debug = match user_debug {
        None => {
            config.set("debug", "metadata");
            HiddenDebug::All
        }
        Some(debug)
            if !debug
                .split(',')
                .any(|c| matches!(c.trim(), "metadata" | "all")) =>
        {
            config.set("debug", format!("{debug},metadata"));
            HiddenDebug::Metadata
        }
        Some(_) => HiddenDebug::Nothing,
    };
    config.set_log_level(RDKafkaLogLevel::Debug);
    let context = TailContext {
        base: KtuiContext::default(),
        topic: spec.topic.clone(),
        lag: Mutex::new(None),
        replaced: Mutex::new(None),
        changed: AtomicBool::new(false),
        hidden_debug,
    };
    config
        .create_with_context(context)
        .map_err(|e| format!("cannot create the consumer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_topic_is_seen_in_librdkafka_logs() {
        let cluster = "[thrd:main]: Broker 127.0.0.1:9/1 reports different ClusterId \"NEW\" \
                       than previously known \"OLD\": a client must not be simultaneously \
                       connected to multiple clusters";
        let reason = identity_change("CLUSTERID", cluster, "t").expect("a new cluster");
        assert!(reason.contains("cluster id OLD → NEW"), "{reason}");
        let recreated = "[thrd:main]: Topic t changed id from Tn+V/cg to WPK+fGt";
        let reason = identity_change("METADATA", recreated, "t").expect("a new topic");
        assert!(reason.contains("topic id Tn+V/cg → WPK+fGt"), "{reason}");
        // Another topic, the first id (all zero), and other facilities are no change.
        assert_eq!(identity_change("METADATA", recreated, "other"), None);
        assert_eq!(identity_change("METADATA", recreated, "t2"), None);
        let first = "[thrd:main]: Topic t changed id from AAAAAAAAAAAAAAAAAAAAAA to WPK+fGt";
        assert_eq!(identity_change("METADATA", first, "t"), None);
        assert_eq!(identity_change("FETCH", recreated, "t"), None);
    }

    #[test]
    fn lag_is_read_from_librdkafka_statistics() {
        let json = br#"{"topics":{"sample":{"partitions":{
            "0":{"partition":0,"hi_offset":100,"app_offset":90,"next_offset":100},
            "1":{"partition":1,"hi_offset":5,"app_offset":-1001,"next_offset":5},
            "-1":{"partition":-1,"hi_offset":-1,"app_offset":-1001,"next_offset":0}}}}}"#;
        assert_eq!(
            lag_from_stats(json, "sample").unwrap(),
            vec![
                PartitionLag {
                    partition: 0,
                    high: 100,
                    behind: 10
                },
                PartitionLag {
                    partition: 1,
                    high: 5,
                    behind: 0
                },
            ]
        );
        assert!(lag_from_stats(json, "other").is_none());
    }
}
