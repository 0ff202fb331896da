//! A bounded read in the Tail tab (`o`, Until): a search through history. The worker
//! reads from the start to the end, filters on every core with the tab's filter, and hands
//! over only the matches; this keeps the count, the rate and the state for the header.

use std::time::Instant;

use ratatui::text::Span;

use crate::theme::Palette;
use crate::widgets::thousands;

/// The progress bar's width in cells.
const BAR: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchState {
    Running,
    /// Every partition was read up to its end.
    Done,
    /// Stopped by the user (Esc): what was found stays.
    Stopped,
}

#[derive(Debug, Clone)]
pub struct Search {
    /// The filter the worker applies (the tab's, when the search started).
    pub filter: Option<String>,
    /// Records between the starts and the ends, once the worker has resolved them.
    pub total: Option<u64>,
    pub scanned: u64,
    pub matches: u64,
    /// Records read per second, as of the last progress report.
    pub rate: f64,
    pub state: SearchState,
    started: Instant,
}

// Counts and rates shown rounded: never negative, far below 2^52.
#[allow(clippy::cast_sign_loss, clippy::cast_precision_loss)]
impl Search {
    pub fn new(filter: Option<String>) -> Self {
        Self {
            filter,
            total: None,
            scanned: 0,
            matches: 0,
            rate: 0.0,
            state: SearchState::Running,
            started: Instant::now(),
        }
    }

    pub fn running(&self) -> bool {
        self.state == SearchState::Running
    }

    pub fn progress(&mut self, scanned: u64) {
        self.scanned = scanned;
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.rate = scanned as f64 / secs;
        }
    }

    /// Seconds left at the current rate.
    fn eta(&self) -> Option<u64> {
        let left = self.total?.saturating_sub(self.scanned);
        (self.rate >= 1.0).then(|| (left as f64 / self.rate).ceil() as u64)
    }

    /// The header's status: a bar, records read of the total, rate, time left, matches.
    pub fn spans(&self, palette: &Palette) -> Vec<Span<'static>> {
        let dim = palette.dim();
        let matches = format!(
            "{} match{}",
            thousands(self.matches),
            if self.matches == 1 { "" } else { "es" }
        );
        let read = match self.total {
            Some(total) => format!("{} / {} records", thousands(self.scanned), thousands(total)),
            None => format!("{} records", thousands(self.scanned)),
        };
        match self.state {
            SearchState::Running => {
                let fraction = self
                    .total
                    .filter(|t| *t > 0)
                    .map_or(0.0, |t| self.scanned as f64 / t as f64)
                    .clamp(0.0, 1.0);
                let filled = (fraction * BAR as f64).round() as usize;
                let mut spans = vec![
                    Span::styled("searching ", palette.warn()),
                    Span::styled("█".repeat(filled), palette.accent()),
                    Span::styled("░".repeat(BAR - filled), dim),
                    Span::raw(format!(" {:>3.0}% · {read}", fraction * 100.0)),
                    Span::styled(" · ", dim),
                    Span::raw(format!("{} rec/s", thousands(self.rate as u64))),
                ];
                if let Some(eta) = self.eta() {
                    spans.push(Span::styled(" · ETA ", dim));
                    spans.push(Span::raw(format!("{eta} s")));
                }
                spans.push(Span::styled(" · ", dim));
                spans.push(Span::styled(matches, palette.ok()));
                spans
            }
            SearchState::Done => vec![
                Span::styled("✔ search done: ", palette.ok()),
                Span::raw(format!("{matches} in {read}")),
            ],
            SearchState::Stopped => vec![
                Span::styled("■ search stopped: ", palette.warn()),
                Span::raw(format!("{matches} in {read} (what was found stays)")),
            ],
        }
    }
}
