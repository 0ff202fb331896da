//! The command line: flags for the TUI and the headless subcommands.

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::kafka::client::parse_property;

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
    #[arg(short = 'X', value_name = "PROP=VALUE", value_parser = parse_property, global = true)]
    pub properties: Vec<(String, String)>,

    /// Open the Tail tab on this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,

    /// Run on an embedded demo cluster (no Kafka needed); it also listens on 127.0.0.1:9092 when free.
    #[arg(long, global = true)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Headless>,
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
    },
}

impl Headless {
    pub fn timeout(&self) -> Duration {
        match self {
            Self::Topics { timeout, .. } => Duration::from_secs(*timeout),
        }
    }
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
}
