//! Share groups (KIP-932). A share group has no offset per consumer: its coordinator keeps,
//! per partition, a share-partition start offset (every record before it is done with),
//! read with DescribeShareGroupOffsets, as `kafka-share-groups.sh --describe` reads it.
//! ktui shows the start offset where a consumer group shows its committed offset. The lag
//! is the broker's own where it reports one (DescribeShareGroupOffsets v1, newer than
//! Kafka 4.1), else the log end minus
//! the start offset: exact for an idle group, an upper bound while records are in flight.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt as _;
use krafka::KrafkaError;
use krafka::admin::{
    AdminClient, ConsumerGroupListing, DescribeShareGroupOffsetsOptions, ListConsumerGroupsOptions,
};
use krafka::error::ErrorCode;

use super::super::plan::Tp;
use super::super::{GroupDetail, GroupKind, GroupSummary, PartitionLag, lag_of};
use super::{CONCURRENT_FETCHES, GroupsClient};

/// One share group's partitions: the start offset, and the lag where the broker says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ShareOffsets {
    pub start: HashMap<Tp, i64>,
    pub lag: HashMap<Tp, i64>,
}

impl ShareOffsets {
    /// The group's total lag: the broker's where it reported every partition's, else
    /// from the log ends; `None` while some partition's end is unknown.
    pub fn total_lag(&self, ends: &HashMap<Tp, i64>) -> Option<i64> {
        if self.start.is_empty() {
            return None;
        }
        self.start
            .keys()
            .map(|tp| self.lag_of(tp, ends.get(tp).copied()))
            .sum()
    }

    fn lag_of(&self, tp: &Tp, end: Option<i64>) -> Option<i64> {
        self.lag
            .get(tp)
            .copied()
            .or_else(|| lag_of(self.start.get(tp).copied(), end))
    }
}

impl GroupsClient {
    /// Each share group's offsets, fetched concurrently at its coordinator.
    pub(super) async fn share_offsets_of(
        &self,
        admin: &AdminClient,
        groups: &[String],
    ) -> HashMap<String, Result<ShareOffsets, String>> {
        futures::stream::iter(groups.iter().cloned())
            .map(|group| async move {
                let result = match self.share_offsets(admin, &group).await {
                    // Listed but without state yet (it never fetched): no offsets.
                    Err(KrafkaError::Broker {
                        code: ErrorCode::GroupIdNotFound,
                        ..
                    }) => Ok(ShareOffsets::default()),
                    other => other.map_err(|e| self.words(&e)),
                };
                (group, result)
            })
            .buffer_unordered(CONCURRENT_FETCHES)
            .collect()
            .await
    }

    async fn share_offsets(
        &self,
        admin: &AdminClient,
        group: &str,
    ) -> Result<ShareOffsets, KrafkaError> {
        let answered = admin
            .describe_share_group_offsets(group, DescribeShareGroupOffsetsOptions::default())
            .await?;
        let mut offsets = ShareOffsets::default();
        for (tp, result) in answered {
            // A partition without state yet (or one whose state failed) has no row.
            let Ok(partition) = result else { continue };
            if partition.start_offset < 0 {
                continue;
            }
            let key = (tp.topic, tp.partition);
            if let Some(lag) = partition.lag {
                offsets.lag.insert(key.clone(), lag);
            }
            offsets.start.insert(key, partition.start_offset);
        }
        Ok(offsets)
    }

    /// The share group `group` as ListGroups lists it; `None` when there is no such
    /// share group.
    async fn share_listing(
        &self,
        admin: &AdminClient,
        group: &str,
    ) -> Option<ConsumerGroupListing> {
        // Only asked once the group is not known as a consumer group. A broker that does
        // not answer leaves the group as not a share group ("does not exist" follows).
        let Ok(listed) = admin
            .list_consumer_groups(ListConsumerGroupsOptions::default().types(vec!["share".into()]))
            .await
        else {
            return None;
        };
        // Brokers before ListGroups v5 ignore the type filter: check each listing's type.
        listed
            .into_values()
            .filter_map(Result::ok)
            .flatten()
            .find(|l| l.group_id == group && super::is_share(l))
    }

    /// Refuses, in words, a change that ktui makes to consumer groups only.
    pub(super) async fn not_share(
        &self,
        admin: &AdminClient,
        group: &str,
        what: &str,
    ) -> Result<(), String> {
        match self.share_listing(admin, group).await {
            Some(_) => Err(format!(
                "'{group}' is a share group (KIP-932): ktui {what} consumer groups only; \
                 kafka-share-groups.sh does it for share groups"
            )),
            None => Ok(()),
        }
    }

    /// `group` in full when it is a share group (`None` when it is not one, or the
    /// cluster has no share groups): its state, its partitions' start offsets and lag.
    /// Its members are not described (krafka has no ShareGroupDescribe call).
    pub(super) async fn describe_share(
        &self,
        admin: &AdminClient,
        group: &str,
    ) -> Result<Option<GroupDetail>, String> {
        let Some(listing) = self.share_listing(admin, group).await else {
            return Ok(None);
        };
        let offsets = match self.share_offsets(admin, group).await {
            Ok(offsets) => offsets,
            Err(KrafkaError::Broker {
                code: ErrorCode::GroupIdNotFound,
                ..
            }) => ShareOffsets::default(),
            Err(e) => return Err(self.words(&e)),
        };
        let partitions: BTreeSet<Tp> = offsets.start.keys().cloned().collect();
        let ends = self.end_offsets(admin, partitions.clone()).await;
        let rows: Vec<PartitionLag> = partitions
            .into_iter()
            .map(|tp| {
                let end = ends.get(&tp).copied();
                PartitionLag {
                    owner: None,
                    committed: offsets.start.get(&tp).copied(),
                    end,
                    lag: offsets.lag_of(&tp, end),
                    time_lag_ms: None,
                    topic: tp.0,
                    partition: tp.1,
                }
            })
            .collect();
        let topics: BTreeSet<String> = rows.iter().map(|r| r.topic.clone()).collect();
        Ok(Some(GroupDetail {
            summary: GroupSummary {
                name: group.to_string(),
                kind: GroupKind::Share,
                state: listing.state.unwrap_or_else(|| "Unknown".into()),
                protocol: None,
                members: None,
                topics: topics.into_iter().collect(),
                lag: offsets.total_lag(&ends),
                error: None,
            },
            members: Vec::new(),
            partitions: rows,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> Tp {
        ("jobs".to_string(), p)
    }

    #[test]
    fn share_lag_is_the_brokers_where_reported_else_from_the_log_end() {
        let mut offsets = ShareOffsets::default();
        offsets.start.insert(tp(0), 10);
        offsets.start.insert(tp(1), 4);
        let ends = HashMap::from([(tp(0), 25), (tp(1), 4)]);
        assert_eq!(offsets.total_lag(&ends), Some(15));
        // Newer brokers report lag themselves (in-flight acknowledged records left out).
        offsets.lag.insert(tp(0), 12);
        assert_eq!(offsets.total_lag(&ends), Some(12));
        // An unknown end leaves the total unknown, never smaller.
        offsets.lag.clear();
        assert_eq!(offsets.total_lag(&HashMap::from([(tp(0), 25)])), None);
        assert_eq!(ShareOffsets::default().total_lag(&ends), None);
    }
}
