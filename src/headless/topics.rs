//! `ktui topics`: the topic table (or JSON) on stdout.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use rdkafka::consumer::BaseConsumer;
use serde::Serialize;

use crate::kafka::admin;
use crate::kafka::client::{ClientSettings, KtuiContext};
use crate::kafka::model::{ClusterSnapshot, TopicInfo};

#[derive(Serialize)]
struct TopicRow<'a> {
    name: &'a str,
    partitions: usize,
    replication_factor: usize,
    under_replicated: usize,
    messages: Option<u64>,
    internal: bool,
}

impl<'a> From<&'a TopicInfo> for TopicRow<'a> {
    fn from(t: &'a TopicInfo) -> Self {
        Self {
            name: &t.name,
            partitions: t.partitions.len(),
            replication_factor: t.replication_factor(),
            under_replicated: t.under_replicated(),
            messages: t.messages(),
            internal: t.is_internal(),
        }
    }
}

pub async fn run(
    json: bool,
    timeout: Duration,
    settings: ClientSettings,
) -> anyhow::Result<ExitCode> {
    let snapshot = match fetch(&settings, timeout, true).await? {
        Ok(snapshot) => snapshot,
        Err(reason) => {
            super::note(&format!(
                "ktui: cannot reach the cluster at {}: {reason}",
                crate::text::escape_control(&settings.brokers)
            ));
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if json {
        let rows: Vec<TopicRow> = snapshot.topics.iter().map(TopicRow::from).collect();
        serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_table(&mut out, &snapshot)
    };
    match written.and_then(|()| out.flush()) {
        // A closed pipe (`| head -1`): the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(anyhow::Error::new(e).context("writing the topic list")),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

/// One metadata round trip (and every partition's watermarks, when asked);
/// `Ok(Err(reason))` when the cluster is unreachable.
pub(super) async fn fetch(
    settings: &ClientSettings,
    timeout: Duration,
    watermarks: bool,
) -> anyhow::Result<Result<ClusterSnapshot, String>> {
    let context = KtuiContext::default();
    let consumer: BaseConsumer<KtuiContext> = settings
        .client_config()
        .create_with_context(context.clone())
        .context("cannot create the Kafka client (check -X properties)")?;
    let result =
        tokio::task::spawn_blocking(move || admin::fetch_snapshot(&consumer, timeout, watermarks))
            .await
            .context("metadata task failed")?;
    Ok(result.map_err(|error| context.reason_for(&admin::describe_kafka_error(&error))))
}

fn write_table(out: &mut impl Write, snapshot: &ClusterSnapshot) -> std::io::Result<()> {
    let width = snapshot
        .topics
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:<width$}  {:>10}  {:>3}  {:>3}  {:>12}",
        "NAME", "PARTITIONS", "RF", "URP", "MESSAGES"
    )?;
    for t in &snapshot.topics {
        writeln!(
            out,
            "{:<width$}  {:>10}  {:>3}  {:>3}  {:>12}",
            crate::text::escape_control(&t.name),
            t.partitions.len(),
            t.replication_factor(),
            t.under_replicated(),
            t.messages().map_or_else(|| "?".into(), |m| m.to_string())
        )?;
    }
    Ok(())
}
