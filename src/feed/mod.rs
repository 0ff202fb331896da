//! Live post sources (X API v2 streams, Bluesky Jetstream, an offline replay) and the
//! normalised post they all produce. No UI imports: the worker publishes the posts into a
//! topic, and the headless `ktui feed` runs the same code.

pub mod backoff;
pub mod jetstream;
pub mod replay;
pub mod twitter;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Author {
    pub id: String,
    pub username: String,
    pub name: String,
}

/// One post, whatever its source: the value written to the feed topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Post {
    pub id: String,
    pub text: String,
    pub author: Author,
    pub created_at: Option<String>,
    pub lang: Option<String>,
    /// `twitter`, `bluesky` or `replay`.
    pub source: String,
    pub url: Option<String>,
    /// The tags of the filtered-stream rules that matched.
    #[serde(default)]
    pub matching_rules: Vec<String>,
}

/// Where a source is in its life; shown in the Feed pane and logged by `ktui feed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedState {
    Connecting,
    Streaming,
    Reconnecting {
        after: Duration,
        because: String,
    },
    /// Done for good: a fatal error (401, 403, …), the end of a replay, or a stop.
    Stopped {
        reason: String,
        fatal: bool,
    },
}

impl fmt::Display for FeedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connecting => f.write_str("connecting"),
            Self::Streaming => f.write_str("streaming"),
            Self::Reconnecting { after, because } if after.as_secs() == 0 => {
                write!(
                    f,
                    "reconnecting in {} ms because {because}",
                    after.as_millis()
                )
            }
            Self::Reconnecting { after, because } => {
                write!(f, "reconnecting in {} s because {because}", after.as_secs())
            }
            // A plain stop (asked for) has no reason beyond itself: not "stopped: stopped".
            Self::Stopped { reason, .. } if reason == "stopped" => write!(f, "stopped"),
            Self::Stopped { reason, .. } => write!(f, "stopped: {reason}"),
        }
    }
}

impl FeedState {
    pub fn stopped(reason: impl Into<String>, fatal: bool) -> Self {
        Self::Stopped {
            reason: reason.into(),
            fatal,
        }
    }
}

/// Reports a state change (the receiver is gone only when the app is quitting).
pub(crate) async fn report(events: &mpsc::Sender<SourceEvent>, state: FeedState) {
    let _ = events.send(SourceEvent::State(state)).await;
}

/// What a source reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEvent {
    State(FeedState),
    Post(Box<Post>),
}

/// Which source to run, parsed from `--feed` / `--source`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    Twitter(twitter::Options),
    Bluesky {
        url: String,
    },
    /// `path: None` plays the made-up tweets shipped in `assets/` (for `--demo`).
    Replay {
        path: Option<std::path::PathBuf>,
        per_second: f64,
        /// How many times to play the file; 0: forever.
        rounds: u32,
    },
}

impl SourceSpec {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Twitter(_) => "twitter",
            Self::Bluesky { .. } => "bluesky",
            Self::Replay { .. } => "replay",
        }
    }
}

/// Runs a source until it stops for good or `stop` fires; events go to `events`.
pub async fn run_source(spec: SourceSpec, events: mpsc::Sender<SourceEvent>, stop: stop::Stop) {
    match spec {
        SourceSpec::Twitter(options) => twitter::run(options, events, stop).await,
        SourceSpec::Bluesky { url } => jetstream::run(&url, events, stop).await,
        SourceSpec::Replay {
            path: Some(path),
            per_second,
            rounds,
        } => {
            replay::run(&path, per_second, rounds, events, stop).await;
        }
        SourceSpec::Replay {
            path: None,
            per_second,
            rounds,
        } => {
            replay::play(
                replay::parse_posts(replay::DEMO_TWEETS),
                per_second,
                rounds,
                events,
                stop,
            )
            .await;
        }
    }
}

/// A cancellation signal a source checks at every await point.
pub mod stop {
    use tokio::sync::watch;

    #[derive(Clone, Debug)]
    pub struct Stop(watch::Receiver<bool>);

    #[derive(Debug)]
    pub struct StopHandle(watch::Sender<bool>);

    pub fn pair() -> (StopHandle, Stop) {
        let (tx, rx) = watch::channel(false);
        (StopHandle(tx), Stop(rx))
    }

    impl StopHandle {
        pub fn stop(&self) {
            let _ = self.0.send(true);
        }
    }

    impl Stop {
        pub fn is_stopped(&self) -> bool {
            *self.0.borrow()
        }

        /// Resolves when stop is requested (or the handle is dropped).
        pub async fn stopped(&mut self) {
            while !*self.0.borrow() {
                if self.0.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FeedState;

    #[test]
    fn a_plain_stop_says_stopped_once_and_a_reason_follows_otherwise() {
        assert_eq!(FeedState::stopped("stopped", false).to_string(), "stopped");
        assert_eq!(
            FeedState::stopped("end of the replay", false).to_string(),
            "stopped: end of the replay"
        );
    }
}
