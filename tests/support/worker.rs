//! Driving ktui's Kafka worker directly: reading its events with a deadline, and
//! stopping it.

use std::time::Duration;

use ktui::kafka::worker::{ShutdownReport, WorkerHandle};
use ktui::kafka::{Command, KafkaEvent};
use tokio::time::Instant;

/// Reads the worker's events until `pick` returns `Some`; panics naming `what` and every
/// event seen when the worker stops or `timeout` passes first.
pub async fn next_event<T>(
    worker: &mut WorkerHandle,
    what: &str,
    timeout: Duration,
    mut pick: impl FnMut(&KafkaEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, worker.events.recv()).await {
            Ok(Some(event)) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            Ok(None) => panic!("the worker stopped while waiting for {what}; saw {seen:#?}"),
            Err(elapsed) => panic!("no {what} within {timeout:?} ({elapsed}); saw {seen:#?}"),
        }
    }
}

/// Sends `Shutdown` and waits (10 s at most) for the worker to stop; returns its report.
pub async fn shut_down(worker: WorkerHandle) -> ShutdownReport {
    worker
        .commands
        .send(Command::Shutdown)
        .await
        .expect("the worker is running");
    tokio::time::timeout(Duration::from_secs(10), worker.task)
        .await
        .expect("the worker stops within 10 s of Shutdown")
        .expect("the worker task did not panic")
}
