//! A fake Bluesky Jetstream: a WebSocket server (`tokio_tungstenite` on a plain tokio
//! `TcpListener`) that sends the real event JSON as text frames, pings, and closes the way
//! a test scripts it. It records each connection's request URI (to check the resume
//! `cursor=`) and every pong it gets back.
#![allow(dead_code)] // each test binary uses a subset

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// One thing the server does on a connection.
#[derive(Debug, Clone)]
pub enum WsStep {
    /// A text frame.
    Text(String),
    /// A ping with this payload; the server then reads until the matching pong.
    Ping(Vec<u8>),
}

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsEnd {
    /// The TCP stream is shut down with no close frame (an abrupt end at the WebSocket
    /// level; everything sent before still arrives).
    Abrupt,
    /// Nothing more is sent; the connection stays open until the client leaves.
    Hold,
}

#[derive(Debug, Clone)]
pub struct WsScript {
    pub steps: Vec<WsStep>,
    pub end: WsEnd,
}

#[derive(Default)]
struct Record {
    uris: Vec<String>,
    pongs: Vec<Vec<u8>>,
}

struct Shared {
    script: Mutex<VecDeque<WsScript>>,
    record: Mutex<Record>,
    connections: watch::Sender<usize>,
}

/// The fake Jetstream, on the current runtime; it stops on drop.
pub struct FakeJetstream {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeJetstream {
    pub async fn start(script: Vec<WsScript>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            record: Mutex::new(Record::default()),
            connections: watch::channel(0).0,
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self { addr, shared, task }
    }

    /// `ws://127.0.0.1:PORT/subscribe?wantedCollections=app.bsky.feed.post`.
    pub fn url(&self) -> String {
        format!(
            "ws://{}/subscribe?wantedCollections=app.bsky.feed.post",
            self.addr
        )
    }

    /// Each upgraded connection's request URI (path and query), in order.
    pub fn uris(&self) -> Vec<String> {
        self.lock().uris.clone()
    }

    /// The payloads of the pongs received so far.
    pub fn pongs(&self) -> Vec<Vec<u8>> {
        self.lock().pongs.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.shared
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FakeJetstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An `identity` event naming `did`'s handle.
pub fn identity(did: &str, handle: &str, time_us: i64) -> String {
    json!({
        "did": did,
        "time_us": time_us,
        "kind": "identity",
        "identity": {"did": did, "handle": handle, "seq": 1_409_752_997, "time": "2024-09-05T06:11:04.870Z"},
    })
    .to_string()
}

/// A `commit` event creating an `app.bsky.feed.post`.
pub fn post(did: &str, rkey: &str, text: &str, time_us: i64) -> String {
    json!({
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": "3l3qo2vuowo2b",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": {
                "$type": "app.bsky.feed.post",
                "createdAt": "2024-09-09T19:46:02.102Z",
                "langs": ["en"],
                "text": text,
            },
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
        },
    })
    .to_string()
}

/// An `account` event: not a post, but it moves the cursor.
pub fn account(did: &str, time_us: i64) -> String {
    json!({
        "did": did,
        "time_us": time_us,
        "kind": "account",
        "account": {"active": true, "did": did, "seq": 1_409_753_013, "time": "2024-09-05T06:11:04.870Z"},
    })
    .to_string()
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(stream, Arc::clone(&shared)));
        while connections.try_join_next().is_some() {}
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let uri = Arc::new(Mutex::new(String::new()));
    let seen = Arc::clone(&uri);
    // The handshake callback's error type is tungstenite's (a whole HTTP response).
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request, response: Response| {
        *seen.lock().unwrap_or_else(PoisonError::into_inner) = request.uri().to_string();
        Ok(response)
    };
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let uri = uri.lock().unwrap_or_else(PoisonError::into_inner).clone();
    shared
        .record
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .uris
        .push(uri);
    shared.connections.send_modify(|n| *n += 1);
    let script = shared
        .script
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
        .unwrap_or(WsScript {
            steps: Vec::new(),
            end: WsEnd::Hold,
        });
    for step in script.steps {
        match step {
            WsStep::Text(text) => {
                if socket.send(Message::text(text)).await.is_err() {
                    return;
                }
            }
            WsStep::Ping(payload) => {
                if socket
                    .send(Message::Ping(payload.clone().into()))
                    .await
                    .is_err()
                {
                    return;
                }
                if !read_until_pong(&mut socket, &payload, &shared).await {
                    return;
                }
            }
        }
    }
    match script.end {
        WsEnd::Abrupt => {
            let _ = socket.get_mut().shutdown().await;
            // Drain until the client leaves, so no unread byte turns the close into a reset.
            while let Some(Ok(_)) = socket.next().await {}
        }
        WsEnd::Hold => while let Some(Ok(_)) = socket.next().await {},
    }
}

/// Reads until a pong carrying `payload`; records every pong. `false` if the client left.
async fn read_until_pong(
    socket: &mut WebSocketStream<TcpStream>,
    payload: &[u8],
    shared: &Shared,
) -> bool {
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Pong(got) = message {
            let matched = got.as_ref() == payload;
            shared
                .record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pongs
                .push(got.to_vec());
            if matched {
                return true;
            }
        }
    }
    false
}
