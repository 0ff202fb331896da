//! The Kafka worker: owns every rdkafka client. Commands come in on a bounded channel,
//! events go out; blocking librdkafka calls run on `spawn_blocking` threads so neither the
//! worker loop nor the UI ever waits on the network.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::consumer::BaseConsumer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::admin;
use super::client::{ClientSettings, KtuiContext};
use super::demo::DemoAdmin;
use super::feed_bridge::{FeedJob, FeedUpdate, run_bridge};
use super::model::{ClusterSnapshot, Connection};
use super::produce::{self, DeliveryReport, OutgoingMessage, ProduceFailure};
use super::tail::{Flow, TailEvent, TailSpec, run_tail};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

mod protocol;
mod refusal;

pub use protocol::{Command, KafkaEvent, PERIODIC, RequestId, RulesChange, ShutdownReport};
use refusal::refusal;

/// How the worker connects and paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub settings: ClientSettings,
    /// Set in `--demo`: topic create/delete go through the mock cluster's own API.
    pub demo: Option<DemoAdmin>,
    pub refresh_every: Duration,
    pub request_timeout: Duration,
    /// Why writes are refused (read-only cluster or session); `None` allows them.
    pub read_only: Option<String>,
    /// Why there is no usable connection at all (a secret could not be read, a property is
    /// invalid); every request is answered with it.
    pub broken: Option<String>,
}

impl WorkerOptions {
    pub fn new(settings: ClientSettings) -> Self {
        Self {
            settings,
            demo: None,
            refresh_every: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            read_only: None,
            broken: None,
        }
    }
}

/// The two ends the caller keeps.
pub struct WorkerHandle {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<KafkaEvent>,
    pub task: JoinHandle<ShutdownReport>,
}

type SnapshotResult = Result<ClusterSnapshot, String>;
/// A metadata fetch in flight: its request id and the blocking task (snapshot, cluster id).
type InFlight = (RequestId, JoinHandle<(SnapshotResult, Option<String>)>);

/// The clients for metadata and admin requests; absent when they could not be created.
struct Clients {
    context: KtuiContext,
    consumer: Arc<BaseConsumer<KtuiContext>>,
    admin: Arc<AdminClient<KtuiContext>>,
}

impl Clients {
    fn create(settings: &ClientSettings) -> Result<Self, String> {
        let context = KtuiContext::default();
        let config = settings.client_config();
        let consumer: BaseConsumer<KtuiContext> = config
            .create_with_context(context.clone())
            .map_err(|e| crate::secret::redact(&e.to_string()).into_owned())?;
        let admin: AdminClient<KtuiContext> = config
            .create_with_context(context.clone())
            .map_err(|e| crate::secret::redact(&e.to_string()).into_owned())?;
        Ok(Self {
            context,
            consumer: Arc::new(consumer),
            admin: Arc::new(admin),
        })
    }
}

struct Worker {
    options: WorkerOptions,
    clients: Option<Clients>,
    /// The demo cluster's admin, kept for switching back to it.
    demo_admin: Option<DemoAdmin>,
    events: mpsc::Sender<KafkaEvent>,
    cluster_id: Option<String>,
    /// Every broker seen since connecting (id → "HOST:PORT"), to name one that goes away.
    seen_brokers: std::collections::BTreeMap<i32, String>,
    /// Topic names from the last good snapshot (the demo path checks deletes against it).
    known_topics: Arc<std::sync::Mutex<HashSet<String>>>,
    /// Running tails: each has a stop flag its consumer thread checks.
    tails: HashMap<RequestId, Arc<AtomicBool>>,
    /// Created on the first send.
    producer: Option<FutureProducer<KtuiContext>>,
    /// Running feed bridges.
    feeds: HashMap<RequestId, crate::feed::stop::StopHandle>,
}

/// Creates the clients (this does not touch the network) and starts the worker task.
/// Must be called inside a tokio runtime. Clients that cannot be created (an invalid
/// property) leave the worker answering every request with the reason.
pub fn spawn(mut options: WorkerOptions) -> WorkerHandle {
    let clients = if options.broken.is_some() {
        None
    } else {
        match Clients::create(&options.settings) {
            Ok(clients) => Some(clients),
            Err(reason) => {
                options.broken = Some(format!("cannot create the Kafka clients: {reason}"));
                None
            }
        }
    };
    let (command_tx, command_rx) = mpsc::channel(64);
    let (event_tx, event_rx) = mpsc::channel(256);
    let worker = Worker {
        demo_admin: options.demo.clone(),
        options,
        clients,
        events: event_tx,
        cluster_id: None,
        seen_brokers: std::collections::BTreeMap::new(),
        known_topics: Arc::default(),
        tails: HashMap::new(),
        producer: None,
        feeds: HashMap::new(),
    };
    let task = tokio::spawn(worker.run(command_rx));
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
        task,
    }
}

/// Secrets being resolved for a cluster switch.
type Resolving = JoinHandle<Result<ClientSettings, String>>;

impl Worker {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) -> ShutdownReport {
        let address = self.options.settings.brokers.clone();
        self.emit(KafkaEvent::Connection(Connection::Connecting { address }))
            .await;
        let mut ticker = tokio::time::interval(self.options.refresh_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // At most one metadata fetch runs at a time; a request made meanwhile waits
        // (latest wins), and periodic ticks are skipped, so refreshes never pile up.
        let mut inflight: Option<InFlight> = None;
        let mut queued: Option<RequestId> = None;
        let mut resolving: Option<Resolving> = None;
        // Commands that arrived while a switch resolved its secrets.
        let mut held: Vec<Command> = Vec::new();
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(Command::Connect { spec, read_only, demo }) => {
                        if let Some((_, task)) = inflight.take() {
                            task.abort();
                        }
                        queued = None;
                        held.clear();
                        self.disconnect(read_only, demo);
                        let address = spec.brokers.clone();
                        self.emit(KafkaEvent::Connection(Connection::Connecting { address })).await;
                        if let Some(old) = resolving.replace(tokio::task::spawn_blocking(move || spec.resolve())) {
                            old.abort();
                        }
                    }
                    Some(command) if resolving.is_some() => held.push(command),
                    Some(command) => self.dispatch(command, &mut inflight, &mut queued),
                },
                resolved = async { (&mut resolving.as_mut().expect("guarded")).await }, if resolving.is_some() => {
                    resolving = None;
                    let resolved = resolved.unwrap_or_else(|e| Err(format!("resolving the settings failed: {e}")));
                    self.reconnect(resolved);
                    for command in std::mem::take(&mut held) {
                        self.dispatch(command, &mut inflight, &mut queued);
                    }
                    if inflight.is_none() {
                        inflight = Some((PERIODIC, self.start_fetch()));
                    }
                    ticker.reset();
                }
                _ = ticker.tick(), if inflight.is_none() && resolving.is_none() => {
                    inflight = Some((PERIODIC, self.start_fetch()));
                }
                joined = async { (&mut inflight.as_mut().expect("guarded").1).await }, if inflight.is_some() => {
                    let (id, _) = inflight.take().expect("guarded");
                    let (result, cluster_id) = joined.unwrap_or_else(|e| {
                        (Err(format!("metadata task failed: {e}")), None)
                    });
                    self.finish_fetch(id, result, cluster_id).await;
                    if let Some(id) = queued.take() {
                        inflight = Some((id, self.start_fetch()));
                    }
                    ticker.reset();
                }
            }
        }
        if let Some((_, task)) = inflight {
            task.abort();
        }
        for stop in self.tails.values() {
            stop.store(true, Ordering::Relaxed);
        }
        for stop in self.feeds.values() {
            stop.stop();
        }
        self.flush().await
    }

    /// Handles one command on the current cluster.
    fn dispatch(
        &mut self,
        command: Command,
        inflight: &mut Option<InFlight>,
        queued: &mut Option<RequestId>,
    ) {
        if let Some(reason) = self.refusal_reason(&command) {
            let events = self.events.clone();
            if let Some(event) = refusal(command, reason) {
                tokio::spawn(async move {
                    let _ = events.send(event).await;
                });
            }
            return;
        }
        match command {
            Command::StartTail { id, spec } => self.start_tail(id, spec),
            Command::Produce { id, message } => self.produce(id, message),
            Command::StartFeed { id, job } => self.start_feed(id, job),
            Command::FeedRules {
                id,
                options,
                change,
            } => {
                let events = self.events.clone();
                tokio::spawn(async move {
                    let result = apply_rules(&options, change).await;
                    let _ = events.send(KafkaEvent::Rules { id, result }).await;
                });
            }
            Command::StopFeed { id } => {
                if let Some(stop) = self.feeds.remove(&id) {
                    stop.stop();
                }
            }
            Command::StopTail { id } => {
                if let Some(stop) = self.tails.remove(&id) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            Command::RefreshMetadata { id } => {
                if inflight.is_some() {
                    *queued = Some(id);
                } else {
                    *inflight = Some((id, self.start_fetch()));
                }
            }
            other => self.start_admin(other),
        }
    }

    /// Stops everything running on the current cluster before a switch.
    fn disconnect(&mut self, read_only: Option<String>, demo: bool) {
        for (_, stop) in self.tails.drain() {
            stop.store(true, Ordering::Relaxed);
        }
        for (_, stop) in self.feeds.drain() {
            stop.stop();
        }
        if let Some(producer) = self.producer.take() {
            // Messages already sent get their bounded chance; nobody waits for it.
            tokio::task::spawn_blocking(move || {
                let _ = producer.flush(Duration::from_secs(5));
            });
        }
        self.clients = None;
        self.cluster_id = None;
        self.seen_brokers.clear();
        if let Ok(mut known) = self.known_topics.lock() {
            known.clear();
        }
        self.options.read_only = read_only;
        self.options.demo = if demo { self.demo_admin.clone() } else { None };
        self.options.broken = Some("switching clusters".to_string());
    }

    /// Uses the new cluster's settings (or records why they are unusable).
    fn reconnect(&mut self, resolved: Result<ClientSettings, String>) {
        match resolved.and_then(|settings| {
            let clients = Clients::create(&settings)
                .map_err(|e| format!("cannot create the Kafka clients: {e}"))?;
            Ok((settings, clients))
        }) {
            Ok((settings, clients)) => {
                self.options.settings = settings;
                self.clients = Some(clients);
                self.options.broken = None;
            }
            Err(reason) => self.options.broken = Some(reason),
        }
    }

    /// Waits (bounded) for outstanding messages; says how many were not confirmed.
    async fn flush(&mut self) -> ShutdownReport {
        let Some(producer) = self.producer.take() else {
            return ShutdownReport::default();
        };
        tokio::task::spawn_blocking(move || {
            let _ = producer.flush(Duration::from_secs(5));
            ShutdownReport {
                unconfirmed: producer.in_flight_count(),
            }
        })
        .await
        .unwrap_or_default()
    }

    /// The shared producer, created on first use.
    fn producer(&mut self) -> Result<FutureProducer<KtuiContext>, ProduceFailure> {
        if let Some(p) = &self.producer {
            return Ok(p.clone());
        }
        let producer = produce::producer_config(&self.options.settings)
            .create_with_context::<_, FutureProducer<KtuiContext>>(
                self.clients
                    .as_ref()
                    .map(|c| c.context.clone())
                    .unwrap_or_default(),
            )
            .map_err(|e| produce::failure(&e))?;
        self.producer = Some(producer.clone());
        Ok(producer)
    }

    /// Runs a feed bridge; its updates flow back as `KafkaEvent::Feed`.
    fn start_feed(&mut self, id: RequestId, job: FeedJob) {
        let events = self.events.clone();
        let producer = match self.producer() {
            Ok(p) => p,
            Err(failure) => {
                let state = crate::feed::FeedState::Stopped {
                    reason: format!("cannot create the producer: {}", failure.message),
                    fatal: true,
                };
                tokio::spawn(async move {
                    let update = FeedUpdate::State(state);
                    let _ = events.send(KafkaEvent::Feed { id, update }).await;
                });
                return;
            }
        };
        let (handle, stop) = crate::feed::stop::pair();
        self.feeds.insert(id, handle);
        tokio::spawn(run_bridge(id, job, producer, events, stop));
    }

    /// Sends one message on a task of its own and reports the delivery.
    fn produce(&mut self, id: RequestId, message: OutgoingMessage) {
        let events = self.events.clone();
        let producer = match self.producer() {
            Ok(p) => p,
            Err(failure) => {
                tokio::spawn(async move {
                    let _ = events
                        .send(KafkaEvent::Delivered {
                            id,
                            result: Err(failure),
                        })
                        .await;
                });
                return;
            }
        };
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&message.topic);
            if let Some(key) = &message.key {
                record = record.key(key.as_slice());
            }
            if let Some(value) = &message.value {
                record = record.payload(value.as_slice());
            }
            if let Some(partition) = message.partition {
                record = record.partition(partition);
            }
            if let Some(ms) = message.timestamp {
                record = record.timestamp(ms);
            }
            if let Some(headers) = produce::headers(&message.headers) {
                record = record.headers(headers);
            }
            let result = match producer.send(record, Duration::from_secs(5)).await {
                Ok(delivery) => Ok(DeliveryReport {
                    partition: delivery.partition,
                    offset: delivery.offset,
                    latency: started.elapsed(),
                }),
                Err((error, _)) => Err(produce::failure(&error)),
            };
            let _ = events.send(KafkaEvent::Delivered { id, result }).await;
        });
    }

    /// Runs a tail on a blocking thread; its batches flow back as `KafkaEvent::Tail`.
    /// The bounded event channel slows the consumer down if the UI falls behind.
    fn start_tail(&mut self, id: RequestId, spec: TailSpec) {
        let stop = Arc::new(AtomicBool::new(false));
        self.tails.insert(id, Arc::clone(&stop));
        let settings = self.options.settings.clone();
        let events = self.events.clone();
        tokio::task::spawn_blocking(move || {
            let mut sink = |event: TailEvent| {
                if stop.load(Ordering::Relaxed)
                    || events
                        .blocking_send(KafkaEvent::Tail { id, event })
                        .is_err()
                {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            };
            run_tail(&settings, &spec, &stop, &mut sink);
        });
    }

    async fn emit(&self, event: KafkaEvent) {
        // The receiver is gone only when the UI is shutting down.
        let _ = self.events.send(event).await;
    }

    fn start_fetch(&self) -> JoinHandle<(SnapshotResult, Option<String>)> {
        let consumer = match (&self.clients, &self.options.broken) {
            (Some(clients), None) => Arc::clone(&clients.consumer),
            (_, broken) => {
                let reason = broken.clone().unwrap_or_else(|| "no Kafka clients".into());
                return tokio::task::spawn_blocking(move || (Err(reason), None));
            }
        };
        let timeout = self.options.request_timeout;
        let need_id = self.cluster_id.is_none();
        tokio::task::spawn_blocking(move || match admin::fetch_snapshot(&consumer, timeout) {
            Ok(snapshot) => {
                let id = if need_id {
                    admin::fetch_cluster_id(&consumer, Duration::from_secs(2))
                } else {
                    None
                };
                (Ok(snapshot), id)
            }
            Err(error) => (Err(admin::describe_kafka_error(&error)), None),
        })
    }

    async fn finish_fetch(
        &mut self,
        id: RequestId,
        result: SnapshotResult,
        cluster_id: Option<String>,
    ) {
        let address = self.options.settings.brokers.clone();
        let result = match result {
            Ok(mut snapshot) => {
                if cluster_id.is_some() {
                    self.cluster_id = cluster_id;
                }
                snapshot.cluster_id.clone_from(&self.cluster_id);
                if let Some(clients) = &self.clients {
                    let _ = clients.context.take_last_error();
                }
                if let Ok(mut known) = self.known_topics.lock() {
                    *known = snapshot.topics.iter().map(|t| t.name.clone()).collect();
                }
                let unreachable = super::model::missing_brokers(&snapshot, &mut self.seen_brokers);
                self.emit(KafkaEvent::Connection(Connection::Connected {
                    address,
                    brokers: snapshot.brokers.len(),
                    cluster_id: snapshot.cluster_id.clone(),
                    unreachable,
                }))
                .await;
                Ok(snapshot)
            }
            Err(error) => {
                let reason = match (&self.options.broken, &self.clients) {
                    (None, Some(clients)) => clients.context.reason_for(&error),
                    _ => error.clone(),
                };
                self.emit(KafkaEvent::Connection(Connection::Unreachable {
                    address,
                    reason: reason.clone(),
                }))
                .await;
                Err(reason)
            }
        };
        self.emit(KafkaEvent::Metadata { id, result }).await;
    }

    fn start_admin(&self, command: Command) {
        let Some(admin) = self.clients.as_ref().map(|c| Arc::clone(&c.admin)) else {
            return; // refused earlier: no clients means `broken` is set
        };
        let demo = self.options.demo.clone();
        let events = self.events.clone();
        let timeout = self.options.request_timeout;
        let known = Arc::clone(&self.known_topics);
        tokio::spawn(async move {
            let event = match command {
                Command::DescribeConfigs { id, topic } => {
                    let result = if demo.is_some() {
                        Err("the demo (mock) cluster has no DescribeConfigs".into())
                    } else {
                        admin::describe_topic_configs(&admin, &topic, timeout).await
                    };
                    KafkaEvent::Configs { id, topic, result }
                }
                Command::CreateTopic { id, spec } => {
                    let name = spec.name.clone();
                    let result = match demo {
                        Some(demo) => demo.create_topic(spec).await,
                        None => admin::create_topic(&admin, &spec, timeout).await,
                    };
                    KafkaEvent::TopicCreated { id, name, result }
                }
                Command::DeleteTopic { id, name } => {
                    let result = match demo {
                        Some(demo) => {
                            let exists = known.lock().is_ok_and(|k| k.contains(&name));
                            if exists {
                                demo.delete_topic(name.clone()).await
                            } else {
                                Err(admin::explain(
                                    rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition,
                                ))
                            }
                        }
                        None => admin::delete_topic(&admin, &name, timeout).await,
                    };
                    KafkaEvent::TopicDeleted { id, name, result }
                }
                Command::RefreshMetadata { .. }
                | Command::StartTail { .. }
                | Command::StopTail { .. }
                | Command::Produce { .. }
                | Command::StartFeed { .. }
                | Command::StopFeed { .. }
                | Command::FeedRules { .. }
                | Command::Connect { .. }
                | Command::Shutdown => return,
            };
            let _ = events.send(event).await;
        });
    }
}

/// Applies a rules change, then lists the rules as the API now has them.
async fn apply_rules(
    options: &crate::feed::twitter::Options,
    change: RulesChange,
) -> Result<Vec<crate::feed::twitter::StreamRule>, String> {
    use crate::feed::twitter;
    match change {
        RulesChange::List => {}
        RulesChange::Add { value, tag } => {
            twitter::add_rule(options, &value, tag.as_deref()).await?;
        }
        RulesChange::Delete { ids } => twitter::delete_rules(options, &ids).await?,
    }
    twitter::list_rules(options).await
}
