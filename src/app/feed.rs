//! The Feed tab's part of `App`: starting and stopping the source, the read-back tail.

use super::{App, Level};
use crate::action::Action;
use crate::kafka::Command;
use crate::kafka::feed_bridge::{FeedJob, FeedUpdate};
use crate::kafka::position::StartPosition;
use crate::kafka::tail::{TailEvent, TailSpec};

impl App {
    /// Starts the configured source (and the read-back tail).
    pub(super) fn start_feed(&mut self) -> Vec<Command> {
        let Some(source) = self.feed.source.clone() else {
            self.toast(
                Level::Warn,
                "No feed source: start ktui with --feed twitter|bluesky|replay:PATH",
            );
            return Vec::new();
        };
        let mut commands = self.ensure_readback();
        let id = self.request_id();
        self.feed.bridge = Some(id);
        self.feed.state = None;
        commands.push(Command::StartFeed {
            id,
            job: FeedJob {
                source,
                topic: self.feed.topic.clone(),
                value: self.feed.value,
            },
        });
        commands
    }

    /// Reads the feed topic back: the last records, then live.
    pub(super) fn ensure_readback(&mut self) -> Vec<Command> {
        if self.feed.readback.is_some() {
            return Vec::new();
        }
        let id = self.request_id();
        self.feed.readback = Some(id);
        self.feed.readback_failed = None;
        vec![Command::StartTail {
            id,
            spec: TailSpec {
                start: StartPosition::Last(50),
                ..TailSpec::new(self.feed.topic.clone())
            },
        }]
    }

    pub(super) fn apply_feed(&mut self, action: Action) -> Vec<Command> {
        let page = isize::try_from(self.size.1 / 4).unwrap_or(5).max(1);
        match action {
            Action::ToggleSource => {
                if self.feed.running() {
                    if let Some(id) = self.feed.bridge {
                        return vec![Command::StopFeed { id }];
                    }
                } else {
                    return self.start_feed();
                }
            }
            Action::Up => self.feed.scroll_by(-1),
            Action::Down => self.feed.scroll_by(1),
            Action::PageUp => self.feed.scroll_by(-page),
            Action::PageDown => self.feed.scroll_by(page),
            Action::Top => self.feed.scroll = 0,
            Action::Bottom => self.feed.scroll_by(isize::MAX / 2),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn on_feed(&mut self, update: FeedUpdate) {
        match update {
            FeedUpdate::State(state) => {
                if let crate::feed::FeedState::Stopped {
                    reason,
                    fatal: true,
                } = &state
                {
                    self.toast(Level::Error, format!("Feed stopped: {reason}"));
                }
                self.feed.state = Some(state);
            }
            FeedUpdate::Counts(counts) => self.feed.on_counts(counts),
        }
    }

    pub(super) fn on_readback(&mut self, event: TailEvent) {
        match event {
            TailEvent::Records(records) => self.feed.on_records(&records),
            TailEvent::Failed(reason) => {
                self.feed.readback_failed = Some(reason);
                // Retry when the tab is shown again (the topic may be created meanwhile).
                self.feed.readback = None;
            }
            TailEvent::Started { .. } => self.feed.readback_failed = None,
            TailEvent::Lag(_) | TailEvent::Warning(_) | TailEvent::ReachedEnd => {}
        }
    }
}
