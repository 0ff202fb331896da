//! A fake X API v2 streaming endpoint: HTTP/1.1 written by hand (the request side is
//! `super::http`, shared with the fake registry) on a plain tokio `TcpListener`, so a test
//! controls every byte: chunk boundaries (a line split across chunks, a chunk's framing
//! split across TCP writes, a cut inside a UTF-8 character),
//! blank `\r\n` keep-alives, stalls, abrupt closes, and the API's error answers with their
//! real bodies and headers.
//!
//! Every request is checked the way X checks it: the exact path, the exact query
//! parameters and `Authorization: Bearer TOKEN`. Anything else gets X's real 401 body.
//! Each authorised request takes the next [`Reply`] of the script (a connection may carry
//! several requests: the client's pool reuses it after a complete answer).
#![allow(dead_code)] // each test binary uses a subset

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::http::{self, Response};

/// The filtered stream's path.
pub const FILTERED: &str = "/2/tweets/search/stream";
/// The sampled stream's path.
pub const SAMPLE: &str = "/2/tweets/sample/stream";

/// The query every stream request must carry, decoded (the issue's exact field list).
pub const EXPECTED_QUERY: [(&str, &str); 3] = [
    ("expansions", "author_id"),
    ("tweet.fields", "created_at,lang,author_id"),
    ("user.fields", "username,name"),
];

/// X's 401 body, byte for byte.
pub const UNAUTHORIZED: &str =
    r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
/// X's 403 body for an app outside a Project, byte for byte.
pub const FORBIDDEN: &str = r#"{"client_id":"123","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}"#;
/// The 403 body's `detail`.
pub const FORBIDDEN_DETAIL: &str = "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.";
/// X's 429 body.
pub const TOO_MANY_REQUESTS: &str = r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#;
/// X's 503 body.
pub const SERVICE_UNAVAILABLE: &str = r#"{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}"#;
/// The in-stream error line X sends before it drops a stream for operational reasons.
pub const OPERATIONAL_DISCONNECT: &str = r#"{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect","detail":"This stream has been disconnected upstream for operational reasons.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}"#;

/// A one-shot signal from the test to the server ("the client has seen this much: go on").
/// Opening it before the server waits is not lost.
#[derive(Clone, Default, Debug)]
pub struct Gate(Arc<Notify>);

impl Gate {
    pub fn open(&self) {
        self.0.notify_one();
    }

    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

/// One thing the server does inside a 200 stream.
#[derive(Debug, Clone)]
pub enum Step {
    /// One HTTP chunk holding these bytes, written with a single write.
    Chunk(Vec<u8>),
    /// These bytes as they are (chunk framing included), with a single write: to split
    /// one chunk's size line, data and trailer across TCP writes.
    Raw(Vec<u8>),
    /// Wait until the test opens the gate.
    Wait(Gate),
}

impl Step {
    /// A stream line: the bytes and X's `\r\n`, as one chunk.
    pub fn line(line: &str) -> Self {
        Self::Chunk(format!("{line}\r\n").into_bytes())
    }

    /// A blank keep-alive, as X sends every ~20 s.
    pub fn keep_alive() -> Self {
        Self::Chunk(b"\r\n".to_vec())
    }
}

/// How a 200 stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The zero-size chunk: a clean end of the body (the connection stays usable).
    Finish,
    /// The socket is closed where the steps left off (possibly mid-chunk): no
    /// terminating chunk.
    Abort,
    /// Nothing more is sent; the connection stays open until the client hangs up.
    Hold,
}

/// The answer to one authorised request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete error answer with a JSON problem body.
    Problem {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// `200 OK` and a chunked NDJSON body.
    Stream { steps: Vec<Step>, end: End },
    /// The request is read, then the connection is closed without an answer.
    Hangup,
}

impl Reply {
    pub fn stream(steps: Vec<Step>, end: End) -> Self {
        Self::Stream { steps, end }
    }

    /// A stream that sends only these lines, then holds.
    pub fn lines_then_hold(lines: &[String]) -> Self {
        Self::stream(lines.iter().map(|l| Step::line(l)).collect(), End::Hold)
    }

    pub fn problem(status: u16, body: &str) -> Self {
        Self::Problem {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn forbidden() -> Self {
        Self::problem(403, FORBIDDEN)
    }

    pub fn unavailable() -> Self {
        Self::problem(503, SERVICE_UNAVAILABLE)
    }

    /// 429 with X's rate-limit headers; the limit resets at `reset_epoch_secs`.
    pub fn too_many_requests(reset_epoch_secs: u64) -> Self {
        Self::Problem {
            status: 429,
            headers: vec![
                ("x-rate-limit-limit".into(), "50".into()),
                ("x-rate-limit-remaining".into(), "0".into()),
                ("x-rate-limit-reset".into(), reset_epoch_secs.to_string()),
            ],
            body: TOO_MANY_REQUESTS.to_string(),
        }
    }
}

/// What the server saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Decoded `name=value` pairs, in the order sent.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Why it got a 401 instead of its scripted reply; `None` when it was accepted.
    pub refused: Option<String>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    token: String,
    path: String,
    script: Mutex<VecDeque<Reply>>,
    accepted: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    requests: watch::Sender<usize>,
}

impl Shared {
    fn next_reply(&self) -> Reply {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            // Past the script: a healthy stream that has nothing to say.
            .unwrap_or_else(|| Reply::stream(Vec::new(), End::Hold))
    }

    /// Why X would refuse this request, if it would.
    fn refusal(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        auth: Option<&str>,
    ) -> Option<String> {
        if method != "GET" {
            return Some(format!("method {method}, not GET"));
        }
        if path != self.path {
            return Some(format!("path {path:?}, not {:?}", self.path));
        }
        let mut got: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        got.sort_unstable();
        if got != EXPECTED_QUERY {
            return Some(format!("query {got:?}, not {EXPECTED_QUERY:?}"));
        }
        let want = format!("Bearer {}", self.token);
        if auth != Some(want.as_str()) {
            // Never echo the header: it holds a (wrong) secret.
            return Some(if auth.is_some() {
                "a wrong Authorization header".into()
            } else {
                "no Authorization header".into()
            });
        }
        None
    }
}

/// The fake server. It runs on the runtime that started it ([`FakeX::start`]) or on one
/// of its own ([`FakeX::start_in_background`], for tests that are not async); it stops
/// on drop.
pub struct FakeX {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeX {
    /// Serves `path` for `token` on the current runtime, answering with `script` in order.
    pub async fn start(token: &str, path: &str, script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let (shared, addr) = Self::shared(&listener, token, path, script);
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self {
            addr,
            shared,
            task,
            runtime: None,
        }
    }

    /// Like [`FakeX::start`], on a runtime of its own (for synchronous tests).
    pub fn start_in_background(token: &str, path: &str, script: Vec<Reply>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fake X server");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind a loopback port");
        let (shared, addr) = Self::shared(&listener, token, path, script);
        let task = runtime.spawn(serve(listener, Arc::clone(&shared)));
        Self {
            addr,
            shared,
            task,
            runtime: Some(runtime),
        }
    }

    fn shared(
        listener: &TcpListener,
        token: &str,
        path: &str,
        script: Vec<Reply>,
    ) -> (Arc<Shared>, SocketAddr) {
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            token: token.to_string(),
            path: path.to_string(),
            script: Mutex::new(script.into()),
            accepted: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            requests: watch::channel(0).0,
        });
        (shared, addr)
    }

    /// `http://127.0.0.1:PORT`: the value for `--twitter-api-base`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Requests read so far (refused ones included).
    pub fn requests(&self) -> usize {
        *self.shared.requests.borrow()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `n` requests have arrived (the caller bounds it with a deadline).
    pub async fn wait_requests(&self, n: usize) {
        let mut rx = self.shared.requests.subscribe();
        let _ = rx.wait_for(|&seen| seen >= n).await;
    }
}

impl Drop for FakeX {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Seconds since the epoch, `ahead` from now: for `x-rate-limit-reset`.
pub fn epoch_secs_in(ahead: Duration) -> u64 {
    (SystemTime::now() + ahead)
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A tweet as the v2 stream sends it (`tweet.fields=created_at,lang,author_id`,
/// `expansions=author_id`, `user.fields=username,name`), keys in X's order.
pub fn tweet_line(
    id: &str,
    text: &str,
    author: (&str, &str, &str),
    rules: &[(&str, &str)],
) -> String {
    let (author_id, username, name) = author;
    json!({
        "data": {
            "author_id": author_id,
            "created_at": "2026-11-22T10:00:00.000Z",
            "id": id,
            "lang": "en",
            "text": text,
        },
        "includes": {"users": [{"id": author_id, "name": name, "username": username}]},
        "matching_rules": rules
            .iter()
            .map(|(id, tag)| json!({"id": id, "tag": tag}))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Dropped (aborting every connection) when this task is aborted.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        // Each write leaves at once (no Nagle): chunk boundaries are the test's.
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(stream, Arc::clone(&shared)));
        while connections.try_join_next().is_some() {}
    }
}

fn problem_bytes(status: u16, headers: &[(String, String)], body: &str) -> Vec<u8> {
    let mut response = Response::new(status, "application/problem+json", body);
    response.headers = headers.to_vec();
    response.bytes(false)
}

fn stream_head() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n\
         transfer-encoding: chunked\r\nx-rate-limit-limit: 50\r\n\
         x-rate-limit-remaining: 49\r\nx-rate-limit-reset: {}\r\n\r\n",
        epoch_secs_in(Duration::from_secs(900))
    )
    .into_bytes()
}

/// One HTTP chunk: size line, data, trailer.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    http::chunk(data)
}

async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = http::read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let path = request.path().to_string();
        let query = http::parse_query(request.query());
        let refused = shared.refusal(
            &request.method,
            &path,
            &query,
            request.header("authorization"),
        );
        let reply = if refused.is_some() {
            Reply::problem(401, UNAUTHORIZED)
        } else {
            shared.next_reply()
        };
        shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                method: request.method,
                path,
                query,
                headers: request.headers,
                refused,
            });
        shared.requests.send_modify(|n| *n += 1);
        match reply {
            Reply::Problem {
                status,
                headers,
                body,
            } => {
                if stream
                    .write_all(&problem_bytes(status, &headers, &body))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Reply::Hangup => return,
            Reply::Stream { steps, end } => {
                if stream.write_all(&stream_head()).await.is_err() {
                    return;
                }
                for step in steps {
                    let written = match step {
                        Step::Chunk(data) => stream.write_all(&chunk(&data)).await,
                        Step::Raw(bytes) => stream.write_all(&bytes).await,
                        Step::Wait(gate) => {
                            gate.wait().await;
                            Ok(())
                        }
                    };
                    if written.is_err() {
                        return;
                    }
                }
                match end {
                    End::Finish => {
                        if stream.write_all(b"0\r\n\r\n").await.is_err() {
                            return;
                        }
                    }
                    End::Abort => {
                        let _ = stream.shutdown().await;
                        return;
                    }
                    End::Hold => {
                        http::hold(&mut stream).await;
                        return;
                    }
                }
            }
        }
    }
}
