//! A fake Confluent Schema Registry: its REST API written by hand (HTTP/1.1 on a tokio
//! `TcpListener`, keep-alive, `Content-Length` bodies; `http://`, or `https://` with an
//! optional required client certificate through [`FakeRegistry::start_tls`]), so the tests
//! control every answer, including the error ones, with Confluent's real status codes, `error_code`s and
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
//! registered). A schema registered over HTTP must parse (Avro by apache-avro with the
//! named types its references define, JSON Schema as JSON, Protobuf by compiling it with
//! its references) or it gets the real 422; one added with
//! [`FakeRegistry::register`] is taken as it is, so a test can hold a broken schema.
//!
//! The server runs on a runtime of its own (two threads), so it answers while the test's
//! thread blocks (a blocking HTTP client, a child process waited for), under
//! `#[tokio::test]` or a plain `#[test]`. Test-controlled modes, changeable at any time:
//! Basic authentication, a delay before every answer, "dead" (reads requests, never
//! answers), a failure answer for every request, and stop/restart (the port refuses
//! connections in between; the schemas are kept).
//!
//! Here the handle's API; `server.rs` the listener, connections and modes; `https.rs` TLS
//! (OpenSSL on the tokio socket). The REST routes and the contents are the demo
//! registry's (`ktui::kafka::demo::registry::{routes, store}`): one implementation of the
//! API, which confluent-kafka's clients check in every schema test. The HTTP plumbing is `super::http` (tests/support/http.rs, shared
//! with `fake_x`) and the PKI `super::tls`: a crate that `#[path]`-includes this directory
//! (benches/compare) includes those two beside it.
#![allow(dead_code)] // each test binary uses a subset

mod https;
mod server;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::http;
use super::tls::TestPki;
use server::{Failure, Shared, lock, spawn_server};

pub use https::ClientAuth;
/// The media type of every answer (and of the clients' request bodies).
pub use ktui::kafka::demo::registry::CONTENT_TYPE;
pub use ktui::kafka::demo::registry::store::{Reference, StoredSchema};
pub use server::Request;

/// The realm of the 401's `WWW-Authenticate`.
pub const REALM: &str = "SchemaRegistry";
/// The 500 the real registry gives when its backing store fails.
pub const BACKEND_ERROR: (u16, u32, &str) = (500, 50001, "Error in the backend data store");

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
        let (registry, serving) = Self::launch(None);
        serving.await.expect("the fake registry serves");
        registry
    }

    /// Like [`FakeRegistry::start`], for tests that are not async (it blocks: not for a
    /// runtime's thread).
    pub fn start_in_background() -> Self {
        let (registry, serving) = Self::launch(None);
        serving.blocking_recv().expect("the fake registry serves");
        registry
    }

    /// Like [`FakeRegistry::start`], serving `https://` with the PKI's server certificate
    /// (SANs `127.0.0.1` and `localhost`, signed by its CA); with [`ClientAuth::Required`]
    /// a client must present a certificate the same CA signed, or the handshake fails
    /// (see [`FakeRegistry::handshake_failures`]).
    pub async fn start_tls(pki: &TestPki, auth: ClientAuth) -> Self {
        let (registry, serving) = Self::launch(Some(https::Acceptor::new(pki, auth)));
        serving.await.expect("the fake registry serves");
        registry
    }

    /// Like [`FakeRegistry::start_tls`], for tests that are not async.
    pub fn start_tls_in_background(pki: &TestPki, auth: ClientAuth) -> Self {
        let (registry, serving) = Self::launch(Some(https::Acceptor::new(pki, auth)));
        serving.blocking_recv().expect("the fake registry serves");
        registry
    }

    /// The registry, and a signal once its runtime has taken the listener.
    fn launch(tls: Option<https::Acceptor>) -> (Self, oneshot::Receiver<()>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-registry")
            .enable_all()
            .build()
            .expect("a runtime for the fake registry");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::new(tls));
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

    /// `http://127.0.0.1:PORT` (`https://` when it serves TLS), the registry URL for
    /// clients.
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
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
            only: None,
        });
    }

    /// The same for the requests whose path ends with `end` alone (`/versions`).
    pub fn set_failure_on(&self, end: &str, failure: (u16, u32, &str)) {
        let (status, error_code, message) = failure;
        *lock(&self.shared.failure) = Some(Failure {
            status,
            error_code,
            message: message.to_string(),
            only: Some(end.to_string()),
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

    /// Why each TLS handshake that failed so far failed (OpenSSL's words), in order: a
    /// client that did not trust the server's certificate, or sent none when one is
    /// required. Recorded before the connection closes.
    pub fn handshake_failures(&self) -> Vec<String> {
        lock(&self.shared.handshake_failures).clone()
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

    /// Forgets a subject and its versions, keeping its schemas by id: as a registry that
    /// never held it (a schema copied over without what it references). A real registry
    /// refuses to delete a subject others reference; this is for that copy.
    pub fn forget_subject(&self, subject: &str) {
        lock(&self.shared.state).subjects.remove(subject);
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
