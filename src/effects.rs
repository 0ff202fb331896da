//! Effects `App::handle` asks for, carried out by the run loop: they touch the terminal
//! or the disk, which the pure update must not.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use tokio::sync::mpsc;

use crate::event::Event;
use crate::kafka::envelope;

/// How loud a notice (a toast) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Something the run loop does for `handle`, outside the pure update: terminal output
/// and file writes.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Put these bytes on the clipboard with OSC 52.
    Clipboard(Vec<u8>),
    /// Rewrite the composer's history file with this content.
    SaveHistory(String),
    /// Write these records as NDJSON envelopes to `path`.
    Export {
        path: std::path::PathBuf,
        topic: String,
        records: Vec<std::sync::Arc<crate::kafka::model::Record>>,
    },
    /// Read the Compose draft an earlier run left; its text comes back as
    /// `Event::DraftRead`.
    LoadDraft,
    /// Replace the Compose draft file with this content (0600, atomically).
    SaveDraft(String),
    /// Remove the Compose draft file: sent or discarded.
    RemoveDraft,
}

pub fn run(effect: Effect, events: &mpsc::Sender<Event>) {
    match effect {
        Effect::Clipboard(bytes) => {
            // OSC 52: the terminal puts the (base64) payload on the system clipboard.
            let payload = base64::engine::general_purpose::STANDARD.encode(bytes);
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\x1b]52;c;{payload}\x07");
            let _ = out.flush();
        }
        Effect::SaveHistory(content) => {
            tokio::task::spawn_blocking(move || {
                if let Some(path) = crate::config::history_path()
                    && let Err(error) = write_private(&path, content.as_bytes())
                {
                    tracing::warn!("cannot save history to {}: {error}", path.display());
                }
            });
        }
        Effect::LoadDraft | Effect::SaveDraft(_) | Effect::RemoveDraft => draft(effect, events),
        Effect::Export {
            path,
            topic,
            records,
        } => {
            let events = events.clone();
            tokio::task::spawn_blocking(move || {
                let result = write_export(&path, &topic, &records)
                    .map(|()| {
                        format!(
                            "Exported {} record{} to {}",
                            records.len(),
                            if records.len() == 1 { "" } else { "s" },
                            path.display()
                        )
                    })
                    .map_err(|e| format!("Export to {} failed: {e}", path.display()));
                let _ = events.blocking_send(Event::Exported(result));
            });
        }
    }
}

/// The draft's disk work, one at a time and in the order asked: each effect takes a number
/// here (on the UI task, in order), and a blocking task that finds a later number already
/// done skips its now stale write, so a save can never land after the remove that followed it.
fn draft(effect: Effect, events: &mpsc::Sender<Event>) {
    static ASKED: AtomicU64 = AtomicU64::new(0);
    static DONE: Mutex<u64> = Mutex::new(0);
    let number = ASKED.fetch_add(1, Ordering::SeqCst) + 1;
    let events = events.clone();
    tokio::task::spawn_blocking(move || {
        let Some(path) = crate::config::draft_path() else {
            return;
        };
        let mut done = DONE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *done > number {
            return;
        }
        *done = number;
        let result = match effect {
            Effect::LoadDraft => match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let _ = events.blocking_send(Event::DraftRead(text));
                    Ok(())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            },
            Effect::SaveDraft(content) => write_private(&path, content.as_bytes()),
            Effect::RemoveDraft => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            _ => Ok(()),
        };
        if let Err(error) = result {
            tracing::warn!("Compose draft {}: {error}", path.display());
        }
    });
}

/// Writes a file only the user can read (0600), replacing it atomically.
fn write_private(path: &std::path::Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(tmp, path)
}

fn write_export(
    path: &std::path::Path,
    topic: &str,
    records: &[std::sync::Arc<crate::kafka::model::Record>],
) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = BufWriter::new(options.open(path)?);
    for record in records {
        out.write_all(envelope::to_line(topic, record).as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
