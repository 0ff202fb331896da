//! Where ktui keeps its files, its config file and cluster profiles, and logging to a
//! file (never to the terminal, and with secrets masked).

mod check;
pub mod file;
pub mod kcat;
pub mod profile;

pub use file::{ConfigFile, Loaded};
pub use profile::{Profile, Profiles, Security, Selection};

use std::fs;
use std::path::PathBuf;

use directories::ProjectDirs;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub(crate) fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "ktui")
}

/// The data dir (`~/.local/share/ktui` on Linux): logs, and later history.
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// The composer's history file.
pub fn history_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("history.jsonl"))
}

/// Where Compose keeps its unsent draft.
pub fn draft_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("compose-draft.json"))
}

/// The log file's path.
pub fn log_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join("ktui.log"))
}

/// Sends `tracing` output to the log file in the data dir. Level from `KTUI_LOG`
/// (default `info`). Returns the guard that flushes the file on drop; `None` when there is
/// no writable data dir, in which case logs are dropped rather than printed.
pub fn init_logging() -> Option<WorkerGuard> {
    let dir = data_dir()?;
    fs::create_dir_all(&dir).ok()?;
    restrict(&dir, 0o700);
    let path = dir.join("ktui.log");
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    restrict(&path, 0o600);
    let (writer, guard) = tracing_appender::non_blocking(Redacting(file));
    let filter = EnvFilter::try_from_env("KTUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Masks registered secrets in everything written to the log.
struct Redacting<W>(W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = crate::secret::redact(&text);
        self.0.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(unix)]
pub(crate) fn restrict(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn restrict(_: &std::path::Path, _: u32) {}
