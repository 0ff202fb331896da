//! `cargo bench --bench compare`: ktui measured beside kcat (and the TUI peers yozefu and
//! kaskade where installed) on the same broker in the same run, printed as one table.
//!
//! It starts its own broker (librdkafka's mock cluster over TCP, which Debian's kcat can
//! talk to), writes the data it needs, and runs every tool as a user would: the real
//! binaries, stdout to /dev/null, the TUI in a pseudo-terminal (`benches/pty_probe.py`).
//!
//!     cargo bench --bench compare                 # 1M records of ~200 bytes, 30 s firehoses
//!     cargo bench --bench compare -- --smoke      # small sizes: checks the harness works
//!     cargo bench --bench compare -- --records 200000 --firehose-secs 10
//!
//! Every figure is a pair (or ratio) measured in the same run on the same machine.
#![allow(dead_code)]
// tests/bench_smoke.rs includes this file and calls only `run`
// Rates and percentages are floating-point arithmetic on counts by nature.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::similar_names,
    clippy::too_many_lines
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};

use ktui::kafka::demo::DemoCluster;
use ktui::kafka::model::NewTopicSpec;

/// What to measure, and how big.
#[derive(Debug, Clone)]
pub struct Options {
    pub records: usize,
    pub size: usize,
    pub partitions: i32,
    /// Firehose rates in msg/s; `None` is "as fast as the producer goes".
    pub rates: Vec<Option<u64>>,
    pub firehose_secs: f64,
    /// Keypress-to-frame probes per firehose.
    pub probes: usize,
    /// Runs of each produce and consume pair; the table shows the median.
    pub repeat: usize,
    /// Scenarios to run (`produce`, `consume`, `startup`, `firehose`, `tansu`); empty: all.
    pub only: Vec<String>,
    /// Records for the produce and consume pair on tansu (kafka-python is the peer there).
    pub tansu_records: usize,
}

impl Options {
    pub fn full() -> Self {
        Self {
            records: 1_000_000,
            size: 200,
            partitions: 6,
            rates: vec![Some(10_000), Some(100_000), None],
            firehose_secs: 30.0,
            probes: 40,
            repeat: 3,
            only: Vec::new(),
            tansu_records: 100_000,
        }
    }

    /// Small enough for the test suite: proves every step runs and checks its counts.
    pub fn smoke() -> Self {
        Self {
            records: 3_000,
            size: 200,
            partitions: 3,
            rates: vec![Some(2_000)],
            firehose_secs: 2.0,
            probes: 3,
            repeat: 1,
            only: Vec::new(),
            tansu_records: 500,
        }
    }

    fn from_args() -> Self {
        let mut options = Self::full();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |what: &str| -> f64 {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{what} needs a number"))
            };
            match arg.as_str() {
                "--smoke" => options = Self::smoke(),
                "--records" => options.records = number("--records") as usize,
                "--size" => options.size = number("--size") as usize,
                "--firehose-secs" => options.firehose_secs = number("--firehose-secs"),
                "--probes" => options.probes = number("--probes") as usize,
                "--repeat" => options.repeat = (number("--repeat") as usize).max(1),
                "--tansu-records" => options.tansu_records = number("--tansu-records") as usize,
                "--rates" => {
                    let list = args.next().expect("--rates needs a list like 10000,max");
                    options.rates = list
                        .split(',')
                        .map(|r| match r.trim() {
                            "max" => None,
                            n => Some(n.parse().expect("--rates: a number of msg/s or max")),
                        })
                        .collect();
                }
                "--only" => {
                    let list = args
                        .next()
                        .expect("--only needs a list like produce,firehose");
                    options.only = list.split(',').map(|s| s.trim().to_string()).collect();
                }
                "--bench" => {} // cargo bench passes it
                other => eprintln!("compare: ignoring {other:?}"),
            }
        }
        options
    }

    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub ktui: String,
    pub peer: String,
    pub ratio: Option<f64>,
}

/// What a run found, for the smoke test to check.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Records `ktui consume` printed when counted (must equal `records`).
    pub consumed_lines: Option<u64>,
    /// Per firehose: records produced and records the TUI's tail received.
    pub firehoses: Vec<(u64, u64)>,
    /// On tansu: records ktui produced and then consumed (when tansu ran).
    pub tansu: Option<(u64, u64)>,
    pub table: String,
}

fn kcat() -> Option<PathBuf> {
    which("kcat")
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn probe_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pty_probe.py")
}

/// librdkafka's mock cluster keeps at most 5 MB per partition and drops the oldest
/// records beyond that (`rd_kafka_mock_partition_log_append`); a topic that must hold the
/// whole data set gets enough partitions for it: planned at 2 MiB each, because keyless
/// records go to partitions a batch at a time, unevenly.
const MOCK_PARTITION_BYTES: usize = 2 << 20;

fn partitions_to_hold(records: usize, size: usize) -> i32 {
    // About 64 bytes of batch and record overhead per record.
    let bytes = records * (size + 64);
    i32::try_from(bytes.div_ceil(MOCK_PARTITION_BYTES)).unwrap_or(i32::MAX)
}

/// Lines of exactly `size` bytes (plus the newline): JSON that looks like a real event.
fn write_data(path: &Path, records: usize, size: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("data file"));
    for i in 0..records {
        let head = format!(
            "{{\"id\":\"bench-rec-{i:08}\",\"user\":{},\"text\":\"",
            i % 9973
        );
        let pad = size.saturating_sub(head.len() + 2).max(1);
        let body: String = "lorem ipsum dolor sit amet "
            .chars()
            .cycle()
            .take(pad)
            .collect();
        writeln!(out, "{head}{body}\"}}").expect("write data");
    }
    out.flush().expect("flush data");
}

fn create_topic(rt: &tokio::runtime::Runtime, demo: &DemoCluster, name: &str, partitions: i32) {
    rt.block_on(demo.admin().create_topic(NewTopicSpec {
        name: name.into(),
        partitions,
        replication: 1,
        configs: Vec::new(),
    }))
    .unwrap_or_else(|e| panic!("create {name}: {e}"));
}

/// Messages in `topic` (sum of high watermarks; the topics start empty).
fn messages(bootstrap: &str, topic: &str, partitions: i32) -> u64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("watermark consumer");
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .map_or(0, |(_, high)| u64::try_from(high).unwrap_or(0))
        })
        .sum()
}

/// Writes every line of `data` to `topic`, round robin over its partitions (untimed).
fn load_evenly(bootstrap: &str, topic: &str, data: &Path, partitions: i32) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("loading producer");
    let text = std::fs::read(data).expect("data");
    for (i, line) in text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let partition = i32::try_from(i).unwrap_or(0) % partitions;
        let mut record: BaseRecord<'_, (), [u8]> =
            BaseRecord::to(topic).payload(line).partition(partition);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(1));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("load flushed");
}

/// Records `topic` holds now (high minus low watermarks).
fn retained(bootstrap: &str, topic: &str, partitions: i32) -> u64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("watermark consumer");
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .map_or(0, |(low, high)| u64::try_from(high - low).unwrap_or(0))
        })
        .sum()
}

/// Runs a command with stdin from `input` (or nothing) and stdout to /dev/null; seconds.
fn timed(command: &mut Command, input: Option<&Path>) -> f64 {
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
fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A throughput row: ktui's median rate beside kcat's (`None`: kcat not installed).
fn pair_row(scenario: String, n: usize, ktui: &[f64], kcat: Option<&[f64]>) -> Row {
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

fn rate(records: usize, seconds: f64) -> f64 {
    records as f64 / seconds
}

fn fmt_rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M msg/s", per_second / 1e6)
    } else {
        format!("{:.0} k msg/s", per_second / 1e3)
    }
}

/// A home for one ktui run: its log (with the session stats line) lands there.
struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("home"))
    }

    fn env(&self) -> Vec<String> {
        let home = self.0.path();
        vec![
            format!("HOME={}", home.display()),
            format!("XDG_DATA_HOME={}", home.join("data").display()),
            format!("XDG_CONFIG_HOME={}", home.join("config").display()),
        ]
    }

    /// `frames`, `seconds` and `tail_records` from ktui's session line.
    fn stats(&self) -> Option<(u64, f64, u64)> {
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
fn probe(args: &[String], argv: &[String], env: &[String]) -> serde_json::Value {
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

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

/// yozefu's binary (`cargo install yozefu`), when installed.
fn yozefu() -> Option<PathBuf> {
    which("yozf")
}

/// How the probe reads yozefu: its first frame shows the search prompt, and Ctrl-H
/// opens its help, which lists the ring buffer's capacity (Esc closes it). Ctrl-C quits.
const YOZEFU_PROBE: [&str; 10] = [
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
struct YozefuHome(tempfile::TempDir);

impl YozefuHome {
    fn new(bootstrap: &str) -> Self {
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

    fn env(&self) -> Vec<String> {
        vec![
            format!("YOZEFU_CONFIG_DIR={}", self.0.path().display()),
            format!("HOME={}", self.0.path().display()),
        ]
    }
}

/// Runs `command` for `window`, counting the lines it prints; then stops it.
fn count_lines(command: &mut Command, window: Duration) -> u64 {
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

/// One firehose at a time into a fresh topic, with a tool watching it.
struct Hose<'a> {
    rt: &'a tokio::runtime::Runtime,
    demo: &'a DemoCluster,
    payload: &'a [u8],
    partitions: i32,
    secs: f64,
    probes: usize,
}

impl Hose<'_> {
    /// How long a watcher runs: the delay, the firehose, and two seconds to catch up.
    fn window(&self) -> Duration {
        Duration::from_secs_f64(FIREHOSE_DELAY + self.secs + 2.0)
    }

    /// Creates `topic`, starts the firehose after `FIREHOSE_DELAY` and runs `watch` on
    /// the topic meanwhile; returns what `watch` returned and the records produced.
    fn run<T>(&self, topic: &str, rate: Option<u64>, watch: impl FnOnce(&str) -> T) -> (T, u64) {
        create_topic(self.rt, self.demo, topic, self.partitions);
        let producer = {
            let (bootstrap, topic) = (self.demo.bootstrap.clone(), topic.to_string());
            let (payload, secs) = (self.payload.to_vec(), self.secs);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs_f64(FIREHOSE_DELAY));
                firehose(&bootstrap, &topic, &payload, rate, secs)
            })
        };
        let watched = watch(topic);
        (watched, producer.join().expect("firehose thread"))
    }

    /// The pty probe on a TUI during a firehose: keys are probed from 40% of the way
    /// in, and the UI stays up until the last record had time to arrive.
    fn probe_tui(&self, args: &[&str], argv: &[&str], env: &[String]) -> serde_json::Value {
        let mut all = strings(args);
        all.extend([
            "--hold".into(),
            format!("{:.1}", FIREHOSE_DELAY + self.secs * 0.4),
            "--probes".into(),
            self.probes.to_string(),
            "--min-elapsed".into(),
            format!("{:.1}", self.window().as_secs_f64()),
        ]);
        probe(&all, &strings(argv), env)
    }
}

fn ms(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(serde_json::Value::as_f64)
        .map_or_else(|| "—".into(), |v| format!("{v:.0} ms"))
}

/// Pushes `payload` into `topic` at `rate` msg/s (or flat out) for `seconds`; returns how
/// many records the broker confirmed.
fn firehose(bootstrap: &str, topic: &str, payload: &[u8], rate: Option<u64>, seconds: f64) -> u64 {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("firehose producer");
    let started = Instant::now();
    let mut n: u64 = 0;
    loop {
        let elapsed = started.elapsed().as_secs_f64();
        if elapsed >= seconds {
            break;
        }
        if let Some(rate) = rate {
            let due = (elapsed * rate as f64) as u64;
            if n >= due {
                producer.poll(Duration::from_millis(1));
                continue;
            }
        }
        let record: BaseRecord<'_, (), [u8]> = BaseRecord::to(topic).payload(payload);
        match producer.send(record) {
            Ok(()) => {
                n += 1;
                if n.is_multiple_of(1024) {
                    producer.poll(Duration::ZERO);
                }
            }
            Err(_) => {
                producer.poll(Duration::from_millis(1));
            }
        }
    }
    let _ = producer.flush(Duration::from_secs(30));
    n - u64::try_from(producer.in_flight_count()).unwrap_or(0)
}

/// The TUI's start: the firehose begins this long after launch, once the tail is live.
const FIREHOSE_DELAY: f64 = 1.5;

pub fn run(options: &Options, ktui: &Path) -> Report {
    let mut report = Report::default();
    let kcat = kcat();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let demo = rt.block_on(DemoCluster::start()).expect("mock cluster");
    let bootstrap = demo.bootstrap.clone();
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("data.txt");
    write_data(&data, options.records, options.size);
    let n = options.records;
    let label = format!("{n} × {} B", options.size);

    // 1. Produce: each tool into its own empty topic, same data, same librdkafka defaults,
    // alternating runs; the median of each.
    let mut ktui_times = Vec::new();
    let mut kcat_times = Vec::new();
    let produce_runs = if options.runs("produce") {
        options.repeat
    } else {
        0
    };
    for run in 0..produce_runs {
        let topic = format!("bench-ktui-{run}");
        create_topic(&rt, &demo, &topic, options.partitions);
        ktui_times.push(timed(
            Command::new(ktui).args(["produce", "-b", &bootstrap, &topic]),
            Some(&data),
        ));
        assert_eq!(
            messages(&bootstrap, &topic, options.partitions),
            n as u64,
            "ktui produced every record"
        );
        if let Some(kcat) = &kcat {
            let topic = format!("bench-kcat-{run}");
            create_topic(&rt, &demo, &topic, options.partitions);
            kcat_times.push(timed(
                Command::new(kcat).args(["-P", "-b", &bootstrap, "-t", &topic]),
                Some(&data),
            ));
            assert_eq!(
                messages(&bootstrap, &topic, options.partitions),
                n as u64,
                "kcat produced every record"
            );
        }
    }
    if options.runs("produce") {
        report.rows.push(pair_row(
            format!("produce {label} (ktui produce / kcat -P)"),
            n,
            &ktui_times,
            kcat.as_ref().map(|_| kcat_times.as_slice()),
        ));
    }

    // 2. Consume from the beginning to the end, to /dev/null, alternating runs. The topic
    // is loaded evenly across enough partitions that the mock cluster keeps every record.
    let loaded = "bench-load";
    let loaded_partitions = partitions_to_hold(n, options.size).max(options.partitions);
    create_topic(&rt, &demo, loaded, loaded_partitions);
    load_evenly(&bootstrap, loaded, &data, loaded_partitions);
    assert_eq!(
        retained(&bootstrap, loaded, loaded_partitions),
        n as u64,
        "the mock cluster kept every loaded record"
    );
    if options.runs("consume") {
        let mut ktui_times = Vec::new();
        let mut kcat_times = Vec::new();
        for _ in 0..options.repeat {
            ktui_times.push(timed(
                Command::new(ktui).args([
                    "consume",
                    "-b",
                    &bootstrap,
                    loaded,
                    "-o",
                    "beginning",
                    "-e",
                ]),
                None,
            ));
            if let Some(kcat) = &kcat {
                kcat_times.push(timed(
                    Command::new(kcat).args([
                        "-C",
                        "-b",
                        &bootstrap,
                        "-t",
                        loaded,
                        "-o",
                        "beginning",
                        "-e",
                        "-q",
                    ]),
                    None,
                ));
            }
        }
        report.rows.push(pair_row(
            format!("consume {label} (ktui consume -e / kcat -C -e)"),
            n,
            &ktui_times,
            kcat.as_ref().map(|_| kcat_times.as_slice()),
        ));
        // The count is right (checked outside the timing, through a pipe).
        let output = Command::new(ktui)
            .args(["consume", "-b", &bootstrap, loaded, "-o", "beginning", "-e"])
            .stderr(Stdio::null())
            .output()
            .expect("ktui consume");
        let lines = output.stdout.split(|&b| b == b'\n').count() as u64 - 1;
        assert_eq!(lines, n as u64, "ktui consume read back every record");
        report.consumed_lines = Some(lines);
    }

    // 3. Startup: to the first frame, and to the first record of the loaded topic visible.
    if options.runs("startup") {
        let home = Home::new();
        let startup = probe(
            &[
                "--ready".into(),
                "1 Topics".into(),
                "--record".into(),
                "bench-rec-".into(),
            ],
            &[
                ktui.display().to_string(),
                "-b".into(),
                bootstrap.clone(),
                "--topic".into(),
                loaded.into(),
                "-o".into(),
                "beginning".into(),
            ],
            &home.env(),
        );
        // The peers that are installed, on the same topic from its beginning.
        let mut peers: Vec<(&str, serde_json::Value)> = Vec::new();
        if let Some(bin) = which("kaskade") {
            // pip install kaskade: values as text.
            let argv = [
                bin.display().to_string(),
                "consumer".into(),
                "-b".into(),
                bootstrap.clone(),
                "-t".into(),
                loaded.into(),
                "--earliest".into(),
                "-v".into(),
                "string".into(),
            ];
            let args = [
                "--ready",
                "Kaskade",
                "--record",
                "bench-rec-",
                "--quit-key",
                "\\x03",
            ];
            peers.push(("kaskade", probe(&strings(&args), &argv, &[])));
        }
        if let Some(bin) = yozefu() {
            let home = YozefuHome::new(&bootstrap);
            let argv = strings(&[
                &bin.display().to_string(),
                "-c",
                "bench",
                "--topics",
                loaded,
                "from beginning",
            ]);
            // At 120 columns yozefu cuts values before their text; a record row is the
            // first one showing the topic with its partition, `bench-ktui-0[3]`.
            let record = format!("{loaded}[");
            let mut args = YOZEFU_PROBE.to_vec();
            args.extend(["--record", &record]);
            peers.push(("yozefu", probe(&strings(&args), &argv, &home.env())));
        }
        for (scenario, key) in [
            ("startup: launch → first frame", "first_frame_ms"),
            ("startup: launch → first record visible", "first_record_ms"),
        ] {
            let mut peer: Vec<String> = peers
                .iter()
                .map(|(name, result)| format!("{name} {}", ms(result, key)))
                .collect();
            if which("kaskade").is_none() {
                peer.push("kaskade: not installed".into());
            }
            if yozefu().is_none() {
                peer.push("yozefu: not installed".into());
            }
            // Against the fastest peer.
            let ratio = peers
                .iter()
                .filter_map(|(_, result)| result.get(key)?.as_f64())
                .min_by(f64::total_cmp)
                .and_then(|best| Some(best / startup.get(key)?.as_f64()?));
            report.rows.push(Row {
                scenario: scenario.into(),
                ktui: ms(&startup, key),
                peer: peer.join("; "),
                ratio,
            });
        }
    }

    // 4. The TUI under a firehose, at each rate; the peers under the same firehose.
    let rates: &[Option<u64>] = if options.runs("firehose") {
        &options.rates
    } else {
        &[]
    };
    let payload = std::fs::read_to_string(&data)
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.as_bytes().to_vec()))
        .unwrap_or_default();
    let hose = Hose {
        rt: &rt,
        demo: &demo,
        payload: &payload,
        partitions: options.partitions,
        secs: options.firehose_secs,
        probes: options.probes,
    };
    for (i, rate) in rates.iter().enumerate() {
        let what = rate.map_or_else(|| "max".to_string(), |r| format!("{}k", r / 1000));
        let home = Home::new();
        let (result, produced) = hose.run(&format!("bench-firehose-{i}"), *rate, |topic| {
            hose.probe_tui(
                &["--ready", "live"],
                &[
                    &ktui.display().to_string(),
                    "-b",
                    &bootstrap,
                    "--topic",
                    topic,
                ],
                &home.env(),
            )
        });
        let (frames, seconds, received) = home.stats().unwrap_or((0, 1.0, 0));
        report.firehoses.push((produced, received));
        // The same firehose into kcat (no UI, stdout counted): what a plain consumer gets.
        let reference = kcat.as_ref().map(|kcat| {
            hose.run(&format!("bench-firehose-{i}-kcat"), *rate, |topic| {
                count_lines(
                    Command::new(kcat)
                        .args(["-C", "-b", &bootstrap, "-t", topic, "-o", "end", "-q"]),
                    hose.window(),
                )
            })
        });
        let yozefu = yozefu().map(|bin| {
            let home = YozefuHome::new(&bootstrap);
            hose.run(&format!("bench-firehose-{i}-yozefu"), *rate, |topic| {
                hose.probe_tui(
                    &YOZEFU_PROBE,
                    &[
                        &bin.display().to_string(),
                        "-c",
                        "bench",
                        "--topics",
                        topic,
                        "from end",
                    ],
                    &home.env(),
                )
            })
            .0
        });
        report.rows.push(Row {
            scenario: format!(
                "TUI firehose {what} msg/s for {:.0} s: received / produced",
                options.firehose_secs
            ),
            ktui: format!("{received} / {produced}"),
            peer: reference.map_or_else(
                || "kcat not installed".into(),
                |(kcat_received, kcat_produced)| {
                    format!("kcat -C (no UI): {kcat_received} / {kcat_produced}")
                },
            ),
            ratio: None,
        });
        report.rows.push(Row {
            scenario: format!("  … CPU, peak RSS, frames/s, key→frame p50/p99 ({what})"),
            ktui: tui_figures(&result, Some(frames as f64 / seconds), options.probes),
            peer: yozefu.map_or_else(
                || format!("yozefu: not installed; {}", kaskade_note()),
                |y| {
                    format!(
                        "yozefu {}; {}",
                        tui_figures(&y, None, options.probes),
                        kaskade_note()
                    )
                },
            ),
            ratio: None,
        });
    }

    // 5. A real broker, when tansu and kafka-python are installed (Debian's kcat cannot
    // talk to tansu, so kafka-python is the peer there).
    if options.runs("tansu")
        && let Some(broker) = TansuBroker::start()
    {
        tansu_rows(&mut report, options, ktui, &broker.address, &rt);
    }

    report.table = table(&report.rows, options);
    report
}

/// What the peer column says where no peer ran: kaskade has no live tail (it pages 25
/// records at a time on request), yozefu may not be installed.
/// Why kaskade has no firehose figures.
fn kaskade_note() -> &'static str {
    if which("kaskade").is_some() {
        "kaskade: no live tail (pages 25 on request)"
    } else {
        "kaskade: not installed"
    }
}

/// CPU share, peak RSS, frames/s (when known) and key→frame p50/p99 from a probe.
fn tui_figures(result: &serde_json::Value, fps: Option<f64>, probes: usize) -> String {
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

fn table(rows: &[Row], options: &Options) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let _ = writeln!(
        out,
        "ktui vs peers · librdkafka mock cluster over TCP (tansu rows: tansu on memory \
         storage) · {cores} cores · {} records of {} B",
        options.records, options.size
    );
    let _ = writeln!(out, "| scenario | ktui | peer | peer time ÷ ktui time |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for row in rows {
        let ratio = row.ratio.map_or_else(String::new, |r| {
            format!(
                "{r:.2}× {}",
                if r >= 1.0 {
                    "(ktui faster)"
                } else {
                    "(peer faster)"
                }
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {ratio} |",
            row.scenario, row.ktui, row.peer
        );
    }
    out
}

fn main() {
    let options = Options::from_args();
    let ktui = PathBuf::from(env!("CARGO_BIN_EXE_ktui"));
    let report = run(&options, &ktui);
    print!("{}", report.table);
}

/// A tansu broker (in-memory storage) on a free loopback port, killed on drop.
struct TansuBroker {
    child: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl TansuBroker {
    /// `None` when tansu (`cargo install tansu`) or kafka-python is not installed.
    fn start() -> Option<Self> {
        let bin = which("tansu").or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            Some(home.join(".cargo/bin/tansu")).filter(|p| p.is_file())
        })?;
        let python_ok = Command::new("python3")
            .args(["-c", "import kafka"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !python_ok {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("tansu dir");
        let url = format!("tcp://{address}");
        let child = Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let broker = Self {
            child,
            address,
            _dir: dir,
        };
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &broker.address)
            .create()
            .expect("metadata client");
        let deadline = Instant::now() + Duration::from_secs(20);
        while consumer
            .fetch_metadata(None, Duration::from_millis(500))
            .is_err()
        {
            assert!(Instant::now() < deadline, "tansu did not answer in 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(broker)
    }
}

impl Drop for TansuBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kp_bench() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kp_bench.py")
}

/// Produce and consume on tansu: ktui beside kafka-python, alternating runs, medians.
fn tansu_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    bootstrap: &str,
    rt: &tokio::runtime::Runtime,
) {
    let n = options.tansu_records;
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("tansu.txt");
    write_data(&data, n, options.size);
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("admin client");
    let create = |name: &str| {
        let topic = rdkafka::admin::NewTopic::new(
            name,
            options.partitions,
            rdkafka::admin::TopicReplication::Fixed(1),
        );
        let results = rt
            .block_on(admin.create_topics([&topic], &rdkafka::admin::AdminOptions::new()))
            .expect("create topic on tansu");
        assert!(
            results.iter().all(Result::is_ok),
            "create {name}: {results:?}"
        );
    };
    let (mut ktui_produce, mut peer_produce) = (Vec::new(), Vec::new());
    let (mut ktui_consume, mut peer_consume) = (Vec::new(), Vec::new());
    for run in 0..options.repeat {
        let ours = format!("tansu-ktui-{run}");
        create(&ours);
        ktui_produce.push(timed(
            Command::new(ktui).args(["produce", "-b", bootstrap, &ours]),
            Some(&data),
        ));
        let theirs = format!("tansu-kp-{run}");
        create(&theirs);
        peer_produce.push(timed(
            Command::new("python3").arg(kp_bench()).args([
                "--bootstrap",
                bootstrap,
                "produce",
                &theirs,
            ]),
            Some(&data),
        ));
        ktui_consume.push(timed(
            Command::new(ktui).args(["consume", "-b", bootstrap, &ours, "-o", "beginning", "-e"]),
            None,
        ));
        peer_consume.push(timed(
            Command::new("python3").arg(kp_bench()).args([
                "--bootstrap",
                bootstrap,
                "consume",
                &ours,
                "--count",
                &n.to_string(),
            ]),
            None,
        ));
    }
    let label = format!("{n} × {} B", options.size);
    let mut produce = pair_row(
        format!("tansu: produce {label} (ktui produce / kafka-python)"),
        n,
        &ktui_produce,
        Some(&peer_produce),
    );
    let mut consume = pair_row(
        format!("tansu: consume {label} (ktui consume -e / kafka-python)"),
        n,
        &ktui_consume,
        Some(&peer_consume),
    );
    for row in [&mut produce, &mut consume] {
        row.peer = format!("kafka-python {}", row.peer);
    }
    report.rows.extend([produce, consume]);
    // Every record of both tools' topics reads back (counted outside the timing; tansu's
    // end offsets stop at the last batch's first record, so they cannot count).
    let count = |topic: &str| {
        let output = Command::new(ktui)
            .args(["consume", "-b", bootstrap, topic, "-o", "beginning", "-e"])
            .stderr(Stdio::null())
            .output()
            .expect("ktui consume");
        output.stdout.split(|&b| b == b'\n').count() as u64 - 1
    };
    assert_eq!(
        count("tansu-kp-0"),
        n as u64,
        "kafka-python produced every record"
    );
    let lines = count("tansu-ktui-0");
    report.tansu = Some((n as u64, lines));
}
