//! `ktui feed`: only the bridge (the quickstart's `twitter-stream.py` job, done right).
//! One line per state change and a count every 10 s on stderr; exits non-zero on a fatal
//! error (a bad token: the API's message) and zero when a replay ends.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::FeedOptions;
use crate::feed::FeedState;
use crate::kafka::{ClientSettings, Command, KafkaEvent, WorkerOptions};
use crate::kafka::{FeedCounts, FeedJob, FeedUpdate};
use crate::text::escape_control;

pub async fn run(
    source: &str,
    topic: Option<String>,
    options: &FeedOptions,
    settings: ClientSettings,
) -> anyhow::Result<ExitCode> {
    let source = match options.source(source) {
        Ok(s) => s,
        Err(problem) => {
            super::note(&format!("ktui: {problem}"));
            return Ok(ExitCode::from(2));
        }
    };
    let topic = topic.unwrap_or_else(|| options.feed_topic.clone());
    let mut worker = crate::kafka::worker::spawn(WorkerOptions::new(settings));
    let job = FeedJob {
        source,
        topic: topic.clone(),
        value: options.value,
    };
    worker
        .commands
        .send(Command::StartFeed { id: 1, job })
        .await?;
    let mut counts = FeedCounts::default();
    let mut printed: Option<FeedCounts> = None;
    let mut last_print = Instant::now();
    let mut outcome = ExitCode::SUCCESS;
    let mut stopped = false;
    let mut interrupted = std::pin::pin!(super::interrupted());
    let mut stopping = false;
    // Whether stderr still has a reader: when it is a closed pipe, the feed stops as on
    // Ctrl-C, quietly.
    let mut heard = true;
    loop {
        let event = tokio::select! {
            event = worker.events.recv() => event,
            // Ctrl-C / SIGTERM: stop the source, let pending deliveries finish, report.
            _ = &mut interrupted, if !stopping && !stopped => {
                stopping = true;
                heard = heard && super::note("ktui feed: stopping");
                let _ = worker.commands.send(Command::StopFeed { id: 1 }).await;
                continue;
            }
        };
        let Some(event) = event else { break };
        match event {
            KafkaEvent::Feed {
                update: FeedUpdate::State(state),
                ..
            } => {
                heard = heard
                    && super::note(&format!(
                        "ktui feed: {}",
                        escape_control(&state.to_string())
                    ));
                if let FeedState::Stopped { fatal, .. } = state {
                    if fatal {
                        outcome = ExitCode::from(1);
                    }
                    stopped = true;
                }
            }
            KafkaEvent::Feed {
                update: FeedUpdate::Counts(now),
                ..
            } => {
                let done = stopped && now.received == now.published + now.failed;
                let changed = printed.as_ref() != Some(&now);
                // A count every 10 s while it moves, and always the final totals.
                if changed && (done || last_print.elapsed() >= Duration::from_secs(10)) {
                    heard = heard && print_counts(&topic, &now);
                    printed = Some(now.clone());
                    last_print = Instant::now();
                }
                counts = now;
                if done {
                    break;
                }
            }
            _ => {}
        }
        if !heard && !stopping && !stopped {
            stopping = true;
            let _ = worker.commands.send(Command::StopFeed { id: 1 }).await;
        }
    }
    let _ = worker.commands.send(Command::Shutdown).await;
    let _ = tokio::time::timeout(Duration::from_secs(8), worker.task).await;
    if counts.failed > 0 {
        outcome = ExitCode::from(1);
    }
    Ok(outcome)
}

/// `false` when stderr is gone.
fn print_counts(topic: &str, counts: &FeedCounts) -> bool {
    let mut line = format!(
        "ktui feed: received {}, published {} to {}",
        counts.received,
        counts.published,
        escape_control(topic)
    );
    if counts.failed > 0 {
        let _ = write!(
            line,
            ", {} failed ({})",
            counts.failed,
            escape_control(counts.last_error.as_deref().unwrap_or("unknown error"))
        );
    }
    super::note(&line)
}
