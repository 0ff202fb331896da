//! Layer 4 for the Tail tab: the real `ktui` binary in a terminal (tmux), driven from the
//! keyboard, with a peer client publishing into the same cluster: kafka-python into
//! Apache Kafka (the shared node, a uniquely named topic per test), kcat into the
//! embedded demo cluster that `--demo` runs (kafka-python cannot talk to librdkafka's
//! mock cluster). Each test runs its own terminal, and its own demo cluster or topic.

use std::path::Path;
use std::time::Duration;

use ktui::kafka::envelope::Envelope;
use ktui::kafka::model::Header;
use serde_json::json;

use crate::support::kafka;
use crate::support::peers::{kcat_available, kcat_produce, kp, kp_produce_records};
use crate::support::tui::{Tui, word_after};
use crate::support::unique;

/// Generous bound for anything the UI should show after a broker round trip.
const SHOWN: Duration = Duration::from_secs(15);
/// How soon a published record must be on screen.
const LIVE: Duration = Duration::from_secs(5);

/// The first row of the record table (a line inside the table's border) holding `needle`.
fn row<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.starts_with('│') && line.contains(needle))
}

/// A table row's cells after the time: partition, offset, then the key (when there is
/// one) and the value's words.
fn cells(row: &str) -> Vec<&str> {
    row.trim_matches('│').split_whitespace().skip(1).collect()
}

/// A header line without the rate sparkline drawn at its right end.
fn header_text(line: &str) -> &str {
    line.trim_end_matches(|c: char| c.is_whitespace() || ('▁'..='█').contains(&c))
}

/// The header line with the tail's state ("● live", "⏸ PAUSED …").
fn status_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("● live") || l.starts_with("⏸ PAUSED"))
        .map_or("", header_text)
}

/// The header line with the filter ("filter …").
fn filter_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("filter "))
        .map_or("", header_text)
}

/// Whether the tab bar is intact on the top line.
fn tab_bar_intact(screen: &str) -> bool {
    screen
        .lines()
        .next()
        .is_some_and(|l| l.contains("1 Topics │ 2 Tail │ 3 Compose"))
}

/// `ktui --demo --feed off --topic tweets -o beginning` (tweets starts empty, so the tail shows
/// exactly what the test publishes), in `cwd` when given, waiting until the tail is live.
/// Returns the terminal and the address the status bar gives other clients.
fn demo_tail(cwd: Option<&Path>, width: u16) -> Option<(Tui, String)> {
    if !kcat_available() {
        return None;
    }
    // --feed off: the demo would otherwise replay its made-up tweets into `tweets`.
    let args = [
        "--demo",
        "--feed",
        "off",
        "--topic",
        "tweets",
        "-o",
        "beginning",
    ];
    let tui = match cwd {
        Some(dir) => Tui::start_in(dir, &args, width, 30)?,
        None => Tui::start(&args, width, 30)?,
    };
    let screen = tui.wait_settled("the demo tail live on tweets", SHOWN, |s| {
        status_line(s) == "● live" && s.contains("DEMO cluster at ") && s.contains("● connected")
    });
    assert!(
        screen.contains("tweets · from beginning · partitions 0,1,2"),
        "the header names the topic, the start and the partitions:\n{screen}"
    );
    let address = word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no address after 'DEMO cluster at':\n{screen}"))
        .to_string();
    Some((tui, address))
}

// ---------------------------------------------------------------------------------------
// B1: the quickstart, on a real broker

#[test]
fn quickstart_messages_show_up_live_on_kafka() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("e2e-quick");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let Some(tui) = Tui::start(&["-b", &address, "--topic", &topic], 120, 30) else {
        return;
    };
    let screen = tui.wait_settled("the tail live", SHOWN, |s| status_line(s) == "● live");
    assert!(
        screen.contains(&format!("{topic} · from end · partitions 0")),
        "tails from the end by default:\n{screen}"
    );
    assert!(screen.contains("Waiting for records on"), "{screen}");

    // The quickstart's producer.py: a value alone, then a keyed one.
    kp_produce_records(&address, &topic, &json!([{"value": "Hello, CSYE7245!"}]));
    kp_produce_records(
        &address,
        &topic,
        &json!([{"key": "message-two", "value": "Kafka in use!"}]),
    );
    let screen = tui.wait_settled("both quickstart messages", LIVE, |s| {
        row(s, "Hello, CSYE7245!").is_some() && row(s, "Kafka in use!").is_some()
    });
    let first = row(&screen, "Hello, CSYE7245!").expect("checked");
    assert_eq!(
        cells(first)[..4],
        ["0", "0", "Hello,", "CSYE7245!"],
        "partition 0, offset 0, no key:\n{screen}"
    );
    let second = row(&screen, "Kafka in use!").expect("checked");
    assert_eq!(
        cells(second)[..6],
        ["0", "1", "message-two", "Kafka", "in", "use!"],
        "partition 0, offset 1, the key shown:\n{screen}"
    );
    assert!(screen.contains(" 2 records "), "{screen}");
    let at = |needle: &str| screen.find(needle).expect("on screen");
    assert!(
        at("Hello, CSYE7245!") < at("Kafka in use!"),
        "in order:\n{screen}"
    );
}

// ---------------------------------------------------------------------------------------
// B2: hostile bytes stay inert

#[test]
fn hostile_bytes_are_shown_as_escapes_and_do_nothing() {
    let Some((tui, address)) = demo_tail(None, 120) else {
        return;
    };
    let title_before = tui.pane_title();
    // Key before the first ':': ESC ] 2 ; … BEL retitles; ESC [ 2 J clears; U+202E
    // reverses what follows.
    kcat_produce(
        &address,
        "tweets",
        &["\x1b]2;KEYPWN\x07:\x1b]0;PWNED\x07\x1b[2J evil \u{202e}gnp.exe"],
        &["-K:"],
    );
    let screen = tui.wait_settled_for(r"\x1b]0;PWNED\x07", LIVE);
    let line = row(&screen, "PWNED").expect("the record's row");
    assert!(
        line.contains(r"\x1b]0;PWNED\x07\x1b[2J evil \u{202e}gnp.exe"),
        "every control shown as a visible escape:\n{screen}"
    );
    assert!(
        line.contains(r"\x1b]2;KEYPWN\x07"),
        "the key too:\n{screen}"
    );
    assert!(
        !screen.contains('\u{202e}'),
        "no raw bidi override:\n{screen}"
    );
    // Nothing was cleared, nothing retitled.
    assert_eq!(status_line(&screen), "● live", "{screen}");
    assert!(tab_bar_intact(&screen), "{screen}");
    assert!(screen.contains("Space pause"), "the hint bar:\n{screen}");
    assert!(
        screen.contains("tweets · from beginning · partitions 0,1,2"),
        "the header is still there:\n{screen}"
    );
    let title = tui.pane_title();
    assert_eq!(title, title_before, "the pane title is unchanged");
    assert!(!title.contains("PWN"), "{title}");

    // The detail view shows the same bytes, escaped as well.
    tui.send_key("Enter");
    let screen = tui.wait_settled_for("value · ", SHOWN);
    assert!(
        screen.contains(r"\x1b]0;PWNED\x07\x1b[2J evil \u{202e}gnp.exe"),
        "{screen}"
    );
    assert!(screen.contains(r"key       \x1b]2;KEYPWN\x07"), "{screen}");
    assert!(!screen.contains('\u{202e}'), "{screen}");
    assert!(tab_bar_intact(&screen), "{screen}");
    assert_eq!(tui.pane_title(), title_before);
}

// ---------------------------------------------------------------------------------------
// B3: pause, and one record in full

#[test]
fn pause_counts_new_records_and_detail_shows_pretty_json_and_hex() {
    let Some((tui, address)) = demo_tail(None, 120) else {
        return;
    };
    // Everything into partition 0, so the table's order is the order published.
    let produce = |values: &[&str]| kcat_produce(&address, "tweets", values, &["-p", "0"]);
    produce(&["first", "second", "third"]);
    tui.wait_settled("three records", LIVE, |s| {
        s.contains(" 3 records ") && row(s, "third").is_some()
    });

    tui.send_keys(" ");
    let screen = tui.wait_settled_for("PAUSED", SHOWN);
    assert_eq!(
        status_line(&screen),
        "⏸ PAUSED · 0 new since (Space resumes)",
        "{screen}"
    );
    produce(&["fourth"]);
    tui.wait_settled_for("PAUSED · 1 new since", LIVE);
    produce(&[
        "fifth",
        r#"{"user":{"id":7,"name":"lin"},"level":"warn","msg":"sixth"}"#,
    ]);
    let screen = tui.wait_settled_for("PAUSED · 3 new since", LIVE);
    assert!(
        screen.contains("buffer 6 /"),
        "the consumer kept going:\n{screen}"
    );
    assert!(
        screen.contains(" 3 records ") && row(&screen, "fourth").is_none(),
        "but the paused view did not change:\n{screen}"
    );
    assert!(screen.contains(" Space resume "), "{screen}");

    tui.send_keys(" ");
    let screen = tui.wait_settled("live again", SHOWN, |s| status_line(s) == "● live");
    assert!(!screen.contains("new since"), "{screen}");

    // Following, the newest record is selected: the JSON one.
    tui.send_key("Enter");
    let screen = tui.wait_settled_for("JSON, pretty", SHOWN);
    assert!(
        screen.contains("tweets · partition 0 · offset 5"),
        "the newest record:\n{screen}"
    );
    let body = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                l.trim_start_matches('│')
                    .trim_end_matches('│')
                    .trim_end()
                    .to_string()
            })
            .collect()
    };
    let lines = body(&screen);
    assert!(
        lines.iter().any(|l| l == r#"  "user": {"#),
        "pretty JSON, one member per line:\n{screen}"
    );
    assert!(
        lines.iter().any(|l| l == r#"    "name": "lin""#),
        "{screen}"
    );
    assert!(lines.iter().any(|l| l == "}"), "{screen}");

    tui.send_keys("v");
    let screen = tui.wait_settled_for("JSON, raw", SHOWN);
    assert!(
        body(&screen)
            .iter()
            .any(|l| l == r#"{"user":{"id":7,"name":"lin"},"level":"warn","msg":"sixth"}"#),
        "{screen}"
    );
    tui.send_keys("v");
    let screen = tui.wait_settled_for("JSON, hex", SHOWN);
    assert!(
        body(&screen)
            .iter()
            .any(|l| l.starts_with("00000000  7b 22 75 73 65 72 22 3a")),
        "a hex dump from offset 0 ({{\"user\":):\n{screen}"
    );

    tui.send_key("Escape");
    let screen = tui.wait_settled("back to the table", SHOWN, |s| {
        !s.contains("JSON, hex") && s.contains(" 6 records ") && row(s, "first").is_some()
    });
    assert_eq!(status_line(&screen), "● live", "{screen}");
    assert!(row(&screen, "first").is_some(), "{screen}");
}

// ---------------------------------------------------------------------------------------
// B4: filters

#[test]
fn a_jq_filter_lists_only_matches_and_a_bad_one_keeps_the_last_good_one() {
    let Some((tui, address)) = demo_tail(None, 120) else {
        return;
    };
    // Keyed lines: the key is before the first ':', so the JSON keeps its own colons.
    kcat_produce(
        &address,
        "tweets",
        &[
            r#"u1:{"level":"info","msg":"signed in"}"#,
            r#"u2:{"level":"error","msg":"payment declined"}"#,
            r#"u3:{"level":"warn","msg":"slow"}"#,
            "u4:not json at all",
        ],
        &["-K:", "-p", "1"],
    );
    tui.wait_settled("four records", LIVE, |s| {
        s.contains(" 4 records ") && row(s, "not json").is_some()
    });

    tui.send_keys("/");
    tui.send_keys(r#".level == "error""#);
    tui.send_key("Enter");
    let screen = tui.wait_settled_for(" 1 of 4 records ", SHOWN);
    assert_eq!(
        filter_line(&screen),
        r#"filter .level == "error" (jq: 1 of 4 matched)"#,
        "{screen}"
    );
    let matched = row(&screen, "payment declined").expect("the match is listed");
    assert!(matched.contains("u2"), "{screen}");
    for other in ["signed in", "slow", "not json"] {
        assert!(row(&screen, other).is_none(), "{other} hidden:\n{screen}");
    }

    // A broken expression: the error shows inline; the last good filter stays. The
    // filter applies as it is typed (on the next tick), so it is broken by deleting the
    // end of the good one: every line on the way (`.level == "erro`, …, `.level ==`) is
    // invalid too. (Clearing the line first would apply the empty filter, no filter, as
    // the last good one whenever a tick came between the keys.)
    tui.send_keys("/");
    for _ in 0..r#" "error""#.len() {
        tui.send_key("BSpace");
    }
    tui.wait_settled("the broken expression typed", SHOWN, |s| {
        filter_line(s)
            .strip_prefix("filter .level ==")
            .is_some_and(|rest| !rest.trim_start().starts_with('"'))
    });
    tui.send_key("Enter");
    let screen = tui.wait_settled("the jq error inline", SHOWN, |s| {
        filter_line(s).contains("matched)  jq:")
    });
    let filter = filter_line(&screen);
    assert!(
        filter.starts_with("filter .level == (jq: 1 of 4 matched)  jq:"),
        "{screen}"
    );
    assert!(screen.contains(" 1 of 4 records "), "{screen}");
    assert!(row(&screen, "payment declined").is_some(), "{screen}");
    assert!(row(&screen, "signed in").is_none(), "{screen}");
}

// ---------------------------------------------------------------------------------------
// B5: export

#[test]
fn export_writes_the_records_as_private_ndjson_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((tui, address)) = demo_tail(Some(dir.path()), 120) else {
        return;
    };
    // One kcat run per record: kcat puts the same headers on every record of a run.
    kcat_produce(
        &address,
        "tweets",
        &["k1:one"],
        &["-K:", "-p", "0", "-H", "trace=t-1"],
    );
    kcat_produce(&address, "tweets", &[r#"{"n":2}"#], &["-p", "0"]);
    kcat_produce(
        &address,
        "tweets",
        &["k3:drei ✓"],
        &["-K:", "-p", "0", "-H", "a=x", "-H", "b=", "-H", "nil"],
    );
    tui.wait_settled("three records", LIVE, |s| {
        s.contains(" 3 records ") && row(s, "drei").is_some()
    });

    tui.send_keys("e");
    let screen = tui.wait_settled_for("Exported 3 records to ", SHOWN);
    let name = word_after(&screen, "Exported 3 records to ")
        .expect("a file name")
        .to_string();
    assert!(
        name.starts_with("ktui-tweets-") && name.ends_with(".ndjson"),
        "{name}\n{screen}"
    );
    let path = dir.path().join(&name);
    assert!(path.is_file(), "{} in ktui's directory", path.display());
    let exported = std::fs::read_dir(dir.path())
        .expect("read_dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".ndjson"))
        .count();
    assert_eq!(exported, 1, "one file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private: {mode:o}");
    }

    let text = std::fs::read_to_string(&path).expect("the export");
    assert!(text.ends_with('\n'), "one line per record: {text:?}");
    let got: Vec<_> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let envelope: Envelope =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(envelope.topic.as_deref(), Some("tweets"), "{line}");
            assert_eq!(envelope.partition, Some(0), "{line}");
            assert_eq!(envelope.offset, i64::try_from(i).ok(), "{line}");
            envelope.payload().expect("payload")
        })
        .collect();
    let header = |name: &str, value: Option<&str>| Header {
        name: name.into(),
        value: value.map(|v| v.as_bytes().to_vec()),
    };
    let bytes = |s: &str| Some(s.as_bytes().to_vec());
    let want = vec![
        (
            bytes("k1"),
            bytes("one"),
            vec![header("trace", Some("t-1"))],
        ),
        (None, bytes(r#"{"n":2}"#), vec![]),
        (
            bytes("k3"),
            bytes("drei ✓"),
            vec![
                header("a", Some("x")),
                header("b", Some("")),
                header("nil", None),
            ],
        ),
    ];
    assert_eq!(got, want, "{text}");
}
