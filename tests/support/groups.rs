//! Consumer groups made by independent clients (tests/peers/groups.py), and Kafka's own
//! `ConsumerGroupCommand` (kafka-consumer-groups.sh) as the oracle, its tables parsed.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::peers::{java_tool, python};
use super::process::run_with_timeout;

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/groups.py")
}

/// Runs `groups.py --bootstrap ADDR ARGS…`; panics with its stderr on failure.
pub fn groups_peer(bootstrap: &str, args: &[&str]) -> String {
    let ran = run_with_timeout(
        Command::new(python())
            .arg(script())
            .args(["--bootstrap", bootstrap])
            .args(args),
        Duration::from_secs(60),
    );
    assert!(
        ran.success(),
        "groups.py {args:?} failed ({:?}): {}{}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    ran.stdout
}

/// A group member running in the background (confluent-kafka), killed when dropped.
pub struct Member {
    child: Child,
}

impl Member {
    /// Starts a member of `group` on `topic` and waits until it owns partitions.
    pub fn join(bootstrap: &str, group: &str, topic: &str, protocol: &str) -> Self {
        let mut child = Command::new(python())
            .arg(script())
            .args(["--bootstrap", bootstrap, "member", group, topic])
            .args(["--protocol", protocol, "--seconds", "300"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("groups.py member");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "assigned" {
                    let _ = tx.send(());
                }
            }
        });
        let member = Self { child };
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!("the {protocol} member of {group} got no partitions in 60 s")
            });
        member
    }
}

impl Drop for Member {
    /// Asks the member to leave the group (SIGTERM: it closes its consumer), then makes
    /// sure it is gone.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kafka-consumer-groups.sh --bootstrap-server ADDR ARGS…`: its stdout (it prints errors
/// there too).
pub fn cgc(bootstrap: &str, args: &[&str]) -> String {
    let mut all = vec!["--bootstrap-server", bootstrap];
    all.extend_from_slice(args);
    let ran = java_tool(
        "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        &all,
        "",
        Duration::from_secs(90),
    );
    assert!(
        ran.status.is_some(),
        "ConsumerGroupCommand {args:?} timed out: {}{}",
        ran.stdout,
        ran.stderr
    );
    ran.stdout
}

/// A whitespace table's rows after its header (the header is the line starting with
/// `first`), as maps from column name to cell.
pub fn table_rows(text: &str, first: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(first));
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split_whitespace().collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .take_while(|l| !l.starts_with(first))
        .map(|l| {
            names
                .iter()
                .map(|n| (*n).to_string())
                .zip(l.split_whitespace().map(str::to_string))
                .collect()
        })
        .collect()
}
