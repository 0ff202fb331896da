//! Every partition's two ends (the watermarks the Topics tab counts messages with), asked
//! in ListOffsets calls of a few hundred partitions, several at once, each call's answers
//! handed over as they come: the topics on screen are asked first.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

use super::model::{ClusterSnapshot, PartitionEnds, TopicInfo};

/// Every partition of `snapshot` that has a leader (the only ones that can answer
/// ListOffsets), in the order their watermarks should be asked: the topics in `first`
/// (those on screen) in that order, then external topics by name, then internal ones.
pub fn led_partitions(snapshot: &ClusterSnapshot, first: &[String]) -> Vec<(String, i32)> {
    let on_screen: HashMap<&str, usize> = first
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let rank = |t: &TopicInfo| {
        on_screen
            .get(t.name.as_str())
            .map_or((1, usize::from(t.is_internal())), |&i| (0, i))
    };
    let mut topics: Vec<&TopicInfo> = snapshot.topics.iter().collect();
    // Stable: within a rank, by name (the snapshot is sorted).
    topics.sort_by_cached_key(|t| rank(t));
    topics
        .into_iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .filter(|p| p.leader >= 0)
                .map(|p| (t.name.clone(), p.id))
        })
        .collect()
}

/// Partitions per ListOffsets call. librdkafka matches each answer to its request by a
/// linear search of the list, so one call over n partitions costs n² string compares: at
/// 30,000 partitions in one call a refresh took most of a core. Small calls keep it small;
/// [`WATERMARK_CALLS`] of them run at once so that many round trips still end quickly.
const WATERMARK_CHUNK: usize = 200;
/// ListOffsets calls in flight at once.
const WATERMARK_CALLS: usize = 8;

/// Asks the leaders of `partitions` for their earliest and latest offsets, in calls of
/// [`WATERMARK_CHUNK`] partitions taken in order (so the first ones answer first),
/// within about `timeout`, until `stop` is set. Each call's answers go to `answered` as
/// they come (partitions whose leader did not answer are left out). Returns how many
/// partitions got both ends.
pub fn fetch_watermarks<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    partitions: &[(String, i32)],
    timeout: Duration,
    stop: &std::sync::atomic::AtomicBool,
    answered: impl FnMut(Vec<PartitionEnds>) + Send,
) -> usize {
    use std::sync::atomic::Ordering::Relaxed;
    let chunks: Vec<&[(String, i32)]> = partitions.chunks(WATERMARK_CHUNK).collect();
    let deadline = std::time::Instant::now() + timeout;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let got = std::sync::atomic::AtomicUsize::new(0);
    let answered = std::sync::Mutex::new(answered);
    std::thread::scope(|scope| {
        for _ in 0..WATERMARK_CALLS.min(chunks.len()) {
            scope.spawn(|| {
                while let Some(chunk) = chunks.get(next.fetch_add(1, Relaxed)) {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if stop.load(Relaxed) {
                        break;
                    }
                    if left.is_zero() {
                        tracing::warn!("ListOffsets: out of time; some watermarks left out");
                        break;
                    }
                    // Both ends with the same time: a chunk gets both or, mostly, neither.
                    let low: HashMap<(String, i32), i64> =
                        list_offsets(consumer, chunk, Offset::Beginning, left)
                            .into_iter()
                            .collect();
                    let high = list_offsets(consumer, chunk, Offset::End, left);
                    let ends: Vec<PartitionEnds> = high
                        .into_iter()
                        .filter_map(|((topic, partition), high)| {
                            let low = *low.get(&(topic.clone(), partition))?;
                            Some(PartitionEnds {
                                topic,
                                partition,
                                low,
                                high,
                            })
                        })
                        .collect();
                    got.fetch_add(ends.len(), Relaxed);
                    if !ends.is_empty() {
                        let mut answered = answered
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        (*answered)(ends);
                    }
                }
            });
        }
    });
    got.into_inner()
}

/// One ListOffsets call: `offset` (beginning or end) of each partition in `chunk` that
/// answered.
fn list_offsets<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    chunk: &[(String, i32)],
    offset: Offset,
    timeout: Duration,
) -> Vec<((String, i32), i64)> {
    let mut tpl = TopicPartitionList::with_capacity(chunk.len());
    for (topic, partition) in chunk {
        tpl.add_partition(topic, *partition);
    }
    // Only fails for an offset librdkafka cannot represent.
    let _ = tpl.set_all_offsets(offset);
    match consumer.offsets_for_times(tpl, timeout) {
        Ok(answer) => {
            let mut refused = 0;
            let mut first = None;
            let ends = answer
                .elements()
                .iter()
                .filter_map(|elem| match (elem.error(), elem.offset()) {
                    (Ok(()), Offset::Offset(n)) => {
                        Some(((elem.topic().to_string(), elem.partition()), n))
                    }
                    (error, _) => {
                        refused += 1;
                        first.get_or_insert_with(|| {
                            format!("{} [{}]: {error:?}", elem.topic(), elem.partition())
                        });
                        None
                    }
                })
                .collect();
            if let Some(first) = first {
                tracing::warn!(
                    "ListOffsets: {refused} of {} partitions not answered (first: {first})",
                    chunk.len()
                );
            }
            ends
        }
        Err(error) => {
            tracing::warn!("ListOffsets failed: {error}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::PartitionInfo;

    fn topic(name: &str, leaders: &[i32]) -> TopicInfo {
        TopicInfo {
            name: name.into(),
            partitions: leaders
                .iter()
                .enumerate()
                .map(|(id, &leader)| PartitionInfo {
                    id: i32::try_from(id).unwrap(),
                    leader,
                    replicas: vec![1],
                    isr: vec![1],
                    low: None,
                    high: None,
                    pass: 0,
                    error: None,
                })
                .collect(),
            error: None,
        }
    }

    #[test]
    fn partitions_are_counted_on_screen_first_then_by_name_internal_last_led_only() {
        let snapshot = ClusterSnapshot {
            topics: vec![
                topic("__consumer_offsets", &[1]),
                topic("a", &[1, -1]),
                topic("b", &[1]),
                topic("c", &[1]),
                topic("d", &[1]),
            ],
            ..ClusterSnapshot::default()
        };
        let order = led_partitions(&snapshot, &["d".into(), "b".into()]);
        let names: Vec<(&str, i32)> = order.iter().map(|(t, p)| (t.as_str(), *p)).collect();
        assert_eq!(
            names,
            [
                ("d", 0),
                ("b", 0),
                ("a", 0),
                ("c", 0),
                ("__consumer_offsets", 0)
            ]
        );
    }
}
