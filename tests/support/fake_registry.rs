//! A fake Confluent Schema Registry: its REST API written by hand (HTTP/1.1 on a plain
//! tokio `TcpListener`, keep-alive, `Content-Length` bodies), so the tests control every
//! answer, including the error ones, with Confluent's real status codes, `error_code`s and
//! messages. No real registry runs here (Karapace needs Python 3.12, Confluent's is not on
//! Maven Central, no Docker); confluent-kafka's serializers and deserializers (httpx,
//! connections reused) and curl talk to it as they would to the real thing.
//!
//! Semantics kept: ids are global, and the same schema (type, text and references) gets
//! the same id under every subject; versions count from 1 in each subject; registering a
//! schema a subject already holds answers its id without a new version; `latest` and `-1`
//! name a subject's last version; path segments are percent-decoded (subjects may hold
//! `/`, `:` and spaces); `?format=serialized` turns a Protobuf schema held as `.proto`
//! text into the base64 `FileDescriptorProto` the real one answers (compiled by protox).
//! Not kept: compatibility checks (any schema is accepted as a new version), deletes,
//! contexts, and turning a base64 descriptor back into `.proto` text (it is answered as
//! registered). A schema registered over HTTP must parse (Avro and JSON Schema as JSON,
//! Protobuf by compiling it with its references) or it gets the real 422; one added with
//! [`FakeRegistry::register`] is taken as it is, so a test can hold a broken schema.
//!
//! The server runs on a runtime of its own (two threads), so it answers while the test's
//! thread blocks (a blocking HTTP client, a child process waited for), under
//! `#[tokio::test]` or a plain `#[test]`. Test-controlled modes, changeable at any time:
//! Basic authentication, a delay before every answer, "dead" (reads requests, never
//! answers), a failure answer for every request, and stop/restart (the port refuses
//! connections in between; the schemas are kept).
#![allow(dead_code)] // each test binary uses a subset

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use prost::Message as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// The media type of every answer (and of the clients' request bodies).
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// The global compatibility level a fresh registry has.
pub const DEFAULT_COMPATIBILITY: &str = "BACKWARD";
/// The realm of the 401's `WWW-Authenticate`.
pub const REALM: &str = "SchemaRegistry";
/// The 422 message for a schema (or one of its references) that does not parse.
pub const INVALID_SCHEMA: &str = "Either the input schema or one its references is invalid";
/// The 500 the real registry gives when its backing store fails.
pub const BACKEND_ERROR: (u16, u32, &str) = (500, 50001, "Error in the backend data store");

/// The compatibility levels the registry accepts.
const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];
/// The largest request head read before the connection is dropped.
const MAX_HEAD: usize = 64 << 10;

/// A reference from one schema to another subject's version, under an import name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: u32,
}

/// A schema as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub kind: String,
    pub text: String,
    pub references: Vec<Reference>,
}

/// What the server saw of one request, and what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// As sent, still percent-encoded.
    pub path: String,
    /// As sent, without the `?`; empty when there is none.
    pub query: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The status answered; `None` while it is delayed, or forever when the server is dead.
    pub status: Option<u16>,
}

impl Request {
    /// `GET /schemas/ids/1?subject=t-value`: method, path and query as sent.
    pub fn line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    /// Id `n` is `schemas[n - 1]`.
    schemas: Vec<StoredSchema>,
    /// Each subject's versions: version `v` holds schema id `versions[v - 1]`.
    subjects: BTreeMap<String, Vec<u32>>,
    /// Subject-level compatibility levels (a subject may have one before any version).
    subject_levels: HashMap<String, String>,
    global_level: String,
}

impl State {
    fn schema(&self, id: u32) -> Option<&StoredSchema> {
        self.schemas.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    /// The schema id a subject's version holds.
    fn version(&self, subject: &str, version: u32) -> Option<u32> {
        let versions = self.subjects.get(subject)?;
        versions
            .get(usize::try_from(version).ok()?.checked_sub(1)?)
            .copied()
    }

    /// Adds a schema under a subject: its existing id (and version) when it is already
    /// known, a new id otherwise; a new version only when the subject does not hold it.
    fn register(&mut self, subject: &str, schema: StoredSchema) -> (u32, u32) {
        let id = if let Some(index) = self.schemas.iter().position(|s| *s == schema) {
            index as u32 + 1
        } else {
            self.schemas.push(schema);
            self.schemas.len() as u32
        };
        let versions = self.subjects.entry(subject.to_string()).or_default();
        let version = if let Some(index) = versions.iter().position(|v| *v == id) {
            index as u32 + 1
        } else {
            versions.push(id);
            versions.len() as u32
        };
        (id, version)
    }
}

/// An answer that is not about schemas.
#[derive(Debug, Clone)]
struct Failure {
    status: u16,
    error_code: u32,
    message: String,
}

struct Shared {
    state: Mutex<State>,
    credentials: Mutex<Option<(String, String)>>,
    delay: Mutex<Duration>,
    dead: Mutex<bool>,
    failure: Mutex<Option<Failure>>,
    log: Mutex<Vec<Request>>,
    /// `GET /schemas/ids/{id}` calls, by id.
    id_fetches: Mutex<HashMap<u32, usize>>,
    connections: AtomicUsize,
    /// Listeners and connections not yet closed (what `stop` waits for).
    open: AtomicUsize,
}

/// Counts one open listener or connection in `Shared::open` while it lives. Declared
/// before the socket it guards, so it is dropped after it.
struct Open(Arc<Shared>);

impl Open {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.open.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(shared))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake registry. It stops on drop.
pub struct FakeRegistry {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: Mutex<Option<JoinHandle<()>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeRegistry {
    /// An empty registry on `127.0.0.1` and a free port, global level `BACKWARD`, serving
    /// once this returns.
    pub async fn start() -> Self {
        let (registry, serving) = Self::launch();
        serving.await.expect("the fake registry serves");
        registry
    }

    /// Like [`FakeRegistry::start`], for tests that are not async (it blocks: not for a
    /// runtime's thread).
    pub fn start_in_background() -> Self {
        let (registry, serving) = Self::launch();
        serving.blocking_recv().expect("the fake registry serves");
        registry
    }

    /// The registry, and a signal once its runtime has taken the listener.
    fn launch() -> (Self, oneshot::Receiver<()>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-registry")
            .enable_all()
            .build()
            .expect("a runtime for the fake registry");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                global_level: DEFAULT_COMPATIBILITY.to_string(),
                ..State::default()
            }),
            credentials: Mutex::new(None),
            delay: Mutex::new(Duration::ZERO),
            dead: Mutex::new(false),
            failure: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            id_fetches: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
        });
        let (serving, signal) = oneshot::channel();
        let server = spawn_server(&runtime, listener, &shared, Some(serving));
        let registry = Self {
            addr,
            shared,
            server: Mutex::new(Some(server)),
            runtime: Some(runtime),
        };
        (registry, signal)
    }

    /// `http://127.0.0.1:PORT`, the registry URL for clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    // ---- modes -------------------------------------------------------------------------

    /// From now on every request needs `Authorization: Basic base64(user:password)`;
    /// others get the real 401 and `WWW-Authenticate: Basic realm="SchemaRegistry"`.
    pub fn require_basic_auth(&self, user: &str, password: &str) {
        *lock(&self.shared.credentials) = Some((user.to_string(), password.to_string()));
    }

    /// From now on no credentials are needed.
    pub fn allow_anonymous(&self) {
        *lock(&self.shared.credentials) = None;
    }

    /// Every answer waits this long first (`Duration::ZERO`: at once).
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.delay) = delay;
    }

    /// Dead: connections are accepted and requests read (and logged), never answered; the
    /// connection is held until the client gives up. Requests already waiting stay so.
    pub fn set_dead(&self, dead: bool) {
        *lock(&self.shared.dead) = dead;
    }

    /// Every authorised request gets this error answer (`{"error_code","message"}`), e.g.
    /// [`BACKEND_ERROR`]; `None` ends it.
    pub fn set_failure(&self, failure: Option<(u16, u32, &str)>) {
        *lock(&self.shared.failure) = failure.map(|(status, error_code, message)| Failure {
            status,
            error_code,
            message: message.to_string(),
        });
    }

    /// Closes the port (connections are refused) and every open connection; both are
    /// closed when this returns.
    pub fn stop(&self) {
        assert!(self.close(), "the fake registry's sockets did not close");
    }

    /// Aborts the server and waits (5 s at most) until the runtime has dropped its sockets;
    /// whether it did.
    fn close(&self) -> bool {
        let Some(server) = lock(&self.server).take() else {
            return true;
        };
        server.abort();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.shared.open.load(Ordering::SeqCst) > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// Serves again on the same port, the schemas kept (after [`FakeRegistry::stop`]).
    pub fn restart(&self) {
        self.stop();
        let runtime = self.runtime.as_ref().expect("the registry's runtime");
        // std sets SO_REUSEADDR: the port can be bound again at once.
        let listener =
            std::net::TcpListener::bind(self.addr).expect("bind the registry's port again");
        *lock(&self.server) = Some(spawn_server(runtime, listener, &self.shared, None));
    }

    // ---- what it saw -------------------------------------------------------------------

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.log).clone()
    }

    /// Every request so far as `METHOD /path?query`, with the status answered:
    /// `GET /subjects 200` (`-` when unanswered).
    pub fn request_lines(&self) -> Vec<String> {
        lock(&self.shared.log)
            .iter()
            .map(|r| {
                let status = r.status.map_or_else(|| "-".to_string(), |s| s.to_string());
                format!("{} {status}", r.line())
            })
            .collect()
    }

    /// Requests read so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
        lock(&self.shared.id_fetches).clear();
    }

    /// How many times `GET /schemas/ids/{id}` was asked for this id (any query, answered
    /// or not, authorised or not).
    pub fn schema_fetches(&self, id: u32) -> usize {
        lock(&self.shared.id_fetches).get(&id).copied().unwrap_or(0)
    }

    /// `GET /schemas/ids/{id}` calls for every id together.
    pub fn all_schema_fetches(&self) -> usize {
        lock(&self.shared.id_fetches).values().sum()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    // ---- contents, without HTTP ----------------------------------------------------------

    /// Registers a schema directly: `kind` is `avro`, `protobuf` or `json` (any case);
    /// `references` are `(import name, subject, version)` and must exist. Nothing is
    /// validated, so a test can hold a schema that does not parse. Returns its id.
    pub fn register(
        &self,
        subject: &str,
        kind: &str,
        schema: &str,
        references: Vec<(&str, &str, u32)>,
    ) -> u32 {
        let kind = kind.to_ascii_uppercase();
        assert!(
            ["AVRO", "PROTOBUF", "JSON"].contains(&kind.as_str()),
            "schema kind {kind}"
        );
        let mut state = lock(&self.shared.state);
        let references: Vec<Reference> = references
            .into_iter()
            .map(|(name, subject, version)| Reference {
                name: name.to_string(),
                subject: subject.to_string(),
                version,
            })
            .collect();
        for r in &references {
            assert!(
                state.version(&r.subject, r.version).is_some(),
                "reference to {} version {}, which is not registered",
                r.subject,
                r.version
            );
        }
        let stored = StoredSchema {
            kind,
            text: schema.to_string(),
            references,
        };
        state.register(subject, stored).0
    }

    /// Sets the global level (`None`) or a subject's, as `PUT /config[/subject]` does.
    pub fn set_compatibility(&self, subject: Option<&str>, level: &str) {
        let mut state = lock(&self.shared.state);
        match subject {
            None => state.global_level = level.to_string(),
            Some(s) => {
                state
                    .subject_levels
                    .insert(s.to_string(), level.to_string());
            }
        }
    }

    /// Subjects with at least one version, sorted.
    pub fn subjects(&self) -> Vec<String> {
        lock(&self.shared.state).subjects.keys().cloned().collect()
    }

    /// A subject's versions as schema ids (version `v` at index `v - 1`); empty if unknown.
    pub fn versions(&self, subject: &str) -> Vec<u32> {
        lock(&self.shared.state)
            .subjects
            .get(subject)
            .cloned()
            .unwrap_or_default()
    }

    pub fn schema(&self, id: u32) -> Option<StoredSchema> {
        lock(&self.shared.state).schema(id).cloned()
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn spawn_server(
    runtime: &tokio::runtime::Runtime,
    listener: std::net::TcpListener,
    shared: &Arc<Shared>,
    serving: Option<oneshot::Sender<()>>,
) -> JoinHandle<()> {
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    // Counted now, so a stop right after this returns waits for it.
    let open = Open::new(shared);
    runtime.spawn(serve(open, listener, serving))
}

async fn serve(open: Open, listener: std::net::TcpListener, serving: Option<oneshot::Sender<()>>) {
    let shared = Arc::clone(&open.0);
    let listener = TcpListener::from_std(listener).expect("the listener on the runtime");
    if let Some(serving) = serving {
        let _ = serving.send(());
    }
    // Dropped (aborting every connection) when this task is aborted; before `open`.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(Open::new(&shared), stream));
        while connections.try_join_next().is_some() {}
    }
}

// ---- HTTP/1.1 ----------------------------------------------------------------------------

/// One parsed request.
struct Incoming {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The client asked to close after this answer (or spoke HTTP/1.0).
    close: bool,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads until `buffer` holds `n` bytes; false when the client hung up first.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>, n: usize) -> bool {
    while buffer.len() < n {
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
    true
}

/// Reads a line ending in CRLF from the buffer (reading more as needed), without the CRLF.
async fn read_line(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = buffer.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = buffer.drain(..end + 2).take(end).collect();
            return Some(String::from_utf8_lossy(&line).into_owned());
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        let have = buffer.len();
        if !fill(stream, buffer, have + 1).await {
            return None;
        }
    }
}

/// Reads one request; `None` when the client hung up (or sent something unreadable).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Incoming> {
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        let have = buffer.len();
        if !fill(stream, buffer, have + 1).await {
            return None;
        }
    };
    let head: Vec<u8> = buffer.drain(..end + 4).collect();
    let head = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let version = request_line.next().unwrap_or("HTTP/1.1");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut incoming = Incoming {
        method,
        target,
        headers,
        body: Vec::new(),
        close: false,
    };
    let connection = incoming
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    incoming.close = connection.contains("close")
        || (version == "HTTP/1.0" && !connection.contains("keep-alive"));
    if incoming
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        && stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return None;
    }
    let chunked = incoming
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let size_line = read_line(stream, buffer).await?;
            let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the blank line.
                while !read_line(stream, buffer).await?.is_empty() {}
                break;
            }
            if !fill(stream, buffer, size + 2).await {
                return None;
            }
            incoming.body.extend(buffer.drain(..size));
            buffer.drain(..2);
        }
    } else {
        let length: usize = match incoming.header("content-length") {
            Some(n) => n.parse().ok()?,
            None => 0,
        };
        if !fill(stream, buffer, length).await {
            return None;
        }
        incoming.body = buffer.drain(..length).collect();
    }
    Some(incoming)
}

/// One answer.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    fn ok(body: String) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }

    /// `{"error_code":N,"message":"..."}`, as every error of the registry is.
    fn error(status: u16, error_code: u32, message: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: format!(
                r#"{{"error_code":{error_code},"message":{}}}"#,
                json_string(message)
            ),
        }
    }

    fn not_found() -> Self {
        Self::error(404, 404, "HTTP 404 Not Found")
    }

    fn bytes(&self, close: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\n",
            self.status,
            reason_phrase(self.status),
            self.body.len()
        );
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

async fn connection(open: Open, stream: TcpStream) {
    let shared = Arc::clone(&open.0);
    // Rebound after `open`, so the socket closes before `open` is dropped.
    let mut stream = stream;
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let (path, query) = request
            .target
            .split_once('?')
            .unwrap_or((request.target.as_str(), ""));
        let index = {
            let mut log = lock(&shared.log);
            log.push(Request {
                method: request.method.clone(),
                path: path.to_string(),
                query: query.to_string(),
                headers: request.headers.clone(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
                status: None,
            });
            log.len() - 1
        };
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode(s, false))
            .collect();
        if request.method == "GET"
            && segments.len() == 3
            && segments[0] == "schemas"
            && segments[1] == "ids"
            && let Ok(id) = segments[2].parse::<u32>()
        {
            *lock(&shared.id_fetches).entry(id).or_insert(0) += 1;
        }
        if *lock(&shared.dead) {
            // Never answer: hold the connection until the client hangs up.
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
            return;
        }
        let reply = answer(&shared, &request, &segments, query);
        let delay = *lock(&shared.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(entry) = lock(&shared.log).get_mut(index) {
            entry.status = Some(reply.status);
        }
        if stream.write_all(&reply.bytes(request.close)).await.is_err() || request.close {
            return;
        }
    }
}

/// Authentication, the failure mode, then the API.
fn answer(shared: &Shared, request: &Incoming, segments: &[String], query: &str) -> Reply {
    if let Some((user, password)) = lock(&shared.credentials).clone() {
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let given = request.header("authorization").and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| token.trim())
        });
        if given != Some(expected.as_str()) {
            let mut reply = Reply::error(401, 401, "Unauthorized");
            reply
                .headers
                .push(("WWW-Authenticate", format!("Basic realm=\"{REALM}\"")));
            return reply;
        }
    }
    if let Some(failure) = lock(&shared.failure).clone() {
        return Reply::error(failure.status, failure.error_code, &failure.message);
    }
    let query = parse_query(query);
    let mut state = lock(&shared.state);
    route(&mut state, &request.method, segments, &query, &request.body)
}

// ---- the API -----------------------------------------------------------------------------

/// A request's query parameters, decoded.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `format=serialized`: a Protobuf schema as a base64 descriptor.
    fn serialized(&self) -> bool {
        self.get("format") == Some("serialized")
    }
}

fn route(
    state: &mut State,
    method: &str,
    segments: &[String],
    query: &[(String, String)],
    body: &[u8],
) -> Reply {
    let params = Params(query);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let reply = match segments.split_first() {
        None => (method == "GET").then(|| Reply::ok("{}".into())),
        Some((&"subjects", rest)) => subjects_route(state, method, rest, &params, body),
        Some((&"schemas", rest)) => schemas_route(state, method, rest, &params),
        Some((&"config", rest)) => config_route(state, method, rest, &params, body),
        Some(_) => None,
    };
    reply.unwrap_or_else(|| {
        if known_route(&segments) {
            Reply::error(405, 405, "HTTP 405 Method Not Allowed")
        } else {
            Reply::not_found()
        }
    })
}

/// `/subjects...`; `None` when no route serves this method and path.
fn subjects_route(
    state: &mut State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
    body: &[u8],
) -> Option<Reply> {
    let serialized = params.serialized();
    Some(match (method, segments) {
        ("GET", []) => {
            let prefix = params.get("subjectPrefix").unwrap_or("");
            let names: Vec<String> = state
                .subjects
                .keys()
                .filter(|s| s.starts_with(prefix))
                .map(|s| json_string(s))
                .collect();
            Reply::ok(format!("[{}]", names.join(",")))
        }
        ("GET", [subject, "versions"]) => match state.subjects.get(*subject) {
            Some(versions) => {
                let numbers: Vec<String> = (1..=versions.len()).map(|v| v.to_string()).collect();
                Reply::ok(format!("[{}]", numbers.join(",")))
            }
            None => subject_not_found(subject),
        },
        ("POST", [subject, "versions"]) => match parse_body(state, body) {
            Ok(schema) => {
                let id = state.register(subject, schema).0;
                Reply::ok(format!(r#"{{"id":{id}}}"#))
            }
            Err(reply) => reply,
        },
        ("POST", [subject]) => {
            let schema = match parse_body(state, body) {
                Ok(schema) => schema,
                Err(reply) => return Some(reply),
            };
            let Some(versions) = state.subjects.get(*subject) else {
                return Some(subject_not_found(subject));
            };
            let found = versions
                .iter()
                .position(|id| state.schema(*id) == Some(&schema));
            match found {
                Some(index) => version_json(state, subject, index as u32 + 1, serialized),
                None => Reply::error(404, 40403, "Schema not found"),
            }
        }
        ("GET", [subject, "versions", version, rest @ ..]) if rest.len() <= 1 => {
            let number = match version_number(state, subject, version) {
                Ok(n) => n,
                Err(reply) => return Some(reply),
            };
            match rest {
                [] => version_json(state, subject, number, serialized),
                ["schema"] => {
                    let id = state.version(subject, number).unwrap_or_default();
                    schema_text(state, id, serialized)
                }
                ["referencedby"] => {
                    let ids: Vec<String> = state
                        .schemas
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| {
                            s.references
                                .iter()
                                .any(|r| r.subject == *subject && r.version == number)
                        })
                        .map(|(i, _)| (i + 1).to_string())
                        .collect();
                    Reply::ok(format!("[{}]", ids.join(",")))
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// `/schemas...`; `None` when no route serves this method and path.
fn schemas_route(
    state: &State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
) -> Option<Reply> {
    let serialized = params.serialized();
    let ("GET", ["ids", id, rest @ ..]) = (method, segments) else {
        return (method == "GET" && segments == ["types"])
            .then(|| Reply::ok(r#"["JSON","PROTOBUF","AVRO"]"#.into()));
    };
    if !matches!(rest, [] | ["schema" | "versions" | "subjects"]) {
        return None;
    }
    // A path parameter that is not an int matches no route (Jersey's 404).
    let Ok(id) = id.parse::<u32>() else {
        return Some(Reply::not_found());
    };
    let Some(schema) = state.schema(id) else {
        return Some(Reply::error(404, 40403, &format!("Schema {id} not found")));
    };
    Some(match rest {
        [] => {
            let text = match shown_text(state, schema, serialized) {
                Ok(text) => text,
                Err(reply) => return Some(reply),
            };
            let mut out = String::from("{");
            if schema.kind != "AVRO" {
                let _ = write!(out, r#""schemaType":{},"#, json_string(&schema.kind));
            }
            let _ = write!(out, r#""schema":{}"#, json_string(&text));
            if !schema.references.is_empty() {
                let _ = write!(
                    out,
                    r#","references":{}"#,
                    references_json(&schema.references)
                );
            }
            out.push('}');
            Reply::ok(out)
        }
        ["schema"] => schema_text(state, id, serialized),
        ["versions"] => {
            let pairs: Vec<String> = subject_versions_of(state, id)
                .iter()
                .map(|(s, v)| format!(r#"{{"subject":{},"version":{v}}}"#, json_string(s)))
                .collect();
            Reply::ok(format!("[{}]", pairs.join(",")))
        }
        _ => {
            let mut names: Vec<String> = subject_versions_of(state, id)
                .into_iter()
                .map(|(s, _)| json_string(&s))
                .collect();
            names.dedup();
            Reply::ok(format!("[{}]", names.join(",")))
        }
    })
}

/// `/config...`; `None` when no route serves this method and path.
fn config_route(
    state: &mut State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
    body: &[u8],
) -> Option<Reply> {
    let level_json = |level: &str| format!(r#"{{"compatibilityLevel":{}}}"#, json_string(level));
    Some(match (method, segments) {
        ("GET", []) => Reply::ok(level_json(&state.global_level)),
        ("GET", [subject]) => {
            let default_to_global = params
                .get("defaultToGlobal")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            match state.subject_levels.get(*subject) {
                Some(level) => Reply::ok(level_json(level)),
                None if default_to_global => Reply::ok(level_json(&state.global_level)),
                None => Reply::error(
                    404,
                    40408,
                    &format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                ),
            }
        }
        ("PUT", [] | [_]) => {
            let level = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
                v.get("compatibility")?
                    .as_str()
                    .map(str::to_ascii_uppercase)
            });
            let Some(level) = level.filter(|l| LEVELS.contains(&l.as_str())) else {
                return Some(Reply::error(
                    422,
                    42203,
                    "Invalid compatibility level. Valid values are none, backward, forward, full, \
                     backward_transitive, forward_transitive, and full_transitive",
                ));
            };
            match segments {
                [subject] => {
                    state
                        .subject_levels
                        .insert((*subject).to_string(), level.clone());
                }
                _ => state.global_level.clone_from(&level),
            }
            Reply::ok(format!(r#"{{"compatibility":{}}}"#, json_string(&level)))
        }
        _ => return None,
    })
}

/// Whether some method serves this path (so another method gets 405, not 404).
fn known_route(segments: &[&str]) -> bool {
    matches!(
        segments,
        [] | ["subjects" | "config"]
            | ["subjects" | "config", _]
            | ["subjects", _, "versions"]
            | ["subjects", _, "versions", _]
            | ["schemas", "types"]
            | ["schemas", "ids", _]
    )
}

fn subject_not_found(subject: &str) -> Reply {
    Reply::error(404, 40401, &format!("Subject '{subject}' not found."))
}

/// `latest`, `-1` or a number, checked against the subject.
fn version_number(state: &State, subject: &str, version: &str) -> Result<u32, Reply> {
    let latest = version == "latest" || version == "-1";
    let number = if latest {
        None
    } else {
        match version.parse::<u32>() {
            Ok(n) if (1..=i32::MAX.unsigned_abs()).contains(&n) => Some(n),
            _ => {
                return Err(Reply::error(
                    422,
                    42202,
                    &format!(
                        "The specified version '{version}' is not a valid version id. Allowed \
                         values are between [1, 2^31-1] and the string \"latest\""
                    ),
                ));
            }
        }
    };
    let Some(versions) = state.subjects.get(subject) else {
        return Err(subject_not_found(subject));
    };
    match number {
        None => Ok(versions.len() as u32),
        Some(n) if (n as usize) <= versions.len() => Ok(n),
        Some(n) => Err(Reply::error(404, 40402, &format!("Version {n} not found."))),
    }
}

/// `{"subject","version","id",("schemaType"),"schema",("references")}`.
fn version_json(state: &State, subject: &str, version: u32, serialized: bool) -> Reply {
    let id = state.version(subject, version).unwrap_or_default();
    let Some(schema) = state.schema(id) else {
        return Reply::error(404, 40403, &format!("Schema {id} not found"));
    };
    let text = match shown_text(state, schema, serialized) {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    let mut out = format!(
        r#"{{"subject":{},"version":{version},"id":{id},"#,
        json_string(subject)
    );
    if schema.kind != "AVRO" {
        let _ = write!(out, r#""schemaType":{},"#, json_string(&schema.kind));
    }
    let _ = write!(out, r#""schema":{}"#, json_string(&text));
    if !schema.references.is_empty() {
        let _ = write!(
            out,
            r#","references":{}"#,
            references_json(&schema.references)
        );
    }
    out.push('}');
    Reply::ok(out)
}

/// The bare schema text (`/schema` endpoints).
fn schema_text(state: &State, id: u32, serialized: bool) -> Reply {
    match state.schema(id) {
        Some(schema) => match shown_text(state, schema, serialized) {
            Ok(text) => Reply::ok(text),
            Err(reply) => reply,
        },
        None => Reply::error(404, 40403, &format!("Schema {id} not found")),
    }
}

/// The text answered: as registered, or for `format=serialized` a Protobuf schema as a
/// base64 `FileDescriptorProto`.
fn shown_text(state: &State, schema: &StoredSchema, serialized: bool) -> Result<String, Reply> {
    if !serialized || schema.kind != "PROTOBUF" || as_descriptor(&schema.text).is_some() {
        return Ok(schema.text.clone());
    }
    let descriptor = compile_proto(state, &schema.text, &schema.references)
        .map_err(|e| Reply::error(500, 50005, &format!("Error while serializing schema: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(descriptor))
}

fn references_json(references: &[Reference]) -> String {
    let items: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                r#"{{"name":{},"subject":{},"version":{}}}"#,
                json_string(&r.name),
                json_string(&r.subject),
                r.version
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Every (subject, version) holding this id, subjects sorted.
fn subject_versions_of(state: &State, id: u32) -> Vec<(String, u32)> {
    state
        .subjects
        .iter()
        .flat_map(|(subject, versions)| {
            versions
                .iter()
                .enumerate()
                .filter(move |(_, v)| **v == id)
                .map(move |(i, _)| (subject.clone(), i as u32 + 1))
        })
        .collect()
}

/// A register or lookup body: `{"schema", "schemaType"?, "references"?}` (other fields,
/// such as `metadata` and `ruleSet`, ignored), the schema checked as the registry would.
fn parse_body(state: &State, body: &[u8]) -> Result<StoredSchema, Reply> {
    let invalid = || Reply::error(422, 42201, INVALID_SCHEMA);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Err(Reply::error(400, 400, "HTTP 400 Bad Request"));
    };
    let Some(text) = value.get("schema").and_then(Value::as_str) else {
        return Err(invalid());
    };
    let kind = match value.get("schemaType") {
        None | Some(Value::Null) => "AVRO".to_string(),
        Some(Value::String(kind)) => kind.to_ascii_uppercase(),
        Some(_) => return Err(invalid()),
    };
    if !["AVRO", "PROTOBUF", "JSON"].contains(&kind.as_str()) {
        return Err(invalid());
    }
    let mut references = Vec::new();
    match value.get("references") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = item.get("name").and_then(Value::as_str);
                let subject = item.get("subject").and_then(Value::as_str);
                let version = item.get("version").and_then(Value::as_i64);
                let (Some(name), Some(subject), Some(version)) = (name, subject, version) else {
                    return Err(invalid());
                };
                let version = match version {
                    -1 => state.subjects.get(subject).map_or(0, |v| v.len() as u32),
                    v => u32::try_from(v).unwrap_or(0),
                };
                if state.version(subject, version).is_none() {
                    return Err(invalid());
                }
                references.push(Reference {
                    name: name.to_string(),
                    subject: subject.to_string(),
                    version,
                });
            }
        }
        Some(_) => return Err(invalid()),
    }
    let valid = match kind.as_str() {
        "PROTOBUF" => compile_proto(state, text, &references).is_ok(),
        "JSON" => matches!(
            serde_json::from_str::<Value>(text),
            Ok(Value::Object(_) | Value::Bool(_))
        ),
        // Avro: a JSON type name, record/enum/... object or union array.
        _ => matches!(
            serde_json::from_str::<Value>(text),
            Ok(Value::Object(_) | Value::Array(_) | Value::String(_))
        ),
    };
    if !valid {
        return Err(invalid());
    }
    Ok(StoredSchema {
        kind,
        text: text.to_string(),
        references,
    })
}

// ---- Protobuf ------------------------------------------------------------------------------

/// The descriptor bytes when `text` is base64 (`.proto` source always has spaces or `;`).
fn as_descriptor(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains(';') {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// The files a compilation may open: the schema, its references (transitively) by import
/// name, and the well-known types.
struct ProtoFiles {
    files: HashMap<String, String>,
    google: protox::file::GoogleFileResolver,
}

impl protox::file::FileResolver for ProtoFiles {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        let Some(text) = self.files.get(name) else {
            return self.google.open_file(name);
        };
        match as_descriptor(text) {
            Some(bytes) => {
                let file = protox::file::File::decode_file_descriptor_proto(bytes.as_slice())
                    .map_err(|e| protox::Error::new(format!("{name}: {e}")))?;
                let mut proto = file.file_descriptor_proto().clone();
                proto.name = Some(name.to_string());
                Ok(protox::file::File::from_file_descriptor_proto(proto))
            }
            None => protox::file::File::from_source(name, text),
        }
    }
}

/// Compiles a Protobuf schema with its references; its `FileDescriptorProto`, encoded.
fn compile_proto(state: &State, text: &str, references: &[Reference]) -> Result<Vec<u8>, String> {
    const MAIN: &str = "registry_schema.proto";
    let mut files = HashMap::new();
    let mut pending: Vec<Reference> = references.to_vec();
    while let Some(r) = pending.pop() {
        if files.contains_key(&r.name) {
            continue;
        }
        let schema = state
            .version(&r.subject, r.version)
            .and_then(|id| state.schema(id))
            .ok_or_else(|| format!("reference {} version {} not found", r.subject, r.version))?;
        pending.extend(schema.references.iter().cloned());
        files.insert(r.name.clone(), schema.text.clone());
    }
    files.insert(MAIN.to_string(), text.to_string());
    let mut compiler = protox::Compiler::with_file_resolver(ProtoFiles {
        files,
        google: protox::file::GoogleFileResolver::new(),
    });
    compiler.open_file(MAIN).map_err(|e| e.to_string())?;
    let set = compiler.file_descriptor_set();
    let file = set
        .file
        .iter()
        .find(|f| f.name() == MAIN)
        .ok_or_else(|| "compiled to nothing".to_string())?;
    Ok(file.encode_to_vec())
}

// ---- text ----------------------------------------------------------------------------------

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Percent-decoding; `+` is a space only in a query.
fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name, true), percent_decode(value, true))
        })
        .collect()
}
