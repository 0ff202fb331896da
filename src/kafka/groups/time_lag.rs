//! Time lag: how long ago the next record a group has not read was written, from that
//! record's timestamp. Read with an rdkafka consumer assigned at the committed offsets
//! (no group joined, nothing committed), one record per lagging partition.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::super::client::ClientSettings;
use super::PartitionLag;

/// Fills `time_lag_ms`: 0 where the group is caught up, the age of the record at the
/// committed offset where it lags, `None` where that record could not be read in time.
pub async fn fill(settings: &ClientSettings, rows: &mut [PartitionLag], timeout: Duration) {
    let mut wanted = Vec::new();
    for row in rows.iter_mut() {
        match (row.lag, row.committed) {
            (Some(0), _) => row.time_lag_ms = Some(0),
            (Some(_), Some(committed)) => {
                wanted.push((row.topic.clone(), row.partition, committed));
            }
            _ => {}
        }
    }
    if wanted.is_empty() {
        return;
    }
    let settings = settings.clone();
    let found = tokio::task::spawn_blocking(move || timestamps(&settings, &wanted, timeout))
        .await
        .unwrap_or_default();
    let now = super::super::position::now_ms();
    for row in rows {
        if let Some(ts) = found.get(&(row.topic.clone(), row.partition)) {
            row.time_lag_ms = Some(now.saturating_sub(*ts).max(0));
        }
    }
}

/// The timestamp of the first record at or after each offset.
fn timestamps(
    settings: &ClientSettings,
    wanted: &[(String, i32, i64)],
    timeout: Duration,
) -> HashMap<(String, i32), i64> {
    let mut found = HashMap::new();
    let mut config = settings.client_config();
    config
        .set("group.id", format!("ktui-time-lag-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10")
        // One record per partition is wanted: keep each fetch small.
        .set("max.partition.fetch.bytes", "65536");
    let Ok(consumer) = config.create::<BaseConsumer>() else {
        return found;
    };
    let mut tpl = TopicPartitionList::new();
    for (topic, partition, offset) in wanted {
        if tpl
            .add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .is_err()
        {
            return found;
        }
    }
    if consumer.assign(&tpl).is_err() {
        return found;
    }
    // Bounded by the request timeout: a cold consumer's first fetch can take seconds.
    let deadline = Instant::now() + timeout;
    while found.len() < wanted.len() && Instant::now() < deadline {
        let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let key = (message.topic().to_string(), message.partition());
        if found.contains_key(&key) {
            continue;
        }
        if let Some(ts) = message.timestamp().to_millis() {
            found.insert(key, ts);
            let mut done = TopicPartitionList::new();
            done.add_partition(message.topic(), message.partition());
            let _ = consumer.pause(&done);
        }
    }
    found
}
