//! One queue for everything the UI reacts to: terminal input, a slow tick, and worker
//! events. The run loop awaits one event, then drains whatever else is pending.

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

/// The merged queue. Producers hold clones of the sender; a bounded channel means a
/// flood of worker events slows the worker down rather than growing memory.
pub struct EventQueue {
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
}

impl Default for EventQueue {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1024);
        Self { tx, rx }
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

    /// Moves the worker's events into this queue.
    pub fn forward_kafka(&self, mut events: mpsc::Receiver<KafkaEvent>) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if tx.send(Event::Kafka(event)).await.is_err() {
                    return;
                }
            }
        });
    }

    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}
