//! X (Twitter) API v2 streams: the filtered stream (`/2/tweets/search/stream`, with its
//! rules) or the sampled stream (`/2/tweets/sample/stream`).
//!
//! The wire, as documented: newline-delimited JSON over a chunked body; a line may be
//! split across chunks; blank `\r\n` keep-alives every ~20 s; no bytes for 20 s is a stall;
//! `{"errors":[{"title":"operational-disconnect",…}]}` in the stream means reconnect.
//! 401 and 403 are fatal (their `title`/`detail` are shown); the bearer token never
//! appears in any message, log or panic.

use std::time::Duration;

use serde::Deserialize;

mod rules;
mod stream;

pub use rules::{StreamRule, add_rule, delete_rules, list_rules};
pub use stream::run;

use super::backoff::Failure;
use super::{Author, Post};

/// The fields every request asks for.
pub const QUERY: [(&str, &str); 3] = [
    ("tweet.fields", "created_at,lang,author_id"),
    ("expansions", "author_id"),
    ("user.fields", "username,name"),
];

/// No bytes (not even a keep-alive) for this long means the connection is dead.
pub const STALL: Duration = Duration::from_secs(20);

pub use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Filtered,
    Sample,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `https://api.twitter.com` unless `--twitter-api-base` says otherwise.
    pub api_base: String,
    pub token: Secret,
    pub stream: Stream,
}

impl Options {
    pub fn stream_url(&self) -> String {
        let path = match self.stream {
            Stream::Filtered => "/2/tweets/search/stream",
            Stream::Sample => "/2/tweets/sample/stream",
        };
        format!("{}{path}", self.api_base.trim_end_matches('/'))
    }

    pub fn rules_url(&self) -> String {
        format!(
            "{}/2/tweets/search/stream/rules",
            self.api_base.trim_end_matches('/')
        )
    }
}

/// Splits a chunked body into lines, whatever the chunk boundaries.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Appends a chunk; returns the complete lines it finished (without `\r\n`).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(line);
        }
        lines
    }
}

/// What one stream line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    KeepAlive,
    Post(Box<Post>),
    /// An error object in the stream; `operational-disconnect` means reconnect.
    Error {
        title: String,
        detail: String,
    },
    /// Not JSON we understand (logged, skipped).
    Unknown(String),
}

#[derive(Deserialize)]
struct Envelope {
    data: Option<Tweet>,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    matching_rules: Vec<Rule>,
    #[serde(default)]
    errors: Vec<ApiError>,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    author_id: Option<String>,
    created_at: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize, Default)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    username: String,
    name: String,
}

#[derive(Deserialize)]
struct Rule {
    tag: Option<String>,
    value: Option<String>,
    id: Option<String>,
}

/// An API problem object: in the stream, or as an HTTP error body.
#[derive(Deserialize, Debug, Default)]
pub struct ApiError {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub message: String,
}

/// Parses one stream line.
pub fn parse_line(line: &[u8]) -> Line {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::KeepAlive;
    }
    let envelope: Envelope = match serde_json::from_slice(line) {
        Ok(e) => e,
        Err(e) => return Line::Unknown(format!("not JSON: {e}")),
    };
    if let Some(tweet) = envelope.data {
        let author = tweet
            .author_id
            .as_ref()
            .and_then(|id| envelope.includes.users.iter().find(|u| &u.id == id))
            .map_or_else(
                || Author {
                    id: tweet.author_id.clone().unwrap_or_default(),
                    ..Author::default()
                },
                |u| Author {
                    id: u.id.clone(),
                    username: u.username.clone(),
                    name: u.name.clone(),
                },
            );
        let url = if author.username.is_empty() {
            format!("https://x.com/i/web/status/{}", tweet.id)
        } else {
            format!("https://x.com/{}/status/{}", author.username, tweet.id)
        };
        return Line::Post(Box::new(Post {
            id: tweet.id,
            text: tweet.text,
            author,
            created_at: tweet.created_at,
            lang: tweet.lang,
            source: "twitter".into(),
            url: Some(url),
            matching_rules: envelope
                .matching_rules
                .into_iter()
                .filter_map(|r| r.tag.or(r.value).or(r.id))
                .collect(),
        }));
    }
    match envelope.errors.into_iter().next() {
        Some(e) => Line::Error {
            title: e.title,
            detail: if e.detail.is_empty() {
                e.message
            } else {
                e.detail
            },
        },
        None => Line::Unknown("neither data nor errors".into()),
    }
}

/// What a non-200 answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpOutcome {
    Fatal(String),
    Retry(Failure, String),
}

/// Classifies an HTTP error status and its body (`title`/`detail` shown as the API sent them).
pub fn classify_status(
    status: u16,
    body: &[u8],
    rate_limit_reset: Option<Duration>,
) -> HttpOutcome {
    let problem: ApiError = serde_json::from_slice(body).unwrap_or_default();
    let words = match (problem.title.is_empty(), problem.detail.is_empty()) {
        (false, false) if problem.title != problem.detail => {
            format!("{}: {}", problem.title, problem.detail)
        }
        (false, _) => problem.title.clone(),
        (true, false) => problem.detail.clone(),
        (true, true) => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    };
    let reason = |name: &str| {
        if words.is_empty() {
            format!("{status} {name}")
        } else {
            format!("{status} {name} — {words}")
        }
    };
    match status {
        401 => HttpOutcome::Fatal(reason("Unauthorized (check the bearer token)")),
        403 => HttpOutcome::Fatal(reason("Forbidden")),
        429 => HttpOutcome::Retry(
            Failure::RateLimited {
                reset_in: rate_limit_reset,
            },
            reason("Too Many Requests"),
        ),
        500..=599 => HttpOutcome::Retry(Failure::Server, reason("server error")),
        _ => HttpOutcome::Fatal(reason("refused")),
    }
}

/// Seconds until the epoch time in `x-rate-limit-reset`.
pub fn reset_in(header: Option<&str>, now_epoch_secs: i64) -> Option<Duration> {
    let reset: i64 = header?.trim().parse().ok()?;
    Some(Duration::from_secs(
        u64::try_from((reset - now_epoch_secs).max(0)).unwrap_or(0),
    ))
}

pub(crate) fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("ktui/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

/// A reqwest error's text without the URL's query string, with its root cause
/// ("Connection refused", "certificate verify failed", …).
pub(crate) fn without_url_query(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut root = None;
    while let Some(c) = cause {
        root = Some(c.to_string());
        cause = c.source();
    }
    if let Some(root) = root.filter(|r| !text.contains(r.as_str())) {
        text = format!("{text}: {root}");
    }
    match text.find('?') {
        Some(i) => {
            let end = text[i..]
                .find(|c: char| c == ')' || c.is_whitespace())
                .map_or(text.len(), |j| i + j);
            format!("{}{}", &text[..i], &text[end..])
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWEET: &[u8] = br#"{"data":{"author_id":"2244994945","created_at":"2026-11-22T10:00:00.000Z","id":"1851111111111111111","lang":"en","text":"Kafka at last \u00e9"},"includes":{"users":[{"id":"2244994945","name":"Developers","username":"XDevelopers"}]},"matching_rules":[{"id":"1","tag":"kafka"}]}"#;

    #[test]
    fn lines_survive_any_chunking() {
        let mut body = TWEET.to_vec();
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(TWEET);
        body.extend_from_slice(b"\r\n");
        for cut in [1, 7, 64, 300, body.len()] {
            let mut splitter = LineSplitter::default();
            let lines: Vec<Vec<u8>> = body.chunks(cut).flat_map(|c| splitter.push(c)).collect();
            assert_eq!(lines.len(), 3, "chunks of {cut}");
            assert_eq!(parse_line(&lines[1]), Line::KeepAlive);
        }
    }

    #[test]
    fn a_tweet_is_normalised() {
        let Line::Post(post) = parse_line(TWEET) else {
            panic!("not a post")
        };
        assert_eq!(post.id, "1851111111111111111");
        assert_eq!(post.text, "Kafka at last é");
        assert_eq!(post.author.username, "XDevelopers");
        assert_eq!(post.author.name, "Developers");
        assert_eq!(post.lang.as_deref(), Some("en"));
        assert_eq!(post.matching_rules, vec!["kafka".to_string()]);
        assert_eq!(
            post.url.as_deref(),
            Some("https://x.com/XDevelopers/status/1851111111111111111")
        );
    }

    #[test]
    fn operational_disconnect_is_an_error_line() {
        let line = br#"{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect","detail":"This stream has been disconnected upstream for operational reasons.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}"#;
        assert!(
            matches!(parse_line(line), Line::Error { title, .. } if title == "operational-disconnect")
        );
    }

    #[test]
    fn http_statuses_are_classified() {
        let unauthorized = br#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
        assert_eq!(
            classify_status(401, unauthorized, None),
            HttpOutcome::Fatal("401 Unauthorized (check the bearer token) — Unauthorized".into())
        );
        let forbidden = br#"{"title":"Client Forbidden","detail":"This request must be made using an approved developer account","reason":"client-not-enrolled"}"#;
        assert!(
            matches!(classify_status(403, forbidden, None), HttpOutcome::Fatal(r) if r.contains("Client Forbidden: This request must be made"))
        );
        assert!(matches!(
            classify_status(429, b"{}", Some(Duration::from_secs(30))),
            HttpOutcome::Retry(Failure::RateLimited { reset_in: Some(d) }, _) if d == Duration::from_secs(30)
        ));
        assert!(matches!(
            classify_status(503, b"", None),
            HttpOutcome::Retry(Failure::Server, _)
        ));
        assert_eq!(reset_in(Some("1000"), 970), Some(Duration::from_secs(30)));
        assert_eq!(reset_in(Some("900"), 970), Some(Duration::ZERO));
    }

    #[test]
    fn the_token_never_prints() {
        let options = Options {
            api_base: "https://api.twitter.com".into(),
            token: Secret::new("AAAA-very-secret"),
            stream: Stream::Filtered,
        };
        assert!(!format!("{options:?}").contains("very-secret"));
    }
}
