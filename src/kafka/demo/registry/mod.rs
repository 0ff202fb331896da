//! The demo's schema registry: an in-memory Confluent Schema Registry (the REST API its
//! clients use: schemas by id, subjects, versions, `referencedby`, registering and
//! looking up, the compatibility levels, which are kept and reported but not enforced),
//! holding the demo shop's schemas, at 127.0.0.1:8081 (the registry's own default) when
//! that is free. ktui reads the demo's framed records through it, and so can any peer
//! (confluent-kafka's serializers and deserializers), which may register schemas of its
//! own. The tests' fake registry answers through the same routes, with its failure modes
//! and TLS around them.

mod body;
pub mod routes;
pub mod store;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub use store::State;

/// Where the demo registry listens when free: the Confluent registry's default port.
pub const REGISTRY_ADDRESS: &str = "127.0.0.1:8081";
/// The registry's media type.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
/// The compatibility level a registry starts with.
pub const DEFAULT_COMPATIBILITY: &str = "BACKWARD";
/// The message of error 42201.
pub const INVALID_SCHEMA: &str = "Either the input schema or one its references is invalid";
/// The most a request body may hold (a schema is text).
const MAX_BODY: usize = 16 << 20;
/// How long a client may take to send a request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The running registry. Dropping it stops it, its connections too.
pub struct DemoRegistry {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Why it is not at the address asked for (that was taken), if so.
    pub fallback: Option<String>,
    accepting: Vec<JoinHandle<()>>,
}

impl Drop for DemoRegistry {
    fn drop(&mut self) {
        for task in &self.accepting {
            task.abort();
        }
    }
}

impl DemoRegistry {
    /// Serves `state` at `listen` when that is free, else on any free port of 127.0.0.1.
    pub async fn start(state: State, listen: SocketAddr) -> anyhow::Result<Self> {
        let (listeners, fallback) = super::listen::bind_or_any(Some(listen)).await?;
        let address = listeners[0].local_addr()?;
        let state = Arc::new(Mutex::new(state));
        let accepting = listeners
            .into_iter()
            .map(|listener| tokio::spawn(accept(listener, Arc::clone(&state))))
            .collect();
        Ok(Self {
            url: format!("http://{address}"),
            fallback,
            accepting,
        })
    }
}

/// Serves each connection on a task of its own, held here: aborting this drops them all.
async fn accept(listener: TcpListener, state: Arc<Mutex<State>>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("demo registry: accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(respond(state, request).await) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!("demo registry connection: {error}");
            }
        });
    }
}

async fn respond(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let answer = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        // Registering compiles the schema: off the runtime's threads.
        Ok(body) => {
            let body = body.to_bytes();
            let segments: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect();
            let method = method.clone();
            tokio::task::spawn_blocking(move || {
                let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                routes::route(&mut state, &method, &segments, &query, &body)
            })
            .await
            .unwrap_or_else(|_| routes::error(500, 50001, "Error in the backend data store"))
        }
        Err(error) => routes::error(413, 413, &format!("request body: {error}")),
    };
    tracing::debug!("demo registry: {method} {path} → {}", answer.status);
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}
