//! The post sources' flags, shared by `--feed` and `ktui feed`.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser as _};

use crate::kafka::ValueFormat;

/// Settings of the post sources (shared by `--feed` and `ktui feed`).
#[derive(Debug, Clone, clap::Args)]
pub struct FeedOptions {
    /// The topic posts are published into.
    #[arg(long = "feed-topic", value_name = "TOPIC", default_value = "tweets")]
    pub feed_topic: String,
    /// What each record's value holds: the normalised JSON, or only the text.
    #[arg(
        long = "value",
        default_value_t = ValueFormat::Json,
        value_parser = PossibleValuesParser::new([
            PossibleValue::new("json").help("The normalised post as JSON"),
            PossibleValue::new("text").help("Only the text (the quickstart's format)"),
        ])
        .try_map(|name| name.parse::<ValueFormat>())
    )]
    pub value: ValueFormat,
    /// The X API base URL.
    #[arg(
        long = "twitter-api-base",
        value_name = "URL",
        default_value = "https://api.twitter.com"
    )]
    pub twitter_api_base: String,
    /// Use the sampled stream instead of the filtered stream (which needs rules).
    #[arg(long = "twitter-sample")]
    pub twitter_sample: bool,
    /// The Jetstream WebSocket URL for the bluesky source.
    #[arg(long = "jetstream-url", value_name = "URL", default_value = crate::feed::jetstream::DEFAULT_URL)]
    pub jetstream_url: String,
    /// Posts per second for replay sources.
    #[arg(long = "replay-rate", value_name = "N", default_value_t = 5.0)]
    pub replay_rate: f64,
    /// The X bearer token as the config file gives it (literal, env:VAR or cmd:COMMAND).
    #[arg(skip)]
    pub token: Option<String>,
}

impl FeedOptions {
    /// Takes the options `given` says were on the command line from `other`.
    pub(super) fn replace_given(&mut self, other: &Self, given: impl Fn(&str) -> bool) {
        if given("feed_topic") {
            self.feed_topic.clone_from(&other.feed_topic);
        }
        if given("value") {
            self.value = other.value;
        }
        if given("twitter_api_base") {
            self.twitter_api_base.clone_from(&other.twitter_api_base);
        }
        if given("twitter_sample") {
            self.twitter_sample = other.twitter_sample;
        }
        if given("jetstream_url") {
            self.jetstream_url.clone_from(&other.jetstream_url);
        }
        if given("replay_rate") {
            self.replay_rate = other.replay_rate;
        }
    }

    /// Turns `twitter`, `bluesky` or `replay:PATH` into a source. The X token comes from
    /// `X_BEARER_TOKEN` (or `TWITTER_BEARER_TOKEN`).
    pub fn source(&self, name: &str) -> Result<crate::feed::SourceSpec, String> {
        use crate::feed::SourceSpec;
        use crate::feed::twitter::{Options, Secret, Stream};
        match name {
            "twitter" | "x" => {
                let token = match &self.token {
                    Some(spec) => crate::secret::SecretSpec::parse(spec)
                        .resolve()
                        .map_err(|e| format!("the X bearer token (feed.token): {e}"))?,
                    None => std::env::var("X_BEARER_TOKEN")
                        .or_else(|_| std::env::var("TWITTER_BEARER_TOKEN"))
                        .ok()
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| Secret::new(t.trim()))
                        .ok_or("the twitter source needs a bearer token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN), or feed.token in the config file")?,
                };
                Ok(SourceSpec::Twitter(Options {
                    api_base: self.twitter_api_base.clone(),
                    token,
                    stream: if self.twitter_sample {
                        Stream::Sample
                    } else {
                        Stream::Filtered
                    },
                }))
            }
            "bluesky" | "jetstream" => Ok(SourceSpec::Bluesky {
                url: self.jetstream_url.clone(),
            }),
            other => match other.strip_prefix("replay:") {
                Some(path) if !path.is_empty() => Ok(SourceSpec::Replay {
                    path: Some(path.into()),
                    per_second: self.replay_rate,
                    rounds: 1,
                }),
                _ => Err(format!(
                    "unknown feed source {other:?}: use twitter, bluesky or replay:PATH"
                )),
            },
        }
    }
}
