//! The Brokers tab: every broker with its address, rack, role (controller), whether it
//! answers, what it leads and hosts, and its log dirs' size; the selected broker's log
//! dirs and configs (with their source) beside. State and update here, drawing in
//! `view.rs`.

mod view;

pub use view::{BrokersView, list_rows};

use crate::action::Action;
use crate::kafka::brokers::{BrokerDetail, BrokersSnapshot};
use crate::kafka::{Command, KafkaEvent, RequestId};
use crate::loadable::Loadable;
use crate::tabs::Ctx;

/// Ticks between refreshes while the tab is shown (a tick is 250 ms): 10 s.
const REFRESH_TICKS: u64 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    List,
    Details,
}

#[derive(Debug, Default)]
pub struct BrokersTab {
    pub brokers: Loadable<BrokersSnapshot>,
    /// Why the latest refresh failed while the older list is still shown.
    pub refresh_error: Option<String>,
    /// The request in flight.
    pub request: Option<RequestId>,
    /// The tick of the last request.
    asked_at: Option<u64>,
    pub selected: usize,
    pub focus: Focus,
    pub details_scroll: usize,
}

/// What the Brokers tab is told.
#[derive(Debug)]
pub enum Msg {
    /// A keymap action.
    Action(Action),
    /// The tab came into view: ask now.
    Shown,
    /// A tick: whether the tab is in view and whether the cluster answers.
    Tick { shown: bool, connected: bool },
    /// The worker's answer to one of the tab's requests.
    Answer(KafkaEvent),
}

impl BrokersTab {
    pub fn selected_broker(&self) -> Option<&BrokerDetail> {
        self.brokers.loaded()?.brokers.get(self.selected)
    }

    fn len(&self) -> usize {
        self.brokers.loaded().map_or(0, |b| b.brokers.len())
    }

    pub fn update(&mut self, msg: Msg, ctx: &mut Ctx) -> Vec<Command> {
        match msg {
            // (Not again while an answer is awaited: switching tabs back and forth would
            // send round after round to every broker.)
            Msg::Shown if self.request.is_some() => Vec::new(),
            Msg::Shown => self.ask(ctx),
            Msg::Tick { shown, connected } => {
                let due = self
                    .asked_at
                    .is_none_or(|at| ctx.ticks.saturating_sub(at) >= REFRESH_TICKS);
                if shown && connected && due && self.request.is_none() {
                    self.ask(ctx)
                } else {
                    Vec::new()
                }
            }
            Msg::Action(action) => self.apply(action, ctx),
            Msg::Answer(KafkaEvent::Brokers { id, result }) if self.request == Some(id) => {
                self.request = None;
                match result {
                    Ok(snapshot) => {
                        let keep = self.selected_broker().map(|b| b.id);
                        self.selected = keep
                            .and_then(|id| snapshot.brokers.iter().position(|b| b.id == id))
                            .unwrap_or(self.selected)
                            .min(snapshot.brokers.len().saturating_sub(1));
                        self.brokers = Loadable::Loaded(snapshot);
                        self.refresh_error = None;
                    }
                    Err(reason) if self.brokers.loaded().is_some() => {
                        self.refresh_error = Some(reason);
                    }
                    Err(reason) => self.brokers = Loadable::Failed(reason),
                }
                Vec::new()
            }
            Msg::Answer(_) => Vec::new(),
        }
    }

    fn ask(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        let id = ctx.request_id();
        self.request = Some(id);
        self.asked_at = Some(ctx.ticks);
        if self.brokers.loaded().is_none() {
            self.brokers = Loadable::Loading;
        }
        vec![Command::DescribeBrokers { id }]
    }

    fn apply(&mut self, action: Action, ctx: &mut Ctx) -> Vec<Command> {
        let page = list_rows(ctx.size).max(1);
        let last = self.len().saturating_sub(1);
        match (self.focus, action) {
            (_, Action::Refresh) => return self.ask(ctx),
            (Focus::List, Action::Up) => self.select(self.selected.saturating_sub(1)),
            (Focus::List, Action::Down) => self.select((self.selected + 1).min(last)),
            (Focus::List, Action::Top) => self.select(0),
            (Focus::List, Action::Bottom) => self.select(last),
            (Focus::List, Action::PageUp) => self.select(self.selected.saturating_sub(page)),
            (Focus::List, Action::PageDown) => self.select((self.selected + page).min(last)),
            (Focus::List, Action::FocusDetails) if self.selected_broker().is_some() => {
                self.focus = Focus::Details;
            }
            (Focus::Details, Action::FocusList) => self.focus = Focus::List,
            (Focus::Details, Action::Up) => {
                self.details_scroll = self.details_scroll.saturating_sub(1);
            }
            (Focus::Details, Action::Down) => self.details_scroll += 1,
            (Focus::Details, Action::PageUp) => {
                self.details_scroll = self.details_scroll.saturating_sub(page);
            }
            (Focus::Details, Action::PageDown) => self.details_scroll += page,
            (Focus::Details, Action::Top) => self.details_scroll = 0,
            (Focus::Details, Action::Bottom) => self.details_scroll = usize::MAX / 2,
            _ => {}
        }
        Vec::new()
    }

    fn select(&mut self, row: usize) {
        if row != self.selected {
            self.details_scroll = 0;
        }
        self.selected = row;
    }

    /// Forgets the cluster (a switch to another one).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}
