//! The Tail tab: a live view of one topic. State and its changes live here; drawing is
//! in `view.rs` (the table) and `detail.rs` (one record in full).

pub mod buffer;
pub mod detail;
pub mod options;
pub mod rate;
pub mod search;
mod update;
pub mod view;

use crate::kafka::RequestId;
use crate::kafka::filter::RecordFilter;
pub use crate::kafka::tail::TailDefaults;
use crate::kafka::tail::{PartitionLag, PartitionRange, TailEvent, TailSpec};
use crate::widgets::text_input::TextInput;
use buffer::{Bounds, TailBuffer};
use detail::Detail;
use options::OptionsForm;
use rate::RateMeter;
use search::{Search, SearchState};

pub use update::{Msg, TAIL_FAILED};
pub use view::{TailView, table_rows};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TailStatus {
    /// No topic chosen yet.
    #[default]
    Idle,
    Starting,
    Running {
        partitions: Vec<i32>,
    },
    Failed(String),
}

#[derive(Debug, Default)]
pub struct TailTab {
    /// The topic chosen for tailing.
    pub topic: Option<String>,
    pub defaults: TailDefaults,
    /// What the running tail reads.
    pub spec: Option<TailSpec>,
    /// The running tail's id: events from older tails are dropped.
    pub request: Option<RequestId>,
    pub status: TailStatus,
    pub buffer: TailBuffer,
    pub filter: Option<RecordFilter>,
    /// The text of the filter in force (the input may hold an edit not applied yet).
    pub filter_text: Option<String>,
    pub filter_input: TextInput,
    pub filter_editing: bool,
    /// Why the text being typed is not a valid filter (the previous one stays in force).
    pub filter_error: Option<String>,
    /// The filter text changed and has not been applied yet (applied on the next tick).
    filter_dirty: bool,
    /// The view is frozen; the consumer keeps going.
    pub paused: bool,
    /// Records that arrived since the view was paused.
    pub since_pause: u64,
    /// While paused: the seq the next record got when the view froze. Rows from it on
    /// are not shown until the view resumes, so a paused view does not change.
    frozen_end: u64,
    /// The selected record when not following the newest.
    pub selected: Option<u64>,
    /// The first visible record when not following.
    pub top: u64,
    pub rate: RateMeter,
    pub lag: Vec<PartitionLag>,
    /// The last consumer warning (e.g. a broker went away), shown until records flow.
    pub warning: Option<String>,
    pub detail: Option<Detail>,
    pub options: Option<OptionsForm>,
    /// The running tail is a search through history (it has an end).
    pub search: Option<Search>,
}

impl TailTab {
    pub fn new(bounds: Bounds, defaults: TailDefaults) -> Self {
        Self {
            buffer: TailBuffer::new(bounds),
            defaults,
            ..Self::default()
        }
    }

    /// Starts tailing `topic` with the defaults; returns the spec to run.
    pub fn spec_for(&self, topic: &str) -> TailSpec {
        TailSpec {
            topic: topic.to_string(),
            partitions: self.defaults.partitions.clone(),
            start: self.defaults.start,
            group: self.defaults.group.clone(),
            read_as: None,
            exit_at_end: false,
            until: None,
            filter: None,
        }
    }

    /// Resets the view for a new tail with this id and spec.
    pub fn begin(&mut self, id: RequestId, spec: TailSpec) {
        self.topic = Some(spec.topic.clone());
        self.spec = Some(spec);
        self.request = Some(id);
        self.status = TailStatus::Starting;
        self.search = self
            .spec
            .as_ref()
            .and_then(|s| s.until.map(|_| Search::new(s.filter.clone())));
        self.buffer.clear();
        self.buffer.set_filter(self.filter.as_ref());
        self.rate = RateMeter::default();
        self.lag.clear();
        self.warning = None;
        self.detail = None;
        self.paused = false;
        self.since_pause = 0;
        self.selected = None;
        self.top = 0;
    }

    /// Applies an event of the running tail; returns what the user must be told.
    pub fn on_event(&mut self, event: TailEvent) -> Vec<String> {
        let mut notices = Vec::new();
        match event {
            TailEvent::Started { partitions } => self.status = TailStatus::Running { partitions },
            TailEvent::Records(records) => {
                let count = records.len() as u64;
                if let Some(search) = self.search.as_mut() {
                    search.matches += count;
                }
                let bytes: usize = records.iter().map(crate::kafka::model::Record::size).sum();
                self.rate.add(count, bytes as u64);
                self.warning = None;
                let arrival = self.buffer.extend(records, self.filter.as_ref());
                if self.paused {
                    self.since_pause += arrival.added;
                }
                if !arrival.rewinds.is_empty() {
                    self.top = arrival.remap(self.top);
                    self.frozen_end = arrival.remap(self.frozen_end);
                    self.selected = self.selected.map(|s| arrival.remap(s));
                }
                notices.extend(arrival.rewinds.iter().map(rewind_notice));
                // A frozen view whose rows were evicted moves to the oldest kept row.
                if let Some(first) = self.buffer.seq_at(0) {
                    if self.top < first {
                        self.top = first;
                    }
                    if self.selected.is_some_and(|s| s < first) {
                        self.selected = Some(first);
                    }
                }
            }
            TailEvent::Lag(lag) => self.lag = lag,
            TailEvent::Warning(text) => self.warning = Some(text),
            TailEvent::Failed(reason) => {
                self.status = TailStatus::Failed(reason);
                if let Some(search) = self.search.as_mut().filter(|s| s.running()) {
                    search.state = SearchState::Stopped;
                }
            }
            TailEvent::Range(ranges) => {
                if let Some(search) = self.search.as_mut() {
                    search.total = Some(ranges.iter().map(PartitionRange::len).sum());
                }
            }
            TailEvent::Progress { scanned } => {
                if let Some(search) = self.search.as_mut() {
                    search.progress(scanned);
                }
            }
            TailEvent::ReachedEnd => {
                if let Some(search) = self.search.as_mut() {
                    search.state = SearchState::Done;
                    if let Some(total) = search.total {
                        search.scanned = search.scanned.max(total);
                    }
                }
            }
        }
        notices
    }

    /// Rows in the view: while paused, only those that were there when it froze.
    pub fn view_len(&self) -> usize {
        if self.paused {
            self.buffer.row_of(self.frozen_end)
        } else {
            self.buffer.view_len()
        }
    }

    /// The selected row of the view (the newest when following).
    pub fn selected_row(&self) -> Option<usize> {
        let len = self.view_len();
        if len == 0 {
            return None;
        }
        Some(match self.selected {
            Some(seq) => self.buffer.row_of(seq).min(len - 1),
            None => len - 1,
        })
    }

    fn select_row(&mut self, row: usize, rows: usize) {
        let len = self.view_len();
        if len == 0 {
            return;
        }
        let row = row.min(len - 1);
        self.selected = self.buffer.seq_at(row);
        let top_row = crate::tabs::topics::scrolled_offset(self.buffer.row_of(self.top), row, rows);
        self.top = self.buffer.seq_at(top_row).unwrap_or(0);
    }

    /// Pauses the view (if following) so it stops moving.
    fn freeze(&mut self, rows: usize) {
        if !self.paused {
            self.paused = true;
            self.since_pause = 0;
            self.frozen_end = self.buffer.next_seq();
            let row = self.selected_row().unwrap_or(0);
            self.top = self
                .buffer
                .seq_at(row.saturating_sub(rows.saturating_sub(1)))
                .unwrap_or(0);
            self.selected = self.buffer.seq_at(row);
        }
    }

    /// Moves the selection; moving away from the newest pauses the view.
    pub fn move_by(&mut self, delta: isize, rows: usize) {
        if let Some(detail) = self.detail.as_mut() {
            detail.scroll_by(delta);
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        self.freeze(rows);
        self.select_row(row.saturating_add_signed(delta), rows);
    }

    pub fn to_top(&mut self, rows: usize) {
        if let Some(detail) = self.detail.as_mut() {
            detail.scroll_to_end(false);
            return;
        }
        if self.view_len() > 0 {
            self.freeze(rows);
            self.select_row(0, rows);
        }
    }

    /// Back to the newest record, following again.
    pub fn follow(&mut self) {
        if let Some(detail) = self.detail.as_mut() {
            detail.scroll_to_end(true);
            return;
        }
        self.paused = false;
        self.since_pause = 0;
        self.selected = None;
    }

    pub fn toggle_pause(&mut self, rows: usize) {
        if self.paused {
            self.follow();
        } else {
            self.freeze(rows);
        }
    }

    pub fn open_detail(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let Some(seq) = self.buffer.seq_at(row) else {
            return;
        };
        if let Some(record) = self.buffer.get(seq) {
            self.detail = Some(Detail::open(seq, record.clone()));
        }
    }

    /// Marks the typed filter for application on the next tick (debounced, so a jq
    /// filter over 100 000 records is not re-run per keystroke).
    pub fn filter_typed(&mut self) {
        self.filter_dirty = true;
    }

    /// Compiles the typed filter; on success it replaces the one in force and the buffer
    /// is re-scanned; on error the old filter stays and the error is shown.
    pub fn apply_filter(&mut self) {
        self.filter_dirty = false;
        match RecordFilter::parse(self.filter_input.value()) {
            Ok(filter) => {
                self.filter_error = None;
                self.filter_text = filter
                    .as_ref()
                    .map(|_| self.filter_input.value().trim().to_string());
                self.filter = filter;
                self.buffer.set_filter(self.filter.as_ref());
                if self.selected.is_some() {
                    let row = self.selected_row().unwrap_or(0);
                    self.selected = self.buffer.seq_at(row);
                }
            }
            Err(error) => self.filter_error = Some(error),
        }
    }

    pub fn clear_filter(&mut self) {
        self.filter_input.clear();
        self.apply_filter();
    }

    /// Work for the tick: rates, and a pending filter.
    pub fn tick(&mut self) {
        self.rate.tick();
        if self.filter_dirty {
            self.apply_filter();
        }
    }
}

/// A partition that went back, in words.
fn rewind_notice(rewind: &buffer::Rewind) -> String {
    let dropped = match rewind.removed.len() {
        0 => String::new(),
        1 => "; its 1 row from there on was dropped from the view".to_string(),
        n => format!("; its {n} rows from there on were dropped from the view"),
    };
    format!(
        "partition {} went back from offset {} to {}: the broker lost data or the topic was recreated{dropped}",
        rewind.partition, rewind.from, rewind.to
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::{Record, TimestampKind};

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

    fn running(n: i64) -> TailTab {
        let mut tab = TailTab::new(Bounds::default(), TailDefaults::default());
        tab.begin(1, TailSpec::new("t"));
        tab.on_event(TailEvent::Started {
            partitions: vec![0],
        });
        tab.on_event(TailEvent::Records((0..n).map(|i| rec(i, "v")).collect()));
        tab
    }

    #[test]
    fn follows_the_newest_until_paused() {
        let mut tab = running(10);
        assert_eq!(tab.selected_row(), Some(9));
        tab.toggle_pause(5);
        tab.on_event(TailEvent::Records((10..13).map(|i| rec(i, "v")).collect()));
        assert_eq!(tab.selected_row(), Some(9), "a paused view stays put");
        assert_eq!(tab.since_pause, 3);
        tab.toggle_pause(5);
        assert_eq!(tab.selected_row(), Some(12), "resume jumps to the newest");
        assert_eq!(tab.since_pause, 0);
    }

    #[test]
    fn a_paused_view_shows_no_new_rows_even_with_room_for_them() {
        let mut tab = running(3);
        tab.toggle_pause(20);
        tab.on_event(TailEvent::Records((3..6).map(|i| rec(i, "v")).collect()));
        assert_eq!(tab.view_len(), 3, "the frozen rows only");
        assert_eq!(tab.buffer.len(), 6, "the consumer kept going");
        tab.move_by(10, 20);
        assert_eq!(
            tab.selected_row(),
            Some(2),
            "cannot scroll into unseen rows"
        );
        tab.toggle_pause(20);
        assert_eq!((tab.view_len(), tab.selected_row()), (6, Some(5)));
    }

    #[test]
    fn scrolling_up_pauses_and_g_end_follows_again() {
        let mut tab = running(10);
        tab.move_by(-3, 5);
        assert!(tab.paused);
        assert_eq!(tab.selected_row(), Some(6));
        tab.to_top(5);
        assert_eq!(tab.selected_row(), Some(0));
        tab.follow();
        assert!(!tab.paused);
        assert_eq!(tab.selected_row(), Some(9));
    }

    #[test]
    fn an_invalid_filter_keeps_the_previous_one() {
        let mut tab = running(0);
        tab.on_event(TailEvent::Records(vec![rec(0, "apple"), rec(1, "banana")]));
        tab.filter_input = TextInput::with_value("apple");
        tab.apply_filter();
        assert_eq!(tab.buffer.view_len(), 1);
        tab.filter_input = TextInput::with_value(".a ==");
        tab.filter_typed();
        tab.tick();
        assert!(
            tab.filter_error
                .as_deref()
                .is_some_and(|e| e.starts_with("jq:"))
        );
        assert_eq!(
            tab.buffer.view_len(),
            1,
            "the previous filter stays in force"
        );
        tab.clear_filter();
        assert_eq!(tab.buffer.view_len(), 2);
        assert!(tab.filter_error.is_none());
    }
}
