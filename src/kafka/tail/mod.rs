//! The tail engine: a consumer that follows a topic and hands records over in batches.
//!
//! By default it assigns partitions directly with a throwaway group id and never commits,
//! so tailing never disturbs real consumer groups (like the quickstart's `consumer.py`
//! with `group_id=None`). With a group it subscribes as a member and commits.
//! It runs on a blocking thread (`run_tail`), used by the worker and by `ktui consume`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message, Timestamp};

use super::admin::describe_kafka_error;
use super::client::ClientSettings;
use super::model::{Header, Record, TimestampKind};
use super::position::StartPosition;

/// What to tail and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSpec {
    pub topic: String,
    /// `None`: every partition.
    pub partitions: Option<Vec<i32>>,
    pub start: StartPosition,
    /// Consume as a member of this group (subscribe and commit) instead of assigning.
    pub group: Option<String>,
    /// Start at this group's committed offsets and read them without joining the group or
    /// committing ("what has this group not read yet"); partitions it never committed
    /// start at their beginning. `start` is not used then.
    pub read_as: Option<String>,
    /// Stop once every partition has reached its end (`consume -e`).
    pub exit_at_end: bool,
}

impl TailSpec {
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            partitions: None,
            start: StartPosition::End,
            group: None,
            read_as: None,
            exit_at_end: false,
        }
    }
}

/// How far one partition's reader is behind its high watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLag {
    pub partition: i32,
    pub high: i64,
    /// Records between the reader's position and the high watermark.
    pub behind: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailEvent {
    /// Assigned (or subscribed): the partitions being read.
    Started {
        partitions: Vec<i32>,
    },
    Records(Vec<Record>),
    Lag(Vec<PartitionLag>),
    /// A consumer error that does not stop the tail (it retries by itself).
    Warning(String),
    /// The tail cannot run: unknown topic, bad partition, …
    Failed(String),
    /// Every partition is at its end (only with `exit_at_end`).
    ReachedEnd,
}

/// Where new tails start unless told otherwise (from the command line and the config
/// file): a [`TailSpec`] without its topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TailDefaults {
    pub start: StartPosition,
    pub partitions: Option<Vec<i32>>,
    pub group: Option<String>,
}

/// Whether the sink wants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Records are handed over when this many are pending…
const BATCH_RECORDS: usize = 4096;
/// …or this many bytes…
const BATCH_BYTES: usize = 4 << 20;
/// …or the oldest pending record has waited this long.
const BATCH_AGE: Duration = Duration::from_millis(40);

mod consumer;
mod start;

use consumer::TailContext;
use start::start;

/// Copies a borrowed message into an owned record.
pub fn to_record(message: &BorrowedMessage<'_>) -> Record {
    let (timestamp, timestamp_kind) = match message.timestamp() {
        Timestamp::CreateTime(ms) => (Some(ms), TimestampKind::CreateTime),
        Timestamp::LogAppendTime(ms) => (Some(ms), TimestampKind::LogAppendTime),
        Timestamp::NotAvailable => (None, TimestampKind::NotAvailable),
    };
    let headers = message.headers().map_or_else(Vec::new, |headers| {
        headers
            .iter()
            .map(|h| Header {
                name: h.key.to_string(),
                value: h.value.map(<[u8]>::to_vec),
            })
            .collect()
    });
    Record {
        partition: message.partition(),
        offset: message.offset(),
        timestamp,
        timestamp_kind,
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}

/// Runs a tail until the sink says stop, `stop` is set, or (with `exit_at_end`) every
/// partition is at its end. Blocking: call it on a thread of its own.
///
/// When the topic under the tail is replaced (deleted and created again, or the cluster
/// itself is another one: a broker back with empty storage), the tail says so, waits for
/// the topic to exist, and reads the new one from its beginning with a new consumer:
/// every record in it was written after the tail started.
pub fn run_tail(
    settings: &ClientSettings,
    spec: &TailSpec,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(TailEvent) -> Flow,
) {
    let mut spec = spec.clone();
    let mut restarted = false;
    loop {
        let Some(consumer) = start(settings, &spec, restarted, stop, sink) else {
            return;
        };
        match read_loop(&consumer.0, &spec, &consumer.1, stop, sink) {
            Ended::Done => return,
            Ended::Replaced(reason) => {
                let text = format!("{reason}; reading it again from its beginning");
                if sink(TailEvent::Warning(text)) == Flow::Stop {
                    return;
                }
                spec.start = StartPosition::Beginning;
                restarted = true;
            }
        }
    }
}

/// Why the read loop ended.
enum Ended {
    /// Stopped, the sink said stop, or every partition reached its end.
    Done,
    /// The topic is another one now (this says why): read it again.
    Replaced(String),
}

/// Hands the pending batch to the sink.
fn flush(
    batch: &mut Vec<Record>,
    bytes: &mut usize,
    sink: &mut dyn FnMut(TailEvent) -> Flow,
) -> Flow {
    *bytes = 0;
    if batch.is_empty() {
        return Flow::Continue;
    }
    let full = std::mem::replace(batch, Vec::with_capacity(BATCH_RECORDS));
    sink(TailEvent::Records(full))
}

fn read_loop(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    partitions: &[i32],
    stop: &AtomicBool,
    sink: &mut dyn FnMut(TailEvent) -> Flow,
) -> Ended {
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH_RECORDS);
    let mut batch_bytes = 0usize;
    let mut batch_started = Instant::now();
    let mut at_end: BTreeMap<i32, bool> = partitions.iter().map(|p| (*p, false)).collect();
    let mut last_warning: Option<(String, Instant)> = None;
    while !stop.load(Ordering::Relaxed) {
        let wait = if batch.is_empty() {
            Duration::from_millis(100)
        } else {
            BATCH_AGE.saturating_sub(batch_started.elapsed())
        };
        let polled = consumer.poll(wait);
        // Checked after the poll: librdkafka logs the change (cluster id, topic id) while
        // it updates its metadata, before it can fetch a record of the new topic, so a
        // record polled now may be the new topic's and is read again with the new
        // consumer; every record polled before is the old topic's.
        let context = consumer.context();
        let replaced = if context.changed.swap(false, Ordering::Acquire) {
            context
                .replaced
                .lock()
                .ok()
                .and_then(|mut slot| slot.take())
        } else {
            None
        };
        if let Some(reason) = replaced {
            if flush(&mut batch, &mut batch_bytes, sink) == Flow::Stop {
                return Ended::Done;
            }
            return Ended::Replaced(reason);
        }
        match polled {
            Some(Ok(message)) => {
                if batch.is_empty() {
                    batch_started = Instant::now();
                }
                let record = to_record(&message);
                batch_bytes += record.size();
                at_end.insert(record.partition, false);
                batch.push(record);
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition, true);
                if spec.exit_at_end && at_end.values().all(|end| *end) {
                    if flush(&mut batch, &mut batch_bytes, sink) == Flow::Continue {
                        sink(TailEvent::ReachedEnd);
                    }
                    return Ended::Done;
                }
            }
            Some(Err(error)) => {
                let text = consumer
                    .context()
                    .base
                    .reason_for(&describe_kafka_error(&error));
                let _ = consumer.context().base.take_last_error();
                // The same error repeats while a broker is down: say it once in a while.
                let repeat = last_warning.as_ref().is_some_and(|(last, at)| {
                    *last == text && at.elapsed() < Duration::from_secs(10)
                });
                if !repeat {
                    last_warning = Some((text.clone(), Instant::now()));
                    if sink(TailEvent::Warning(text)) == Flow::Stop {
                        return Ended::Done;
                    }
                }
            }
            None => {}
        }
        let due = batch.len() >= BATCH_RECORDS
            || batch_bytes >= BATCH_BYTES
            || (!batch.is_empty() && batch_started.elapsed() >= BATCH_AGE);
        if due && flush(&mut batch, &mut batch_bytes, sink) == Flow::Stop {
            return Ended::Done;
        }
        let lag = consumer
            .context()
            .lag
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        if let Some(lag) = lag
            && sink(TailEvent::Lag(lag)) == Flow::Stop
        {
            return Ended::Done;
        }
    }
    let _ = flush(&mut batch, &mut batch_bytes, sink);
    Ended::Done
}
