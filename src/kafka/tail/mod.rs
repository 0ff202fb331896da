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
use super::position::{EndBound, StartPosition};
use crate::kafka::filter::RecordFilter;
use crate::schema::{LocalProto, Schemas};

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
    /// A bounded read: stop at this end (`--until`); every start and end is resolved to
    /// an absolute offset first and reported as [`TailEvent::Range`].
    pub until: Option<EndBound>,
    /// A search: only records this filter ([`RecordFilter`] syntax) matches are handed
    /// over, filtered on every core; [`TailEvent::Progress`] counts the records read.
    pub filter: Option<String>,
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
            until: None,
            filter: None,
        }
    }
}

/// Where a bounded read of one partition starts and ends (`end` exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionRange {
    pub partition: i32,
    pub start: i64,
    pub end: i64,
}

impl PartitionRange {
    pub fn len(&self) -> u64 {
        u64::try_from(self.end - self.start).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    /// A bounded read (`until`): where each partition starts and ends, after `Started`.
    Range(Vec<PartitionRange>),
    Records(Vec<Record>),
    /// A bounded or filtered read: records read so far (matching or not), after the
    /// records of each batch.
    Progress {
        scanned: u64,
    },
    Lag(Vec<PartitionLag>),
    /// A consumer error that does not stop the tail (it retries by itself).
    Warning(String),
    /// The tail cannot run: unknown topic, bad partition, …
    Failed(String),
    /// Every partition is at its end (with `exit_at_end` or `until`).
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
mod output;
mod start;

use consumer::TailContext;
use output::{Decoders, Output};
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
        schemas: None,
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
    let filter = match spec.filter.as_deref().map(RecordFilter::parse) {
        Some(Err(problem)) => {
            sink(TailEvent::Failed(format!("filter: {problem}")));
            return;
        }
        Some(Ok(filter)) => filter,
        None => None,
    };
    let registry = match settings.schema_registry.as_ref().map(Schemas::shared) {
        Some(Ok(schemas)) => Some(schemas),
        Some(Err(problem)) => {
            let text = format!("{problem}: framed records are shown as they are");
            if sink(TailEvent::Warning(text)) == Flow::Stop {
                return;
            }
            None
        }
        None => None,
    };
    let local = match settings.proto.as_ref().map(LocalProto::shared) {
        Some(Ok(local)) => Some(local),
        Some(Err(problem)) => {
            sink(TailEvent::Failed(problem));
            return;
        }
        None => None,
    };
    let decoders = (registry.is_some() || local.is_some()).then(|| Decoders {
        registry,
        local,
        topic: spec.topic.clone(),
    });
    let mut out = Output::new(sink, filter, spec.until.is_some(), decoders);
    let mut spec = spec.clone();
    let mut restarted = false;
    loop {
        let Some((consumer, partitions, ends)) =
            start(settings, &spec, restarted, stop, &mut |e| out.event(e))
        else {
            return;
        };
        match read_loop(&consumer, &spec, &partitions, ends, stop, &mut out) {
            Ended::Done => {
                out.drain();
                return;
            }
            Ended::Replaced(reason) if spec.until.is_some() => {
                // A search covers the topic as it was: the new one is not what it asked.
                out.drain();
                out.event(TailEvent::Failed(format!(
                    "{reason}: the search stopped there (what it found is kept)"
                )));
                return;
            }
            Ended::Replaced(reason) => {
                let text = format!("{reason}; reading it again from its beginning");
                if out.drain() == Flow::Stop || out.event(TailEvent::Warning(text)) == Flow::Stop {
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

/// In a bounded read: whether this record is below its partition's end. The partition is
/// closed (and paused: nothing more is fetched for it) with its last record, or with the
/// first one past its end (a compacted or transactional log may have no record at end - 1).
fn within_end(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    open: &mut BTreeMap<i32, i64>,
    partition: i32,
    offset: i64,
) -> bool {
    let Some(end) = open.get(&partition).copied() else {
        return false; // read up to its end already
    };
    if offset + 1 >= end {
        close(consumer, spec, open, partition);
    }
    offset < end
}

fn close(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    open: &mut BTreeMap<i32, i64>,
    partition: i32,
) {
    if open.remove(&partition).is_some() {
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition(&spec.topic, partition);
        let _ = consumer.pause(&tpl);
    }
}

/// Hands the pending batch over.
fn flush(batch: &mut Vec<Record>, bytes: &mut usize, out: &mut Output<'_>) -> Flow {
    *bytes = 0;
    if batch.is_empty() {
        return Flow::Continue;
    }
    let full = std::mem::replace(batch, Vec::with_capacity(BATCH_RECORDS));
    out.batch(full)
}

/// Hands the pending batch over, then every match still being filtered, then the end.
fn finish(batch: &mut Vec<Record>, bytes: &mut usize, out: &mut Output<'_>) -> Ended {
    if flush(batch, bytes, out) == Flow::Continue && out.drain() == Flow::Continue {
        out.event(TailEvent::ReachedEnd);
    }
    Ended::Done
}

/// A bounded read's end per partition (exclusive), or `None` for a tail that follows.
type Ends = Option<BTreeMap<i32, i64>>;

#[allow(clippy::too_many_lines)] // one loop: poll, bounds, errors, batching, lag
fn read_loop(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    partitions: &[i32],
    ends: Ends,
    stop: &AtomicBool,
    out: &mut Output<'_>,
) -> Ended {
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH_RECORDS);
    let mut batch_bytes = 0usize;
    let mut batch_started = Instant::now();
    let mut at_end: BTreeMap<i32, bool> = partitions.iter().map(|p| (*p, false)).collect();
    // A bounded read: the partitions not yet read up to their end.
    let mut open = ends;
    if open.as_ref().is_some_and(BTreeMap::is_empty) {
        out.event(TailEvent::ReachedEnd);
        return Ended::Done;
    }
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
            if flush(&mut batch, &mut batch_bytes, out) == Flow::Stop {
                return Ended::Done;
            }
            return Ended::Replaced(reason);
        }
        match polled {
            Some(Ok(message)) => {
                let wanted = open.as_mut().is_none_or(|open| {
                    within_end(consumer, spec, open, message.partition(), message.offset())
                });
                if wanted {
                    if batch.is_empty() {
                        batch_started = Instant::now();
                    }
                    let record = to_record(&message);
                    batch_bytes += record.size();
                    at_end.insert(record.partition, false);
                    batch.push(record);
                }
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                at_end.insert(partition, true);
                // At the high watermark, which is at or past the end it had at the start.
                if let Some(open) = open.as_mut() {
                    close(consumer, spec, open, partition);
                }
                if spec.exit_at_end && at_end.values().all(|end| *end) {
                    return finish(&mut batch, &mut batch_bytes, out);
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
                    if out.event(TailEvent::Warning(text)) == Flow::Stop {
                        return Ended::Done;
                    }
                }
            }
            None => {}
        }
        if open.as_ref().is_some_and(BTreeMap::is_empty) {
            return finish(&mut batch, &mut batch_bytes, out);
        }
        let due = batch.len() >= BATCH_RECORDS
            || batch_bytes >= BATCH_BYTES
            || (!batch.is_empty() && batch_started.elapsed() >= BATCH_AGE);
        if (due && flush(&mut batch, &mut batch_bytes, out) == Flow::Stop)
            || out.ready() == Flow::Stop
        {
            return Ended::Done;
        }
        let lag = consumer
            .context()
            .lag
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        if let Some(lag) = lag
            && out.event(TailEvent::Lag(lag)) == Flow::Stop
        {
            return Ended::Done;
        }
    }
    let _ = flush(&mut batch, &mut batch_bytes, out);
    Ended::Done
}
