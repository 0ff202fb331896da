//! The progress of a bounded read on stderr, when stderr is a terminal and the records go
//! elsewhere (a file, a pipe: on the same terminal the bar would cut through them):
//! records read of the total, rate, time left and matches; then one line that sums it up.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// A bar for a bounded read on a terminal; otherwise nothing is drawn.
    pub fn new(bounded: bool) -> Self {
        let shown = bounded && std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
        let bar = shown.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "[{bar:30}] {human_pos}/{human_len} records · {per_sec} · ETA {eta} · {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_message("0 matches");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            started: Instant::now(),
        }
    }

    pub fn total(&self, records: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(records);
        }
    }

    /// Records read so far.
    pub fn scanned(&self, records: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(records);
        }
    }

    pub fn matched(&self, matches: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{matches} matches"));
        }
    }

    /// Runs `f` (which writes to stderr) with the bar out of the way.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Clears the bar and says what the read found.
    pub fn finish(&self, matches: u64, stopped: bool) {
        let Some(bar) = &self.bar else {
            return;
        };
        let scanned = bar.position();
        bar.finish_and_clear();
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            scanned as f64 / secs
        } else {
            0.0
        };
        super::note(&format!(
            "ktui: {matches} matches in {scanned} records, {secs:.1} s ({rate:.0} records/s){}",
            if stopped { ", stopped" } else { "" }
        ));
    }
}
