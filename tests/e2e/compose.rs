//! Layer 4 for the Compose tab: the real `ktui` binary in a terminal (tmux), driven from
//! the keyboard as a person would, checked against what a peer client reads from the same
//! broker: kafka-python on Apache Kafka, kcat on the embedded demo cluster (`--demo`).
//! Each test runs its own terminal, and uniquely named topics on the shared Kafka node,
//! or a Kafka node of its own when it takes the broker down.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::compose_screen::{delivered, newest_report, value_rows};
use crate::support::kafka::{self, KafkaNode};
use crate::support::peers::{
    PeerRecord, kcat, kcat_available, kp, kp_consume, kp_default_partitions, kp_produce_records,
};
use crate::support::process::run_with_timeout;
use crate::support::tui::{Exit, Tui, TuiOptions, word_after};
use crate::support::{self, unique, wait_until};

/// Generous bound for anything the UI should show after a broker round trip.
const SHOWN: Duration = Duration::from_secs(15);
/// A delivery report for a message that cannot be delivered: librdkafka's message
/// timeout (15 s as ktui sets it) plus room.
const TIMED_OUT: Duration = Duration::from_secs(30);
/// A producer's first delivery to a broker that has just restarted: its reconnect
/// backoff and a metadata refresh, plus room.
const BACK: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Reading the screen

/// The text inside a one-line field box titled `title` (" Topic ", " Key ", …): the row
/// under the box's top border, from its left border to its right one, trimmed.
fn field(screen: &str, title: &str) -> Option<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = format!("┌ {title} ");
    let (row, col) = lines.iter().enumerate().find_map(|(i, line)| {
        let text: String = line.iter().collect();
        text.find(&top)
            .map(|byte| (i, text[..byte].chars().count()))
    })?;
    let inside: String = lines
        .get(row + 1)?
        .iter()
        .skip(col + 1)
        .take_while(|c| **c != '│')
        .collect();
    Some(inside.trim().to_string())
}

/// The value editor's label on its bottom border ("JSON ✓ …", "text", "tombstone: …").
fn value_label(screen: &str) -> String {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("┌ Value "))
        .find(|l| l.starts_with('└'))
        .map(|l| {
            l.trim_start_matches('└')
                .split('─')
                .map(str::trim)
                .find(|s| !s.is_empty())
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

/// N in the "Deliveries (N)" title.
fn deliveries(screen: &str) -> Option<usize> {
    word_after(screen, "Deliveries (")?
        .trim_end_matches(')')
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------
// Starting

/// A new topic named after `prefix` (unique: the broker may be shared), of `partitions`
/// partitions, created by kafka-python at `address`. A report line gives a long topic
/// name only what room it has (cut in the middle); the terminals below leave room for a
/// whole `unique` name, so the tests can find it in the reports.
fn topic_at(address: &str, prefix: &str, partitions: u32) -> String {
    let topic = unique(prefix);
    kp(
        address,
        &[
            "create-topic",
            &topic,
            "--partitions",
            &partitions.to_string(),
        ],
    );
    topic
}

/// The shared Kafka node's address and a new topic on it.
fn shared_with_topic(prefix: &str, partitions: u32) -> Option<(String, String)> {
    let address = kafka::shared()?.address();
    let topic = topic_at(&address, prefix, partitions);
    Some((address, topic))
}

/// `ktui -b ADDRESS --topic TOPIC` (Tail opens), connected; then `3`: the Compose tab,
/// its topic prefilled from the tail. Returns the terminal and the settled screen.
fn compose(
    address: &str,
    topic: &str,
    width: u16,
    height: u16,
    options: TuiOptions<'_>,
) -> Option<(Tui, String)> {
    let tui = Tui::start_with(&["-b", address, "--topic", topic], width, height, options)?;
    tui.wait_settled("connected, the tail open", SHOWN, |s| {
        s.contains(&format!("● connected {address}")) && s.contains(&format!("{topic} · from end"))
    });
    tui.send_key("3");
    let screen = tui.wait_settled("the Compose tab with the topic prefilled", SHOWN, |s| {
        field(s, "Topic").as_deref() == Some(topic)
    });
    Some((tui, screen))
}

/// Types `text` into the focused field and waits until the screen shows `expect`.
fn type_and_see(tui: &Tui, text: &str, expect: impl Fn(&str) -> bool, what: &str) -> String {
    tui.send_keys(text);
    tui.wait_settled(what, SHOWN, expect)
}

/// Esc: leaves the editor, and waits until ktui shows it did. A key sent right after an
/// Esc could reach ktui in the same read and be taken for Alt+key.
fn leave_editor(tui: &Tui) {
    tui.send_key("Escape");
    tui.wait_settled_for("Enter edits · Ctrl-S sends · Ctrl-R history", SHOWN);
}

/// Moves the focus forward `n` fields.
fn tab(tui: &Tui, n: usize) {
    for _ in 0..n {
        tui.send_key("Tab");
    }
}

/// Ctrl-S, then waits for a new ✓ report (the Deliveries count reaching `count`).
/// Returns where the message landed and the screen.
fn send_and_confirm(tui: &Tui, topic: &str, count: usize) -> ((i32, i64), String) {
    send_and_confirm_within(tui, topic, count, SHOWN)
}

/// [`send_and_confirm`], waiting up to `timeout` for the report.
fn send_and_confirm_within(
    tui: &Tui,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> ((i32, i64), String) {
    tui.send_key("C-s");
    let screen = tui.wait_settled(&format!("delivery report {count} with ✓"), timeout, |s| {
        deliveries(s) == Some(count) && newest_report(s).contains(&format!("✓ {topic} partition "))
    });
    let at = delivered(&screen, topic).expect("checked");
    (at, screen)
}

/// The one record kafka-python finds at (partition, offset) among the first `count`.
fn peer_record(address: &str, topic: &str, count: usize, at: (i32, i64)) -> PeerRecord {
    let records = kp_consume(address, topic, count);
    records
        .iter()
        .find(|r| (r.partition, r.offset) == at)
        .cloned()
        .unwrap_or_else(|| panic!("kafka-python has nothing at {at:?}: {records:#?}"))
}

/// The broker's end offset of each partition of `topic` is what `want` says
/// (`{"partition": end offset}`): it holds what the test sent, once, and nothing more.
fn assert_end_offsets(address: &str, topic: &str, want: &serde_json::Value) {
    let ends = serde_json::to_value(support::peers::kp_end_offsets(address, topic)).expect("JSON");
    assert_eq!(&ends, want, "the end offsets of {topic}");
}

fn header(name: &str, value: &str) -> (String, Option<Vec<u8>>) {
    (name.to_string(), Some(value.as_bytes().to_vec()))
}

// ---------------------------------------------------------------------------------------
// B1: type a message, Ctrl-S, the peer reads exactly that

#[test]
fn a_typed_message_with_key_and_header_arrives_exactly_and_can_be_sent_again() {
    let Some((address, topic)) = shared_with_topic("cmp-send", 4) else {
        return;
    };
    let Some((tui, screen)) = compose(&address, &topic, 120, 30, TuiOptions::default()) else {
        return;
    };
    assert_eq!(value_label(&screen), "empty", "{screen}");
    assert!(
        screen.contains("Ctrl-S send · Ctrl-T tombstone"),
        "the value editor has the focus:\n{screen}"
    );
    assert_eq!(deliveries(&screen), Some(0), "{screen}");
    assert!(
        !screen.contains("Watching"),
        "no watch pane at 120 columns:\n{screen}"
    );

    let value = r#"{"hello": "world", "n": 1}"#;
    let screen = type_and_see(&tui, value, |s| s.contains("JSON ✓"), "JSON ✓");
    assert_eq!(value_rows(&screen)[0], value, "{screen}");
    tab(&tui, 3); // topic, partition, key
    type_and_see(
        &tui,
        "k1",
        |s| field(s, "Key").as_deref() == Some("k1"),
        "the key",
    );
    tab(&tui, 3); // key schema, schema, headers
    type_and_see(&tui, "h1=v1", |s| s.contains("│h1=v1"), "the header line");

    let (first, screen) = send_and_confirm(&tui, &topic, 1);
    assert!(
        newest_report(&screen).contains(" ms"),
        "the latency:\n{screen}"
    );
    let expected = kp_default_partitions(&address, &topic, &["k1"]);
    assert_eq!(
        first.0, expected["k1"],
        "the key's partition is the one kafka-python picks"
    );
    let record = peer_record(&address, &topic, 1, first);
    assert_eq!(
        record.value.as_deref(),
        Some(value.as_bytes()),
        "{record:?}"
    );
    assert_eq!(record.key.as_deref(), Some(&b"k1"[..]), "{record:?}");
    assert_eq!(record.headers, vec![header("h1", "v1")], "{record:?}");

    // The editor keeps everything; Ctrl-S again is a second message, a second report.
    assert_eq!(value_rows(&screen)[0], value, "the value stays:\n{screen}");
    assert_eq!(field(&screen, "Key").as_deref(), Some("k1"), "{screen}");
    let (second, screen) = send_and_confirm(&tui, &topic, 2);
    assert_eq!(
        second,
        (first.0, first.1 + 1),
        "same key, next offset:\n{screen}"
    );
    assert_eq!(
        screen.matches(&format!("✓ {topic} partition ")).count(),
        2,
        "two reports:\n{screen}"
    );
    let again = peer_record(&address, &topic, 2, second);
    assert_eq!(
        (again.key, again.value, again.headers),
        (record.key, record.value, record.headers),
        "the same message again"
    );
    let ends: serde_json::Map<String, serde_json::Value> = (0..4)
        .map(|p| (p.to_string(), (if p == first.0 { 2 } else { 0 }).into()))
        .collect();
    assert_end_offsets(&address, &topic, &ends.into());
}

// ---------------------------------------------------------------------------------------
// B2: problems are reported before anything is sent; non-JSON may be sent

#[test]
fn unknown_topic_bad_partition_and_bad_header_are_refused_in_words_and_invalid_json_sends_as_text()
{
    let Some((address, topic)) = shared_with_topic("cmp-check", 2) else {
        return;
    };
    let Some((tui, _)) = compose(&address, &topic, 120, 30, TuiOptions::default()) else {
        return;
    };
    let invalid = r#"{"a": }"#;
    let screen = type_and_see(
        &tui,
        invalid,
        |s| value_label(s).starts_with("JSON ✗"),
        "the JSON error",
    );
    assert!(
        value_label(&screen).starts_with("JSON ✗ line 1, column 7"),
        "where the error is: {:?}\n{screen}",
        value_label(&screen)
    );

    // A topic the cluster does not have.
    let missing = unique("nosuch");
    tab(&tui, 1);
    tui.send_key("C-e");
    tui.send_key("C-u");
    type_and_see(
        &tui,
        &missing,
        |s| field(s, "Topic").as_deref() == Some(missing.as_str()),
        "the missing topic typed",
    );
    tui.send_key("C-s");
    let screen = tui.wait_settled_for("Unknown topic", SHOWN);
    assert!(
        screen.contains(&format!("Unknown topic \"{missing}\"")),
        "names it:\n{screen}"
    );
    assert_eq!(deliveries(&screen), Some(0), "nothing sent:\n{screen}");

    // Back to the real topic; a partition it does not have.
    tui.send_key("C-u");
    type_and_see(
        &tui,
        &topic,
        |s| field(s, "Topic").as_deref() == Some(topic.as_str()),
        "the topic typed back",
    );
    tab(&tui, 1);
    type_and_see(
        &tui,
        "99",
        |s| field(s, "Partition").as_deref() == Some("99"),
        "partition 99",
    );
    tui.send_key("C-s");
    let screen = tui.wait_settled_for("Partition 99 does not exist", SHOWN);
    assert!(
        screen.contains(&format!("{topic} has partitions 0–1")),
        "says which exist:\n{screen}"
    );
    assert_eq!(deliveries(&screen), Some(0), "nothing sent:\n{screen}");

    // Auto partition again; a header line that is not name=value.
    tui.send_key("BSpace");
    tui.send_key("BSpace");
    tab(&tui, 4); // key, key schema, schema, headers
    type_and_see(&tui, "broken", |s| s.contains("│broken"), "the header line");
    tui.send_key("C-s");
    let screen = tui.wait_settled_for("header line 1", SHOWN);
    assert!(
        screen.contains(r#"header line 1: "broken" is not name=value"#),
        "{screen}"
    );
    assert_eq!(deliveries(&screen), Some(0), "nothing sent:\n{screen}");

    // Without the header, the invalid JSON goes out as the text it is.
    for _ in 0.."broken".len() {
        tui.send_key("BSpace");
    }
    tui.wait_settled("the header line gone", SHOWN, |s| !s.contains("│broken"));
    let (at, screen) = send_and_confirm(&tui, &topic, 1);
    assert!(
        value_label(&screen).starts_with("JSON ✗"),
        "still labelled:\n{screen}"
    );
    let record = peer_record(&address, &topic, 1, at);
    assert_eq!(
        record.value.as_deref(),
        Some(invalid.as_bytes()),
        "{record:?}"
    );
    assert_eq!((record.key, record.headers), (None, Vec::new()));
    let mut ends = serde_json::json!({ "0": 0, "1": 0 });
    ends[at.0.to_string()] = 1.into();
    assert_end_offsets(&address, &topic, &ends);
}

// ---------------------------------------------------------------------------------------
// B3: a stopped broker: the failure is reported, nothing is lost, the resend works

/// The broker goes away (killed: a crash) and comes back on the same address with its
/// storage, its topics and records, as a restarted broker does.
#[test]
fn a_send_to_a_stopped_broker_fails_as_retriable_and_the_resend_works_once_it_is_back() {
    let Some(mut node) = KafkaNode::start() else {
        return;
    };
    let address = node.address();
    let topic = topic_at(&address, "cmp-down", 1);
    let Some((tui, _)) = compose(&address, &topic, 120, 30, TuiOptions::default()) else {
        return;
    };
    let value = "keep me ✓ safe";
    type_and_see(&tui, value, |s| value_label(s) == "text", "the value typed");

    node.kill();
    tui.send_key("C-s");
    let screen = tui.wait_settled("the pending report", SHOWN, |s| {
        deliveries(s) == Some(1) && newest_report(s).contains("… waiting for the broker")
    });
    assert!(newest_report(&screen).contains(&topic), "{screen}");
    let screen = tui.wait_settled("the failed report", TIMED_OUT, |s| {
        newest_report(s).contains(&format!("✗ {topic}: "))
    });
    let report = newest_report(&screen);
    assert!(
        report.contains("Message timed out (MESSAGE_TIMED_OUT)"),
        "the broker's error:\n{screen}"
    );
    assert!(
        report.contains(" · retriable"),
        "says it is worth retrying:\n{screen}"
    );
    assert_eq!(
        value_rows(&screen)[0],
        value,
        "the value is intact:\n{screen}"
    );
    assert_eq!(field(&screen, "Topic").as_deref(), Some(topic.as_str()));

    // The broker is back: Ctrl-S again, and this time it is delivered.
    node.restart();
    let (at, screen) = send_and_confirm_within(&tui, &topic, 2, BACK);
    assert!(
        screen.contains(&format!("✗ {topic}: ")),
        "the failure stays listed below:\n{screen}"
    );
    assert_eq!(at, (0, 0), "the failed send never reached the broker");
    let record = peer_record(&address, &topic, 1, at);
    assert_eq!(
        record.value.as_deref(),
        Some(value.as_bytes()),
        "{record:?}"
    );
    assert_end_offsets(&address, &topic, &serde_json::json!({ "0": 1 }));
}

// ---------------------------------------------------------------------------------------
// B4: a tombstone

#[test]
fn ctrl_t_sends_one_tombstone_that_the_peer_reads_as_null_and_the_next_send_is_the_text() {
    let Some((address, topic)) = shared_with_topic("cmp-tomb", 1) else {
        return;
    };
    let Some((tui, _)) = compose(&address, &topic, 120, 30, TuiOptions::default()) else {
        return;
    };
    type_and_see(&tui, "ignored", |s| value_label(s) == "text", "the value");
    tab(&tui, 3);
    type_and_see(
        &tui,
        "gone",
        |s| field(s, "Key").as_deref() == Some("gone"),
        "the key",
    );
    tui.send_key("C-t");
    let screen = tui.wait_settled("the tombstone label", SHOWN, |s| {
        value_label(s).starts_with("tombstone")
    });
    assert_eq!(
        value_label(&screen),
        "tombstone armed: the next send has a null value, once",
        "{screen}"
    );
    let (at, screen) = send_and_confirm(&tui, &topic, 1);
    let record = peer_record(&address, &topic, 1, at);
    assert_eq!(record.key.as_deref(), Some(&b"gone"[..]), "{record:?}");
    assert_eq!(record.value, None, "null, not empty: {record:?}");
    // The send spent it: the label says text again without another Ctrl-T.
    assert_eq!(
        value_label(&screen),
        "text",
        "disarmed after one send\n{screen}"
    );

    // Type a value and send: the peer reads that value, not null again.
    tab(&tui, 4); // key schema, schema, headers, value
    type_and_see(
        &tui,
        " again",
        |s| value_rows(s).first().map(String::as_str) == Some("ignored again"),
        "the new value",
    );
    let (at, _) = send_and_confirm(&tui, &topic, 2);
    let record = peer_record(&address, &topic, 2, at);
    assert_eq!(
        record.value.as_deref(),
        Some(&b"ignored again"[..]),
        "{record:?}"
    );
    assert_eq!(record.key.as_deref(), Some(&b"gone"[..]), "{record:?}");
    assert_end_offsets(&address, &topic, &serde_json::json!({ "0": 2 }));
}

// ---------------------------------------------------------------------------------------
// A draft survives a kill

/// The pid of the ktui started with `unique_arg` among its arguments: the deepest such
/// process (under a supervising parent, the child that runs the TUI).
fn ktui_pid(unique_arg: &str) -> Option<u32> {
    let matches: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let is_ktui =
                args.first()?.ends_with(b"/ktui") && args.contains(&unique_arg.as_bytes());
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": the comm may hold spaces, so read after ')'.
            let parent = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            is_ktui.then_some((pid, parent))
        })
        .collect();
    matches
        .iter()
        .find(|(_, parent)| matches.iter().any(|(pid, _)| pid == parent))
        .or_else(|| matches.first())
        .map(|(pid, _)| *pid)
}

#[test]
fn a_draft_typed_before_a_sigkill_is_offered_back_at_the_next_start_and_can_be_discarded() {
    let Some((address, topic)) = shared_with_topic("cmp-draft", 1) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let options = TuiOptions {
        home: Some(home.path()),
        ..TuiOptions::default()
    };
    let Some((tui, _)) = compose(&address, &topic, 120, 30, options) else {
        return;
    };
    let value = "half-typed ✓ draft";
    type_and_see(
        &tui,
        value,
        |s| value_rows(s).first().map(String::as_str) == Some(value),
        "the value",
    );
    tab(&tui, 3);
    type_and_see(
        &tui,
        "dk",
        |s| field(s, "Key").as_deref() == Some("dk"),
        "the key",
    );
    tab(&tui, 3); // key schema, schema, headers
    type_and_see(&tui, "dh=1", |s| s.contains("│dh=1"), "the header");

    // Saved as typed, without quitting: the file holds every field, and is private.
    let file = tui.data_dir().join("compose-draft.json");
    wait_until("compose-draft.json to hold the draft", SHOWN, || {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let draft: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let want = serde_json::json!({
            "topic": topic, "partition": "", "key": "dk", "headers": "dh=1", "value": value
        });
        let same = want
            .as_object()
            .expect("object")
            .iter()
            .all(|(name, v)| draft.get(name) == Some(v));
        if same { Ok(()) } else { Err(text) }
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the draft is private");
    }

    // SIGKILL: nothing ktui can catch, flush or clean up.
    let pid = ktui_pid(&topic).unwrap_or_else(|| panic!("ktui's pid\n{}", tui.diagnostics()));
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    tui.wait_exit(SHOWN);
    drop(tui);
    assert!(file.exists(), "the draft outlives the process");

    // The next start, same HOME: the draft is back in the form, and ktui says so.
    let Some(tui) = Tui::start_with(&["-b", &address], 120, 30, options) else {
        return;
    };
    let screen = tui.wait_settled_for("your unsent draft from", SHOWN);
    assert!(screen.contains("was restored"), "{screen}");
    tui.send_key("3");
    let screen = tui.wait_settled("the draft in the form", SHOWN, |s| {
        field(s, "Key").as_deref() == Some("dk")
    });
    assert_eq!(
        field(&screen, "Topic").as_deref(),
        Some(topic.as_str()),
        "{screen}"
    );
    assert_eq!(value_rows(&screen)[0], value, "{screen}");
    assert!(screen.contains("│dh=1"), "{screen}");
    assert!(
        screen.contains("Your unsent draft from") && screen.contains("Ctrl-L twice discards it"),
        "{screen}"
    );

    // Ctrl-L asks, Ctrl-L again discards: the form empties and the file goes.
    tui.send_key("C-l");
    tui.wait_settled_for("Ctrl-L again: empty the form", SHOWN);
    tui.send_key("C-l");
    let screen = tui.wait_settled("the form emptied", SHOWN, |s| {
        field(s, "Key").as_deref() == Some("") && value_label(s) == "empty"
    });
    assert_eq!(
        field(&screen, "Topic").as_deref(),
        Some(topic.as_str()),
        "the topic stays"
    );
    wait_until("compose-draft.json removed", SHOWN, || {
        if file.exists() {
            Err(std::fs::read_to_string(&file).unwrap_or_default())
        } else {
            Ok(())
        }
    });
}

// ---------------------------------------------------------------------------------------
// B5: history, in the popup and across runs

#[test]
fn sent_messages_are_in_the_history_popup_and_survive_a_restart() {
    let Some((address, topic)) = shared_with_topic("cmp-hist", 1) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let options = TuiOptions {
        home: Some(home.path()),
        ..TuiOptions::default()
    };
    let Some((tui, _)) = compose(&address, &topic, 120, 30, options) else {
        return;
    };
    let value = "remember me ✓";
    type_and_see(&tui, value, |s| value_label(s) == "text", "the value");
    tab(&tui, 3);
    type_and_see(
        &tui,
        "hk",
        |s| field(s, "Key").as_deref() == Some("hk"),
        "key",
    );
    tab(&tui, 3); // key schema, schema, headers
    type_and_see(&tui, "hh=1", |s| s.contains("│hh=1"), "the header");
    send_and_confirm(&tui, &topic, 1);

    // Leave the editor, open the history.
    leave_editor(&tui);
    tui.send_key("C-r");
    let screen = tui.wait_settled_for("History (Enter loads into the editor", SHOWN);
    let entry = screen
        .lines()
        .find(|l| l.contains(&format!("{topic} key hk")))
        .unwrap_or_else(|| panic!("the sent message is listed:\n{screen}"));
    assert!(entry.contains(value), "{entry}");
    tui.send_key("Escape");
    tui.wait_settled("the popup closed", SHOWN, |s| !s.contains("History (Enter"));

    // Change the key, then load the entry back: the key it was sent with returns.
    tui.send_key("i");
    tab(&tui, 3);
    tui.send_key("C-u");
    type_and_see(
        &tui,
        "zz",
        |s| field(s, "Key").as_deref() == Some("zz"),
        "new key",
    );
    tui.send_key("C-r"); // works while editing too
    tui.wait_settled_for("History (Enter loads into the editor", SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_settled("the entry loaded", SHOWN, |s| {
        !s.contains("History (Enter") && field(s, "Key").as_deref() == Some("hk")
    });
    assert_eq!(value_rows(&screen)[0], value, "{screen}");

    // The history file: private, and holding the message.
    let file = tui.data_dir().join("history.jsonl");
    wait_until("history.jsonl to hold the message", SHOWN, || {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        if text.contains(&serde_json::to_string(value).expect("JSON")) && text.contains(&topic) {
            Ok(())
        } else {
            Err(text)
        }
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "history.jsonl is private");
    }

    // Quit, start again with the same home: the history is there.
    leave_editor(&tui);
    tui.send_key("q");
    assert_eq!(tui.wait_exit(SHOWN), Exit::Code(0), "q quits cleanly");
    drop(tui);
    history_is_back_after_a_restart(&address, &topic, value, options);
}

/// A second run with the same home: Ctrl-R lists the first run's message, Enter loads
/// it (topic, key, header and value), Ctrl-S sends it again.
fn history_is_back_after_a_restart(
    address: &str,
    topic: &str,
    value: &str,
    options: TuiOptions<'_>,
) {
    let Some(tui) = Tui::start_with(&["-b", address], 120, 30, options) else {
        return;
    };
    tui.wait_settled("connected", SHOWN, |s| {
        s.contains(&format!("● connected {address}"))
    });
    tui.send_key("3");
    let screen = tui.wait_settled_for("the message value: text or JSON", SHOWN);
    assert_eq!(field(&screen, "Topic").as_deref(), Some(""), "{screen}");
    tui.send_key("C-r");
    let screen = tui.wait_settled_for("History (Enter loads into the editor", SHOWN);
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&format!("{topic} key hk")) && l.contains(value)),
        "the previous run's message:\n{screen}"
    );
    tui.send_key("Enter");
    let screen = tui.wait_settled("the entry loaded", SHOWN, |s| {
        field(s, "Topic").as_deref() == Some(topic)
    });
    assert_eq!(field(&screen, "Key").as_deref(), Some("hk"), "{screen}");
    assert!(screen.contains("│hh=1"), "the header:\n{screen}");
    assert_eq!(value_rows(&screen)[0], value, "{screen}");
    let (at, _) = send_and_confirm(&tui, topic, 1);
    let record = peer_record(address, topic, 2, at);
    assert_eq!(
        (
            record.key.as_deref(),
            record.value.as_deref(),
            record.headers
        ),
        (
            Some(&b"hk"[..]),
            Some(value.as_bytes()),
            vec![header("hh", "1")]
        ),
        "the reloaded message, resent"
    );
    assert_end_offsets(address, topic, &serde_json::json!({ "0": 2 }));
}

// ---------------------------------------------------------------------------------------
// B6: watch it arrive

#[test]
fn a_wide_terminal_watches_the_topic_and_reports_when_the_message_showed_up() {
    let Some((address, topic)) = shared_with_topic("cmp-w", 1) else {
        return;
    };
    // 180 columns: the editor (60 %) leaves a report line room for the whole topic name.
    let Some((tui, screen)) = compose(&address, &topic, 180, 34, TuiOptions::default()) else {
        return;
    };
    assert!(
        screen.contains(&format!("Watching {topic}")),
        "the watch pane names the topic:\n{screen}"
    );
    // A peer's record shows up there too: it is a live tail, not an echo.
    kp_produce_records(
        &address,
        &topic,
        &serde_json::json!([{"value": "from the peer"}]),
    );
    tui.wait_settled_for("p0 @0 from the peer", SHOWN);

    type_and_see(&tui, "watch me ✓", |s| value_label(s) == "text", "value");
    tui.send_key("C-s");
    let screen = tui.wait_settled("the report with the time to the tail", SHOWN, |s| {
        newest_report(s).contains("in the tail after ")
    });
    let report = newest_report(&screen);
    assert!(
        report.contains(&format!("✓ {topic} partition 0 offset 1")),
        "{screen}"
    );
    let ms: u64 = word_after(report, "in the tail after ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number of ms:\n{screen}"));
    assert!(ms < SHOWN.as_millis() as u64, "{ms} ms");
    assert!(
        screen.contains("p0 @1 watch me ✓"),
        "the record in the watch pane:\n{screen}"
    );
    assert_end_offsets(&address, &topic, &serde_json::json!({ "0": 2 }));
}

// ---------------------------------------------------------------------------------------
// B7: the demo cluster, read back with kcat

#[test]
fn on_the_demo_cluster_kcat_reads_the_composed_message() {
    if !kcat_available() {
        return;
    }
    let Some(tui) = Tui::start(&["--demo"], 120, 30) else {
        return;
    };
    let screen = tui.wait_settled("the demo connected", SHOWN, |s| {
        s.contains("DEMO cluster at ") && s.contains("● connected")
    });
    let address = word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no address:\n{screen}"))
        .to_string();
    tui.send_key("3");
    let screen = tui.wait_settled_for("the message value: text or JSON", SHOWN);
    assert_eq!(
        field(&screen, "Topic").as_deref(),
        Some(""),
        "no tail opened, so no topic yet:\n{screen}"
    );
    let value = format!("composed ✓ {} \"quoted\"", unique("v"));
    type_and_see(&tui, &value, |s| value_label(s) == "text", "the value");
    tab(&tui, 1);
    type_and_see(
        &tui,
        "sample",
        |s| field(s, "Topic").as_deref() == Some("sample"),
        "the topic",
    );
    tab(&tui, 2);
    type_and_see(
        &tui,
        "demo-key",
        |s| field(s, "Key").as_deref() == Some("demo-key"),
        "the key",
    );
    let (at, _) = send_and_confirm(&tui, "sample", 1);

    let kcat = kcat().expect("checked");
    let ran = run_with_timeout(
        Command::new(kcat)
            .args([
                "-C",
                "-b",
                &address,
                "-t",
                "sample",
                "-o",
                "beginning",
                "-e",
                "-q",
            ])
            .args(["-f", r"%p %o %k|%s\n"]),
        Duration::from_secs(20),
    );
    assert!(ran.status.is_some_and(|s| s.success()), "kcat -C: {ran:?}");
    let line = format!("{} {} demo-key|{value}", at.0, at.1);
    assert!(
        ran.stdout.lines().any(|l| l == line),
        "kcat reads {line:?}:\n{}",
        ran.stdout
    );
}

// ---------------------------------------------------------------------------------------
// B8: quitting with a message the broker never confirmed

#[test]
fn quitting_with_an_unconfirmed_message_says_so_and_exits_promptly() {
    let Some(mut node) = KafkaNode::start() else {
        return;
    };
    let address = node.address();
    let topic = topic_at(&address, "cmp-quit", 1);
    let options = TuiOptions {
        capture_stderr: true,
        ..TuiOptions::default()
    };
    let Some((tui, _)) = compose(&address, &topic, 120, 30, options) else {
        return;
    };
    type_and_see(
        &tui,
        "never confirmed",
        |s| value_label(s) == "text",
        "value",
    );
    node.kill();
    tui.send_key("C-s");
    tui.wait_settled("the pending report", SHOWN, |s| {
        newest_report(s).contains("… waiting for the broker")
    });
    leave_editor(&tui);
    tui.send_key("q");
    let asked = Instant::now();
    let exit = tui.wait_exit(Duration::from_secs(20));
    let took = asked.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "ktui took {took:?} to exit\n{}",
        tui.diagnostics()
    );
    assert!(
        matches!(exit, Exit::Code(1)),
        "exits by itself with 1 (a message was not confirmed), not killed by a signal: {exit:?}\n{}",
        tui.diagnostics()
    );
    let stderr = tui.stderr();
    assert!(
        stderr.contains("waiting up to 5 s for 1 unconfirmed message(s)"),
        "says it waits: {stderr:?}"
    );
    assert!(
        stderr.contains("1 message(s) were not confirmed by the broker before exit"),
        "says how many were lost: {stderr:?}"
    );
}
