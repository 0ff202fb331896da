//! Everything before the first frame: the config file, the clusters (profiles), secrets,
//! the demo cluster, and the `App` the command line and the file ask for; then the TUI or
//! a headless subcommand.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::app::{self, App, AppSettings, ClusterLabel};
use crate::cli::{self, Cli};
use crate::kafka::demo::{DemoCluster, DemoOptions};
use crate::kafka::{self, ClientSettings, WorkerOptions};
use crate::keymap::Keymap;
use crate::tabs::tail::TailTab;
use crate::{config, feed, headless, tabs, theme, ui};

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
        return headless::run(command, settings, &cli.feed_options, demo.is_some()).await;
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
    if let Some(demo) = demo.as_ref()
        && let Some(why) = &demo.registry_fallback
    {
        notices.push((
            app::Level::Info,
            format!(
                "{why}: the demo's schema registry is at {} instead.",
                demo.registry_url
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
    let mut settings = app_settings(&cli, &loaded, label, notices)?;
    settings.profiles = app::Clusters::new(profiles.list, profiles.current);
    settings.profiles.demo = demo_index;
    let code = app::run_tui(App::new(settings), worker, ui::render).await?;
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
        registry_listen: Some(cli.demo_registry_listen),
    })
    .await
    .context("cannot start the demo cluster")?;
    let mut profile = config::Profile::ad_hoc("demo", demo.bootstrap.clone());
    // The demo's own registry, unless one was given (--schema-registry), and any
    // --proto-file: they are the session's, not the address's.
    let current = &profiles.list[profiles.current];
    profile.schema_registry = Some(
        current
            .schema_registry
            .clone()
            .filter(|_| cli.schema_registry.is_some())
            .unwrap_or_else(|| crate::schema::RegistrySpec::url(&demo.registry_url)),
    );
    profile.proto.clone_from(&current.proto);
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

/// The App's settings as the command line and config file give them.
fn app_settings(
    cli: &Cli,
    loaded: &config::Loaded,
    cluster: ClusterLabel,
    mut notices: Notices,
) -> anyhow::Result<AppSettings> {
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
    let mut settings = AppSettings::new(cluster, keymap);
    settings.palette = theme::Palette::choose(
        loaded.file.ui.theme.unwrap_or_default(),
        theme::no_color_requested(),
    );
    settings.notices = notices;
    if let Some(path) = config::history_path()
        && let Ok(text) = std::fs::read_to_string(path)
    {
        settings.history = tabs::compose::history::parse(&text);
    }
    settings.tail = TailTab::new(cli.buffer, cli.tail_defaults()?);
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
    settings.feed = tabs::feed::FeedTab::new(
        feed_source,
        cli.feed_options.feed_topic.clone(),
        cli.feed_options.value,
    );
    // The tail starts with the first commands (App::start).
    settings.open_topic.clone_from(&cli.topic);
    Ok(settings)
}
