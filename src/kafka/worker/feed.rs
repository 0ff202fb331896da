//! The feed bridge: runs a post source and publishes every post into a topic
//! (key = post id, value = the normalised JSON or the text, a `source` header).
//! Delivery failures are counted and reported, never dropped silently.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rdkafka::message::{Header as RdHeader, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::mpsc;

use super::client::KtuiContext;
use super::produce;
use super::worker::{KafkaEvent, RequestId};
use crate::feed::stop::Stop;
use crate::feed::{FeedState, Post, SourceEvent, SourceSpec, run_source};

/// What each record's value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ValueFormat {
    /// The normalised post as JSON.
    #[default]
    Json,
    /// Only the text (the quickstart's format).
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedJob {
    pub source: SourceSpec,
    pub topic: String,
    pub value: ValueFormat,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCounts {
    pub received: u64,
    pub published: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedUpdate {
    State(FeedState),
    Counts(FeedCounts),
}

/// How often counts are reported.
const REPORT: Duration = Duration::from_millis(500);

fn encode(post: &Post, format: ValueFormat) -> Vec<u8> {
    match format {
        ValueFormat::Json => serde_json::to_vec(post).unwrap_or_default(),
        ValueFormat::Text => post.text.as_bytes().to_vec(),
    }
}

/// Runs `job` until its source stops for good or `stop` fires.
pub async fn run_bridge(
    id: RequestId,
    job: FeedJob,
    producer: FutureProducer<KtuiContext>,
    events: mpsc::Sender<KafkaEvent>,
    stop: Stop,
) {
    let (tx, mut posts) = mpsc::channel(1024);
    let source = tokio::spawn(run_source(job.source.clone(), tx, stop));
    let mut counts = FeedCounts::default();
    let mut pending = FuturesUnordered::new();
    let mut ticker = tokio::time::interval(REPORT);
    let mut source_done = false;
    let send = |update: FeedUpdate| {
        let events = events.clone();
        async move { events.send(KafkaEvent::Feed { id, update }).await.is_ok() }
    };
    loop {
        tokio::select! {
            event = posts.recv(), if !source_done => match event {
                None => source_done = true,
                Some(SourceEvent::State(state)) => {
                    if !send(FeedUpdate::State(state)).await {
                        break;
                    }
                }
                Some(SourceEvent::Post(post)) => {
                    counts.received += 1;
                    let value = encode(&post, job.value);
                    let headers = OwnedHeaders::new().insert(RdHeader {
                        key: "source",
                        value: Some(post.source.as_bytes()),
                    });
                    let record = FutureRecord::to(&job.topic)
                        .key(post.id.as_bytes())
                        .payload(&value)
                        .headers(headers);
                    match producer.send_result(record) {
                        Ok(delivery) => pending.push(delivery),
                        Err((error, _)) => {
                            counts.failed += 1;
                            counts.last_error = Some(produce::failure(&error).message);
                        }
                    }
                }
            },
            Some(delivered) = pending.next(), if !pending.is_empty() => match delivered {
                Ok(Ok(_)) => counts.published += 1,
                Ok(Err((error, _))) => {
                    counts.failed += 1;
                    let f = produce::failure(&error);
                    counts.last_error = Some(format!("{} ({})", f.message, f.code));
                }
                Err(_) => {
                    counts.failed += 1;
                    counts.last_error = Some("the producer was closed".into());
                }
            },
            _ = ticker.tick() => {
                if !send(FeedUpdate::Counts(counts.clone())).await {
                    break;
                }
                if source_done && pending.is_empty() {
                    break;
                }
            }
        }
    }
    source.abort();
    let _ = send(FeedUpdate::Counts(counts)).await;
}
