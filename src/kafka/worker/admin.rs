//! Metadata refreshes (one at a time, latest wins) and the admin requests (configs,
//! create and delete topics), each off the worker loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::super::admin;
use super::super::model::{ClusterSnapshot, Connection};
use super::protocol::{Command, KafkaEvent, PERIODIC, RequestId};
use super::{Worker, joined};

type SnapshotResult = Result<ClusterSnapshot, String>;
/// What a metadata fetch brings back: the snapshot, and the cluster id when it was asked.
type Fetched = (SnapshotResult, Option<String>);

/// The metadata fetch in flight, and the request that waits for it to end. At most one
/// runs at a time; a request made meanwhile waits (latest wins) and periodic ticks are
/// skipped, so refreshes never pile up.
#[derive(Default)]
pub(super) struct MetadataFetch {
    /// The running fetch and the request it answers.
    task: Option<JoinHandle<Fetched>>,
    id: RequestId,
    /// A request made while one ran.
    queued: Option<RequestId>,
    /// When the running (or last) fetch started.
    started: Option<std::time::Instant>,
    /// Whether the last fetch that ended brought everything back.
    last_whole: bool,
}

/// The next periodic fetch waits this many times as long as the last one took (and at
/// least the refresh interval): a cluster whose metadata and watermarks take a second to
/// fetch (30,000 partitions) is asked every 10 s rather than kept busy.
const SLOWDOWN: u32 = 10;

impl MetadataFetch {
    pub(super) fn idle(&self) -> bool {
        self.task.is_none()
    }

    /// Starts a fetch for `id` now, or after the one running.
    pub(super) fn request(&mut self, id: RequestId, worker: &Worker) {
        if self.idle() {
            self.start(id, worker);
        } else {
            self.queued = Some(id);
        }
    }

    /// Starts a fetch (replacing one that runs, which the callers avoid).
    pub(super) fn start(&mut self, id: RequestId, worker: &Worker) {
        if let Some(old) = self.task.replace(worker.start_fetch()) {
            old.abort();
        }
        self.id = id;
        self.started = Some(std::time::Instant::now());
    }

    /// The pause before the next periodic fetch, once the one running has ended: paced on
    /// what it cost when it `succeeded` whole, and so did the one before; otherwise only
    /// `floor`. A failure or a partial answer is often a timeout against a broker that is
    /// down, and the first whole answer after one is often slow because the cluster is
    /// still settling (leaders moving, a broker loading its logs): neither is what a
    /// refresh costs, and the cluster's changes should be seen soon.
    pub(super) fn pause(&mut self, floor: Duration, succeeded: bool) -> Duration {
        let steady = succeeded && self.last_whole;
        self.last_whole = succeeded;
        let took = self
            .started
            .filter(|_| steady)
            .map_or(Duration::ZERO, |s| s.elapsed());
        floor.max(took.saturating_mul(SLOWDOWN))
    }

    /// Drops the running fetch and the waiting request (a cluster switch, shutdown).
    pub(super) fn cancel(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.queued = None;
        self.last_whole = false;
    }

    /// Waits for the running fetch to end: its request id and what it brought. Pending
    /// for ever when none runs (the loop's guard disables the branch then).
    pub(super) async fn finished(&mut self) -> (RequestId, Fetched) {
        let fetched = joined(&mut self.task)
            .await
            .unwrap_or_else(|e| (Err(format!("metadata task failed: {e}")), None));
        (std::mem::replace(&mut self.id, PERIODIC), fetched)
    }

    /// The request that waited for the fetch that just ended.
    pub(super) fn take_queued(&mut self) -> Option<RequestId> {
        self.queued.take()
    }
}

impl Worker {
    fn start_fetch(&self) -> JoinHandle<Fetched> {
        let consumer = match (&self.clients, &self.options.broken) {
            (Some(clients), None) => Arc::clone(&clients.consumer),
            (_, broken) => {
                let reason = broken.clone().unwrap_or_else(|| "no Kafka clients".into());
                return tokio::task::spawn_blocking(move || (Err(reason), None));
            }
        };
        let timeout = self.options.request_timeout;
        let need_id = self.cluster_id.is_none();
        let watermarks = self.watermarks;
        tokio::task::spawn_blocking(move || {
            match admin::fetch_snapshot(&consumer, timeout, watermarks) {
                Ok(snapshot) => {
                    let id = if need_id {
                        admin::fetch_cluster_id(&consumer, Duration::from_secs(2))
                    } else {
                        None
                    };
                    (Ok(snapshot), id)
                }
                Err(error) => (Err(admin::describe_kafka_error(&error)), None),
            }
        })
    }

    pub(super) async fn finish_fetch(
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
                let unreachable =
                    super::super::model::missing_brokers(&snapshot, &mut self.seen_brokers);
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

    pub(super) fn start_admin(&self, command: Command) {
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
                | Command::Watermarks { .. }
                | Command::StartTail { .. }
                | Command::StopTail { .. }
                | Command::Produce { .. }
                | Command::StartFeed { .. }
                | Command::StopFeed { .. }
                | Command::FeedRules { .. }
                | Command::Connect { .. }
                | Command::ListGroups { .. }
                | Command::DescribeGroup { .. }
                | Command::PlanReset { .. }
                | Command::ApplyReset { .. }
                | Command::DeleteGroup { .. }
                | Command::DeleteGroupOffsets { .. }
                | Command::Shutdown => return,
            };
            let _ = events.send(event).await;
        });
    }
}
