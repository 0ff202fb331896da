//! The tail engine: a consumer that follows a topic and hands records over in batches.
//!
//! By default it assigns partitions directly with a throwaway group id and never commits,
//! so tailing never disturbs real consumer groups (like the quickstart's `consumer.py`
//! with `group_id=None`). With a group it subscribes as a member and commits.
//! It runs on a blocking thread (`run_tail`), used by the worker and by `ktui consume`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message, Timestamp};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

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

use consumer::{TailContext, consumer};

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

/// Resolves the partitions to read and where each starts.
fn assignment(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    timeout: Duration,
) -> Result<TopicPartitionList, String> {
    let metadata = consumer
        .fetch_metadata(Some(&spec.topic), timeout)
        .map_err(|e| {
            consumer
                .context()
                .base
                .reason_for(&describe_kafka_error(&e))
        })?;
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == spec.topic)
        .ok_or_else(|| format!("unknown topic {:?}", spec.topic))?;
    if let Some(error) = topic.error() {
        let code = RDKafkaErrorCode::from(error);
        return Err(if code == RDKafkaErrorCode::UnknownTopicOrPartition {
            format!(
                "unknown topic {:?}: the cluster has no topic by that name",
                spec.topic
            )
        } else {
            format!("topic {:?}: {code}", spec.topic)
        });
    }
    let existing: BTreeSet<i32> = topic
        .partitions()
        .iter()
        .map(rdkafka::metadata::MetadataPartition::id)
        .collect();
    if existing.is_empty() {
        return Err(format!("topic {:?} has no partitions", spec.topic));
    }
    let wanted: Vec<i32> = match &spec.partitions {
        None => existing.iter().copied().collect(),
        Some(list) => {
            if let Some(bad) = list.iter().find(|p| !existing.contains(p)) {
                return Err(format!(
                    "topic {:?} has no partition {bad} (it has 0-{})",
                    spec.topic,
                    existing.len() - 1
                ));
            }
            list.clone()
        }
    };
    // "End" and "last N" are resolved to absolute offsets here, before assigning: left
    // to librdkafka they are resolved after "Started" is reported, and a record produced
    // in between would be skipped although the view already says live.
    let starts: BTreeMap<i32, i64> = match spec.start {
        StartPosition::Beginning => return absolute(spec, &wanted, |_| Offset::Beginning),
        StartPosition::Offset(n) => return absolute(spec, &wanted, |_| Offset::Offset(n)),
        StartPosition::End => list_offsets(consumer, spec, &wanted, Offset::End, timeout)?,
        StartPosition::Last(n) => {
            let high = list_offsets(consumer, spec, &wanted, Offset::End, timeout)?;
            let low = list_offsets(consumer, spec, &wanted, Offset::Beginning, timeout)?;
            high.iter()
                .map(|(p, h)| (*p, (h - n).max(low.get(p).copied().unwrap_or(0))))
                .collect()
        }
        StartPosition::Time(ms) => {
            let at = list_offsets(consumer, spec, &wanted, Offset::Offset(ms), timeout)?;
            // A partition with nothing at or after that time starts at its end.
            let high = list_offsets(consumer, spec, &wanted, Offset::End, timeout)?;
            high.iter()
                .map(|(p, h)| (*p, at.get(p).copied().filter(|o| *o >= 0).unwrap_or(*h)))
                .collect()
        }
    };
    absolute(spec, &wanted, |p| {
        starts.get(&p).map_or(Offset::End, |o| Offset::Offset(*o))
    })
}

fn absolute(
    spec: &TailSpec,
    partitions: &[i32],
    offset: impl Fn(i32) -> Offset,
) -> Result<TopicPartitionList, String> {
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        tpl.add_partition_offset(&spec.topic, *p, offset(*p))
            .map_err(|e| format!("bad start position: {e}"))?;
    }
    Ok(tpl)
}

/// One batched ListOffsets: `Offset::End` gives the high watermark, `Offset::Beginning`
/// the low one, `Offset::Offset(ms)` the first offset at or after that time (-1: none).
fn list_offsets(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    partitions: &[i32],
    query: Offset,
    timeout: Duration,
) -> Result<BTreeMap<i32, i64>, String> {
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        tpl.add_partition_offset(&spec.topic, *p, query)
            .map_err(|e| format!("bad start position: {e}"))?;
    }
    let answer = consumer
        .offsets_for_times(tpl, timeout)
        .map_err(|e| format!("cannot look up offsets: {}", describe_kafka_error(&e)))?;
    Ok(answer
        .elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(n) => n,
                _ => -1,
            };
            (e.partition(), offset)
        })
        .collect())
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

/// Creates the consumer and starts reading. After a replacement (`again`), a topic that
/// does not exist (yet) is waited for instead of failing the tail.
fn start(
    settings: &ClientSettings,
    spec: &TailSpec,
    again: bool,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(TailEvent) -> Flow,
) -> Option<(BaseConsumer<TailContext>, Vec<i32>)> {
    let timeout = Duration::from_secs(10);
    let mut last_warning: Option<String> = None;
    let consumer = match consumer(settings, spec) {
        Ok(c) => c,
        Err(reason) => {
            sink(TailEvent::Failed(reason));
            return None;
        }
    };
    let tpl = loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        match assignment(&consumer, spec, timeout) {
            Ok(tpl) => break tpl,
            Err(reason) if !again => {
                sink(TailEvent::Failed(reason));
                return None;
            }
            Err(reason) => {
                if last_warning.as_ref() != Some(&reason) {
                    last_warning = Some(reason.clone());
                    let text = format!("waiting for topic {:?}: {reason}", spec.topic);
                    if sink(TailEvent::Warning(text)) == Flow::Stop {
                        return None;
                    }
                }
                // Not a synchronisation: the pace of asking a cluster again.
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    };
    let partitions: Vec<i32> = tpl
        .elements()
        .iter()
        .map(rdkafka::topic_partition_list::TopicPartitionListElem::partition)
        .collect();
    let started = if spec.group.is_some() {
        consumer.subscribe(&[spec.topic.as_str()])
    } else {
        consumer.assign(&tpl)
    };
    if let Err(error) = started {
        sink(TailEvent::Failed(format!(
            "cannot start consuming: {}",
            describe_kafka_error(&error)
        )));
        return None;
    }
    if sink(TailEvent::Started {
        partitions: partitions.clone(),
    }) == Flow::Stop
    {
        return None;
    }
    Some((consumer, partitions))
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
