//! The demo cluster's front door: one listener per mock broker, relaying the Kafka protocol
//! to it and answering what the mock answers unlike a real broker (see [`super::wire`]), so
//! every client (kafka-python, Java, librdkafka) can use the embedded cluster.
//!
//! Per connection, requests are read whole and forwarded in order; each one that expects a
//! response queues a note of its API and version, and the response side reads the mock's
//! answers in the same order, rewriting the few that name brokers. An answer made here
//! (ApiVersions) is queued in its place, so responses reach the client in request order.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::groups::{GroupBook, Pending};
use super::wire::{self, ApiTable, Inbound, Routes};

/// The host clients are told to connect to.
const HOST: &str = "127.0.0.1";

/// The running front. Dropping it stops accepting connections.
pub struct Front {
    /// The front's address for each mock broker, in the mock's bootstrap order.
    pub addresses: Vec<String>,
    /// Why the first broker is not at the address asked for (it was taken), if so.
    pub fallback: Option<String>,
    accepting: Vec<JoinHandle<()>>,
}

impl Drop for Front {
    fn drop(&mut self) {
        for task in &self.accepting {
            task.abort();
        }
    }
}

struct Shared {
    table: ApiTable,
    routes: Routes,
    /// The consumer groups seen going by, for ListGroups and DescribeGroups.
    book: GroupBook,
}

impl Front {
    /// Listens for each broker of `mock_bootstrap` (a `host:port,…` list): the first at
    /// `listen` when given and free (else on any free port, and [`Front::fallback`] says
    /// why), the others on free ports of 127.0.0.1.
    pub async fn start(mock_bootstrap: &str, listen: Option<SocketAddr>) -> anyhow::Result<Self> {
        let mocks: Vec<SocketAddr> = mock_bootstrap
            .split(',')
            .map(|a| {
                a.parse()
                    .with_context(|| format!("mock broker address {a}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let first = *mocks
            .first()
            .ok_or_else(|| anyhow!("the mock has no brokers"))?;
        let table = ApiTable::from_mock(ask_api_versions(first).await?);

        let mut listeners = Vec::with_capacity(mocks.len());
        let mut fallback = None;
        for (i, _) in mocks.iter().enumerate() {
            let (bound, why) = super::listen::bind_or_any(listen.filter(|_| i == 0)).await?;
            fallback = fallback.or(why);
            listeners.push(bound);
        }

        let mut routes = Routes::default();
        let mut addresses = Vec::with_capacity(mocks.len());
        for (mock, bound) in mocks.iter().zip(&listeners) {
            let local = bound[0].local_addr()?;
            let host = if local.ip().is_unspecified() {
                HOST.to_string()
            } else {
                local.ip().to_string()
            };
            addresses.push(SocketAddr::new(host.parse()?, local.port()).to_string());
            routes
                .0
                .insert(i32::from(mock.port()), (host, i32::from(local.port())));
        }
        let shared = Arc::new(Shared {
            table,
            routes,
            book: GroupBook::default(),
        });
        let mut accepting = Vec::new();
        for (mock, bound) in mocks.into_iter().zip(listeners) {
            for listener in bound {
                accepting.push(tokio::spawn(accept(listener, mock, shared.clone())));
            }
        }
        Ok(Self {
            addresses,
            fallback,
            accepting,
        })
    }
}

async fn accept(listener: TcpListener, mock: SocketAddr, shared: Arc<Shared>) {
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!("demo front: accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(error) = relay(client, peer.ip(), mock, &shared).await {
                tracing::debug!("demo front: connection to {mock} ended: {error:#}");
            }
        });
    }
}

/// What the response side does next, in request order.
enum Next {
    /// Write this frame, made here.
    Send(Bytes),
    /// Read the mock's response to a request of this API and version (and note what it
    /// says about a group).
    Relay {
        api_key: i16,
        version: i16,
        pending: Option<Pending>,
    },
    /// Drop the mock's answer to a request the client expects none for (acks=0).
    Discard { correlation_id: i32 },
}

/// Requests a connection may have in flight before reading from the client waits.
const IN_FLIGHT: usize = 128;

async fn relay(
    client: TcpStream,
    peer: std::net::IpAddr,
    mock: SocketAddr,
    shared: &Shared,
) -> anyhow::Result<()> {
    let upstream = TcpStream::connect(mock)
        .await
        .with_context(|| format!("cannot reach mock broker {mock}"))?;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_mock, mut to_mock) = upstream.into_split();
    let (next_tx, mut next_rx) = mpsc::channel::<Next>(IN_FLIGHT);

    let requests = async {
        while let Some(frame) = read_frame(&mut from_client).await? {
            let (api_key, version) = wire::api_of(&frame[4..])?;
            if let Some(answer) = shared.book.answer(&frame[4..], api_key, version)? {
                next_tx.send(Next::Send(answer)).await?;
                continue;
            }
            match wire::inbound(&frame[4..], &shared.table)? {
                Inbound::Answer(answer) => next_tx.send(Next::Send(answer)).await?,
                Inbound::Forward { api_key, version } => {
                    let (pending, rewritten) = shared.book.request(&frame, api_key, version, peer);
                    next_tx
                        .send(Next::Relay {
                            api_key,
                            version,
                            pending,
                        })
                        .await?;
                    to_mock
                        .write_all(rewritten.as_deref().unwrap_or(&frame))
                        .await?;
                }
                Inbound::ForwardUnanswered { correlation_id } => {
                    next_tx.send(Next::Discard { correlation_id }).await?;
                    to_mock.write_all(&frame).await?;
                }
            }
        }
        anyhow::Ok(())
    };
    let responses = async {
        // A frame read for a `Discard` that turned out to answer the next request.
        let mut early: Option<Bytes> = None;
        while let Some(next) = next_rx.recv().await {
            let frame = match next {
                Next::Send(frame) => frame,
                Next::Discard { correlation_id } => {
                    let body = mock_frame(&mut from_mock).await?;
                    if body.get(..4) != Some(&correlation_id.to_be_bytes()[..]) {
                        early = Some(body);
                    }
                    continue;
                }
                Next::Relay {
                    api_key,
                    version,
                    pending,
                } => {
                    let body = match early.take() {
                        Some(body) => body,
                        None => mock_frame(&mut from_mock).await?,
                    };
                    if let Some(pending) = pending {
                        shared.book.response(pending, version, &body);
                    }
                    wire::outbound(api_key, version, body.clone(), &shared.routes).unwrap_or_else(
                        |error| {
                            tracing::warn!(
                                "demo front: response to API {api_key} v{version} passed \
                                 unchanged: {error:#}"
                            );
                            wire::framed(&body)
                        },
                    )
                }
            };
            to_client.write_all(&frame).await?;
        }
        anyhow::Ok(())
    };
    // Either side ending (the client leaving, the mock going away) ends the connection.
    tokio::select! {
        result = requests => result,
        result = responses => result,
    }
}

/// The mock's next response, without its length prefix.
async fn mock_frame<R: AsyncRead + Unpin>(reader: &mut R) -> anyhow::Result<Bytes> {
    let frame = read_frame(reader)
        .await?
        .ok_or_else(|| anyhow!("the mock broker closed the connection"))?;
    Ok(Bytes::from(frame).slice(4..))
}

/// One length-prefixed frame, prefix included; `None` at a clean end of stream.
async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> anyhow::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 4];
    match reader.read_exact(&mut length).await {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error.into()),
    }
    let size = u32::from_be_bytes(length) as usize;
    if size > wire::MAX_FRAME {
        return Err(anyhow!("a frame of {size} bytes is over the limit"));
    }
    let mut frame = vec![0u8; 4 + size];
    frame[..4].copy_from_slice(&length);
    reader.read_exact(&mut frame[4..]).await?;
    Ok(Some(frame))
}

/// The mock's supported APIs, asked with ApiVersions v0.
async fn ask_api_versions(mock: SocketAddr) -> anyhow::Result<Vec<wire::ApiVersion>> {
    let mut stream = TcpStream::connect(mock)
        .await
        .with_context(|| format!("cannot reach mock broker {mock}"))?;
    stream.write_all(&wire::api_versions_request(1)?).await?;
    let frame = read_frame(&mut stream)
        .await?
        .ok_or_else(|| anyhow!("the mock closed the connection before ApiVersions"))?;
    wire::parse_api_versions(Bytes::from(frame).slice(4..))
}
