//! The `ktui` binary: parse the command line, run, restore the terminal, exit.
//!
//! The interactive TUI runs under a small supervisor (`ktui::supervisor`): this process
//! starts itself again as the TUI and restores the terminal if that one dies in a way it
//! cannot catch. Headless subcommands run here directly.

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A panic message could quote a secret (a property value): mask it like everything else.
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = ktui::secret::redact(&payload);
        tracing::error!("panic{place}: {message}");
        // Not eprintln: a terminal that hung up must not turn a panic into an abort.
        let _ = writeln!(std::io::stderr(), "ktui panicked{place}: {message}");
    }));
    let cli = ktui::cli::Cli::parse_args();
    if cli.command.is_none()
        && ktui::supervisor::wanted()
        && let Some(code) = ktui::supervisor::supervise()
    {
        return code;
    }
    ktui::supervisor::follow_parent();
    let _log_guard = ktui::config::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ktui")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ktui: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(ktui::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "ktui: {}",
                ktui::secret::redact(&format!("{error:#}"))
            );
            ExitCode::FAILURE
        }
    };
    // librdkafka threads may linger; do not wait on them.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    // Quit on SIGTERM, SIGHUP, SIGINT or SIGQUIT: the status a shell expects, 128 + N.
    ktui::event::quit_signal().map_or(code, |signal| ExitCode::from(signal.exit_code()))
}
