//! Reading the stream: connect, read lines as they come, and reconnect with X's backoff
//! until a fatal error or `stop`.

use futures::StreamExt;
use tokio::sync::mpsc;

use super::super::backoff::{Backoff, Failure};
use super::super::stop::Stop;
use super::super::{FeedState, SourceEvent, report};
use super::{
    HttpOutcome, Line, LineSplitter, Options, QUERY, STALL, classify_status, http_client,
    parse_line, reset_in, without_url_query,
};

/// How one connection ended.
enum Ended {
    Stopped,
    Retry(Failure, String, bool),
    Fatal(String),
}

/// Connects, streams, and reconnects with X's backoff until a fatal error or `stop`.
pub async fn run(options: Options, events: mpsc::Sender<SourceEvent>, mut stop: Stop) {
    let client = match http_client() {
        Ok(c) => c,
        Err(reason) => {
            report(&events, FeedState::stopped(reason, true)).await;
            return;
        }
    };
    let mut backoff = Backoff::default();
    loop {
        report(&events, FeedState::Connecting).await;
        let ended = tokio::select! {
            ended = connect_once(&client, &options, &events) => ended,
            () = stop.stopped() => Ended::Stopped,
        };
        let (failure, because) = match ended {
            Ended::Stopped => {
                report(&events, FeedState::stopped("stopped", false)).await;
                return;
            }
            Ended::Fatal(reason) => {
                report(&events, FeedState::stopped(reason, true)).await;
                return;
            }
            Ended::Retry(failure, because, streamed) => {
                if streamed {
                    backoff.reset();
                }
                (failure, because)
            }
        };
        let after = backoff.next(failure);
        tracing::info!("X stream: reconnecting in {after:?} because {because}");
        report(&events, FeedState::Reconnecting { after, because }).await;
        tokio::select! {
            () = tokio::time::sleep(after) => {}
            () = stop.stopped() => {
                report(&events, FeedState::stopped("stopped", false)).await;
                return;
            }
        }
    }
}

async fn connect_once(
    client: &reqwest::Client,
    options: &Options,
    events: &mpsc::Sender<SourceEvent>,
) -> Ended {
    let response = client
        .get(options.stream_url())
        .bearer_auth(options.token.expose())
        .query(&QUERY)
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        // reqwest's error names the URL, never the Authorization header.
        Err(e) => {
            return Ended::Retry(
                Failure::Network,
                format!("network error: {}", without_url_query(&e)),
                false,
            );
        }
    };
    let status = response.status().as_u16();
    if status != 200 {
        let reset = reset_in(
            response
                .headers()
                .get("x-rate-limit-reset")
                .and_then(|v| v.to_str().ok()),
            jiff::Timestamp::now().as_second(),
        );
        let body = response.bytes().await.unwrap_or_default();
        return match classify_status(status, &body, reset) {
            HttpOutcome::Fatal(reason) => Ended::Fatal(reason),
            HttpOutcome::Retry(failure, reason) => Ended::Retry(failure, reason, false),
        };
    }
    report(events, FeedState::Streaming).await;
    let mut body = response.bytes_stream();
    let mut splitter = LineSplitter::default();
    let mut streamed = false;
    loop {
        let chunk = match tokio::time::timeout(STALL, body.next()).await {
            Err(_) => {
                return Ended::Retry(
                    Failure::Network,
                    "no data for 20 s (stalled)".into(),
                    streamed,
                );
            }
            Ok(None) => {
                return Ended::Retry(
                    Failure::Network,
                    "the server closed the stream".into(),
                    streamed,
                );
            }
            Ok(Some(Err(e))) => {
                return Ended::Retry(
                    Failure::Network,
                    format!("stream broken: {}", without_url_query(&e)),
                    streamed,
                );
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        streamed = true;
        for line in splitter.push(&chunk) {
            match parse_line(&line) {
                Line::KeepAlive => {}
                Line::Post(post) => {
                    if events.send(SourceEvent::Post(post)).await.is_err() {
                        return Ended::Stopped;
                    }
                }
                Line::Error { title, detail } => {
                    if title == "operational-disconnect" || detail.contains("disconnected") {
                        return Ended::Retry(
                            Failure::Network,
                            format!("{title}: {detail}"),
                            streamed,
                        );
                    }
                    tracing::warn!("X stream error: {title}: {detail}");
                }
                Line::Unknown(why) => tracing::warn!("X stream: skipped a line ({why})"),
            }
        }
    }
}
