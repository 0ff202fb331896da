//! Searching history: `ktui consume` with an end (`-e`, `--until`) and a filter, and the
//! tail engine's search (`TailSpec::until` + `filter`) that the Tail tab uses. Against
//! librdkafka's mock cluster, with `kcat -C | jq -c` as the peer; bounds by time on Apache
//! Kafka (the mock cluster cannot look offsets up by time).

use std::io::{BufRead as _, BufReader};
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ktui::kafka::model::{Header, Record};
use ktui::kafka::position::{EndBound, StartPosition, now_ms};
use ktui::kafka::tail::{Flow, TailEvent, TailSpec, run_tail};
use rdkafka::producer::FutureProducer;

use crate::support::broker::{MockCluster, Out, producer, send_all};
use crate::support::peers::{jq_available, kcat, kcat_available, kp};
use crate::support::process::{Ran, run_with_timeout};
use crate::support::{KTUI, kafka, unique};

const DEADLINE: Duration = Duration::from_secs(30);

struct Mock {
    producer: FutureProducer,
    cluster: MockCluster,
    data: tempfile::TempDir,
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

    fn consume(&self, args: &[&str]) -> Ran {
        consume(self.cluster.bootstrap(), self.data.path(), args)
    }
}

fn consume(bootstrap: &str, data: &std::path::Path, args: &[&str]) -> Ran {
    run_with_timeout(
        Process::new(KTUI)
            .args(["-b", bootstrap, "consume"])
            .args(args)
            .env("XDG_DATA_HOME", data),
        DEADLINE,
    )
}

fn ok(ran: &Ran) {
    assert!(
        ran.success(),
        "ktui consume failed ({:?}) after {:?}\nstdout: {}\nstderr: {}",
        ran.status,
        ran.elapsed,
        ran.stdout,
        ran.stderr
    );
}

fn sorted(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Record `i` of the search data: keyed, every third with a trace header, JSON values
/// with a level and an amount, and a few that are not JSON or are tombstones.
fn record(i: usize) -> Out {
    let partition = i32::try_from(i % 3).expect("partition");
    let key = format!("user-{}", i % 10);
    let level = ["info", "error", "warn", "debug"][i % 4];
    let value = match i % 25 {
        7 => "error: not json at all".to_string(),
        _ => format!(
            r#"{{"i":{i},"level":"{level}","amount":{}}}"#,
            (i * 37) % 1000
        ),
    };
    let mut out = Out::text(partition, Some(&key), &value);
    if i % 25 == 11 {
        out.value = None;
    }
    if i.is_multiple_of(3) {
        out.headers = vec![Header {
            name: "trace".into(),
            value: Some(format!("t-{}", i % 7).into_bytes()),
        }];
    }
    out
}

const RECORDS: usize = 600;

/// Whether record `i` (as produced, and where it landed) is one a filter must find.
type Keep = dyn Fn(usize, &Out, (i32, i64)) -> bool;

#[test]
fn a_search_finds_what_kcat_and_jq_find_and_sees_key_headers_partition_offset() {
    if !kcat_available() || !jq_available() {
        return;
    }
    let mock = Mock::start();
    let topic = mock.cluster.topic("search", 3);
    let records: Vec<Out> = (0..RECORDS).map(record).collect();
    let landed = mock
        .cluster
        .rt
        .block_on(send_all(&mock.producer, &topic, &records));

    // The same records as kcat | jq, for the same predicate (jq -R with fromjson?: some
    // values are not JSON, and plain jq stops at the first of those).
    let predicate = r#"select(.level == "error" and .amount > 500)"#;
    let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "--filter", predicate]);
    ok(&ran);
    let peer = Process::new("sh")
        .args([
            "-c",
            &format!(
                "{} -C -b {} -t {topic} -o beginning -e -q | jq -cR 'fromjson? | {predicate}'",
                kcat().expect("kcat").display(),
                mock.cluster.bootstrap()
            ),
        ])
        .output()
        .expect("kcat | jq");
    let peer = String::from_utf8(peer.stdout).expect("utf-8");
    assert!(!peer.is_empty(), "the data has matches");
    assert_eq!(sorted(&ran.stdout), sorted(&peer), "ktui and kcat | jq");

    // What each variable holds, checked against the records as produced.
    let expect = |keep: &Keep| -> Vec<String> {
        let mut lines: Vec<String> = records
            .iter()
            .enumerate()
            .filter(|(i, r)| keep(*i, r, landed[*i]))
            .map(|(_, r)| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into())
            .collect();
        lines.sort();
        lines
    };
    let cases: [(&str, &Keep); 6] = [
        (r#"$key == "user-7""#, &|i, _, _| i % 10 == 7),
        (r#"$headers.trace == "t-3""#, &|i, _, _| {
            i % 3 == 0 && i % 7 == 3
        }),
        ("$partition == 1 and $offset < 5", &|_, _, (p, o)| {
            p == 1 && o < 5
        }),
        // `.` is the value as a string when it is not JSON; null for a tombstone.
        (r#"jq:. == "error: not json at all""#, &|i, _, _| {
            i % 25 == 7
        }),
        (". == null", &|i, _, _| i % 25 == 11),
        // Text filters can name the field they look at.
        ("key:user-3", &|i, _, _| i % 10 == 3),
    ];
    for (filter, keep) in cases {
        let ran = mock.consume(&[&topic, "-o", "beginning", "-e", "--filter", filter]);
        ok(&ran);
        assert_eq!(sorted(&ran.stdout), expect(keep), "{filter}");
    }
    // $timestamp: every record has one (the producer's clock), so all or none.
    let ran = mock.consume(&[
        &topic,
        "-o",
        "beginning",
        "-e",
        "--filter",
        "$timestamp > 0",
    ]);
    ok(&ran);
    assert_eq!(ran.stdout.lines().count(), RECORDS);
}

#[test]
fn bounds_by_offset_and_max_and_matches_in_offset_order() {
    let mock = Mock::start();
    let topic = mock.cluster.topic("search-bounds", 2);
    let records: Vec<Out> = (0..40)
        .map(|i| Out::text(i % 2, None, &format!(r#"{{"n":{i}}}"#)))
        .collect();
    mock.cluster
        .rt
        .block_on(send_all(&mock.producer, &topic, &records));
    // Offsets 2, 3, 4 of each partition: -o 2 --until 5.
    let ran = mock.consume(&[&topic, "-o", "2", "--until", "5", "--format", "json"]);
    ok(&ran);
    let mut seen: Vec<(i64, i64)> = ran
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            (
                v["partition"].as_i64().unwrap(),
                v["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4)]);
    // `--until now` reads what `-e` reads; an end before the start reads nothing.
    let all = mock.consume(&[&topic, "-o", "beginning", "-e"]);
    let now = mock.consume(&[&topic, "-o", "beginning", "--until", "now"]);
    ok(&all);
    ok(&now);
    assert_eq!(sorted(&all.stdout), sorted(&now.stdout));
    assert_eq!(all.stdout.lines().count(), 40);
    let none = mock.consume(&[&topic, "-o", "10", "--until", "3"]);
    ok(&none);
    assert_eq!(none.stdout, "");
    // One partition: matches come in offset order; --max stops after N.
    let ran = mock.consume(&[
        &topic,
        "-p",
        "1",
        "-o",
        "beginning",
        "--until",
        "now",
        "--filter",
        ".n % 4 == 1",
        "--max",
        "3",
    ]);
    ok(&ran);
    assert_eq!(ran.stdout, "{\"n\":1}\n{\"n\":5}\n{\"n\":9}\n");
}

#[test]
fn bad_bounds_and_filters_are_refused_before_anything_is_read() {
    // Nothing listens there: a refusal that waited for the cluster would say so instead.
    let data = tempfile::tempdir().expect("tempdir");
    let address = crate::support::unused_address();
    for (args, says) in [
        (&["t", "--until", "now", "--filter", ".level =="][..], "jq:"),
        (&["t", "-e", "--filter", "$nosuch == 1"][..], "undefined"),
        (&["t", "--until", "soon"][..], "not an end"),
        (&["t", "--until", "@yesterday-ish"][..], "not a time"),
        (
            &["t", "--until", "now", "--group", "g"][..],
            "without a group",
        ),
    ] {
        let ran = consume(&address, data.path(), args);
        assert_eq!(
            ran.status.and_then(|s| s.code()),
            Some(2),
            "{args:?}: {ran:?}"
        );
        assert!(ran.stderr.contains(says), "{args:?}: {}", ran.stderr);
        assert!(!ran.stderr.contains("cannot reach"), "{}", ran.stderr);
        assert!(
            ran.elapsed < Duration::from_secs(5),
            "{args:?} waited {:?}",
            ran.elapsed
        );
    }
}

#[test]
fn a_search_stopped_midway_hands_over_what_it_found_in_order() {
    let mock = Mock::start();
    let topic = mock.cluster.topic("search-stop", 1);
    let records: Vec<Out> = (0..30_000)
        .map(|i| Out::text(0, None, &format!(r#"{{"n":{i}}}"#)))
        .collect();
    mock.cluster
        .rt
        .block_on(send_all(&mock.producer, &topic, &records));
    let spec = TailSpec {
        start: StartPosition::Beginning,
        until: Some(EndBound::Now),
        filter: Some(".n % 2 == 0".into()),
        ..TailSpec::new(&topic)
    };
    let stop = AtomicBool::new(false);
    let mut found: Vec<Record> = Vec::new();
    let mut events = Vec::new();
    let mut sink = |event: TailEvent| {
        match &event {
            TailEvent::Records(records) => {
                found.extend(records.iter().cloned());
                stop.store(true, Ordering::Relaxed); // as Esc does
            }
            TailEvent::Failed(reason) => panic!("{reason}"),
            _ => {}
        }
        events.push(event);
        Flow::Continue
    };
    run_tail(&mock.cluster.settings(), &spec, &stop, &mut sink);
    assert!(!found.is_empty(), "it found some before it stopped");
    assert!(
        !events.iter().any(|e| matches!(e, TailEvent::ReachedEnd)),
        "stopped, not at its end"
    );
    assert!(
        matches!(events.iter().find(|e| matches!(e, TailEvent::Range(_))), Some(TailEvent::Range(r)) if r[0].start == 0 && r[0].end == 30_000)
    );
    let offsets: Vec<i64> = found.iter().map(|r| r.offset).collect();
    let expected: Vec<i64> = (0..).step_by(2).take(found.len()).collect();
    assert_eq!(
        offsets, expected,
        "every match up to where it stopped, in order"
    );
    let scanned = events.iter().rev().find_map(|e| match e {
        TailEvent::Progress { scanned } => Some(*scanned),
        _ => None,
    });
    assert!(
        scanned.is_some_and(|s| s >= 2 * found.len() as u64 - 1),
        "{scanned:?}"
    );

    // Headless, a count reached in the first batch ends the search at once, with batches
    // still being filtered behind it.
    let ran = mock.consume(&[
        &topic,
        "-o",
        "beginning",
        "-e",
        "--filter",
        ".n % 2 == 0",
        "-c",
        "1",
    ]);
    ok(&ran);
    assert_eq!(ran.stdout, "{\"n\":0}\n");
}

#[test]
fn ctrl_c_ends_a_search_with_its_matches_printed() {
    let mock = Mock::start();
    let topic = mock.cluster.topic("search-sigint", 1);
    let records: Vec<Out> = (0..10)
        .map(|i| Out::text(0, None, &format!(r#"{{"n":{i}}}"#)))
        .collect();
    mock.cluster
        .rt
        .block_on(send_all(&mock.producer, &topic, &records));
    // A live read (no end) that has printed its matches: Ctrl-C ends it, output flushed.
    let mut child = Process::new(KTUI)
        .args([
            "-b",
            mock.cluster.bootstrap(),
            "consume",
            &topic,
            "-o",
            "beginning",
        ])
        .args(["--filter", ".n >= 7"])
        .env("XDG_DATA_HOME", mock.data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ktui consume");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(lines.next().expect("a line").expect("utf-8"));
    }
    assert_eq!(seen, [r#"{"n":7}"#, r#"{"n":8}"#, r#"{"n":9}"#]);
    let killed = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("ktui ends");
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn bounds_by_time_on_kafka_read_the_records_between() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("search-time");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let base = now_ms() - 600_000;
    let records: Vec<Out> = (0..10)
        .map(|i| Out {
            timestamp: Some(base + i * 1000),
            ..Out::text(0, None, &format!("r{i}"))
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(send_all(&producer(&address), &topic, &records));
    let data = tempfile::tempdir().expect("tempdir");
    let from = format!("@{}", base + 3000);
    let until = format!("@{}", base + 7000);
    let ran = consume(
        &address,
        data.path(),
        &[&topic, "-o", &from, "--until", &until],
    );
    ok(&ran);
    assert_eq!(
        ran.stdout, "r3\nr4\nr5\nr6\n",
        "from the first at or after 3 s, before 7 s"
    );
    // A time after every record ends at the log's end; one before all reads nothing.
    let later = format!("@{}", now_ms() + 60_000);
    let ran = consume(
        &address,
        data.path(),
        &[&topic, "-o", "8", "--until", &later],
    );
    ok(&ran);
    assert_eq!(ran.stdout, "r8\nr9\n");
    let early = format!("@{}", base - 60_000);
    let ran = consume(
        &address,
        data.path(),
        &[&topic, "-o", "beginning", "--until", &early],
    );
    ok(&ran);
    assert_eq!(ran.stdout, "");
}
