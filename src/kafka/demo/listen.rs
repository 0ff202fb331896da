//! Where the demo's servers listen: the address asked for when it is free (and, for a
//! loopback IPv4 address, the same port on ::1, since `localhost` may resolve there
//! first), else any free port of 127.0.0.1, saying why.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;

/// Listeners at `wanted` when given and free, else one on a free port of 127.0.0.1; and
/// why `wanted` could not be had.
pub async fn bind_or_any(
    wanted: Option<SocketAddr>,
) -> anyhow::Result<(Vec<TcpListener>, Option<String>)> {
    let mut bound = Vec::new();
    let mut fallback = None;
    if let Some(wanted) = wanted {
        match TcpListener::bind(wanted).await {
            Ok(listener) => {
                bound.push(listener);
                if wanted.ip().is_loopback() && wanted.is_ipv4() && wanted.port() != 0 {
                    let v6 = SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], wanted.port()));
                    if let Ok(listener) = TcpListener::bind(v6).await {
                        bound.push(listener);
                    }
                }
            }
            Err(error) => fallback = Some(format!("{wanted} is taken ({error})")),
        }
    }
    if bound.is_empty() {
        bound.push(
            TcpListener::bind(("127.0.0.1", 0))
                .await
                .context("cannot listen on 127.0.0.1")?,
        );
    }
    Ok((bound, fallback))
}
