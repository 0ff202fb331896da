//! Bluesky's keyless Jetstream: a WebSocket of JSON events. Posts come from
//! `commit.record.text` of `app.bsky.feed.post` creates; handles from `identity` events.
//! After a reconnect it resumes with `cursor=<last time_us>`, so nothing is missed.

use std::collections::HashMap;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::backoff::{Backoff, Failure};
use super::stop::Stop;
use super::{Author, FeedState, Post, SourceEvent, report};

pub const DEFAULT_URL: &str =
    "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post";

/// Jetstream sends events constantly; this long without one means the socket is dead.
const SILENCE: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct Event {
    did: String,
    time_us: i64,
    kind: String,
    commit: Option<Commit>,
    identity: Option<Identity>,
}

#[derive(Deserialize)]
struct Commit {
    operation: String,
    collection: String,
    rkey: String,
    record: Option<PostRecord>,
}

#[derive(Deserialize)]
struct PostRecord {
    #[serde(default)]
    text: String,
    #[serde(rename = "createdAt")]
    created_at: Option<String>,
    #[serde(default)]
    langs: Vec<String>,
}

#[derive(Deserialize)]
struct Identity {
    handle: Option<String>,
}

/// What one Jetstream message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Post {
        time_us: i64,
        post: Box<Post>,
    },
    Handle {
        did: String,
        handle: String,
        time_us: i64,
    },
    Other {
        time_us: Option<i64>,
    },
}

/// Parses one message; `handles` names authors seen in identity events.
pub fn parse<S: std::hash::BuildHasher>(
    text: &str,
    handles: &HashMap<String, String, S>,
) -> Parsed {
    let Ok(event) = serde_json::from_str::<Event>(text) else {
        return Parsed::Other { time_us: None };
    };
    match (event.kind.as_str(), event.commit, event.identity) {
        ("commit", Some(commit), _)
            if commit.operation == "create" && commit.collection == "app.bsky.feed.post" =>
        {
            let record = commit.record.unwrap_or(PostRecord {
                text: String::new(),
                created_at: None,
                langs: vec![],
            });
            let handle = handles.get(&event.did).cloned().unwrap_or_default();
            let profile = if handle.is_empty() {
                event.did.clone()
            } else {
                handle.clone()
            };
            Parsed::Post {
                time_us: event.time_us,
                post: Box::new(Post {
                    id: format!("{}/{}", event.did, commit.rkey),
                    text: record.text,
                    author: Author {
                        id: event.did.clone(),
                        username: handle.clone(),
                        name: handle,
                    },
                    created_at: record.created_at,
                    lang: record.langs.into_iter().next(),
                    source: "bluesky".into(),
                    url: Some(format!(
                        "https://bsky.app/profile/{profile}/post/{}",
                        commit.rkey
                    )),
                    matching_rules: Vec::new(),
                }),
            }
        }
        ("identity", _, Some(identity)) => match identity.handle {
            Some(handle) => Parsed::Handle {
                did: event.did,
                handle,
                time_us: event.time_us,
            },
            None => Parsed::Other {
                time_us: Some(event.time_us),
            },
        },
        _ => Parsed::Other {
            time_us: Some(event.time_us),
        },
    }
}

/// The URL with `cursor=` set (replacing any cursor already there).
pub fn with_cursor(url: &str, cursor: Option<i64>) -> String {
    let Some(cursor) = cursor else {
        return url.to_string();
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
        .map(str::to_string)
        .collect();
    parts.push(format!("cursor={cursor}"));
    format!("{base}?{}", parts.join("&"))
}

/// Streams posts, reconnecting (linear backoff) and resuming from the last event seen.
pub async fn run(url: &str, events: mpsc::Sender<SourceEvent>, mut stop: Stop) {
    let mut backoff = Backoff::default();
    let mut cursor: Option<i64> = None;
    let mut handles: HashMap<String, String> = HashMap::new();
    loop {
        report(&events, FeedState::Connecting).await;
        let target = with_cursor(url, cursor);
        let outcome = tokio::select! {
            outcome = stream_once(&target, &events, &mut cursor, &mut handles) => outcome,
            () = stop.stopped() => None,
        };
        let Some((because, streamed)) = outcome else {
            report(&events, FeedState::stopped("stopped", false)).await;
            return;
        };
        if streamed {
            backoff.reset();
        }
        let after = backoff.next(Failure::Network);
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

/// One connection; `None` when the consumer of events is gone.
async fn stream_once(
    url: &str,
    events: &mpsc::Sender<SourceEvent>,
    cursor: &mut Option<i64>,
    handles: &mut HashMap<String, String>,
) -> Option<(String, bool)> {
    let (mut socket, _) = match tokio::time::timeout(
        Duration::from_secs(15),
        tokio_tungstenite::connect_async(url),
    )
    .await
    {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Some((format!("cannot connect: {e}"), false)),
        Err(_) => return Some(("connecting timed out".into(), false)),
    };
    events
        .send(SourceEvent::State(FeedState::Streaming))
        .await
        .ok()?;
    let mut streamed = false;
    loop {
        let message = match tokio::time::timeout(SILENCE, socket.next()).await {
            Err(_) => return Some(("no events for 60 s".into(), streamed)),
            Ok(None) => return Some(("the server closed the connection".into(), streamed)),
            Ok(Some(Err(e))) => return Some((format!("connection broken: {e}"), streamed)),
            Ok(Some(Ok(message))) => message,
        };
        streamed = true;
        let text = match message {
            Message::Text(text) => text.to_string(),
            Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Message::Ping(payload) => {
                let _ = socket.send(Message::Pong(payload)).await;
                continue;
            }
            Message::Close(frame) => {
                let why = frame.map_or_else(
                    || "closed".to_string(),
                    |f| format!("closed: {} {}", f.code, f.reason),
                );
                return Some((format!("the server {why}"), streamed));
            }
            Message::Pong(_) | Message::Frame(_) => continue,
        };
        match parse(&text, handles) {
            Parsed::Post { time_us, post } => {
                *cursor = Some(time_us);
                events.send(SourceEvent::Post(post)).await.ok()?;
            }
            Parsed::Handle {
                did,
                handle,
                time_us,
            } => {
                *cursor = Some(time_us);
                handles.insert(did, handle);
            }
            Parsed::Other { time_us } => {
                if time_us.is_some() {
                    *cursor = time_us;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_and_handles() {
        let mut handles = HashMap::new();
        let identity = r#"{"did":"did:plc:abc","time_us":1725911162000000,"kind":"identity","identity":{"did":"did:plc:abc","handle":"alice.bsky.social","seq":1,"time":"2024-09-09T19:46:02.000Z"}}"#;
        let Parsed::Handle { did, handle, .. } = parse(identity, &handles) else {
            panic!()
        };
        handles.insert(did, handle);
        let commit = r#"{"did":"did:plc:abc","time_us":1725911162329308,"kind":"commit","commit":{"rev":"3l3qo2vuowo2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vutsw2b","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:46:02.102Z","langs":["en"],"text":"hello from the sky"},"cid":"bafyrei"}}"#;
        let Parsed::Post { time_us, post } = parse(commit, &handles) else {
            panic!()
        };
        assert_eq!(time_us, 1_725_911_162_329_308);
        assert_eq!(post.text, "hello from the sky");
        assert_eq!(post.author.username, "alice.bsky.social");
        assert_eq!(post.id, "did:plc:abc/3l3qo2vutsw2b");
        assert_eq!(
            post.url.as_deref(),
            Some("https://bsky.app/profile/alice.bsky.social/post/3l3qo2vutsw2b")
        );
        let delete = r#"{"did":"did:plc:abc","time_us":5,"kind":"commit","commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"x"}}"#;
        assert_eq!(parse(delete, &handles), Parsed::Other { time_us: Some(5) });
    }

    #[test]
    fn cursor_is_added_or_replaced() {
        assert_eq!(
            with_cursor("wss://h/subscribe?wantedCollections=a", Some(7)),
            "wss://h/subscribe?wantedCollections=a&cursor=7"
        );
        assert_eq!(
            with_cursor("wss://h/subscribe?cursor=1&x=y", Some(9)),
            "wss://h/subscribe?x=y&cursor=9"
        );
        assert_eq!(with_cursor("wss://h/s", None), "wss://h/s");
    }
}
