//! The worker's schema registry requests (the Schemas tab's subjects and versions,
//! Compose's schema), each on a blocking thread: the registry client blocks, with
//! deadlines.

use super::{KafkaEvent, Worker};
use crate::schema::{NO_REGISTRY, SchemaChoice, Schemas};

impl Worker {
    /// Asks the cluster's schema registry for its subjects, or for one subject's version,
    /// on a blocking thread (the registry client blocks, with deadlines).
    pub(super) fn start_schemas(
        &mut self,
        id: crate::kafka::RequestId,
        subject: Option<(String, Option<i32>)>,
    ) {
        let events = self.events.clone();
        let registry = self.options.settings.schema_registry.clone();
        let describing = subject.is_some();
        tokio::spawn(async move {
            let asked = tokio::task::spawn_blocking(move || {
                let registry = registry.ok_or_else(|| NO_REGISTRY.to_string())?;
                let schemas = Schemas::shared(&registry)?;
                Ok::<_, String>(match subject {
                    None => KafkaEvent::Subjects {
                        id,
                        result: schemas.list_subjects(),
                    },
                    Some((subject, version)) => KafkaEvent::Subject {
                        id,
                        result: schemas.describe_subject(&subject, version),
                    },
                })
            })
            .await
            .unwrap_or_else(|e| Err(format!("the registry task failed: {e}")));
            let event = match asked {
                Ok(event) => event,
                Err(reason) if describing => KafkaEvent::Subject {
                    id,
                    result: Err(reason),
                },
                Err(reason) => KafkaEvent::Subjects {
                    id,
                    result: Err(reason),
                },
            };
            let _ = events.send(event).await;
        });
    }
}

impl Worker {
    /// Fetches and compiles the schema Compose writes with, on a blocking thread.
    pub(super) fn start_encoder(&mut self, id: crate::kafka::RequestId, choice: SchemaChoice) {
        let events = self.events.clone();
        let registry = self.options.settings.schema_registry.clone();
        tokio::spawn(async move {
            let result = tokio::task::spawn_blocking(move || {
                let registry = registry.ok_or_else(|| NO_REGISTRY.to_string())?;
                Schemas::shared(&registry)?.encoder(&choice).map(Box::new)
            })
            .await
            .unwrap_or_else(|e| Err(format!("the registry task failed: {e}")));
            let _ = events.send(KafkaEvent::SchemaLoaded { id, result }).await;
        });
    }
}
