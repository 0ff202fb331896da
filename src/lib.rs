//! ktui: a terminal UI for Apache Kafka.
//!
//! The shape (see `ARCHITECTURE.md` in the project's shared docs):
//! - [`app`]: the `App` state, `App::handle` (event in, commands out) and the run loop;
//! - [`ui`]: drawing, a pure function of `&App`;
//! - [`kafka`]: the worker that owns every rdkafka client (no UI imports), the demo
//!   cluster, and admin calls;
//! - [`headless`]: subcommands that use the same engine without a terminal.

pub mod action;
pub mod app;
pub mod cli;
pub mod config;
pub mod effects;
pub mod event;
pub mod feed;
pub mod filter;
pub mod headless;
pub mod kafka;
pub mod keymap;
pub mod loadable;
pub mod text;
pub mod ui;

use std::process::ExitCode;

use anyhow::Context as _;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use app::{App, ClusterLabel};
use cli::Cli;
use event::EventQueue;
use kafka::demo::DemoCluster;
use kafka::{ClientSettings, WorkerOptions};
use keymap::Keymap;
use ui::tabs::tail::TailTab;

/// Runs what the command line asks for: a headless subcommand or the TUI.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let demo = if cli.demo {
        Some(
            DemoCluster::start()
                .await
                .context("cannot start the demo cluster")?,
        )
    } else {
        None
    };
    let settings = ClientSettings {
        brokers: demo
            .as_ref()
            .map_or_else(|| cli.brokers.clone(), |d| d.bootstrap.clone()),
        properties: cli.properties.clone(),
    };
    if let Some(command) = cli.command {
        return headless::run(command, settings, &cli.feed_options).await;
    }
    let label = ClusterLabel {
        address: settings.brokers.clone(),
        demo_address: demo.as_ref().map(|d| d.advertised_address().to_string()),
    };
    let mut options = WorkerOptions::new(settings);
    options.demo = demo.as_ref().map(DemoCluster::admin);
    let worker = kafka::worker::spawn(options).context("cannot create the Kafka clients")?;

    let mut app = App::new(label, Keymap::default());
    if let Some(path) = config::history_path()
        && let Ok(text) = std::fs::read_to_string(path)
    {
        app.compose.history = ui::tabs::compose::history::parse(&text);
    }
    app.tail = TailTab::new(cli.buffer, cli.tail_defaults()?);
    // The feed: --feed, else in --demo the made-up tweets shipped in assets/, forever.
    let feed_source = match (cli.feed.as_deref(), cli.demo) {
        (Some(name), _) if name != "off" && name != "none" => {
            Some(cli.feed_options.source(name).map_err(anyhow::Error::msg)?)
        }
        (None, true) => Some(feed::SourceSpec::Replay {
            path: None,
            per_second: 2.0,
            rounds: 0,
        }),
        _ => None,
    };
    app.feed = ui::tabs::feed::FeedTab::new(
        feed_source,
        cli.feed_options.feed_topic.clone(),
        cli.feed_options.value,
    );
    if let Some(topic) = &cli.topic {
        // The tail starts with the first commands (App::start).
        app.tail.topic = Some(topic.clone());
        app.tab = app::Tab::Tail;
    }
    let mut events = EventQueue::default();
    events.forward_kafka(worker.events);

    // ratatui::try_init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init().context(
        "ktui needs an interactive terminal; for scripts use a subcommand (ktui topics --json)",
    )?;
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    events.spawn_terminal_input();
    events.spawn_ticks();
    let result = app::run(&mut terminal, &mut app, &mut events, &worker.commands).await;
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    // The worker flushes outstanding messages (bounded) before it stops.
    let pending = app.compose.pending();
    if pending > 0 {
        eprintln!("ktui: waiting up to 5 s for {pending} unconfirmed message(s)…");
    }
    match tokio::time::timeout(std::time::Duration::from_secs(8), worker.task).await {
        Ok(Ok(report)) if report.unconfirmed > 0 => eprintln!(
            "ktui: {} message(s) were not confirmed by the broker before exit",
            report.unconfirmed
        ),
        Ok(_) => {}
        Err(_) => eprintln!(
            "ktui: the Kafka worker did not stop in time; some messages may not have been sent"
        ),
    }
    drop(demo);
    result.map(|()| ExitCode::SUCCESS)
}
