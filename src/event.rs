//! One queue for everything the UI reacts to: terminal input, a slow tick, and worker
//! events. The run loop awaits one event, then drains whatever else is pending.
//!
//! Input comes first: keys, ticks and effect results travel on their own channel, which
//! is always read before the worker's. Under a firehose the worker's channel is never
//! empty, and a key must not wait behind the record batches queued ahead of it.
//!
//! A signal that asks ktui to stop (SIGTERM, SIGHUP, SIGINT, SIGQUIT) comes before both:
//! once one arrived the queue yields nothing more, the run loop ends as on `q`, and the
//! process exits with the signal's conventional status (128 + N, [`quit_signal`]).

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
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
    /// The Compose draft an earlier run left (the file's text), read at start.
    DraftRead(String),
}

/// A signal that asks ktui to quit: handled like `q` (the terminal restored, the worker
/// flushed), then the process exits with `128 + N` as if the signal had ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitSignal {
    /// SIGHUP: the terminal went away (a closed window, a dropped ssh session).
    Hangup,
    /// SIGINT sent from outside (in the TUI Ctrl-C is a key, not a signal).
    Interrupt,
    /// SIGQUIT.
    Quit,
    /// SIGTERM: asked to stop (`kill`, a service manager, a shutdown).
    Terminate,
}

impl QuitSignal {
    pub const ALL: [Self; 4] = [Self::Hangup, Self::Interrupt, Self::Quit, Self::Terminate];

    /// The signal's number (the same on every Unix for these four).
    pub const fn number(self) -> i32 {
        match self {
            Self::Hangup => 1,
            Self::Interrupt => 2,
            Self::Quit => 3,
            Self::Terminate => 15,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Hangup => "SIGHUP",
            Self::Interrupt => "SIGINT",
            Self::Quit => "SIGQUIT",
            Self::Terminate => "SIGTERM",
        }
    }

    /// The conventional exit status of a process this signal ended: 128 + N.
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::Hangup => 129,
            Self::Interrupt => 130,
            Self::Quit => 131,
            Self::Terminate => 143,
        }
    }

    fn kind(self) -> SignalKind {
        SignalKind::from_raw(self.number())
    }

    fn from_number(number: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.number() == number)
    }
}

/// The quit signal this process received, if any (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The signal that ended the interactive session, if one did: `main` exits with its code.
pub fn quit_signal() -> Option<QuitSignal> {
    QuitSignal::from_number(RECEIVED.load(Ordering::SeqCst))
}

/// The merged queue. Input producers hold clones of the sender; the worker's own bounded
/// channel means a flood of worker events slows the worker down rather than growing memory.
pub struct EventQueue {
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
    kafka: Option<mpsc::Receiver<KafkaEvent>>,
    signals: Option<mpsc::Receiver<QuitSignal>>,
    /// The quit signal that arrived: from then on the queue yields nothing.
    quit: Option<QuitSignal>,
}

impl Default for EventQueue {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1024);
        Self {
            tx,
            rx,
            kafka: None,
            signals: None,
            quit: None,
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

    /// Handles SIGTERM, SIGHUP, SIGINT and SIGQUIT from now on: each ends the session
    /// cleanly ([`EventQueue::quit_signal`]) instead of killing the process with the
    /// terminal in raw mode. Call it before taking over the terminal.
    pub fn spawn_signals(&mut self) -> std::io::Result<()> {
        let mut streams = Vec::with_capacity(QuitSignal::ALL.len());
        for which in QuitSignal::ALL {
            streams.push((which, signal(which.kind())?));
        }
        let (tx, rx) = mpsc::channel(QuitSignal::ALL.len());
        for (which, mut stream) in streams {
            let tx = tx.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    // The first one decides the exit status.
                    let _ = RECEIVED.compare_exchange(
                        0,
                        which.number(),
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    if tx.send(which).await.is_err() {
                        return;
                    }
                }
            });
        }
        self.signals = Some(rx);
        Ok(())
    }

    /// The quit signal that ended the queue, if one did.
    pub fn quit_signal(&mut self) -> Option<QuitSignal> {
        if self.quit.is_none()
            && let Some(signals) = self.signals.as_mut()
        {
            self.quit = signals.try_recv().ok();
        }
        self.quit
    }

    /// Takes the worker's events as the second, lower-priority source.
    pub fn attach_kafka(&mut self, events: mpsc::Receiver<KafkaEvent>) {
        self.kafka = Some(events);
    }

    /// The next event, input before worker events when both are ready. `None` once a
    /// quit signal arrived ([`EventQueue::quit_signal`] says which) or every source closed.
    pub async fn next(&mut self) -> Option<Event> {
        if self.quit_signal().is_some() {
            return None;
        }
        let Self {
            rx, kafka, signals, ..
        } = self;
        let next = tokio::select! {
            biased;
            Some(which) = next_signal(signals) => Err(which),
            event = next_event(rx, kafka) => Ok(event),
        };
        next.unwrap_or_else(|which| {
            self.quit = Some(which);
            None
        })
    }

    /// A pending event without waiting, quit signals first, then input.
    pub fn try_next(&mut self) -> Option<Event> {
        if self.quit_signal().is_some() {
            return None;
        }
        if let Ok(event) = self.rx.try_recv() {
            return Some(event);
        }
        self.kafka.as_mut()?.try_recv().ok().map(Event::Kafka)
    }
}

/// The next quit signal; never, without signal handling.
async fn next_signal(signals: &mut Option<mpsc::Receiver<QuitSignal>>) -> Option<QuitSignal> {
    match signals.as_mut() {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The next input or worker event, input first.
async fn next_event(
    rx: &mut mpsc::Receiver<Event>,
    kafka: &mut Option<mpsc::Receiver<KafkaEvent>>,
) -> Option<Event> {
    let Some(worker) = kafka.as_mut() else {
        return rx.recv().await;
    };
    tokio::select! {
        biased;
        Some(event) = rx.recv() => Some(event),
        event = worker.recv() => {
            if let Some(event) = event {
                Some(Event::Kafka(event))
            } else {
                // The worker is gone: only input remains.
                *kafka = None;
                rx.recv().await
            }
        }
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

    #[test]
    fn a_quit_signal_exits_with_128_plus_its_number() {
        for which in QuitSignal::ALL {
            assert_eq!(i32::from(which.exit_code()), 128 + which.number());
        }
        assert_eq!(QuitSignal::Terminate.exit_code(), 143);
        assert_eq!(QuitSignal::Hangup.exit_code(), 129);
    }

    #[tokio::test]
    async fn a_quit_signal_ends_the_queue_before_pending_input() {
        let mut queue = EventQueue::default();
        queue.spawn_signals().unwrap();
        queue.sender().send(Event::Tick).await.unwrap();
        let me = rustix::process::getpid();
        rustix::process::kill_process(me, rustix::process::Signal::HUP).unwrap();
        // The signal arrives asynchronously: input is served until it does, then nothing.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while queue.next().await.is_some() {
            assert!(tokio::time::Instant::now() < deadline, "no SIGHUP seen");
            queue.sender().send(Event::Tick).await.unwrap();
        }
        assert_eq!(queue.quit_signal(), Some(QuitSignal::Hangup));
        assert_eq!(quit_signal(), Some(QuitSignal::Hangup));
        assert_eq!(queue.try_next(), None, "nothing after the quit signal");
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
