//! `ktui produce`: messages from stdin or files to a topic, as fast as librdkafka takes
//! them. A summary goes to stderr; any failed message makes the exit code non-zero.

use std::io::{self, BufRead, BufReader, Read};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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
use crate::kafka::envelope::Envelope;
use crate::kafka::produce::{self, OutgoingMessage};

/// Input is read in large chunks: fewer system calls per line when input is a file or a
/// fast pipe, and a line typed at a terminal still goes out as soon as it is read.
const INPUT_BUFFER: usize = 1 << 20;

/// Counts deliveries and remembers why the first failures happened.
#[derive(Default)]
struct Counting {
    base: KtuiContext,
    delivered: AtomicU64,
    /// Every failure: bad input lines, refused sends and failed deliveries.
    failed: AtomicU64,
    /// The failed delivery reports among them.
    undelivered: AtomicU64,
    reasons: Mutex<Vec<String>>,
}

impl Counting {
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
    Ok(tokio::task::spawn_blocking(move || produce_all(&args, &settings)).await?)
}

fn produce_all(args: &ProduceArgs, settings: &ClientSettings) -> ExitCode {
    let producer: BaseProducer<Counting> =
        match produce::producer_config(settings).create_with_context(Counting::default()) {
            Ok(p) => p,
            Err(error) => {
                eprintln!("ktui: cannot create the producer: {error}");
                return ExitCode::from(2);
            }
        };
    let mut queued = 0u64;
    let mut send = |message: Outgoing<'_>| {
        if !send_one(&producer, &message) {
            return;
        }
        queued += 1;
        if queued.is_multiple_of(1024) {
            producer.poll(Duration::ZERO);
        }
    };
    let bad_line = |problem: String| producer.context().fail(problem);
    let read = if args.files.is_empty() {
        read_stream(
            args,
            BufReader::with_capacity(INPUT_BUFFER, io::stdin().lock()),
            &mut send,
            &bad_line,
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
                )
            } else {
                let mut value = Vec::new();
                BufReader::new(file)
                    .read_to_end(&mut value)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                send(text_message(args, None, &value));
                Ok(())
            }
        })
    };
    if let Err(problem) = read {
        producer.context().fail(problem);
    }
    flush(&producer, Duration::from_secs(30));
    let context = producer.context();
    let delivered = context.delivered.load(Ordering::Relaxed);
    // Messages queued that have no report yet (`in_flight_count` would also count queued
    // error events, e.g. "all brokers down", as if they were messages).
    let reported = delivered + context.undelivered.load(Ordering::Relaxed);
    let failed = context.failed.load(Ordering::Relaxed) + queued.saturating_sub(reported);
    let topic = crate::text::escape_control(&args.topic);
    if failed == 0 {
        eprintln!("ktui: produced {delivered} messages to {topic}");
        ExitCode::SUCCESS
    } else {
        let mut reasons = context
            .reasons
            .lock()
            .map(|r| r.join("; "))
            .unwrap_or_default();
        if let Some(why) = missing_topic(&producer, &args.topic) {
            reasons = format!("{why}; {reasons}");
        }
        eprintln!(
            "ktui: produced {delivered} messages to {topic}; {failed} failed: {}",
            crate::text::escape_control(&reasons)
        );
        ExitCode::from(1)
    }
}

/// Waits until every queued message has its delivery report, or `limit` passes.
/// rdkafka's own `flush` serves reports in 100 ms waits that always run to the end,
/// which adds up to a tenth of a second to every run; this waits in 1 ms steps.
fn flush(producer: &BaseProducer<Counting>, limit: Duration) {
    let deadline = Instant::now() + limit;
    // A zero-timeout flush wakes the brokers to send what is queued without lingering.
    while producer.flush(Duration::ZERO).is_err() && Instant::now() < deadline {
        producer.poll(Duration::from_millis(1));
    }
}

/// When sends time out, the usual cause is a topic that does not exist (and that the
/// broker did not auto-create): say so instead of only "timed out".
fn missing_topic(producer: &BaseProducer<Counting>, topic: &str) -> Option<String> {
    let metadata = producer
        .client()
        .fetch_metadata(Some(topic), Duration::from_secs(5))
        .ok()?;
    let error = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)?
        .error()?;
    (RDKafkaErrorCode::from(error) == RDKafkaErrorCode::UnknownTopicOrPartition).then(|| {
        format!(
            "topic {:?} does not exist (and the broker did not create it)",
            crate::text::escape_control(topic)
        )
    })
}

/// A message to queue, borrowed from the input line: the text path allocates nothing of
/// its own per message (librdkafka copies the bytes once).
struct Outgoing<'a> {
    topic: &'a str,
    partition: Option<i32>,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'a [crate::kafka::model::Header],
    timestamp: Option<i64>,
}

impl<'a> From<&'a OutgoingMessage> for Outgoing<'a> {
    fn from(m: &'a OutgoingMessage) -> Self {
        Self {
            topic: &m.topic,
            partition: m.partition,
            key: m.key.as_deref(),
            value: m.value.as_deref(),
            headers: &m.headers,
            timestamp: m.timestamp,
        }
    }
}

/// Queues one message, waiting for room when librdkafka's queue is full.
/// Queues one message; `false` (the failure counted) when librdkafka refuses it.
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
    loop {
        match producer.send(record) {
            Ok(()) => return true,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                // rdkafka's poll waits out its whole timeout even once reports have
                // arrived, so wait in short steps: the queue frees up within a millisecond
                // or two and a long wait here leaves the broker idle.
                producer.poll(Duration::from_millis(1));
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

/// A text-format message with the command line's key, headers and partition.
fn text_message<'a>(args: &'a ProduceArgs, key: Option<&'a [u8]>, value: &'a [u8]) -> Outgoing<'a> {
    Outgoing {
        topic: &args.topic,
        partition: args.partition,
        key: key.or_else(|| args.key.as_deref().map(str::as_bytes)),
        value: Some(value),
        headers: &args.headers,
        timestamp: None,
    }
}

fn read_stream(
    args: &ProduceArgs,
    input: impl BufRead,
    send: &mut dyn FnMut(Outgoing<'_>),
    bad_line: &dyn Fn(String),
) -> Result<(), String> {
    let mut reader = input;
    let mut line = Vec::with_capacity(4096);
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading input: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        match args.format {
            Format::Text => {
                let (key, value) = match &args.key_separator {
                    Some(sep) => split_key(&line, sep.as_bytes()),
                    None => (None, line.as_slice()),
                };
                send(text_message(args, key, value));
            }
            Format::Json => {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match envelope_message(args, &line) {
                    Ok(m) => send(Outgoing::from(&m)),
                    Err(problem) => {
                        // Counted as a failure; the rest of the input still goes out.
                        bad_line(format!("line {number}: {problem}"));
                    }
                }
            }
        }
    }
}

/// Splits at the first `sep`; a line without it is all value (kcat does the same).
fn split_key<'a>(line: &'a [u8], sep: &[u8]) -> (Option<&'a [u8]>, &'a [u8]) {
    if sep.is_empty() {
        return (None, line);
    }
    match line.windows(sep.len()).position(|w| w == sep) {
        Some(i) => (Some(&line[..i]), &line[i + sep.len()..]),
        None => (None, line),
    }
}

fn envelope_message(args: &ProduceArgs, line: &[u8]) -> Result<OutgoingMessage, String> {
    let envelope: Envelope =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON envelope: {e}"))?;
    let (key, value, headers) = envelope.payload()?;
    let mut all_headers = headers;
    all_headers.extend(args.headers.iter().cloned());
    Ok(OutgoingMessage {
        topic: args.topic.clone(),
        partition: args.partition.or(envelope.partition),
        key: key.or_else(|| args.key.as_ref().map(|k| k.as_bytes().to_vec())),
        value,
        headers: all_headers,
        timestamp: envelope.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_separator_splits_at_the_first_match() {
        assert_eq!(split_key(b"k:v:w", b":"), (Some(&b"k"[..]), &b"v:w"[..]));
        assert_eq!(split_key(b"novalue", b":"), (None, &b"novalue"[..]));
        assert_eq!(split_key(b"a=>b", b"=>"), (Some(&b"a"[..]), &b"b"[..]));
    }
}
