//! Layer 4: `ktui --demo` serves every client. The real binary in a terminal (tmux) runs
//! the embedded cluster; the Kafka quickstart's own kafka-python scripts, confluent-kafka,
//! Kafka's Java console tools and kcat produce and consume through the address it shows
//! (127.0.0.1:9092 when free), and the Tail tab shows what they sent.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::kafka::libs_dir;
use crate::support::peers::{
    ck, ck_available, ck_consume, java_console_consume, java_console_produce,
};
use crate::support::peers::{
    kcat, kcat_available, kp_consume, kp_produce_records, kp_topics, kp_try, peer_available, python,
};
use crate::support::process::run_with_timeout;
use crate::support::tui::{Tui, TuiOptions, quickstart_port, word_after};
use crate::support::{self, poll_until, require, unique};

/// Bound for anything the UI should show after a broker round trip.
const SHOWN: Duration = Duration::from_secs(20);
/// Bound for a peer client's whole run (a JVM start included).
const PEER: Duration = Duration::from_secs(60);

const PRODUCER_PY: &str = include_str!("../peers/quickstart/producer.py");
const CONSUMER_PY: &str = include_str!("../peers/quickstart/consumer.py");

/// `ktui --demo ARGS…` with `env` on top of the tests' defaults, connected.
pub(crate) fn demo(args: &[&str], env: &[(&str, &str)]) -> Option<Tui> {
    let mut all = vec!["--demo"];
    all.extend_from_slice(args);
    let tui = Tui::start_with(
        &all,
        140,
        36,
        TuiOptions {
            env,
            ..TuiOptions::default()
        },
    )?;
    tui.wait_until("the demo connected", SHOWN, |s| {
        s.contains("DEMO cluster at ") && s.contains("● connected")
    });
    Some(tui)
}

/// The address the status bar gives for the demo.
pub(crate) fn shown_address(tui: &Tui) -> String {
    let screen = tui.screen();
    word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no demo address on screen:\n{screen}"))
        .to_string()
}

/// The brokers the status bar lists after "● connected".
fn shown_brokers(tui: &Tui) -> Vec<String> {
    let screen = tui.screen();
    word_after(&screen, "● connected ")
        .unwrap_or_else(|| panic!("no broker list on screen:\n{screen}"))
        .split(',')
        .map(str::to_string)
        .collect()
}

/// A script run with `python3 -u` whose stdout is collected as it comes; killed on drop.
struct Script {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Script {
    fn start(path: &Path) -> Self {
        let mut child = Command::new(python())
            .arg("-u")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let out = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut out = out.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        Self { child, out }
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `partition=P, offset=O` from the line of kafka-python's `print(message)` holding
/// `needle`.
fn printed_position(output: &str, needle: &str) -> Option<(i32, i64)> {
    let line = output.lines().find(|l| l.contains(needle))?;
    let field = |name: &str| -> Option<i64> {
        let rest = &line[line.find(&format!("{name}="))? + name.len() + 1..];
        rest.split([',', ')']).next()?.trim().parse().ok()
    };
    Some((i32::try_from(field("partition")?).ok()?, field("offset")?))
}

#[test]
fn the_quickstart_scripts_run_unchanged_against_the_demo_at_9092() {
    if !peer_available() || !ck_available() || !Tui::tmux_available() {
        return;
    }
    let Some(_port) = quickstart_port() else {
        return;
    };
    // The defaults a user gets: 127.0.0.1:9092 and a trickle into `sample` (fast here).
    let Some(tui) = demo(
        &[],
        &[
            ("KTUI_DEMO_LISTEN", "127.0.0.1:9092"),
            ("KTUI_DEMO_TRICKLE", "300ms"),
        ],
    ) else {
        return;
    };
    assert_eq!(shown_address(&tui), "127.0.0.1:9092");

    // Enter on `sample` (the first row) opens the Tail tab at its end: the trickle moves it.
    tui.send_key("Enter");
    tui.wait_until("the trickle arriving in the Tail tab", SHOWN, |s| {
        s.contains("\"event\":\"") || s.contains("latency=") || s.contains(" signed ")
    });

    let dir = tempfile::tempdir().unwrap();
    let hello = unique("Hello, World");
    let second = unique("This is Kafka-Python");
    let producer = dir.path().join("producer.py");
    std::fs::write(
        &producer,
        PRODUCER_PY
            .replace("Hello, World!", &hello)
            .replace("This is Kafka-Python", &second),
    )
    .unwrap();
    let ran = run_with_timeout(Command::new(python()).arg(&producer), PEER);
    assert!(ran.success(), "producer.py failed: {ran:?}");
    tui.wait_until("what producer.py sent, in the Tail tab", SHOWN, |s| {
        s.contains(&hello) && s.contains(&second) && s.contains("message-two")
    });

    // consumer.py joins a group (JoinGroup, SyncGroup, heartbeats) and reads from the
    // earliest offset; its automatic commits (OffsetCommit) land on the demo.
    let group = unique("quickstart-group");
    let consumer = dir.path().join("consumer.py");
    std::fs::write(&consumer, CONSUMER_PY.replace("quickstart-group", &group)).unwrap();
    let script = Script::start(&consumer);
    // The two records may sit on different partitions, printed in either order: wait for both.
    let (partition, offset) = poll_until(PEER, || {
        let out = script.output();
        out.contains(&hello)
            .then(|| printed_position(&out, &second))
            .flatten()
    })
    .unwrap_or_else(|| {
        panic!(
            "consumer.py did not print both {hello:?} and {second:?}:\n{}",
            script.output()
        )
    });
    let committed = poll_until(PEER, || {
        let out = ck("127.0.0.1:9092", &["committed", &group, "sample"]);
        let offsets: serde_json::Value = serde_json::from_str(&out).unwrap();
        offsets[partition.to_string()]
            .as_i64()
            .filter(|&c| c > offset)
    });
    assert!(
        committed.is_some(),
        "group {group} never committed past {partition}/{offset}:\n{}",
        script.output()
    );

    // The Groups tab shows consumer.py's group, a member while it runs, beside the demo's
    // own shop-dashboard group.
    tui.send_key("5");
    tui.wait_until(
        "consumer.py's group and shop-dashboard in the Groups tab",
        SHOWN,
        |s| s.contains(&group) && s.contains("shop-dashboard") && s.contains("Stable"),
    );
}

#[test]
fn confluent_kafka_java_tools_and_kcat_use_the_address_the_demo_shows() {
    if !ck_available() || !kcat_available() || !Tui::tmux_available() {
        return;
    }
    let java = require(
        "java and the Kafka jars (bash .ci/kafka/fetch)",
        Command::new("java").arg("-version").output().is_ok() && libs_dir().is_dir(),
    );
    let Some(tui) = demo(&["--topic", "sample", "-o", "beginning"], &[]) else {
        return;
    };
    let address = shown_address(&tui);
    let brokers = shown_brokers(&tui);
    assert_eq!(brokers.len(), 3, "{brokers:?}");
    assert_eq!(brokers[0], address);

    // Every broker a client is told about is one the demo shows: no client is sent to
    // the mock cluster's own ports.
    let listing = run_with_timeout(
        Command::new(kcat().unwrap()).args(["-L", "-b", &address]),
        PEER,
    );
    assert!(listing.success(), "kcat -L: {listing:?}");
    let listed: Vec<&str> = listing
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("broker "))
        .filter_map(|l| l.split(" at ").nth(1))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(listed.len(), 3, "{}", listing.stdout);
    for broker in &listed {
        assert!(
            brokers.iter().any(|b| b == broker),
            "{broker} not in {brokers:?}"
        );
    }

    let ck_value = unique("from confluent-kafka");
    let written = support::peers::ck_produce_records(
        &address,
        "sample",
        &serde_json::json!([{
            "key": base64("ck-key"),
            "value": base64(&ck_value),
            "headers": [["source", base64("ck")]],
        }]),
    );
    assert_eq!(written.len(), 1);
    // The demo starts with the quickstart's 6 records; nothing else writes here.
    let read = ck_consume(&address, "sample", 7);
    assert!(
        read.iter().any(|r| r.value_text() == ck_value
            && r.key.as_deref() == Some(&b"ck-key"[..])
            && r.headers == [("source".to_string(), Some(b"ck".to_vec()))]),
        "confluent-kafka reads back its record: {read:?}"
    );
    tui.wait_until("confluent-kafka's record in the Tail tab", SHOWN, |s| {
        s.contains(&ck_value)
    });

    if java {
        let java_value = unique("from-java");
        java_console_produce(
            &address,
            "sample",
            &[&format!("via:console|jk|{java_value}")],
        );
        // ConsoleConsumer subscribes with a group of its own: the group protocol, in Java.
        let lines = java_console_consume(&address, "sample", 8);
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(&format!("via:console|jk|{java_value}"))),
            "the Java console consumer reads back the Java producer's record: {lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.ends_with(&ck_value)),
            "and confluent-kafka's: {lines:#?}"
        );
        tui.wait_until("the Java producer's record in the Tail tab", SHOWN, |s| {
            s.contains(&java_value)
        });
    }
}

#[test]
fn when_9092_is_taken_the_demo_starts_elsewhere_and_says_where() {
    if !peer_available() || !Tui::tmux_available() {
        return;
    }
    let Some(port) = quickstart_port() else {
        return;
    };
    let taken = TcpListener::bind(("127.0.0.1", 9092)).expect("hold 127.0.0.1:9092");
    let Some(tui) = demo(&[], &[("KTUI_DEMO_LISTEN", "127.0.0.1:9092")]) else {
        return;
    };
    let screen = tui.wait_until("a notice that 9092 is taken", SHOWN, |s| {
        s.contains("127.0.0.1:9092 is taken")
    });
    let address = shown_address(&tui);
    assert!(
        address.starts_with("127.0.0.1:") && address != "127.0.0.1:9092",
        "{address}\n{screen}"
    );
    assert!(
        screen.contains(&format!("listens at {address}")),
        "{screen}"
    );

    // kafka-python (which the mock cluster alone cannot serve) works at that address.
    let value = unique("elsewhere");
    let written = kp_produce_records(
        &address,
        "sample",
        &serde_json::json!([{"key": "k", "value": value}]),
    );
    assert_eq!(written.len(), 1);
    let read = kp_consume(&address, "sample", 7);
    assert!(read.iter().any(|r| r.value_text() == value), "{read:?}");
    // What the mock cannot do is refused at once, in words, not after a timeout: the
    // controller it names is one of its brokers.
    let refused = kp_try(&address, &["create-topic", &unique("t")])
        .expect_err("the demo has no CreateTopics for other clients");
    assert!(
        refused.contains("does not support the 'CreateTopicsRequest'"),
        "{refused}"
    );
    assert_eq!(
        kp_topics(&address),
        [
            "sample",
            "shop.clicks",
            "shop.orders",
            "shop.payments",
            "tweets"
        ]
    );
    drop((taken, port));
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
