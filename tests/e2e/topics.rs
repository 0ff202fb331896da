//! Layer 4: the real `ktui` binary in a terminal (tmux), driven as a person would, and
//! checked against what a peer client (kcat, kafka-python) sees on the same broker.
//! Each test runs its own terminal, and uniquely named topics on the shared Apache Kafka
//! node, or a Kafka node of its own when it takes the broker down.

use std::process::Command;
use std::time::Duration;

use crate::support::kafka::{self, KafkaNode};
use crate::support::peers::{kp, wait_for_topic};
use crate::support::process::run_with_timeout;
use crate::support::tui::{Exit, Tui, word_after};
use crate::support::{find_tool, require, unique};

/// Generous bound for anything the UI should show after a broker round trip.
const SHOWN: Duration = Duration::from_secs(15);
/// Bound for what a peer should see after ktui reported success.
const PEER_SEES: Duration = Duration::from_secs(10);
/// Bound for ktui to notice a broker that went away or came back (its reconnect backoff
/// and the next refresh).
const RECONNECTS: Duration = Duration::from_secs(30);

/// Starts ktui on `address` and waits until it is connected and has listed the topics.
fn connected_tui(address: &str) -> Option<Tui> {
    let tui = Tui::start(&["-b", address], 120, 30)?;
    tui.wait_until("connected and the topic list loaded", SHOWN, |s| {
        s.contains(&format!("● connected {address}"))
            && (s.contains("NAME") || s.contains("No topics. Press n to create one."))
    });
    Some(tui)
}

/// The rows of the topic list region (the left pane at 120 columns): the lines that
/// start with the list's border and hold `name` as a cell.
fn list_has_row(screen: &str, name: &str) -> bool {
    screen.lines().any(|line| {
        line.starts_with('│')
            && line
                .split('│')
                .nth(1)
                .is_some_and(|cell| cell.split_whitespace().next() == Some(name))
    })
}

#[test]
fn demo_cluster_is_listed_on_screen_and_reachable_by_kcat_then_q_quits() {
    if !require("kcat", find_tool("kcat", Some("KCAT_BIN"), None).is_some()) {
        return;
    }
    let Some(tui) = Tui::start(&["--demo"], 120, 30) else {
        return;
    };
    let screen = tui.wait_until("the demo's topics and its address", SHOWN, |s| {
        list_has_row(s, "sample") && s.contains("DEMO cluster at ") && s.contains("● connected")
    });
    assert!(
        list_has_row(&screen, "tweets"),
        "both seeded topics:\n{screen}"
    );
    let address = word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no address after 'DEMO cluster at':\n{screen}"))
        .to_string();
    assert!(
        address.contains(':'),
        "host:port, got {address:?}:\n{screen}"
    );

    // Whatever address the status bar shows, another client can use it.
    let kcat = find_tool("kcat", Some("KCAT_BIN"), None).expect("checked above");
    let ran = run_with_timeout(
        Command::new(kcat).args(["-b", &address, "-L", "-m", "10"]),
        Duration::from_secs(20),
    );
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "kcat -b {address} -L failed: {ran:?}"
    );
    assert!(
        ran.stdout.contains("topic \"sample\" with 3 partitions"),
        "kcat lists sample:\n{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("topic \"tweets\""),
        "kcat lists tweets:\n{}",
        ran.stdout
    );

    tui.send_keys("q");
    let status = tui.wait_exit(Duration::from_secs(10));
    assert_eq!(
        status,
        Exit::Code(0),
        "ktui exits cleanly on q\n{}",
        tui.diagnostics()
    );
}

#[test]
fn create_then_delete_a_topic_from_the_keyboard() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let Some(tui) = connected_tui(&address) else {
        return;
    };
    let name = unique("e2e-cd");

    // Create: n, the name, Tab, replace the partitions' "1" with "2", Enter.
    tui.send_keys("n");
    tui.wait_for("Create topic", SHOWN);
    tui.send_keys(&name);
    tui.wait_for(&format!("Name: {name}"), SHOWN);
    tui.send_key("Tab");
    tui.send_key("BSpace");
    tui.send_keys("2");
    tui.wait_for("Partitions: 2", SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_until("the new topic in the list, dialog closed", SHOWN, |s| {
        list_has_row(s, &name) && !s.contains("Create topic")
    });
    assert!(!screen.contains("Refused"), "{screen}");

    // The peer sees it, with the partitions typed.
    wait_for_topic(&address, &name, true, PEER_SEES);
    let described: serde_json::Value =
        serde_json::from_str(&kp(&address, &["describe-topics", &name])).expect("describe JSON");
    assert_eq!(
        described[&name], 2,
        "kafka-python sees 2 partitions: {described}"
    );

    // Select it with the filter, then delete it by typing its name.
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_keys(&name);
    tui.send_key("Enter");
    tui.wait_until("the filter kept, the topic selected", SHOWN, |s| {
        s.contains(&format!(" / {name}")) && list_has_row(s, &name) && s.contains("Topics 1/")
    });
    tui.send_keys("d");
    tui.wait_for("Type the topic's name to confirm", SHOWN);
    tui.send_keys(&name);
    tui.wait_for(&format!("> {name}"), SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_until("the topic gone from the list", SHOWN, |s| {
        !list_has_row(s, &name) && s.contains("No topic matches") && !s.contains("Delete topic")
    });
    assert!(!screen.contains("Refused"), "{screen}");
    wait_for_topic(&address, &name, false, PEER_SEES);
}

#[test]
fn a_refused_create_shows_the_broker_code_and_keeps_what_was_typed() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let name = unique("e2e-dup");
    kp(
        &address,
        &[
            "create-topic",
            &name,
            "--partitions",
            "1",
            "--replication",
            "1",
        ],
    );
    let Some(tui) = connected_tui(&address) else {
        return;
    };
    // The shared node holds every test's topics: the filter brings this one into view.
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_keys(&name);
    tui.send_key("Enter");
    tui.wait_until("the peer's topic in the filtered list", SHOWN, |s| {
        s.contains(&format!(" / {name}")) && list_has_row(s, &name) && s.contains("Topics 1/")
    });

    tui.send_keys("n");
    tui.wait_for("Create topic", SHOWN);
    tui.send_keys(&name);
    tui.wait_for(&format!("Name: {name}"), SHOWN);
    tui.send_key("Enter");
    let screen = tui.wait_for("Refused:", SHOWN);
    assert!(
        screen.contains("Refused: TOPIC_ALREADY_EXISTS (Broker: Topic already exists)"),
        "the broker's code and text:\n{screen}"
    );
    assert!(
        screen.contains("A topic with this name already exists."),
        "{screen}"
    );

    // Esc closes the dialog; n brings back what was typed.
    tui.send_key("Escape");
    tui.wait_until("the dialog closed", SHOWN, |s| !s.contains("Create topic"));
    tui.send_keys("n");
    let screen = tui.wait_for("Create topic", SHOWN);
    assert!(
        screen.contains(&format!("Name: {name}")),
        "the name survived Esc:\n{screen}"
    );

    // Nothing changed on the broker: still exactly one such topic, one partition.
    let described: serde_json::Value =
        serde_json::from_str(&kp(&address, &["describe-topics", &name])).expect("describe JSON");
    assert_eq!(described[&name], 1, "{described}");
}

/// ktui starts while nothing listens at the address, then a broker comes up there. The
/// node is started once first, only to learn its ports (a node picks its own), and killed
/// before ktui starts: ktui never saw it answer.
#[test]
fn unreachable_cluster_gets_a_full_view_then_recovers_when_the_broker_starts() {
    let Some(mut node) = KafkaNode::start() else {
        return;
    };
    node.kill();
    let address = node.address();
    let Some(tui) = Tui::start(&["-b", &address], 120, 30) else {
        return;
    };
    // ktui keeps retrying: between attempts the status bar says unreachable, during one
    // it says connecting, so the screen is awaited with both the view and the bar.
    let unreachable = format!("✖ unreachable {address}");
    let screen = tui.wait_until("the view and the status bar say unreachable", SHOWN, |s| {
        s.contains("Cannot reach the cluster") && s.contains(&unreachable)
    });
    assert!(
        screen.contains(&format!("Address  {address}")),
        "names the address:\n{screen}"
    );
    assert!(screen.contains("Connection refused"), "says why:\n{screen}");

    // The broker comes up on that very port: ktui keeps retrying and recovers by itself.
    node.restart();
    let screen = tui.wait_until("connected after the broker came up", RECONNECTS, |s| {
        s.contains(&format!("● connected {address}")) && !s.contains("Cannot reach the cluster")
    });
    assert!(!screen.contains("unreachable"), "{screen}\n{}", node.log());
    tui.wait_for("No topics. Press n to create one.", SHOWN);
}

/// The broker crashes (killed, no controlled shutdown) and restarts on its storage, as a
/// real broker does: ktui keeps the last list while it is gone, then lists the topics
/// again, the old one and one created meanwhile, from the restarted broker.
#[test]
fn losing_the_broker_keeps_the_list_and_says_so_then_reconnects() {
    let Some(mut node) = KafkaNode::start() else {
        return;
    };
    let address = node.address();
    let name = unique("e2e-lost");
    kp(
        &address,
        &[
            "create-topic",
            &name,
            "--partitions",
            "1",
            "--replication",
            "1",
        ],
    );
    let Some(tui) = connected_tui(&address) else {
        return;
    };
    tui.wait_until("the peer's topic in the list", SHOWN, |s| {
        list_has_row(s, &name)
    });

    node.kill();
    let screen = tui.wait_until("the lost connection reported", RECONNECTS, |s| {
        s.contains(&format!("✖ unreachable {address}"))
            && s.contains("refresh failed (~ counts are stale):")
            && s.contains("Lost the connection to the cluster")
    });
    // The last list stays on screen (not the full "cannot reach" view).
    assert!(list_has_row(&screen, &name), "the list is kept:\n{screen}");
    assert!(!screen.contains("Cannot reach the cluster"), "{screen}");

    // The same broker back, on its storage: the topic is still there.
    node.restart();
    tui.wait_until("connected again", RECONNECTS, |s| {
        s.contains(&format!("● connected {address}")) && s.contains("Connected again")
    });
    // A topic created after the restart shows that the list is the broker's again, not
    // the one kept from before.
    let after = unique("e2e-after");
    kp(
        &address,
        &[
            "create-topic",
            &after,
            "--partitions",
            "1",
            "--replication",
            "1",
        ],
    );
    let screen = tui.wait_until("both topics listed by the restarted broker", SHOWN, |s| {
        list_has_row(s, &name) && list_has_row(s, &after)
    });
    assert!(!screen.contains("refresh failed"), "{screen}");
    assert!(!screen.contains("unreachable"), "{screen}");
}
