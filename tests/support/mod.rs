//! Shared helpers for ktui's integration tests: real brokers (Apache Kafka, `kafka.rs`),
//! the kafka-python peer (other peers in `peers.rs`), a tmux driver for the real binary, and waiting with a deadline.
//!
//! Policy for missing tools: when `CI` is set, a missing broker, peer or terminal
//! multiplexer fails the test (it must never pass by skipping); on a developer machine the
//! test prints why it skipped and returns.
#![allow(dead_code)] // each test binary uses a subset

pub mod app;
pub mod compose_screen;
pub mod fake_jetstream;
pub mod fake_x;
pub mod kafka;
pub mod peers;
pub mod ports;
pub mod tls;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;

/// How often conditions are polled.
pub const POLL: Duration = Duration::from_millis(50);

/// The ktui binary under test.
pub const KTUI: &str = env!("CARGO_BIN_EXE_ktui");

// ---------------------------------------------------------------------------------------
// Small utilities

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

/// A loopback port nobody listens on (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("cannot bind a loopback port")
        .port()
}

/// What [`run_with_timeout`] saw.
#[derive(Debug)]
pub struct Ran {
    /// `None` when the process was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    /// Whether the process exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The exit code (`None` when killed by a signal or at the deadline).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

/// Runs a command to completion, killing it if it outlives `timeout`.
pub fn run_with_timeout(command: &mut Command, timeout: Duration) -> Ran {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    // Lossy: a peer may print bytes that are not UTF-8 (a binary value).
    let read_lossy = |mut from: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read_lossy(Box::new(out));
    let err = read_lossy(Box::new(err));
    let status = poll_until(timeout, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ran {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

/// What [`run_with_input`] saw: stdout as bytes (a payload need not be UTF-8).
#[derive(Debug)]
pub struct RanBytes {
    /// `None` when the process was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl RanBytes {
    /// Whether the process exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The exit code (`None` when killed by a signal or at the deadline).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

/// Runs a command to completion with `input` on its stdin (closed after it), killing it
/// if it outlives `timeout`. Stdout is kept as bytes.
pub fn run_with_input(command: &mut Command, input: &[u8], timeout: Duration) -> RanBytes {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // A writer thread: a child that stops reading must not block the test.
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    });
    let status = poll_until(timeout, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = writer.join();
    RanBytes {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub(crate) fn read_tail(path: &Path, lines: usize) -> String {
    std::fs::read_to_string(path).map_or_else(
        |e| format!("({}: {e})", path.display()),
        |t| tail(&t, lines),
    )
}

// ---------------------------------------------------------------------------------------
// The kafka-python peer

fn kp_script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/kp.py")
}

pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether python3 with kafka-python is installed (checked once).
pub fn peer_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(python())
            .args(["-c", "import kafka"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs `kp.py --bootstrap ADDR ARGS…`: stdout on success, stdout+stderr on failure.
pub fn kp_try(bootstrap: &str, args: &[&str]) -> Result<String, String> {
    let ran = run_with_timeout(
        Command::new(python())
            .arg(kp_script())
            .args(["--bootstrap", bootstrap])
            .args(args),
        Duration::from_secs(30),
    );
    match ran.status {
        Some(status) if status.success() => Ok(ran.stdout),
        status => Err(format!(
            "kp.py {args:?} failed ({status:?}): {}{}",
            ran.stdout.trim(),
            ran.stderr.trim()
        )),
    }
}

/// Like [`kp_try`], but panics with the peer's stderr on failure.
pub fn kp(bootstrap: &str, args: &[&str]) -> String {
    kp_try(bootstrap, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Produces records with kafka-python, one request each. `records` is a JSON list of
/// `{"key": str|null, "value": str|null, "headers": [[name, value]], "partition": n}`
/// (every field optional). Returns `[partition, offset]` per record.
pub fn kp_produce_records(
    bootstrap: &str,
    topic: &str,
    records: &serde_json::Value,
) -> Vec<(i32, i64)> {
    let out = kp(bootstrap, &["produce-records", topic, &records.to_string()]);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py produce-records printed {out:?}: {e}"))
}

/// One record as kafka-python read it: exact bytes, `None` for null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl PeerRecord {
    /// The value as text (lossy), `<null>` for a tombstone: for failure messages.
    pub fn value_text(&self) -> String {
        self.value.as_deref().map_or_else(
            || "<null>".into(),
            |v| String::from_utf8_lossy(v).into_owned(),
        )
    }
}

fn base64_field(value: &serde_json::Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    value.as_str().map(|text| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|e| panic!("kp.py printed bad base64 {text:?}: {e}"))
    })
}

/// Reads `topic` from the beginning with kafka-python until `count` records arrived
/// (panics, naming what did arrive, if they do not within 15 s). Sorted by partition,
/// then offset.
pub fn kp_consume(bootstrap: &str, topic: &str, count: usize) -> Vec<PeerRecord> {
    let out = kp(
        bootstrap,
        &["consume", topic, "--count", &count.to_string()],
    );
    parse_peer_records("kp.py", &out)
}

/// Parses the JSON list of records that `kp.py consume` and `ck.py consume` print.
pub fn parse_peer_records(peer: &str, out: &str) -> Vec<PeerRecord> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("{peer} consume printed {out:?}: {e}"));
    rows.iter()
        .map(|row| PeerRecord {
            partition: row["partition"]
                .as_i64()
                .and_then(|p| i32::try_from(p).ok())
                .expect("partition"),
            offset: row["offset"].as_i64().expect("offset"),
            key: base64_field(&row["key"]),
            value: base64_field(&row["value"]),
            headers: row["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().expect("header name").to_string(),
                        base64_field(&h[1]),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Each partition's end offset, as kafka-python reads them.
pub fn kp_end_offsets(bootstrap: &str, topic: &str) -> BTreeMap<i32, i64> {
    let out = kp(bootstrap, &["end-offsets", topic]);
    let ends: BTreeMap<String, i64> = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py end-offsets printed {out:?}: {e}"));
    ends.into_iter()
        .map(|(p, end)| (p.parse().expect("a partition number"), end))
        .collect()
}

/// Asserts that every partition of `topic` holds exactly the offsets 0, 1, 2… of
/// `records` (sorted by partition, then offset) and ends right after them.
pub fn assert_exact_offsets(bootstrap: &str, topic: &str, records: &[PeerRecord]) {
    let ends = kp_end_offsets(bootstrap, topic);
    let mut held: BTreeMap<i32, Vec<i64>> = ends.keys().map(|p| (*p, Vec::new())).collect();
    for r in records {
        held.entry(r.partition).or_default().push(r.offset);
    }
    for (partition, offsets) in &held {
        let want: Vec<i64> = (0..i64::try_from(offsets.len()).expect("count")).collect();
        assert_eq!(
            offsets, &want,
            "{topic}/{partition}: offsets from 0 with no gap or duplicate"
        );
    }
    let counts: BTreeMap<i32, i64> = held
        .iter()
        .map(|(p, o)| (*p, i64::try_from(o.len()).expect("count")))
        .collect();
    assert_eq!(
        ends, counts,
        "{topic}: each partition's end offset is the number of records read from it"
    );
}

/// The partition kafka-python's producer (its default partitioner, murmur2 like the
/// Java client) would send each UTF-8 key of `topic` to.
pub fn kp_default_partitions(
    bootstrap: &str,
    topic: &str,
    keys: &[&str],
) -> std::collections::BTreeMap<String, i32> {
    let mut args = vec!["default-partitions", topic];
    args.extend_from_slice(keys);
    let out = kp(bootstrap, &args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kp.py default-partitions printed {out:?}: {e}"))
}

/// The topic names the broker lists, as kafka-python sees them.
pub fn kp_topics(bootstrap: &str) -> Vec<String> {
    let out = kp(bootstrap, &["list-topics"]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("kp.py list-topics printed {out:?}: {e}"))
}

/// Waits until kafka-python does (or does not) list `topic`.
pub fn wait_for_topic(bootstrap: &str, topic: &str, present: bool, timeout: Duration) {
    let what = if present {
        format!("kafka-python to list topic {topic}")
    } else {
        format!("kafka-python to no longer list topic {topic}")
    };
    wait_until(&what, timeout, || {
        let topics = kp_topics(bootstrap);
        if topics.iter().any(|t| t == topic) == present {
            Ok(())
        } else {
            Err(format!("listed {topics:?}"))
        }
    });
}

/// kcat: `$KCAT_BIN` or `kcat` on `PATH`.
pub fn kcat() -> Option<PathBuf> {
    find_tool("kcat", Some("KCAT_BIN"), None)
}

/// Whether kcat is installed; applies the missing-tool policy.
pub fn kcat_available() -> bool {
    require("kcat ($KCAT_BIN or kcat on PATH)", kcat().is_some())
}

/// Produces one record per line with `kcat -P -l` (so a line must not hold a newline);
/// `args` adds options such as `-K:` (key before the first `:`), `-H name=value`
/// (`-H name` for a null value) or `-p N`. Panics with kcat's output when it fails.
/// kcat (librdkafka 2.0) works with the embedded demo cluster and with Apache Kafka.
pub fn kcat_produce(bootstrap: &str, topic: &str, lines: &[&str], args: &[&str]) {
    let kcat = kcat().expect("kcat is installed (check kcat_available first)");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("records.txt");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&input, text).expect("kcat input");
    let ran = run_with_timeout(
        Command::new(kcat)
            .args(["-P", "-b", bootstrap, "-t", topic])
            .args(args)
            .arg("-l")
            .arg(&input),
        Duration::from_secs(30),
    );
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "kcat -P {args:?} into {topic} failed: {ran:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The real binary in a terminal: tmux

/// How ktui's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status (128 + N when signal N killed it).
    Code(i32),
    /// It is gone, but no status was recorded.
    Unknown,
}

/// Runs `"$@"` and writes its exit status to the file named by `$1` (atomically).
const EXIT_RECORDER: &str =
    r#"out=$1; shift; "$@"; code=$?; echo "$code" > "$out.tmp" && mv "$out.tmp" "$out""#;

/// Like [`EXIT_RECORDER`], with `"$@"`'s stderr written to the file named by `$2`.
const EXIT_AND_STDERR_RECORDER: &str = r#"out=$1; err=$2; shift 2; "$@" 2>"$err"; code=$?; echo "$code" > "$out.tmp" && mv "$out.tmp" "$out""#;

/// The environment every ktui a test starts gets (a test may override it): a `--demo`
/// listens on a free port, not the quickstart's 127.0.0.1:9092 (see [`quickstart_port`]),
/// and writes no trickle into `sample`, so its contents are what the test put there.
pub const DEMO_ENV: [(&str, &str); 2] = [
    ("KTUI_DEMO_LISTEN", "127.0.0.1:0"),
    ("KTUI_DEMO_TRICKLE", "off"),
];

/// Holds 127.0.0.1:9092 for this test (a claim shared by every test process of this
/// checkout, held until the `File` is dropped) once the port is free. `None` (after a
/// notice; a failure in CI) when something outside the tests listens there.
pub fn quickstart_port() -> Option<std::fs::File> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kafka-ports");
    std::fs::create_dir_all(&dir).expect("the port claims dir");
    let claim = std::fs::File::create(dir.join("9092")).expect("the 9092 claim file");
    claim.lock().expect("claim 127.0.0.1:9092");
    // The previous holder's ktui may take a moment to close its listener.
    let free = poll_until(Duration::from_secs(10), || {
        std::net::TcpListener::bind(("127.0.0.1", 9092)).ok()
    })
    .is_some();
    require("127.0.0.1:9092 free for the quickstart's scripts", free).then_some(claim)
}

/// How [`Tui::start_with`] starts ktui, beyond its arguments and terminal size.
#[derive(Debug, Default, Clone, Copy)]
pub struct TuiOptions<'a> {
    /// ktui's working directory.
    pub cwd: Option<&'a Path>,
    /// HOME for ktui (its XDG dirs are `data`, `config` and `cache` inside): pass the
    /// same directory to a second run to see what the first one kept. Default: a fresh
    /// directory that is removed with the `Tui`.
    pub home: Option<&'a Path>,
    /// Write ktui's stderr to a file ([`Tui::stderr`]) instead of the terminal.
    pub capture_stderr: bool,
    /// Extra environment for ktui (`NAME`, `VALUE`).
    pub env: &'a [(&'a str, &'a str)],
}

/// `ktui` running in a detached tmux session on a tmux server of its own, with HOME and
/// the XDG dirs in a temporary directory. The server is killed on drop.
pub struct Tui {
    dir: TempDir,
    socket: PathBuf,
    session: String,
    home: PathBuf,
}

impl Tui {
    pub fn tmux_available() -> bool {
        require("tmux", find_tool("tmux", None, None).is_some())
    }

    /// Starts `ktui ARGS…` in a `width`×`height` terminal. `None` (after a skip notice)
    /// when tmux is missing outside CI.
    pub fn start(args: &[&str], width: u16, height: u16) -> Option<Self> {
        Self::launch(None, args, width, height)
    }

    /// Like [`Tui::start`], with ktui's working directory set to `cwd` (where it writes
    /// exports).
    pub fn start_in(cwd: &Path, args: &[&str], width: u16, height: u16) -> Option<Self> {
        Self::launch(Some(cwd), args, width, height)
    }

    /// Starts `ktui ARGS…` in a `width`×`height` terminal as `options` say.
    pub fn start_with(
        args: &[&str],
        width: u16,
        height: u16,
        options: TuiOptions<'_>,
    ) -> Option<Self> {
        if !Self::tmux_available() {
            return None;
        }
        Some(Self::spawn(args, width, height, options))
    }

    fn launch(cwd: Option<&Path>, args: &[&str], width: u16, height: u16) -> Option<Self> {
        let options = TuiOptions {
            cwd,
            ..TuiOptions::default()
        };
        Self::start_with(args, width, height, options)
    }

    fn spawn(args: &[&str], width: u16, height: u16, options: TuiOptions<'_>) -> Self {
        let cwd = options.cwd;
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("tmux.sock");
        let conf = dir.path().join("tmux.conf");
        // remain-on-exit keeps the pane (and its exit status) after ktui exits.
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g escape-time 0\nset -g status off\nset -g history-limit 0\n",
        )
        .expect("tmux.conf");
        let home = options
            .home
            .map_or_else(|| dir.path().join("home"), Path::to_path_buf);
        for sub in ["data", "config", "cache"] {
            std::fs::create_dir_all(home.join(sub)).expect("home dirs");
        }
        let session = unique("ktui");
        let tui = Self {
            dir,
            socket,
            session,
            home: home.clone(),
        };
        let mut command = tui.tmux();
        command
            .arg("-f")
            .arg(&conf)
            .args(["new-session", "-d", "-s", &tui.session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()]);
        if let Some(cwd) = cwd {
            command.arg("-c").arg(cwd);
        }
        command
            // sh records ktui's exit status: tmux 3.3 does not always reap a pane's
            // process itself, and then never reports its status.
            .arg("--")
            .arg("sh")
            .arg("-c")
            .arg(if options.capture_stderr {
                EXIT_AND_STDERR_RECORDER
            } else {
                EXIT_RECORDER
            })
            .arg("sh")
            .arg(tui.status_path());
        if options.capture_stderr {
            command.arg(tui.stderr_path());
        }
        command
            .args([
                "env",
                "-u",
                "KAFKA_BOOTSTRAP_SERVERS",
                "-u",
                "KTUI_CONFIG",
                "-u",
                "NO_COLOR",
            ])
            .arg(format!("HOME={}", home.display()))
            .arg(format!("XDG_DATA_HOME={}", home.join("data").display()))
            .arg(format!("XDG_CONFIG_HOME={}", home.join("config").display()))
            .arg(format!("XDG_CACHE_HOME={}", home.join("cache").display()))
            .arg("TERM=xterm-256color")
            // A demo leaves 127.0.0.1:9092 to the tests that ask for it, and keeps
            // `sample` still unless a test asks for the trickle.
            .args(DEMO_ENV.iter().map(|(k, v)| format!("{k}={v}")))
            .args(options.env.iter().map(|(k, v)| format!("{k}={v}")))
            .arg(KTUI)
            .args(args);
        let output = command.output().expect("cannot run tmux");
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tui
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.env_remove("TMUX").arg("-S").arg(&self.socket);
        command
    }

    fn tmux_output(&self, args: &[&str]) -> Output {
        self.tmux().args(args).output().expect("cannot run tmux")
    }

    fn tmux_ok(&self, args: &[&str]) {
        let output = self.tmux_output(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}\nscreen:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.screen()
        );
    }

    /// Types `text` literally (no key names).
    pub fn send_keys(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", &self.session, "-l", "--", text]);
    }

    /// Presses one named key: `Enter`, `Escape`, `Tab`, `BSpace`, `C-c`, `Up`…
    pub fn send_key(&self, key: &str) {
        self.tmux_ok(&["send-keys", "-t", &self.session, key]);
    }

    /// The visible screen as plain text, one line per row.
    pub fn screen(&self) -> String {
        let output = self.tmux_output(&["capture-pane", "-p", "-t", &self.session]);
        if output.status.success() {
            String::from_utf8_lossy(&output.stdout).into_owned()
        } else {
            format!(
                "(capture-pane failed: {})",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        }
    }

    /// The screen with its colours and attributes as SGR escape sequences.
    pub fn screen_with_styles(&self) -> String {
        let output = self.tmux_output(&["capture-pane", "-p", "-e", "-t", &self.session]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The config dir ktui reads (`$XDG_CONFIG_HOME/ktui`).
    pub fn config_dir(&self) -> PathBuf {
        self.home.join("config/ktui")
    }

    /// The pane's title, as escape sequences (OSC 0/2) written to the terminal set it.
    pub fn pane_title(&self) -> String {
        let output = self.tmux_output(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{pane_title}",
        ]);
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string()
    }

    /// ktui's log file (it logs there, never to the terminal).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir().join("ktui.log")
    }

    /// ktui's data dir (`$XDG_DATA_HOME/ktui`): its log and the composer's history.
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data/ktui")
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("ktui.stderr")
    }

    /// What ktui wrote to stderr so far (started with `capture_stderr`).
    pub fn stderr(&self) -> String {
        std::fs::read(self.stderr_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The screen and the end of ktui's log, for failure messages.
    pub fn diagnostics(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "--- screen ---\n{}\n--- end of ktui.log ---\n{}",
            self.screen(),
            read_tail(&self.log_path(), 30)
        );
        let stderr = self.stderr();
        if !stderr.is_empty() {
            let _ = write!(out, "\n--- ktui's stderr ---\n{stderr}");
        }
        out
    }

    /// Waits until the screen contains `needle`; returns that screen.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Waits until `pred(screen)` holds; returns that screen. Panics with the last
    /// screen and ktui's log on timeout.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        poll_until(timeout, || {
            let screen = self.screen();
            pred(&screen).then_some(screen)
        })
        .unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                self.diagnostics()
            )
        })
    }

    /// Like [`Tui::wait_until`], but only on a settled screen: two captures in a row
    /// (one poll apart) that are identical. A large redraw reaches tmux in several
    /// writes, and a capture between them shows half of the old frame and half of the
    /// new; asserting on such a screen makes a test flaky.
    pub fn wait_settled(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        let mut previous = String::new();
        self.wait_until(&format!("{what} (on a settled screen)"), timeout, |s| {
            let settled = s == previous;
            s.clone_into(&mut previous);
            settled && pred(s)
        })
    }

    /// [`Tui::wait_settled`] for a screen that contains `needle`.
    pub fn wait_settled_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_settled(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    fn status_path(&self) -> PathBuf {
        self.dir.path().join("exit-status")
    }

    /// `Some` once ktui has exited, `None` while it runs.
    pub fn exited(&self) -> Option<Exit> {
        // Ask tmux first: the status file is complete once the pane is dead.
        let output = self.tmux_output(&[
            "list-panes",
            "-t",
            &self.session,
            "-F",
            "#{pane_dead} #{pane_dead_status}",
        ]);
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let mut fields = text.split_whitespace();
        if fields.next() == Some("0") {
            return None;
        }
        // Dead, or the pane is gone altogether.
        let recorded = std::fs::read_to_string(self.status_path())
            .ok()
            .and_then(|t| t.trim().parse().ok());
        Some(
            recorded
                .or_else(|| fields.next().and_then(|s| s.parse().ok()))
                .map_or(Exit::Unknown, Exit::Code),
        )
    }

    /// Waits until ktui exits; panics with the screen if it is still running at `timeout`.
    pub fn wait_exit(&self, timeout: Duration) -> Exit {
        poll_until(timeout, || self.exited()).unwrap_or_else(|| {
            panic!(
                "ktui did not exit within {timeout:?}\n{}",
                self.diagnostics()
            )
        })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The text on the screen after `marker` up to the next whitespace, e.g. the address in
/// "DEMO cluster at 127.0.0.1:9092 ".
pub fn word_after<'a>(screen: &'a str, marker: &str) -> Option<&'a str> {
    let start = screen.find(marker)? + marker.len();
    screen[start..].split_whitespace().next()
}
