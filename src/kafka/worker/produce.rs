//! Sending: one message at a time from Compose (each with its delivery report), and the
//! feed bridges that publish a post source into a topic.

use std::time::Duration;

use rdkafka::producer::FutureRecord;

use super::super::produce::{self, DeliveryReport, OutgoingMessage};
use super::super::tail::Flow;
use super::protocol::{FeedJob, FeedUpdate, KafkaEvent, RequestId};
use super::{Worker, feed};

impl Worker {
    /// Runs a feed bridge; its updates flow back as `KafkaEvent::Feed`.
    pub(super) fn start_feed(&mut self, id: RequestId, job: FeedJob) {
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
        let sink = move |update| {
            let events = events.clone();
            async move {
                match events.send(KafkaEvent::Feed { id, update }).await {
                    Ok(()) => Flow::Continue,
                    Err(_) => Flow::Stop,
                }
            }
        };
        tokio::spawn(feed::run_bridge(job, producer, sink, stop));
    }

    /// Sends one message on a task of its own and reports the delivery.
    pub(super) fn produce(&mut self, id: RequestId, message: OutgoingMessage) {
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
}
