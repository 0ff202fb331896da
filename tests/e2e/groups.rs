//! Layer 4 for the Groups tab: the real `ktui` binary in tmux on the shared Apache Kafka
//! node. A peer (confluent-kafka) consumes part of a topic as a group and commits; ktui
//! shows the group with its lag, opens its details, and resets it to the earliest offsets
//! through the dialog with the group's name typed; the peer then reads the moved offsets.

use std::process::Command;
use std::time::Duration;

use crate::support::kafka;
use crate::support::peers::{ck, ck_available, kp, kp_produce_records, python, wait_for_topic};
use crate::support::process::run_with_timeout;
use crate::support::tui::Tui;
use crate::support::{unique, wait_until};

/// Generous bound for anything the UI should show after a broker round trip (a listing
/// refresh included).
const SHOWN: Duration = Duration::from_secs(30);
/// Bound for what a peer should see after ktui reported success.
const PEER_SEES: Duration = Duration::from_secs(15);

/// Consumes `count` records of `topic` as a member of `group` (confluent-kafka,
/// subscribed, so a classic group with an assignor), commits the position after them and
/// leaves the group.
const CONSUME_AND_COMMIT: &str = r#"
import sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap, group, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
consumer.subscribe([topic])
read, last, deadline = 0, None, time.monotonic() + 60
while read < count:
    if time.monotonic() > deadline:
        raise SystemExit(f"read {read} of {count} records")
    msg = consumer.poll(0.5)
    if msg is None or msg.error() is not None:
        continue
    read, last = read + 1, msg
consumer.commit(offsets=[TopicPartition(topic, last.partition(), last.offset() + 1)],
                asynchronous=False)
consumer.close()
print(read)
"#;

/// The group's committed offsets for `topic` as confluent-kafka reads them.
fn committed(address: &str, group: &str, topic: &str) -> serde_json::Value {
    let out = ck(address, &["committed", group, topic]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("ck.py committed printed {out:?}: {e}"))
}

/// The screen's row for `group` in the list: the line holding its name as a cell.
fn group_row<'a>(screen: &'a str, group: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        line.split_whitespace()
            .any(|w| w == group || w == format!("│{group}"))
    })
}

#[test]
fn a_groups_lag_is_shown_and_a_reset_to_earliest_moves_its_offsets() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    if !crate::support::require("confluent-kafka", ck_available()) {
        return;
    }
    let address = broker.address();
    let topic = unique("e2e-grp");
    let group = unique("e2e-g");
    kp(
        &address,
        &[
            "create-topic",
            &topic,
            "--partitions",
            "1",
            "--replication",
            "1",
        ],
    );
    wait_for_topic(&address, &topic, true, PEER_SEES);
    let records: Vec<serde_json::Value> = (0..10)
        .map(|i| serde_json::json!({"key": format!("k{i}"), "value": format!("v{i}")}))
        .collect();
    kp_produce_records(&address, &topic, &serde_json::Value::Array(records));
    let ran = run_with_timeout(
        Command::new(python()).args(["-c", CONSUME_AND_COMMIT, &address, &group, &topic, "4"]),
        Duration::from_secs(90),
    );
    assert!(ran.success(), "the peer consumer: {ran:?}");
    assert_eq!(
        committed(&address, &group, &topic),
        serde_json::json!({"0": 4})
    );

    let Some(tui) = Tui::start(&["-b", &address], 140, 36) else {
        return;
    };
    tui.wait_for(&format!("● connected {address}"), SHOWN);
    tui.send_keys("5");
    tui.wait_for("sort: lag", SHOWN);
    // The shared node holds every test's groups: the filter brings this one into view.
    tui.send_keys("/");
    tui.send_keys(&group);
    tui.send_key("Enter");
    // 10 records, 4 committed: 6 behind; the group left, so it is empty.
    tui.wait_until("the group alone in the list, 6 behind", SHOWN, |s| {
        s.contains(&format!(" / {group} "))
            && s.contains("Groups 1/")
            && group_row(s, &group).is_some_and(|row| {
                let cells: Vec<&str> = row.split_whitespace().collect();
                cells.contains(&"Empty") && cells.contains(&"6")
            })
    });

    // Its details: no members now, the partition with its committed offset and log end.
    tui.send_key("Enter");
    let screen = tui.wait_until("the group's partition in its details", SHOWN, |s| {
        s.contains(&format!("Group {group}"))
            && s.contains("TIME LAG")
            && s.lines().any(|line| {
                let cells: Vec<&str> = line.split_whitespace().collect();
                line.contains(&topic) && ["4", "10", "6"].iter().all(|c| cells.contains(c))
            })
    });
    assert!(screen.contains("No active members"), "{screen}");

    // Reset to the earliest offsets: the form (earliest is the first mode), the preview,
    // the group's name typed, Enter.
    tui.send_keys("r");
    tui.wait_for(&format!("Reset offsets of {group}"), SHOWN);
    tui.wait_for("‹ earliest ›", SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_for("Type the group's name to apply:", SHOWN);
    assert!(screen.contains("--to-earliest"), "{screen}");
    assert!(
        screen.lines().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            cells.windows(4).any(|w| w == ["0", "4", "0", "+4"])
        }),
        "partition 0 moves from 4 to 0, 4 more to read:\n{screen}"
    );
    tui.send_keys(&group);
    tui.wait_for(&format!("> {group}"), SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_until("the reset applied and the dialog closed", SHOWN, |s| {
        s.contains(&format!("Reset group {group}: 1 partition moved"))
            || (!s.contains("Type the group's name to apply:") && !s.contains("Refused"))
    });
    assert!(!screen.contains("Refused"), "{screen}");

    // The peer sees the new offset; ktui's list shows the whole topic as lag.
    wait_until("the peer to read offset 0", PEER_SEES, || {
        let now = committed(&address, &group, &topic);
        if now == serde_json::json!({"0": 0}) {
            Ok(())
        } else {
            Err(format!("committed {now}"))
        }
    });
    tui.wait_until("the lag back to 10", SHOWN, |s| {
        group_row(s, &group).is_some_and(|row| row.split_whitespace().any(|c| c == "10"))
    });
}

/// The last number in the group's row: its total lag.
fn lag_on_screen(screen: &str, group: &str) -> Option<i64> {
    group_row(screen, group)?
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter_map(|w| w.parse::<i64>().ok())
        .next_back()
}

/// On the demo, its own group (shop-dashboard) reads in bursts while the trickle writes:
/// the lag the Groups tab shows rises while it pauses and falls when it reads, and the
/// trend column draws both.
#[test]
fn the_demo_groups_lag_rises_and_falls_on_screen() {
    let Some(tui) = Tui::start_with(
        &["--demo"],
        140,
        36,
        crate::support::tui::TuiOptions {
            env: &[
                ("KTUI_DEMO_TRICKLE", "300ms"),
                ("KTUI_DEMO_LISTEN", "127.0.0.1:0"),
            ],
            ..crate::support::tui::TuiOptions::default()
        },
    ) else {
        return;
    };
    tui.wait_for("● connected", SHOWN);
    tui.send_key("5");
    tui.wait_for("shop-dashboard", SHOWN);
    // One read-and-pause cycle is 20 s: watch for a rise followed by a fall.
    let (mut peak, mut fell) = (None::<i64>, false);
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline && !fell {
        if let Some(lag) = lag_on_screen(&tui.screen(), "shop-dashboard") {
            if seen.last() != Some(&lag) {
                seen.push(lag);
            }
            match peak {
                Some(high) if lag < high && seen.first().is_some_and(|&first| high > first) => {
                    fell = true;
                }
                Some(high) if lag <= high => {}
                _ => peak = Some(lag),
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        fell,
        "the lag rose and then fell; seen {seen:?}\n{}",
        tui.screen()
    );
    let screen = tui.screen();
    let row = group_row(&screen, "shop-dashboard").unwrap_or_default();
    let bars: std::collections::BTreeSet<char> =
        row.chars().filter(|c| ('▁'..='█').contains(c)).collect();
    assert!(bars.len() >= 2, "the trend draws the change: {row}");
}
