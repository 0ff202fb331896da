//! A producer pushing at a fixed rate (or flat out) while a tool watches the topic.

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};

use ktui::kafka::demo::DemoCluster;

use super::mock::create_topic;
use super::tools::{probe, strings};

/// One firehose at a time into a fresh topic, with a tool watching it.
pub(crate) struct Hose<'a> {
    pub(crate) rt: &'a tokio::runtime::Runtime,
    pub(crate) demo: &'a DemoCluster,
    pub(crate) payload: &'a [u8],
    pub(crate) partitions: i32,
    pub(crate) secs: f64,
    pub(crate) probes: usize,
}

impl Hose<'_> {
    /// How long a watcher runs: the delay, the firehose, and two seconds to catch up.
    pub(crate) fn window(&self) -> Duration {
        Duration::from_secs_f64(FIREHOSE_DELAY + self.secs + 2.0)
    }

    /// Creates `topic`, starts the firehose after `FIREHOSE_DELAY` and runs `watch` on
    /// the topic meanwhile; returns what `watch` returned and the records produced.
    pub(crate) fn run<T>(
        &self,
        topic: &str,
        rate: Option<u64>,
        watch: impl FnOnce(&str) -> T,
    ) -> (T, u64) {
        create_topic(self.rt, self.demo, topic, self.partitions);
        let producer = {
            let (bootstrap, topic) = (self.demo.mock_bootstrap.clone(), topic.to_string());
            let (payload, secs) = (self.payload.to_vec(), self.secs);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs_f64(FIREHOSE_DELAY));
                firehose(&bootstrap, &topic, &payload, rate, secs)
            })
        };
        let watched = watch(topic);
        (watched, producer.join().expect("firehose thread"))
    }

    /// The pty probe on a TUI during a firehose: keys are probed from 40% of the way
    /// in, and the UI stays up until the last record had time to arrive.
    pub(crate) fn probe_tui(
        &self,
        args: &[&str],
        argv: &[&str],
        env: &[String],
    ) -> serde_json::Value {
        let mut all = strings(args);
        all.extend([
            "--hold".into(),
            format!("{:.1}", FIREHOSE_DELAY + self.secs * 0.4),
            "--probes".into(),
            self.probes.to_string(),
            "--min-elapsed".into(),
            format!("{:.1}", self.window().as_secs_f64()),
        ]);
        probe(&all, &strings(argv), env)
    }
}

/// Pushes `payload` into `topic` at `rate` msg/s (or flat out) for `seconds`; returns how
/// many records the broker confirmed.
pub(crate) fn firehose(
    bootstrap: &str,
    topic: &str,
    payload: &[u8],
    rate: Option<u64>,
    seconds: f64,
) -> u64 {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("firehose producer");
    let started = Instant::now();
    let mut n: u64 = 0;
    loop {
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed >= seconds {
            break;
        }
        if let Some(rate) = rate {
            let due = (elapsed * rate as f64) as u64;
            if n >= due {
                producer.poll(Duration::from_millis(1));
                continue;
            }
        }
        let record: BaseRecord<'_, (), [u8]> = BaseRecord::to(topic).payload(payload);
        match producer.send(record) {
            Ok(()) => {
                n += 1;
                if n.is_multiple_of(1024) {
                    producer.poll(Duration::ZERO);
                }
            }
            Err(_) => {
                producer.poll(Duration::from_millis(1));
            }
        }
    }
    let _ = producer.flush(Duration::from_secs(30));
    n - u64::try_from(producer.in_flight_count()).unwrap_or(0)
}

/// The TUI's start: the firehose begins this long after launch, once the tail is live.
pub(crate) const FIREHOSE_DELAY: f64 = 1.5;
