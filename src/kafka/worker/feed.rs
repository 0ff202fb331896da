//! The feed bridge: runs a post source and publishes every post into a topic
//! (key = post id, value = the normalised JSON or the text, a `source` header).
//! Delivery failures are counted and reported, never dropped silently.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rdkafka::message::{Header as RdHeader, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::mpsc;

use super::super::client::KtuiContext;
use super::super::produce;
use super::super::tail::Flow;
use super::protocol::{FeedCounts, FeedJob, FeedUpdate, RulesChange, ValueFormat};
use crate::feed::stop::Stop;
use crate::feed::{Post, SourceEvent, run_source};

/// How often counts are reported.
const REPORT: Duration = Duration::from_millis(500);

fn encode(post: &Post, format: ValueFormat) -> Vec<u8> {
    match format {
        ValueFormat::Json => serde_json::to_vec(post).unwrap_or_default(),
        ValueFormat::Text => post.text.as_bytes().to_vec(),
    }
}

/// Runs `job` until its source stops for good, `stop` fires, or `sink` (which gets every
/// update) says stop.
pub async fn run_bridge<S, F>(
    job: FeedJob,
    producer: FutureProducer<KtuiContext>,
    mut sink: S,
    stop: Stop,
) where
    S: FnMut(FeedUpdate) -> F,
    F: Future<Output = Flow>,
{
    let (tx, mut posts) = mpsc::channel(1024);
    let source = tokio::spawn(run_source(job.source.clone(), tx, stop));
    let mut counts = FeedCounts::default();
    let mut pending = FuturesUnordered::new();
    let mut ticker = tokio::time::interval(REPORT);
    let mut source_done = false;
    loop {
        tokio::select! {
            event = posts.recv(), if !source_done => match event {
                None => source_done = true,
                Some(SourceEvent::State(state)) => {
                    if sink(FeedUpdate::State(state)).await == Flow::Stop {
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
                if sink(FeedUpdate::Counts(counts.clone())).await == Flow::Stop {
                    break;
                }
                if source_done && pending.is_empty() {
                    break;
                }
            }
        }
    }
    source.abort();
    let _ = sink(FeedUpdate::Counts(counts)).await;
}

/// Applies a rules change, then lists the rules as the API now has them.
pub(super) async fn apply_rules(
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
