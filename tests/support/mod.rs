//! Shared helpers for ktui's integration tests, one module a concern: `app` (App builders
//! for the update and render layers), `group_fixtures` (consumer groups for them),
//! `groups` (groups made by peers, Kafka's tool as the oracle), `worker` (driving the Kafka
//! worker), `broker` (the mock cluster in the test's process, writing with rdkafka),
//! `kafka` (real Apache Kafka nodes), `peers` (kafka-python, kcat, confluent-kafka,
//! Kafka's console tools), `process` (running a command with a deadline), `tui` (the real
//! binary in tmux), `tls`, `ports` and the fake servers; here, waiting with a deadline and
//! the missing-tool policy.
//!
//! Policy for missing tools: when `CI` is set, a missing broker, peer or terminal
//! multiplexer fails the test (it must never pass by skipping); on a developer machine the
//! test prints why it skipped and returns.
#![allow(dead_code)] // each test binary uses a subset

pub mod app;
pub mod broker;
pub mod bulk;
pub mod compose_screen;
pub mod fake_jetstream;
pub mod fake_registry;
pub mod fake_x;
pub mod group_fixtures;
pub mod groups;
pub mod http;
pub mod kafka;
pub mod peers;
pub mod ports;
pub mod process;
pub mod schema_peers;
pub mod tls;
pub mod tui;
pub mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often conditions are polled.
pub const POLL: Duration = Duration::from_millis(50);

/// The ktui binary under test.
pub const KTUI: &str = env!("CARGO_BIN_EXE_ktui");

/// A name no other test (or earlier run) uses: prefix, pid, a counter and the clock.
/// Only `a-z 0-9 -`, so it is a valid topic name.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 100_000_000);
    format!("{prefix}-{}-{n}-{millis}", std::process::id())
}

/// Whether we run in CI, where a missing tool is a failure, never a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !v.is_empty() && v != "false" && v != "0"
    })
}

/// Applies the missing-tool policy: panics in CI, otherwise prints a skip notice.
/// Returns `false` when the caller should skip.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !in_ci(),
        "{what} is required in CI (CI is set) but was not found; install it rather than skip"
    );
    eprintln!("SKIPPED: {what} is not available on this machine");
    false
}

/// Finds an executable: `$env_var` if set, else on `PATH`, else at `fallback`.
pub fn find_tool(name: &str, env_var: Option<&str>, fallback: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = env_var.and_then(std::env::var_os) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| fallback.filter(|p| p.is_file()))
}

/// Polls `f` every [`POLL`] until it returns `Some`, or `timeout` passes (then `None`).
pub fn poll_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = f() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Like [`poll_until`], but panics naming `what` (and `last`'s description) on timeout.
pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    poll_until(timeout, || match f() {
        Ok(value) => Some(value),
        Err(why) => {
            last = why;
            None
        }
    })
    .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}; last: {last}"))
}

/// A loopback address nobody listens on, for a client that must be refused: its port is
/// claimed with [`ports::broker_port`] (held until this process exits), so no other test
/// process of this checkout starts a server there and no `bind(0)` hands it out, and
/// nothing is started on it. (A port bound and released again could be anyone's by the
/// time the client connects.)
pub fn unused_address() -> String {
    format!("127.0.0.1:{}", ports::broker_port())
}
