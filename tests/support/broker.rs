//! Brokers in the test's own process and writing to any broker with rdkafka: librdkafka's
//! mock cluster (the one `--demo` runs) on a runtime of its own, and a producer that
//! writes exact bytes (null keys, values and header values too, which no peer can).

use std::time::Duration;

use ktui::kafka::ClientSettings;
use ktui::kafka::demo::DemoCluster;
use ktui::kafka::model::{Header, NewTopicSpec};
use rdkafka::config::ClientConfig;
use rdkafka::message::{Header as WireHeader, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::runtime::Runtime;

use super::unique;

/// A mock cluster of the test's own and the runtime it runs on.
/// Fields drop in order: the cluster, then its runtime.
pub struct MockCluster {
    pub demo: DemoCluster,
    pub rt: Runtime,
}

impl MockCluster {
    /// Starts the cluster on a new two-thread runtime.
    pub fn start() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let demo = rt
            .block_on(DemoCluster::start())
            .expect("the mock cluster starts");
        Self { demo, rt }
    }

    pub fn bootstrap(&self) -> &str {
        &self.demo.bootstrap
    }

    pub fn settings(&self) -> ClientSettings {
        ClientSettings::new(self.bootstrap())
    }

    /// Creates a uniquely named topic with this many partitions.
    pub fn topic(&self, prefix: &str, partitions: i32) -> String {
        let name = unique(prefix);
        self.rt
            .block_on(self.demo.admin().create_topic(NewTopicSpec {
                name: name.clone(),
                partitions,
                replication: 1,
                configs: Vec::new(),
            }))
            .unwrap_or_else(|e| panic!("cannot create {name}: {e}"));
        name
    }
}

/// One record to write, byte for byte.
#[derive(Debug, Clone, Default)]
pub struct Out {
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    /// `None`: a tombstone.
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// `None`: the producer's clock.
    pub timestamp: Option<i64>,
}

impl Out {
    /// A text value (with a text key, or none) for `partition`.
    pub fn text(partition: i32, key: Option<&str>, value: &str) -> Self {
        Self {
            partition,
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            ..Self::default()
        }
    }
}

/// A producer on `bootstrap` that sends each record at once.
pub fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "0")
        .create()
        .expect("producer")
}

/// Produces the records one at a time (each acknowledged before the next).
/// Returns where each landed.
pub async fn send_all(producer: &FutureProducer, topic: &str, records: &[Out]) -> Vec<(i32, i64)> {
    let mut landed = Vec::new();
    for out in records {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic).partition(out.partition);
        if let Some(key) = &out.key {
            record = record.key(key.as_slice());
        }
        if let Some(value) = &out.value {
            record = record.payload(value.as_slice());
        }
        if let Some(ms) = out.timestamp {
            record = record.timestamp(ms);
        }
        if !out.headers.is_empty() {
            let headers = out.headers.iter().fold(OwnedHeaders::new(), |all, h| {
                all.insert(WireHeader {
                    key: &h.name,
                    value: h.value.as_deref(),
                })
            });
            record = record.headers(headers);
        }
        let delivery = producer
            .send(record, Duration::from_secs(10))
            .await
            .unwrap_or_else(|(e, _)| panic!("cannot produce to {topic}: {e}"));
        landed.push((delivery.partition, delivery.offset));
    }
    landed
}
