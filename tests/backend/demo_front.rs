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

/// A request that declares an absurd number of entries (here ListGroups v4's state filter
/// claiming 2^32 - 2 of them, in a 16-byte frame) is refused: the connection closes and
/// the front goes on serving others. Decoded with a count-trusting decoder, it asked for
/// 128 GiB and aborted the whole process.
#[test]
fn a_hostile_count_closes_one_connection_not_the_front() {
    use std::io::{Read as _, Write as _};
    let mock = MockCluster::start();
    let first = mock.bootstrap().split(',').next().unwrap().to_string();
    let mut body = Vec::new();
    body.extend(16i16.to_be_bytes()); // ListGroups
    body.extend(4i16.to_be_bytes()); // v4: flexible
    body.extend(1i32.to_be_bytes()); // correlation id
    body.extend((-1i16).to_be_bytes()); // null client id
    body.push(0); // no header tags
    body.extend([0xff, 0xff, 0xff, 0xff, 0x0f]); // states_filter: 2^32 - 2 entries
    let mut frame = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    frame.extend(body);
    let mut stream = std::net::TcpStream::connect(&first).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(&frame).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "no answer to a garbled request: {answer:?}"
    );
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap())
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(5))
        .expect("the front still answers");
    assert!(!metadata.brokers().is_empty());
}
