//! The Topics tab: its state and how it changes. Drawing lives in `view.rs`,
//! the create / delete forms in `dialog.rs`.

mod dialog;
mod update;
pub(crate) mod view;

pub use dialog::{CreateForm, DeleteForm, FormStatus};
pub use update::Msg;
pub use view::{TopicsView, list_rows, render_dialog};

use crate::kafka::RequestId;
use crate::kafka::model::{ClusterSnapshot, ConfigEntryInfo, PartitionEnds, TopicInfo};
use crate::loadable::Loadable;
use crate::widgets::text_input::TextInput;

/// Columns the list can be sorted by (`s` cycles, `S` reverses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    #[default]
    Name,
    Partitions,
    Replication,
    UnderReplicated,
    Messages,
}

impl SortColumn {
    pub const ALL: [Self; 5] = [
        Self::Name,
        Self::Partitions,
        Self::Replication,
        Self::UnderReplicated,
        Self::Messages,
    ];

    #[must_use]
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Partitions => "partitions",
            Self::Replication => "replication",
            Self::UnderReplicated => "under-replicated",
            Self::Messages => "messages",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    List,
    Details,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    Create,
    Delete,
}

#[derive(Debug, Default)]
pub struct TopicsTab {
    pub snapshot: Loadable<ClusterSnapshot>,
    /// Why the latest refresh failed while older data is still shown.
    pub refresh_error: Option<String>,
    pub show_internal: bool,
    pub sort: SortColumn,
    pub descending: bool,
    pub filter: TextInput,
    pub filter_editing: bool,
    /// Indices into the snapshot's topics: filtered and sorted. Recomputed when the
    /// snapshot, filter or sort changes, never per frame.
    visible: Vec<usize>,
    pub selected: usize,
    /// First visible row of the list.
    pub offset: usize,
    pub focus: Focus,
    pub details_scroll: usize,
    pub configs: Loadable<Vec<ConfigEntryInfo>>,
    pub configs_topic: Option<String>,
    pub configs_request: Option<RequestId>,
    pub dialog: Option<Dialog>,
    pub create: CreateForm,
    pub delete: DeleteForm,
    /// Select this topic once a refresh shows it (after creating it).
    pub select_when_seen: Option<String>,
    /// Counts brought by a watermarks pass older than this are stale: a later pass ended
    /// without refreshing them, or the cluster stopped answering.
    fresh_from: u64,
    /// The latest watermarks pass heard of.
    last_pass: u64,
    /// Partitions the running pass has counted, while some partition was never counted
    /// (the first counts after start or a cluster switch): shown as progress.
    pub counting: Option<usize>,
}

impl TopicsTab {
    pub fn new() -> Self {
        Self {
            snapshot: Loadable::Loading,
            ..Self::default()
        }
    }

    pub fn topics(&self) -> &[TopicInfo] {
        self.snapshot.loaded().map_or(&[], |s| s.topics.as_slice())
    }

    /// Messages in the topics the list shows, once every one of them is counted.
    pub fn visible_messages(&self) -> Option<u64> {
        if self.counting.is_some() || self.visible.is_empty() {
            return None;
        }
        // A topic with no leader at all (offline) adds nothing, and hides nothing.
        let topics = self.topics();
        self.visible.iter().try_fold(0u64, |total, &i| {
            let topic = topics.get(i)?;
            let counted = topic
                .partitions
                .iter()
                .all(|p| p.leader < 0 || p.high.is_some());
            counted.then(|| total.saturating_add(topic.messages().unwrap_or(0)))
        })
    }

    /// How many topics pass the filter and the internal toggle.
    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn visible_topic(&self, row: usize) -> Option<&TopicInfo> {
        self.visible.get(row).and_then(|&i| self.topics().get(i))
    }

    pub fn selected_topic(&self) -> Option<&TopicInfo> {
        self.visible_topic(self.selected)
    }

    /// Total topics, and how many of them are hidden as internal.
    pub fn counts(&self) -> (usize, usize) {
        let topics = self.topics();
        let internal = topics.iter().filter(|t| t.is_internal()).count();
        (topics.len(), internal)
    }

    /// Whether `topic`'s count holds a value a later refresh could not confirm.
    pub fn is_stale(&self, topic: &TopicInfo) -> bool {
        topic
            .partitions
            .iter()
            .any(|p| p.high.is_some() && p.pass < self.fresh_from)
    }

    /// Watermarks from one round trip of a pass: the counts they name are fresh.
    pub fn apply_watermarks(&mut self, pass: u64, ends: &[PartitionEnds]) {
        self.last_pass = self.last_pass.max(pass);
        let Some(snapshot) = self.snapshot.loaded_mut() else {
            return;
        };
        let set = snapshot.apply_watermarks(ends, pass);
        if let Some(counted) = &mut self.counting {
            *counted += set;
        }
        // Re-sorted when the pass ends, so rows do not jump under the cursor meanwhile.
    }

    /// A watermarks pass ended: the counts it did not refresh are stale from now on.
    pub fn watermarks_done(&mut self, pass: u64) {
        self.last_pass = self.last_pass.max(pass);
        self.fresh_from = self.fresh_from.max(pass);
        self.counting = None;
        if self.sort == SortColumn::Messages {
            self.recompute(None);
        }
    }

    /// Another cluster: no count or pass of the old one applies.
    pub fn forget_counts(&mut self) {
        self.counting = None;
        self.fresh_from = 0;
        self.last_pass = 0;
    }

    /// The cluster stopped answering: every count shown is as of the last answer.
    pub fn counts_unconfirmed(&mut self) {
        self.fresh_from = self.last_pass + 1;
        self.counting = None;
    }

    /// Led partitions of the snapshot: how many a pass counts.
    pub fn countable(&self) -> usize {
        self.topics()
            .iter()
            .flat_map(|t| &t.partitions)
            .filter(|p| p.leader >= 0)
            .count()
    }

    pub fn apply_snapshot(&mut self, mut snapshot: ClusterSnapshot) {
        if !snapshot.watermarks
            && let Some(old) = self.snapshot.loaded()
        {
            keep_watermarks(&mut snapshot, old);
        }
        let keep = self
            .select_when_seen
            .clone()
            .filter(|name| snapshot.topics.iter().any(|t| &t.name == name))
            .or_else(|| self.selected_topic().map(|t| t.name.clone()));
        if keep.is_some() && keep == self.select_when_seen {
            self.select_when_seen = None;
        }
        let uncounted = snapshot
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .any(|p| p.leader >= 0 && p.high.is_none());
        // Every metadata starts a new pass: its progress counts from zero.
        self.counting = uncounted.then_some(0);
        self.snapshot = Loadable::Loaded(snapshot);
        self.refresh_error = None;
        self.recompute(keep.as_deref());
    }

    /// Re-filters and re-sorts, keeping `keep` (or the current topic) selected.
    pub fn recompute(&mut self, keep: Option<&str>) {
        let keep = keep
            .map(str::to_string)
            .or_else(|| self.selected_topic().map(|t| t.name.clone()));
        let needle = self.filter.value().to_lowercase();
        let topics = self
            .snapshot
            .loaded()
            .map_or(&[][..], |s| s.topics.as_slice());
        let mut visible: Vec<usize> = topics
            .iter()
            .enumerate()
            .filter(|(_, t)| self.show_internal || !t.is_internal())
            .filter(|(_, t)| needle.is_empty() || t.name.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
        let sort = self.sort;
        visible.sort_by(|&a, &b| {
            let (a, b) = (&topics[a], &topics[b]);
            let by_column = match sort {
                SortColumn::Name => std::cmp::Ordering::Equal,
                SortColumn::Partitions => a.partitions.len().cmp(&b.partitions.len()),
                SortColumn::Replication => a.replication_factor().cmp(&b.replication_factor()),
                SortColumn::UnderReplicated => a.under_replicated().cmp(&b.under_replicated()),
                SortColumn::Messages => a.messages().cmp(&b.messages()),
            };
            by_column.then_with(|| a.name.cmp(&b.name))
        });
        if self.descending {
            visible.reverse();
        }
        self.visible = visible;
        self.selected = keep
            .and_then(|name| {
                self.visible
                    .iter()
                    .position(|&i| topics.get(i).is_some_and(|t| t.name == name))
            })
            .unwrap_or_else(|| self.selected.min(self.visible.len().saturating_sub(1)));
    }

    /// Moves the selection (list focus) or scrolls the details (details focus).
    pub fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::List => {
                let last = self.visible.len().saturating_sub(1);
                self.selected = self.selected.saturating_add_signed(delta).min(last);
                self.details_scroll = 0;
            }
            Focus::Details => {
                self.details_scroll = self.details_scroll.saturating_add_signed(delta);
            }
        }
    }

    pub fn move_to_end(&mut self, end: bool) {
        match (self.focus, end) {
            (Focus::List, false) => self.selected = 0,
            (Focus::List, true) => self.selected = self.visible.len().saturating_sub(1),
            (Focus::Details, false) => self.details_scroll = 0,
            (Focus::Details, true) => self.details_scroll = usize::MAX / 2,
        }
        if self.focus == Focus::List {
            self.details_scroll = 0;
        }
    }

    /// Keeps the selected row inside a list viewport of `rows` rows.
    pub fn scroll_into_view(&mut self, rows: usize) {
        self.offset = self.first_row(rows);
    }

    /// The first row a viewport of `rows` rows shows: the selection in view, and no empty
    /// space below the last row while rows above are hidden (a filter that shortened the
    /// list while it was scrolled down).
    pub fn first_row(&self, rows: usize) -> usize {
        let offset = self
            .offset
            .min(self.visible.len().saturating_sub(rows.max(1)));
        scrolled_offset(offset, self.selected, rows)
    }
}

/// The first row to show so that `selected` is visible in `rows` rows, moving as
/// little as possible from `offset`.
pub fn scrolled_offset(offset: usize, selected: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + rows {
        selected + 1 - rows
    } else {
        offset
    }
}

/// Fills the watermarks a snapshot fetched without them lacks from the previous one, by
/// topic and partition.
fn keep_watermarks(snapshot: &mut ClusterSnapshot, old: &ClusterSnapshot) {
    let old: std::collections::HashMap<&str, &TopicInfo> =
        old.topics.iter().map(|t| (t.name.as_str(), t)).collect();
    for topic in &mut snapshot.topics {
        let Some(before) = old.get(topic.name.as_str()) else {
            continue;
        };
        for p in &mut topic.partitions {
            if let Some(b) = before.partition_index(p.id).map(|i| &before.partitions[i])
                && p.high.is_none()
            {
                (p.low, p.high, p.pass) = (b.low, b.high, b.pass);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::PartitionInfo;

    pub(crate) fn topic(name: &str, partitions: usize, messages: i64) -> TopicInfo {
        TopicInfo {
            name: name.into(),
            partitions: (0..partitions)
                .map(|id| PartitionInfo {
                    id: i32::try_from(id).unwrap(),
                    leader: 1,
                    replicas: vec![1],
                    isr: vec![1],
                    low: Some(0),
                    high: Some(messages),
                    pass: 0,
                    error: None,
                })
                .collect(),
            error: None,
        }
    }

    fn tab_with(names: &[(&str, usize, i64)]) -> TopicsTab {
        let mut tab = TopicsTab::new();
        tab.apply_snapshot(ClusterSnapshot {
            topics: names.iter().map(|(n, p, m)| topic(n, *p, *m)).collect(),
            ..ClusterSnapshot::default()
        });
        tab
    }

    fn names(tab: &TopicsTab) -> Vec<String> {
        (0..tab.visible_len())
            .map(|i| tab.visible_topic(i).unwrap().name.clone())
            .collect()
    }

    #[test]
    fn hides_internal_topics_until_toggled() {
        let mut tab = tab_with(&[
            ("sample", 1, 1),
            ("__consumer_offsets", 50, 0),
            ("_schemas", 1, 0),
        ]);
        assert_eq!(names(&tab), ["sample"]);
        tab.show_internal = true;
        tab.recompute(None);
        assert_eq!(names(&tab), ["__consumer_offsets", "_schemas", "sample"]);
    }

    #[test]
    fn sorts_by_column_and_keeps_the_selection() {
        let mut tab = tab_with(&[("a", 3, 10), ("b", 1, 90), ("c", 2, 20)]);
        tab.selected = 1; // b
        tab.sort = SortColumn::Messages;
        tab.recompute(None);
        assert_eq!(names(&tab), ["a", "c", "b"]);
        assert_eq!(tab.selected_topic().unwrap().name, "b");
        tab.descending = true;
        tab.recompute(None);
        assert_eq!(names(&tab), ["b", "c", "a"]);
        assert_eq!(tab.selected, 0);
    }

    #[test]
    fn scrolling_moves_the_viewport_minimally() {
        assert_eq!(scrolled_offset(0, 5, 10), 0);
        assert_eq!(scrolled_offset(0, 10, 10), 1);
        assert_eq!(scrolled_offset(5, 3, 10), 3);
        assert_eq!(scrolled_offset(5, 14, 10), 5);
    }
}
