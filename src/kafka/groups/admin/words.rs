//! Krafka's errors in the words a Kafka user knows.

use krafka::KrafkaError;
use krafka::error::ErrorCode;

/// A krafka error in the words a Kafka user knows.
pub(in crate::kafka::groups) fn words(error: &KrafkaError, demo: bool) -> String {
    match error {
        KrafkaError::Broker { code, message } => match code {
            ErrorCode::GroupIdNotFound => "the group does not exist".to_string(),
            ErrorCode::NonEmptyGroup => "the group has active members".to_string(),
            ErrorCode::GroupAuthorizationFailed => {
                "not authorized for this group (GROUP_AUTHORIZATION_FAILED)".to_string()
            }
            ErrorCode::TopicAuthorizationFailed => {
                "not authorized for this topic (TOPIC_AUTHORIZATION_FAILED)".to_string()
            }
            ErrorCode::ClusterAuthorizationFailed => {
                "not authorized for this cluster (CLUSTER_AUTHORIZATION_FAILED)".to_string()
            }
            ErrorCode::UnknownTopicOrPartition => {
                "the topic or partition does not exist".to_string()
            }
            ErrorCode::UnsupportedVersion => "the broker does not support this request".to_string(),
            ErrorCode::UnknownMemberId if demo => "the demo (mock) cluster refuses offset changes \
                 for a group that has had members (UNKNOWN_MEMBER_ID); it accepts them for a \
                 group that only committed offsets"
                .to_string(),
            other if message.is_empty() => format!("{other:?}"),
            other => format!("{other:?}: {message}"),
        },
        KrafkaError::Network(e) => format!("cannot reach the cluster: {e}"),
        KrafkaError::Auth { message, .. } => format!("authentication failed: {message}"),
        KrafkaError::Timeout { operation } => format!("no answer in time ({operation})"),
        KrafkaError::Protocol {
            kind: krafka::ProtocolErrorKind::UnknownApiVersion,
            message,
        } => {
            let cluster = if demo {
                "the demo (mock) cluster"
            } else {
                "the cluster"
            };
            format!("{cluster} cannot do this: {message}")
        }
        other => other.to_string(),
    }
}
