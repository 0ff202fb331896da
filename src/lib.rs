//! ktui: a terminal UI for Apache Kafka.
//!
//! The shape (`ARCHITECTURE.md` is the one-page version):
//! - [`app`]: the `App` state, `App::handle` (event in, commands out), the routing of keys
//!   and worker events, the chrome (toasts, help, clusters) and the run loop;
//! - [`tabs`]: one folder per tab, its state beside its view;
//! - [`ui`]: the frame (tab bar, body, status, hints, overlays), drawn from `&App`;
//! - [`widgets`], [`theme`], [`layout`], [`size`], [`text`]: leaves the others share;
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
pub mod layout;
pub mod loadable;
pub mod secret;
pub mod size;
pub mod supervisor;
pub mod tabs;
pub mod text;
pub mod theme;
pub mod ui;
pub mod widgets;

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use crate::tabs::tail::TailTab;
use app::{App, ClusterLabel};
use cli::Cli;
use event::EventQueue;
use kafka::demo::{DemoCluster, DemoOptions};
use kafka::{ClientSettings, WorkerOptions};
use keymap::Keymap;

/// Start-up notices: shown once, in the TUI as toasts that stay until a key is
/// pressed, by headless commands on stderr.
type Notices = Vec<(app::Level, String)>;

/// Runs what the command line asks for: a headless subcommand or the TUI.
pub async fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    let loaded = config::file::load();
    cli.apply_config(&loaded.file);
    let diagnosing = matches!(cli.command, Some(cli::Headless::Config { .. }));
    let mut notices = match (&loaded.error, &cli.command) {
        // Never defaults in a script: they may name another cluster, or drop a
        // cluster's read-only mark. `ktui config` is how to look at the file.
        (Some(error), Some(_)) if !diagnosing => {
            let _ = writeln!(std::io::stderr(), "ktui: {error}");
            return Ok(ExitCode::from(2));
        }
        (Some(error), _) => vec![(
            app::Level::Error,
            format!("{error} (every cluster is read-only until the file is fixed)"),
        )],
        (None, _) => Notices::new(),
    };
    for warning in &loaded.warnings {
        notices.push((app::Level::Warn, warning.clone()));
    }
    let mut profiles = match config::profile::build(&loaded.file, &cli.selection()) {
        Ok(profiles) => profiles,
        Err(error) => {
            print_notices(&notices);
            eprintln!("ktui: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    notices.extend(profiles.warnings.drain(..).map(|w| (app::Level::Warn, w)));
    if diagnosing {
        return Ok(headless::config::run(&loaded, &profiles));
    }
    // The file may have marked any cluster read-only: writes stay off until it is read.
    for profile in profiles.list.iter_mut().filter(|_| loaded.error.is_some()) {
        profile.read_only = Some(CONFIG_BROKEN.to_string());
    }
    let (demo, demo_index) = if cli.demo {
        let demo = start_demo(&cli, &loaded, &mut profiles).await?;
        (Some(demo), Some(profiles.current))
    } else {
        (None, None)
    };
    let profile = profiles.list[profiles.current].clone();
    // A `cmd:` secret runs here, before the terminal is taken over.
    let spec = profile.spec();
    let resolved = tokio::task::spawn_blocking(move || spec.resolve())
        .await
        .context("resolving the cluster settings")?;
    if let Some(command) = cli.command.take() {
        print_notices(&notices);
        let settings = match resolved {
            Ok(settings) => settings,
            Err(error) => {
                eprintln!("ktui: {error}");
                return Ok(ExitCode::from(2));
            }
        };
        if let (Some(reason), Some(what)) = (&profile.read_only, command.writes()) {
            eprintln!("ktui: {what} is disabled: {reason}");
            return Ok(ExitCode::from(2));
        }
        return headless::run(command, settings, &cli.feed_options).await;
    }
    if let Some(demo) = demo.as_ref().filter(|d| d.fallback.is_some()) {
        notices.push((
            app::Level::Info,
            format!(
                "{}: the demo cluster listens at {} instead.",
                demo.fallback.as_deref().unwrap_or_default(),
                demo.advertised_address()
            ),
        ));
    }
    let mut options = WorkerOptions::new(
        resolved
            .clone()
            .unwrap_or_else(|_| ClientSettings::new(profile.brokers.clone())),
    );
    options.broken = resolved.err();
    options.read_only.clone_from(&profile.read_only);
    options.demo = demo.as_ref().map(DemoCluster::admin);
    let worker = kafka::worker::spawn(options);

    let label = ClusterLabel {
        address: profile.brokers.clone(),
        demo_address: demo.as_ref().map(|d| d.advertised_address().to_string()),
    };
    let mut app = build_app(&cli, &loaded, label, notices)?;
    app.clusters = app::Clusters::new(profiles.list, profiles.current);
    app.clusters.demo = demo_index;
    let code = run_tui(app, worker).await?;
    drop(demo);
    Ok(code)
}

/// Starts the demo cluster and puts it in the place of a cluster given only by address
/// (-b or the localhost default); the config file's clusters stay on offer.
async fn start_demo(
    cli: &Cli,
    loaded: &config::file::Loaded,
    profiles: &mut config::profile::Profiles,
) -> anyhow::Result<DemoCluster> {
    let demo = DemoCluster::start_with(DemoOptions {
        listen: Some(cli.demo_listen),
        trickle: (!cli.demo_trickle.is_zero()).then_some(cli.demo_trickle),
    })
    .await
    .context("cannot start the demo cluster")?;
    let mut profile = config::Profile::ad_hoc("demo", demo.bootstrap.clone());
    if cli.read_only {
        profile.read_only = Some("read-only session (--read-only)".to_string());
    } else if loaded.error.is_some() {
        profile.read_only = Some(CONFIG_BROKEN.to_string());
    }
    let current = &profiles.list[profiles.current];
    if loaded.file.clusters.contains_key(&current.name) {
        profiles.list.insert(0, profile);
        profiles.current = 0;
    } else {
        profiles.list[profiles.current] = profile;
    }
    Ok(demo)
}

/// Why every cluster is read-only when the config file could not be used.
const CONFIG_BROKEN: &str = "the config file has an error (read-only until it is fixed)";

fn print_notices(notices: &Notices) {
    // A closed stderr is not a reason to stop (nor to panic, as eprintln! would).
    let mut stderr = std::io::stderr().lock();
    for (_, notice) in notices {
        let _ = writeln!(stderr, "ktui: {notice}");
    }
}

/// The App as the command line and config file set it up.
fn build_app(
    cli: &Cli,
    loaded: &config::Loaded,
    label: ClusterLabel,
    mut notices: Notices,
) -> anyhow::Result<App> {
    let (keymap, key_warnings) = Keymap::default().with_overrides(&loaded.file.keys);
    let file = loaded
        .path
        .as_ref()
        .map_or_else(|| "config.toml".to_string(), |p| p.display().to_string());
    notices.extend(
        key_warnings
            .into_iter()
            .map(|w| (app::Level::Warn, format!("{file}: {w}"))),
    );
    let mut app = App::new(label, keymap);
    app.palette = crate::theme::Palette::choose(
        loaded.file.ui.theme.unwrap_or_default(),
        crate::theme::no_color_requested(),
    );
    for (level, notice) in notices {
        app.notice(level, notice);
    }
    if let Some(path) = config::history_path()
        && let Ok(text) = std::fs::read_to_string(path)
    {
        app.compose.history = crate::tabs::compose::history::parse(&text);
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
    app.feed = crate::tabs::feed::FeedTab::new(
        feed_source,
        cli.feed_options.feed_topic.clone(),
        cli.feed_options.value,
    );
    if let Some(topic) = &cli.topic {
        // The tail starts with the first commands (App::start).
        app.tail.topic = Some(topic.clone());
        app.tab = app::Tab::Tail;
    }
    Ok(app)
}

/// Takes over the terminal, runs the event loop, restores the terminal, and lets the
/// worker flush (bounded). A quit signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) ends the loop
/// like `q`; `main` then exits with its code ([`event::quit_signal`]).
/// Exits 1 when messages sent from Compose were not confirmed before exit (like
/// `ktui produce`: a message the broker never confirmed is a failure to report).
async fn run_tui(mut app: App, worker: kafka::worker::WorkerHandle) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;

    let mut events = EventQueue::default();
    events.attach_kafka(worker.events);
    // Before the terminal changes: from here on a signal is a clean quit.
    if let Err(error) = events.spawn_signals() {
        tracing::warn!("cannot handle quit signals: {error}");
    }

    // ratatui::try_init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init().context(
        "ktui needs an interactive terminal; for scripts use a subcommand (ktui topics --json)",
    )?;
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    events.spawn_terminal_input();
    events.spawn_ticks();
    let result = app::run(
        &mut terminal,
        &mut app,
        &mut events,
        &worker.commands,
        ui::render,
    )
    .await;
    restore_terminal();
    if let Some(which) = events.quit_signal() {
        tracing::info!("quit on {}: terminal restored", which.name());
    }
    // Writes to a terminal that hung up fail: never panic on them (eprintln would).
    let mut stderr = std::io::stderr();
    // The worker flushes outstanding messages (bounded) before it stops.
    let pending = app.compose.pending();
    if pending > 0 {
        let _ = writeln!(
            stderr,
            "ktui: waiting up to 5 s for {pending} unconfirmed message(s)…"
        );
    }
    let all_confirmed = match tokio::time::timeout(std::time::Duration::from_secs(8), worker.task)
        .await
    {
        Ok(Ok(report)) if report.unconfirmed > 0 => {
            let _ = writeln!(
                stderr,
                "ktui: {} message(s) were not confirmed by the broker before exit",
                report.unconfirmed
            );
            false
        }
        Ok(_) => true,
        Err(_) => {
            let _ = writeln!(
                stderr,
                "ktui: the Kafka worker did not stop in time; some messages may not have been sent"
            );
            pending == 0
        }
    };
    result.map(|()| {
        if all_confirmed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    })
}

/// Gives the terminal back: cooked mode, the main screen, the cursor, no bracketed paste.
/// Each step is tried even when one before it failed (a terminal that hung up fails them
/// all), and nothing is printed.
fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}
