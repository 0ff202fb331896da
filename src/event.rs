//! One queue for everything the UI reacts to: terminal input, a slow tick, and worker
//! events. The run loop awaits one event, then drains whatever else is pending.
//!
//! Input comes first: keys, ticks and effect results travel on their own channel, which
//! is always read before the worker's. Under a firehose the worker's channel is never
//! empty, and a key must not wait behind the record batches queued ahead of it.

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::kafka::KafkaEvent;

/// The tick drives spinners, toast expiry and debounced requests; 4 Hz is plenty.
pub const TICK: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Key(KeyEvent),
    /// Bracketed paste: typed into the focused text field as one piece.
    Paste(String),
    Resize(u16, u16),
    Tick,
    Kafka(KafkaEvent),
    /// An export finished: what to tell the user.
    Exported(Result<String, String>),
    /// The terminal's input stream failed or closed.
    InputClosed(String),
}

/// The merged queue. Input producers hold clones of the sender; the worker's own bounded
/// channel means a flood of worker events slows the worker down rather than growing memory.
pub struct EventQueue {
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
    kafka: Option<mpsc::Receiver<KafkaEvent>>,
}

impl Default for EventQueue {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1024);
        Self {
            tx,
            rx,
            kafka: None,
        }
    }
}

impl EventQueue {
    pub fn sender(&self) -> mpsc::Sender<Event> {
        self.tx.clone()
    }

    /// Reads crossterm's event stream (key presses only, not releases).
    pub fn spawn_terminal_input(&self) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut stream = EventStream::new();
            while let Some(item) = stream.next().await {
                let event = match item {
                    Ok(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => Event::Key(key),
                    Ok(TermEvent::Paste(text)) => Event::Paste(text),
                    Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
                    Ok(_) => continue,
                    Err(error) => Event::InputClosed(error.to_string()),
                };
                let closing = matches!(event, Event::InputClosed(_));
                if tx.send(event).await.is_err() || closing {
                    return;
                }
            }
            let _ = tx.send(Event::InputClosed("end of input".into())).await;
        });
    }

    pub fn spawn_ticks(&self) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                if tx.send(Event::Tick).await.is_err() {
                    return;
                }
            }
        });
    }

    /// Takes the worker's events as the second, lower-priority source.
    pub fn attach_kafka(&mut self, events: mpsc::Receiver<KafkaEvent>) {
        self.kafka = Some(events);
    }

    /// The next event, input before worker events when both are ready.
    pub async fn next(&mut self) -> Option<Event> {
        let Some(kafka) = self.kafka.as_mut() else {
            return self.rx.recv().await;
        };
        tokio::select! {
            biased;
            Some(event) = self.rx.recv() => Some(event),
            event = kafka.recv() => {
                if let Some(event) = event {
                    Some(Event::Kafka(event))
                } else {
                    // The worker is gone: only input remains.
                    self.kafka = None;
                    self.rx.recv().await
                }
            }
        }
    }

    /// A pending event without waiting, input first.
    pub fn try_next(&mut self) -> Option<Event> {
        if let Ok(event) = self.rx.try_recv() {
            return Some(event);
        }
        self.kafka.as_mut()?.try_recv().ok().map(Event::Kafka)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::Connection;

    fn connecting() -> KafkaEvent {
        KafkaEvent::Connection(Connection::Connecting {
            address: "localhost:9092".into(),
        })
    }

    #[tokio::test]
    async fn a_key_is_served_before_a_backlog_of_worker_events() {
        let mut queue = EventQueue::default();
        let (kafka_tx, kafka_rx) = mpsc::channel(16);
        queue.attach_kafka(kafka_rx);
        for _ in 0..10 {
            kafka_tx.send(connecting()).await.unwrap();
        }
        let key = Event::Key(crossterm::event::KeyCode::Char('j').into());
        queue.sender().send(key.clone()).await.unwrap();
        assert_eq!(queue.next().await, Some(key.clone()));
        queue.sender().send(key.clone()).await.unwrap();
        assert_eq!(queue.try_next(), Some(key));
        let mut rest = 0;
        while let Some(event) = queue.try_next() {
            assert!(matches!(event, Event::Kafka(_)));
            rest += 1;
        }
        assert_eq!(rest, 10);
    }

    #[tokio::test]
    async fn input_still_flows_once_the_worker_is_gone() {
        let mut queue = EventQueue::default();
        let (kafka_tx, kafka_rx) = mpsc::channel(1);
        queue.attach_kafka(kafka_rx);
        drop(kafka_tx);
        let sender = queue.sender();
        tokio::spawn(async move { sender.send(Event::Tick).await });
        assert_eq!(queue.next().await, Some(Event::Tick));
    }
}
