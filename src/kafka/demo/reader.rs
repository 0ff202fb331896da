//! A consumer group the demo runs beside its trickle, so the Groups tab has something alive
//! to show on first launch: `shop-dashboard` reads `sample` in bursts (a few seconds of
//! reading and a commit, then a pause), so its lag rises and falls like a real consumer's.
//! It connects through the front, as any client does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};

/// The demo's own consumer group.
pub const GROUP: &str = "shop-dashboard";
/// Reading, then not reading, in turns.
const READ_FOR: Duration = Duration::from_secs(4);
const PAUSE_FOR: Duration = Duration::from_secs(16);

/// The running reader; stops (leaving the group) when dropped.
pub struct Reader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    pub fn start(bootstrap: &str) -> anyhow::Result<Self> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", GROUP)
            .set("client.id", GROUP)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("log_level", "3")
            .create()?;
        consumer.subscribe(&["sample"])?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("ktui-demo-reader".into())
            .spawn(move || run(&consumer, &flag))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(consumer: &BaseConsumer, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let reading = Instant::now() + READ_FOR;
        while Instant::now() < reading && !stop.load(Ordering::Relaxed) {
            let _ = consumer.poll(Duration::from_millis(200));
        }
        let _ = consumer.commit_consumer_state(CommitMode::Sync);
        // Not polling: nothing more is read (librdkafka heartbeats on its own thread,
        // well within max.poll.interval.ms), so the lag grows until the next turn.
        let pause = Instant::now() + PAUSE_FOR;
        while Instant::now() < pause && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = consumer.commit_consumer_state(CommitMode::Sync);
    consumer.unsubscribe();
}
