//! The command line: flags for the TUI and the headless subcommands.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::kafka::client::parse_property;
use crate::kafka::feed_bridge::ValueFormat;
use crate::kafka::position::{StartPosition, now_ms, parse_partitions};
use crate::ui::tabs::tail::TailDefaults;
use crate::ui::tabs::tail::buffer::Bounds;

impl Cli {
    /// Parses the process's arguments; prints help or the error and exits like `parse()`.
    pub fn parse_args() -> Self {
        Self::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses arguments and remembers which flags the user gave (on the command line or
    /// by environment), so the config file fills in only the others.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = Self::command().try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        collect_explicit(&matches, &mut cli.explicit);
        cli.merge_subcommand_flags(&matches);
        Ok(cli)
    }

    /// `-X` and the feed's options may come before and after the subcommand: the ones
    /// after it are added to (`-X`) or replace (feed options) the ones before.
    fn merge_subcommand_flags(&mut self, matches: &ArgMatches) {
        let Some(command) = &mut self.command else {
            return;
        };
        self.properties
            .append(&mut command.more_properties_mut().properties);
        if let Headless::Feed { options, .. } = command
            && let Some((_, sub)) = matches.subcommand()
        {
            let given = |id: &str| {
                matches!(
                    sub.value_source(id),
                    Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                )
            };
            self.feed_options.replace_given(options, given);
        }
    }

    /// Whether the user gave this flag (by its field name, e.g. `brokers`).
    pub fn given(&self, id: &str) -> bool {
        self.explicit.contains(id)
    }

    /// Fills what the command line left at its default from the config file.
    pub fn apply_config(&mut self, file: &crate::config::ConfigFile) {
        let feed = &file.feed;
        if !self.given("feed") && self.feed.is_none() {
            self.feed.clone_from(&feed.source);
        }
        let options = &mut self.feed_options;
        if let Some(topic) = &feed.topic
            && !self.explicit.contains("feed_topic")
        {
            options.feed_topic.clone_from(topic);
        }
        if let Some(value) = &feed.value
            && !self.explicit.contains("value")
            && let Ok(value) = <ValueFormat as clap::ValueEnum>::from_str(value, true)
        {
            options.value = value;
        }
        if let Some(base) = &feed.twitter_api_base
            && !self.explicit.contains("twitter_api_base")
        {
            options.twitter_api_base.clone_from(base);
        }
        if let Some(sample) = feed.twitter_sample
            && !self.explicit.contains("twitter_sample")
        {
            options.twitter_sample = sample;
        }
        if let Some(url) = &feed.jetstream_url
            && !self.explicit.contains("jetstream_url")
        {
            options.jetstream_url.clone_from(url);
        }
        if let Some(rate) = feed.replay_rate
            && !self.explicit.contains("replay_rate")
        {
            options.replay_rate = rate;
        }
        options.token.clone_from(&feed.token);
        if let Some(buffer) = &file.ui.buffer
            && !self.explicit.contains("buffer")
            && let Ok(bounds) = Bounds::parse(buffer)
        {
            self.buffer = bounds;
        }
        if let Some(offset) = &file.ui.offset
            && !self.explicit.contains("offset")
        {
            self.offset.clone_from(offset);
        }
    }

    /// What the command line says about the cluster, for [`crate::config::profile::build`].
    pub fn selection(&self) -> crate::config::Selection<'_> {
        crate::config::Selection {
            cluster: self.cluster.as_deref(),
            brokers: self.given("brokers").then_some(self.brokers.as_str()),
            kcat_file: self.kcat_config.as_deref(),
            properties: &self.properties,
            read_only: self.read_only,
        }
    }

    /// The tail's start position, partitions and group from the flags.
    pub fn tail_defaults(&self) -> anyhow::Result<TailDefaults> {
        Ok(TailDefaults {
            start: StartPosition::parse(&self.offset, now_ms()).map_err(anyhow::Error::msg)?,
            partitions: self
                .partitions
                .as_deref()
                .map(parse_partitions)
                .transpose()
                .map_err(anyhow::Error::msg)?,
            group: self.group.clone(),
        })
    }
}

fn collect_explicit(matches: &ArgMatches, into: &mut HashSet<String>) {
    for id in matches.ids() {
        if matches!(
            matches.value_source(id.as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            into.insert(id.to_string());
        }
    }
    if let Some((_, sub)) = matches.subcommand() {
        collect_explicit(sub, into);
    }
}

/// A terminal UI for Apache Kafka: browse topics, tail, compose, and pipe a live feed in.
#[derive(Debug, Parser)]
#[command(name = "ktui", version, about, long_about = None)]
pub struct Cli {
    /// Bootstrap brokers, comma separated.
    #[arg(
        short = 'b',
        long = "brokers",
        value_name = "LIST",
        env = "KAFKA_BOOTSTRAP_SERVERS",
        default_value = "localhost:9092",
        global = true
    )]
    pub brokers: String,

    /// A librdkafka property, as kcat takes it (repeatable), e.g. -X security.protocol=SSL.
    /// Subcommands take more after their name (see [`MoreProperties`]).
    #[arg(short = 'X', value_name = "PROP=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,

    /// Use this cluster from the config file (its brokers, properties, colour, read-only).
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,

    /// Read librdkafka properties from a file in kcat's -F format (property=value lines).
    #[arg(short = 'F', value_name = "FILE", global = true)]
    pub kcat_config: Option<PathBuf>,

    /// Refuse every write: no producing, no topic create/delete, no feed publishing.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Open the Tail tab on this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,

    /// Where tails start: end, beginning, N, -N (last N per partition), @TIME (@-15m, ISO 8601).
    #[arg(
        short = 'o',
        long = "offset",
        value_name = "POS",
        default_value = "end",
        allow_hyphen_values = true
    )]
    pub offset: String,

    /// Tail only these partitions (0,2 or 0-3).
    #[arg(short = 'p', long = "partitions", value_name = "LIST")]
    pub partitions: Option<String>,

    /// Tail as a member of this consumer group (subscribes and commits) instead of reading
    /// without a group.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,

    /// The tail buffer's bound: records, or records,size (e.g. 100000,256MiB).
    #[arg(long, value_name = "N[,SIZE]", default_value = "100000,256MiB", value_parser = Bounds::parse)]
    pub buffer: Bounds,

    /// Run on an embedded demo cluster (no Kafka needed); it also listens on 127.0.0.1:9092 when free.
    #[arg(long, global = true)]
    pub demo: bool,

    /// Start a post source with the TUI: twitter, bluesky, or replay:PATH (off: none, even
    /// in --demo, which otherwise replays made-up tweets into the feed topic).
    #[arg(long, value_name = "SOURCE")]
    pub feed: Option<String>,

    #[command(flatten)]
    pub feed_options: FeedOptions,

    #[command(subcommand)]
    pub command: Option<Headless>,

    /// The flags the user gave (field names), filled by [`Cli::try_parse_args`].
    #[arg(skip)]
    pub explicit: HashSet<String>,
}

/// Settings of the post sources (shared by `--feed` and `ktui feed`).
#[derive(Debug, Clone, clap::Args)]
pub struct FeedOptions {
    /// The topic posts are published into.
    #[arg(long = "feed-topic", value_name = "TOPIC", default_value = "tweets")]
    pub feed_topic: String,
    /// What each record's value holds: the normalised JSON, or only the text.
    #[arg(long = "value", value_enum, default_value_t = ValueFormat::Json)]
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
    fn replace_given(&mut self, other: &Self, given: impl Fn(&str) -> bool) {
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

/// Scriptable subcommands: same engine, no terminal UI.
#[derive(Debug, Subcommand)]
pub enum Headless {
    /// Print the topic table (or JSON) and exit.
    Topics {
        /// Print a JSON array of {name, partitions, replication_factor, messages, …}.
        #[arg(long)]
        json: bool,
        /// Give up on an unreachable cluster after this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        timeout: u64,
        #[command(flatten)]
        more: MoreProperties,
    },
    /// Print records from a topic, like kcat -C.
    Consume(ConsumeArgs),
    /// Publish messages from stdin (or files), like kcat -P.
    Produce(ProduceArgs),
    /// Show the config file, the clusters it defines and the settings in effect (secrets
    /// masked); exits 2 if the file has an error.
    Config {
        #[command(flatten)]
        more: MoreProperties,
    },
    /// Run only the feed bridge: a post source published into a topic.
    Feed {
        /// twitter, bluesky, or replay:PATH.
        #[arg(long, value_name = "SOURCE")]
        source: String,
        /// The topic to publish into (default: --feed-topic).
        #[arg(long, value_name = "TOPIC")]
        topic: Option<String>,
        #[command(flatten)]
        options: FeedOptions,
        #[command(flatten)]
        more: MoreProperties,
    },
}

/// `-X` after a subcommand's name: added after the ones before it (a global flag would
/// keep only one side's).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MoreProperties {
    /// A librdkafka property, as kcat takes it (repeatable), e.g. -X security.protocol=SSL.
    #[arg(short = 'X', value_name = "PROP=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

impl Headless {
    /// What this command would write to the cluster, in words; `None` for read-only work.
    pub fn writes(&self) -> Option<&'static str> {
        match self {
            Self::Produce(_) => Some("Producing"),
            Self::Feed { .. } => Some("Feed publishing"),
            Self::Consume(args) if args.group.is_some() => {
                Some("Consuming as a group (it commits offsets)")
            }
            Self::Topics { .. } | Self::Consume(_) | Self::Config { .. } => None,
        }
    }

    fn more_properties_mut(&mut self) -> &mut MoreProperties {
        match self {
            Self::Topics { more, .. } | Self::Config { more } | Self::Feed { more, .. } => more,
            Self::Consume(args) => &mut args.more,
            Self::Produce(args) => &mut args.more,
        }
    }
}

/// `ktui produce`: messages from stdin, one per line (or NDJSON envelopes), like `kcat -P`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProduceArgs {
    pub topic: String,
    /// Read these files instead of stdin: each file is one message (with -l: one per line).
    pub files: Vec<std::path::PathBuf>,
    /// The key of every message.
    #[arg(short = 'k', value_name = "KEY")]
    pub key: Option<String>,
    /// Split each line at the first SEP into key and value, like kcat -K.
    #[arg(short = 'K', value_name = "SEP")]
    pub key_separator: Option<String>,
    /// A header on every message (repeatable).
    #[arg(short = 'H', value_name = "NAME=VALUE", value_parser = crate::kafka::produce::parse_header)]
    pub headers: Vec<crate::kafka::model::Header>,
    /// Send to this partition instead of letting the partitioner choose.
    #[arg(short = 'p', value_name = "PARTITION")]
    pub partition: Option<i32>,
    /// text: one message per line; json: NDJSON envelopes (as consume --format json writes).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// With files: one message per line instead of one per file.
    #[arg(short = 'l')]
    pub lines: bool,
    /// Send empty lines as empty messages (by default they are skipped, as kcat does).
    #[arg(long = "keep-empty")]
    pub keep_empty: bool,
    #[command(flatten)]
    pub more: MoreProperties,
}

/// `ktui consume`: print records, like `kcat -C`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumeArgs {
    pub topic: String,
    /// Where to start: end, beginning, N (offset), -N (last N per partition), @TIME
    /// (ISO 8601, epoch ms, or relative like @-15m).
    #[arg(
        short = 'o',
        long = "offset",
        value_name = "POS",
        default_value = "end",
        allow_hyphen_values = true
    )]
    pub offset: String,
    /// Only these partitions, e.g. 0,2 or 0-3.
    #[arg(short = 'p', long = "partitions", value_name = "LIST")]
    pub partitions: Option<String>,
    /// Stop after this many records (after the filter).
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Exit once every partition has reached its end.
    #[arg(short = 'e', long = "exit")]
    pub exit_at_end: bool,
    /// text: one value per line; json: one NDJSON envelope per record.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the key before the value, separated by SEP (text format), like kcat -K.
    #[arg(short = 'K', value_name = "SEP")]
    pub key_separator: Option<String>,
    /// Only records that match: text, /regex/, or a jq expression (.user.id == 42).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Consume as a member of this consumer group (subscribes and commits).
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    #[command(flatten)]
    pub more: MoreProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_kcat_style_flags() {
        let cli = Cli::try_parse_from([
            "ktui",
            "-b",
            "k1:9092,k2:9092",
            "-X",
            "security.protocol=SSL",
            "--topic",
            "sample",
        ])
        .unwrap();
        assert_eq!(cli.brokers, "k1:9092,k2:9092");
        assert_eq!(
            cli.properties,
            vec![("security.protocol".into(), "SSL".into())]
        );
        assert_eq!(cli.topic.as_deref(), Some("sample"));
        let cli = Cli::try_parse_from(["ktui", "topics", "--json", "-b", "x:1"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Headless::Topics { json: true, .. })
        ));
        assert_eq!(cli.brokers, "x:1");
        assert!(Cli::try_parse_from(["ktui", "-X", "nonsense"]).is_err());
    }

    #[test]
    fn remembers_which_flags_were_given() {
        let cli = Cli::try_parse_args([
            "ktui",
            "--cluster",
            "prod",
            "--read-only",
            "--feed-topic",
            "t",
        ])
        .unwrap();
        assert!(cli.given("cluster") && cli.given("feed_topic") && !cli.given("offset"));
        assert!(cli.read_only);
        let cli = Cli::try_parse_args(["ktui", "consume", "x", "-b", "h:1"]).unwrap();
        assert!(cli.given("brokers"), "{:?}", cli.explicit);
        let mut cli = Cli::try_parse_args(["ktui", "--feed-topic", "mine"]).unwrap();
        let file = crate::config::file::parse(
            "[feed]\ntopic = \"theirs\"\nsource = \"bluesky\"\n[ui]\noffset = \"beginning\"\n",
            std::path::Path::new("c.toml"),
        )
        .unwrap();
        cli.apply_config(&file);
        assert_eq!(cli.feed_options.feed_topic, "mine");
        assert_eq!(cli.feed.as_deref(), Some("bluesky"));
        assert_eq!(cli.offset, "beginning");
    }

    #[test]
    fn the_feed_token_comes_from_the_config_file_as_any_secret_does() {
        let mut cli = Cli::try_parse_args(["ktui"]).unwrap();
        let file = crate::config::file::parse(
            "[feed]\ntoken = \"cmd:printf tok-from-cmd\"\n",
            std::path::Path::new("c.toml"),
        )
        .unwrap();
        cli.apply_config(&file);
        match cli.feed_options.source("twitter").unwrap() {
            crate::feed::SourceSpec::Twitter(options) => {
                assert_eq!(options.token.expose(), "tok-from-cmd");
                assert!(!format!("{options:?}").contains("tok-from-cmd"));
            }
            other => panic!("{other:?}"),
        }
        cli.feed_options.token = Some("env:KTUI_CLI_TEST_UNSET_TOKEN".into());
        let error = cli.feed_options.source("twitter").unwrap_err();
        assert_eq!(
            error,
            "the X bearer token (feed.token): env:KTUI_CLI_TEST_UNSET_TOKEN is not set"
        );
    }
}
