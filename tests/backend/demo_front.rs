//! The demo cluster's Kafka-protocol front, over TCP with librdkafka: what passes through
//! it must leave a connection usable, whatever the mock answers that a real broker would
//! not (the peers' own checks are in `tests/e2e/demo.rs`).

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::support::broker::MockCluster;

/// Produce with acks=0 gets no response from a broker, but the mock answers anyway: the
/// front must drop that answer, or every later response on the connection (metadata, the
/// next produce) is taken for the one before it and the client drops the connection.
#[test]
fn acks_zero_leaves_the_connection_in_step() {
    let mock = MockCluster::start();
    let topic = mock.topic("acks0", 1);
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap())
        .set("acks", "0")
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for i in 0..20 {
        let value = format!("fire-and-forget {i}");
        producer
            .send(BaseRecord::<str, str>::to(&topic).payload(&value))
            .expect("queued");
        producer.poll(Duration::from_millis(10));
        // Interleave requests that do get answers on the same connection.
        let metadata = producer
            .client()
            .fetch_metadata(Some(&topic), Duration::from_secs(5))
            .expect("metadata after an acks=0 produce");
        assert_eq!(metadata.topics()[0].partitions().len(), 1);
    }
    producer.flush(Duration::from_secs(5)).expect("flushed");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap())
        .set("group.id", "acks0-check")
        .create()
        .expect("consumer");
    let (low, high) = consumer
        .fetch_watermarks(&topic, 0, Duration::from_secs(5))
        .expect("watermarks");
    assert_eq!((low, high), (0, 20), "every acks=0 record landed");
}
