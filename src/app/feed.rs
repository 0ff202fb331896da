//! The Feed tab's part of `App`: starting and stopping the source, the read-back tail.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Level};
use crate::action::Action;
use crate::kafka::Command;
use crate::kafka::position::StartPosition;
use crate::kafka::tail::{TailEvent, TailSpec};
use crate::kafka::worker::RulesChange;
use crate::kafka::{FeedJob, FeedUpdate};
use crate::loadable::Loadable;
use crate::tabs::feed::rules::{AddRuleForm, RulesPopup};

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
        if self.refuse_write("Feed publishing") {
            return commands;
        }
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
            Action::EditRules => return self.open_rules(),
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

impl App {
    /// The X source's options, when the feed runs the twitter source.
    fn twitter_options(&self) -> Option<crate::feed::twitter::Options> {
        match &self.feed.source {
            Some(crate::feed::SourceSpec::Twitter(options)) => Some(options.clone()),
            _ => None,
        }
    }

    fn rules_request(&mut self, change: RulesChange) -> Vec<Command> {
        let Some(options) = self.twitter_options() else {
            return Vec::new();
        };
        let id = self.request_id();
        if let Some(rules) = self.feed.rules.as_mut() {
            rules.request = Some(id);
        }
        vec![Command::FeedRules {
            id,
            options,
            change,
        }]
    }

    pub(super) fn open_rules(&mut self) -> Vec<Command> {
        if self.twitter_options().is_none() {
            self.toast(
                Level::Warn,
                "Rules belong to the X filtered stream: start ktui with --feed twitter",
            );
            return Vec::new();
        }
        self.feed.rules = Some(RulesPopup {
            rules: Loadable::Loading,
            ..RulesPopup::default()
        });
        self.rules_request(RulesChange::List)
    }

    /// Keys while the rules popup is open.
    pub(super) fn rules_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        let Some(rules) = self.feed.rules.as_mut() else {
            return Vec::new();
        };
        if let Some(form) = rules.adding.as_mut() {
            match key.code {
                KeyCode::Esc => rules.adding = None,
                KeyCode::Tab | KeyCode::BackTab => form.focus = 1 - form.focus,
                KeyCode::Enter => {
                    let value = form.value.value().trim().to_string();
                    if value.is_empty() {
                        rules.error = Some("A rule needs a value, e.g. kafka lang:en".into());
                    } else {
                        let tag =
                            Some(form.tag.value().trim().to_string()).filter(|t| !t.is_empty());
                        return self.rules_request(RulesChange::Add { value, tag });
                    }
                }
                _ => {
                    if form.focus == 0 {
                        form.value.handle_key(key);
                    } else {
                        form.tag.handle_key(key);
                    }
                }
            }
            return Vec::new();
        }
        let count = rules.rules.loaded().map_or(0, Vec::len);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q' | 'R') => self.feed.rules = None,
            KeyCode::Down | KeyCode::Char('j') => {
                rules.selected = (rules.selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Up | KeyCode::Char('k') => rules.selected = rules.selected.saturating_sub(1),
            KeyCode::Char('a') => rules.adding = Some(AddRuleForm::default()),
            KeyCode::Char('r') => return self.rules_request(RulesChange::List),
            KeyCode::Char('d') => {
                if let Some(id) = rules.selected_rule().map(|r| r.id.clone()) {
                    return self.rules_request(RulesChange::Delete { ids: vec![id] });
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
