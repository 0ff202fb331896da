//! Refusing a command: no usable connection, or a write on a read-only cluster. The
//! answer has the shape of the command's normal answer, so the UI shows it where the
//! user is looking.

use super::super::model::AdminError;
use super::super::produce::ProduceFailure;
use super::super::tail::TailEvent;
use super::{Command, FeedUpdate, KafkaEvent, Worker};

impl Worker {
    /// Why this command must not run: no usable connection, or a write on a read-only
    /// cluster (or a group tail, which would commit offsets).
    pub(super) fn refusal_reason(&self, command: &Command) -> Option<String> {
        let writes = match command {
            Command::Produce { .. }
            | Command::CreateTopic { .. }
            | Command::DeleteTopic { .. }
            | Command::StartFeed { .. }
            | Command::ApplyReset { .. }
            | Command::DeleteGroup { .. }
            | Command::DeleteGroupOffsets { .. } => true,
            Command::StartTail { spec, .. } => spec.group.is_some(),
            _ => false,
        };
        let needs_cluster = !matches!(
            command,
            Command::StopTail { .. }
                | Command::StopFeed { .. }
                | Command::FeedRules { .. }
                | Command::RefreshMetadata { .. }
                | Command::Watermarks { .. }
                | Command::Shutdown
                | Command::Connect { .. }
                // The registry is not the cluster: browsing it needs no broker.
                | Command::ListSubjects { .. }
                | Command::DescribeSubject { .. }
                | Command::LoadSchema { .. }
        );
        if needs_cluster && let Some(broken) = &self.options.broken {
            return Some(broken.clone());
        }
        match (&self.options.read_only, writes, command) {
            (Some(reason), true, Command::StartTail { .. }) => Some(format!(
                "{reason}: a consumer-group tail would commit offsets; tail without a group"
            )),
            (Some(reason), true, _) => Some(format!("{reason}: writes are disabled")),
            _ => None,
        }
    }
}

/// The answer to a refused command, shaped like its normal answer.
pub(super) fn refusal(command: Command, reason: String) -> Option<KafkaEvent> {
    let admin_error = |reason: String| AdminError {
        code: "REFUSED".into(),
        message: reason,
        explanation: String::new(),
    };
    Some(match command {
        Command::Produce { id, .. } => KafkaEvent::Delivered {
            id,
            result: Err(ProduceFailure {
                code: "REFUSED".into(),
                message: reason,
                retriable: false,
            }),
        },
        Command::CreateTopic { id, spec } => KafkaEvent::TopicCreated {
            id,
            name: spec.name,
            result: Err(admin_error(reason)),
        },
        Command::DeleteTopic { id, name } => KafkaEvent::TopicDeleted {
            id,
            name,
            result: Err(admin_error(reason)),
        },
        Command::StartFeed { id, .. } => KafkaEvent::Feed {
            id,
            update: FeedUpdate::State(crate::feed::FeedState::Stopped {
                reason,
                fatal: true,
            }),
        },
        Command::StartTail { id, .. } => KafkaEvent::Tail {
            id,
            event: TailEvent::Failed(reason),
        },
        Command::DescribeConfigs { id, topic } => KafkaEvent::Configs {
            id,
            topic,
            result: Err(reason),
        },
        Command::DescribeBrokers { id } => KafkaEvent::Brokers {
            id,
            result: Err(reason),
        },
        Command::ListSubjects { id } => KafkaEvent::Subjects {
            id,
            result: Err(reason),
        },
        Command::DescribeSubject { id, .. } => KafkaEvent::Subject {
            id,
            result: Err(reason),
        },
        Command::LoadSchema { id, .. } => KafkaEvent::SchemaLoaded {
            id,
            result: Err(reason),
        },
        Command::RefreshMetadata { id } => KafkaEvent::Metadata {
            id,
            result: Err(reason),
        },
        Command::ListGroups { id } => KafkaEvent::Groups {
            id,
            result: Err(reason),
        },
        Command::DescribeGroup { id, group } => KafkaEvent::GroupDetail {
            id,
            group,
            result: Err(reason),
        },
        Command::PlanReset { id, request } => KafkaEvent::ResetPlanned {
            id,
            group: request.group,
            result: Err(reason),
        },
        Command::ApplyReset { id, plan } => KafkaEvent::ResetApplied {
            id,
            group: plan.request.group,
            result: Err(reason),
        },
        Command::DeleteGroup { id, group } => KafkaEvent::GroupDeleted {
            id,
            group,
            result: Err(reason),
        },
        Command::DeleteGroupOffsets { id, group, topic } => KafkaEvent::GroupOffsetsDeleted {
            id,
            group,
            topic,
            result: Err(reason),
        },
        Command::StopTail { .. }
        | Command::StopFeed { .. }
        | Command::FeedRules { .. }
        | Command::Connect { .. }
        | Command::Watermarks { .. }
        | Command::Shutdown => return None,
    })
}
