//! The brokers the tests start: tansu (plain, behind a proxy, behind a TLS front, with
//! SCRAM users) and a TCP proxy whose outages the tests control.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::{
    POLL, find_tool, free_port, kp_try, peer_available, read_tail, require, run_with_timeout, tls,
};

// ---------------------------------------------------------------------------------------
// tansu, a Kafka-compatible broker

const MEMORY: &str = "memory://tansu/";

/// A tansu broker on a loopback port with in-memory storage. Killed on drop.
pub struct Tansu {
    bin: PathBuf,
    port: u16,
    /// The port tansu names in metadata, when not its own (see [`Tansu::start_behind_proxy`]).
    advertised: Option<u16>,
    child: Option<Child>,
    dir: TempDir,
    starts: u32,
    /// `memory://tansu/`, or a sqlite file that outlives a restart (users are kept there).
    storage: String,
    /// Clients must log in with SASL SCRAM (`--authentication`).
    authentication: bool,
    /// Whether the plaintext kafka-python peer can talk to it (not through a TLS front,
    /// not with authentication on): then readiness means it lists topics.
    peer_probe: bool,
}

/// A SCRAM user for [`Tansu::start_with_users`].
pub struct ScramUser<'a> {
    pub name: &'a str,
    pub password: &'a str,
    /// `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub mechanism: &'a str,
}

impl Tansu {
    /// The tansu binary: `$TANSU_BIN`, `tansu` on `PATH`, or `~/.cargo/bin/tansu`.
    pub fn binary() -> Option<PathBuf> {
        let fallback = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu"));
        find_tool("tansu", Some("TANSU_BIN"), fallback)
    }

    /// Whether a broker test can run here: tansu and the kafka-python peer are installed.
    /// Panics in CI when either is missing; prints a skip notice otherwise.
    pub fn available() -> bool {
        require(
            "the tansu broker ($TANSU_BIN, tansu on PATH or ~/.cargo/bin/tansu)",
            Self::binary().is_some(),
        ) && require(
            "python3 with kafka-python (the test peer)",
            peer_available(),
        )
    }

    /// Starts a broker on a free port and waits until it answers Kafka requests.
    /// `None` (after a skip notice) when tansu or the peer is missing outside CI.
    pub fn start() -> Option<Self> {
        Self::launch(None)
    }

    /// Starts a broker on this port (which must be free).
    pub fn start_on(port: u16) -> Option<Self> {
        Self::launch(Some(port))
    }

    /// Starts a broker that clients reach through a [`Proxy`]: tansu advertises the
    /// proxy's address, so every connection a client makes goes through it. Stopping the
    /// proxy is a broker outage that keeps the broker's state (its topics, their ids and
    /// records), like restarting a broker with persistent storage; [`Tansu::restart`] starts
    /// over with empty storage instead.
    pub fn start_behind_proxy() -> Option<(Self, Proxy)> {
        if !Self::available() {
            return None;
        }
        let bin = Self::binary()?;
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let proxy = Proxy::start(port);
            let mut broker = Self::fresh(&bin, port, Some(proxy.port()));
            match broker.spawn_and_wait() {
                Ok(()) => return Some((broker, proxy)),
                Err(why) => last = why,
            }
        }
        panic!("tansu would not start behind a proxy: {last}")
    }

    /// A broker not yet started: in-memory storage, no authentication, its own temp dir.
    fn fresh(bin: &Path, port: u16, advertised: Option<u16>) -> Self {
        Self {
            bin: bin.to_path_buf(),
            port,
            advertised,
            child: None,
            dir: tempfile::tempdir().expect("tempdir"),
            starts: 0,
            storage: MEMORY.into(),
            authentication: false,
            peer_probe: true,
        }
    }

    /// Starts a broker that requires a SASL SCRAM login, with these users. tansu keeps
    /// users in its storage and refuses to add them once authentication is on, so the
    /// broker first runs open on a sqlite file, the users are created with `tansu user
    /// create`, and it restarts with `--authentication` on the same file.
    pub fn start_with_users(users: &[ScramUser<'_>]) -> Option<Self> {
        if !Self::available() {
            return None;
        }
        let bin = Self::binary()?;
        let mut broker = Self::fresh(&bin, free_port(), None);
        // tansu takes the path relative to its working directory (the temp dir).
        broker.storage = "sqlite://tansu.db".to_string();
        broker.spawn_and_wait().unwrap_or_else(|why| {
            panic!("tansu (sqlite storage; built with --features libsql?): {why}")
        });
        for user in users {
            let mechanism = match user.mechanism {
                "SCRAM-SHA-256" => "scram256",
                "SCRAM-SHA-512" => "scram512",
                other => panic!("unknown SCRAM mechanism {other}"),
            };
            let ran = run_with_timeout(
                Command::new(&broker.bin).args([
                    "user",
                    "create",
                    user.name,
                    user.password,
                    "--broker",
                    &format!("tcp://{}", broker.address()),
                    "--mechanism",
                    mechanism,
                ]),
                Duration::from_secs(20),
            );
            assert!(
                ran.success(),
                "tansu user create {}: {}\n{}",
                user.name,
                ran.stderr,
                broker.log()
            );
        }
        broker.stop();
        broker.authentication = true;
        broker.peer_probe = false;
        broker
            .spawn_and_wait()
            .unwrap_or_else(|why| panic!("tansu with --authentication: {why}"));
        Some(broker)
    }

    /// Starts a broker that clients reach over TLS: a [`tls::TlsFront`] with `pki`'s
    /// server certificate forwards to tansu's plaintext port, and tansu advertises the
    /// front. (tansu 0.6.0 cannot serve TLS itself: its `--cert` and `--key` flags are in
    /// one clap group, so it refuses to take both.) With `mutual`, the front asks for a
    /// client certificate signed by the PKI's CA.
    pub fn start_behind_tls(pki: &tls::TestPki, mutual: bool) -> Option<(Self, tls::TlsFront)> {
        if !Self::available() {
            return None;
        }
        let bin = Self::binary()?;
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let front = tls::TlsFront::start_on(free_port(), port, pki, mutual);
            let mut broker = Self::fresh(&bin, port, Some(front.port()));
            broker.peer_probe = false;
            match broker.spawn_and_wait() {
                Ok(()) => return Some((broker, front)),
                Err(why) => last = why,
            }
        }
        panic!("tansu would not start behind a TLS front: {last}")
    }

    fn launch(fixed: Option<u16>) -> Option<Self> {
        if !Self::available() {
            return None;
        }
        let bin = Self::binary()?;
        let mut last = String::new();
        // A free port can be taken between our probe and tansu's bind: try another.
        for _ in 0..3 {
            let mut broker = Self::fresh(&bin, fixed.unwrap_or_else(free_port), None);
            match broker.spawn_and_wait() {
                Ok(()) => return Some(broker),
                Err(why) if fixed.is_some() => panic!("{why}"),
                Err(why) => last = why,
            }
        }
        panic!("tansu would not start: {last}")
    }

    /// "127.0.0.1:PORT".
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's output so far (for failure messages).
    pub fn log(&self) -> String {
        read_tail(&self.log_path(self.starts), 40)
    }

    fn log_path(&self, start: u32) -> PathBuf {
        self.dir.path().join(format!("tansu-{start}.log"))
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path(self.starts)).expect("tansu log file");
        let url = format!("tcp://{}", self.address());
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised.unwrap_or(self.port));
        let mut command = Command::new(&self.bin);
        command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
            ])
            .args(["--storage-engine", &self.storage]);
        if self.authentication {
            command.arg("--authentication");
        }
        let child = command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("tansu log file"))
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        let address = self.address();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "tansu on {address} exited ({status}); its log:\n{}",
                    self.log()
                ));
            }
            // A TCP accept is not enough: wait until a real client lists topics (with
            // authentication on, the peer cannot log in; the accept has to do).
            if TcpStream::connect_timeout(
                &address.parse().expect("address"),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                if !self.peer_probe {
                    return Ok(());
                }
                match kp_try(&address, &["list-topics"]) {
                    Ok(_) => return Ok(()),
                    Err(why) => last = why,
                }
            }
            std::thread::sleep(POLL);
        }
        self.stop();
        Err(format!(
            "tansu on {address} did not answer within 20 s ({last}); its log:\n{}",
            self.log()
        ))
    }

    /// Kills the broker; the port is then closed. Its in-memory data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the broker if running and starts a fresh one on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn_and_wait().unwrap_or_else(|why| panic!("{why}"));
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------
// A TCP proxy whose outage the tests control

/// Forwards a loopback port to a target port, one connection for each client
/// connection. [`Proxy::stop`] closes the port and cuts every connection (as a broker
/// going away does); [`Proxy::resume`] listens on the same port again. Stopped on drop.
pub struct Proxy {
    port: u16,
    target: u16,
    running: Option<ProxyRun>,
}

struct ProxyRun {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port, forwarding to `target` on 127.0.0.1.
    pub fn start(target: u16) -> Self {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("cannot bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let mut proxy = Self {
            port,
            target,
            running: None,
        };
        proxy.serve(listener);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// "127.0.0.1:PORT" of the proxy.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        use std::sync::atomic::AtomicBool;
        use std::sync::{Arc, Mutex};
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let target = self.target;
        let thread = {
            let stop = Arc::clone(&stop);
            let connections = Arc::clone(&connections);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let client = match listener.accept() {
                        Ok((client, _)) => client,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        }
                        Err(_) => continue,
                    };
                    let _ = client.set_nonblocking(false);
                    let Ok(upstream) = TcpStream::connect_timeout(
                        &std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, target)),
                        Duration::from_secs(2),
                    ) else {
                        continue; // the client sees its connection closed
                    };
                    if let Ok(mut all) = connections.lock() {
                        all.extend(client.try_clone().ok());
                        all.extend(upstream.try_clone().ok());
                    }
                    for (mut from, mut to) in [
                        (client.try_clone(), upstream.try_clone()),
                        (upstream.try_clone(), client.try_clone()),
                    ]
                    .into_iter()
                    .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
                    {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Write);
                        });
                    }
                }
                // The listener drops here: the port is closed.
            })
        };
        self.running = Some(ProxyRun {
            stop,
            connections,
            thread,
        });
    }

    /// Closes the port and cuts every open connection.
    pub fn stop(&mut self) {
        if let Some(run) = self.running.take() {
            run.stop.store(true, Ordering::Relaxed);
            let _ = run.thread.join();
            if let Ok(all) = run.connections.lock() {
                for stream in all.iter() {
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                }
            }
        }
    }

    /// Listens on the same port again (after [`Proxy::stop`]).
    pub fn resume(&mut self) {
        if self.running.is_some() {
            return;
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))
            .unwrap_or_else(|e| panic!("cannot listen on port {} again: {e}", self.port));
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}
