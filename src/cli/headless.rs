//! The headless subcommands and their arguments.

use clap::Subcommand;

use super::FeedOptions;
use crate::kafka::client::parse_property;

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
    /// Print the brokers (address, rack, controller, up or not, partitions led and hosted,
    /// log size), or JSON with each broker's configs and log dirs too, and exit.
    Brokers {
        /// Print JSON: {cluster_id, controller, brokers: [{id, address, configs, log_dirs,
        /// …}], warnings}.
        #[arg(long)]
        json: bool,
        /// Give up on an unreachable cluster after this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        timeout: u64,
        #[command(flatten)]
        more: MoreProperties,
    },
    /// List consumer groups with their type, state, members and lag (or describe, reset,
    /// delete them), like kafka-consumer-groups.sh.
    Groups(super::GroupsArgs),
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
            Self::Consume(args) if args.tail.group.is_some() => {
                Some("Consuming as a group (it commits offsets)")
            }
            Self::Groups(args) => args.writes(),
            Self::Topics { .. } | Self::Brokers { .. } | Self::Consume(_) | Self::Config { .. } => {
                None
            }
        }
    }

    pub(super) fn more_properties_mut(&mut self) -> &mut MoreProperties {
        match self {
            Self::Topics { more, .. }
            | Self::Brokers { more, .. }
            | Self::Config { more }
            | Self::Feed { more, .. } => more,
            Self::Consume(args) => &mut args.more,
            Self::Produce(args) => &mut args.more,
            Self::Groups(args) => &mut args.more,
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
    pub schemas: ProduceSchemas,
    #[command(flatten)]
    pub more: MoreProperties,
}

/// `ktui produce`'s schema flags: values (and keys) typed as JSON, written framed with a
/// registry schema, as the Confluent serializers write them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProduceSchemas {
    /// Encode each value (a JSON line) with this subject's schema from the registry
    /// (--schema-registry): Avro, Protobuf or JSON Schema.
    #[arg(long, value_name = "SUBJECT", conflicts_with = "value_schema_id")]
    pub value_subject: Option<String>,
    /// The subject's version (default: its latest).
    #[arg(long, value_name = "N", requires = "value_subject")]
    pub value_version: Option<i32>,
    /// Encode each value with the schema of this id.
    #[arg(long, value_name = "ID")]
    pub value_schema_id: Option<u32>,
    /// Protobuf: the message type of the value (default: the schema's first message).
    #[arg(long, value_name = "NAME")]
    pub value_message: Option<String>,
    /// Encode each key (-K, -k) with this subject's schema.
    #[arg(long, value_name = "SUBJECT", conflicts_with = "key_schema_id")]
    pub key_subject: Option<String>,
    /// The key subject's version (default: its latest).
    #[arg(long, value_name = "N", requires = "key_subject")]
    pub key_version: Option<i32>,
    /// Encode each key with the schema of this id.
    #[arg(long, value_name = "ID")]
    pub key_schema_id: Option<u32>,
    /// Protobuf: the message type of the key (default: the schema's first message).
    #[arg(long, value_name = "NAME")]
    pub key_message: Option<String>,
    /// With --proto-file: frame what is written with this schema id (as the Confluent
    /// serializers do) instead of writing raw Protobuf.
    #[arg(long, value_name = "ID")]
    pub proto_schema_id: Option<u32>,
}

impl ProduceSchemas {
    /// The value's schema, when one is asked for.
    pub fn value(&self) -> Option<crate::schema::SchemaChoice> {
        (self.value_subject.is_some() || self.value_schema_id.is_some()).then(|| {
            crate::schema::SchemaChoice {
                subject: self.value_subject.clone(),
                version: self.value_version,
                id: self.value_schema_id,
                message: self.value_message.clone(),
            }
        })
    }

    /// The key's schema, when one is asked for.
    pub fn key(&self) -> Option<crate::schema::SchemaChoice> {
        (self.key_subject.is_some() || self.key_schema_id.is_some()).then(|| {
            crate::schema::SchemaChoice {
                subject: self.key_subject.clone(),
                version: self.key_version,
                id: self.key_schema_id,
                message: self.key_message.clone(),
            }
        })
    }
}

/// `ktui consume`: print records, like `kcat -C`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumeArgs {
    pub topic: String,
    #[command(flatten)]
    pub tail: super::TailFlags,
    /// Stop after this many records (after the filter).
    #[arg(short = 'c', long = "count", visible_alias = "max", value_name = "N")]
    pub count: Option<u64>,
    /// Exit at the end of every partition (its end when the read starts; with --group,
    /// once the group's consumer reaches it).
    #[arg(short = 'e', long = "exit")]
    pub exit_at_end: bool,
    /// Read up to here and exit: now (the end when the read starts), an offset N, or
    /// @TIME (@2026-11-22T10:00:00Z, @-5m, epoch ms) — records before it, like kcat's
    /// -o e@TIME. Scans run on every core, with a progress bar on a terminal.
    #[arg(long, value_name = "END", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// text: one value per line; json: one NDJSON envelope per record.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print the key before the value, separated by SEP (text format), like kcat -K.
    #[arg(short = 'K', value_name = "SEP")]
    pub key_separator: Option<String>,
    /// Only records that match: text, /regex/, or a jq expression (.user.id == 42).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub more: MoreProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}
