//! Filtering on every core: batches of records go to a pool of threads, and the matches
//! come back in the order the batches went in (so per partition, in offset order).
//!
//! A jq predicate parses each value as JSON, which costs far more than reading the record:
//! one reader thread keeps several filter threads busy.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::RecordFilter;
use crate::kafka::model::Record;

/// Whether the consumer of matches wants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    More,
    Enough,
}

type Job = (u64, Vec<Record>);
/// A filtered batch: its sequence number, its matches, and how many records it had.
type Done = (u64, Vec<Record>, usize);

/// Where filtered batches go: the matches and how many records were looked at.
pub type Out<'a> = dyn FnMut(Vec<Record>, usize) -> Wants + 'a;

pub struct FilterPool {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    /// The sequence number of the next batch in, and of the next one to hand out.
    next_in: u64,
    next_out: u64,
    /// Batches filtered ahead of their turn.
    early: BTreeMap<u64, (Vec<Record>, usize)>,
    /// At most this many batches in the pool at once (bounds memory).
    in_flight: u64,
    /// `out` said enough: nothing more is handed out, and nothing waits.
    enough: bool,
}

impl FilterPool {
    /// A pool of `threads` threads (at least one) running `filter`.
    pub fn new(filter: &Arc<RecordFilter>, threads: usize) -> Self {
        let (jobs, queue) = channel::<Job>();
        let (finished, done) = channel::<Done>();
        let queue = Arc::new(Mutex::new(queue));
        let threads: Vec<JoinHandle<()>> = (0..threads.max(1))
            .map(|i| {
                let queue = Arc::clone(&queue);
                let finished = finished.clone();
                let filter = Arc::clone(filter);
                std::thread::Builder::new()
                    .name(format!("ktui-filter-{i}"))
                    .spawn(move || {
                        loop {
                            // The lock is held only to take one batch.
                            let job = queue.lock().map(|q| q.recv());
                            let Ok(Ok((seq, mut records))) = job else {
                                return; // no more batches
                            };
                            let scanned = records.len();
                            // A filter that panicked on a record (a bug) must not leave the
                            // batch missing: the pool would wait for it for ever.
                            let kept =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    records.retain(|r| filter.matches(r));
                                }));
                            if kept.is_err() {
                                records.clear();
                            }
                            if finished.send((seq, records, scanned)).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("spawn a filter thread")
            })
            .collect();
        let in_flight = 2 * threads.len() as u64 + 2;
        Self {
            jobs: Some(jobs),
            done,
            threads,
            next_in: 0,
            next_out: 0,
            early: BTreeMap::new(),
            in_flight,
            enough: false,
        }
    }

    /// The number of threads worth using here: every core the process may run on.
    pub fn threads_here() -> usize {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    }

    /// Hands a batch to the pool, and every batch filtered by now, in order, to `out`
    /// (its matches, and how many records it had). Waits while the pool is full.
    pub fn push(&mut self, batch: Vec<Record>, out: &mut Out<'_>) -> Wants {
        if self.enough {
            return Wants::Enough;
        }
        if let Some(jobs) = &self.jobs {
            if jobs.send((self.next_in, batch)).is_err() {
                self.enough = true;
                return Wants::Enough;
            }
            self.next_in += 1;
        }
        while self.next_in - self.next_out >= self.in_flight {
            if self.hand_out(out) == Wants::Enough {
                return Wants::Enough;
            }
            // Full still: the next batch in order is still being filtered.
            if self.next_in - self.next_out >= self.in_flight && self.receive() == Wants::Enough {
                return Wants::Enough;
            }
        }
        self.ready(out)
    }

    /// Hands out every batch filtered by now, in order, without waiting.
    pub fn ready(&mut self, out: &mut Out<'_>) -> Wants {
        if self.enough {
            return Wants::Enough;
        }
        while let Ok((seq, records, scanned)) = self.done.try_recv() {
            self.early.insert(seq, (records, scanned));
        }
        self.hand_out(out)
    }

    /// Waits for every batch in the pool and hands them out in order.
    pub fn drain(&mut self, out: &mut Out<'_>) -> Wants {
        loop {
            if self.hand_out(out) == Wants::Enough {
                return Wants::Enough;
            }
            if self.next_out >= self.next_in {
                return Wants::More;
            }
            // The next batch in order is still being filtered.
            if self.receive() == Wants::Enough {
                return Wants::Enough;
            }
        }
    }

    /// Waits for one filtered batch (one is being filtered: the caller checked).
    fn receive(&mut self) -> Wants {
        if let Ok((seq, records, scanned)) = self.done.recv() {
            self.early.insert(seq, (records, scanned));
            Wants::More
        } else {
            self.enough = true;
            Wants::Enough
        }
    }
}

impl Drop for FilterPool {
    /// Closes the queue; the threads end once they see it closed.
    fn drop(&mut self) {
        self.jobs = None;
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.join();
        }
    }
}

impl FilterPool {
    fn hand_out(&mut self, out: &mut Out<'_>) -> Wants {
        if self.enough {
            return Wants::Enough;
        }
        while let Some((records, scanned)) = self.early.remove(&self.next_out) {
            self.next_out += 1;
            if out(records, scanned) == Wants::Enough {
                self.enough = true;
                self.early.clear();
                return Wants::Enough;
            }
        }
        Wants::More
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::TimestampKind;

    fn record(offset: i64, value: &str) -> Record {
        Record {
            partition: 0,
            offset,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: None,
            value: Some(value.as_bytes().to_vec()),
            headers: Vec::new(),
            schemas: None,
        }
    }

    #[test]
    fn matches_come_back_in_the_order_batches_went_in() {
        let filter = RecordFilter::parse(".n % 3 == 0").unwrap().unwrap();
        let mut pool = FilterPool::new(&Arc::new(filter), 4);
        let mut seen = Vec::new();
        let mut out = |records: Vec<Record>, _| {
            seen.extend(records.iter().map(|r| r.offset));
            Wants::More
        };
        for batch in 0..50i64 {
            let records = (0..100)
                .map(|i| {
                    let offset = batch * 100 + i;
                    record(offset, &format!("{{\"n\":{offset}}}"))
                })
                .collect();
            assert_eq!(pool.push(records, &mut out), Wants::More);
        }
        pool.drain(&mut out);
        let expected: Vec<i64> = (0..5000).filter(|n| n % 3 == 0).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn enough_stops_handing_out() {
        let filter = RecordFilter::parse("x").unwrap().unwrap();
        let mut pool = FilterPool::new(&Arc::new(filter), 2);
        let mut taken = 0;
        let mut out = |records: Vec<Record>, scanned| {
            assert_eq!(scanned, 10);
            taken += records.len();
            if taken >= 10 {
                Wants::Enough
            } else {
                Wants::More
            }
        };
        let mut wants = Wants::More;
        for batch in 0..20 {
            wants = pool.push(
                (0..10).map(|i| record(batch * 10 + i, "x")).collect(),
                &mut out,
            );
            if wants == Wants::Enough {
                break;
            }
        }
        assert_eq!(wants, Wants::Enough);
        // After enough, nothing waits and nothing more is handed out.
        assert_eq!(
            pool.drain(&mut |_, _| panic!("handed out after enough")),
            Wants::Enough
        );
        assert_eq!(
            pool.ready(&mut |_, _| panic!("handed out after enough")),
            Wants::Enough
        );
        drop(pool);
        assert_eq!(taken, 10);
    }
}
