//! The mock cluster's topics: loading data and counting what they hold.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};

use ktui::kafka::demo::DemoCluster;
use ktui::kafka::model::NewTopicSpec;

/// librdkafka's mock cluster keeps at most 5 MB per partition and drops the oldest
/// records beyond that (`rd_kafka_mock_partition_log_append`); a topic that must hold the
/// whole data set gets enough partitions for it: planned at 2 MiB each, because keyless
/// records go to partitions a batch at a time, unevenly.
pub(crate) const MOCK_PARTITION_BYTES: usize = 2 << 20;

pub(crate) fn partitions_to_hold(records: usize, size: usize) -> i32 {
    // About 64 bytes of batch and record overhead per record.
    let bytes = records * (size + 64);
    i32::try_from(bytes.div_ceil(MOCK_PARTITION_BYTES)).unwrap_or(i32::MAX)
}

/// The `level` of record `i` in [`write_data`]'s lines.
pub(crate) fn level(i: usize) -> &'static str {
    ["info", "warn", "error", "debug", "info"][i % 5]
}

/// The `amount` of record `i` in [`write_data`]'s lines: 0-999, spread evenly.
pub(crate) fn amount(i: usize) -> usize {
    (i * 7919) % 1000
}

/// Lines of exactly `size` bytes (plus the newline): JSON that looks like a real event.
pub(crate) fn write_data(path: &Path, records: usize, size: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("data file"));
    for i in 0..records {
        let head = format!(
            "{{\"id\":\"bench-rec-{i:08}\",\"level\":\"{}\",\"amount\":{},\"user\":{},\"text\":\"",
            level(i),
            amount(i),
            i % 9973
        );
        let pad = size.saturating_sub(head.len() + 2).max(1);
        let body: String = "lorem ipsum dolor sit amet "
            .chars()
            .cycle()
            .take(pad)
            .collect();
        writeln!(out, "{head}{body}\"}}").expect("write data");
    }
    out.flush().expect("flush data");
}

pub(crate) fn create_topic(
    rt: &tokio::runtime::Runtime,
    demo: &DemoCluster,
    name: &str,
    partitions: i32,
) {
    rt.block_on(demo.admin().create_topic(NewTopicSpec {
        name: name.into(),
        partitions,
        replication: 1,
        configs: Vec::new(),
    }))
    .unwrap_or_else(|e| panic!("create {name}: {e}"));
}

/// Messages written to `topic` (sum of high watermarks; the topics start empty).
pub(crate) fn messages(bootstrap: &str, topic: &str, partitions: i32) -> u64 {
    watermarks(bootstrap, topic, partitions)
        .iter()
        .map(|(_, high)| u64::try_from(*high).unwrap_or(0))
        .sum()
}

/// Each partition's low and high watermarks (0, 0 where they cannot be read).
fn watermarks(bootstrap: &str, topic: &str, partitions: i32) -> Vec<(i64, i64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("watermark consumer");
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap_or((0, 0))
        })
        .collect()
}

/// Writes every line of `data` to `topic`, round robin over its partitions (untimed).
pub(crate) fn load_evenly(bootstrap: &str, topic: &str, data: &Path, partitions: i32) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("loading producer");
    let text = std::fs::read(data).expect("data");
    for (i, line) in text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let partition = i32::try_from(i).unwrap_or(0) % partitions;
        let mut record: BaseRecord<'_, (), [u8]> =
            BaseRecord::to(topic).payload(line).partition(partition);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(1));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("load flushed");
}

/// Records `topic` holds now (high minus low watermarks).
pub(crate) fn retained(bootstrap: &str, topic: &str, partitions: i32) -> u64 {
    watermarks(bootstrap, topic, partitions)
        .iter()
        .map(|(low, high)| u64::try_from(high - low).unwrap_or(0))
        .sum()
}
