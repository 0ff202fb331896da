//! The server: a listener and its connections on the registry's runtime, over plain TCP or
//! TLS (the same HTTP either way); each request logged, authenticated, then answered by
//! the routes, or by a test-set mode (delay, dead, failure).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use ktui::kafka::demo::registry::{State, routes};

use super::http::{self, Incoming, Response};
use super::https::Acceptor;
use super::{CONTENT_TYPE, REALM};

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

/// An answer that is not about schemas.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) status: u16,
    pub(super) error_code: u32,
    pub(super) message: String,
    /// Only requests whose path ends so fail (`None`: every request).
    pub(super) only: Option<String>,
}

/// What the server and the test's handle share.
pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    pub(super) credentials: Mutex<Option<(String, String)>>,
    pub(super) delay: Mutex<Duration>,
    pub(super) dead: Mutex<bool>,
    pub(super) failure: Mutex<Option<Failure>>,
    pub(super) log: Mutex<Vec<Request>>,
    /// `GET /schemas/ids/{id}` calls, by id.
    pub(super) id_fetches: Mutex<HashMap<u32, usize>>,
    pub(super) connections: AtomicUsize,
    /// Listeners and connections not yet closed (what `stop` waits for).
    pub(super) open: AtomicUsize,
    /// Serving https: every connection is a TLS handshake first.
    pub(super) tls: Option<Acceptor>,
    /// Why each failed TLS handshake failed, in order.
    pub(super) handshake_failures: Mutex<Vec<String>>,
}

impl Shared {
    /// An empty registry (global level `BACKWARD`, no modes set).
    pub(super) fn new(tls: Option<Acceptor>) -> Self {
        Self {
            state: Mutex::new(State::new()),
            credentials: Mutex::new(None),
            delay: Mutex::new(Duration::ZERO),
            dead: Mutex::new(false),
            failure: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            id_fetches: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            tls,
            handshake_failures: Mutex::new(Vec::new()),
        }
    }
}

/// Counts one open listener or connection in `Shared::open` while it lives. Declared
/// before the socket it guards, so it is dropped after it.
pub(super) struct Open(Arc<Shared>);

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

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn spawn_server(
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
        let open = Open::new(&shared);
        match &shared.tls {
            None => {
                connections.spawn(connection(open, stream));
            }
            Some(acceptor) => {
                let mut stream = acceptor.stream(stream);
                connections.spawn(async move {
                    match stream.handshake().await {
                        Ok(()) => connection(open, stream).await,
                        Err(why) => {
                            lock(&open.0.handshake_failures).push(why);
                            // The client reads the alert before the socket closes.
                            stream.linger().await;
                        }
                    }
                });
            }
        }
        while connections.try_join_next().is_some() {}
    }
}

/// Serves one connection's requests (keep-alive) until the client hangs up or asks to
/// close.
async fn connection<S: AsyncRead + AsyncWrite + Unpin>(open: Open, stream: S) {
    let shared = Arc::clone(&open.0);
    // Rebound after `open`, so the socket closes before `open` is dropped.
    let mut stream = stream;
    let mut buffer = Vec::new();
    loop {
        let Some(request) = http::read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let (path, query) = (request.path(), request.query());
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
            .map(|s| http::percent_decode(s, false))
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
            http::hold(&mut stream).await;
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
fn answer(shared: &Shared, request: &Incoming, segments: &[String], query: &str) -> Response {
    if let Some((user, password)) = lock(&shared.credentials).clone() {
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let given = request.header("authorization").and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| token.trim())
        });
        if given != Some(expected.as_str()) {
            return error(401, 401, "Unauthorized")
                .with_header("WWW-Authenticate", format!("Basic realm=\"{REALM}\""));
        }
    }
    if let Some(failure) = lock(&shared.failure).clone()
        && failure
            .only
            .as_deref()
            .is_none_or(|end| format!("/{}", segments.join("/")).ends_with(end))
    {
        return error(failure.status, failure.error_code, &failure.message);
    }
    let query = http::parse_query(query);
    let mut state = lock(&shared.state);
    response(routes::route(
        &mut state,
        &request.method,
        segments,
        &query,
        &request.body,
    ))
}

/// The registry's answer as HTTP.
pub(super) fn response(answer: routes::Response) -> Response {
    Response::new(answer.status, CONTENT_TYPE, answer.body)
}

/// `{"error_code":N,"message":"..."}`, as every error of the registry is.
pub(super) fn error(status: u16, error_code: u32, message: &str) -> Response {
    response(routes::error(status, error_code, message))
}
