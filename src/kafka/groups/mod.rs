//! Consumer groups: what they are (the model the Groups tab and `ktui groups` show), how
//! they are fetched in batches, and how their offsets are reset or deleted.
//!
//! The rdkafka crate does not wrap librdkafka's group admin API (ListGroups v5 with types,
//! ConsumerGroupDescribe, OffsetFetch without a topic list, OffsetDelete), so these calls go
//! through krafka's admin client, which the worker owns beside its rdkafka clients. The
//! timestamps behind the time lag are read with an rdkafka consumer (`time_lag`).

mod admin;
mod connect;
pub mod plan;
mod time_lag;

pub use admin::GroupsClient;
pub use connect::krafka_builder;
pub use plan::{PlanRow, ResetPlan, ResetRequest, ResetScope, ResetTo, TopicSelector};

use serde::Serialize;

/// What kind of group, as Kafka 4 lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum GroupKind {
    /// The classic protocol (JoinGroup/SyncGroup), e.g. kafka-python or librdkafka's default.
    Classic,
    /// The KIP-848 `consumer` protocol.
    Consumer,
    /// A KIP-932 share group.
    Share,
    /// A KIP-1071 streams group.
    Streams,
    /// A group that only has committed offsets (no member ever joined: manual assignment,
    /// or offsets set by a tool).
    OffsetsOnly,
    Other(String),
}

impl GroupKind {
    /// From ListGroups' `group_type` (v5+) and `protocol_type`.
    pub fn from_listing(group_type: Option<&str>, protocol_type: &str) -> Self {
        match group_type {
            Some("consumer") => Self::Consumer,
            Some("share") => Self::Share,
            Some("streams") => Self::Streams,
            Some("classic") | None if protocol_type.is_empty() => Self::OffsetsOnly,
            Some("classic") | None => Self::Classic,
            Some(other) => Self::Other(other.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Classic => "classic",
            Self::Consumer => "consumer",
            Self::Share => "share",
            Self::Streams => "streams",
            Self::OffsetsOnly => "offsets-only",
            Self::Other(name) => name,
        }
    }
}

impl From<GroupKind> for String {
    fn from(kind: GroupKind) -> Self {
        kind.name().to_string()
    }
}

impl std::fmt::Display for GroupKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One group in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    #[serde(rename = "group")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: GroupKind,
    /// `Stable`, `Empty`, `PreparingRebalance`, `Reconciling`, `Dead`, …
    pub state: String,
    /// The assignor (classic: the chosen strategy; consumer: the server-side assignor).
    pub protocol: Option<String>,
    /// `None` where ktui cannot count them (share groups: no ShareGroupDescribe in krafka).
    pub members: Option<usize>,
    /// Topics the group is assigned or has committed offsets for, sorted.
    pub topics: Vec<String>,
    /// Total lag over the partitions with a committed offset; `None` when unknown.
    pub lag: Option<i64>,
    /// Why some of this group's figures are missing (a coordinator that did not answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl GroupSummary {
    /// Kafka's own groups (Connect's, Schema Registry's …) start with an underscore.
    pub fn is_internal(&self) -> bool {
        self.name.starts_with('_')
    }
}

/// Every group, as one refresh found them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupsSnapshot {
    pub groups: Vec<GroupSummary>,
    /// Brokers or groups that did not answer, in words; the rest is still shown.
    pub warnings: Vec<String>,
    /// How long the refresh took, in milliseconds (the tab paces itself on it).
    pub took_ms: u64,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberInfo {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Assigned partitions by topic, sorted.
    pub assignment: Vec<(String, Vec<i32>)>,
}

impl MemberInfo {
    pub fn partition_count(&self) -> usize {
        self.assignment.iter().map(|(_, p)| p.len()).sum()
    }
}

/// One partition of a group: where it is, where the log ends, and how far behind it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The committed offset; `None` when the group has not committed on this partition.
    pub committed: Option<i64>,
    /// The log-end offset (high watermark); `None` when the leader did not answer.
    pub end: Option<i64>,
    pub lag: Option<i64>,
    /// How long ago the next unconsumed record was written (0 when caught up).
    pub time_lag_ms: Option<i64>,
    /// The client id of the member that owns the partition, if one does.
    pub owner: Option<String>,
}

/// One group in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetail {
    pub summary: GroupSummary,
    pub members: Vec<MemberInfo>,
    /// Sorted by topic then partition.
    pub partitions: Vec<PartitionLag>,
}

/// A time lag in words: `0` when caught up, `850 ms`, `4.2 s`, `3 min`, `2.5 h`, `3 d`;
/// `-` when unknown.
pub fn format_time_lag(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "-".into();
    };
    #[allow(clippy::cast_precision_loss)]
    let f = ms as f64;
    match ms {
        0 => "0".into(),
        1..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", f / 1_000.0),
        60_000..3_600_000 => format!("{:.0} min", f / 60_000.0),
        3_600_000..86_400_000 => format!("{:.1} h", f / 3_600_000.0),
        _ => format!("{:.1} d", f / 86_400_000.0),
    }
}

/// `end - committed`, never negative (a committed offset past a truncated log end).
pub fn lag_of(committed: Option<i64>, end: Option<i64>) -> Option<i64> {
    match (committed, end) {
        (Some(c), Some(e)) if c >= 0 => Some((e - c).max(0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_listing() {
        assert_eq!(
            GroupKind::from_listing(Some("consumer"), "consumer"),
            GroupKind::Consumer
        );
        assert_eq!(
            GroupKind::from_listing(Some("classic"), "consumer"),
            GroupKind::Classic
        );
        assert_eq!(
            GroupKind::from_listing(Some("classic"), ""),
            GroupKind::OffsetsOnly
        );
        assert_eq!(GroupKind::from_listing(None, ""), GroupKind::OffsetsOnly);
        assert_eq!(
            GroupKind::from_listing(Some("share"), "share"),
            GroupKind::Share
        );
        assert_eq!(GroupKind::OffsetsOnly.to_string(), "offsets-only");
    }

    #[test]
    fn time_lags_read_as_words() {
        let said: Vec<String> = [
            None,
            Some(0),
            Some(850),
            Some(4_200),
            Some(180_000),
            Some(9_000_000),
            Some(259_200_000),
        ]
        .into_iter()
        .map(format_time_lag)
        .collect();
        assert_eq!(
            said,
            ["-", "0", "850 ms", "4.2 s", "3 min", "2.5 h", "3.0 d"]
        );
    }

    #[test]
    fn lag_is_never_negative_and_unknown_without_a_commit() {
        assert_eq!(lag_of(Some(3), Some(10)), Some(7));
        assert_eq!(lag_of(Some(12), Some(10)), Some(0));
        assert_eq!(lag_of(None, Some(10)), None);
        assert_eq!(lag_of(Some(3), None), None);
    }
}
