//! Plain data the worker hands to the UI: owned, cloneable, no rdkafka types.

use crate::schema::{Decoded, LocalProto, Schemas};
use serde::Serialize;

/// One broker as the cluster advertises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// One partition of a topic, with its watermarks when the broker answered ListOffsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionInfo {
    pub id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub low: Option<i64>,
    pub high: Option<i64>,
    /// The watermarks pass that last brought `low` and `high` (0: none yet, or a headless
    /// fetch). The Topics tab marks a count stale when a later pass ended without it.
    #[serde(skip)]
    pub pass: u64,
    /// A partition-level error from the metadata response, in words.
    pub error: Option<String>,
}

/// One partition's watermarks, as a ListOffsets round trip brought them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionEnds {
    pub topic: String,
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

impl PartitionInfo {
    pub fn is_under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }

    /// Messages currently retained: high − low watermark.
    pub fn messages(&self) -> Option<u64> {
        match (self.low, self.high) {
            (Some(low), Some(high)) if high >= low => u64::try_from(high - low).ok(),
            _ => None,
        }
    }
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
    /// A topic-level error from the metadata response, in words.
    pub error: Option<String>,
}

impl TopicInfo {
    /// Where partition `id` is in `partitions`: at index `id` as metadata lists them,
    /// else wherever it is.
    pub fn partition_index(&self, id: i32) -> Option<usize> {
        usize::try_from(id)
            .ok()
            .filter(|&i| self.partitions.get(i).is_some_and(|p| p.id == id))
            .or_else(|| self.partitions.iter().position(|p| p.id == id))
    }

    /// Internal topics: `__consumer_offsets`, `__transaction_state`, `_schemas`, …
    pub fn is_internal(&self) -> bool {
        is_internal_topic(&self.name)
    }

    pub fn replication_factor(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.replicas.len())
            .max()
            .unwrap_or(0)
    }

    pub fn under_replicated(&self) -> usize {
        self.partitions
            .iter()
            .filter(|p| p.is_under_replicated())
            .count()
    }

    /// Sum of high − low watermarks; `None` when no partition's watermarks are known.
    pub fn messages(&self) -> Option<u64> {
        let mut known = false;
        let mut total = 0u64;
        for count in self.partitions.iter().filter_map(PartitionInfo::messages) {
            known = true;
            total = total.saturating_add(count);
        }
        known.then_some(total)
    }
}

/// Whether a topic name is one of Kafka's (or Schema Registry's) internal topics.
pub fn is_internal_topic(name: &str) -> bool {
    name.starts_with("__") || name == "_schemas"
}

/// What one metadata + watermarks round trip learned about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterSnapshot {
    pub brokers: Vec<BrokerInfo>,
    pub cluster_id: Option<String>,
    pub topics: Vec<TopicInfo>,
    /// Whether the partitions' watermarks were asked (only while the Topics tab is shown);
    /// without, the Topics tab keeps the ones it had.
    pub watermarks: bool,
}

impl ClusterSnapshot {
    /// Whether every partition with a leader got its watermarks (or none were asked).
    pub fn complete(&self) -> bool {
        !self.watermarks
            || self
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .all(|p| p.leader < 0 || (p.low.is_some() && p.high.is_some()))
    }
}

impl ClusterSnapshot {
    /// Sets the watermarks `ends` brought, noting `pass` on each partition they name.
    /// Returns how many partitions of the snapshot they set.
    pub fn apply_watermarks(&mut self, ends: &[PartitionEnds], pass: u64) -> usize {
        let mut set = 0;
        for end in ends {
            let Ok(i) = self
                .topics
                .binary_search_by(|t| t.name.as_str().cmp(&end.topic))
            else {
                continue;
            };
            let topic = &mut self.topics[i];
            if let Some(p) = topic
                .partition_index(end.partition)
                .map(|i| &mut topic.partitions[i])
            {
                p.low = Some(end.low);
                p.high = Some(end.high);
                p.pass = pass;
                set += 1;
            }
        }
        set
    }
}

/// The brokers a snapshot is missing, as "ID at HOST:PORT" (or "ID" for one never seen):
/// every broker a partition names as a replica that the snapshot's broker list lacks (a
/// broker that is down, or fenced). `seen` (id → "HOST:PORT", from earlier snapshots of
/// the same cluster) gives their addresses and gains the snapshot's brokers. A broker no
/// replica names any more (decommissioned) is not missing.
pub fn missing_brokers(
    snapshot: &ClusterSnapshot,
    seen: &mut std::collections::BTreeMap<i32, String>,
) -> Vec<String> {
    for broker in &snapshot.brokers {
        seen.insert(broker.id, format!("{}:{}", broker.host, broker.port));
    }
    let live: std::collections::BTreeSet<i32> = snapshot.brokers.iter().map(|b| b.id).collect();
    let named: std::collections::BTreeSet<i32> = snapshot
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .flat_map(|p| &p.replicas)
        .copied()
        .collect();
    named
        .difference(&live)
        .map(|id| match seen.get(id) {
            Some(address) => format!("{id} at {address}"),
            None => id.to_string(),
        })
        .collect()
}

/// Whether the worker can talk to the cluster. Always shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting {
        address: String,
    },
    Connected {
        address: String,
        brokers: usize,
        cluster_id: Option<String>,
        /// Brokers the cluster is missing: seen earlier in this connection, or named as a
        /// replica, yet absent from the latest metadata ("2 at 127.0.0.1:9094").
        unreachable: Vec<String>,
    },
    Unreachable {
        address: String,
        reason: String,
    },
}

impl Connection {
    pub fn address(&self) -> &str {
        match self {
            Self::Connecting { address }
            | Self::Connected { address, .. }
            | Self::Unreachable { address, .. } => address,
        }
    }

    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// One topic configuration entry from DescribeConfigs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntryInfo {
    pub name: String,
    /// `None` when the broker withholds it (sensitive) or it is unset.
    pub value: Option<String>,
    pub source: String,
    pub is_default: bool,
    pub is_sensitive: bool,
    pub is_read_only: bool,
}

/// What the user asked to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    pub name: String,
    pub partitions: i32,
    pub replication: i32,
    pub configs: Vec<(String, String)>,
}

/// A refused admin request: the broker's error code verbatim, librdkafka's text, and our words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AdminError {
    /// The protocol error name, e.g. `TOPIC_ALREADY_EXISTS` (or `TIMED_OUT`, …).
    pub code: String,
    /// librdkafka's description of it, e.g. `Broker: Topic already exists`.
    pub message: String,
    /// What it means for the user, in words.
    pub explanation: String,
}

/// How a record's timestamp was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampKind {
    CreateTime,
    LogAppendTime,
    NotAvailable,
}

/// One header: values are bytes and may be absent (null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// A record's key and value decoded through their schemas (see [`crate::schema`]): set by
/// the tail when a schema registry is configured and the bytes are framed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaDecoding {
    pub key: Option<Decoded>,
    pub value: Option<Decoded>,
}

/// One consumed record, with its payload kept as raw bytes; decoding is the viewer's job
/// (except a schema's, which needs the registry: the tail does it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, when the record has a timestamp.
    pub timestamp: Option<i64>,
    pub timestamp_kind: TimestampKind,
    pub key: Option<Vec<u8>>,
    /// `None` is a tombstone (null value), distinct from an empty value.
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// The key and value decoded through a schema, when they were framed with one.
    pub schemas: Option<Box<SchemaDecoding>>,
}

impl Record {
    /// Decodes the key and value through their schemas when they are framed with one.
    /// A framed key or value goes through the registry; else, with local `.proto` types,
    /// it is read as one. `topic` names the subjects (`T-key`, `T-value`) the registry's
    /// schemas are shown under.
    pub fn decode_schemas(
        &mut self,
        registry: Option<&Schemas>,
        local: Option<&LocalProto>,
        topic: &str,
    ) {
        let key = self.key.as_deref().and_then(|k| {
            registry
                .and_then(|r| r.decode(k, &format!("{topic}-key")))
                .or_else(|| local.and_then(|l| l.decode_key(k)))
        });
        let value = self.value.as_deref().and_then(|v| {
            registry
                .and_then(|r| r.decode(v, &format!("{topic}-value")))
                .or_else(|| local.and_then(|l| l.decode_value(v)))
        });
        self.schemas =
            (key.is_some() || value.is_some()).then(|| Box::new(SchemaDecoding { key, value }));
    }

    /// The value's schema decoding, when it had one.
    pub fn value_schema(&self) -> Option<&Decoded> {
        self.schemas.as_ref()?.value.as_ref()
    }

    pub fn key_schema(&self) -> Option<&Decoded> {
        self.schemas.as_ref()?.key.as_ref()
    }

    /// The value as filters and previews see it: its schema's JSON when it was decoded,
    /// else its bytes.
    pub fn value_seen(&self) -> Option<&[u8]> {
        match self.value_schema() {
            Some(Decoded { json: Ok(json), .. }) => Some(json.as_bytes()),
            _ => self.value.as_deref(),
        }
    }

    /// The key as filters and previews see it (see [`Record::value_seen`]).
    pub fn key_seen(&self) -> Option<&[u8]> {
        match self.key_schema() {
            Some(Decoded { json: Ok(json), .. }) => Some(json.as_bytes()),
            _ => self.key.as_deref(),
        }
    }

    /// Bytes this record holds: key, value, header names and values.
    pub fn size(&self) -> usize {
        self.key.as_ref().map_or(0, Vec::len)
            + self.value.as_ref().map_or(0, Vec::len)
            + self
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.as_ref().map_or(0, Vec::len))
                .sum::<usize>()
    }

    /// Approximate memory a buffered record costs (payload plus bookkeeping).
    pub fn footprint(&self) -> usize {
        self.size()
            + std::mem::size_of::<Self>()
            + self.schemas.as_ref().map_or(0, |s| {
                std::mem::size_of::<SchemaDecoding>()
                    + s.key.as_ref().map_or(0, Decoded::footprint)
                    + s.value.as_ref().map_or(0, Decoded::footprint)
            })
            + self.headers.len() * std::mem::size_of::<Header>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(brokers: &[i32], replicas: &[i32]) -> ClusterSnapshot {
        ClusterSnapshot {
            watermarks: true,
            brokers: brokers
                .iter()
                .map(|&id| BrokerInfo {
                    id,
                    host: "127.0.0.1".into(),
                    port: 9090 + id,
                })
                .collect(),
            cluster_id: None,
            topics: vec![TopicInfo {
                name: "t".into(),
                error: None,
                partitions: vec![PartitionInfo {
                    id: 0,
                    leader: brokers[0],
                    replicas: replicas.to_vec(),
                    isr: brokers.to_vec(),
                    low: None,
                    high: None,
                    pass: 0,
                    error: None,
                }],
            }],
        }
    }

    #[test]
    fn a_replica_on_a_missing_broker_names_it_with_its_address_or_its_id() {
        let mut seen = std::collections::BTreeMap::new();
        assert!(missing_brokers(&snapshot(&[1, 2, 3], &[1, 2, 3]), &mut seen).is_empty());
        assert_eq!(
            missing_brokers(&snapshot(&[1, 3], &[1, 2, 3]), &mut seen),
            ["2 at 127.0.0.1:9092"]
        );
        // Gone from the replicas too (reassigned away, decommissioned): not missing.
        assert!(missing_brokers(&snapshot(&[1, 3], &[1, 3]), &mut seen).is_empty());
        assert!(missing_brokers(&snapshot(&[1, 2, 3], &[1, 2, 3]), &mut seen).is_empty());
        // A replica on a broker this connection never saw.
        let mut fresh = std::collections::BTreeMap::new();
        assert_eq!(missing_brokers(&snapshot(&[1], &[1, 4]), &mut fresh), ["4"]);
    }
}
