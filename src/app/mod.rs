//! The application state and how it changes. `App::handle` is the only place state
//! changes: an event in, the state updated, and the commands for the worker out. The run
//! loop drains the event queue, then draws at most ~60 times a second. No drawing here.

use crate::kafka::model::Connection;
use crate::kafka::{Command, RequestId};
use crate::keymap::{Context, Keymap};
use crate::tabs::Ctx;
use crate::tabs::compose::ComposeTab;
use crate::tabs::feed::FeedTab;
use crate::tabs::groups::{self as groups_tab, GroupsTab};
use crate::tabs::tail::{Msg as TailMsg, TailTab};
use crate::tabs::topics::{self, Dialog, Focus, TopicsTab};

mod clusters;
mod compose;
mod feed;
mod groups;
mod help;
mod route;
mod run;
mod tail;

pub use crate::effects::{Effect, Level};
pub use crate::tabs::Tab;
pub use clusters::Clusters;
pub use run::{FRAME, run, run_tui};

/// A message that shows for a while, then goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub born: u64,
    /// Stays until the next key press (start-up notices: config errors and warnings).
    pub sticky: bool,
}

impl Toast {
    /// How many ticks a toast stays: errors stay longer.
    fn lifetime(&self) -> u64 {
        match self.level {
            Level::Info => 16,
            Level::Warn => 28,
            Level::Error => 48,
        }
    }
}

/// What the status bar says about where we are connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLabel {
    /// The bootstrap list the worker uses.
    pub address: String,
    /// In `--demo`: the addresses other clients can use (e.g. `127.0.0.1:9092`).
    pub demo_address: Option<String>,
}

/// Where the app is connected, how that is going, and the clusters it can switch to.
#[derive(Debug, Clone)]
pub struct ClusterState {
    /// The bootstrap list the worker uses.
    pub address: String,
    /// In `--demo`: the address other clients can use (e.g. `127.0.0.1:9092`).
    pub demo_address: Option<String>,
    /// What the worker last said about the connection.
    pub connection: Connection,
    /// The clusters to switch between (from the config file and the command line).
    pub profiles: Clusters,
}

impl ClusterState {
    pub fn new(label: ClusterLabel, profiles: Clusters) -> Self {
        Self {
            connection: Connection::Connecting {
                address: label.address.clone(),
            },
            address: label.address,
            demo_address: label.demo_address,
            profiles,
        }
    }
}

/// Everything the UI shows. Owned by the UI task alone.
pub struct App {
    pub tab: Tab,
    pub topics: TopicsTab,
    pub tail: TailTab,
    pub compose: ComposeTab,
    pub feed: FeedTab,
    pub groups: GroupsTab,
    pub brokers: crate::tabs::brokers::BrokersTab,
    pub schemas: crate::tabs::schemas::SchemasTab,
    pub cluster: ClusterState,
    pub keymap: Keymap,
    pub help_open: bool,
    /// The help overlay's first visible line.
    pub help_scroll: usize,
    pub toasts: Vec<Toast>,
    /// Ticks since start: drives spinners and toast expiry.
    pub ticks: u64,
    /// Terminal size, for scrolling math in `handle`.
    pub size: (u16, u16),
    pub should_quit: bool,
    /// The tab shown when the last event was handled: the worker is told when the Topics
    /// tab comes or goes (`Command::Watermarks`; it starts wanting them).
    shown: Tab,
    /// The topics on screen the worker was last told of (their counts come first).
    first_sent: Vec<String>,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Work for the run loop (clipboard, export), taken after each `handle`.
    pub effects: Vec<Effect>,
    /// The time zone record times are shown in.
    pub tz: jiff::tz::TimeZone,
    /// The colours the UI draws with (dark, light, or none for `NO_COLOR`).
    pub palette: crate::theme::Palette,
    next_request: RequestId,
    /// Which tab made each request still open (tails and feeds until stopped, one-shot
    /// requests until answered): worker events are routed by it.
    owners: std::collections::HashMap<RequestId, Tab>,
}

/// What an `App` starts with (from the command line and the config file; tests build
/// their own).
pub struct AppSettings {
    pub cluster: ClusterLabel,
    pub keymap: Keymap,
    /// The colours the UI draws with.
    pub palette: crate::theme::Palette,
    /// The clusters to switch between.
    pub profiles: Clusters,
    /// The Tail tab with its buffer bounds and where new tails start.
    pub tail: TailTab,
    /// The Feed tab with its post source, topic and value format.
    pub feed: FeedTab,
    /// The Compose tab's history of sent messages (from the history file).
    pub history: Vec<crate::tabs::compose::history::Entry>,
    /// A topic to open in the Tail tab at start (`--topic`).
    pub open_topic: Option<String>,
    /// Start-up notices (config errors and warnings): toasts that stay until a key.
    pub notices: Vec<(Level, String)>,
}

impl AppSettings {
    /// The defaults: no clusters to switch to, default tail bounds, no feed source.
    pub fn new(cluster: ClusterLabel, keymap: Keymap) -> Self {
        Self {
            cluster,
            keymap,
            palette: crate::theme::Palette::dark(),
            profiles: Clusters::default(),
            tail: TailTab::default(),
            feed: FeedTab::new(None, "tweets".into(), crate::kafka::ValueFormat::Json),
            history: Vec::new(),
            open_topic: None,
            notices: Vec::new(),
        }
    }
}

impl App {
    pub fn new(settings: AppSettings) -> Self {
        let AppSettings {
            cluster,
            keymap,
            palette,
            profiles,
            mut tail,
            feed,
            history,
            open_topic,
            notices,
        } = settings;
        let tab = if open_topic.is_some() {
            Tab::Tail
        } else {
            Tab::Topics
        };
        tail.topic = open_topic.or(tail.topic);
        let compose = ComposeTab {
            history,
            ..ComposeTab::default()
        };
        let mut app = Self {
            tab,
            topics: TopicsTab::new(),
            tail,
            compose,
            feed,
            groups: GroupsTab::new(),
            brokers: crate::tabs::brokers::BrokersTab::default(),
            schemas: crate::tabs::schemas::SchemasTab::default(),
            cluster: ClusterState::new(cluster, profiles),
            keymap,
            help_open: false,
            help_scroll: 0,
            toasts: Vec::new(),
            ticks: 0,
            size: (80, 24),
            should_quit: false,
            shown: Tab::Topics,
            first_sent: Vec::new(),
            dirty: true,
            effects: Vec::new(),
            tz: jiff::tz::TimeZone::system(),
            palette,
            next_request: 1,
            owners: std::collections::HashMap::new(),
        };
        for (level, notice) in notices {
            app.notice(level, notice);
        }
        app
    }

    /// A context for a tab's update: request ids continue from the app's.
    fn ctx(&self, owner: Tab) -> Ctx {
        let mut ctx = Ctx::new(
            owner,
            self.next_request,
            self.size,
            self.read_only().map(str::to_string),
        );
        ctx.ticks = self.ticks;
        ctx
    }

    /// Carries out what a tab's update asked for: its toasts, effects, and a topic to
    /// open in the Tail tab. Returns the update's commands with any this adds.
    fn absorb(&mut self, ctx: Ctx, mut commands: Vec<Command>) -> Vec<Command> {
        self.next_request = ctx.next_request();
        // Answers to the requests it made go to the tab that made them; a tail that is
        // stopped has no owner any more, so its late events are dropped.
        for id in ctx.issued() {
            self.owners.insert(*id, ctx.owner());
        }
        for command in &commands {
            // (A stopped feed still reports its last counts: its entry stays.)
            if let Command::StopTail { id } = command {
                self.owners.remove(id);
            }
        }
        self.effects.extend(ctx.effects);
        for prefix in &ctx.dismiss {
            self.toasts.retain(|t| !t.text.starts_with(prefix.as_str()));
        }
        for (level, text) in ctx.toasts {
            self.toast(level, text);
        }
        for (level, text) in ctx.notices {
            self.notice(level, text);
        }
        if let Some(open) = ctx.open_tail {
            commands.extend(self.open_tail(&open));
        }
        if let Some(topic) = ctx.show_groups_of {
            commands.extend(self.show_groups_of(topic));
        }
        commands
    }

    fn update_topics(&mut self, msg: topics::Msg<'_>) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Topics);
        let commands = self.topics.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        // A toast goes after a few seconds; the log keeps what it said.
        match level {
            Level::Info => tracing::info!("toast: {text}"),
            Level::Warn => tracing::warn!("toast: {text}"),
            Level::Error => tracing::error!("toast: {text}"),
        }
        self.toasts.push(Toast {
            level,
            text,
            born: self.ticks,
            sticky: false,
        });
        if self.toasts.len() > 5 {
            self.toasts.remove(0);
        }
    }

    /// A start-up notice (a config error, a permission warning): a toast that stays until
    /// the user presses a key, so it cannot be missed.
    pub fn notice(&mut self, level: Level, text: impl Into<String>) {
        self.toast(level, text);
        if let Some(toast) = self.toasts.last_mut() {
            toast.sticky = true;
        }
    }

    /// The keymap contexts in force, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.help_open {
            return vec![Context::Help];
        }
        if self.cluster.profiles.picker.is_some() {
            return vec![Context::Clusters];
        }
        // A dialog, form, filter or picker in front has the keyboard to itself.
        match self.tab {
            Tab::Topics => match self.topics.dialog {
                Some(Dialog::Create) => return vec![Context::Form],
                Some(Dialog::Delete) => return vec![Context::Confirm],
                None if self.topics.filter_editing => return vec![Context::Filter],
                None => {}
            },
            Tab::Tail if self.tail.options.is_some() => return vec![Context::Form],
            Tab::Tail if self.tail.filter_editing => return vec![Context::Filter],
            Tab::Compose if self.compose.history_open.is_some() => {
                return vec![Context::History];
            }
            Tab::Compose if self.compose.focus.is_some() => {
                return vec![Context::ComposeForm, Context::Compose];
            }
            Tab::Feed => match &self.feed.rules {
                Some(rules) if rules.adding.is_some() => return vec![Context::Form],
                Some(_) => return vec![Context::Rules],
                None => {}
            },
            Tab::Groups => match &self.groups.dialog {
                Some(groups_tab::Dialog::Reset(reset)) if reset.previewing() => {
                    return vec![Context::GroupConfirm];
                }
                Some(groups_tab::Dialog::Reset(_)) => return vec![Context::GroupReset],
                Some(groups_tab::Dialog::Delete(_)) => return vec![Context::GroupConfirm],
                None if self.groups.filter_editing => return vec![Context::Filter],
                None => {}
            },
            _ => {}
        }
        match self.tab {
            Tab::Topics if self.topics.focus == Focus::Details => {
                vec![Context::Details, Context::Topics, Context::Global]
            }
            Tab::Topics => vec![Context::Topics, Context::List, Context::Global],
            Tab::Tail if self.tail.detail.is_some() => vec![Context::Record, Context::Global],
            Tab::Tail if self.tail.topic.is_some() => {
                let mut contexts = Vec::with_capacity(5);
                let searching = self
                    .tail
                    .search
                    .as_ref()
                    .is_some_and(crate::tabs::tail::search::Search::running);
                if searching && self.tail.request.is_some() {
                    contexts.push(Context::TailSearching);
                }
                if self.tail.paused {
                    contexts.push(Context::TailPaused);
                }
                contexts.extend([Context::Tail, Context::List, Context::Global]);
                contexts
            }
            Tab::Compose => vec![Context::Compose, Context::Global],
            Tab::Feed => vec![Context::Feed, Context::Global],
            Tab::Groups if self.groups.details.is_some() => {
                vec![Context::GroupDetails, Context::Groups, Context::Global]
            }
            Tab::Groups => vec![Context::Groups, Context::List, Context::Global],
            Tab::Brokers if self.brokers.focus == crate::tabs::brokers::Focus::Details => {
                vec![Context::BrokerDetails, Context::Global]
            }
            Tab::Brokers => vec![Context::Brokers, Context::Global],
            Tab::Schemas if self.schemas.focus == crate::tabs::schemas::Focus::Details => {
                vec![Context::SchemaDetails, Context::Global]
            }
            Tab::Schemas => vec![Context::Schemas, Context::Global],
            Tab::Tail => vec![Context::Global],
        }
    }

    /// Rows in the current list's viewport at the current terminal size.
    fn list_rows(&self) -> usize {
        match self.tab {
            Tab::Tail => crate::tabs::tail::table_rows(self.size),
            Tab::Groups => groups_tab::list_rows(self.size, self.groups.details.is_some()),
            Tab::Brokers => crate::tabs::brokers::list_rows(self.size),
            Tab::Schemas => crate::tabs::schemas::list_rows(self.size),
            _ => crate::tabs::topics::list_rows(self.size),
        }
    }
}
