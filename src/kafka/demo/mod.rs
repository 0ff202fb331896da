//! The embedded demo cluster: librdkafka's in-process mock cluster behind a Kafka-protocol
//! front ([`front`]) that any client can use (kafka-python, Java, librdkafka), seeded with
//! the quickstart's topics and, while it runs, a trickle of records into `sample`; and a
//! schema registry ([`registry`]) for the shop's Avro, Protobuf and JSON Schema topics
//! ([`shop`]).
//!
//! The mock cluster is not `Send`, so it lives on a thread of its own; the worker talks to
//! it through [`DemoAdmin`]. The mock does not implement CreateTopics/DeleteTopics, so the
//! Topics tab's create and delete are routed here and done through the mock's own API.

mod front;
mod groups;
mod listen;
mod reader;
pub mod registry;
mod requests;
pub mod shop;
pub mod trickle;
pub mod wire;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use tokio::sync::oneshot;

use self::front::Front;
use self::registry::DemoRegistry;
use self::shop::{Shop, ShopIds, ShopRecord};
use self::trickle::Trickle;
use super::admin::explain;
use super::model::{AdminError, NewTopicSpec};

/// Brokers in the demo cluster: enough to show replicas and ISR.
pub const DEMO_BROKERS: i32 = 3;
/// The address the Kafka quickstart (and its scripts) hard-code.
pub const QUICKSTART_ADDRESS: &str = "127.0.0.1:9092";
/// How often, on average, `ktui --demo` writes a record into `sample`.
pub const DEFAULT_TRICKLE: Duration = Duration::from_secs(2);

/// How to run the demo cluster.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Where the first broker listens (when free); `None`: any free port.
    pub listen: Option<SocketAddr>,
    /// The mean pause between records written into `sample`; `None`: no trickle.
    pub trickle: Option<Duration>,
    /// Where the schema registry listens (when free); `None`: any free port.
    pub registry_listen: Option<SocketAddr>,
}

/// The messages `sample` starts with, like the quickstart's `producer.py` sends.
const SEED: &[(Option<&str>, &str)] = &[
    (None, "Hello, World!"),
    (Some("message-two"), "This is Kafka-Python"),
    (
        Some("user-1"),
        r#"{"user":{"id":1,"name":"ada"},"level":"info","msg":"signed in"}"#,
    ),
    (
        Some("user-2"),
        r#"{"user":{"id":42,"name":"grace"},"level":"error","msg":"payment declined"}"#,
    ),
    (
        Some("user-1"),
        r#"{"user":{"id":1,"name":"ada"},"level":"info","msg":"viewed topic sample"}"#,
    ),
    (None, "plain text line 6"),
];

enum MockOp {
    Create(NewTopicSpec, oneshot::Sender<Result<(), AdminError>>),
    Delete(String, oneshot::Sender<Result<(), AdminError>>),
    Stop,
}

/// A handle to run topic administration on the demo cluster.
#[derive(Clone, Debug)]
pub struct DemoAdmin {
    ops: std_mpsc::Sender<MockOp>,
}

impl DemoAdmin {
    pub async fn create_topic(&self, spec: NewTopicSpec) -> Result<(), AdminError> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(MockOp::Create(spec, tx))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    pub async fn delete_topic(&self, name: String) -> Result<(), AdminError> {
        let (tx, rx) = oneshot::channel();
        self.ops
            .send(MockOp::Delete(name, tx))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn gone() -> AdminError {
    AdminError {
        code: "DEMO_CLUSTER_STOPPED".into(),
        message: "the embedded demo cluster is no longer running".into(),
        explanation: "Restart ktui --demo.".into(),
    }
}

/// The running demo cluster. Dropping it stops the cluster.
pub struct DemoCluster {
    /// The brokers' addresses for clients (the front's listeners): a bootstrap list.
    pub bootstrap: String,
    /// The mock brokers' own addresses, behind the front: for librdkafka clients only
    /// (the benchmark reads the mock without the relay).
    pub mock_bootstrap: String,
    /// Why the first broker is not at the address asked for, when it is not.
    pub fallback: Option<String>,
    /// The schema registry's URL (`http://127.0.0.1:8081` when that was free).
    pub registry_url: String,
    /// Why the registry is not at the address asked for, when it is not.
    pub registry_fallback: Option<String>,
    registry: Option<DemoRegistry>,
    admin: DemoAdmin,
    thread: Option<JoinHandle<()>>,
    front: Option<Front>,
    /// The demo's own consumer group (with the trickle only).
    reader: Option<reader::Reader>,
}

impl DemoCluster {
    /// Starts the cluster on free ports, without a trickle: see [`DemoCluster::start_with`].
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(DemoOptions::default()).await
    }

    /// Starts the cluster, creates `sample` and `tweets`, seeds `sample`, and (inside a
    /// tokio runtime) puts the front before it: the first broker at `options.listen`
    /// when that is free.
    pub async fn start_with(options: DemoOptions) -> anyhow::Result<Self> {
        let (ops_tx, ops_rx) = std_mpsc::channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let trickle = options.trickle;
        let (catalog, ids) = shop::catalog();
        let thread = std::thread::Builder::new()
            .name("ktui-demo-cluster".into())
            .spawn(move || run_cluster(&ops_rx, ready_tx, trickle, ids))
            .context("cannot start the demo cluster thread")?;
        let mock_bootstrap = ready_rx
            .await
            .map_err(|_| anyhow!("the demo cluster thread exited before it was ready"))??;
        let admin = DemoAdmin { ops: ops_tx };
        let front = match Front::start(&mock_bootstrap, options.listen).await {
            Ok(front) => front,
            Err(error) => {
                let _ = admin.ops.send(MockOp::Stop);
                let _ = thread.join();
                return Err(error.context("cannot open the demo cluster's listeners"));
            }
        };
        if let Some(why) = &front.fallback {
            tracing::info!("demo: {why}; listening on {}", front.addresses.join(","));
        }
        let registry = DemoRegistry::start(
            catalog,
            options
                .registry_listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        )
        .await
        .context("cannot start the demo schema registry")?;
        if let Some(why) = &registry.fallback {
            tracing::info!("demo: {why}; the schema registry is at {}", registry.url);
        }
        let bootstrap = front.addresses.join(",");
        let reader = if trickle.is_some() {
            reader::Reader::start(&bootstrap)
                .inspect_err(|e| tracing::warn!("demo: no {} group: {e}", reader::GROUP))
                .ok()
        } else {
            None
        };
        Ok(Self {
            bootstrap,
            mock_bootstrap,
            fallback: front.fallback.clone(),
            registry_url: registry.url.clone(),
            registry_fallback: registry.fallback.clone(),
            registry: Some(registry),
            admin,
            thread: Some(thread),
            front: Some(front),
            reader,
        })
    }

    /// The address a user should give other clients (the first broker's).
    pub fn advertised_address(&self) -> &str {
        self.bootstrap.split(',').next().unwrap_or_default()
    }

    pub fn admin(&self) -> DemoAdmin {
        self.admin.clone()
    }
}

impl Drop for DemoCluster {
    fn drop(&mut self) {
        drop(self.reader.take());
        drop(self.front.take());
        drop(self.registry.take());
        let _ = self.admin.ops.send(MockOp::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_cluster(
    ops: &std_mpsc::Receiver<MockOp>,
    ready: oneshot::Sender<anyhow::Result<String>>,
    trickle: Option<Duration>,
    ids: ShopIds,
) {
    let (cluster, producer, mut shop) = match start_and_seed(ids) {
        Ok(started) => started,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    let _ = ready.send(Ok(cluster.bootstrap_servers()));
    // Names deleted through the mock: it cannot forget a topic, only hide it.
    let mut deleted: HashSet<String> = HashSet::new();
    let mut records = Trickle::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    let mut next_record = trickle.map(|mean| Instant::now() + records.pause(mean));
    let mut ticks: u64 = 0;
    loop {
        producer.poll(Duration::ZERO);
        let op = match next_record {
            Some(at) => match ops.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(op) => op,
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    // Deleted from the Topics tab: the mock only hides it, so stop.
                    if !deleted.contains("sample") {
                        send_trickle(&producer, &mut records);
                    }
                    // The shop's topics move at half the pace.
                    ticks += 1;
                    if ticks.is_multiple_of(2) {
                        match shop.next_record() {
                            Ok(record) if !deleted.contains(record.topic) => {
                                // A full queue just skips one.
                                if let Err(error) = send_shop(&producer, &record) {
                                    tracing::debug!("demo shop skipped a record: {error}");
                                }
                            }
                            Ok(_) => {}
                            Err(error) => tracing::warn!("demo shop: {error}"),
                        }
                    }
                    next_record = trickle.map(|mean| Instant::now() + records.pause(mean));
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match ops.recv() {
                Ok(op) => op,
                Err(_) => break,
            },
        };
        match op {
            MockOp::Create(spec, reply) => {
                let _ = reply.send(create(&cluster, &deleted, &spec));
            }
            MockOp::Delete(name, reply) => {
                let result = cluster
                    .topic_error(
                        &name,
                        RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                    )
                    .map_err(|e| mock_error(&e));
                if result.is_ok() {
                    deleted.insert(name);
                }
                let _ = reply.send(result);
            }
            MockOp::Stop => break,
        }
    }
    // Records still queued are sent before the cluster goes.
    producer.flush(Duration::from_secs(1)).ok();
    drop(producer);
    drop(cluster);
}

fn create(
    cluster: &Mock,
    deleted: &HashSet<String>,
    spec: &NewTopicSpec,
) -> Result<(), AdminError> {
    if deleted.contains(&spec.name) {
        return Err(AdminError {
            explanation: "The embedded demo cluster cannot reuse the name of a deleted topic \
                          (librdkafka's mock keeps its log); choose another name."
                .into(),
            ..explain(RDKafkaErrorCode::TopicAlreadyExists)
        });
    }
    if spec.replication > DEMO_BROKERS {
        return Err(AdminError {
            explanation: format!(
                "Invalid replication factor: the demo cluster has {DEMO_BROKERS} brokers."
            ),
            ..explain(RDKafkaErrorCode::InvalidReplicationFactor)
        });
    }
    cluster
        .create_topic(&spec.name, spec.partitions, spec.replication)
        .map_err(|e| mock_error(&e))
}

fn mock_error(error: &KafkaError) -> AdminError {
    match error.rdkafka_error_code() {
        Some(code) => explain(code),
        None => AdminError {
            code: "DEMO_CLUSTER_ERROR".into(),
            message: error.to_string(),
            explanation: "The embedded demo cluster refused the request.".into(),
        },
    }
}

/// Writes the next made-up record into `sample`; a full queue just skips one.
fn send_trickle(producer: &BaseProducer, records: &mut Trickle) {
    let record = records.next_record();
    let mut headers = OwnedHeaders::new();
    for (name, value) in &record.headers {
        headers = headers.insert(Header {
            key: name,
            value: Some(value),
        });
    }
    let mut message = BaseRecord::<str, str>::to("sample")
        .payload(&record.value)
        .headers(headers);
    if let Some(key) = &record.key {
        message = message.key(key);
    }
    if let Err((error, _)) = producer.send(message) {
        tracing::debug!("demo trickle skipped a record: {error}");
    }
}

/// Writes a shop record: a framed value under a plain key.
fn send_shop(producer: &BaseProducer, record: &ShopRecord) -> Result<(), KafkaError> {
    let message = BaseRecord::<str, [u8]>::to(record.topic)
        .key(&record.key)
        .payload(&record.value);
    producer.send(message).map_err(|(error, _)| error)
}

type Mock = MockCluster<'static, rdkafka::producer::DefaultProducerContext>;

fn start_and_seed(ids: ShopIds) -> anyhow::Result<(Mock, BaseProducer, Shop)> {
    let cluster = MockCluster::new(DEMO_BROKERS).context("cannot start the mock cluster")?;
    cluster
        .create_topic("sample", 3, 3)
        .context("cannot create topic sample")?;
    cluster
        .create_topic("tweets", 3, 3)
        .context("cannot create topic tweets")?;
    for topic in shop::TOPICS {
        cluster
            .create_topic(topic, 3, 3)
            .with_context(|| format!("cannot create topic {topic}"))?;
    }
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("partitioner", "murmur2_random")
        .create()
        .context("cannot create the seeding producer")?;
    for (key, value) in SEED {
        let mut record = BaseRecord::<str, str>::to("sample").payload(value);
        if let Some(key) = key {
            record = record.key(key);
        }
        producer
            .send(record)
            .map_err(|(e, _)| anyhow!("cannot seed topic sample: {e}"))?;
    }
    let mut shop = Shop::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        ids,
    )?;
    for record in shop.seed_records()? {
        send_shop(&producer, &record)
            .map_err(|e| anyhow!("cannot seed topic {}: {e}", record.topic))?;
    }
    producer
        .flush(Duration::from_secs(10))
        .context("cannot seed the demo's topics")?;
    Ok((cluster, producer, shop))
}
