//! Arrival rates, measured per tick: msgs/s and bytes/s over the last second, and a
//! per-second history for the sparkline.

use std::collections::VecDeque;

/// Ticks per second (the event loop's tick is 250 ms).
const TICKS_PER_SECOND: usize = 4;
/// Seconds of history the sparkline shows at most.
const HISTORY: usize = 120;

#[derive(Debug, Default, Clone)]
pub struct RateMeter {
    /// What arrived during the current tick.
    pending: (u64, u64),
    /// The last second, one entry per tick.
    last_second: VecDeque<(u64, u64)>,
    /// Records per second, one entry per completed second, oldest first.
    history: VecDeque<u64>,
    ticks: usize,
    pub total_records: u64,
    pub total_bytes: u64,
}

impl RateMeter {
    pub fn add(&mut self, records: u64, bytes: u64) {
        self.pending.0 += records;
        self.pending.1 += bytes;
        self.total_records += records;
        self.total_bytes += bytes;
    }

    pub fn tick(&mut self) {
        self.last_second
            .push_back(std::mem::take(&mut self.pending));
        if self.last_second.len() > TICKS_PER_SECOND {
            self.last_second.pop_front();
        }
        self.ticks += 1;
        if self.ticks.is_multiple_of(TICKS_PER_SECOND) {
            self.history.push_back(self.per_second().0);
            if self.history.len() > HISTORY {
                self.history.pop_front();
            }
        }
    }

    /// (records/s, bytes/s) over the last second.
    pub fn per_second(&self) -> (u64, u64) {
        self.last_second
            .iter()
            .fold((0, 0), |(r, b), (r2, b2)| (r + r2, b + b2))
    }

    /// The newest `n` seconds of records/s, oldest first.
    pub fn history(&self, n: usize) -> Vec<u64> {
        let skip = self.history.len().saturating_sub(n);
        self.history.iter().skip(skip).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_cover_the_last_second() {
        let mut meter = RateMeter::default();
        for _ in 0..8 {
            meter.add(100, 1000);
            meter.tick();
        }
        assert_eq!(meter.per_second(), (400, 4000));
        assert_eq!(meter.history(10), vec![400, 400]);
        for _ in 0..4 {
            meter.tick();
        }
        assert_eq!(meter.per_second(), (0, 0));
        assert_eq!(meter.total_records, 800);
    }
}
