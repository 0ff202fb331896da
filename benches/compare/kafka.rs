//! Apache Kafka, a real broker: KRaft nodes started by `.ci/kafka/node` (the script the
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

/// File descriptors a node holds besides its partitions: its jars, sockets, the metadata
/// log and the internal topics' segments.
const NODE_FILES: u64 = 2_000;

/// A cluster of combined (broker and controller) KRaft nodes on free loopback ports, each
/// with its storage in one temp dir; every node is killed on drop.
pub(crate) struct KafkaBroker {
    children: Vec<Child>,
    /// The first node's PLAINTEXT address: clients find the others through it.
    pub(crate) address: String,
    /// How many nodes the cluster has.
    pub(crate) nodes: usize,
    /// Apache Kafka's version, from the jar the nodes run.
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

/// The hard limit on open files a node started from here gets (`None` where unknown). The
/// JVM raises its soft limit to this hard one, and a node keeps one file open for each
/// partition it hosts (its active segment's `.log`): a node that runs out stops creating
/// the logs of new partitions, silently for the client that created them, and an internal
/// topic created afterwards (`__consumer_offsets`) never loads.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let hard = line.split_whitespace().nth(4)?;
    if hard == "unlimited" {
        return Some(u64::MAX);
    }
    hard.parse().ok()
}

/// How many nodes it takes to host `partitions` partitions within the open-file limit: one
/// where the limit allows (or is unknown).
pub(crate) fn nodes_for(partitions: u64) -> usize {
    open_files_limit().map_or(1, |limit| {
        let per_node = limit.saturating_sub(NODE_FILES).max(1);
        usize::try_from(partitions.div_ceil(per_node))
            .unwrap_or(1)
            .max(1)
    })
}

/// A cluster id for `kafka-storage format` (16 random bytes, URL-safe base64), shared by
/// the nodes of one cluster.
fn cluster_id() -> String {
    use base64::Engine as _;
    use std::hash::{BuildHasher as _, RandomState};
    let state = RandomState::new();
    (0u64..1_000)
        .map(|attempt| {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(8).enumerate() {
                chunk.copy_from_slice(&state.hash_one((attempt, i, Instant::now())).to_le_bytes());
            }
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        })
        .find(|id| !id.starts_with('-'))
        .expect("an id that does not start with '-'")
}

impl KafkaBroker {
    /// `nodes` nodes, every one a voter of the quorum (so internal topics get a replication
    /// factor of `nodes`, at most 3). `None` when java is not installed. The jars come from
    /// `.ci/kafka/fetch` (the node script runs it when they are missing). Panics when a node
    /// does not come up.
    pub(crate) fn start_nodes(nodes: usize) -> Option<Self> {
        which("java")?;
        let dir = tempfile::Builder::new()
            .prefix("ktui-bench-kafka-")
            .tempdir()
            .expect("a dir for the Kafka nodes");
        let ports: Vec<(u16, u16)> = (0..nodes.max(1))
            .map(|_| (broker_port(), broker_port()))
            .collect();
        let voters = ports
            .iter()
            .enumerate()
            .map(|(i, (_, controller))| format!("{}@127.0.0.1:{controller}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let id = cluster_id();
        let children = ports
            .iter()
            .enumerate()
            .map(|(i, &(port, controller))| {
                let node = node_dir(dir.path(), i);
                std::fs::create_dir_all(&node).expect("a dir for a Kafka node");
                let console = std::fs::File::create(node.join("console.log")).expect("console");
                Command::new("bash")
                    .arg(root().join(".ci/kafka/node"))
                    .arg("--dir")
                    .arg(&node)
                    .args(["--node-id", &(i + 1).to_string()])
                    .args(["--port", &port.to_string()])
                    .args(["--controller-port", &controller.to_string()])
                    .args(["--voters", &voters])
                    .env("KTUI_KAFKA_CLUSTER_ID", &id)
                    .stdin(Stdio::null())
                    .stdout(console.try_clone().expect("console log"))
                    .stderr(console)
                    .spawn()
                    .expect("run .ci/kafka/node")
            })
            .collect();
        let mut broker = Self {
            children,
            address: format!("127.0.0.1:{}", ports[0].0),
            nodes: ports.len(),
            version: String::new(),
            dir,
        };
        broker.wait_ready();
        broker.version = version(&libs()).unwrap_or_else(|| "(unknown version)".into());
        Some(broker)
    }

    /// Waits until the first node answers a metadata request listing every node.
    fn wait_ready(&mut self) {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.address)
            .set("log_level", "0")
            .create()
            .expect("metadata client");
        let deadline = Instant::now() + READY;
        loop {
            for (i, child) in self.children.iter_mut().enumerate() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("Kafka node {} exited ({status}):\n{}", i + 1, self.log());
                }
            }
            let answered = consumer
                .fetch_metadata(None, Duration::from_secs(1))
                .is_ok_and(|m| m.brokers().len() >= self.nodes);
            if answered {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Kafka nodes on {} did not answer within {READY:?}:\n{}",
                self.address,
                self.log()
            );
            // Polling a condition with a deadline: a refused connection returns at once.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The end of every node's console and server log (for failure messages).
    pub(crate) fn log(&self) -> String {
        (0..self.nodes)
            .map(|i| {
                let node = node_dir(self.dir.path(), i);
                format!(
                    "--- node {} console ---\n{}\n--- node {} server.log ---\n{}",
                    i + 1,
                    tail(&node.join("console.log"), 15),
                    i + 1,
                    tail(&node.join("server.log"), 25)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Node `i`'s folder: its console log, and the node script's `--dir`.
fn node_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("node-{}", i + 1))
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn kp_bench() -> PathBuf {
    root().join("benches/kp_bench.py")
}

pub(crate) fn kafka_python_installed() -> bool {
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
