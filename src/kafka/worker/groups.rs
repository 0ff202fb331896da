//! Consumer-group requests, each on its own task: the group admin client (krafka) is
//! created on first use and dropped with the cluster. Listings are serialised and the
//! latest wins: a listing that waited behind another one that a newer request replaced is
//! not run, and answered with an error its requester ignores (it follows the newest id).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::super::groups::GroupsClient;
use super::super::{admin, brokers};
use super::{Command, KafkaEvent, Worker};

/// The current cluster's group client and the listing queue.
pub(super) struct Groups {
    client: Arc<GroupsClient>,
    /// One listing at a time.
    listing: Arc<tokio::sync::Mutex<()>>,
    /// The newest listing request.
    newest: Arc<AtomicU64>,
}

impl Worker {
    fn groups(&mut self) -> &Groups {
        let settings = self.options.settings.clone();
        let timeout = self.options.request_timeout;
        let demo = self.options.demo.is_some();
        self.groups.get_or_insert_with(|| Groups {
            client: Arc::new(GroupsClient::new(settings, timeout, demo)),
            listing: Arc::default(),
            newest: Arc::default(),
        })
    }

    pub(super) fn start_groups(&mut self, command: Command) {
        let events = self.events.clone();
        let groups = self.groups();
        let client = Arc::clone(&groups.client);
        if let Command::ListGroups { id } = command {
            let listing = Arc::clone(&groups.listing);
            let newest = Arc::clone(&groups.newest);
            newest.store(id, Ordering::SeqCst);
            tokio::spawn(async move {
                let _one = listing.lock().await;
                if newest.load(Ordering::SeqCst) != id {
                    // Answered all the same, so its requester's bookkeeping closes.
                    let result = Err("replaced by a newer listing".to_string());
                    let _ = events.send(KafkaEvent::Groups { id, result }).await;
                    return;
                }
                let result = client.list().await;
                let _ = events.send(KafkaEvent::Groups { id, result }).await;
            });
            return;
        }
        tokio::spawn(async move {
            let event = match command {
                Command::DescribeGroup { id, group } => {
                    let result = client.describe(&group, true).await.map(Box::new);
                    KafkaEvent::GroupDetail { id, group, result }
                }
                Command::PlanReset { id, request } => {
                    let result = client.plan(&request).await.map(Box::new);
                    KafkaEvent::ResetPlanned {
                        id,
                        group: request.group,
                        result,
                    }
                }
                Command::ApplyReset { id, plan } => {
                    let result = client.apply(&plan).await;
                    KafkaEvent::ResetApplied {
                        id,
                        group: plan.request.group,
                        result,
                    }
                }
                Command::DeleteGroup { id, group } => {
                    let result = client.delete(&group).await;
                    KafkaEvent::GroupDeleted { id, group, result }
                }
                Command::DeleteGroupOffsets { id, group, topic } => {
                    let result = client.delete_offsets(&group, &topic).await;
                    KafkaEvent::GroupOffsetsDeleted {
                        id,
                        group,
                        topic,
                        result,
                    }
                }
                _ => return,
            };
            let _ = events.send(event).await;
        });
    }
}

impl Worker {
    /// Describes every broker: the metadata (rdkafka, as the Topics tab sees it), then
    /// what the brokers answer themselves (the group client, krafka).
    pub(super) fn start_brokers(&mut self, id: crate::kafka::RequestId) {
        let events = self.events.clone();
        let consumer = self.clients.as_ref().map(|c| Arc::clone(&c.consumer));
        let seen = self.seen_brokers.clone();
        let timeout = self.options.request_timeout;
        let client = Arc::clone(&self.groups().client);
        let cluster_id = self.cluster_id.clone();
        tokio::spawn(async move {
            let result = async {
                let consumer = consumer.ok_or_else(|| "no Kafka clients".to_string())?;
                let metadata = tokio::task::spawn_blocking(move || {
                    let fetched = admin::fetch_metadata(&consumer, timeout);
                    admin::serve_events(&consumer);
                    fetched.map_err(|e| admin::describe_kafka_error(&e))
                })
                .await
                .map_err(|e| format!("metadata task failed: {e}"))??;
                let mut snapshot = brokers::describe(&client, &metadata, &seen, timeout).await?;
                if snapshot.cluster_id.is_none() {
                    snapshot.cluster_id = cluster_id;
                }
                Ok::<_, String>(snapshot)
            }
            .await;
            let _ = events.send(KafkaEvent::Brokers { id, result }).await;
        });
    }
}

/// Whether `command` is a group request.
pub(super) fn is_group_command(command: &Command) -> bool {
    matches!(
        command,
        Command::ListGroups { .. }
            | Command::DescribeGroup { .. }
            | Command::PlanReset { .. }
            | Command::ApplyReset { .. }
            | Command::DeleteGroup { .. }
            | Command::DeleteGroupOffsets { .. }
    )
}
