//! The Kafka worker: owns every rdkafka client. Commands come in on a bounded channel,
//! events go out; blocking librdkafka calls run on `spawn_blocking` threads so neither the
//! worker loop nor the UI ever waits on the network.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::producer::FutureProducer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::client::{ClientSettings, KtuiContext};
use super::demo::DemoAdmin;
use super::model::Connection;
use super::tail::{Flow, TailEvent, TailSpec, run_tail};

mod admin;
mod clients;
mod feed;
mod groups;
mod produce;
pub mod protocol;
mod refusal;
mod schemas;

use admin::{Finished, MetadataFetch};
use clients::Clients;
pub use protocol::{
    Command, FeedCounts, FeedJob, FeedUpdate, KafkaEvent, PERIODIC, RequestId, RulesChange,
    ShutdownReport, ValueFormat,
};
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
    /// Whether periodic refreshes fetch watermarks ([`Command::Watermarks`]).
    watermarks: bool,
    /// The topics on screen: their watermarks are asked first.
    first: Vec<String>,
    /// Running tails: each has a stop flag its consumer thread checks.
    tails: HashMap<RequestId, Arc<AtomicBool>>,
    /// Created on the first send.
    producer: Option<FutureProducer<KtuiContext>>,
    /// Running feed bridges.
    feeds: HashMap<RequestId, crate::feed::stop::StopHandle>,
    /// The consumer-group client, created on the first group request.
    groups: Option<groups::Groups>,
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
        watermarks: true,
        first: Vec::new(),
        tails: HashMap::new(),
        producer: None,
        feeds: HashMap::new(),
        groups: None,
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

/// Waits for the task in `slot`, or for ever when there is none (for a `select!` branch
/// that its guard disables then).
async fn joined<T>(slot: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match slot.as_mut() {
        Some(task) => {
            let result = task.await;
            *slot = None;
            result
        }
        None => std::future::pending().await,
    }
}

impl Worker {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) -> ShutdownReport {
        let address = self.options.settings.brokers.clone();
        self.emit(KafkaEvent::Connection(Connection::Connecting { address }))
            .await;
        let mut ticker = tokio::time::interval(self.options.refresh_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut fetch = MetadataFetch::default();
        let mut resolving: Option<Resolving> = None;
        // Commands that arrived while a switch resolved its secrets.
        let mut held: Vec<Command> = Vec::new();
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(Command::Connect { spec, read_only, demo }) => {
                        fetch.cancel();
                        held.clear();
                        self.disconnect(read_only, demo);
                        let address = spec.brokers.clone();
                        self.emit(KafkaEvent::Connection(Connection::Connecting { address })).await;
                        if let Some(old) = resolving.replace(tokio::task::spawn_blocking(move || spec.resolve())) {
                            old.abort();
                        }
                    }
                    Some(command) if resolving.is_some() => held.push(command),
                    Some(command) => self.dispatch(command, &mut fetch),
                },
                resolved = joined(&mut resolving), if resolving.is_some() => {
                    let resolved = resolved.unwrap_or_else(|e| Err(format!("resolving the settings failed: {e}")));
                    self.reconnect(resolved);
                    for command in std::mem::take(&mut held) {
                        self.dispatch(command, &mut fetch);
                    }
                    if fetch.idle() {
                        fetch.start(PERIODIC, &self);
                    }
                    ticker.reset();
                }
                _ = ticker.tick(), if fetch.idle() && resolving.is_none() => {
                    fetch.start(PERIODIC, &self);
                }
                finished = fetch.finished(), if !fetch.idle() => match finished {
                    Finished::Metadata(id, (result, cluster_id)) => {
                        // The partitions to count, asked only once the metadata is on its
                        // way to the UI (so no count arrives before its topic's name), and
                        // not when a refresh asked meanwhile is due first.
                        let partitions = result
                            .as_ref()
                            .ok()
                            .filter(|_| self.watermarks)
                            .map(|snapshot| super::watermarks::led_partitions(snapshot, &self.first));
                        let fetched = result.is_ok();
                        self.finish_fetch(id, result, cluster_id).await;
                        let pass = match (partitions, fetch.take_queued()) {
                            (_, Some(queued)) => {
                                fetch.start(queued, &self);
                                true
                            }
                            (Some(partitions), None) => {
                                fetch.start_pass(partitions, &self);
                                true
                            }
                            (None, None) => false,
                        };
                        if !pass {
                            // Paced on its cost only when it fetched everything: a fetch
                            // that waited on a broker that is down is slow without being
                            // costly, and the next one should see the cluster change soon.
                            self.refreshed(&mut fetch, &mut ticker, fetched);
                        }
                    }
                    Finished::Watermarks(end) => {
                        self.emit(KafkaEvent::WatermarksDone {
                            pass: end.pass,
                            asked: end.asked,
                            answered: end.answered,
                        })
                        .await;
                        self.refreshed(&mut fetch, &mut ticker, end.answered == end.asked);
                    }
                },
            }
        }
        fetch.cancel();
        for stop in self.tails.values() {
            stop.store(true, Ordering::Relaxed);
        }
        for stop in self.feeds.values() {
            stop.stop();
        }
        self.flush().await
    }

    /// A refresh ended (`whole`: everything it asked answered): the request that waited
    /// for it starts, or the next periodic one is paced on what this one cost.
    fn refreshed(
        &self,
        fetch: &mut MetadataFetch,
        ticker: &mut tokio::time::Interval,
        whole: bool,
    ) {
        let pause = fetch.pause(self.options.refresh_every, whole);
        if let Some(id) = fetch.take_queued() {
            fetch.start(id, self);
        }
        ticker.reset_after(pause);
    }

    /// Handles one command on the current cluster.
    fn dispatch(&mut self, command: Command, fetch: &mut MetadataFetch) {
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
                    let result = feed::apply_rules(&options, change).await;
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
            Command::RefreshMetadata { id } => fetch.request(id, self),
            Command::DescribeBrokers { id } => self.start_brokers(id),
            Command::ListSubjects { id } => self.start_schemas(id, None),
            Command::LoadSchema { id, choice } => self.start_encoder(id, choice),
            Command::DescribeSubject {
                id,
                subject,
                version,
            } => self.start_schemas(id, Some((subject, version))),
            Command::Watermarks { wanted, first } => {
                let again = wanted && !self.watermarks;
                self.watermarks = wanted;
                self.first = first;
                if again {
                    fetch.request(PERIODIC, self);
                } else if !wanted {
                    fetch.stop_pass();
                }
            }
            other if groups::is_group_command(&other) => self.start_groups(other),
            other => self.start_admin(other),
        }
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
}
