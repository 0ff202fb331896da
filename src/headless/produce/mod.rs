//! `ktui produce`: messages from stdin or files to a topic, as fast as librdkafka takes
//! them. The cluster and the topic are checked before any input is read; empty lines are
//! skipped (kcat's way) unless `--keep-empty`. A summary goes to stderr; any message not
//! confirmed by the broker makes the exit code non-zero.

use std::io::{self, BufReader, Read};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;

use crate::cli::{Format, ProduceArgs};
use crate::kafka::ClientSettings;
use crate::kafka::client::KtuiContext;
use crate::kafka::produce;
use crate::schema::{Encoder, LocalProto, NO_REGISTRY, SchemaChoice, Schemas};

mod input;
mod summary;

use input::{INPUT_BUFFER, Outgoing, read_stream, text_message};
use summary::report;

/// Counts deliveries and remembers why the first failures happened.
#[derive(Default)]
struct Counting {
    base: KtuiContext,
    /// Messages librdkafka took.
    queued: AtomicU64,
    /// Empty input lines left out.
    skipped: AtomicU64,
    /// Interrupted (Ctrl-C, SIGTERM): send nothing more, leave the summary to the
    /// interrupt.
    stopped: AtomicBool,
    delivered: AtomicU64,
    /// Every failure: bad input lines, refused sends and failed deliveries.
    failed: AtomicU64,
    /// The failed delivery reports among them.
    undelivered: AtomicU64,
    reasons: Mutex<Vec<String>>,
}

impl Counting {
    /// Delivery reports received, good or bad.
    fn reported(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed) + self.undelivered.load(Ordering::Relaxed)
    }

    fn fail(&self, reason: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut reasons) = self.reasons.lock()
            && !reasons.contains(&reason)
            && reasons.len() < 5
        {
            reasons.push(reason);
        }
    }
}

impl ClientContext for Counting {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.base.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.base.error(error, reason);
    }
}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, (): ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                self.undelivered.fetch_add(1, Ordering::Relaxed);
                let f = produce::failure(error);
                self.fail(format!("{} ({})", f.message, f.code));
            }
        }
    }
}

pub async fn run(args: ProduceArgs, settings: ClientSettings) -> anyhow::Result<ExitCode> {
    let config = produce::producer_config(&settings);
    let producer: Arc<BaseProducer<Counting>> =
        match config.create_with_context(Counting::default()) {
            Ok(p) => Arc::new(p),
            Err(error) => {
                super::note(&format!("ktui: cannot create the producer: {error}"));
                return Ok(ExitCode::from(2));
            }
        };
    // Every message has its report by librdkafka's message timeout; a little more for
    // the report to arrive.
    let timeout_ms: u64 = config
        .get("message.timeout.ms")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(15_000);
    let limit = Duration::from_millis(timeout_ms) + Duration::from_secs(5);
    let work = {
        let (args, producer) = (args.clone(), Arc::clone(&producer));
        tokio::task::spawn_blocking(move || produce_all(&args, &settings, &producer, limit))
    };
    tokio::select! {
        done = work => Ok(done?),
        // Ctrl-C or SIGTERM: no more input (a read of stdin may never return), but what
        // was queued still gets its reports (bounded) and the summary says how it went.
        signal_code = super::interrupted() => {
            // The reading task may go on (a read of stdin may never return): it queues
            // nothing more and prints nothing; this summary is the only one.
            producer.context().stopped.store(true, Ordering::Relaxed);
            let brokers = config.get("bootstrap.servers").unwrap_or_default().to_string();
            let code = tokio::task::spawn_blocking(move || {
                wait_for_reports(&producer, limit);
                report(&producer, &args, &brokers)
            })
            .await?;
            Ok(if code == ExitCode::SUCCESS { ExitCode::from(signal_code) } else { code })
        }
    }
}

/// A key and a value framed with their schemas (`None`: sent as they are).
type Framed = (Option<Vec<u8>>, Option<Vec<u8>>);

/// How keys or values are written: with a registry schema, or as a local `.proto` type
/// (raw, or framed with `--proto-schema-id`).
enum Writer {
    Registry(Encoder),
    Local(Arc<LocalProto>, Option<u32>),
}

/// The schemas `--value-subject` / `--key-subject` (or their ids), or `--proto-type` /
/// `--key-proto-type`, chose to write with.
struct Encoders {
    key: Option<Writer>,
    value: Option<Writer>,
}

impl Encoders {
    fn new(args: &ProduceArgs, settings: &ClientSettings) -> Result<Self, String> {
        let (key, value) = (args.schemas.key(), args.schemas.value());
        let local = settings
            .proto
            .as_ref()
            .map(LocalProto::shared)
            .transpose()?;
        if (key.is_some() || value.is_some() || local.is_some()) && args.format == Format::Json {
            return Err(
                "writing with a schema reads JSON lines (--format text): a --format \
                        json envelope carries bytes already"
                    .into(),
            );
        }
        let schemas = if key.is_some() || value.is_some() {
            let Some(registry) = &settings.schema_registry else {
                return Err(format!("writing with a registry schema: {NO_REGISTRY}"));
            };
            Some(Schemas::shared(registry)?)
        } else {
            None
        };
        let id = args.schemas.proto_schema_id;
        let writer = |choice: Option<SchemaChoice>,
                      local_type: Option<&str>,
                      what: &str|
         -> Result<Option<Writer>, String> {
            if let (Some(choice), Some(schemas)) = (choice, &schemas) {
                return schemas
                    .encoder(&choice)
                    .map(|e| Some(Writer::Registry(e)))
                    .map_err(|e| format!("the {what}'s schema: {e}"));
            }
            Ok(local
                .as_ref()
                .filter(|_| local_type.is_some())
                .map(|l| Writer::Local(Arc::clone(l), id)))
        };
        let value_type = local
            .as_ref()
            .and_then(|l| l.value_type().map(str::to_string));
        let key_type = local
            .as_ref()
            .and_then(|l| l.key_type().map(str::to_string));
        Ok(Self {
            key: writer(key, key_type.as_deref(), "key")?,
            value: writer(value, value_type.as_deref(), "value")?,
        })
    }

    /// The key and value framed with their schemas (`None`: sent as they are).
    fn encode(&self, message: &Outgoing<'_>) -> Result<Framed, String> {
        let key = match (&self.key, message.key) {
            (Some(writer), Some(key)) => {
                Some(write(writer, key, true).map_err(|e| format!("key: {e}"))?)
            }
            _ => None,
        };
        let value = match (&self.value, message.value) {
            (Some(writer), Some(value)) => {
                Some(write(writer, value, false).map_err(|e| format!("value: {e}"))?)
            }
            _ => None,
        };
        Ok((key, value))
    }
}

fn write(writer: &Writer, json: &[u8], key: bool) -> Result<Vec<u8>, String> {
    match writer {
        Writer::Registry(encoder) => encoder.encode(json),
        Writer::Local(local, id) => {
            let written = if key {
                local.encode_key(json, *id)
            } else {
                local.encode_value(json, *id)
            };
            written.unwrap_or_else(|| Err("no message type for it".into()))
        }
    }
}

/// How long the cluster has to answer before ktui says it cannot be reached (as
/// `ktui topics` and `ktui consume` wait).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest wait between two looks at the delivery reports: short enough to end
/// promptly, long enough that waiting on a slow or dead cluster costs no CPU.
const LONGEST_WAIT: Duration = Duration::from_millis(100);
/// How long without a delivery report before the waits grow.
const QUIET: Duration = Duration::from_millis(500);

fn produce_all(
    args: &ProduceArgs,
    settings: &ClientSettings,
    producer: &BaseProducer<Counting>,
    limit: Duration,
) -> ExitCode {
    // Before any input is read: an unreachable cluster or a missing topic is said in
    // words within the connect timeout, and the input is left unread.
    if let Err(problem) = check_target(producer, args, &settings.brokers) {
        super::note(&format!("ktui: {}", crate::text::escape_control(&problem)));
        return ExitCode::from(2);
    }
    let encoders = match Encoders::new(args, settings) {
        Ok(encoders) => encoders,
        Err(problem) => {
            super::note(&format!("ktui: {}", crate::text::escape_control(&problem)));
            return ExitCode::from(2);
        }
    };
    let mut queued = 0u64;
    let mut send = |message: Outgoing<'_>| -> Result<(), String> {
        let (key, value) = encoders.encode(&message)?;
        let message = Outgoing {
            key: key.as_deref().or(message.key),
            value: value.as_deref().or(message.value),
            ..message
        };
        if producer.context().stopped.load(Ordering::Relaxed) || !send_one(producer, &message) {
            return Ok(());
        }
        queued += 1;
        producer.context().queued.store(queued, Ordering::Relaxed);
        if queued.is_multiple_of(1024) {
            producer.poll(Duration::ZERO);
        }
        Ok(())
    };
    // Each refused line is said as it is met (the first hundred), and counted.
    let refused = AtomicU64::new(0);
    let bad_line = |problem: String| {
        let n = refused.fetch_add(1, Ordering::Relaxed);
        if n < 100 {
            super::note(&format!("ktui: {}", crate::text::escape_control(&problem)));
        } else if n == 100 {
            super::note("ktui: more refused lines are counted, not shown");
        }
        producer.context().fail(problem);
    };
    let skipped = &producer.context().skipped;
    let read = if args.files.is_empty() {
        read_stream(
            args,
            BufReader::with_capacity(INPUT_BUFFER, io::stdin().lock()),
            &mut send,
            &bad_line,
            skipped,
        )
    } else {
        args.files.iter().try_for_each(|path| {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if args.lines || args.format == Format::Json {
                read_stream(
                    args,
                    BufReader::with_capacity(INPUT_BUFFER, file),
                    &mut send,
                    &bad_line,
                    skipped,
                )
            } else {
                let mut value = Vec::new();
                BufReader::new(file)
                    .read_to_end(&mut value)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if let Err(problem) = send(text_message(args, None, &value)) {
                    bad_line(format!("{}: {problem}", path.display()));
                }
                Ok(())
            }
        })
    };
    if let Err(problem) = read {
        producer.context().fail(problem);
    }
    if producer.context().stopped.load(Ordering::Relaxed) {
        // Interrupted: the interrupt waits for the reports and prints the summary.
        return ExitCode::SUCCESS;
    }
    wait_for_reports(producer, limit);
    report(producer, args, &settings.brokers)
}

/// Whether the cluster answers and has the topic (and the partition `-p` names).
fn check_target(
    producer: &BaseProducer<Counting>,
    args: &ProduceArgs,
    brokers: &str,
) -> Result<(), String> {
    let metadata = producer
        .client()
        .fetch_metadata(Some(&args.topic), CONNECT_TIMEOUT)
        .map_err(|e| {
            // librdkafka's logs and errors (the connect failure that says why) reach
            // the context only when the producer is polled.
            producer.poll(Duration::from_millis(50));
            let reason = producer
                .context()
                .base
                .reason_for(&crate::kafka::admin::describe_kafka_error(&e));
            format!("cannot reach the cluster at {brokers}: {reason}")
        })?;
    let Some(topic) = metadata.topics().iter().find(|t| t.name() == args.topic) else {
        return Ok(());
    };
    match topic.error().map(RDKafkaErrorCode::from) {
        Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
            return Err(format!(
                "unknown topic {:?}: the cluster has no topic by that name",
                args.topic
            ));
        }
        Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
            return Err(format!(
                "topic {:?}: not authorised (TOPIC_AUTHORIZATION_FAILED)",
                args.topic
            ));
        }
        // Being created (auto-create), a leader election…: sending may still work.
        Some(_) => return Ok(()),
        None => {}
    }
    let count = topic.partitions().len();
    match args.partition {
        Some(p) if count > 0 && usize::try_from(p).map_or(true, |p| p >= count) => Err(format!(
            "topic {:?} has no partition {p} (it has 0-{})",
            args.topic,
            count - 1
        )),
        _ => Ok(()),
    }
}

/// Waits until every queued message has its delivery report, or `limit` passes.
/// rdkafka's `poll` always waits out its whole timeout, so while reports keep coming
/// (a broker answering within [`QUIET`]) it waits in 1 ms steps: the last batch's reports
/// are seen within a millisecond. Once nothing has arrived for [`QUIET`] (a dead or slow
/// cluster) the steps double up to [`LONGEST_WAIT`]: waited on, not spun on.
fn wait_for_reports(producer: &BaseProducer<Counting>, limit: Duration) {
    let deadline = Instant::now() + limit;
    // Once: wake the brokers to send what is queued without lingering.
    let _ = producer.flush(Duration::ZERO);
    let mut step = Duration::from_millis(1);
    let mut last_report = Instant::now();
    loop {
        let reported = producer.context().reported();
        let now = Instant::now();
        if reported >= producer.context().queued.load(Ordering::Relaxed) || now >= deadline {
            return;
        }
        producer.poll(step.min(deadline - now));
        if producer.context().reported() > reported {
            last_report = Instant::now();
            step = Duration::from_millis(1);
        } else if last_report.elapsed() >= QUIET {
            step = (step * 2).min(LONGEST_WAIT);
        }
    }
}

/// Queues one message, waiting for room when librdkafka's queue is full; `false` (the
/// failure counted) when librdkafka refuses it.
fn send_one(producer: &BaseProducer<Counting>, message: &Outgoing<'_>) -> bool {
    let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(message.topic);
    if let Some(key) = message.key {
        record = record.key(key);
    }
    if let Some(value) = message.value {
        record = record.payload(value);
    }
    if let Some(partition) = message.partition {
        record = record.partition(partition);
    }
    if let Some(ms) = message.timestamp {
        record = record.timestamp(ms);
    }
    if let Some(headers) = produce::headers(message.headers) {
        record = record.headers(headers);
    }
    let mut wait = Duration::from_millis(1);
    // Read only once the queue is full: a clock read per message is a measurable share
    // of a million sends.
    let mut full_since: Option<Instant> = None;
    loop {
        match producer.send(record) {
            Ok(()) => return true,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                // rdkafka's poll waits out its whole timeout even once reports have
                // arrived, so wait in 1 ms steps: the queue frees up within a millisecond
                // or two and a longer wait leaves the producer idle. Only while it stays
                // full for [`QUIET`] (a cluster gone quiet) do the steps grow: waiting,
                // not spinning.
                producer.poll(wait);
                if full_since.get_or_insert_with(Instant::now).elapsed() >= QUIET {
                    wait = (wait * 2).min(Duration::from_millis(10));
                }
            }
            Err((error, _)) => {
                let f = produce::failure(&error);
                producer
                    .context()
                    .fail(format!("{} ({})", f.message, f.code));
                return false;
            }
        }
    }
}
