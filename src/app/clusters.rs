//! Named clusters: the switcher (`c`), reconnecting without a restart, and read-only
//! refusals that say why.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Level};
use crate::config::Profile;
use crate::kafka::Command;
use crate::kafka::model::Connection;
use crate::loadable::Loadable;

/// The clusters ktui can switch between, and which one is in use.
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    pub list: Vec<Profile>,
    pub current: usize,
    /// The entry that is the embedded demo cluster (`--demo`).
    pub demo: Option<usize>,
    /// The switcher's highlighted row, while it is open.
    pub picker: Option<usize>,
}

impl Clusters {
    pub fn new(list: Vec<Profile>, current: usize) -> Self {
        Self {
            list,
            current,
            demo: None,
            picker: None,
        }
    }

    pub fn current(&self) -> Option<&Profile> {
        self.list.get(self.current)
    }

    /// Whether the cluster in use is the embedded demo (true when no list is known).
    pub fn on_demo(&self) -> bool {
        self.demo.is_none_or(|demo| demo == self.current)
    }
}

impl App {
    /// Why writes are refused on the current cluster, if they are.
    pub fn read_only(&self) -> Option<&str> {
        self.clusters.current().and_then(|p| p.read_only.as_deref())
    }

    /// Refuses a write on a read-only cluster with a message that says why; `true` when
    /// it refused.
    pub(super) fn refuse_write(&mut self, what: &str) -> bool {
        let Some(reason) = self.read_only().map(str::to_string) else {
            return false;
        };
        self.toast(Level::Warn, format!("{what} is disabled: {reason}"));
        true
    }

    pub(super) fn open_switcher(&mut self) {
        if self.clusters.list.len() < 2 {
            let path = crate::config::file::config_path()
                .0
                .map_or_else(|| "config.toml".to_string(), |p| p.display().to_string());
            self.toast(
                Level::Info,
                format!("No other cluster to switch to: define [clusters.NAME] in {path}"),
            );
            return;
        }
        self.clusters.picker = Some(self.clusters.current);
    }

    pub(super) fn switcher_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        let Some(selected) = self.clusters.picker else {
            return Vec::new();
        };
        let last = self.clusters.list.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 'c') => self.clusters.picker = None,
            KeyCode::Up | KeyCode::Char('k') => {
                self.clusters.picker = Some(selected.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.clusters.picker = Some((selected + 1).min(last));
            }
            KeyCode::Home | KeyCode::Char('g') => self.clusters.picker = Some(0),
            KeyCode::End | KeyCode::Char('G') => self.clusters.picker = Some(last),
            KeyCode::Enter => {
                self.clusters.picker = None;
                return self.switch_cluster(selected);
            }
            KeyCode::Char(c) if c.is_ascii_digit() => {
                let n = c.to_digit(10).unwrap_or(0) as usize;
                if (1..=self.clusters.list.len()).contains(&n) {
                    self.clusters.picker = None;
                    return self.switch_cluster(n - 1);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Reconnects to another cluster: everything running stops, the topic list reloads,
    /// and an open tail reopens on the same topic there.
    pub fn switch_cluster(&mut self, index: usize) -> Vec<Command> {
        let Some(profile) = self.clusters.list.get(index).cloned() else {
            return Vec::new();
        };
        if index == self.clusters.current {
            return Vec::new();
        }
        self.clusters.current = index;
        self.cluster.address.clone_from(&profile.brokers);
        self.connection = Connection::Connecting {
            address: profile.brokers.clone(),
        };
        self.topics.snapshot = Loadable::Loading;
        self.topics.refresh_error = None;
        self.topics.configs = Loadable::Idle;
        self.topics.configs_topic = None;
        self.topics.configs_request = None;
        self.topics.dialog = None;
        self.compose.watch = crate::ui::tabs::compose::Watch::default();
        let feed_was_running = self.feed.running();
        self.feed.bridge = None;
        self.feed.readback = None;
        self.feed.state = None;
        self.feed.posts.clear();
        self.tail.request = None;

        let mut commands = vec![Command::Connect {
            spec: profile.spec(),
            read_only: profile.read_only.clone(),
            demo: self.clusters.demo == Some(index),
        }];
        let id = self.request_id();
        commands.push(Command::RefreshMetadata { id });
        if let Some(topic) = self.tail.topic.clone() {
            let tab = self.tab;
            commands.extend(self.open_in_tail(&topic));
            self.tab = tab;
        }
        if feed_was_running && profile.read_only.is_none() {
            commands.extend(self.start_feed());
        }
        // The tab in view gets its own consumer back at once.
        match self.tab {
            super::Tab::Compose => commands.extend(self.ensure_watch()),
            super::Tab::Feed => commands.extend(self.ensure_readback()),
            super::Tab::Topics | super::Tab::Tail => {}
        }
        let security = profile.security();
        self.toast(
            Level::Info,
            format!(
                "Switching to {} ({}, {security})",
                profile.name, profile.brokers
            ),
        );
        commands
    }
}
