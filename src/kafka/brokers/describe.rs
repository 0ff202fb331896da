//! Gathering a [`BrokersSnapshot`]: DescribeCluster (racks, the cluster id), DescribeQuorum
//! (the active controller on KRaft), then per broker, concurrently and each with a short
//! deadline of its own, DescribeConfigs and DescribeLogDirs at that broker, so a broker
//! that is down holds up no other. The partitions each broker leads and hosts come from
//! the metadata the caller already has.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use krafka::admin::{
    AdminClient, ClusterDescription, ConfigResource, DescribeClusterOptions,
    DescribeConfigsOptions, DescribeLogDirsOptions, DescribeMetadataQuorumOptions, QuorumInfo,
};
use krafka::error::ErrorCode;
use krafka::{KrafkaError, ProtocolErrorKind};

use super::answers::{config_info, log_dir_info};
use super::{BrokerDetail, BrokersSnapshot, LogDirInfo, hosted};
use crate::kafka::groups::GroupsClient;
use crate::kafka::model::{ClusterSnapshot, ConfigEntryInfo};

/// The longest one broker's own answers are waited for.
const PER_BROKER: Duration = Duration::from_secs(5);

/// What a broker that is not listed by the cluster is said to answer.
const NOT_LISTED: &str = "not listed by the cluster (down, fenced or removed)";

/// Every broker of the cluster: the ones the cluster lists, the ones `snapshot` lists or
/// names as a replica, and the ones `seen` (id → "host:port") remembers from earlier.
/// `snapshot` is the metadata the caller fetched. Fails only when the cluster cannot be
/// reached at all; what one broker (or one API) does not answer is noted on that broker,
/// or in the warnings.
pub async fn describe(
    client: &GroupsClient,
    snapshot: &ClusterSnapshot,
    seen: &BTreeMap<i32, String>,
    timeout: Duration,
) -> Result<BrokersSnapshot, String> {
    let admin = client.admin_client().await?;
    let (cluster, quorum) = futures::join!(
        admin.describe_cluster(DescribeClusterOptions::default().timeout(timeout)),
        admin.describe_metadata_quorum(DescribeMetadataQuorumOptions::default().timeout(timeout)),
    );
    let mut warnings = Vec::new();
    let cluster = match cluster {
        Ok(cluster) => Some(cluster),
        Err(e) => {
            warnings.push(format!(
                "DescribeCluster: {} (racks are unknown; the brokers are as the metadata lists \
                 them)",
                client.describe_error(&e)
            ));
            None
        }
    };
    let controller = controller_of(client, quorum, cluster.as_ref(), &mut warnings);
    let live = live_brokers(cluster.as_ref(), snapshot);
    let ids = broker_ids(cluster.as_ref(), snapshot, seen);
    let per_broker = timeout.min(PER_BROKER);
    let mut answers: HashMap<i32, Answer> =
        futures::future::join_all(live.iter().map(|&id| ask(&admin, id, per_broker)))
            .await
            .into_iter()
            .collect();
    let brokers = ids
        .into_iter()
        .map(|id| {
            let (leader_of, replicas, under_replicated, offline) = hosted(snapshot, id);
            let answer = answers.remove(&id);
            let reachable = live.contains(&id) && answer.as_ref().is_some_and(Answer::answered);
            let (configs, log_dirs) = match answer {
                Some(answer) => (
                    answer
                        .configs
                        .map_err(|e| broker_words(client, &e, per_broker)),
                    answer
                        .log_dirs
                        .map_err(|e| broker_words(client, &e, per_broker)),
                ),
                None => (Err(NOT_LISTED.to_string()), Err(NOT_LISTED.to_string())),
            };
            BrokerDetail {
                id,
                address: address_of(id, cluster.as_ref(), snapshot, seen),
                rack: cluster
                    .as_ref()
                    .and_then(|c| c.brokers.iter().find(|b| b.id == id))
                    .and_then(|b| b.rack.clone()),
                controller: controller == Some(id),
                reachable,
                leader_of,
                replicas,
                under_replicated,
                offline,
                configs,
                log_dirs,
            }
        })
        .collect();
    Ok(BrokersSnapshot {
        cluster_id: cluster
            .as_ref()
            .map(|c| c.cluster_id.clone())
            .filter(|id| !id.is_empty())
            .or_else(|| snapshot.cluster_id.clone()),
        controller,
        brokers,
        warnings,
    })
}

/// The active controller: the KRaft quorum's leader (DescribeCluster names a random live
/// broker on KRaft), else DescribeCluster's (right on ZooKeeper clusters), with a warning.
fn controller_of(
    client: &GroupsClient,
    quorum: Result<QuorumInfo, KrafkaError>,
    cluster: Option<&ClusterDescription>,
    warnings: &mut Vec<String>,
) -> Option<i32> {
    match (quorum, cluster) {
        (Ok(quorum), _) if quorum.leader_id >= 0 => Some(quorum.leader_id),
        (Ok(_), Some(cluster)) => {
            warnings.push(
                "the metadata quorum has no leader: the controller is as DescribeCluster \
                 names it"
                    .into(),
            );
            known(cluster.controller_id)
        }
        (Err(e), Some(cluster)) => {
            warnings.push(format!(
                "DescribeQuorum: {} (the controller is as DescribeCluster names it)",
                client.describe_error(&e)
            ));
            known(cluster.controller_id)
        }
        (Ok(_), None) => {
            warnings.push("the metadata quorum has no leader".into());
            None
        }
        (Err(e), None) => {
            warnings.push(format!(
                "DescribeQuorum: {} (the controller is unknown)",
                client.describe_error(&e)
            ));
            None
        }
    }
}

/// A node id, unless it is Kafka's "none" (-1).
fn known(id: i32) -> Option<i32> {
    (id >= 0).then_some(id)
}

/// What one broker answered of itself.
struct Answer {
    configs: Result<Vec<ConfigEntryInfo>, KrafkaError>,
    log_dirs: Result<Vec<LogDirInfo>, KrafkaError>,
}

impl Answer {
    /// Whether the broker answered at all: with its configs or log dirs, or with a refusal
    /// (only a broker that is up can refuse).
    fn answered(&self) -> bool {
        let refused = |result: Result<(), &KrafkaError>| result.err().is_some_and(refusal);
        self.configs.is_ok()
            || self.log_dirs.is_ok()
            || refused(self.configs.as_ref().map(|_| ()))
            || refused(self.log_dirs.as_ref().map(|_| ()))
    }
}

/// An error that only a broker that answered can give: not authorized, or an API it does
/// not have (it answered ApiVersions).
fn refusal(error: &KrafkaError) -> bool {
    match error {
        KrafkaError::Broker { code, .. } => matches!(
            code,
            ErrorCode::ClusterAuthorizationFailed
                | ErrorCode::TopicAuthorizationFailed
                | ErrorCode::GroupAuthorizationFailed
                | ErrorCode::TransactionalIdAuthorizationFailed
                | ErrorCode::DelegationTokenAuthorizationFailed
                | ErrorCode::UnsupportedVersion
        ),
        KrafkaError::Protocol {
            kind: ProtocolErrorKind::UnknownApiVersion,
            ..
        } => true,
        _ => false,
    }
}

/// A broker's own failure in words: for one that did not answer in time, only the last
/// reason (krafka nests one per attempt).
fn broker_words(client: &GroupsClient, error: &KrafkaError, timeout: Duration) -> String {
    match error {
        KrafkaError::Broker {
            code: ErrorCode::BrokerNotAvailable,
            ..
        } => NOT_LISTED.to_string(),
        KrafkaError::Timeout { operation } => no_answer(operation, timeout),
        other => client.describe_error(other),
    }
}

/// "no answer in 5 s (network error: Connection refused (os error 111))".
fn no_answer(operation: &str, timeout: Duration) -> String {
    let seconds = timeout.as_secs_f64();
    match operation.rsplit_once("last error: ") {
        Some((_, last)) => format!("no answer in {seconds} s ({last})"),
        None => format!("no answer in {seconds} s"),
    }
}

/// DescribeConfigs and DescribeLogDirs at broker `id`, both within `timeout`.
async fn ask(admin: &AdminClient, id: i32, timeout: Duration) -> (i32, Answer) {
    let resource = ConfigResource::broker(id);
    let (configs, log_dirs) = futures::join!(
        admin.describe_configs(
            [resource.clone()],
            DescribeConfigsOptions::default().timeout(timeout)
        ),
        admin.describe_log_dirs([id], DescribeLogDirsOptions::default().timeout(timeout)),
    );
    let configs = configs.and_then(|mut by_resource| {
        by_resource.remove(&resource).unwrap_or_else(|| {
            Err(KrafkaError::protocol_kind(
                ProtocolErrorKind::Malformed,
                format!("broker {id} returned no configs of its own"),
            ))
        })
    });
    let log_dirs = log_dirs.and_then(|mut by_broker| {
        by_broker.remove(&id).unwrap_or_else(|| {
            Err(KrafkaError::protocol_kind(
                ProtocolErrorKind::Malformed,
                format!("broker {id} returned no log dirs"),
            ))
        })
    });
    let answer = Answer {
        configs: configs.map(|entries| {
            let mut entries: Vec<ConfigEntryInfo> = entries.iter().map(config_info).collect();
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            entries
        }),
        log_dirs: log_dirs.map(|dirs| {
            let mut dirs: Vec<LogDirInfo> = dirs
                .into_iter()
                .map(|(path, dir)| log_dir_info(path, dir))
                .collect();
            dirs.sort_by(|a, b| a.path.cmp(&b.path));
            dirs
        }),
    };
    (id, answer)
}

/// The brokers the cluster lists as up: DescribeCluster's unfenced ones, or the
/// metadata's when DescribeCluster did not answer.
fn live_brokers(cluster: Option<&ClusterDescription>, snapshot: &ClusterSnapshot) -> BTreeSet<i32> {
    match cluster {
        Some(cluster) => cluster
            .brokers
            .iter()
            .filter(|b| !b.is_fenced)
            .map(|b| b.id)
            .collect(),
        None => snapshot.brokers.iter().map(|b| b.id).collect(),
    }
}

/// Every broker id known: listed by DescribeCluster or the metadata, named as a replica,
/// or seen earlier.
fn broker_ids(
    cluster: Option<&ClusterDescription>,
    snapshot: &ClusterSnapshot,
    seen: &BTreeMap<i32, String>,
) -> BTreeSet<i32> {
    let listed = cluster
        .into_iter()
        .flat_map(|c| c.brokers.iter().map(|b| b.id));
    merge_ids(listed, snapshot, seen)
}

fn merge_ids(
    listed: impl Iterator<Item = i32>,
    snapshot: &ClusterSnapshot,
    seen: &BTreeMap<i32, String>,
) -> BTreeSet<i32> {
    let mut ids: BTreeSet<i32> = listed.collect();
    ids.extend(snapshot.brokers.iter().map(|b| b.id));
    ids.extend(
        snapshot
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .flat_map(|p| &p.replicas)
            .copied(),
    );
    ids.extend(seen.keys().copied());
    ids.retain(|id| *id >= 0);
    ids
}

/// "host:port" of broker `id`: as DescribeCluster or the metadata advertise it, else as
/// last seen.
fn address_of(
    id: i32,
    cluster: Option<&ClusterDescription>,
    snapshot: &ClusterSnapshot,
    seen: &BTreeMap<i32, String>,
) -> Option<String> {
    let described = cluster
        .and_then(|c| c.brokers.iter().find(|b| b.id == id))
        .map(|b| (b.host.as_str(), b.port));
    pick_address(id, described, snapshot, seen)
}

fn pick_address(
    id: i32,
    described: Option<(&str, i32)>,
    snapshot: &ClusterSnapshot,
    seen: &BTreeMap<i32, String>,
) -> Option<String> {
    described
        .or_else(|| {
            snapshot
                .brokers
                .iter()
                .find(|b| b.id == id)
                .map(|b| (b.host.as_str(), b.port))
        })
        .map(|(host, port)| format!("{host}:{port}"))
        .or_else(|| seen.get(&id).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::{BrokerInfo, PartitionInfo, TopicInfo};

    fn partition(id: i32, leader: i32, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
        PartitionInfo {
            id,
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
            low: None,
            high: None,
            pass: 0,
            error: None,
        }
    }

    /// Brokers 1 and 2 up; 3 named as a replica only (down).
    fn snapshot() -> ClusterSnapshot {
        ClusterSnapshot {
            brokers: vec![
                BrokerInfo {
                    id: 1,
                    host: "k1".into(),
                    port: 9092,
                },
                BrokerInfo {
                    id: 2,
                    host: "k2".into(),
                    port: 9092,
                },
            ],
            cluster_id: None,
            topics: vec![TopicInfo {
                name: "orders".into(),
                partitions: vec![
                    partition(0, 1, &[1, 2, 3], &[1, 2]),
                    partition(1, -1, &[3], &[]),
                ],
                error: None,
            }],
            watermarks: false,
        }
    }

    #[test]
    fn ids_merge_the_cluster_the_metadata_the_replicas_and_the_seen() {
        let seen = BTreeMap::from([(7, "k7:9092".to_string())]);
        let ids = merge_ids([1, 4].into_iter(), &snapshot(), &seen);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), [1, 2, 3, 4, 7]);
        let ids = merge_ids(std::iter::once(-1), &snapshot(), &BTreeMap::new());
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn an_address_comes_from_the_cluster_then_the_metadata_then_memory() {
        let snapshot = snapshot();
        let seen = BTreeMap::from([(3, "k3:9092".to_string()), (1, "old:1".to_string())]);
        assert_eq!(
            pick_address(1, Some(("d1", 9093)), &snapshot, &seen).as_deref(),
            Some("d1:9093")
        );
        assert_eq!(
            pick_address(2, None, &snapshot, &seen).as_deref(),
            Some("k2:9092")
        );
        assert_eq!(
            pick_address(3, None, &snapshot, &seen).as_deref(),
            Some("k3:9092")
        );
        assert_eq!(pick_address(9, None, &snapshot, &seen), None);
    }

    #[test]
    fn without_describe_cluster_the_metadata_says_who_is_up() {
        let live = live_brokers(None, &snapshot());
        assert_eq!(live.into_iter().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(hosted(&snapshot(), 3), (0, 2, 2, 1));
    }

    #[test]
    fn a_broker_that_does_not_answer_is_said_with_its_last_reason() {
        let operation = "DescribeConfigs did not complete within 5s; last error: network \
            error: not reconnecting to 127.0.0.1:1 for another 361ms after 7 failed \
            attempt(s); last error: network error: Connection refused (os error 111)";
        assert_eq!(
            no_answer(operation, Duration::from_secs(5)),
            "no answer in 5 s (network error: Connection refused (os error 111))"
        );
        assert_eq!(
            no_answer("DescribeLogDirs", Duration::from_millis(2500)),
            "no answer in 2.5 s"
        );
    }

    #[test]
    fn only_a_broker_that_answered_can_refuse() {
        let refused = Answer {
            configs: Err(KrafkaError::broker(
                ErrorCode::ClusterAuthorizationFailed,
                "",
            )),
            log_dirs: Err(KrafkaError::timeout("DescribeLogDirs")),
        };
        assert!(refused.answered());
        let demo = Answer {
            configs: Err(KrafkaError::protocol_kind(
                ProtocolErrorKind::UnknownApiVersion,
                "no DescribeConfigs",
            )),
            log_dirs: Err(KrafkaError::protocol_kind(
                ProtocolErrorKind::UnknownApiVersion,
                "no DescribeLogDirs",
            )),
        };
        assert!(demo.answered());
        let down = Answer {
            configs: Err(KrafkaError::timeout("DescribeConfigs")),
            log_dirs: Err(KrafkaError::broker(ErrorCode::BrokerNotAvailable, "gone")),
        };
        assert!(!down.answered());
        let half = Answer {
            configs: Ok(Vec::new()),
            log_dirs: Err(KrafkaError::timeout("DescribeLogDirs")),
        };
        assert!(half.answered());
    }
}
