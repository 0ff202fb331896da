//! The brokers of a cluster as an operator looks at them: address, rack, which one is the
//! controller, whether it answers, what it leads and hosts (from the metadata), its
//! configs with their source (DescribeConfigs on the broker) and its log dirs
//! (DescribeLogDirs). Gathered by [`describe`] for the Brokers tab and `ktui brokers`.

use serde::Serialize;

use super::model::{ClusterSnapshot, ConfigEntryInfo};

mod answers;
mod describe;

pub use describe::describe;

/// One log directory of a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogDirInfo {
    pub path: String,
    /// Bytes of every replica in it (future replicas of a move included: they are on disk).
    pub bytes: u64,
    /// Replicas it holds.
    pub partitions: usize,
    /// The volume's size and free space, where the broker reports them (Kafka 3.3+).
    pub total_bytes: Option<u64>,
    pub usable_bytes: Option<u64>,
    /// Why the directory is offline, in words.
    pub error: Option<String>,
}

/// One broker: what the metadata says of it, and what it answered itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerDetail {
    pub id: i32,
    /// "host:port" as advertised (or as last seen, for a broker that is gone).
    pub address: Option<String>,
    pub rack: Option<String>,
    /// The active controller (KRaft: the quorum's leader).
    pub controller: bool,
    /// Listed by the cluster and answering requests of its own.
    pub reachable: bool,
    /// Partitions it leads.
    pub leader_of: usize,
    /// Replicas it hosts.
    pub replicas: usize,
    /// Under-replicated partitions it hosts a replica of.
    pub under_replicated: usize,
    /// Partitions it hosts that have no leader.
    pub offline: usize,
    /// Its configs with their source, or why it did not answer.
    pub configs: Result<Vec<ConfigEntryInfo>, String>,
    /// Its log dirs, or why it did not answer.
    pub log_dirs: Result<Vec<LogDirInfo>, String>,
}

impl BrokerDetail {
    /// Bytes in every log dir, when it answered.
    pub fn log_bytes(&self) -> Option<u64> {
        self.log_dirs.as_ref().ok().map(|dirs| {
            dirs.iter()
                .fold(0u64, |total, d| total.saturating_add(d.bytes))
        })
    }
}

/// Every broker of the cluster, by id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BrokersSnapshot {
    pub cluster_id: Option<String>,
    /// The active controller's node id (on KRaft it may be a controller-only node that is
    /// no broker).
    pub controller: Option<i32>,
    pub brokers: Vec<BrokerDetail>,
    /// What could not be learnt (no DescribeCluster, a quorum that does not answer), in
    /// words.
    pub warnings: Vec<String>,
}

/// What the metadata says of broker `id`: partitions led, replicas hosted, under-replicated
/// and offline partitions among them.
pub fn hosted(snapshot: &ClusterSnapshot, id: i32) -> (usize, usize, usize, usize) {
    let (mut leads, mut replicas, mut urp, mut offline) = (0, 0, 0, 0);
    for p in snapshot.topics.iter().flat_map(|t| &t.partitions) {
        if p.leader == id {
            leads += 1;
        }
        if p.replicas.contains(&id) {
            replicas += 1;
            if p.is_under_replicated() {
                urp += 1;
            }
            if p.leader < 0 {
                offline += 1;
            }
        }
    }
    (leads, replicas, urp, offline)
}
