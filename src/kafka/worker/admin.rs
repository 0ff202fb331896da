//! Metadata refreshes (one at a time, latest wins) and the admin requests (configs,
//! create and delete topics), each off the worker loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::super::admin;
use super::super::model::{ClusterSnapshot, Connection};
use super::Worker;
use super::protocol::{Command, KafkaEvent, PERIODIC, RequestId};

type SnapshotResult = Result<ClusterSnapshot, String>;
/// What a metadata fetch brings back: the snapshot, and the cluster id when it was asked.
type Fetched = (SnapshotResult, Option<String>);

/// How a watermarks pass ended: partitions asked, and how many answered.
#[derive(Debug, Clone, Copy)]
pub(super) struct PassEnd {
    pub pass: u64,
    pub asked: usize,
    pub answered: usize,
}

/// What runs of a refresh: first the metadata, then (while the Topics tab shows them)
/// a pass over every partition's watermarks that streams its answers to the UI.
enum Phase {
    Metadata(JoinHandle<Fetched>),
    Watermarks {
        task: JoinHandle<PassEnd>,
        stop: Arc<AtomicBool>,
    },
}

/// What [`MetadataFetch::finished`] reports.
pub(super) enum Finished {
    Metadata(RequestId, Fetched),
    Watermarks(PassEnd),
}

/// The refresh in flight (metadata, then its watermarks pass), and the request that waits
/// for it. At most one runs at a time; a request made meanwhile waits for the metadata
/// (latest wins) or ends a watermarks pass early, and periodic ticks are skipped, so
/// refreshes never pile up.
#[derive(Default)]
pub(super) struct MetadataFetch {
    /// The running phase, and the request it answers.
    phase: Option<Phase>,
    id: RequestId,
    /// A request made while one ran.
    queued: Option<RequestId>,
    /// When the running (or last) refresh started.
    started: Option<std::time::Instant>,
    /// Whether the last refresh that ended brought everything back.
    last_whole: bool,
    /// The last watermarks pass started (passes are numbered from 1, never reused).
    pass: u64,
}

/// The next periodic fetch waits this many times as long as the last one took (and at
/// least the refresh interval): a cluster whose metadata and watermarks take a second to
/// fetch (30,000 partitions) is asked every 10 s rather than kept busy.
const SLOWDOWN: u32 = 10;

impl MetadataFetch {
    pub(super) fn idle(&self) -> bool {
        self.phase.is_none()
    }

    /// Starts a fetch for `id` now, or after the metadata being fetched; a watermarks
    /// pass is cut short for it (what it brought so far is kept).
    pub(super) fn request(&mut self, id: RequestId, worker: &Worker) {
        match &self.phase {
            None | Some(Phase::Watermarks { .. }) => self.start(id, worker),
            Some(Phase::Metadata(_)) => self.queued = Some(id),
        }
    }

    /// Starts a metadata fetch, ending what runs.
    pub(super) fn start(&mut self, id: RequestId, worker: &Worker) {
        self.end_phase();
        self.phase = Some(Phase::Metadata(worker.start_fetch()));
        self.id = id;
        self.started = Some(std::time::Instant::now());
    }

    /// Starts the watermarks pass over `partitions` that follows a metadata fetch.
    pub(super) fn start_pass(&mut self, partitions: Vec<(String, i32)>, worker: &Worker) {
        self.end_phase();
        self.pass += 1;
        let stop = Arc::new(AtomicBool::new(false));
        let task = worker.start_pass(self.pass, partitions, Arc::clone(&stop));
        self.phase = Some(Phase::Watermarks { task, stop });
    }

    /// Ends a watermarks pass early (the Topics tab is gone): what it brought is kept.
    pub(super) fn stop_pass(&mut self) {
        if matches!(self.phase, Some(Phase::Watermarks { .. })) {
            self.end_phase();
        }
    }

    fn end_phase(&mut self) {
        match self.phase.take() {
            Some(Phase::Metadata(task)) => task.abort(),
            // Its threads end after their round trip in flight.
            Some(Phase::Watermarks { stop, .. }) => stop.store(true, Ordering::Relaxed),
            None => {}
        }
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
        self.end_phase();
        self.queued = None;
        self.last_whole = false;
    }

    /// Waits for the running phase to end: the metadata with its request id, or the
    /// watermarks pass. Pending for ever when none runs (the loop's guard disables the
    /// branch then).
    pub(super) async fn finished(&mut self) -> Finished {
        let finished = match &mut self.phase {
            None => return std::future::pending().await,
            Some(Phase::Metadata(task)) => {
                let fetched = task
                    .await
                    .unwrap_or_else(|e| (Err(format!("metadata task failed: {e}")), None));
                Finished::Metadata(std::mem::replace(&mut self.id, PERIODIC), fetched)
            }
            Some(Phase::Watermarks { task, .. }) => {
                Finished::Watermarks(task.await.unwrap_or(PassEnd {
                    pass: self.pass,
                    asked: 1,
                    answered: 0,
                }))
            }
        };
        self.phase = None;
        finished
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
        tokio::task::spawn_blocking(move || {
            let fetched = admin::fetch_metadata(&consumer, timeout);
            admin::serve_events(&consumer);
            match fetched {
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

    /// Asks `partitions` (led ones, the topics on screen first) for their watermarks,
    /// sending each round trip's answers to the UI as `KafkaEvent::Watermarks`. Answers
    /// that come back after the pass was ended (a cluster switch) are dropped.
    fn start_pass(
        &self,
        pass: u64,
        partitions: Vec<(String, i32)>,
        stop: Arc<AtomicBool>,
    ) -> JoinHandle<PassEnd> {
        let asked = partitions.len();
        let consumer = self.clients.as_ref().map(|c| Arc::clone(&c.consumer));
        let events = self.events.clone();
        let timeout = self.options.request_timeout;
        tokio::task::spawn_blocking(move || {
            let Some(consumer) = consumer else {
                return PassEnd {
                    pass,
                    asked,
                    answered: 0,
                };
            };
            let answered = super::super::watermarks::fetch_watermarks(
                &consumer,
                &partitions,
                timeout,
                &stop,
                |ends| {
                    if stop.load(Ordering::Relaxed)
                        || events
                            .blocking_send(KafkaEvent::Watermarks { pass, ends })
                            .is_err()
                    {
                        stop.store(true, Ordering::Relaxed);
                    }
                },
            );
            admin::serve_events(&consumer);
            PassEnd {
                pass,
                asked,
                answered,
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
                | Command::DescribeBrokers { .. }
                | Command::ListSubjects { .. }
                | Command::DescribeSubject { .. }
                | Command::LoadSchema { .. }
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
