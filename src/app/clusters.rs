//! Named clusters: the switcher (`c`), reconnecting without a restart, and read-only
//! refusals that say why.

use crossterm::event::{KeyCode, KeyEvent};

use crate::action::Action;
use crate::keymap::{Context, Key};

use super::{App, Level};
use crate::config::Profile;
use crate::kafka::Command;
use crate::kafka::model::Connection;
use crate::loadable::Loadable;
use crate::tabs::tail::TailStatus;

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
        self.cluster
            .profiles
            .current()
            .and_then(|p| p.read_only.as_deref())
    }

    pub(super) fn open_switcher(&mut self) {
        if self.cluster.profiles.list.len() < 2 {
            let path = crate::config::file::config_path()
                .0
                .map_or_else(|| "config.toml".to_string(), |p| p.display().to_string());
            self.toast(
                Level::Info,
                format!("No other cluster to switch to: define [clusters.NAME] in {path}"),
            );
            return;
        }
        self.cluster.profiles.picker = Some(self.cluster.profiles.current);
    }

    /// A key in the switcher, through the keymap's `clusters` context: arrows and digits
    /// select, Enter connects, Esc closes.
    pub(super) fn switcher_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        let Some(selected) = self.cluster.profiles.picker else {
            return Vec::new();
        };
        let Some(action) = self
            .keymap
            .lookup(&[Context::Clusters], Key::from_event(key))
        else {
            return Vec::new();
        };
        let last = self.cluster.profiles.list.len().saturating_sub(1);
        match action {
            Action::Close => self.cluster.profiles.picker = None,
            Action::Up => self.cluster.profiles.picker = Some(selected.saturating_sub(1)),
            Action::Down => self.cluster.profiles.picker = Some((selected + 1).min(last)),
            Action::Top => self.cluster.profiles.picker = Some(0),
            Action::Bottom => self.cluster.profiles.picker = Some(last),
            Action::SelectNumbered => {
                let n = match key.code {
                    KeyCode::Char(c) => c.to_digit(10).unwrap_or(0) as usize,
                    _ => 0,
                };
                if (1..=self.cluster.profiles.list.len()).contains(&n) {
                    self.cluster.profiles.picker = Some(n - 1);
                }
            }
            Action::Connect => {
                self.cluster.profiles.picker = None;
                return self.switch_cluster(selected);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Reconnects to another cluster: everything running stops (the worker drops every
    /// client), the topic list reloads. A tail is not restarted there (a topic of the same
    /// name is other data, and `--group` would join a group on that cluster): the Tail tab
    /// says it stopped and how to start one. The feed stops too (it would publish there).
    pub fn switch_cluster(&mut self, index: usize) -> Vec<Command> {
        let Some(profile) = self.cluster.profiles.list.get(index).cloned() else {
            return Vec::new();
        };
        if index == self.cluster.profiles.current {
            return Vec::new();
        }
        self.cluster.profiles.current = index;
        // The worker drops every client: nothing running answers any more.
        self.owners.clear();
        self.cluster.address.clone_from(&profile.brokers);
        self.cluster.connection = Connection::Connecting {
            address: profile.brokers.clone(),
        };
        self.topics.snapshot = Loadable::Loading;
        self.topics.forget_counts();
        self.topics.refresh_error = None;
        self.topics.configs = Loadable::Idle;
        self.topics.configs_topic = None;
        self.topics.configs_request = None;
        self.topics.dialog = None;
        self.groups.reset();
        self.brokers.clear();
        self.schemas.clear();
        self.compose.watch = crate::tabs::compose::Watch::default();
        self.compose.forget_schema();
        let feed_state = self.feed.running().then(|| {
            crate::feed::FeedState::stopped(format!("switched to cluster {}", profile.name), false)
        });
        self.feed.bridge = None;
        self.feed.readback = None;
        self.feed.state = feed_state;
        self.feed.posts.clear();
        let tail_stopped = self.tail.request.take().is_some();
        if tail_stopped {
            self.tail.status = TailStatus::Idle;
            self.tail.warning = Some(format!(
                "tail stopped (switched to {}): Enter on the topic in Topics (1) tails it there",
                profile.name
            ));
        }

        let mut commands = vec![Command::Connect {
            spec: Box::new(profile.spec()),
            read_only: profile.read_only.clone(),
            demo: self.cluster.profiles.demo == Some(index),
        }];
        let id = self.request_id();
        commands.push(Command::RefreshMetadata { id });
        // The tab in view gets its own consumer back at once.
        match self.tab {
            super::Tab::Compose => {
                commands.extend(self.update_compose(crate::tabs::compose::Msg::Shown));
            }
            super::Tab::Feed => {
                commands.extend(self.update_feed(crate::tabs::feed::Msg::Shown));
            }
            super::Tab::Groups => {
                commands.extend(self.update_groups(crate::tabs::groups::Msg::Shown));
            }
            super::Tab::Brokers => {
                commands.extend(self.update_brokers(crate::tabs::brokers::Msg::Shown));
            }
            super::Tab::Schemas => {
                commands.extend(self.update_schemas(crate::tabs::schemas::Msg::Shown));
            }
            super::Tab::Topics | super::Tab::Tail => {}
        }
        let security = profile.security();
        self.toast(
            Level::Info,
            format!(
                "Switching to {} ({}, {security}){}",
                profile.name,
                profile.brokers,
                if tail_stopped {
                    "; the tail stopped"
                } else {
                    ""
                }
            ),
        );
        commands
    }
}
