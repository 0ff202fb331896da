//! The group admin calls, batched: one ListGroups per broker, one describe per coordinator,
//! one OffsetFetch per group (run concurrently), and the log-end offsets of every partition
//! involved in one ListOffsets round per leader.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use krafka::admin::{
    AdminClient, AlterConsumerGroupOffsetsOptions, ConsumerGroupDescription,
    DeleteConsumerGroupOffsetsOptions, DeleteConsumerGroupsOptions, DescribeConsumerGroupsOptions,
    DescribeTopicsOptions, ListConsumerGroupOffsetsOptions, ListConsumerGroupsOptions,
    ListOffsetsOptions, OffsetSpec, TopicPartition,
};
use krafka::error::ErrorCode;
use krafka::{Kafka, KrafkaError};

use super::super::client::ClientSettings;
use super::plan::{Known, ResetPlan, ResetRequest, ResetScope, ResetTo, Tp, plan_rows};
use super::{
    GroupDetail, GroupKind, GroupSummary, GroupsSnapshot, MemberInfo, PartitionLag, lag_of,
};

/// How many groups' offsets are fetched at once.
const CONCURRENT_FETCHES: usize = 32;

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
        // their lag is left unknown rather than asked with a fetch that fails.
        let names: Vec<String> = listings
            .iter()
            .filter(|(_, l)| {
                l.group_type
                    .as_ref()
                    .is_none_or(|t| !t.to_string().eq_ignore_ascii_case("share"))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let committed = self.committed_of(&admin, &names).await;
        let mut partitions: BTreeSet<Tp> = BTreeSet::new();
        for offsets in committed.values().flatten() {
            partitions.extend(offsets.keys().cloned());
        }
        let ends = self.end_offsets(&admin, partitions).await;
        let groups = listings
            .into_iter()
            .map(|(name, listing)| {
                let description = descriptions.get(&name);
                let committed = committed.get(&name);
                self.summarize(name, &listing, description, committed, &ends)
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
        committed: Option<&Result<HashMap<Tp, i64>, String>>,
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
            members: 0,
            topics: Vec::new(),
            lag: None,
            error: None,
        };
        let mut topics = BTreeSet::new();
        match description {
            Some(Ok(d)) => {
                summary.state.clone_from(&d.state);
                summary.protocol = d.assignor.clone().filter(|a| !a.is_empty());
                summary.members = d.members.len();
                topics.extend(assigned(d).into_keys().map(|(t, _)| t));
            }
            Some(Err(e)) => summary.error = Some(self.words(e)),
            None => {}
        }
        match committed {
            Some(Ok(offsets)) => {
                topics.extend(offsets.keys().map(|(t, _)| t.clone()));
                summary.lag = total_lag(offsets, ends);
            }
            Some(Err(e)) => summary.error = Some(e.clone()),
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
            return Err(format!("consumer group '{group}' does not exist"));
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
            members: 0,
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
            summary.members = d.members.len();
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

    /// Refused, as Kafka refuses it, while the group has members.
    fn inactive(group: &str, state: &str) -> Result<(), String> {
        if matches!(state, "Empty" | "Dead") {
            Ok(())
        } else {
            Err(format!(
                "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
            ))
        }
    }

    /// The preview of a reset: nothing is written.
    pub async fn plan(&self, request: &ResetRequest) -> Result<ResetPlan, String> {
        let admin = self.admin().await?;
        let state = self.state_of(&admin, &request.group).await?;
        Self::inactive(&request.group, &state)?;
        let mut names = vec![request.group.clone()];
        if let ResetTo::FromGroup(other) = &request.to {
            names.push(other.clone());
        }
        let mut committed = self.committed_of(&admin, &names).await;
        let current = committed
            .remove(&request.group)
            .unwrap_or_else(|| Ok(HashMap::new()))?;
        let other = match &request.to {
            ResetTo::FromGroup(other) => {
                let offsets = committed
                    .remove(other)
                    .unwrap_or_else(|| Ok(HashMap::new()))?;
                if offsets.is_empty() {
                    return Err(format!("group '{other}' has no committed offsets to copy"));
                }
                offsets
            }
            _ => HashMap::new(),
        };
        let partitions: Vec<Tp> = match &request.scope {
            ResetScope::AllTopics => {
                let source = if other.is_empty() { &current } else { &other };
                let mut all: Vec<Tp> = source.keys().cloned().collect();
                all.sort();
                if all.is_empty() {
                    return Err(format!(
                        "group '{}' has no committed offsets: name the topics to reset (--topic)",
                        request.group
                    ));
                }
                all
            }
            ResetScope::Topics(selectors) => self.expand(&admin, selectors).await?,
        };
        let known = self
            .known(&admin, &partitions, &request.to, current, other)
            .await?;
        let (rows, notes) = plan_rows(&request.to, &partitions, &known)?;
        Ok(ResetPlan {
            request: request.clone(),
            state,
            rows,
            notes,
        })
    }

    /// The log offsets a plan needs: earliest, latest, and by time for the time modes.
    async fn known(
        &self,
        admin: &AdminClient,
        partitions: &[Tp],
        to: &ResetTo,
        current: HashMap<Tp, i64>,
        other: HashMap<Tp, i64>,
    ) -> Result<Known, String> {
        let at = match to {
            ResetTo::Datetime(ms) => Some(*ms),
            ResetTo::Duration(back) => Some(jiff::Timestamp::now().as_millisecond() - back),
            _ => None,
        };
        let earliest = self.listed(admin, partitions, OffsetSpec::Earliest).await?;
        let latest = self.listed(admin, partitions, OffsetSpec::Latest).await?;
        let by_time = match at {
            Some(ms) => {
                self.listed(admin, partitions, OffsetSpec::Timestamp(ms))
                    .await?
            }
            None => HashMap::new(),
        };
        let flatten = |map: HashMap<Tp, Option<i64>>| {
            map.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect()
        };
        Ok(Known {
            current,
            earliest: flatten(earliest),
            latest: flatten(latest),
            by_time,
            other,
        })
    }

    /// One ListOffsets lookup for every partition; `None` where no offset matches.
    async fn listed(
        &self,
        admin: &AdminClient,
        partitions: &[Tp],
        spec: OffsetSpec,
    ) -> Result<HashMap<Tp, Option<i64>>, String> {
        let specs = partitions
            .iter()
            .map(|(t, p)| (TopicPartition::new(t.clone(), *p), spec));
        let listed = admin
            .list_offsets(specs, ListOffsetsOptions::default())
            .await
            .map_err(|e| self.words(&e))?;
        let mut out = HashMap::new();
        for (tp, offset) in listed {
            let offset = match offset {
                Ok(listed) => (listed.offset >= 0).then_some(listed.offset),
                // No record at or after a time: Kafka answers -1, which krafka reports as
                // OFFSET_NOT_AVAILABLE; the plan falls back to the log end, as Kafka's
                // tool does.
                Err(KrafkaError::Broker {
                    code: ErrorCode::OffsetNotAvailable,
                    ..
                }) if matches!(spec, OffsetSpec::Timestamp(_)) => None,
                Err(e) => {
                    return Err(format!("{}-{}: {}", tp.topic, tp.partition, self.words(&e)));
                }
            };
            out.insert((tp.topic, tp.partition), offset);
        }
        Ok(out)
    }

    /// Writes a previewed plan, as it was previewed. Answers how many partitions moved.
    pub async fn apply(&self, plan: &ResetPlan) -> Result<usize, String> {
        let admin = self.admin().await?;
        let group = &plan.request.group;
        Self::inactive(group, &self.state_of(&admin, group).await?)?;
        // The plan was made against these committed offsets: if consumers moved them since
        // (they ran and stopped again), applying it would not do what the preview said.
        let now = self.committed_one(&admin, group).await?;
        let moved: Vec<String> = plan
            .rows
            .iter()
            .filter(|r| now.get(&(r.topic.clone(), r.partition)).copied() != r.current)
            .map(|r| format!("{}-{}", r.topic, r.partition))
            .collect();
        if !moved.is_empty() {
            return Err(format!(
                "the committed offsets of {} moved since the preview: preview the reset again",
                moved.join(", ")
            ));
        }
        let offsets: Vec<(TopicPartition, i64)> = plan
            .rows
            .iter()
            .map(|r| (TopicPartition::new(r.topic.clone(), r.partition), r.new))
            .collect();
        let results = self.alter(&admin, group, offsets).await?;
        let mut failed: Vec<String> = results
            .iter()
            .filter_map(|(tp, r)| {
                r.as_ref()
                    .err()
                    .map(|e| format!("{}-{}: {}", tp.topic, tp.partition, self.words(e)))
            })
            .collect();
        failed.sort();
        if failed.is_empty() {
            Ok(results.len())
        } else {
            Err(failed.join("; "))
        }
    }

    /// Commits `offsets` for `group`, again (up to 5 times, backing off) for partitions
    /// whose coordinator was moving or loading: krafka answers those per partition
    /// instead of retrying, and a fresh cluster's offsets topic moves for a while.
    async fn alter(
        &self,
        admin: &AdminClient,
        group: &str,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<HashMap<TopicPartition, Result<(), KrafkaError>>, String> {
        let mut left = offsets;
        let mut done = HashMap::new();
        for attempt in 0..5 {
            let results = admin
                .alter_consumer_group_offsets(
                    group.to_string(),
                    left.clone(),
                    AlterConsumerGroupOffsetsOptions::default(),
                )
                .await
                .map_err(|e| self.words(&e))?;
            let retry = |r: &Result<(), KrafkaError>| {
                matches!(
                    r,
                    Err(KrafkaError::Broker {
                        code: ErrorCode::NotCoordinator
                            | ErrorCode::CoordinatorNotAvailable
                            | ErrorCode::CoordinatorLoadInProgress,
                        ..
                    })
                )
            };
            left.retain(|(tp, _)| results.get(tp).is_some_and(retry));
            done.extend(results);
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        Ok(done)
    }

    pub async fn delete(&self, group: &str) -> Result<(), String> {
        let admin = self.admin().await?;
        let results = admin
            .delete_consumer_groups([group], DeleteConsumerGroupsOptions::default())
            .await
            .map_err(|e| self.words(&e))?;
        match results.get(group) {
            Some(Ok(())) => Ok(()),
            Some(Err(KrafkaError::Broker {
                code: ErrorCode::GroupIdNotFound,
                ..
            })) => Err(format!("consumer group '{group}' does not exist")),
            Some(Err(KrafkaError::Broker {
                code: ErrorCode::NonEmptyGroup,
                ..
            })) => Err(format!(
                "consumer group '{group}' has active members: Kafka deletes a group only once it is empty"
            )),
            Some(Err(e)) => Err(self.words(e)),
            None => Err(format!("the coordinator did not answer for '{group}'")),
        }
    }

    /// Deletes the group's committed offsets for every partition of `topic`.
    pub async fn delete_offsets(&self, group: &str, topic: &str) -> Result<usize, String> {
        let admin = self.admin().await?;
        let committed = self.committed_one(&admin, group).await?;
        let mut partitions: Vec<Tp> = committed
            .keys()
            .filter(|(t, _)| t == topic)
            .cloned()
            .collect();
        if partitions.is_empty() {
            // Kafka's tool names every partition of the topic; a group without a commit
            // there has nothing to delete, which deserves words rather than "done".
            let state = self.state_of(&admin, group).await?;
            return Err(if state == "Dead" {
                format!("consumer group '{group}' does not exist")
            } else {
                format!("group '{group}' has no committed offsets for topic '{topic}'")
            });
        }
        partitions.sort();
        let results = admin
            .delete_consumer_group_offsets(
                group.to_string(),
                partitions
                    .iter()
                    .map(|(t, p)| TopicPartition::new(t.clone(), *p)),
                DeleteConsumerGroupOffsetsOptions::default(),
            )
            .await
            .map_err(|e| self.words(&e))?;
        let mut failed: Vec<String> = results
            .iter()
            .filter_map(|(tp, r)| match r {
                Ok(()) => None,
                Err(KrafkaError::Broker { code: ErrorCode::GroupSubscribedToTopic, .. }) => Some(format!(
                    "{}-{}: the group is subscribed to '{topic}' (its members are consuming it): stop them first",
                    tp.topic, tp.partition
                )),
                Err(e) => Some(format!("{}-{}: {}", tp.topic, tp.partition, self.words(e))),
            })
            .collect();
        failed.sort();
        failed.dedup();
        if failed.is_empty() {
            Ok(results.len())
        } else {
            Err(failed.join("; "))
        }
    }

    /// `--topic T` and `--topic T:0,1` into partitions; an unknown topic is refused in words.
    async fn expand(
        &self,
        admin: &AdminClient,
        selectors: &[super::TopicSelector],
    ) -> Result<Vec<Tp>, String> {
        let whole: Vec<&str> = selectors.iter().map(|s| s.topic.as_str()).collect();
        let described = admin
            .describe_topics(whole, DescribeTopicsOptions::default())
            .await
            .map_err(|e| self.words(&e))?;
        let mut out = BTreeSet::new();
        for selector in selectors {
            let description = match described.get(&selector.topic) {
                Some(Ok(d)) => d,
                Some(Err(KrafkaError::Broker {
                    code: ErrorCode::UnknownTopicOrPartition,
                    ..
                }))
                | None => {
                    return Err(format!("topic '{}' does not exist", selector.topic));
                }
                Some(Err(e)) => {
                    return Err(format!("topic '{}': {}", selector.topic, self.words(e)));
                }
            };
            let existing: BTreeSet<i32> =
                description.partitions.iter().map(|p| p.partition).collect();
            match &selector.partitions {
                None => out.extend(existing.iter().map(|p| (selector.topic.clone(), *p))),
                Some(partitions) => {
                    for p in partitions {
                        if !existing.contains(p) {
                            return Err(format!(
                                "topic '{}' has no partition {p} (it has {})",
                                selector.topic,
                                existing.len()
                            ));
                        }
                        out.insert((selector.topic.clone(), *p));
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
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

/// A krafka error in the words a Kafka user knows.
pub(super) fn words(error: &KrafkaError, demo: bool) -> String {
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
