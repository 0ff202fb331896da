//! Headless subcommands: the same engine as the TUI, printing to stdout, exiting non-zero
//! with a clear message on failure.

mod brokers;
pub mod config;
mod consume;
mod feed;
mod groups;
mod produce;
mod progress;
mod topics;

use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::Headless;
use crate::kafka::ClientSettings;

pub async fn run(
    command: Headless,
    settings: ClientSettings,
    feed_options: &crate::cli::FeedOptions,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    match command {
        Headless::Topics { json, timeout, .. } => {
            topics::run(json, std::time::Duration::from_secs(timeout), settings).await
        }
        Headless::Brokers { json, timeout, .. } => {
            brokers::run(
                json,
                std::time::Duration::from_secs(timeout),
                settings,
                demo,
            )
            .await
        }
        Headless::Consume(args) => consume::run(args, settings).await,
        Headless::Groups(args) => groups::run(args, settings, demo).await,
        Headless::Produce(args) => produce::run(args, settings).await,
        Headless::Feed { source, topic, .. } => {
            feed::run(&source, topic, feed_options, settings).await
        }
        // Handled before any cluster is resolved (see `crate::run`).
        Headless::Config { .. } => Ok(ExitCode::SUCCESS),
    }
}

/// Writes one line to stderr. `false` when stderr is gone (a closed pipe): unlike
/// `eprintln!`, this never panics, and the caller decides whether to go on.
pub(crate) fn note(line: &str) -> bool {
    let mut stderr = std::io::stderr().lock();
    writeln!(stderr, "{line}").is_ok()
}

/// Resolves on Ctrl-C or SIGTERM, with the exit code a shell expects for it (128 + N).
pub(crate) async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return 130;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
