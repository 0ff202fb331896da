//! How often the Groups tab asks: at most one request in flight, the next one after a
//! pause that grows with how long the last answer took (a slow cluster is asked less),
//! and a lag history per group sampled by ktui itself since launch.

use std::collections::{HashMap, VecDeque};

use crate::kafka::RequestId;

/// Ticks come 4 a second.
pub const TICK_MS: u64 = 250;
/// The shortest pause between two refreshes while the tab is shown.
pub const SHOWN_FLOOR_MS: u64 = 2_000;
/// The shortest pause between two samples while the tab is hidden.
pub const HIDDEN_FLOOR_MS: u64 = 30_000;
/// The next refresh waits this many times as long as the last one took: a refresh is
/// mostly waiting on the brokers, so at most a tenth of the time is spent refreshing (at
/// 1,000 groups over 30,000 partitions, one took about a second).
pub const SLOWDOWN: u64 = 10;
/// A request unanswered this long is taken as lost (a new one may go).
const LOST_AFTER_TICKS: u64 = 4 * 120;
/// Samples kept per group.
pub const SAMPLES: usize = 120;

/// One kind of periodic request (the listing, or the open group's details).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pace {
    /// The request in flight and the tick it went at: never more than one.
    in_flight: Option<(RequestId, u64)>,
    /// The tick of the last answer and how long it took (ms).
    last: Option<(u64, u64)>,
    /// Ask again as soon as nothing is in flight (after a write).
    hurry: bool,
}

impl Pace {
    /// The pause after an answer that took `took_ms`: `max(floor, 10 × took)`.
    pub fn pause_ms(floor_ms: u64, took_ms: u64) -> u64 {
        floor_ms.max(took_ms.saturating_mul(SLOWDOWN))
    }

    /// Whether a request may go now: none in flight (or one lost), and the pause after
    /// the last answer (at least `floor_ms`) is over.
    pub fn due(&self, now: u64, floor_ms: u64) -> bool {
        if let Some((_, sent)) = self.in_flight
            && now.saturating_sub(sent) < LOST_AFTER_TICKS
        {
            return false;
        }
        self.hurry
            || self.last.is_none_or(|(at, took)| {
                now >= at + Self::pause_ms(floor_ms, took).div_ceil(TICK_MS)
            })
    }

    /// Whether nothing is in flight (or what is has been lost).
    pub fn idle(&self, now: u64) -> bool {
        self.in_flight
            .is_none_or(|(_, sent)| now.saturating_sub(sent) >= LOST_AFTER_TICKS)
    }

    /// The tick at which the next request is due (for the view: "next in 6 s").
    pub fn next_at(&self, floor_ms: u64) -> Option<u64> {
        self.last
            .map(|(at, took)| at + Self::pause_ms(floor_ms, took).div_ceil(TICK_MS))
    }

    pub fn sent(&mut self, id: RequestId, now: u64) {
        self.in_flight = Some((id, now));
        self.hurry = false;
    }

    /// Makes the next request due as soon as nothing is in flight.
    pub fn hurry(&mut self) {
        self.hurry = true;
    }

    pub fn in_flight(&self) -> Option<RequestId> {
        self.in_flight.map(|(id, _)| id)
    }

    /// An answer to `id`: `false` (and nothing changes) when it is not the request in
    /// flight. `took_ms`: as the worker measured it, else the ticks since it was sent.
    pub fn answered(&mut self, id: RequestId, now: u64, took_ms: Option<u64>) -> bool {
        let Some((expected, sent)) = self.in_flight else {
            return false;
        };
        if expected != id {
            return false;
        }
        let took = took_ms.unwrap_or_else(|| now.saturating_sub(sent) * TICK_MS);
        self.in_flight = None;
        self.last = Some((now, took));
        true
    }

    /// How long the last answer took.
    pub fn took_ms(&self) -> Option<u64> {
        self.last.map(|(_, took)| took)
    }
}

/// Each group's total lag as ktui sampled it: `(tick, lag)`, the newest last, at most
/// [`SAMPLES`] per group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LagHistory {
    samples: HashMap<String, VecDeque<(u64, i64)>>,
}

impl LagHistory {
    /// Records one listing: each group's lag at `tick`. Groups no longer listed lose
    /// their history (a deleted group's name may come back as another group), but only
    /// after a `complete` listing: one with a broker that did not answer leaves out the
    /// groups it coordinates, which still exist.
    pub fn record<'a>(
        &mut self,
        tick: u64,
        lags: impl Iterator<Item = (&'a str, Option<i64>)>,
        complete: bool,
    ) {
        let mut seen = std::collections::HashSet::new();
        for (name, lag) in lags {
            seen.insert(name.to_string());
            let Some(lag) = lag else { continue };
            let ring = self.samples.entry(name.to_string()).or_default();
            if ring.len() == SAMPLES {
                ring.pop_front();
            }
            ring.push_back((tick, lag));
        }
        if complete {
            self.samples.retain(|name, _| seen.contains(name));
        }
    }

    /// The samples of `group`, oldest first.
    pub fn of(&self, group: &str) -> impl Iterator<Item = (u64, i64)> + '_ {
        self.samples.get(group).into_iter().flatten().copied()
    }

    /// The last `n` lags of `group`, oldest first.
    pub fn last(&self, group: &str, n: usize) -> Vec<i64> {
        let ring = self.samples.get(group);
        let len = ring.map_or(0, VecDeque::len);
        ring.into_iter()
            .flatten()
            .skip(len.saturating_sub(n))
            .map(|(_, lag)| *lag)
            .collect()
    }

    pub fn clear(&mut self) {
        self.samples.clear();
    }
}

/// Block characters for a sparkline, from zero to the window's highest value.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as a row of block characters scaled to their maximum (zero: the lowest bar).
pub fn sparkline(values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 || v <= 0 {
                BARS[0]
            } else {
                // 1..=7 for any positive value, so a small lag still shows above zero.
                let (v, max) = (v.unsigned_abs(), max.unsigned_abs());
                let scaled = (u128::from(v) * 7).div_ceil(u128::from(max));
                BARS[usize::try_from(scaled.clamp(1, 7)).unwrap_or(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_with_how_long_the_answer_took() {
        let mut pace = Pace::default();
        assert!(pace.due(0, SHOWN_FLOOR_MS), "nothing asked yet");
        pace.sent(7, 0);
        assert!(!pace.due(100, SHOWN_FLOOR_MS), "one in flight at a time");
        assert!(!pace.answered(6, 2, Some(100)), "not the request in flight");
        assert!(pace.answered(7, 2, Some(100)));
        // max(2 s, 400 ms) = 2 s = 8 ticks after the answer.
        assert!(!pace.due(9, SHOWN_FLOOR_MS));
        assert!(pace.due(10, SHOWN_FLOOR_MS));
        pace.sent(8, 10);
        assert!(pace.answered(8, 20, Some(1_500)));
        // max(2 s, 15 s) = 60 ticks.
        assert!(!pace.due(79, SHOWN_FLOOR_MS));
        assert!(pace.due(80, SHOWN_FLOOR_MS));
        // Hidden: max(30 s, 15 s) = 120 ticks.
        assert!(!pace.due(139, HIDDEN_FLOOR_MS));
        assert!(pace.due(140, HIDDEN_FLOOR_MS));
    }

    #[test]
    fn without_a_measure_the_ticks_in_flight_count() {
        let mut pace = Pace::default();
        pace.sent(1, 0);
        assert!(pace.answered(1, 12, None));
        assert_eq!(pace.took_ms(), Some(3_000));
    }

    #[test]
    fn a_lost_request_stops_blocking_after_two_minutes() {
        let mut pace = Pace::default();
        pace.sent(1, 0);
        assert!(!pace.due(LOST_AFTER_TICKS - 1, SHOWN_FLOOR_MS));
        assert!(pace.due(LOST_AFTER_TICKS, SHOWN_FLOOR_MS));
    }

    #[test]
    fn history_is_bounded_and_forgets_groups_that_went() {
        let mut history = LagHistory::default();
        for tick in 0..200 {
            history.record(
                tick,
                [("a", Some(i64::try_from(tick).unwrap())), ("b", None)].into_iter(),
                true,
            );
        }
        assert_eq!(history.of("a").count(), SAMPLES);
        assert_eq!(history.of("a").next(), Some((80, 80)));
        assert_eq!(history.last("a", 3), vec![197, 198, 199]);
        assert_eq!(history.of("b").count(), 0);
        // A listing a broker did not answer leaves "a" out: its history stays.
        history.record(200, [("b", Some(1))].into_iter(), false);
        assert_eq!(history.of("a").count(), SAMPLES);
        history.record(201, [("b", Some(1))].into_iter(), true);
        assert_eq!(history.of("a").count(), 0);
    }

    #[test]
    fn sparklines_scale_to_the_window() {
        assert_eq!(sparkline(&[0, 5, 10, 5, 0]), "▁▅█▅▁");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[1, 1000]), "▂█");
        assert_eq!(sparkline(&[]), "");
    }
}
