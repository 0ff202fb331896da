//! The tail's memory: a ring of records bounded by count and by bytes, oldest evicted
//! first, with a filtered view kept in step. Records are addressed by a sequence number
//! that never changes, so selections survive evictions and arrivals.
//!
//! Records are unique by (partition, offset) whatever the broker sends: each partition
//! keeps the offset of its newest row (a high-water mark), so checking a record costs
//! O(1). A record at the mark is a repeat and is skipped. A record below it means the
//! partition went back (a broker that lost data, a topic deleted and created again, or a
//! group re-reading what it had not committed): the rows of that partition from the new
//! offset on are dropped, because the broker no longer vouches for them (lost data) or is
//! sending them again (a re-read), and keeping them would show two rows at one offset.
//! Its older rows stay: no row the broker now serves can collide with them, and they are
//! what the user already saw. That drop is one pass over the ring, and only on the rare
//! backwards move, never per record.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::kafka::filter::RecordFilter;
use crate::kafka::model::Record;

pub use crate::size::Bounds;

#[derive(Debug, Default)]
pub struct TailBuffer {
    records: VecDeque<Arc<Record>>,
    /// Sequence number of `records[0]`.
    first_seq: u64,
    bytes: usize,
    pub bounds: Bounds,
    /// Records dropped from the front to stay within the bounds.
    pub evicted: u64,
    /// When a filter is active: the sequence numbers of matching records, ascending.
    matches: Option<VecDeque<u64>>,
    /// Records the filter has looked at, and how many matched, since it was set.
    pub scanned: u64,
    pub matched: u64,
    /// Per partition: the offset of the newest row taken.
    marks: HashMap<i32, i64>,
    /// Records skipped because their (partition, offset) was already taken.
    pub repeats: u64,
}

/// A partition whose offsets went backwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewind {
    pub partition: i32,
    /// The newest offset taken before.
    pub from: i64,
    /// The offset that arrived.
    pub to: i64,
    /// The seqs of the rows of the partition at or after `to`, dropped (as numbered
    /// just before the drop; later rows moved down to keep the ring contiguous).
    pub removed: Vec<u64>,
}

/// What `extend` did with a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arrival {
    /// Records added to the buffer.
    pub added: u64,
    /// Records skipped as repeats of the newest row of their partition.
    pub repeats: u64,
    pub rewinds: Vec<Rewind>,
}

impl Arrival {
    /// Where a sequence number taken before this batch now points (the next kept row
    /// when its own row was dropped).
    pub fn remap(&self, seq: u64) -> u64 {
        self.rewinds.iter().fold(seq, |seq, rewind| {
            seq - rewind.removed.partition_point(|&s| s < seq) as u64
        })
    }
}

impl TailBuffer {
    pub fn new(bounds: Bounds) -> Self {
        Self {
            bounds,
            ..Self::default()
        }
    }

    /// Total records held (unfiltered).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.records.len() as u64
    }

    pub fn get(&self, seq: u64) -> Option<&Arc<Record>> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.records.get(index)
    }

    /// Appends records (applying the filter to each), then evicts to the bounds. Repeats
    /// of a partition's newest row are skipped; an offset below it drops that partition's
    /// rows from the new offset on (see the module comment).
    pub fn extend(&mut self, records: Vec<Record>, filter: Option<&RecordFilter>) -> Arrival {
        let mut arrival = Arrival::default();
        for record in records {
            match self.marks.get(&record.partition) {
                Some(&last) if record.offset == last => {
                    arrival.repeats += 1;
                    self.repeats += 1;
                    continue;
                }
                Some(&last) if record.offset < last => {
                    let removed = self.drop_from(record.partition, record.offset);
                    arrival.rewinds.push(Rewind {
                        partition: record.partition,
                        from: last,
                        to: record.offset,
                        removed,
                    });
                }
                _ => {}
            }
            self.marks.insert(record.partition, record.offset);
            arrival.added += 1;
            let seq = self.next_seq();
            if let (Some(filter), Some(matches)) = (filter, self.matches.as_mut()) {
                self.scanned += 1;
                if filter.matches(&record) {
                    self.matched += 1;
                    matches.push_back(seq);
                }
            }
            self.bytes += record.footprint();
            self.records.push_back(Arc::new(record));
        }
        self.evict();
        arrival
    }

    /// Removes the rows of `partition` at or after `offset`; returns their seqs. Later
    /// rows move down to keep the ring contiguous; the filtered view follows.
    fn drop_from(&mut self, partition: i32, offset: i64) -> Vec<u64> {
        let first = self.first_seq;
        let removed: Vec<u64> = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.partition == partition && r.offset >= offset)
            .map(|(i, _)| first + i as u64)
            .collect();
        if removed.is_empty() {
            return removed;
        }
        let mut index = 0u64;
        let bytes = &mut self.bytes;
        self.records.retain(|r| {
            let gone = removed.binary_search(&(first + index)).is_ok();
            index += 1;
            if gone {
                *bytes -= r.footprint();
            }
            !gone
        });
        if let Some(matches) = self.matches.as_mut() {
            let mut kept = VecDeque::with_capacity(matches.len());
            for &seq in matches.iter() {
                if removed.binary_search(&seq).is_err() {
                    kept.push_back(seq - removed.partition_point(|&s| s < seq) as u64);
                } else {
                    self.matched -= 1;
                }
            }
            *matches = kept;
        }
        removed
    }

    fn evict(&mut self) {
        while self.records.len() > self.bounds.records
            || (self.bytes > self.bounds.bytes && self.records.len() > 1)
        {
            let Some(old) = self.records.pop_front() else {
                break;
            };
            self.bytes -= old.footprint();
            self.first_seq += 1;
            self.evicted += 1;
        }
        if let Some(matches) = self.matches.as_mut() {
            while matches.front().is_some_and(|&s| s < self.first_seq) {
                matches.pop_front();
            }
        }
    }

    /// Sets (or clears) the filter and re-scans what the buffer holds.
    pub fn set_filter(&mut self, filter: Option<&RecordFilter>) {
        self.scanned = 0;
        self.matched = 0;
        self.matches = filter.map(|f| {
            let mut matches = VecDeque::new();
            for (i, record) in self.records.iter().enumerate() {
                self.scanned += 1;
                if f.matches(record) {
                    self.matched += 1;
                    matches.push_back(self.first_seq + i as u64);
                }
            }
            matches
        });
    }

    pub fn is_filtered(&self) -> bool {
        self.matches.is_some()
    }

    /// Rows in the current view (filtered or not).
    pub fn view_len(&self) -> usize {
        self.matches
            .as_ref()
            .map_or(self.records.len(), VecDeque::len)
    }

    /// The sequence number at a row of the view.
    pub fn seq_at(&self, row: usize) -> Option<u64> {
        match &self.matches {
            Some(m) => m.get(row).copied(),
            None => (row < self.records.len()).then(|| self.first_seq + row as u64),
        }
    }

    /// The row of the view that shows `seq`, or the nearest row after it.
    pub fn row_of(&self, seq: u64) -> usize {
        match &self.matches {
            Some(m) => m.partition_point(|&s| s < seq),
            None => usize::try_from(seq.saturating_sub(self.first_seq))
                .unwrap_or(usize::MAX)
                .min(self.records.len()),
        }
    }

    /// The records in the view, oldest first (for export).
    pub fn view_records(&self) -> Vec<Arc<Record>> {
        (0..self.view_len())
            .filter_map(|row| self.seq_at(row).and_then(|s| self.get(s)).cloned())
            .collect()
    }

    pub fn clear(&mut self) {
        let bounds = self.bounds;
        let filtered = self.matches.is_some();
        *self = Self::new(bounds); // marks too: a new tail may read any offset again
        if filtered {
            self.matches = Some(VecDeque::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::TimestampKind;

    fn rec(offset: i64, value: &str) -> Record {
        Record {
            partition: 0,
            offset,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: None,
            value: Some(value.as_bytes().to_vec()),
            headers: vec![],
            schemas: None,
        }
    }

    #[test]
    fn evicts_oldest_first_at_the_count_bound() {
        let mut buffer = TailBuffer::new(Bounds {
            records: 3,
            bytes: usize::MAX,
        });
        buffer.extend((0..5).map(|i| rec(i, "x")).collect(), None);
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.evicted, 2);
        assert_eq!(buffer.seq_at(0), Some(2));
        assert_eq!(buffer.get(2).unwrap().offset, 2);
        assert!(buffer.get(1).is_none());
    }

    #[test]
    fn evicts_at_the_byte_bound_but_keeps_the_newest() {
        let one = rec(0, &"v".repeat(1000)).footprint();
        let mut buffer = TailBuffer::new(Bounds {
            records: 1000,
            bytes: one * 2,
        });
        buffer.extend((0..10).map(|i| rec(i, &"v".repeat(1000))).collect(), None);
        assert_eq!(buffer.len(), 2);
        assert!(buffer.bytes() <= one * 2);
        let mut tiny = TailBuffer::new(Bounds {
            records: 10,
            bytes: 1,
        });
        tiny.extend(vec![rec(0, "bigger than the bound")], None);
        assert_eq!(
            tiny.len(),
            1,
            "a single record larger than the bound is still shown"
        );
    }

    #[test]
    fn the_filtered_view_follows_arrivals_and_evictions() {
        let filter = RecordFilter::parse("keep").unwrap().unwrap();
        let mut buffer = TailBuffer::new(Bounds {
            records: 4,
            bytes: usize::MAX,
        });
        buffer.extend(vec![rec(0, "keep"), rec(1, "drop"), rec(2, "keep")], None);
        buffer.set_filter(Some(&filter));
        assert_eq!(
            (buffer.view_len(), buffer.matched, buffer.scanned),
            (2, 2, 3)
        );
        buffer.extend(
            vec![rec(3, "drop"), rec(4, "keep"), rec(5, "keep")],
            Some(&filter),
        );
        // seq 0 and 1 evicted; matches 2, 4, 5 remain.
        assert_eq!(buffer.view_len(), 3);
        assert_eq!(buffer.seq_at(0), Some(2));
        assert_eq!(buffer.row_of(4), 1);
        assert_eq!(buffer.row_of(3), 1, "nearest row after a non-matching seq");
        assert_eq!(buffer.view_records().len(), 3);
        buffer.set_filter(None);
        assert_eq!(buffer.view_len(), 4);
    }

    fn rec_in(partition: i32, offset: i64) -> Record {
        Record {
            partition,
            ..rec(offset, "v")
        }
    }

    fn rows(buffer: &TailBuffer) -> Vec<(i32, i64)> {
        buffer
            .view_records()
            .iter()
            .map(|r| (r.partition, r.offset))
            .collect()
    }

    #[test]
    fn a_repeated_partition_and_offset_is_kept_once() {
        let mut buffer = TailBuffer::new(Bounds::default());
        let arrival = buffer.extend(
            vec![rec_in(0, 3), rec_in(0, 4), rec_in(1, 4), rec_in(0, 4)],
            None,
        );
        let again = buffer.extend(vec![rec_in(0, 4), rec_in(0, 5)], None);
        assert_eq!(rows(&buffer), [(0, 3), (0, 4), (1, 4), (0, 5)]);
        assert_eq!((arrival.added, arrival.repeats), (3, 1));
        assert_eq!((again.added, again.repeats), (1, 1));
        assert!(arrival.rewinds.is_empty() && again.rewinds.is_empty());
        assert_eq!(buffer.repeats, 2);
    }

    #[test]
    fn a_partition_going_back_drops_its_rows_from_there_and_keeps_the_rest() {
        let filter = RecordFilter::parse("v").unwrap().unwrap();
        let mut buffer = TailBuffer::new(Bounds::default());
        buffer.set_filter(Some(&filter));
        buffer.extend(
            vec![
                rec_in(0, 10),
                rec_in(1, 7),
                rec_in(0, 11),
                rec_in(0, 12),
                rec_in(1, 8),
            ],
            Some(&filter),
        );
        let bytes = buffer.bytes();
        // Partition 0 now serves offset 11 again (a broker that lost 11 and 12).
        let arrival = buffer.extend(vec![rec_in(0, 11), rec_in(0, 12)], Some(&filter));
        assert_eq!(
            arrival.rewinds,
            [Rewind {
                partition: 0,
                from: 12,
                to: 11,
                removed: vec![2, 3],
            }]
        );
        assert_eq!(rows(&buffer), [(0, 10), (1, 7), (1, 8), (0, 11), (0, 12)]);
        assert_eq!(buffer.bytes(), bytes, "two rows out, two in");
        assert_eq!((buffer.view_len(), buffer.matched), (5, 5));
        // Seqs taken before: row 4 (p1 offset 8) is now row 2; a dropped row points at
        // the next kept one.
        assert_eq!(arrival.remap(4), 2);
        assert_eq!(arrival.remap(2), 2);
        assert_eq!(arrival.remap(1), 1);
        let unique: std::collections::HashSet<_> = rows(&buffer).into_iter().collect();
        assert_eq!(unique.len(), buffer.len());
    }
}
