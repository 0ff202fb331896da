//! Layer 4 at scale: a Kafka node of its own holding 10,000 topics. The worker sends the
//! names before any count, and the counts of the topics on screen first; the Topics tab
//! fills in every count, shows no `?` while idle, stays responsive to the cursor and the
//! filter, and keeps each count (marked stale, `~`) once the broker stops answering.

use std::time::{Duration, Instant};

use ktui::kafka::client::ClientSettings;
use ktui::kafka::worker::WorkerOptions;
use ktui::kafka::{Command, KafkaEvent};

use crate::support::bulk::create_led_topics;
use crate::support::kafka::KafkaNode;
use crate::support::peers::kp_produce_records;
use crate::support::tui::Tui;
use crate::support::worker::next_event;

const TOPICS: usize = 10_000;
/// Bound for a whole metadata + watermarks round over 10,000 topics on a busy CI machine.
const ROUND: Duration = Duration::from_secs(60);

fn name(i: usize) -> String {
    format!("scale-{i:05}")
}

/// The rows of the topic list (the left pane at 120 columns): (name, messages cell).
fn rows(screen: &str) -> Vec<(String, String)> {
    screen
        .lines()
        .filter_map(|line| {
            let cells = line.split('│').nth(1)?;
            let words: Vec<&str> = cells.split_whitespace().collect();
            (words.len() == 5 && words[0].starts_with("scale-"))
                .then(|| (words[0].to_string(), words[4].to_string()))
        })
        .collect()
}

/// The worker: the names come before any count; a pass counts every partition, the topics
/// on screen first.
fn worker_sends_names_first_then_the_screen_first(address: &str, rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let mut worker =
            ktui::kafka::worker::spawn(WorkerOptions::new(ClientSettings::new(address)));
        let mut counted_before_names = 0;
        let names = next_event(&mut worker, "the topic names", ROUND, |e| match e {
            KafkaEvent::Watermarks { .. } => {
                counted_before_names += 1;
                None
            }
            KafkaEvent::Metadata { result: Ok(s), .. } => Some(s.clone()),
            _ => None,
        })
        .await;
        assert_eq!(counted_before_names, 0);
        assert!(names.topics.len() >= TOPICS, "{}", names.topics.len());
        assert!(
            names
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .all(|p| p.high.is_none()),
            "metadata comes without watermarks"
        );
        // A pass in which every leader answered (just after the topics were created, a
        // leader may refuse ListOffsets for a moment: that pass leaves those out).
        let mut passes = Vec::new();
        let asked = next_event(&mut worker, "a whole pass", ROUND, |e| match e {
            KafkaEvent::WatermarksDone {
                asked, answered, ..
            } => {
                passes.push((*asked, *answered));
                (answered == asked).then_some(*asked)
            }
            _ => None,
        })
        .await;
        assert!(asked >= TOPICS, "{passes:?}");

        // The topics on screen (far down the list) are asked first.
        let on_screen = vec![name(7_000), name(7_001)];
        for command in [
            Command::Watermarks {
                wanted: true,
                first: on_screen.clone(),
            },
            Command::RefreshMetadata { id: 9 },
        ] {
            worker
                .commands
                .send(command)
                .await
                .expect("the worker runs");
        }
        next_event(&mut worker, "the refresh", ROUND, |e| {
            matches!(e, KafkaEvent::Metadata { id: 9, .. }).then_some(())
        })
        .await;
        // The first calls run at once (8 of them): the topics on screen come with one of
        // their answers, long before the pass reaches them by name.
        let mut answers = 0;
        next_event(
            &mut worker,
            "the topics on screen counted",
            ROUND,
            |e| match e {
                KafkaEvent::Watermarks { ends, .. } => {
                    answers += 1;
                    ends.iter()
                        .any(|end| on_screen.contains(&end.topic))
                        .then_some(())
                }
                _ => None,
            },
        )
        .await;
        assert!(
            answers <= 8,
            "the topics on screen came in answer {answers}"
        );
        worker
            .commands
            .send(Command::Shutdown)
            .await
            .expect("the worker runs");
    });
}

#[test]
fn ten_thousand_topics_names_first_then_counts_none_unknown_stale_once_the_broker_stops() {
    if !Tui::tmux_available() {
        return;
    }
    let Some(mut node) = KafkaNode::start() else {
        return;
    };
    let address = node.address();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let names: Vec<String> = (0..TOPICS).map(name).collect();
    create_led_topics(&address, &names, 1, &rt);
    kp_produce_records(
        &address,
        &name(0),
        &serde_json::json!([{"value": "a"}, {"value": "b"}, {"value": "c"}]),
    );

    worker_sends_names_first_then_the_screen_first(&address, &rt);

    // The Topics tab.
    let Some(tui) = Tui::start(&["-b", &address], 120, 30) else {
        return;
    };
    let screen = tui.wait_until("every topic counted", ROUND, |s| {
        s.contains(" 3 messages ") && s.contains("Topics 10000/")
    });
    assert!(
        rows(&screen).contains(&(name(0), "3".into())),
        "the first topic's count:\n{screen}"
    );
    // Idle through two refreshes: never an unknown or pending count.
    let idle_until = Instant::now() + Duration::from_secs(12);
    while Instant::now() < idle_until {
        let screen = tui.screen();
        let rows = rows(&screen);
        assert!(!rows.is_empty(), "{screen}");
        assert!(
            rows.iter().all(|(_, count)| count != "?" && count != "…"),
            "an unknown count while idle:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(700));
    }
    // The cursor and the filter.
    tui.send_keys("G");
    tui.wait_until("the last topic selected", ROUND, |s| {
        rows(s).iter().any(|(n, _)| *n == name(TOPICS - 1))
    });
    tui.send_keys("/scale-0777");
    tui.send_key("Enter");
    let screen = tui.wait_until("ten topics pass the filter", ROUND, |s| {
        s.contains("Topics 10/") && rows(s).len() == 10
    });
    assert!(
        rows(&screen)
            .iter()
            .all(|(n, count)| n.starts_with("scale-0777") && count == "0"),
        "{screen}"
    );

    // The broker stops answering: every count stays, marked stale.
    node.kill();
    let screen = tui.wait_until("counts marked stale", ROUND, |s| {
        s.contains(&format!("unreachable {address}"))
            && rows(s).iter().all(|(_, count)| count == "~0")
    });
    assert_eq!(rows(&screen).len(), 10, "the list is kept:\n{screen}");
    // Without the filter, the reason and what `~` means.
    tui.send_key("Escape");
    tui.wait_until("the reason", ROUND, |s| {
        s.contains("refresh failed (~ counts are stale)")
            && rows(s).iter().all(|(_, c)| c.starts_with('~'))
    });
}
