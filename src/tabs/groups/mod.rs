//! The Groups tab: every consumer group with its lag (and the lag's history since ktui
//! started), one group's members and partitions, and resetting or deleting offsets.
//! State here; the update in `update.rs` (keys) and `answers.rs` (the worker's answers);
//! drawing in `view.rs`; the dialogs' forms in `dialog.rs`; pacing and sampling in
//! `pace.rs`.

mod answers;
pub mod dialog;
pub mod pace;
mod update;
mod view;

pub use dialog::{DeleteDialog, DeleteWhat, Dialog, ResetDialog, ResetField, ResetMode, Status};
pub use update::Msg;
pub use view::{GroupsView, details_rows, list_rows, render_dialog};

use crate::kafka::groups::{GroupDetail, GroupSummary, GroupsSnapshot};
use crate::loadable::Loadable;
use crate::widgets::text_input::TextInput;
use pace::{LagHistory, Pace};

/// The list's order (`s` toggles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupSort {
    /// The most lag first (unknown lag last), then by name.
    #[default]
    Lag,
    Name,
}

impl GroupSort {
    pub fn title(self) -> &'static str {
        match self {
            Self::Lag => "lag",
            Self::Name => "name",
        }
    }
}

/// The open group's details pane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub group: String,
    pub data: Loadable<Box<GroupDetail>>,
    /// Why the latest refresh failed while older details are still shown.
    pub refresh_error: Option<String>,
    pub pace: Pace,
    /// The selected partition row.
    pub selected: usize,
}

impl Details {
    fn new(group: &str) -> Self {
        Self {
            group: group.to_string(),
            data: Loadable::Loading,
            ..Self::default()
        }
    }

    pub fn detail(&self) -> Option<&GroupDetail> {
        self.data.loaded().map(AsRef::as_ref)
    }

    /// The topic of the selected partition row.
    pub fn selected_topic(&self) -> Option<&str> {
        self.detail()?
            .partitions
            .get(self.selected)
            .map(|p| p.topic.as_str())
    }
}

#[derive(Debug, Default)]
pub struct GroupsTab {
    pub groups: Loadable<GroupsSnapshot>,
    /// Why the latest refresh failed while the older list is still shown (stale).
    pub refresh_error: Option<String>,
    pub show_internal: bool,
    pub sort: GroupSort,
    pub filter: TextInput,
    pub filter_editing: bool,
    /// Only the groups that consume this topic (from the Topics tab).
    pub topic: Option<String>,
    /// Indices into the snapshot's groups: filtered and sorted, recomputed when the
    /// snapshot, the filter or the order changes.
    visible: Vec<usize>,
    pub selected: usize,
    /// First visible row of the list.
    pub offset: usize,
    /// The listing's pace (at most one in flight).
    pub listing: Pace,
    /// Each group's lag as sampled since launch.
    pub history: LagHistory,
    pub details: Option<Details>,
    pub dialog: Option<Dialog>,
    /// A reset form closed with Esc: `r` on the same group brings it back as typed.
    pub kept: Option<ResetDialog>,
}

impl GroupsTab {
    pub fn new() -> Self {
        Self {
            groups: Loadable::Loading,
            ..Self::default()
        }
    }

    /// Forgets everything about the cluster (a switch to another one).
    pub fn reset(&mut self) {
        let (show_internal, sort) = (self.show_internal, self.sort);
        *self = Self {
            show_internal,
            sort,
            ..Self::new()
        };
    }

    pub fn all(&self) -> &[GroupSummary] {
        self.groups.loaded().map_or(&[], |s| s.groups.as_slice())
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn visible_group(&self, row: usize) -> Option<&GroupSummary> {
        self.visible.get(row).and_then(|&i| self.all().get(i))
    }

    pub fn selected_group(&self) -> Option<&GroupSummary> {
        self.visible_group(self.selected)
    }

    /// Total groups, and how many are hidden as internal.
    pub fn counts(&self) -> (usize, usize) {
        let all = self.all();
        let internal = all.iter().filter(|g| g.is_internal()).count();
        (all.len(), internal)
    }

    /// Re-filters and re-sorts, keeping `keep` (or the selected group) selected.
    pub fn recompute(&mut self, keep: Option<&str>) {
        let keep = keep
            .map(str::to_string)
            .or_else(|| self.selected_group().map(|g| g.name.clone()));
        let needle = self.filter.value().to_lowercase();
        let groups = self
            .groups
            .loaded()
            .map_or(&[][..], |s| s.groups.as_slice());
        let topic = self.topic.as_deref();
        let mut visible: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| self.show_internal || !g.is_internal())
            .filter(|(_, g)| needle.is_empty() || g.name.to_lowercase().contains(&needle))
            .filter(|(_, g)| topic.is_none_or(|t| g.topics.iter().any(|gt| gt == t)))
            .map(|(i, _)| i)
            .collect();
        let sort = self.sort;
        visible.sort_by(|&a, &b| {
            let (a, b) = (&groups[a], &groups[b]);
            let by_lag = match sort {
                // Most lag first; unknown lag after every known one.
                GroupSort::Lag => b.lag.map_or(-1, |l| l).cmp(&a.lag.map_or(-1, |l| l)),
                GroupSort::Name => std::cmp::Ordering::Equal,
            };
            by_lag.then_with(|| a.name.cmp(&b.name))
        });
        self.visible = visible;
        self.selected = keep
            .and_then(|name| {
                self.visible
                    .iter()
                    .position(|&i| groups.get(i).is_some_and(|g| g.name == name))
            })
            .unwrap_or_else(|| self.selected.min(self.visible.len().saturating_sub(1)));
    }

    /// Takes a new listing: the table, its stale marker and the lag samples.
    pub fn apply_snapshot(&mut self, snapshot: GroupsSnapshot, tick: u64) {
        // The selected group by name, before the new listing changes what its index means.
        let keep = self.selected_group().map(|g| g.name.clone());
        self.history.record(
            tick,
            snapshot.groups.iter().map(|g| (g.name.as_str(), g.lag)),
            snapshot.warnings.is_empty(),
        );
        self.groups = Loadable::Loaded(snapshot);
        self.refresh_error = None;
        self.recompute(keep.as_deref());
    }

    pub fn move_by(&mut self, delta: isize) {
        if let Some(details) = self.details.as_mut() {
            let rows = details.detail().map_or(0, |d| d.partitions.len());
            details.selected = details
                .selected
                .saturating_add_signed(delta)
                .min(rows.saturating_sub(1));
        } else {
            let last = self.visible.len().saturating_sub(1);
            self.selected = self.selected.saturating_add_signed(delta).min(last);
        }
    }

    pub fn move_to_end(&mut self, end: bool) {
        self.move_by(if end { isize::MAX / 2 } else { isize::MIN / 2 });
    }

    /// Keeps the selected row inside a list viewport of `rows` rows.
    pub fn scroll_into_view(&mut self, rows: usize) {
        self.offset = crate::tabs::topics::scrolled_offset(self.offset, self.selected, rows);
    }

    /// Whether keys go to the filter or a dialog before the keymap.
    pub fn takes_keys(&self) -> bool {
        self.filter_editing || self.dialog.is_some()
    }

    /// The text field with the keyboard, if any (for pasting).
    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        match self.dialog.as_mut() {
            Some(Dialog::Reset(reset)) => reset.focused_input(),
            Some(Dialog::Delete(delete)) => Some(delete.focused_input()),
            None if self.filter_editing => Some(&mut self.filter),
            None => None,
        }
    }
}

/// A time lag in words, as `ktui groups` says it ("4.2 s", "3 min", "0" when caught up),
/// with "—" when unknown like the table's other empty cells.
pub fn time_lag(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "—".into(),
        |ms| crate::kafka::groups::format_time_lag(Some(ms)),
    )
}

#[cfg(test)]
mod tests {
    use super::time_lag;

    #[test]
    fn time_lags_read_as_people_say_them() {
        assert_eq!(time_lag(None), "—");
        assert_eq!(time_lag(Some(0)), "0");
        assert_eq!(time_lag(Some(3_200)), "3.2 s");
        assert_eq!(time_lag(Some(4 * 60_000 + 5_000)), "4 min");
        assert_eq!(time_lag(Some(9_000_000)), "2.5 h");
    }
}
