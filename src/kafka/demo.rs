//! The embedded demo cluster: librdkafka's in-process mock cluster, reachable over TCP
//! by any client (kcat, kafka-python), seeded with the quickstart's topics.
//!
//! The mock cluster is not `Send`, so it lives on a thread of its own; the worker talks to
//! it through [`DemoAdmin`]. The mock does not implement CreateTopics/DeleteTopics, so the
//! Topics tab's create and delete are routed here and done through the mock's own API.

use std::collections::HashSet;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::admin::explain;
use super::model::{AdminError, NewTopicSpec};

/// Brokers in the demo cluster: enough to show replicas and ISR.
pub const DEMO_BROKERS: i32 = 3;
/// The address the Kafka quickstart (and its scripts) hard-code.
pub const QUICKSTART_ADDRESS: &str = "127.0.0.1:9092";

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
    /// The mock brokers' own addresses (a bootstrap list).
    pub bootstrap: String,
    /// `127.0.0.1:9092` when that port was free and now forwards to the cluster.
    pub quickstart_address: Option<String>,
    admin: DemoAdmin,
    thread: Option<JoinHandle<()>>,
    proxy: Option<tokio::task::JoinHandle<()>>,
}

impl DemoCluster {
    /// Starts the cluster, creates `sample` and `tweets`, seeds `sample`, and (inside a
    /// tokio runtime) forwards `127.0.0.1:9092` to it when that port is free.
    pub async fn start() -> anyhow::Result<Self> {
        let (ops_tx, ops_rx) = std_mpsc::channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("ktui-demo-cluster".into())
            .spawn(move || run_cluster(&ops_rx, ready_tx))
            .context("cannot start the demo cluster thread")?;
        let bootstrap = ready_rx
            .await
            .map_err(|_| anyhow!("the demo cluster thread exited before it was ready"))??;
        let target = bootstrap.split(',').next().unwrap_or_default().to_string();
        let (quickstart_address, proxy) = match TcpListener::bind(QUICKSTART_ADDRESS).await {
            Ok(listener) => (
                Some(QUICKSTART_ADDRESS.to_string()),
                Some(tokio::spawn(forward(listener, target))),
            ),
            Err(error) => {
                tracing::info!(
                    "{QUICKSTART_ADDRESS} is taken ({error}); demo stays on {bootstrap}"
                );
                (None, None)
            }
        };
        Ok(Self {
            bootstrap,
            quickstart_address,
            admin: DemoAdmin { ops: ops_tx },
            thread: Some(thread),
            proxy,
        })
    }

    /// The address a user should give other clients: 9092 when we hold it.
    pub fn advertised_address(&self) -> &str {
        self.quickstart_address
            .as_deref()
            .unwrap_or(&self.bootstrap)
    }

    pub fn admin(&self) -> DemoAdmin {
        self.admin.clone()
    }
}

impl Drop for DemoCluster {
    fn drop(&mut self) {
        if let Some(proxy) = self.proxy.take() {
            proxy.abort();
        }
        let _ = self.admin.ops.send(MockOp::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Forwards every TCP connection on `listener` to `target`, byte for byte.
async fn forward(listener: TcpListener, target: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let target = target.clone();
        tokio::spawn(async move {
            match TcpStream::connect(&target).await {
                Ok(mut outbound) => {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
                Err(error) => tracing::warn!("demo forward to {target} failed: {error}"),
            }
        });
    }
}

fn run_cluster(ops: &std_mpsc::Receiver<MockOp>, ready: oneshot::Sender<anyhow::Result<String>>) {
    let cluster = match start_and_seed() {
        Ok(cluster) => cluster,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    let _ = ready.send(Ok(cluster.bootstrap_servers()));
    // Names deleted through the mock: it cannot forget a topic, only hide it.
    let mut deleted: HashSet<String> = HashSet::new();
    while let Ok(op) = ops.recv() {
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
}

fn create(
    cluster: &MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
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

fn start_and_seed()
-> anyhow::Result<MockCluster<'static, rdkafka::producer::DefaultProducerContext>> {
    let cluster = MockCluster::new(DEMO_BROKERS).context("cannot start the mock cluster")?;
    cluster
        .create_topic("sample", 3, 3)
        .context("cannot create topic sample")?;
    cluster
        .create_topic("tweets", 3, 3)
        .context("cannot create topic tweets")?;
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
    producer
        .flush(Duration::from_secs(10))
        .context("cannot seed topic sample")?;
    Ok(cluster)
}
