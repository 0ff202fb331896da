//! The group admin calls, batched: one ListGroups per broker, one describe per coordinator,
//! one OffsetFetch per group (run concurrently), and the log-end offsets of every partition
//! involved in one ListOffsets round per leader.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use krafka::admin::{
    AdminClient, ConsumerGroupDescription, DescribeConsumerGroupsOptions,
    ListConsumerGroupOffsetsOptions, ListConsumerGroupsOptions, ListOffsetsOptions, OffsetSpec,
    TopicPartition,
};
use krafka::error::ErrorCode;
use krafka::{Kafka, KrafkaError};

use super::super::client::ClientSettings;
use super::plan::Tp;
use super::{
    GroupDetail, GroupKind, GroupSummary, GroupsSnapshot, MemberInfo, PartitionLag, lag_of,
};

mod reset;
mod share;
mod words;

use share::ShareOffsets;
use words::words;

/// How many groups' offsets are fetched at once.
pub(super) const CONCURRENT_FETCHES: usize = 32;

/// The group admin client of one cluster: connects on first use and keeps the connection.
pub struct GroupsClient {
    settings: ClientSettings,
    timeout: Duration,
    kafka: tokio::sync::Mutex<Option<Kafka>>,
    /// Set for the demo cluster: what to say when an API is missing there.
    demo: bool,
}

impl GroupsClient {
    pub fn new(settings: ClientSettings, timeout: Duration, demo: bool) -> Self {
        Self {
            settings,
            timeout,
            kafka: tokio::sync::Mutex::new(None),
            demo,
        }
    }

    async fn admin(&self) -> Result<AdminClient, String> {
        let mut kafka = self.kafka.lock().await;
        if let Some(kafka) = kafka.as_ref() {
            return Ok(kafka.admin().default_api_timeout(self.timeout));
        }
        let builder = super::connect::krafka_builder(&self.settings, self.timeout)?;
        let connected = tokio::time::timeout(self.timeout, builder.connect())
            .await
            .map_err(|_| {
                format!(
                    "cannot reach the cluster at {} (no answer in {} s)",
                    self.settings.brokers,
                    self.timeout.as_secs()
                )
            })?
            .map_err(|e| self.words(&e))?;
        let admin = connected.admin().default_api_timeout(self.timeout);
        *kafka = Some(connected);
        Ok(admin)
    }

    /// Drops the connection after a network failure, so the next call starts afresh.
    async fn forget_on(&self, error: &KrafkaError) {
        if matches!(error, KrafkaError::Network(_) | KrafkaError::Timeout { .. }) {
            *self.kafka.lock().await = None;
        }
    }

    /// A failure in words.
    fn words(&self, error: &KrafkaError) -> String {
        words(error, self.demo)
    }

    /// The admin client of this cluster, connecting on first use (for other admin views:
    /// the brokers).
    pub(crate) async fn admin_client(&self) -> Result<AdminClient, String> {
        self.admin().await
    }

    /// A krafka failure in the words a Kafka user knows (the demo's missing APIs named).
    pub(crate) fn describe_error(&self, error: &KrafkaError) -> String {
        self.words(error)
    }

    /// Every group with its state, members, topics and total lag.
    pub async fn list(&self) -> Result<GroupsSnapshot, String> {
        let started = Instant::now();
        let admin = self.admin().await?;
        let listed = match admin
            .list_consumer_groups(ListConsumerGroupsOptions::default())
            .await
        {
            Ok(listed) => listed,
            Err(e) => {
                self.forget_on(&e).await;
                return Err(self.words(&e));
            }
        };
        let mut warnings = Vec::new();
        let mut listings = BTreeMap::new();
        let mut answered = 0;
        for (broker, result) in listed {
            match result {
                Ok(groups) => {
                    answered += 1;
                    for group in groups {
                        listings.insert(group.group_id.clone(), group);
                    }
                }
                Err(e) => warnings.push(format!("broker {broker}: {}", self.words(&e))),
            }
        }
        if answered == 0 {
            return Err(warnings
                .pop()
                .unwrap_or_else(|| "no broker answered".into()));
        }
        let describable: Vec<&String> = listings
            .iter()
            .filter(|(_, l)| {
                let kind = GroupKind::from_listing(
                    l.group_type.as_ref().map(ToString::to_string).as_deref(),
                    &l.protocol_type,
                );
                matches!(
                    kind,
                    GroupKind::Classic | GroupKind::Consumer | GroupKind::OffsetsOnly
                )
            })
            .map(|(name, _)| name)
            .collect();
        let descriptions = if describable.is_empty() {
            HashMap::new()
        } else {
            admin
                .describe_consumer_groups(describable, DescribeConsumerGroupsOptions::default())
                .await
                .map_err(|e| self.words(&e))?
        };
        // Share groups keep no committed offsets (their state is per record, KIP-932):
        // their start offsets are asked instead (see share.rs).
        let (mut share_names, mut names) = (Vec::new(), Vec::new());
        for (name, listing) in &listings {
            if is_share(listing) {
                share_names.push(name.clone());
            } else {
                names.push(name.clone());
            }
        }
        let (committed, share_offsets) = futures::join!(
            self.committed_of(&admin, &names),
            self.share_offsets_of(&admin, &share_names)
        );
        let mut partitions: BTreeSet<Tp> = BTreeSet::new();
        for offsets in committed.values().flatten() {
            partitions.extend(offsets.keys().cloned());
        }
        for offsets in share_offsets.values().flatten() {
            partitions.extend(offsets.start.keys().cloned());
        }
        let ends = self.end_offsets(&admin, partitions).await;
        let groups = listings
            .into_iter()
            .map(|(name, listing)| {
                let description = descriptions.get(&name);
                let offsets = match share_offsets.get(&name) {
                    Some(offsets) => Some(Offsets::Share(offsets)),
                    None => committed.get(&name).map(Offsets::Committed),
                };
                self.summarize(name, &listing, description, offsets.as_ref(), &ends)
            })
            .collect();
        Ok(GroupsSnapshot {
            groups,
            warnings,
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// One listed group's row.
    fn summarize(
        &self,
        name: String,
        listing: &krafka::admin::ConsumerGroupListing,
        description: Option<&Result<ConsumerGroupDescription, KrafkaError>>,
        offsets: Option<&Offsets<'_>>,
        ends: &HashMap<Tp, i64>,
    ) -> GroupSummary {
        let kind = GroupKind::from_listing(
            listing
                .group_type
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            &listing.protocol_type,
        );
        let mut summary = GroupSummary {
            name,
            kind,
            state: listing.state.clone().unwrap_or_else(|| "Unknown".into()),
            protocol: None,
            // Known once described (classic, consumer, offsets-only groups).
            members: None,
            topics: Vec::new(),
            lag: None,
            error: None,
        };
        let mut topics = BTreeSet::new();
        match description {
            Some(Ok(d)) => {
                summary.state.clone_from(&d.state);
                summary.protocol = d.assignor.clone().filter(|a| !a.is_empty());
                summary.members = Some(d.members.len());
                topics.extend(assigned(d).into_keys().map(|(t, _)| t));
            }
            Some(Err(e)) => summary.error = Some(self.words(e)),
            None => {}
        }
        match offsets {
            Some(Offsets::Committed(Ok(offsets))) => {
                topics.extend(offsets.keys().map(|(t, _)| t.clone()));
                summary.lag = total_lag(offsets, ends);
            }
            Some(Offsets::Share(Ok(offsets))) => {
                topics.extend(offsets.start.keys().map(|(t, _)| t.clone()));
                summary.lag = offsets.total_lag(ends);
            }
            Some(Offsets::Committed(Err(e)) | Offsets::Share(Err(e))) => {
                summary.error = Some(e.clone());
            }
            None => {}
        }
        summary.topics = topics.into_iter().collect();
        summary
    }

    /// One group in full: members, and per partition the committed offset, the log end,
    /// the lag and (with `time_lag`) how old the next unconsumed record is.
    pub async fn describe(&self, group: &str, time_lag: bool) -> Result<GroupDetail, String> {
        let admin = self.admin().await?;
        let description = self.description_of(&admin, group).await?;
        let committed = self.committed_one(&admin, group).await?;
        let dead = description
            .as_ref()
            .is_none_or(|d| d.state == "Dead" && d.members.is_empty());
        if dead && committed.is_empty() {
            return match self.describe_share(&admin, group).await? {
                Some(mut detail) => {
                    if time_lag {
                        super::time_lag::fill(&self.settings, &mut detail.partitions, self.timeout)
                            .await;
                    }
                    Ok(detail)
                }
                None => Err(format!("consumer group '{group}' does not exist")),
            };
        }
        let owners = description.as_ref().map(assigned).unwrap_or_default();
        let mut partitions: BTreeSet<Tp> = committed.keys().cloned().collect();
        partitions.extend(owners.keys().cloned());
        let ends = self.end_offsets(&admin, partitions.clone()).await;
        let mut rows: Vec<PartitionLag> = partitions
            .into_iter()
            .map(|tp| {
                let committed = committed.get(&tp).copied();
                let end = ends.get(&tp).copied();
                PartitionLag {
                    owner: owners.get(&tp).cloned(),
                    committed,
                    end,
                    lag: lag_of(committed, end),
                    time_lag_ms: None,
                    topic: tp.0,
                    partition: tp.1,
                }
            })
            .collect();
        if time_lag {
            super::time_lag::fill(&self.settings, &mut rows, self.timeout).await;
        }
        let mut summary = GroupSummary {
            name: group.to_string(),
            kind: GroupKind::OffsetsOnly,
            state: "Empty".into(),
            protocol: None,
            members: Some(0),
            topics: rows
                .iter()
                .map(|r| r.topic.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            lag: total_lag(&committed, &ends),
            error: None,
        };
        let mut members = Vec::new();
        if let Some(d) = &description {
            summary.kind = kind_of(d);
            summary.state.clone_from(&d.state);
            summary.protocol = d.assignor.clone().filter(|a| !a.is_empty());
            summary.members = Some(d.members.len());
            members = members_of(d);
        }
        Ok(GroupDetail {
            summary,
            members,
            partitions: rows,
        })
    }

    /// The group's state now ("Empty", "Stable", …; "Dead" when it does not exist).
    async fn state_of(&self, admin: &AdminClient, group: &str) -> Result<String, String> {
        Ok(self
            .description_of(admin, group)
            .await?
            .map_or_else(|| "Dead".into(), |d| d.state))
    }

    /// The group's description; `None` when the coordinator does not know it.
    async fn description_of(
        &self,
        admin: &AdminClient,
        group: &str,
    ) -> Result<Option<ConsumerGroupDescription>, String> {
        let mut described = admin
            .describe_consumer_groups([group], DescribeConsumerGroupsOptions::default())
            .await
            .map_err(|e| self.words(&e))?;
        match described.remove(group) {
            Some(Ok(d)) => Ok(Some(d)),
            Some(Err(KrafkaError::Broker {
                code: ErrorCode::GroupIdNotFound,
                ..
            }))
            | None => Ok(None),
            Some(Err(e)) => Err(self.words(&e)),
        }
    }

    /// One group's committed offsets (partitions without a commit left out).
    async fn committed_one(
        &self,
        admin: &AdminClient,
        group: &str,
    ) -> Result<HashMap<Tp, i64>, String> {
        self.committed_of(admin, &[group.to_string()])
            .await
            .remove(group)
            .unwrap_or_else(|| Ok(HashMap::new()))
    }

    /// Each group's committed offsets (partitions without a commit left out), fetched
    /// concurrently, one OffsetFetch per group at its coordinator.
    async fn committed_of(
        &self,
        admin: &AdminClient,
        groups: &[String],
    ) -> HashMap<String, Result<HashMap<Tp, i64>, String>> {
        futures::stream::iter(groups.iter().cloned())
            .map(|group| async move {
                let result = admin
                    .list_consumer_group_offsets(
                        group.clone(),
                        ListConsumerGroupOffsetsOptions::default(),
                    )
                    .await
                    .map(|offsets| {
                        offsets
                            .into_iter()
                            .filter_map(|(tp, o)| {
                                o.ok()
                                    .and_then(|o| o.offset)
                                    .map(|offset| ((tp.topic, tp.partition), offset))
                            })
                            .collect()
                    })
                    .map_err(|e| self.words(&e));
                (group, result)
            })
            .buffer_unordered(CONCURRENT_FETCHES)
            .collect()
            .await
    }

    /// Log-end offsets, one ListOffsets round per leader; partitions whose leader did not
    /// answer are left out (their lag is unknown, never zero).
    async fn end_offsets(&self, admin: &AdminClient, partitions: BTreeSet<Tp>) -> HashMap<Tp, i64> {
        if partitions.is_empty() {
            return HashMap::new();
        }
        let specs = partitions
            .into_iter()
            .map(|(t, p)| (TopicPartition::new(t, p), OffsetSpec::Latest));
        match admin
            .list_offsets(specs, ListOffsetsOptions::default())
            .await
        {
            Ok(map) => map
                .into_iter()
                .filter_map(|(tp, r)| r.ok().map(|o| ((tp.topic, tp.partition), o.offset)))
                .collect(),
            Err(_) => HashMap::new(),
        }
    }
}

/// A group's offsets as fetched: committed ones, or a share group's start offsets.
enum Offsets<'a> {
    Committed(&'a Result<HashMap<Tp, i64>, String>),
    Share(&'a Result<ShareOffsets, String>),
}

fn is_share(listing: &krafka::admin::ConsumerGroupListing) -> bool {
    GroupKind::from_listing(
        listing
            .group_type
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        &listing.protocol_type,
    ) == GroupKind::Share
}

/// The kind of a described group.
fn kind_of(d: &ConsumerGroupDescription) -> GroupKind {
    match (&d.group_type, d.protocol_type.as_deref()) {
        (krafka::admin::GroupType::Consumer, _) => GroupKind::Consumer,
        (_, Some("") | None) if d.members.is_empty() => GroupKind::OffsetsOnly,
        (krafka::admin::GroupType::Classic, _) => GroupKind::Classic,
        (other, _) => GroupKind::Other(other.to_string()),
    }
}

/// A described group's members, each with its assignment, sorted by client id.
fn members_of(d: &ConsumerGroupDescription) -> Vec<MemberInfo> {
    let mut members: Vec<MemberInfo> = d
        .members
        .iter()
        .map(|m| {
            let mut assignment: Vec<(String, Vec<i32>)> = m
                .assignment
                .iter()
                .flatten()
                .map(|a| {
                    let mut partitions = a.partitions.clone();
                    partitions.sort_unstable();
                    (a.topic_name.clone(), partitions)
                })
                .collect();
            assignment.sort();
            MemberInfo {
                member_id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                host: m.client_host.clone(),
                instance_id: m.instance_id.clone(),
                assignment,
            }
        })
        .collect();
    members.sort_by(|a, b| (&a.client_id, &a.member_id).cmp(&(&b.client_id, &b.member_id)));
    members
}

/// Who owns each partition, by client id.
fn assigned(description: &ConsumerGroupDescription) -> HashMap<Tp, String> {
    let mut owners = HashMap::new();
    for member in &description.members {
        for topic in member.assignment.iter().flatten() {
            for p in &topic.partitions {
                owners.insert((topic.topic_name.clone(), *p), member.client_id.clone());
            }
        }
    }
    owners
}

/// The sum of the lags; `None` when some partition's end is unknown or nothing is committed.
fn total_lag(committed: &HashMap<Tp, i64>, ends: &HashMap<Tp, i64>) -> Option<i64> {
    if committed.is_empty() {
        return None;
    }
    committed
        .iter()
        .map(|(tp, c)| lag_of(Some(*c), ends.get(tp).copied()))
        .sum()
}
