//! The Feed tab's update: starting and stopping the post source, the read-back tail of
//! the feed topic, the X rules popup, and the feed's reports.

use crossterm::event::KeyEvent;

use super::FeedTab;
use super::rules::{AddRuleForm, RulesPopup};
use crate::action::Action;
use crate::effects::Level;
use crate::feed::twitter::StreamRule;
use crate::kafka::position::StartPosition;
use crate::kafka::tail::{TailEvent, TailSpec};
use crate::kafka::worker::RulesChange;
use crate::kafka::{Command, FeedJob, FeedUpdate, RequestId};
use crate::loadable::Loadable;
use crate::tabs::Ctx;

/// What the Feed tab is told.
#[derive(Debug)]
pub enum Msg<'a> {
    /// Start the configured source (at start-up).
    Start,
    /// The tab is shown: read the feed topic back if that is not running.
    Shown,
    /// A key while the rules popup is open ([`FeedTab::takes_keys`]), with what the
    /// keymap's `rules` (or, adding a rule, `form`) context makes of it.
    Key {
        key: &'a KeyEvent,
        action: Option<Action>,
    },
    /// A keymap action.
    Action(Action),
    /// A report of the running feed.
    Feed(FeedUpdate),
    /// An event of the read-back tail.
    Readback(TailEvent),
    /// The rules after a change, or why it failed.
    Rules {
        id: RequestId,
        result: Result<Vec<StreamRule>, String>,
    },
}

impl FeedTab {
    /// Whether keys go to the rules popup before the keymap.
    pub fn takes_keys(&self) -> bool {
        self.rules.is_some()
    }

    pub fn update(&mut self, msg: Msg<'_>, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            Msg::Start => return self.start_feed(ctx),
            Msg::Shown => return self.ensure_readback(ctx),
            Msg::Key { key, action } => return self.rules_key(key, action, ctx),
            Msg::Action(action) => return self.apply(action, ctx),
            Msg::Feed(update) => self.on_feed(update, ctx),
            Msg::Readback(event) => self.on_readback(event),
            Msg::Rules { id, result } => {
                if let Some(rules) = self.rules.as_mut() {
                    rules.answered(id, result);
                }
            }
        }
        Vec::new()
    }

    /// Starts the configured source (and the read-back tail).
    fn start_feed(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        let Some(source) = self.source.clone() else {
            ctx.toast(
                Level::Warn,
                "No feed source: start ktui with --feed twitter|bluesky|replay:PATH",
            );
            return Vec::new();
        };
        let mut commands = self.ensure_readback(ctx);
        if ctx.refuse_write("Feed publishing") {
            return commands;
        }
        let id = ctx.request_id();
        self.bridge = Some(id);
        self.state = None;
        commands.push(Command::StartFeed {
            id,
            job: FeedJob {
                source,
                topic: self.topic.clone(),
                value: self.value,
            },
        });
        commands
    }

    /// Reads the feed topic back: the last records, then live.
    fn ensure_readback(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        if self.readback.is_some() {
            return Vec::new();
        }
        let id = ctx.request_id();
        self.readback = Some(id);
        self.readback_failed = None;
        vec![Command::StartTail {
            id,
            spec: TailSpec {
                start: StartPosition::Last(50),
                ..TailSpec::new(self.topic.clone())
            },
        }]
    }

    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let page = isize::try_from(ctx.size.1 / 4).unwrap_or(5).max(1);
        match action {
            Action::ToggleSource => {
                if self.running() {
                    if let Some(id) = self.bridge {
                        return vec![Command::StopFeed { id }];
                    }
                } else {
                    return self.start_feed(ctx);
                }
            }
            Action::EditRules => return self.open_rules(ctx),
            Action::Up => self.scroll_by(-1),
            Action::Down => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-page),
            Action::PageDown => self.scroll_by(page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll_by(isize::MAX / 2),
            _ => {}
        }
        Vec::new()
    }

    fn on_feed(&mut self, update: FeedUpdate, ctx: &mut Ctx) {
        match update {
            FeedUpdate::State(state) => {
                if let crate::feed::FeedState::Stopped {
                    reason,
                    fatal: true,
                } = &state
                {
                    ctx.toast(Level::Error, format!("Feed stopped: {reason}"));
                }
                self.state = Some(state);
            }
            FeedUpdate::Counts(counts) => self.on_counts(counts),
        }
    }

    fn on_readback(&mut self, event: TailEvent) {
        match event {
            TailEvent::Records(records) => self.on_records(&records),
            TailEvent::Failed(reason) => {
                self.readback_failed = Some(reason);
                // Retry when the tab is shown again (the topic may be created meanwhile).
                self.readback = None;
            }
            TailEvent::Started { .. } => self.readback_failed = None,
            TailEvent::Range(_)
            | TailEvent::Progress { .. }
            | TailEvent::Lag(_)
            | TailEvent::Warning(_)
            | TailEvent::ReachedEnd => {}
        }
    }

    /// The X source's options, when the feed runs the twitter source.
    fn twitter_options(&self) -> Option<crate::feed::twitter::Options> {
        match &self.source {
            Some(crate::feed::SourceSpec::Twitter(options)) => Some(options.clone()),
            _ => None,
        }
    }

    fn rules_request(&mut self, change: RulesChange, ctx: &mut Ctx) -> Vec<Command> {
        let Some(options) = self.twitter_options() else {
            return Vec::new();
        };
        let id = ctx.request_id();
        if let Some(rules) = self.rules.as_mut() {
            rules.request = Some(id);
        }
        vec![Command::FeedRules {
            id,
            options,
            change,
        }]
    }

    fn open_rules(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        if self.twitter_options().is_none() {
            ctx.toast(
                Level::Warn,
                "Rules belong to the X filtered stream: start ktui with --feed twitter",
            );
            return Vec::new();
        }
        self.rules = Some(RulesPopup {
            rules: Loadable::Loading,
            ..RulesPopup::default()
        });
        self.rules_request(RulesChange::List, ctx)
    }

    /// Keys while the rules popup is open.
    fn rules_key(&mut self, key: &KeyEvent, action: Option<Action>, ctx: &mut Ctx) -> Vec<Command> {
        let Some(rules) = self.rules.as_mut() else {
            return Vec::new();
        };
        if let Some(form) = rules.adding.as_mut() {
            match action {
                Some(Action::Close) => rules.adding = None,
                Some(Action::NextField | Action::PrevField) => form.focus = 1 - form.focus,
                Some(Action::Submit) => {
                    let value = form.value.value().trim().to_string();
                    if value.is_empty() {
                        rules.error = Some("A rule needs a value, e.g. kafka lang:en".into());
                    } else {
                        let tag =
                            Some(form.tag.value().trim().to_string()).filter(|t| !t.is_empty());
                        return self.rules_request(RulesChange::Add { value, tag }, ctx);
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
        match action {
            Some(Action::Close) => self.rules = None,
            Some(Action::Down) => {
                rules.selected = (rules.selected + 1).min(count.saturating_sub(1));
            }
            Some(Action::Up) => rules.selected = rules.selected.saturating_sub(1),
            Some(Action::AddRule) => rules.adding = Some(AddRuleForm::default()),
            Some(Action::Refresh) => return self.rules_request(RulesChange::List, ctx),
            Some(Action::DeleteRule) => {
                if let Some(id) = rules.selected_rule().map(|r| r.id.clone()) {
                    return self.rules_request(RulesChange::Delete { ids: vec![id] }, ctx);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
