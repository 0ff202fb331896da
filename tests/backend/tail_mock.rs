//! Layer 3 (fast half) for the Tail feature: the tail engine (`run_tail`), the worker's
//! `StartTail`/`StopTail` and the headless `ktui consume`, against librdkafka's mock
//! cluster over TCP (the cluster `--demo` runs), with kcat as the peer client.
//!
//! Every test starts its own mock cluster and makes its own topics. One test needs a real
//! broker (Apache Kafka, the shared node): the mock cluster cannot look offsets up by time.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ktui::kafka::envelope::{Encoding, Envelope, Payload};
use ktui::kafka::model::{Header, Record};
use ktui::kafka::position::{StartPosition, now_ms};
use ktui::kafka::tail::{Flow, TailEvent, TailSpec, run_tail};
use ktui::kafka::worker;
use ktui::kafka::{ClientSettings, Command, KafkaEvent, WorkerOptions};
use rdkafka::producer::FutureProducer;
use tempfile::TempDir;

use crate::support::broker::{MockCluster, Out, producer, send_all};
use crate::support::kafka;
use crate::support::peers::{kcat, kcat_available, kp};
use crate::support::process::{Ran, run_with_timeout};
use crate::support::worker::next_event;
use crate::support::{KTUI, poll_until, unique};

/// Bound for anything the cluster should deliver (it answers in milliseconds).
const DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// Fixtures

/// A mock cluster of its own and a producer on it.
/// Fields drop in order: the producer, then the cluster, then its runtime.
struct Mock {
    producer: FutureProducer,
    cluster: MockCluster,
    /// XDG_DATA_HOME for the ktui processes (their log file).
    data: TempDir,
}

impl Mock {
    fn start() -> Self {
        let cluster = MockCluster::start();
        Self {
            producer: producer(cluster.bootstrap()),
            cluster,
            data: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn bootstrap(&self) -> &str {
        self.cluster.bootstrap()
    }

    fn settings(&self) -> ClientSettings {
        self.cluster.settings()
    }

    /// Creates a uniquely named topic with this many partitions.
    fn topic(&self, prefix: &str, partitions: i32) -> String {
        self.cluster.topic(prefix, partitions)
    }

    /// Produces the records one at a time (each acknowledged before the next).
    /// Returns where each landed.
    fn produce(&self, topic: &str, records: &[Out]) -> Vec<(i32, i64)> {
        self.cluster
            .rt
            .block_on(send_all(&self.producer, topic, records))
    }

    /// `ktui -b BOOTSTRAP consume ARGS…`, run to completion (killed after the deadline).
    fn consume(&self, args: &[&str]) -> Ran {
        run_with_timeout(
            Process::new(KTUI)
                .args(["-b", self.bootstrap(), "consume"])
                .args(args)
                .env("XDG_DATA_HOME", self.data.path()),
            DEADLINE,
        )
    }
}

/// `run_tail` on a thread of its own, its events on a channel. Stopped on drop.
struct Tail {
    events: mpsc::Receiver<TailEvent>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Tail {
    fn start(settings: ClientSettings, spec: TailSpec) -> Self {
        let (tx, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut sink = |event: TailEvent| {
                if tx.send(event).is_ok() {
                    Flow::Continue
                } else {
                    Flow::Stop
                }
            };
            run_tail(&settings, &spec, &flag, &mut sink);
        });
        Self {
            events,
            stop,
            thread: Some(thread),
        }
    }

    /// The next event that matters (lag reports skipped), or `None` at the deadline or
    /// when the tail has ended.
    fn next(&self, until: Instant) -> Option<TailEvent> {
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(TailEvent::Lag(_)) => {}
                Ok(TailEvent::Warning(text)) => eprintln!("tail warning: {text}"),
                Ok(event) => return Some(event),
                Err(_) => return None,
            }
        }
    }

    /// Waits for `Started`; panics on anything else first.
    fn started(&self) -> Vec<i32> {
        match self.next(Instant::now() + DEADLINE) {
            Some(TailEvent::Started { partitions }) => partitions,
            other => panic!("expected Started first, got {other:?}"),
        }
    }

    /// With `exit_at_end`: every event through `ReachedEnd`, then the tail must end.
    /// Returns the partitions `Started` named and the records.
    fn run_to_end(mut self) -> (Vec<i32>, Vec<Record>) {
        let partitions = self.started();
        let until = Instant::now() + DEADLINE;
        let mut records = Vec::new();
        loop {
            match self.next(until) {
                Some(TailEvent::Records(batch)) => records.extend(batch),
                Some(TailEvent::ReachedEnd) => break,
                other => panic!("before ReachedEnd: got {other:?}; records so far {records:#?}"),
            }
        }
        // run_tail returns after ReachedEnd: the channel closes with nothing more on it.
        match self.events.recv_timeout(DEADLINE) {
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
            other => panic!("run_tail went on after ReachedEnd: {other:?}"),
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the tail thread does not panic");
        }
        (partitions, records)
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn spec(topic: &str, start: StartPosition, exit_at_end: bool) -> TailSpec {
    TailSpec {
        start,
        exit_at_end,
        ..TailSpec::new(topic)
    }
}

fn text(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or(b"<null>")).into_owned()
}

/// Records as partition → [(offset, value)], in the order each partition delivered them.
fn by_partition(records: &[Record]) -> BTreeMap<i32, Vec<(i64, String)>> {
    let mut out: BTreeMap<i32, Vec<(i64, String)>> = BTreeMap::new();
    for r in records {
        out.entry(r.partition)
            .or_default()
            .push((r.offset, text(r.value.as_deref())));
    }
    out
}

/// Records per partition of the positions topic: `p{p}-{i}` at offset `i`.
const COUNTS: [i64; 3] = [3, 4, 5];

/// A 3-partition topic with `COUNTS[p]` records in partition p.
fn positions_topic(mock: &Mock) -> String {
    let topic = mock.topic("tail-pos", 3);
    let mut records = Vec::new();
    for (p, count) in (0..).zip(COUNTS) {
        for i in 0..count {
            records.push(Out::text(p, Some(&format!("k{i}")), &format!("p{p}-{i}")));
        }
    }
    let landed: Vec<i32> = mock.produce(&topic, &records).iter().map(|l| l.0).collect();
    let asked: Vec<i32> = records.iter().map(|r| r.partition).collect();
    assert_eq!(landed, asked);
    topic
}

/// The expected `by_partition` for the positions topic: in partition p, the offsets from
/// `from(COUNTS[p])` to its end.
fn expected(partitions: &[i32], from: impl Fn(i64) -> i64) -> BTreeMap<i32, Vec<(i64, String)>> {
    partitions
        .iter()
        .map(|&p| {
            let count = COUNTS[usize::try_from(p).expect("partition")];
            (
                p,
                (from(count)..count)
                    .map(|i| (i, format!("p{p}-{i}")))
                    .collect(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// A1: start positions

#[test]
fn beginning_offset_and_last_n_read_exactly_their_records() {
    let mock = Mock::start();
    let topic = positions_topic(&mock);

    let (partitions, records) = Tail::start(
        mock.settings(),
        spec(&topic, StartPosition::Beginning, true),
    )
    .run_to_end();
    assert_eq!(partitions, vec![0, 1, 2]);
    assert_eq!(by_partition(&records), expected(&[0, 1, 2], |_| 0));
    let first = records.iter().find(|r| r.partition == 1).expect("p1");
    assert_eq!(first.key.as_deref(), Some(&b"k0"[..]), "{first:?}");

    let (_, records) = Tail::start(
        mock.settings(),
        spec(&topic, StartPosition::Offset(2), true),
    )
    .run_to_end();
    assert_eq!(by_partition(&records), expected(&[0, 1, 2], |_| 2));

    let (_, records) =
        Tail::start(mock.settings(), spec(&topic, StartPosition::Last(2), true)).run_to_end();
    assert_eq!(
        by_partition(&records),
        expected(&[0, 1, 2], |count| count - 2),
        "the last 2 of each partition"
    );

    // More than a partition holds: all of it.
    let (_, records) =
        Tail::start(mock.settings(), spec(&topic, StartPosition::Last(4), true)).run_to_end();
    assert_eq!(
        by_partition(&records),
        expected(&[0, 1, 2], |count| (count - 4).max(0))
    );
}

#[test]
fn a_partition_subset_reads_only_those_partitions() {
    let mock = Mock::start();
    let topic = positions_topic(&mock);
    let subset = TailSpec {
        partitions: Some(vec![0, 2]),
        ..spec(&topic, StartPosition::Beginning, true)
    };
    let (partitions, records) = Tail::start(mock.settings(), subset).run_to_end();
    assert_eq!(partitions, vec![0, 2]);
    assert_eq!(by_partition(&records), expected(&[0, 2], |_| 0));

    let one = TailSpec {
        partitions: Some(vec![1]),
        ..spec(&topic, StartPosition::Last(1), true)
    };
    let (partitions, records) = Tail::start(mock.settings(), one).run_to_end();
    assert_eq!(partitions, vec![1]);
    assert_eq!(by_partition(&records), expected(&[1], |count| count - 1));
}

#[test]
fn end_reads_only_records_produced_after_started() {
    let mock = Mock::start();
    let topic = positions_topic(&mock);
    let tail = Tail::start(mock.settings(), spec(&topic, StartPosition::End, false));
    assert_eq!(tail.started(), vec![0, 1, 2]);
    let new: Vec<Out> = (0..3)
        .map(|p| Out::text(p, Some("new"), &format!("new-{p}")))
        .collect();
    mock.produce(&topic, &new);
    let until = Instant::now() + DEADLINE;
    let mut records = Vec::new();
    while records.len() < new.len() {
        match tail.next(until) {
            Some(TailEvent::Records(batch)) => records.extend(batch),
            None => break,
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    let want: BTreeMap<i32, Vec<(i64, String)>> = (0..3)
        .map(|p: i32| {
            let offset = COUNTS[usize::try_from(p).expect("partition")];
            (p, vec![(offset, format!("new-{p}"))])
        })
        .collect();
    assert_eq!(
        by_partition(&records),
        want,
        "every record produced after Started, and only those (records produced right \
         after Started are lost when the end offsets are resolved only after it)"
    );
}

#[test]
fn exit_at_end_finishes_on_an_empty_topic_and_after_the_last_record() {
    let mock = Mock::start();
    let empty = mock.topic("tail-empty", 2);
    for start in [StartPosition::Beginning, StartPosition::End] {
        let (partitions, records) =
            Tail::start(mock.settings(), spec(&empty, start, true)).run_to_end();
        assert_eq!(partitions, vec![0, 1], "{start}");
        assert!(records.is_empty(), "{start}: {records:#?}");
    }

    let full = positions_topic(&mock);
    let (_, records) =
        Tail::start(mock.settings(), spec(&full, StartPosition::Beginning, true)).run_to_end();
    assert_eq!(records.len(), 12, "every record before ReachedEnd");
    // From the end of a full topic: at its end at once, nothing read.
    let (_, records) =
        Tail::start(mock.settings(), spec(&full, StartPosition::End, true)).run_to_end();
    assert!(records.is_empty(), "{records:#?}");
}

#[test]
fn a_time_after_every_record_starts_at_the_end() {
    let mock = Mock::start();
    let topic = mock.topic("tail-future", 2);
    let base = now_ms() - 3_600_000;
    let old: Vec<Out> = (0..4)
        .map(|i| Out {
            timestamp: Some(base + i64::from(i) * 1000),
            ..Out::text(i % 2, None, &format!("old-{i}"))
        })
        .collect();
    mock.produce(&topic, &old);
    // An hour from now: no record is at or after it, so nothing is read (not the old
    // records from the beginning). The mock has no time index and answers "none" to any
    // lookup, so the next test checks a real lookup on Kafka.
    let (partitions, records) = Tail::start(
        mock.settings(),
        spec(&topic, StartPosition::Time(now_ms() + 3_600_000), true),
    )
    .run_to_end();
    assert_eq!(partitions, vec![0, 1]);
    assert!(records.is_empty(), "{records:#?}");
}

#[test]
fn a_time_start_on_kafka_reads_each_partition_from_its_first_record_at_or_after_it() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("tail-time");
    kp(&address, &["create-topic", &topic, "--partitions", "2"]);
    // Kafka looks offsets up by the records' own timestamps (CreateTime), not by when
    // they were appended: every record here is appended now, with a timestamp from ten
    // minutes ago on. Partition 1 holds one record older than the one before it.
    let base = now_ms() - 600_000;
    let stamps: [[i64; 4]; 2] = [[0, 1000, 2000, 3000], [500, 2500, 1500, 3500]];
    let records: Vec<Out> = (0..2)
        .flat_map(|p: i32| {
            stamps[usize::try_from(p).expect("partition")]
                .iter()
                .enumerate()
                .map(move |(i, ms)| Out {
                    timestamp: Some(base + ms),
                    ..Out::text(p, None, &format!("p{p}-{i}"))
                })
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let landed = rt.block_on(send_all(&producer(&address), &topic, &records));
    let want_landed: Vec<(i32, i64)> = (0..2).flat_map(|p| (0..4).map(move |o| (p, o))).collect();
    assert_eq!(landed, want_landed, "each partition from offset 0");

    // What a start at `cut` must read: each partition from the first offset whose
    // timestamp is at or after `cut` (everything after it, whatever its timestamp), or
    // nothing where no record is that new.
    let expected = |cut: i64| -> BTreeMap<i32, Vec<(i64, String, i64)>> {
        (0..2)
            .map(|p: i32| {
                let row = stamps[usize::try_from(p).expect("partition")];
                let from = row
                    .iter()
                    .position(|ms| base + ms >= cut)
                    .unwrap_or(row.len());
                let held = (from..row.len())
                    .map(|i| {
                        (
                            i64::try_from(i).expect("offset"),
                            format!("p{p}-{i}"),
                            base + row[i],
                        )
                    })
                    .collect();
                (p, held)
            })
            .collect()
    };
    // Before everything; exactly at a record's timestamp (inclusive) and one millisecond
    // after it, in each partition; between the out-of-order records; after everything.
    for offset in [
        -1, 0, 1, 500, 1000, 1001, 1500, 2000, 2501, 3000, 3001, 3500, 3501,
    ] {
        let cut = base + offset;
        let (partitions, read) = Tail::start(
            ClientSettings::new(&address),
            spec(&topic, StartPosition::Time(cut), true),
        )
        .run_to_end();
        assert_eq!(partitions, vec![0, 1]);
        let mut got: BTreeMap<i32, Vec<(i64, String, i64)>> =
            (0..2).map(|p| (p, Vec::new())).collect();
        for r in &read {
            got.entry(r.partition).or_default().push((
                r.offset,
                text(r.value.as_deref()),
                r.timestamp.expect("a timestamp"),
            ));
        }
        assert_eq!(
            got,
            expected(cut),
            "start at base + {offset} ms: (offset, value, timestamp) per partition\n{}",
            broker.log()
        );
    }
}

// ---------------------------------------------------------------------------------------
// A2: bytes survive exactly

const HOSTILE_KEY: &[u8] = b"\x1b]0;PWNED\x07";

/// Records whose bytes are easy to get wrong: every byte value, a tombstone, an empty
/// value, binary and null headers, a key with a terminal escape.
fn tricky_records() -> Vec<Out> {
    let all_bytes: Vec<u8> = (0..=255).collect();
    vec![
        Out {
            partition: 0,
            key: Some(b"binary".to_vec()),
            value: Some(all_bytes),
            headers: vec![
                Header {
                    name: "bin".into(),
                    value: Some(vec![0xff, 0x00, 0x1b, 0x80, 0xc3, 0x28]),
                },
                Header {
                    name: "nil".into(),
                    value: None,
                },
                Header {
                    name: "text".into(),
                    value: Some("héllo".as_bytes().to_vec()),
                },
                Header {
                    name: "empty".into(),
                    value: Some(Vec::new()),
                },
            ],
            timestamp: None,
        },
        Out {
            value: None,
            ..Out::text(0, Some("gone"), "")
        },
        Out::text(0, Some("empty"), ""),
        Out {
            key: Some(HOSTILE_KEY.to_vec()),
            ..Out::text(0, None, "hostile key")
        },
        Out::text(0, None, "no key ✓"),
    ]
}

/// Key, value and headers of what was produced, as a tail should see them.
fn payloads(records: &[Out]) -> Vec<Payload> {
    records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.headers.clone()))
        .collect()
}

#[test]
fn records_keep_their_exact_bytes() {
    let mock = Mock::start();
    let topic = mock.topic("tail-bytes", 1);
    let produced = tricky_records();
    mock.produce(&topic, &produced);
    let (_, records) = Tail::start(
        mock.settings(),
        spec(&topic, StartPosition::Beginning, true),
    )
    .run_to_end();
    let got: Vec<_> = records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.headers.clone()))
        .collect();
    assert_eq!(got, payloads(&produced));
    assert_eq!(
        records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    // Spelled out: a tombstone is None, an empty value is Some(empty).
    assert_eq!(records[1].value, None);
    assert_eq!(records[2].value, Some(Vec::new()));
    assert_eq!(
        records[0].headers[1].value, None,
        "a null header stays null"
    );
    assert_eq!(
        records[0].headers[3].value,
        Some(Vec::new()),
        "an empty header stays empty"
    );
}

// ---------------------------------------------------------------------------------------
// A3: failures name what is wrong

#[test]
fn an_unknown_topic_and_a_bad_partition_fail_naming_them() {
    let mock = Mock::start();
    let missing = unique("no-such-topic");
    let tail = Tail::start(
        mock.settings(),
        spec(&missing, StartPosition::Beginning, false),
    );
    match tail.next(Instant::now() + DEADLINE) {
        Some(TailEvent::Failed(reason)) => {
            assert!(reason.contains(&missing), "{reason}");
            assert!(reason.contains("unknown topic"), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }

    let topic = mock.topic("tail-parts", 2);
    let bad = TailSpec {
        partitions: Some(vec![0, 5]),
        ..spec(&topic, StartPosition::Beginning, false)
    };
    let tail = Tail::start(mock.settings(), bad);
    match tail.next(Instant::now() + DEADLINE) {
        Some(TailEvent::Failed(reason)) => {
            assert!(reason.contains("partition 5"), "{reason}");
            assert!(reason.contains(&topic), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// A4: the worker starts and stops tails

/// The worker, and every tail event it has reported so far.
struct WorkerProbe<'a> {
    rt: &'a tokio::runtime::Runtime,
    handle: worker::WorkerHandle,
    seen: Vec<(u64, TailEvent)>,
}

impl WorkerProbe<'_> {
    fn send(&self, command: Command) {
        self.rt
            .block_on(self.handle.commands.send(command))
            .expect("the worker takes commands");
    }

    /// Reads events until `done(event, tail events so far)` holds.
    fn wait(&mut self, what: &str, mut done: impl FnMut(&KafkaEvent, &[(u64, TailEvent)]) -> bool) {
        let Self { rt, handle, seen } = self;
        rt.block_on(next_event(handle, what, DEADLINE, |event| {
            if let KafkaEvent::Tail { id, event } = event {
                seen.push((*id, event.clone()));
            }
            done(event, seen).then_some(())
        }));
    }

    fn metadata_round_trip(&mut self, id: u64) {
        self.send(Command::RefreshMetadata { id });
        self.wait(
            &format!("the answer to metadata request {id}"),
            |e, _| matches!(e, KafkaEvent::Metadata { id: got, .. } if *got == id),
        );
    }
}

/// How many records the tail `id` has delivered.
fn records_of(seen: &[(u64, TailEvent)], id: u64) -> usize {
    seen.iter()
        .filter(|(of, _)| *of == id)
        .map(|(_, e)| match e {
            TailEvent::Records(r) => r.len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn the_worker_stops_a_tail_on_stop_tail() {
    let mock = Mock::start();
    let topic = mock.topic("tail-worker", 2);
    let first: Vec<Out> = (0..4)
        .map(|i| Out::text(i % 2, None, &format!("first-{i}")))
        .collect();
    mock.produce(&topic, &first);

    let mut options = WorkerOptions::new(mock.settings());
    options.refresh_every = Duration::from_secs(60);
    let handle = mock.cluster.rt.block_on(async { worker::spawn(options) });
    let mut probe = WorkerProbe {
        rt: &mock.cluster.rt,
        handle,
        seen: Vec::new(),
    };

    probe.send(Command::StartTail {
        id: 5,
        spec: spec(&topic, StartPosition::Beginning, false),
    });
    probe.wait("tail 5's first records", |_, seen| records_of(seen, 5) >= 4);
    assert!(
        matches!(probe.seen.first(), Some((5, TailEvent::Started { partitions })) if *partitions == [0, 1]),
        "Started comes first: {:#?}",
        probe.seen
    );

    // Commands are handled in order: once request 100 is answered, StopTail was handled.
    probe.send(Command::StopTail { id: 5 });
    probe.metadata_round_trip(100);
    let stopped_at = probe.seen.len();

    let more: Vec<Out> = (0..4)
        .map(|i| Out::text(i % 2, None, &format!("more-{i}")))
        .collect();
    mock.produce(&topic, &more);
    // A second tail reading the same records proves they were there to be read, and
    // gives tail 5 the time it would have needed to read them too.
    probe.send(Command::StartTail {
        id: 6,
        spec: spec(&topic, StartPosition::Beginning, false),
    });
    probe.wait("tail 6 reads all 8 records", |_, seen| {
        records_of(seen, 6) >= 8
    });
    probe.metadata_round_trip(101);
    probe.metadata_round_trip(102);
    let late: Vec<&(u64, TailEvent)> = probe.seen[stopped_at..]
        .iter()
        .filter(|(id, e)| *id == 5 && matches!(e, TailEvent::Records(_)))
        .collect();
    assert!(late.is_empty(), "records for a stopped tail: {late:#?}");
    assert_eq!(
        records_of(&probe.seen, 5),
        4,
        "tail 5 read only the first 4"
    );
    probe.send(Command::Shutdown);
}

// ---------------------------------------------------------------------------------------
// A5: headless `ktui consume`

fn assert_success(ran: &Ran) {
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "ktui consume failed ({:?}) after {:?}\nstdout: {}\nstderr: {}",
        ran.status,
        ran.elapsed,
        ran.stdout,
        ran.stderr
    );
}

#[test]
fn consume_prints_values_keys_and_counts() {
    let mock = Mock::start();
    let topic = mock.topic("hl-text", 1);
    let values = [
        "plain",
        "héllo wörld ✓ 日本",
        "with\ttab",
        "\x1b[31mred\x1b[0m",
        "last one",
    ];
    let keys = [Some("k1"), None, Some("k3"), Some("k:4"), Some("k5")];
    let records: Vec<Out> = keys
        .iter()
        .zip(values)
        .map(|(k, v)| Out::text(0, *k, v))
        .collect();
    mock.produce(&topic, &records);

    let ran = mock.consume(&[&topic, "-o", "beginning", "-e"]);
    assert_success(&ran);
    let want: String = values.iter().flat_map(|v| [*v, "\n"]).collect();
    assert_eq!(ran.stdout, want, "into a pipe, the exact bytes");
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);

    let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "-K", ":"]);
    assert_success(&ran);
    let want: String = keys
        .iter()
        .zip(values)
        .map(|(k, v)| [k.unwrap_or_default(), ":", v, "\n"].concat())
        .collect();
    assert_eq!(ran.stdout, want);

    // Without -e: -c alone ends it.
    let ran = mock.consume(&[&topic, "-o", "beginning", "-c", "2"]);
    assert_success(&ran);
    assert_eq!(ran.stdout, format!("{}\n{}\n", values[0], values[1]));

    let ran = mock.consume(&[&topic, "-o", "-2", "-e"]);
    assert_success(&ran);
    assert_eq!(ran.stdout, format!("{}\n{}\n", values[3], values[4]));
}

#[test]
fn consume_json_envelopes_decode_to_the_exact_bytes() {
    let mock = Mock::start();
    let topic = mock.topic("hl-json", 1);
    let produced = tricky_records();
    mock.produce(&topic, &produced);
    let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "--format", "json"]);
    assert_success(&ran);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), produced.len(), "{}", ran.stdout);
    let envelopes: Vec<Envelope> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let got: Vec<_> = envelopes
        .iter()
        .map(|e| e.payload().expect("payload decodes"))
        .collect();
    assert_eq!(got, payloads(&produced));
    for (i, e) in envelopes.iter().enumerate() {
        assert_eq!(e.topic.as_deref(), Some(topic.as_str()));
        assert_eq!((e.partition, e.offset), (Some(0), i64::try_from(i).ok()));
    }
    // The binary value is base64, and says so; text stays text.
    let raw: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(raw["value_encoding"], "base64", "{raw}");
    assert_eq!(envelopes[0].value_encoding, Encoding::Base64);
    assert_eq!(raw["headers"][0]["value_encoding"], "base64", "{raw}");
    assert_eq!(raw["headers"][1]["value"], serde_json::Value::Null, "{raw}");
    assert_eq!(raw["headers"][2]["value"], "héllo", "{raw}");
    let tombstone: serde_json::Value = serde_json::from_str(lines[1]).expect("json");
    assert_eq!(tombstone["value"], serde_json::Value::Null, "{tombstone}");
    let empty: serde_json::Value = serde_json::from_str(lines[2]).expect("json");
    assert_eq!(empty["value"], "", "{empty}");
    assert_eq!(
        envelopes[3].key.as_deref(),
        Some("\x1b]0;PWNED\x07"),
        "JSON escapes the key; it is text"
    );
}

#[test]
fn consume_filter_keeps_matching_json_values() {
    let mock = Mock::start();
    let topic = mock.topic("hl-filter", 2);
    let mut records: Vec<Out> = (1..=5)
        .map(|n| Out::text(n % 2, None, &format!(r#"{{"n":{n}}}"#)))
        .collect();
    records.push(Out::text(0, None, "n = 9, not JSON"));
    mock.produce(&topic, &records);
    let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "--filter", ".n > 2"]);
    assert_success(&ran);
    let mut lines: Vec<&str> = ran.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, [r#"{"n":3}"#, r#"{"n":4}"#, r#"{"n":5}"#]);

    // -c counts after the filter.
    let ran = mock.consume(&[
        &topic,
        "-o",
        "beginning",
        "-p",
        "1",
        "-c",
        "1",
        "--filter",
        ".n > 2",
    ]);
    assert_success(&ran);
    assert_eq!(ran.stdout, "{\"n\":3}\n");
}

#[test]
fn consume_an_empty_topic_with_e_exits_zero_with_no_output() {
    let mock = Mock::start();
    let topic = mock.topic("hl-empty", 3);
    let ran = mock.consume(&[&topic, "-o", "beginning", "-e"]);
    assert_success(&ran);
    assert_eq!(ran.stdout, "");
    assert_eq!(ran.stderr, "");
}

#[test]
fn consume_an_unknown_topic_exits_2_naming_it() {
    let mock = Mock::start();
    let missing = unique("hl-missing");
    let ran = mock.consume(&[&missing, "-e"]);
    assert_eq!(
        ran.status.and_then(|s| s.code()),
        Some(2),
        "stdout: {}\nstderr: {}",
        ran.stdout,
        ran.stderr
    );
    assert!(ran.stderr.contains(&missing), "{}", ran.stderr);
    assert!(ran.stderr.starts_with("ktui: "), "{}", ran.stderr);
    assert_eq!(ran.stdout, "");

    let topic = mock.topic("hl-parts", 2);
    let ran = mock.consume(&[&topic, "-p", "7", "-e"]);
    assert_eq!(ran.status.and_then(|s| s.code()), Some(2), "{ran:?}");
    assert!(ran.stderr.contains("partition 7"), "{}", ran.stderr);
}

#[test]
fn consume_ends_quietly_when_its_reader_goes_away() {
    let mock = Mock::start();
    let topic = mock.topic("hl-pipe", 1);
    mock.produce(
        &topic,
        &[Out::text(0, None, "first"), Out::text(0, None, "second")],
    );
    let mut child = Process::new(KTUI)
        .args(["-b", mock.bootstrap(), "consume", &topic, "-o", "beginning"])
        .env("XDG_DATA_HOME", mock.data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ktui runs");
    let mut stderr = child.stderr.take().expect("piped");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // `| head -1`: read one line, then close the pipe.
    let mut reader = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("a line");
    assert_eq!(line, "first\n");
    drop(reader);
    // Without -e it would wait for more forever; the next write finds the pipe closed.
    let status = poll_until(DEADLINE, || {
        mock.produce(&topic, &[Out::text(0, None, "more")]);
        child.try_wait().expect("try_wait")
    });
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "ktui consume kept running after its reader went away; stderr: {}",
            stderr.join().unwrap_or_default()
        );
    };
    let stderr = stderr.join().unwrap_or_default();
    assert!(status.success(), "{status:?}; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "", "quietly");
}

// ---------------------------------------------------------------------------------------
// A6: kcat, the peer

/// kcat, when installed (the missing-tool policy applies).
fn kcat_here() -> Option<std::path::PathBuf> {
    if kcat_available() { kcat() } else { None }
}

#[test]
fn what_kcat_produces_ktui_consumes_exactly() {
    let Some(kcat) = kcat_here() else { return };
    let mock = Mock::start();
    let topic = mock.topic("kcat-in", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "k1:v1\nk2:hello wörld\nk3:{\"a\":1}\n").expect("input");
    let ran = run_with_timeout(
        Process::new(&kcat)
            .args(["-P", "-b", mock.bootstrap(), "-t", &topic, "-K:"])
            .args(["-H", "trace=abc-123", "-H", "source=kcat"])
            .arg("-l")
            .arg(&input),
        DEADLINE,
    );
    assert!(ran.status.is_some_and(|s| s.success()), "kcat -P: {ran:?}");

    let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "--format", "json"]);
    assert_success(&ran);
    let got: Vec<_> = ran
        .stdout
        .lines()
        .map(|l| {
            let envelope: Envelope = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            envelope.payload().expect("payload")
        })
        .collect();
    let headers = vec![
        Header {
            name: "trace".into(),
            value: Some(b"abc-123".to_vec()),
        },
        Header {
            name: "source".into(),
            value: Some(b"kcat".to_vec()),
        },
    ];
    let want: Vec<_> = [("k1", "v1"), ("k2", "hello wörld"), ("k3", "{\"a\":1}")]
        .iter()
        .map(|(k, v)| {
            (
                Some(k.as_bytes().to_vec()),
                Some(v.as_bytes().to_vec()),
                headers.clone(),
            )
        })
        .collect();
    assert_eq!(got, want, "{}", ran.stdout);
}

#[test]
fn ktui_consume_prints_what_kcat_consume_prints() {
    let Some(kcat) = kcat_here() else { return };
    let mock = Mock::start();
    for partitions in [1, 3] {
        let topic = mock.topic("kcat-out", partitions);
        let records: Vec<Out> = (0..9)
            .map(|i| {
                let key = format!("key-{i}");
                Out::text(
                    i % partitions,
                    (i % 3 != 0).then_some(key.as_str()),
                    &format!("value {i} ✓"),
                )
            })
            .collect();
        mock.produce(&topic, &records);
        for separator in [None, Some(":")] {
            let mut kcat_args = vec!["-C", "-b", mock.bootstrap(), "-t", &topic];
            kcat_args.extend(["-o", "beginning", "-e", "-q"]);
            let mut ktui_args = vec![topic.as_str(), "-o", "beginning", "-e"];
            if let Some(sep) = separator {
                kcat_args.extend(["-K", sep]);
                ktui_args.extend(["-K", sep]);
            }
            let theirs = run_with_timeout(Process::new(&kcat).args(&kcat_args), DEADLINE);
            assert!(
                theirs.status.is_some_and(|s| s.success()),
                "kcat -C: {theirs:?}"
            );
            let ours = mock.consume(&ktui_args);
            assert_success(&ours);
            let sorted = |text: &str| {
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                if partitions > 1 {
                    lines.sort(); // the order across partitions is not defined
                }
                lines
            };
            assert_eq!(
                sorted(&ours.stdout),
                sorted(&theirs.stdout),
                "{partitions} partitions, -K {separator:?}"
            );
            assert_eq!(ours.stdout.lines().count(), 9, "{}", ours.stdout);
        }
    }
}
