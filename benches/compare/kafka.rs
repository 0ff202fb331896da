//! Apache Kafka, a real broker: one KRaft node started by `.ci/kafka/node` (the script the
//! tests use), with kcat and kafka-python as the peers.

use super::ports::broker_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer as _};

use super::mock::{messages, write_data};
use super::tools::{pair_row, timed, which};
use super::{Options, Report};

/// How long a node may take to answer its first metadata request (a JVM start, and a
/// storage format before it, on a loaded machine).
const READY: Duration = Duration::from_secs(120);

/// One Kafka node on free loopback ports, storage in a temp dir; killed on drop.
pub(crate) struct KafkaBroker {
    child: Child,
    pub(crate) address: String,
    /// Apache Kafka's version, from the jar the node runs.
    pub(crate) version: String,
    dir: tempfile::TempDir,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The folder `.ci/kafka/fetch` fills (`$KTUI_KAFKA_HOME/libs`, default `target/kafka/libs`).
pub(crate) fn libs() -> PathBuf {
    std::env::var_os("KTUI_KAFKA_HOME")
        .map_or_else(|| root().join("target/kafka"), PathBuf::from)
        .join("libs")
}

/// "4.1.2" from `kafka_2.13-4.1.2.jar`.
fn version(libs: &Path) -> Option<String> {
    std::fs::read_dir(libs).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let version = name.strip_prefix("kafka_2.13-")?.strip_suffix(".jar")?;
        version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
            .then(|| version.to_string())
    })
}

fn tail(path: &Path, lines: usize) -> String {
    std::fs::read_to_string(path).map_or_else(
        |e| format!("({}: {e})", path.display()),
        |text| {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        },
    )
}

impl KafkaBroker {
    /// `None` when java is not installed. The jars come from `.ci/kafka/fetch` (the node
    /// script runs it when they are missing). Panics when the node does not come up.
    pub(crate) fn start() -> Option<Self> {
        which("java")?;
        let dir = tempfile::Builder::new()
            .prefix("ktui-bench-kafka-")
            .tempdir()
            .expect("a dir for the Kafka node");
        let (port, controller) = (broker_port(), broker_port());
        let console = std::fs::File::create(dir.path().join("console.log")).expect("console log");
        let child = Command::new("bash")
            .arg(root().join(".ci/kafka/node"))
            .arg("--dir")
            .arg(dir.path().join("node"))
            .args(["--port", &port.to_string()])
            .args(["--controller-port", &controller.to_string()])
            .stdin(Stdio::null())
            .stdout(console.try_clone().expect("console log"))
            .stderr(console)
            .spawn()
            .expect("run .ci/kafka/node");
        let mut broker = Self {
            child,
            address: format!("127.0.0.1:{port}"),
            version: String::new(),
            dir,
        };
        broker.wait_ready();
        broker.version = version(&libs()).unwrap_or_else(|| "(unknown version)".into());
        Some(broker)
    }

    /// Waits until the node answers a metadata request listing itself.
    fn wait_ready(&mut self) {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .set("log_level", "0")
            .create()
            .expect("metadata client");
        let deadline = Instant::now() + READY;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the Kafka node exited ({status}):\n{}", self.log());
            }
            let answered = consumer
                .fetch_metadata(None, Duration::from_secs(1))
                .is_ok_and(|m| !m.brokers().is_empty());
            if answered {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Kafka node on {} did not answer within {READY:?}:\n{}",
                self.address,
                self.log()
            );
            // Polling a condition with a deadline: a refused connection returns at once.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The end of the node's console and server log (for failure messages).
    fn log(&self) -> String {
        format!(
            "--- console ---\n{}\n--- server.log ---\n{}",
            tail(&self.dir.path().join("console.log"), 15),
            tail(&self.dir.path().join("node/server.log"), 25)
        )
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn kp_bench() -> PathBuf {
    root().join("benches/kp_bench.py")
}

fn kafka_python_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import kafka"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Produce and consume on Kafka: ktui beside kcat (and kafka-python where installed),
/// alternating runs, medians. Every topic's end offsets must add up to exactly the
/// records written.
pub(crate) fn kafka_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    broker: &KafkaBroker,
    rt: &tokio::runtime::Runtime,
) {
    let bootstrap = broker.address.as_str();
    let n = options.kafka_records;
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("kafka.txt");
    write_data(&data, n, options.size);
    let kcat = which("kcat");
    let python = kafka_python_installed();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let create = |name: &str| {
        let topic = NewTopic::new(name, options.partitions, TopicReplication::Fixed(1));
        let results = rt
            .block_on(admin.create_topics([&topic], &AdminOptions::new()))
            .expect("create a topic on Kafka");
        assert!(
            results.iter().all(Result::is_ok),
            "create {name}: {results:?}"
        );
    };
    let holds_all = |topic: &str, who: &str| {
        assert_eq!(
            messages(bootstrap, topic, options.partitions),
            n as u64,
            "{who} produced every record to {topic} (its end offsets)"
        );
    };
    let (mut ktui_produce, mut kcat_produce, mut kp_produce) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ktui_consume, mut kcat_consume, mut kp_consume) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..options.repeat {
        let ours = format!("kafka-ktui-{run}");
        create(&ours);
        ktui_produce.push(timed(
            Command::new(ktui).args(["produce", "-b", bootstrap, &ours]),
            Some(&data),
        ));
        holds_all(&ours, "ktui");
        if let Some(kcat) = &kcat {
            let theirs = format!("kafka-kcat-{run}");
            create(&theirs);
            kcat_produce.push(timed(
                Command::new(kcat).args(["-P", "-b", bootstrap, "-t", &theirs]),
                Some(&data),
            ));
            holds_all(&theirs, "kcat");
        }
        if python {
            let theirs = format!("kafka-kp-{run}");
            create(&theirs);
            kp_produce.push(timed(
                Command::new("python3").arg(kp_bench()).args([
                    "--bootstrap",
                    bootstrap,
                    "produce",
                    &theirs,
                ]),
                Some(&data),
            ));
            holds_all(&theirs, "kafka-python");
        }
        // Every tool reads the topic ktui wrote in this run, from its beginning to its end.
        ktui_consume.push(timed(
            Command::new(ktui).args(["consume", "-b", bootstrap, &ours, "-o", "beginning", "-e"]),
            None,
        ));
        if let Some(kcat) = &kcat {
            kcat_consume.push(timed(
                Command::new(kcat).args([
                    "-C",
                    "-b",
                    bootstrap,
                    "-t",
                    &ours,
                    "-o",
                    "beginning",
                    "-e",
                    "-q",
                ]),
                None,
            ));
        }
        if python {
            kp_consume.push(timed(
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
    }
    let label = format!("{n} × {} B", options.size);
    report.rows.push(pair_row(
        format!("kafka: produce {label} (ktui produce / kcat -P)"),
        n,
        &ktui_produce,
        kcat.as_ref().map(|_| kcat_produce.as_slice()),
    ));
    let kafka_python_row = |scenario: String, ktui_times: &[f64], peer: &[f64]| {
        let mut row = pair_row(scenario, n, ktui_times, python.then_some(peer));
        row.peer = if python {
            format!("kafka-python {}", row.peer)
        } else {
            "kafka-python not installed".into()
        };
        row
    };
    report.rows.push(kafka_python_row(
        format!("kafka: produce {label} (ktui produce / kafka-python)"),
        &ktui_produce,
        &kp_produce,
    ));
    report.rows.push(pair_row(
        format!("kafka: consume {label} (ktui consume -e / kcat -C -e)"),
        n,
        &ktui_consume,
        kcat.as_ref().map(|_| kcat_consume.as_slice()),
    ));
    report.rows.push(kafka_python_row(
        format!("kafka: consume {label} (ktui consume -e / kafka-python)"),
        &ktui_consume,
        &kp_consume,
    ));
    // ktui consume printed every record (counted outside the timing, through a pipe).
    let output = Command::new(ktui)
        .args([
            "consume",
            "-b",
            bootstrap,
            "kafka-ktui-0",
            "-o",
            "beginning",
            "-e",
        ])
        .stderr(Stdio::null())
        .output()
        .expect("ktui consume");
    let lines = output.stdout.split(|&b| b == b'\n').count() as u64 - 1;
    report.kafka = Some((
        messages(bootstrap, "kafka-ktui-0", options.partitions),
        lines,
    ));
}
