//! Apache Kafka for the tests: real brokers (KRaft, combined broker+controller nodes) from
//! the jars `.ci/kafka/fetch` brings from Maven Central, each started by `.ci/kafka/node`,
//! the same script a developer runs by hand.
//!
//! - [`Kafka::shared`]: one node that every test binary shares (each test uses its own
//!   uniquely named topics). The first test to ask starts it, detached, under a lock in
//!   `target/tmp/kafka-shared`; later tests (and later runs) reuse it while it answers and
//!   its configuration is unchanged. It serves PLAINTEXT, SASL_PLAINTEXT (PLAIN and SCRAM),
//!   SSL and mutual-TLS listeners. `.ci/test` stops it when the suite ends.
//! - [`KafkaNode::start`]: a node of the test's own, for outages (stop, start on the same
//!   storage, wipe).
//! - [`KafkaCluster::start`]: three nodes, a quorum of three, for replication and failover.
#![allow(dead_code)] // each test binary uses a subset

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};

pub use super::ports::broker_port;
use super::process::read_tail;
use super::{POLL, require, tls};

/// The script that runs one node.
fn node_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/kafka/node")
}

/// The folder that holds `libs/` (`$KTUI_KAFKA_HOME`, default `target/kafka`).
fn kafka_home() -> PathBuf {
    std::env::var_os("KTUI_KAFKA_HOME").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/kafka"),
        PathBuf::from,
    )
}

/// Where the jars are (`$KTUI_KAFKA_HOME/libs`).
pub fn libs_dir() -> PathBuf {
    kafka_home().join("libs")
}

/// Whether a Kafka test can run here: java, and the jars (fetched on demand with mvn).
/// Panics in CI when either is missing; prints a skip notice otherwise.
pub fn available() -> bool {
    static FOUND: OnceLock<Result<(), String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        if super::find_tool("java", None, None).is_none() {
            return Err("java (Java 17+) on PATH".into());
        }
        let libs = kafka_home().join("libs");
        let has_jars = |libs: &Path| {
            fs::read_dir(libs).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("kafka_2.13-"))
            })
        };
        if has_jars(&libs) {
            return Ok(());
        }
        let fetched = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/kafka/fetch"))
            .stdin(Stdio::null())
            .output();
        match fetched {
            Ok(out) if out.status.success() && has_jars(&libs) => Ok(()),
            Ok(out) => Err(format!(
                "Apache Kafka's jars (.ci/kafka/fetch failed: {})",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Err(format!(
                "Apache Kafka's jars (cannot run .ci/kafka/fetch: {e})"
            )),
        }
    });
    match found {
        Ok(()) => require(
            "python3 with kafka-python (pip install 'kafka-python>=3')",
            super::peers::peer_available(),
        ),
        Err(what) => require(what, false),
    }
}

/// A quiet client for metadata requests to `bootstrap` (independent of ktui).
pub fn metadata_client(bootstrap: &str) -> Result<BaseConsumer, String> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "0")
        .set("socket.connection.setup.timeout.ms", "1000")
        .create()
        .map_err(|e| e.to_string())
}

/// Lists the brokers that answer a metadata request at `bootstrap` (within `timeout`).
pub fn metadata_brokers(bootstrap: &str, timeout: Duration) -> Result<Vec<i32>, String> {
    let metadata = metadata_client(bootstrap)?
        .fetch_metadata(None, timeout)
        .map_err(|e| e.to_string())?;
    let mut ids: Vec<i32> = metadata
        .brokers()
        .iter()
        .map(rdkafka::metadata::MetadataBroker::id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// A KRaft cluster id: 16 bytes, base64url without padding (what `random-uuid` prints),
/// never starting with `-` (Kafka's own `Uuid.randomUuid` rejects those too: a tool would
/// read such an id as an option).
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

// ---------------------------------------------------------------------------------------
// One node

/// How a [`KafkaNode`] is configured beyond its ports.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// `--voters` for a multi-node quorum (default: the node alone).
    pub voters: Option<String>,
    /// The cluster id to format with (nodes of one cluster share it).
    pub cluster_id: Option<String>,
}

/// One Kafka node run by `.ci/kafka/node`: killed on drop (unless detached), storage in
/// its own folder that outlives a stop.
pub struct KafkaNode {
    dir: PathBuf,
    /// Keeps a temp dir alive (none for the shared node, whose dir is fixed).
    _temp: Option<tempfile::TempDir>,
    pub node_id: u32,
    port: u16,
    controller_port: u16,
    options: NodeOptions,
    child: Option<Child>,
    starts: u32,
}

impl KafkaNode {
    /// Starts a node of the test's own on free ports and waits until it answers metadata.
    /// `None` (after a skip notice) when java or the jars are missing outside CI.
    pub fn start() -> Option<Self> {
        if !available() {
            return None;
        }
        let mut node = Self::new(1, broker_port(), broker_port(), NodeOptions::default());
        node.spawn();
        node.wait_ready(1, Duration::from_secs(60));
        Some(node)
    }

    /// A node not yet started, with storage in a fresh temp dir.
    fn new(node_id: u32, port: u16, controller_port: u16, options: NodeOptions) -> Self {
        let temp = tempfile::Builder::new()
            .prefix("ktui-kafka-")
            .tempdir()
            .expect("a temp dir for a Kafka node");
        Self {
            dir: temp.path().to_path_buf(),
            _temp: Some(temp),
            node_id,
            port,
            controller_port,
            options,
            child: None,
            starts: 0,
        }
    }

    /// "127.0.0.1:PORT" of the PLAINTEXT listener.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The end of the broker's log and of its console output (for failure messages).
    pub fn log(&self) -> String {
        format!(
            "--- node {} server.log ---\n{}\n--- console ---\n{}",
            self.node_id,
            read_tail(&self.dir.join("server.log"), 25),
            read_tail(&self.console_path(self.starts), 15)
        )
    }

    fn console_path(&self, start: u32) -> PathBuf {
        self.dir.join(format!("console-{start}.log"))
    }

    fn command(&self) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(node_script())
            .arg("--dir")
            .arg(&self.dir)
            .args(["--node-id", &self.node_id.to_string()])
            .args(["--port", &self.port.to_string()])
            .args(["--controller-port", &self.controller_port.to_string()]);
        if let Some(voters) = &self.options.voters {
            command.args(["--voters", voters]);
        }
        command.env(
            "KTUI_KAFKA_CLUSTER_ID",
            self.options.cluster_id.clone().unwrap_or_else(cluster_id),
        );
        command
    }

    /// Starts the process (storage is formatted on the first start, kept after).
    fn spawn(&mut self) {
        self.starts += 1;
        let console = fs::File::create(self.console_path(self.starts)).expect("console log");
        let child = self
            .command()
            .stdin(Stdio::null())
            .stdout(console.try_clone().expect("console log"))
            .stderr(console)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run .ci/kafka/node: {e}"));
        self.child = Some(child);
    }

    /// Waits until the node answers metadata listing `brokers` brokers.
    fn wait_ready(&mut self, brokers: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!(
                    "Kafka node {} exited ({status}):\n{}",
                    self.node_id,
                    self.log()
                );
            }
            // Our own JVM says it started (as often as we started it), so the port's
            // answer is ours, not another test's broker.
            let started = fs::read_to_string(self.dir.join("server.log"))
                .map_or(0, |log| log.matches("Kafka Server started").count());
            if started >= self.starts as usize && port_open(self.port) {
                match metadata_brokers(&self.address(), Duration::from_secs(2)) {
                    Ok(ids)
                        if ids.len() >= brokers
                            && ids
                                .iter()
                                .any(|&id| i64::from(id) == i64::from(self.node_id)) =>
                    {
                        return;
                    }
                    Ok(ids) => last = format!("brokers {ids:?}"),
                    Err(why) => last = why,
                }
            }
            std::thread::sleep(POLL);
        }
        panic!(
            "Kafka node {} on {} was not ready within {timeout:?} ({last}):\n{}",
            self.node_id,
            self.address(),
            self.log()
        );
    }

    /// Kills the node at once (a crash: no controlled shutdown). Its storage stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again on its storage and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
        self.wait_ready(1, Duration::from_secs(60));
    }

    /// Kills the node and deletes its storage: the next start formats it anew, with a new
    /// cluster id unless the options fix one.
    pub fn wipe(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(self.dir.join("data"));
    }
}

impl Drop for KafkaNode {
    fn drop(&mut self) {
        self.kill();
    }
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

// ---------------------------------------------------------------------------------------
// Three nodes

/// Three combined nodes with a quorum of three, on free loopback ports. Internal topics
/// have RF 3 (min ISR 2). Every node is killed on drop.
pub struct KafkaCluster {
    pub nodes: Vec<KafkaNode>,
}

impl KafkaCluster {
    /// Starts three nodes and waits until each answers metadata listing all three.
    pub fn start() -> Option<Self> {
        if !available() {
            return None;
        }
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (broker_port(), broker_port())).collect();
        let voters = ports
            .iter()
            .enumerate()
            .map(|(i, (_, c))| format!("{}@127.0.0.1:{c}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let id = cluster_id();
        let mut nodes: Vec<KafkaNode> = ports
            .iter()
            .enumerate()
            .map(|(i, &(port, controller))| {
                let options = NodeOptions {
                    voters: Some(voters.clone()),
                    cluster_id: Some(id.clone()),
                };
                KafkaNode::new(i as u32 + 1, port, controller, options)
            })
            .collect();
        for node in &mut nodes {
            node.spawn();
        }
        for node in &mut nodes {
            node.wait_ready(3, Duration::from_secs(90));
        }
        Some(Self { nodes })
    }

    /// Every node's PLAINTEXT address, comma-separated.
    pub fn bootstrap(&self) -> String {
        self.nodes
            .iter()
            .map(KafkaNode::address)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node with this broker id.
    pub fn node(&mut self, id: i32) -> &mut KafkaNode {
        self.nodes
            .iter_mut()
            .find(|n| i64::from(n.node_id) == i64::from(id))
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    /// Every node's logs (for failure messages).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let _ = writeln!(out, "{}", node.log());
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// The shared node

/// A PLAIN user of the shared node.
pub const PLAIN_USER: (&str, &str) = ("alice", "alice-secret");
/// A SCRAM-SHA-256 user of the shared node.
pub const SCRAM_256_USER: (&str, &str) = ("bob", "bob-secret-256");
/// A SCRAM-SHA-512 user of the shared node.
pub const SCRAM_512_USER: (&str, &str) = ("ops", "ops-secret-512");

/// The node every test binary shares (see the module docs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SharedKafka {
    pid: u32,
    /// What configuration it runs (a hash of the node script and this harness's settings).
    config: String,
    plaintext: u16,
    sasl: u16,
    ssl: u16,
    mutual_tls: u16,
    dir: PathBuf,
}

/// The shared node's PKI files (same layout as [`tls::TestPki`]).
pub struct SharedPki {
    pub ca_pem: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub other_ca_pem: PathBuf,
}

impl SharedKafka {
    /// "127.0.0.1:PORT" of the PLAINTEXT listener.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.plaintext)
    }

    /// The SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).
    pub fn sasl_address(&self) -> String {
        format!("127.0.0.1:{}", self.sasl)
    }

    /// The SSL listener (server certificate signed by [`SharedKafka::pki`]'s CA).
    pub fn ssl_address(&self) -> String {
        format!("127.0.0.1:{}", self.ssl)
    }

    /// The SSL listener that requires a client certificate signed by the same CA.
    pub fn mtls_address(&self) -> String {
        format!("127.0.0.1:{}", self.mutual_tls)
    }

    /// The CA, a client certificate and an unrelated CA, as PEM files.
    pub fn pki(&self) -> SharedPki {
        let pki = self.dir.join("pki");
        SharedPki {
            ca_pem: pki.join("ca.pem"),
            client_cert: pki.join("client.pem"),
            client_key: pki.join("client.key"),
            other_ca_pem: pki.join("other-ca.pem"),
        }
    }

    /// The end of the broker's log (for failure messages).
    pub fn log(&self) -> String {
        read_tail(&self.dir.join("node/server.log"), 30)
    }
}

/// Where the shared node lives: `target/tmp/kafka-shared`.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("kafka-shared")
}

fn shared_config() -> String {
    use std::hash::{DefaultHasher, Hash as _, Hasher as _};
    let mut hasher = DefaultHasher::new();
    include_str!("../../.ci/kafka/node").hash(&mut hasher);
    include_str!("../../.ci/kafka/pom.xml").hash(&mut hasher);
    include_str!("kafka.rs").hash(&mut hasher);
    (PLAIN_USER, SCRAM_256_USER, SCRAM_512_USER).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The shared node, started by the first caller of any test process (under a file lock)
/// and reused while it answers. `None` (after a skip notice) when Kafka is unavailable
/// outside CI.
pub fn shared() -> Option<&'static SharedKafka> {
    static SHARED: OnceLock<SharedKafka> = OnceLock::new();
    if !available() {
        return None;
    }
    Some(SHARED.get_or_init(|| {
        let dir = shared_dir();
        fs::create_dir_all(&dir).expect("the shared Kafka dir");
        let lock = fs::File::create(dir.join("lock")).expect("the shared Kafka lock file");
        lock.lock().expect("lock the shared Kafka dir");
        let state_path = dir.join("state.json");
        let current: Option<SharedKafka> = fs::read_to_string(&state_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let config = shared_config();
        if current.is_none() {
            // A state file this harness cannot read (an older layout): stop its broker
            // by the plain pid file, so no orphan keeps running.
            if let Some(pid) = fs::read_to_string(dir.join("pid"))
                .ok()
                .and_then(|p| p.trim().parse::<u32>().ok())
            {
                stop_shared_process(pid, &dir);
            }
        }
        if let Some(state) = current
            && runs_shared_node(state.pid, &dir)
        {
            if state.config == config {
                // Ours and current: other tests may be using it right now, so a slow
                // answer (a loaded machine) is waited for, never a reason to replace it.
                let answered = super::poll_until(Duration::from_secs(60), || {
                    metadata_brokers(&state.address(), Duration::from_secs(5)).ok()
                });
                assert!(
                    answered.is_some(),
                    "the shared Kafka node (pid {}) runs but did not answer within 60 s:\n{}",
                    state.pid,
                    state.log()
                );
                return state;
            }
            stop_shared_process(state.pid, &dir);
        }
        let state = start_shared(&dir, config);
        fs::write(&state_path, serde_json::to_string(&state).expect("state"))
            .expect("write the shared Kafka state");
        state
    }))
}

/// Whether `pid` is the shared node's JVM (not another process that reuses a stale pid).
fn runs_shared_node(pid: u32, dir: &Path) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        let cmdline = String::from_utf8_lossy(&cmdline);
        cmdline.contains("kafka.Kafka") && cmdline.contains(&*dir.join("node").to_string_lossy())
    })
}

/// Stops the shared node's JVM if `pid` is it: SIGTERM, up to 20 s to exit, then SIGKILL.
fn stop_shared_process(pid: u32, dir: &Path) {
    if !runs_shared_node(pid, dir) {
        return;
    }
    let _ = Command::new("kill")
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
    let gone = super::poll_until(Duration::from_secs(20), || {
        (!runs_shared_node(pid, dir)).then_some(())
    });
    if gone.is_none() {
        let _ = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

fn start_shared(dir: &Path, config: String) -> SharedKafka {
    let node_dir = dir.join("node");
    let _ = fs::remove_dir_all(&node_dir);
    let pki_dir = dir.join("pki");
    let _ = fs::remove_dir_all(&pki_dir);
    tls::TestPki::write_into(&pki_dir);
    let (plaintext, controller, sasl, tls_port, mutual_tls) = (
        broker_port(),
        broker_port(),
        broker_port(),
        broker_port(),
        broker_port(),
    );
    let mut command = Command::new("setsid");
    command
        .arg("bash")
        .arg(node_script())
        .arg("--dir")
        .arg(&node_dir)
        .args(["--port", &plaintext.to_string()])
        .args(["--controller-port", &controller.to_string()])
        .args(["--sasl-port", &sasl.to_string()])
        .args(["--ssl-port", &tls_port.to_string()])
        .args(["--mtls-port", &mutual_tls.to_string()])
        .arg("--pki")
        .arg(&pki_dir)
        .args([
            "--plain-user",
            &format!("{}:{}", PLAIN_USER.0, PLAIN_USER.1),
        ])
        .args([
            "--scram-user",
            &format!("SCRAM-SHA-256:{}:{}", SCRAM_256_USER.0, SCRAM_256_USER.1),
        ])
        .args([
            "--scram-user",
            &format!("SCRAM-SHA-512:{}:{}", SCRAM_512_USER.0, SCRAM_512_USER.1),
        ])
        .env("KTUI_KAFKA_CLUSTER_ID", cluster_id());
    fs::create_dir_all(&node_dir).expect("the shared node dir");
    let console = fs::File::create(dir.join("console.log")).expect("console log");
    // setsid: its own session, so the broker outlives this test process and its group.
    let mut child = command
        .stdin(Stdio::null())
        .stdout(console.try_clone().expect("console log"))
        .stderr(console)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run setsid bash .ci/kafka/node: {e}"));
    // Written at once, so `.ci/test` stops it even if it never gets ready.
    fs::write(dir.join("pid"), child.id().to_string()).expect("write the shared Kafka pid");
    let state = SharedKafka {
        pid: child.id(),
        config,
        plaintext,
        sasl,
        ssl: tls_port,
        mutual_tls,
        dir: dir.to_path_buf(),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last = String::from("no answer yet");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the shared Kafka node exited ({status}):\n{}\n{}",
                read_tail(&dir.join("console.log"), 20),
                state.log()
            );
        }
        if port_open(plaintext) {
            match metadata_brokers(&state.address(), Duration::from_secs(2)) {
                Ok(_) => break,
                Err(why) => last = why,
            }
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the shared Kafka node was not ready within 90 s ({last}):\n{}",
                state.log()
            );
        }
        std::thread::sleep(POLL);
    }
    // Not waited for: it outlives this process (`.ci/test` stops it).
    drop(child);
    state
}
