//! The demo's schema registry: an in-memory Confluent Schema Registry (the REST API its
//! clients use: schemas by id, subjects, versions, registering, the compatibility level)
//! holding the demo shop's schemas, at 127.0.0.1:8081 (the registry's own default) when
//! that is free. ktui reads the demo's framed records through it, and so can any peer
//! (confluent-kafka's serializers and deserializers), and register schemas of its own.

mod routes;
mod store;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use store::{Store, Stored};

/// Where the demo registry listens when free: the Confluent registry's default port.
pub const REGISTRY_ADDRESS: &str = "127.0.0.1:8081";
/// The most a request body may hold (a schema is text).
const MAX_BODY: usize = 16 << 20;

/// The running registry. Dropping it stops it.
pub struct DemoRegistry {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Why it is not at the address asked for (that was taken), if so.
    pub fallback: Option<String>,
    accepting: JoinHandle<()>,
}

impl Drop for DemoRegistry {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl DemoRegistry {
    /// Serves `store` at `listen` when that is free, else on any free port of 127.0.0.1.
    pub async fn start(store: Store, listen: SocketAddr) -> anyhow::Result<Self> {
        let (listener, fallback) = match TcpListener::bind(listen).await {
            Ok(listener) => (listener, None),
            Err(error) => {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .context("cannot open a port for the demo schema registry")?;
                (listener, Some(format!("{listen} is taken ({error})")))
            }
        };
        let address = listener.local_addr()?;
        let store = Arc::new(Mutex::new(store));
        let accepting = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let store = Arc::clone(&store);
                        async move { Ok::<_, Infallible>(respond(&store, request).await) }
                    });
                    if let Err(error) = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        tracing::debug!("demo registry connection: {error}");
                    }
                });
            }
        });
        Ok(Self {
            url: format!("http://{address}"),
            fallback,
            accepting,
        })
    }
}

async fn respond(store: &Mutex<Store>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let (status, body) = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => routes::answer(store, &method, &path, &query, &body.to_bytes()),
        Err(error) => (
            413,
            serde_json::json!({"error_code": 413, "message": format!("request body: {error}")}),
        ),
    };
    tracing::debug!("demo registry: {method} {path} → {status}");
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/vnd.schemaregistry.v1+json"),
    );
    response
}
