//! The worker's clients: the metadata and admin clients of the current cluster, the
//! shared producer, and switching to another cluster.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::{FutureProducer, Producer};

use super::super::client::{ClientSettings, KtuiContext};
use super::super::produce::{self, ProduceFailure};
use super::{ShutdownReport, Worker};

/// The clients for metadata and admin requests; absent when they could not be created.
pub(super) struct Clients {
    pub(super) context: KtuiContext,
    pub(super) consumer: Arc<BaseConsumer<KtuiContext>>,
    pub(super) admin: Arc<AdminClient<KtuiContext>>,
}

impl Clients {
    pub(super) fn create(settings: &ClientSettings) -> Result<Self, String> {
        let context = KtuiContext::default();
        let config = settings.client_config();
        let consumer: BaseConsumer<KtuiContext> = config
            .create_with_context(context.clone())
            .map_err(|e| crate::secret::redact(&e.to_string()).into_owned())?;
        let admin: AdminClient<KtuiContext> = config
            .create_with_context(context.clone())
            .map_err(|e| crate::secret::redact(&e.to_string()).into_owned())?;
        Ok(Self {
            context,
            consumer: Arc::new(consumer),
            admin: Arc::new(admin),
        })
    }
}

impl Worker {
    /// Stops everything running on the current cluster before a switch.
    pub(super) fn disconnect(&mut self, read_only: Option<String>, demo: bool) {
        for (_, stop) in self.tails.drain() {
            stop.store(true, Ordering::Relaxed);
        }
        for (_, stop) in self.feeds.drain() {
            stop.stop();
        }
        if let Some(producer) = self.producer.take() {
            // Messages already sent get their bounded chance; nobody waits for it.
            tokio::task::spawn_blocking(move || {
                let _ = producer.flush(Duration::from_secs(5));
            });
        }
        self.clients = None;
        self.groups = None;
        self.cluster_id = None;
        self.seen_brokers.clear();
        if let Ok(mut known) = self.known_topics.lock() {
            known.clear();
        }
        self.options.read_only = read_only;
        self.options.demo = if demo { self.demo_admin.clone() } else { None };
        self.options.broken = Some("switching clusters".to_string());
    }

    /// Uses the new cluster's settings (or records why they are unusable).
    pub(super) fn reconnect(&mut self, resolved: Result<ClientSettings, String>) {
        match resolved.and_then(|settings| {
            let clients = Clients::create(&settings)
                .map_err(|e| format!("cannot create the Kafka clients: {e}"))?;
            Ok((settings, clients))
        }) {
            Ok((settings, clients)) => {
                self.options.settings = settings;
                self.clients = Some(clients);
                self.options.broken = None;
            }
            Err(reason) => self.options.broken = Some(reason),
        }
    }

    /// Waits (bounded) for outstanding messages; says how many were not confirmed.
    pub(super) async fn flush(&mut self) -> ShutdownReport {
        let Some(producer) = self.producer.take() else {
            return ShutdownReport::default();
        };
        tokio::task::spawn_blocking(move || {
            let _ = producer.flush(Duration::from_secs(5));
            ShutdownReport {
                unconfirmed: producer.in_flight_count(),
            }
        })
        .await
        .unwrap_or_default()
    }

    /// The shared producer, created on first use.
    pub(super) fn producer(&mut self) -> Result<FutureProducer<KtuiContext>, ProduceFailure> {
        if let Some(p) = &self.producer {
            return Ok(p.clone());
        }
        let producer = produce::producer_config(&self.options.settings)
            .create_with_context::<_, FutureProducer<KtuiContext>>(
                self.clients
                    .as_ref()
                    .map(|c| c.context.clone())
                    .unwrap_or_default(),
            )
            .map_err(|e| produce::failure(&e))?;
        self.producer = Some(producer.clone());
        Ok(producer)
    }
}
