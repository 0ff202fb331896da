//! `ktui groups …`: consumer groups in kafka-consumer-groups.sh's vocabulary.

use clap::{ArgGroup, Subcommand};

use super::MoreProperties;
use crate::kafka::groups::{ResetScope, ResetTo, TopicSelector, plan};

/// `ktui groups [describe|reset|delete|delete-offsets]`.
#[derive(Debug, Clone, clap::Args)]
pub struct GroupsArgs {
    #[command(subcommand)]
    pub action: Option<GroupsAction>,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub more: MoreProperties,
}

/// Taken before and after the subcommand's name (`ktui groups --json describe g` and
/// `ktui groups describe g --json` alike).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Output {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Give up on an unreachable cluster after this many seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum GroupsAction {
    /// Members, and per partition: committed offset, log end, lag and time lag.
    Describe {
        group: String,
        #[command(flatten)]
        output: Output,
    },
    /// Move a group's committed offsets. A dry run (the plan is printed) unless --execute.
    #[command(group(ArgGroup::new("mode").required(true).multiple(false).args(
        ["to_earliest", "to_latest", "to_offset", "to_datetime", "by_duration", "shift_by", "from_group"])))]
    Reset(ResetArgs),
    /// Delete a group (it must have no active members).
    Delete {
        group: String,
        /// Confirm: deleting a group cannot be undone.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Delete a group's committed offsets for a topic (the group must not consume it).
    DeleteOffsets {
        group: String,
        #[arg(long, value_name = "TOPIC")]
        topic: String,
        /// Confirm: deleted offsets cannot be restored.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        output: Output,
    },
}

/// `ktui groups reset G …`, with kafka-consumer-groups.sh's flags (which are switches:
/// hence the bools; clap's `ArgGroup` keeps exactly one mode).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, clap::Args)]
pub struct ResetArgs {
    pub group: String,
    /// Every partition the group has committed (the default without --topic).
    #[arg(long, conflicts_with = "topic")]
    pub all_topics: bool,
    /// TOPIC or TOPIC:PARTITION,PARTITION (repeatable).
    #[arg(long, value_name = "TOPIC[:P,P]")]
    pub topic: Vec<TopicSelector>,
    #[arg(long)]
    pub to_earliest: bool,
    #[arg(long)]
    pub to_latest: bool,
    /// Clamped into each partition's log, as Kafka's tool does.
    #[arg(long, value_name = "OFFSET", allow_negative_numbers = true)]
    pub to_offset: Option<i64>,
    /// YYYY-MM-DDTHH:mm:SS.sss with an optional zone (local time without), or epoch ms.
    #[arg(long, value_name = "DATETIME", value_parser = plan::parse_datetime)]
    pub to_datetime: Option<i64>,
    /// Back from now: PT10M (ISO 8601, as Kafka's tool) or 10m, 1h30m, 2d.
    #[arg(long, value_name = "DURATION", value_parser = plan::parse_duration)]
    pub by_duration: Option<i64>,
    /// Move each committed offset by N (negative: back).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub shift_by: Option<i64>,
    /// Copy another group's committed offsets.
    #[arg(long, value_name = "GROUP")]
    pub from_group: Option<String>,
    /// Write the new offsets (without it, only the plan is printed).
    #[arg(long)]
    pub execute: bool,
    /// Only print the plan (the default; kept for kafka-consumer-groups.sh's habit).
    #[arg(long, conflicts_with = "execute")]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: Output,
}

impl ResetArgs {
    pub fn to(&self) -> ResetTo {
        if self.to_earliest {
            ResetTo::Earliest
        } else if self.to_latest {
            ResetTo::Latest
        } else if let Some(offset) = self.to_offset {
            ResetTo::Offset(offset)
        } else if let Some(ms) = self.to_datetime {
            ResetTo::Datetime(ms)
        } else if let Some(ms) = self.by_duration {
            ResetTo::Duration(ms)
        } else if let Some(by) = self.shift_by {
            ResetTo::ShiftBy(by)
        } else {
            ResetTo::FromGroup(self.from_group.clone().unwrap_or_default())
        }
    }

    pub fn scope(&self) -> ResetScope {
        if self.topic.is_empty() {
            ResetScope::AllTopics
        } else {
            ResetScope::Topics(self.topic.clone())
        }
    }
}

impl GroupsArgs {
    /// JSON output, asked for before or after the subcommand.
    pub fn json(&self) -> bool {
        self.output.json || self.sub_output().is_some_and(|o| o.json)
    }

    /// The timeout in seconds (default 10), given before or after the subcommand.
    pub fn timeout(&self) -> u64 {
        self.sub_output()
            .and_then(|o| o.timeout)
            .or(self.output.timeout)
            .unwrap_or(10)
    }

    fn sub_output(&self) -> Option<&Output> {
        match &self.action {
            None => None,
            Some(
                GroupsAction::Describe { output, .. }
                | GroupsAction::Delete { output, .. }
                | GroupsAction::DeleteOffsets { output, .. },
            ) => Some(output),
            Some(GroupsAction::Reset(args)) => Some(&args.output),
        }
    }

    /// What this command would write, in words; `None` for reads and dry runs.
    pub fn writes(&self) -> Option<&'static str> {
        match &self.action {
            Some(GroupsAction::Reset(args)) if args.execute => Some("Resetting offsets"),
            Some(GroupsAction::Delete { .. }) => Some("Deleting a group"),
            Some(GroupsAction::DeleteOffsets { .. }) => Some("Deleting a group's offsets"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Cli, Headless};
    use super::*;
    use clap::Parser as _;

    fn groups(args: &[&str]) -> Result<GroupsArgs, String> {
        let mut all = vec!["ktui", "groups"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).map_err(|e| e.to_string())?.command {
            Some(Headless::Groups(args)) => Ok(args),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn reset_takes_kafka_consumer_groups_vocabulary() {
        let args = groups(&[
            "reset",
            "g",
            "--topic",
            "t:0,1",
            "--shift-by",
            "-5",
            "--execute",
        ])
        .unwrap();
        let Some(GroupsAction::Reset(reset)) = &args.action else {
            panic!("{args:?}");
        };
        assert_eq!(reset.to(), ResetTo::ShiftBy(-5));
        assert_eq!(
            reset.scope(),
            ResetScope::Topics(vec!["t:0,1".parse().unwrap()])
        );
        assert_eq!(args.writes(), Some("Resetting offsets"));
        let dry = groups(&["reset", "g", "--by-duration", "PT1H"]).unwrap();
        assert_eq!(dry.writes(), None);
        let Some(GroupsAction::Reset(reset)) = &dry.action else {
            panic!();
        };
        assert_eq!(
            (reset.to(), reset.scope()),
            (ResetTo::Duration(3_600_000), ResetScope::AllTopics)
        );
    }

    #[test]
    fn reset_wants_exactly_one_mode_and_sensible_values() {
        assert!(groups(&["reset", "g"]).unwrap_err().contains("required"));
        assert!(groups(&["reset", "g", "--to-earliest", "--to-latest"]).is_err());
        assert!(
            groups(&["reset", "g", "--to-datetime", "soon"])
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            groups(&["reset", "g", "--to-earliest", "--topic", "t:x"])
                .unwrap_err()
                .contains("invalid partition")
        );
        assert!(groups(&["--json"]).unwrap().json());
        assert!(groups(&["describe", "g", "--json"]).unwrap().json());
        assert!(groups(&["--json", "describe", "g"]).unwrap().json());
        assert_eq!(
            groups(&["describe", "g", "--timeout", "3"])
                .unwrap()
                .timeout(),
            3
        );
        assert_eq!(groups(&[]).unwrap().timeout(), 10);
        assert_eq!(
            groups(&["delete", "g"]).unwrap().writes(),
            Some("Deleting a group")
        );
    }
}
