//! Starting a tail: the consumer, the partitions it reads and where each starts ("end",
//! "last N" and a time are resolved to absolute offsets before assigning).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::super::admin::describe_kafka_error;
use super::super::client::ClientSettings;
use super::super::position::{EndBound, StartPosition};
use super::consumer::{TailContext, consumer};
use super::{Ends, Flow, PartitionRange, TailEvent, TailSpec};

/// Creates the consumer and starts reading. After a replacement (`again`), a topic that
/// does not exist (yet) is waited for instead of failing the tail.
pub(super) fn start(
    settings: &ClientSettings,
    spec: &TailSpec,
    again: bool,
    stop: &AtomicBool,
    sink: &mut dyn FnMut(TailEvent) -> Flow,
) -> Option<(BaseConsumer<TailContext>, Vec<i32>, Ends)> {
    let timeout = Duration::from_secs(10);
    let mut last_warning: Option<String> = None;
    let consumer = match consumer(settings, spec) {
        Ok(c) => c,
        Err(reason) => {
            sink(TailEvent::Failed(reason));
            return None;
        }
    };
    let (tpl, ranges) = loop {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let assigned = assignment(&consumer, spec, timeout).and_then(|tpl| match spec.until {
            Some(until) => bounded(&consumer, spec, &tpl, until, timeout)
                .map(|(tpl, ranges)| (tpl, Some(ranges))),
            None => Ok((tpl, None)),
        });
        match assigned {
            Ok(assigned) => break assigned,
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
    let ends = match ranges {
        Some(ranges) => {
            let ends = ranges
                .iter()
                .filter(|r| !r.is_empty())
                .map(|r| (r.partition, r.end))
                .collect();
            if sink(TailEvent::Range(ranges)) == Flow::Stop {
                return None;
            }
            Some(ends)
        }
        None => None,
    };
    Some((consumer, partitions, ends))
}

/// A bounded read: every partition's start resolved to an absolute offset (within its
/// log), and its end (exclusive; never before the start, never past the log's end now).
/// Partitions a group's committed offsets start (`read_as`) are resolved from those.
fn bounded(
    consumer: &BaseConsumer<TailContext>,
    spec: &TailSpec,
    tpl: &TopicPartitionList,
    until: EndBound,
    timeout: Duration,
) -> Result<(TopicPartitionList, Vec<PartitionRange>), String> {
    let partitions: Vec<i32> = tpl
        .elements()
        .iter()
        .map(rdkafka::topic_partition_list::TopicPartitionListElem::partition)
        .collect();
    let low = list_offsets(consumer, spec, &partitions, Offset::Beginning, timeout)?;
    let high = list_offsets(consumer, spec, &partitions, Offset::End, timeout)?;
    let committed = if spec.read_as.is_some() {
        let answer = consumer
            .committed_offsets(tpl.clone(), timeout)
            .map_err(|e| {
                format!(
                    "cannot read the group's offsets: {}",
                    describe_kafka_error(&e)
                )
            })?;
        answer
            .elements()
            .iter()
            .filter_map(|e| match e.offset() {
                Offset::Offset(n) => Some((e.partition(), n)),
                _ => None,
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    let at_time = match until {
        EndBound::Time(ms) => {
            list_offsets(consumer, spec, &partitions, Offset::Offset(ms), timeout)?
        }
        _ => BTreeMap::new(),
    };
    let mut ranges = Vec::with_capacity(partitions.len());
    let mut resolved = TopicPartitionList::new();
    for element in tpl.elements() {
        let p = element.partition();
        let (lo, hi) = (
            low.get(&p).copied().unwrap_or(0).max(0),
            high.get(&p).copied().unwrap_or(0).max(0),
        );
        let start = match element.offset() {
            Offset::Offset(n) => n,
            Offset::Stored => committed.get(&p).copied().unwrap_or(lo),
            Offset::End => hi,
            _ => lo,
        }
        .clamp(lo, hi.max(lo));
        let end = match until {
            EndBound::Now => hi,
            EndBound::Offset(n) => n.min(hi),
            EndBound::Time(_) => at_time.get(&p).copied().filter(|o| *o >= 0).unwrap_or(hi),
        }
        .max(start);
        // A partition with nothing to read is not assigned: nothing is fetched for it.
        if end > start {
            resolved
                .add_partition_offset(&spec.topic, p, Offset::Offset(start))
                .map_err(|e| format!("bad start position: {e}"))?;
        }
        ranges.push(PartitionRange {
            partition: p,
            start,
            end,
        });
    }
    Ok((resolved, ranges))
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
    if spec.read_as.is_some() {
        // The consumer's group.id is that group's: librdkafka fetches its committed
        // offsets (OffsetFetch) for `Stored`, without joining it.
        return absolute(spec, &wanted, |_| Offset::Stored);
    }
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
    let mut offsets = BTreeMap::new();
    for element in answer.elements() {
        // A partition whose leader could not answer: not "no offset", which would read it
        // as empty.
        if let Err(error) = element.error() {
            return Err(format!(
                "cannot look up the offsets of partition {}: {}",
                element.partition(),
                describe_kafka_error(&error)
            ));
        }
        let offset = match element.offset() {
            Offset::Offset(n) => n,
            _ => -1,
        };
        offsets.insert(element.partition(), offset);
    }
    if let Some(missing) = partitions.iter().find(|p| !offsets.contains_key(p)) {
        return Err(format!("no offsets came back for partition {missing}"));
    }
    Ok(offsets)
}
