//! Running tools and reading their output: kcat, the pty probe, kaskade and yozefu.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::Row;

pub(crate) fn kcat() -> Option<PathBuf> {
    which("kcat")
}

pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

pub(crate) fn probe_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pty_probe.py")
}

/// Runs a command with stdin from `input` (or nothing) and stdout to /dev/null; seconds.
pub(crate) fn timed(command: &mut Command, input: Option<&Path>) -> f64 {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(match input {
            Some(path) => Stdio::from(std::fs::File::open(path).expect("input")),
            None => Stdio::null(),
        });
    let started = Instant::now();
    let output = command.output().expect("run the tool");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    seconds
}

/// The middle of some timings (the upper middle for an even count).
pub(crate) fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A throughput row: ktui's median rate beside kcat's (`None`: kcat not installed).
pub(crate) fn pair_row(scenario: String, n: usize, ktui: &[f64], kcat: Option<&[f64]>) -> Row {
    let ktui_median = median(ktui);
    let runs = |times: &[f64]| {
        let list: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        list.join(" ")
    };
    let (peer, ratio) = match kcat {
        Some(times) => {
            let peer = median(times);
            (
                format!("{} (runs: {} s)", fmt_rate(rate(n, peer)), runs(times)),
                Some(peer / ktui_median),
            )
        }
        None => ("kcat not installed".into(), None),
    };
    Row {
        scenario,
        ktui: format!(
            "{} (runs: {} s)",
            fmt_rate(rate(n, ktui_median)),
            runs(ktui)
        ),
        peer,
        ratio,
    }
}

pub(crate) fn rate(records: usize, seconds: f64) -> f64 {
    records as f64 / seconds
}

pub(crate) fn fmt_rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M msg/s", per_second / 1e6)
    } else {
        format!("{:.0} k msg/s", per_second / 1e3)
    }
}

/// A home for one ktui run: its log (with the session stats line) lands there.
pub(crate) struct Home(tempfile::TempDir);

impl Home {
    pub(crate) fn new() -> Self {
        Self(tempfile::tempdir().expect("home"))
    }

    pub(crate) fn env(&self) -> Vec<String> {
        let home = self.0.path();
        vec![
            format!("HOME={}", home.display()),
            format!("XDG_DATA_HOME={}", home.join("data").display()),
            format!("XDG_CONFIG_HOME={}", home.join("config").display()),
        ]
    }

    /// `frames`, `seconds` and `tail_records` from ktui's session line.
    pub(crate) fn stats(&self) -> Option<(u64, f64, u64)> {
        let log = std::fs::read_to_string(self.0.path().join("data/ktui/ktui.log")).ok()?;
        let line = log.lines().rev().find(|l| l.contains("ktui::stats"))?;
        let field = |name: &str| -> Option<String> {
            let at = line.find(&format!("{name}="))? + name.len() + 1;
            Some(line[at..].split_whitespace().next()?.to_string())
        };
        Some((
            field("frames")?.parse().ok()?,
            field("seconds")?.parse().ok()?,
            field("tail_records")?.parse().ok()?,
        ))
    }
}

/// Runs the pty probe on `argv`; returns its JSON. `on_ready` runs once the UI is up
/// (the probe prints nothing until the end, so readiness is a fixed short delay).
pub(crate) fn probe(args: &[String], argv: &[String], env: &[String]) -> serde_json::Value {
    let mut command = Command::new("python3");
    command.arg(probe_script()).args(args);
    for e in env {
        command.arg("--env").arg(e);
    }
    command.arg("--").args(argv);
    let output = command.output().expect("python3 runs the pty probe");
    assert!(
        output.status.success(),
        "pty probe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("{}"))
        .unwrap_or_else(|e| panic!("pty probe output {text:?}: {e}"))
}

pub(crate) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

/// yozefu's binary (`cargo install yozefu`), when installed.
pub(crate) fn yozefu() -> Option<PathBuf> {
    which("yozf")
}

/// How the probe reads yozefu: its first frame shows the search prompt, and Ctrl-H
/// opens its help, which lists the ring buffer's capacity (Esc closes it). Ctrl-C quits.
pub(crate) const YOZEFU_PROBE: [&str; 10] = [
    "--ready",
    "Search",
    "--open-key",
    "\\x08",
    "--open-text",
    "capacity",
    "--close-key",
    "\\x1b",
    "--quit-key",
    "\\x03",
];

/// A yozefu config directory with one cluster, `bench`, on the mock cluster.
pub(crate) struct YozefuHome(tempfile::TempDir);

impl YozefuHome {
    pub(crate) fn new(bootstrap: &str) -> Self {
        let dir = tempfile::tempdir().expect("yozefu home");
        let config = serde_json::json!({
            "initial_query": "from end",
            "clusters": {"bench": {"kafka": {"bootstrap.servers": bootstrap}}},
            "default_kafka_config": {},
            "history": [],
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).expect("config");
        Self(dir)
    }

    pub(crate) fn env(&self) -> Vec<String> {
        vec![
            format!("YOZEFU_CONFIG_DIR={}", self.0.path().display()),
            format!("HOME={}", self.0.path().display()),
        ]
    }
}

/// Runs `command` for `window`, counting the lines it prints; then stops it.
pub(crate) fn count_lines(command: &mut Command, window: Duration) -> u64 {
    use std::io::Read as _;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the consumer");
    let mut stdout = child.stdout.take().expect("stdout");
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 20];
        let mut lines = 0u64;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            // Fast enough for kcat's output; no crate just for this.
            #[allow(clippy::naive_bytecount)]
            let found = buf[..n].iter().filter(|&&b| b == b'\n').count();
            lines += found as u64;
        }
        lines
    });
    std::thread::sleep(window);
    // SIGTERM, so kcat flushes the lines it has buffered before it exits.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    counter.join().expect("line counter")
}

pub(crate) fn ms(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .map_or_else(|| "—".into(), |v| format!("{v:.0} ms"))
}

/// What the peer column says where no peer ran: kaskade has no live tail (it pages 25
/// records at a time on request), yozefu may not be installed.
/// Why kaskade has no firehose figures.
pub(crate) fn kaskade_note() -> &'static str {
    if which("kaskade").is_some() {
        "kaskade: no live tail (pages 25 on request)"
    } else {
        "kaskade: not installed"
    }
}

/// CPU share, peak RSS, frames/s (when known) and key→frame p50/p99 from a probe.
pub(crate) fn tui_figures(result: &serde_json::Value, fps: Option<f64>, probes: usize) -> String {
    let number = |key: &str| result.get(key).and_then(serde_json::Value::as_f64);
    let cpu = number("cpu_s").unwrap_or(0.0) / number("elapsed_s").unwrap_or(1.0) * 100.0;
    let rss = number("peak_rss_kib").unwrap_or(0.0) / 1024.0;
    let fps = fps.map_or_else(String::new, |f| format!(" · {f:.0} fps"));
    // Probes whose effect never showed (within 5 s) are not in the percentiles: say so.
    let missed = match (number("probes"), probes) {
        (Some(seen), asked) if (seen as usize) < asked => {
            format!(" ({} of {asked} keys never drawn)", asked - seen as usize)
        }
        _ => String::new(),
    };
    format!(
        "{cpu:.0}% · {rss:.0} MiB{fps} · {}/{}{missed}",
        ms(result, "latency_p50_ms"),
        ms(result, "latency_p99_ms")
    )
}

/// "MEDIAN UNIT (runs: A B C)".
pub(crate) fn summary(values: &[f64], unit: &str, digits: usize) -> String {
    if values.is_empty() {
        return "not shown".to_string();
    }
    let list: Vec<String> = values.iter().map(|v| format!("{v:.digits$}")).collect();
    format!(
        "{:.digits$}{unit} (runs: {})",
        median(values),
        list.join(" ")
    )
}
