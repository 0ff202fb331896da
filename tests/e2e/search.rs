//! Layer 4 for the Tail tab's search through history: the real binary in tmux on the demo
//! cluster, kcat publishing; `/` sets a jq filter, `o` gives the search an end (Until),
//! and the header reports it done with exactly the matching records in the table.

use std::time::Duration;

use crate::support::peers::{kcat_available, kcat_produce};
use crate::support::tui::{Tui, word_after};

const SHOWN: Duration = Duration::from_secs(15);

#[test]
fn a_search_with_an_end_reads_history_through_the_filter_and_says_when_done() {
    if !kcat_available() {
        return;
    }
    let Some(tui) = Tui::start(
        &[
            "--demo",
            "--feed",
            "off",
            "--topic",
            "tweets",
            "-o",
            "beginning",
        ],
        120,
        30,
    ) else {
        return;
    };
    let screen = tui.wait_settled("the demo tail live", SHOWN, |s| {
        s.contains("● live") && s.contains("● connected")
    });
    let address = word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no address:\n{screen}"))
        .to_string();
    let values: Vec<String> = (0..30)
        .map(|n| {
            let level = if n % 3 == 0 { "error" } else { "info" };
            format!(r#"{{"n":{n},"level":"{level}"}}"#)
        })
        .collect();
    let lines: Vec<&str> = values.iter().map(String::as_str).collect();
    kcat_produce(&address, "tweets", &lines, &["-p", "0"]);
    tui.wait_settled("every record", SHOWN, |s| s.contains(" 30 records "));

    tui.send_keys("/");
    tui.send_keys(r#"select(.level == "error" and .n >= 10)"#);
    tui.send_key("Enter");
    tui.send_keys("o");
    tui.wait_settled("the options", SHOWN, |s| s.contains("Until:"));
    tui.send_key("Tab");
    tui.send_keys("now");
    tui.send_key("Enter");
    // n = 12, 15, …, 27: 6 matches of the 30 records read.
    let screen = tui.wait_settled("the search done", SHOWN, |s| {
        s.contains("✔ search done: 6 matches in 30 / 30 records")
    });
    assert!(
        screen.contains(" 6 records "),
        "only the matches are kept:\n{screen}"
    );
    for n in [12, 27] {
        assert!(
            screen.contains(&format!(r#"{{"n":{n},"level":"error"}}"#)),
            "{screen}"
        );
    }
    assert!(!screen.contains(r#"{"n":9,"#), "{screen}");
    assert!(
        !screen.contains("Esc stop search"),
        "no search to stop now:\n{screen}"
    );
}
