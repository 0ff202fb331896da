//! `ktui config`: the config file, the clusters it defines and the settings in effect,
//! secrets masked (what `kcat -X dump` is for kcat, minus the secrets).

use std::io::Write as _;
use std::process::ExitCode;

use crate::config::{Loaded, Profiles};
use crate::text::escape_control;

/// Prints the report; exit code 2 when the file has an error. A closed pipe
/// (`| head -1`) ends it quietly.
pub fn run(loaded: &Loaded, profiles: &Profiles) -> ExitCode {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(report(loaded, profiles).as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::SUCCESS;
    }
    if loaded.error.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The report as text.
pub fn report(loaded: &Loaded, profiles: &Profiles) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let path = loaded.path.as_ref().map_or_else(
        || "(no config dir)".to_string(),
        |p| p.display().to_string(),
    );
    let state = match (&loaded.error, loaded.exists) {
        (Some(_), _) => "has an error: other commands refuse to run, the TUI starts read-only",
        (None, true) => "loaded",
        (None, false) => "not found; defaults are in use",
    };
    let _ = writeln!(out, "config file: {path} ({state})");
    if let Some(error) = &loaded.error {
        let _ = writeln!(out, "error: {error}");
    }
    for warning in loaded.warnings.iter().chain(&profiles.warnings) {
        let _ = writeln!(out, "warning: {warning}");
    }
    let _ = writeln!(out, "\nclusters:");
    for (i, profile) in profiles.list.iter().enumerate() {
        let marker = if i == profiles.current { "*" } else { " " };
        let mut line = format!(
            "{marker} {}  {}  {}",
            escape_control(&profile.name),
            escape_control(&profile.brokers),
            profile.security()
        );
        if let Some(reason) = &profile.read_only {
            let _ = write!(line, "  read-only ({reason})");
        }
        if let Some(problem) = &profile.problem {
            let _ = write!(line, "  ✖ {problem}");
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(current) = profiles.list.get(profiles.current) {
        let _ = writeln!(
            out,
            "\nin use: {} ({})",
            escape_control(&current.name),
            escape_control(&current.brokers)
        );
        for (key, value) in current.shown_properties() {
            let _ = writeln!(out, "  {key} = {}", escape_control(&value));
        }
        if let Some(registry) = &current.schema_registry {
            let mut line = format!(
                "  schema registry {}",
                escape_control(&crate::schema::registry::without_password(&registry.url))
            );
            if let Some(user) = &registry.username {
                let _ = write!(line, " as {}", escape_control(user));
            }
            if let Some(password) = &registry.password {
                let _ = write!(line, " (password: {})", password.describe());
            }
            let _ = writeln!(out, "{line}");
        }
    }
    crate::secret::redact(&out).into_owned()
}
