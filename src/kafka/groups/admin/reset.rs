//! Resets and deletes: plans by kafka-consumer-groups.sh's rules, applied only as
//! previewed; deleting a group or its offsets for a topic.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use krafka::KrafkaError;
use krafka::admin::{
    AdminClient, AlterConsumerGroupOffsetsOptions, DeleteConsumerGroupOffsetsOptions,
    DeleteConsumerGroupsOptions, DescribeTopicsOptions, ListOffsetsOptions, OffsetSpec,
    TopicPartition,
};
use krafka::error::ErrorCode;

use super::super::plan::{Known, ResetPlan, ResetRequest, ResetScope, ResetTo, Tp, plan_rows};
use super::GroupsClient;

impl GroupsClient {
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
        if state == "Dead" {
            self.not_share(&admin, &request.group, "resets the offsets of")
                .await?;
        }
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
            if state == "Dead" {
                self.not_share(&admin, group, "deletes the offsets of")
                    .await?;
            }
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
        selectors: &[super::super::TopicSelector],
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
}
