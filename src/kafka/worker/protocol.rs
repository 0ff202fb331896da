//! What the UI (or a headless command) and the worker say to each other: a leaf of the
//! Kafka side (it names the data, not the code that produces it).

use std::fmt;
use std::str::FromStr;

use crate::feed::{FeedState, SourceSpec};

use super::super::brokers::BrokersSnapshot;
use super::super::groups::{GroupDetail, GroupsSnapshot, ResetPlan, ResetRequest};
use super::super::model::{
    AdminError, ClusterSnapshot, ConfigEntryInfo, Connection, NewTopicSpec, PartitionEnds,
};
use super::super::produce::{DeliveryReport, OutgoingMessage, ProduceFailure};
use super::super::tail::{TailEvent, TailSpec};

/// Identifies a request so its answer can be matched, and a stale one dropped.
pub type RequestId = u64;
/// The id the worker puts on answers to its own periodic refreshes.
pub const PERIODIC: RequestId = 0;

/// What the UI (or a headless command) asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    RefreshMetadata {
        id: RequestId,
    },
    /// Whether the periodic refreshes fetch every partition's watermarks (the Topics tab
    /// shows them); without, only metadata. Wanted again: a refresh starts at once.
    /// `first`: the topics on screen, whose watermarks each pass asks before the rest.
    Watermarks {
        wanted: bool,
        first: Vec<String>,
    },
    DescribeConfigs {
        id: RequestId,
        topic: String,
    },
    /// Every broker: address, rack, controller, what it leads and hosts, its configs and
    /// log dirs; answered as `KafkaEvent::Brokers`.
    DescribeBrokers {
        id: RequestId,
    },
    /// The schema registry's subjects; answered as `KafkaEvent::Subjects`.
    ListSubjects {
        id: RequestId,
    },
    /// The schema to write with (Compose); answered as `KafkaEvent::SchemaLoaded`.
    LoadSchema {
        id: RequestId,
        choice: crate::schema::SchemaChoice,
    },
    /// One subject's version (`None`: the latest); answered as `KafkaEvent::Subject`.
    DescribeSubject {
        id: RequestId,
        subject: String,
        version: Option<i32>,
    },
    CreateTopic {
        id: RequestId,
        spec: NewTopicSpec,
    },
    DeleteTopic {
        id: RequestId,
        name: String,
    },
    /// Start a tail; its events come back as `KafkaEvent::Tail` with this id.
    StartTail {
        id: RequestId,
        spec: TailSpec,
    },
    StopTail {
        id: RequestId,
    },
    /// Send one message; the outcome comes back as `KafkaEvent::Delivered`.
    Produce {
        id: RequestId,
        message: OutgoingMessage,
    },
    /// Run a post source and publish into a topic; updates come as `KafkaEvent::Feed`.
    StartFeed {
        id: RequestId,
        job: FeedJob,
    },
    StopFeed {
        id: RequestId,
    },
    /// Change (or just list) the X filtered stream's rules; answered by `KafkaEvent::Rules`.
    FeedRules {
        id: RequestId,
        options: crate::feed::twitter::Options,
        change: RulesChange,
    },
    /// Every consumer group with its state, members, topics and total lag; answered by
    /// `KafkaEvent::Groups`. Latest wins: one listing runs at a time.
    ListGroups {
        id: RequestId,
    },
    /// One group in full (members, per-partition offsets, lag and time lag); answered by
    /// `KafkaEvent::GroupDetail`.
    DescribeGroup {
        id: RequestId,
        group: String,
    },
    /// Preview an offset reset; nothing is written. Answered by `KafkaEvent::ResetPlanned`.
    PlanReset {
        id: RequestId,
        request: ResetRequest,
    },
    /// Write a previewed reset as it was previewed; answered by `KafkaEvent::ResetApplied`.
    ApplyReset {
        id: RequestId,
        plan: Box<ResetPlan>,
    },
    DeleteGroup {
        id: RequestId,
        group: String,
    },
    /// Delete a group's committed offsets for every partition of a topic.
    DeleteGroupOffsets {
        id: RequestId,
        group: String,
        topic: String,
    },
    /// Drop every client (tails, feeds and the producer stop) and connect to another
    /// cluster. Secrets are resolved off the worker loop; commands sent meanwhile wait.
    Connect {
        spec: Box<super::super::client::ClientSpec>,
        /// Why writes are refused on the new cluster, if they are.
        read_only: Option<String>,
        /// The new cluster is the embedded demo cluster.
        demo: bool,
    },
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesChange {
    List,
    Add { value: String, tag: Option<String> },
    Delete { ids: Vec<String> },
}

/// What the worker reports. Owned data only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KafkaEvent {
    Connection(Connection),
    /// Brokers, topics and partitions; the watermarks follow in passes (while wanted).
    Metadata {
        id: RequestId,
        result: Result<ClusterSnapshot, String>,
    },
    /// Watermarks of some partitions, as one ListOffsets round trip of `pass` brought them
    /// (the first carry the topics on screen).
    Watermarks {
        pass: u64,
        ends: Vec<PartitionEnds>,
    },
    /// A watermarks pass ended: `answered` of the `asked` partitions got theirs. A count
    /// it did not refresh is stale.
    WatermarksDone {
        pass: u64,
        asked: usize,
        answered: usize,
    },
    Configs {
        id: RequestId,
        topic: String,
        result: Result<Vec<ConfigEntryInfo>, String>,
    },
    Brokers {
        id: RequestId,
        result: Result<BrokersSnapshot, String>,
    },
    Subjects {
        id: RequestId,
        result: Result<crate::schema::SubjectList, String>,
    },
    SchemaLoaded {
        id: RequestId,
        result: Result<Box<crate::schema::Encoder>, String>,
    },
    Subject {
        id: RequestId,
        result: Result<crate::schema::SubjectDetail, String>,
    },
    TopicCreated {
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
    },
    TopicDeleted {
        id: RequestId,
        name: String,
        result: Result<(), AdminError>,
    },
    Tail {
        id: RequestId,
        event: TailEvent,
    },
    Delivered {
        id: RequestId,
        result: Result<DeliveryReport, ProduceFailure>,
    },
    Feed {
        id: RequestId,
        update: FeedUpdate,
    },
    Groups {
        id: RequestId,
        result: Result<GroupsSnapshot, String>,
    },
    GroupDetail {
        id: RequestId,
        group: String,
        result: Result<Box<GroupDetail>, String>,
    },
    ResetPlanned {
        id: RequestId,
        group: String,
        result: Result<Box<ResetPlan>, String>,
    },
    /// How many partitions were moved, or why nothing was.
    ResetApplied {
        id: RequestId,
        group: String,
        result: Result<usize, String>,
    },
    GroupDeleted {
        id: RequestId,
        group: String,
        result: Result<(), String>,
    },
    /// How many partitions' offsets were deleted.
    GroupOffsetsDeleted {
        id: RequestId,
        group: String,
        topic: String,
        result: Result<usize, String>,
    },
    /// The rules after a `FeedRules` change, or why it failed (the API's words).
    Rules {
        id: RequestId,
        result: Result<Vec<crate::feed::twitter::StreamRule>, String>,
    },
}

/// What each record's value holds when a feed publishes posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueFormat {
    /// The normalised post as JSON.
    #[default]
    Json,
    /// Only the text (the quickstart's format).
    Text,
}

impl ValueFormat {
    /// The names `FromStr` takes, for help texts and errors.
    pub const NAMES: [&'static str; 2] = ["json", "text"];
}

impl FromStr for ValueFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            _ => Err(format!("{text:?}: use json or text")),
        }
    }
}

impl fmt::Display for ValueFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Text => "text",
        })
    }
}

/// A post source to run and where to publish its posts.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedJob {
    pub source: SourceSpec,
    pub topic: String,
    pub value: ValueFormat,
}

/// A running feed's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCounts {
    pub received: u64,
    pub published: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

/// What a running feed reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedUpdate {
    State(FeedState),
    Counts(FeedCounts),
}

/// What the worker reports when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Messages still not confirmed by the broker after the bounded flush.
    pub unconfirmed: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_formats_parse_case_blind_and_print_back() {
        for name in ValueFormat::NAMES {
            let format: ValueFormat = name.parse().unwrap();
            assert_eq!(format.to_string(), name);
            assert_eq!(name.to_uppercase().parse::<ValueFormat>(), Ok(format));
        }
        assert_eq!(
            "xml".parse::<ValueFormat>(),
            Err("\"xml\": use json or text".into())
        );
    }
}
