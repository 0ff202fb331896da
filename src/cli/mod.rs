//! The command line: flags for the TUI and the headless subcommands.

use std::collections::HashSet;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory as _, FromArgMatches as _, Parser};

use crate::kafka::ValueFormat;
use crate::kafka::client::parse_property;
use crate::kafka::position::{StartPosition, now_ms, parse_partitions};
use crate::kafka::tail::TailDefaults;
use crate::size::Bounds;

mod feed;
mod groups;
mod headless;

pub use feed::FeedOptions;
pub use groups::{GroupsAction, GroupsArgs, ResetArgs};
pub use headless::{ConsumeArgs, Format, Headless, MoreProperties, ProduceArgs};

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
            && let Ok(value) = value.parse::<ValueFormat>()
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
            self.tail.offset.clone_from(offset);
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
            schema_registry: self.schema_registry.as_deref(),
            proto: (!self.proto_file.is_empty()
                || self.proto_type.is_some()
                || self.key_proto_type.is_some())
            .then(|| crate::schema::ProtoSpec {
                files: self.proto_file.clone(),
                include: self.proto_path.clone(),
                value_type: self.proto_type.clone(),
                key_type: self.key_proto_type.clone(),
            }),
        }
    }

    /// The tail's start position, partitions and group from the flags.
    pub fn tail_defaults(&self) -> anyhow::Result<TailDefaults> {
        self.tail.defaults().map_err(anyhow::Error::msg)
    }
}

/// Where a tail starts and what it reads: the Tail tab's flags, and `ktui consume`'s.
#[derive(Debug, Clone, clap::Args)]
pub struct TailFlags {
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

    /// Read as a member of this consumer group (subscribes and commits) instead of
    /// without a group.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
}

impl TailFlags {
    /// The start position, partitions and group these flags give, or what is wrong.
    pub fn defaults(&self) -> Result<TailDefaults, String> {
        Ok(TailDefaults {
            start: StartPosition::parse(&self.offset, now_ms())?,
            partitions: self
                .partitions
                .as_deref()
                .map(parse_partitions)
                .transpose()?,
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

/// `500ms`, `2s`, `1m` (jiff's friendly durations), or `off` (zero).
fn parse_interval(text: &str) -> Result<Duration, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Duration::ZERO);
    }
    let parsed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (like 500ms, 2s, 1m) or off"))?;
    Duration::try_from(parsed).map_err(|_| format!("{text:?} is negative"))
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

    /// A schema registry (the Confluent REST API, as Confluent, Karapace, Apicurio and
    /// Redpanda serve it) to decode framed Avro, Protobuf and JSON Schema records;
    /// http://user:password@host:8081 logs in.
    #[arg(long, value_name = "URL", env = "KTUI_SCHEMA_REGISTRY", global = true)]
    pub schema_registry: Option<String>,

    /// Read values as Protobuf messages of a type these .proto files define (repeatable;
    /// compiled in-process, no protoc needed): raw or Confluent-framed. Needs --proto-type.
    #[arg(long, value_name = "FILE.proto", global = true)]
    pub proto_file: Vec<PathBuf>,

    /// Where the .proto files' imports are found (repeatable; the files' own folders are
    /// searched too).
    #[arg(long, value_name = "DIR", global = true)]
    pub proto_path: Vec<PathBuf>,

    /// The values' message type (pkg.Message) for --proto-file.
    #[arg(long, value_name = "TYPE", global = true)]
    pub proto_type: Option<String>,

    /// The keys' message type (pkg.Message) for --proto-file.
    #[arg(long, value_name = "TYPE", global = true)]
    pub key_proto_type: Option<String>,

    /// Open the Tail tab on this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,

    #[command(flatten)]
    pub tail: TailFlags,

    /// The tail buffer's bound: records, or records,size (e.g. 100000,256MiB).
    #[arg(long, value_name = "N[,SIZE]", default_value = "100000,256MiB", value_parser = Bounds::parse)]
    pub buffer: Bounds,

    /// Run on an embedded demo cluster (no Kafka needed) that any Kafka client can use too,
    /// at 127.0.0.1:9092 when free (see --demo-listen), with a schema registry at
    /// 127.0.0.1:8081 when free (see --demo-registry-listen).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Where the demo cluster's first broker listens; when it is taken, any free port (the
    /// status bar shows which).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "KTUI_DEMO_LISTEN",
        default_value = crate::kafka::demo::QUICKSTART_ADDRESS,
        global = true
    )]
    pub demo_listen: SocketAddr,

    /// Where the demo's schema registry listens; when it is taken, any free port (the
    /// Schemas tab shows which).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "KTUI_DEMO_REGISTRY_LISTEN",
        default_value = crate::kafka::demo::registry::REGISTRY_ADDRESS,
        global = true
    )]
    pub demo_registry_listen: SocketAddr,

    /// How often, on average, the demo writes a made-up record into `sample` (500ms, 2s,
    /// 1m; off: never).
    #[arg(
        long,
        value_name = "INTERVAL",
        env = "KTUI_DEMO_TRICKLE",
        default_value = "2s",
        value_parser = parse_interval,
        global = true
    )]
    pub demo_trickle: Duration,

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
        let cli = Cli::try_parse_from(["ktui", "brokers", "--json", "--timeout", "3", "-b", "y:2"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Some(Headless::Brokers {
                json: true,
                timeout: 3,
                ..
            })
        ));
        assert_eq!(cli.brokers, "y:2");
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
        assert_eq!(cli.tail.offset, "beginning");
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
