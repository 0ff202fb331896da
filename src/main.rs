//! The `ktui` binary: parse the command line, run, restore the terminal, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ktui::cli::Cli::parse();
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
            eprintln!("ktui: {error:#}");
            ExitCode::FAILURE
        }
    };
    // librdkafka threads may linger; do not wait on them.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
