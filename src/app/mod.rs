//! The application state and how it changes. `App::handle` is the only place state
//! changes: an event in, the state updated, and the commands for the worker out. The run
//! loop drains the event queue, then draws at most ~60 times a second. No drawing here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Action;
use crate::event::Event;
use crate::kafka::model::Connection;
use crate::kafka::{Command, KafkaEvent, RequestId};
use crate::keymap::{Context, Key, Keymap};
use crate::loadable::Loadable;
use crate::tabs::Ctx;
use crate::tabs::compose::{ComposeTab, Msg as ComposeMsg};
use crate::tabs::feed::{FeedTab, Msg as FeedMsg};
use crate::tabs::tail::{Msg as TailMsg, TailTab};
use crate::tabs::topics::{self, Dialog, Focus, TopicsTab};

mod clusters;
mod compose;
mod feed;
mod help;
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

/// Everything the UI shows. Owned by the UI task alone.
pub struct App {
    pub tab: Tab,
    pub topics: TopicsTab,
    pub tail: TailTab,
    pub compose: ComposeTab,
    pub feed: FeedTab,
    pub connection: Connection,
    pub cluster: ClusterLabel,
    /// The clusters to switch between (from the config file and the command line).
    pub clusters: Clusters,
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
    pub clusters: Clusters,
    /// The Tail tab with its buffer bounds and where new tails start.
    pub tail: TailTab,
    /// The Feed tab with its post source, topic and value format.
    pub feed: FeedTab,
    /// The Compose tab's history of sent messages (from the history file).
    pub history: Vec<crate::kafka::produce::OutgoingMessage>,
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
            clusters: Clusters::default(),
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
            clusters,
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
            connection: Connection::Connecting {
                address: cluster.address.clone(),
            },
            cluster,
            clusters,
            keymap,
            help_open: false,
            help_scroll: 0,
            toasts: Vec::new(),
            ticks: 0,
            size: (80, 24),
            should_quit: false,
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
        if let Some(topic) = ctx.open_tail {
            commands.extend(self.open_in_tail(&topic));
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

    /// Whether a text field has keyboard focus (then `q` and digits are typed).
    pub fn text_focus(&self) -> bool {
        match self.tab {
            Tab::Topics => self.topics.filter_editing || self.topics.dialog.is_some(),
            Tab::Tail => self.tail.text_focus(),
            Tab::Compose => self.compose.focus.is_some() || self.compose.history_open.is_some(),
            Tab::Feed => self.feed.rules.as_ref().is_some_and(|r| r.adding.is_some()),
        }
    }

    /// The keymap contexts in force, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.help_open {
            return vec![Context::Help];
        }
        if self.clusters.picker.is_some() {
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
            _ => {}
        }
        match self.tab {
            Tab::Topics if self.topics.focus == Focus::Details => {
                vec![Context::Details, Context::Topics, Context::Global]
            }
            Tab::Topics => vec![Context::Topics, Context::List, Context::Global],
            Tab::Tail if self.tail.detail.is_some() => vec![Context::Record, Context::Global],
            Tab::Tail if self.tail.topic.is_some() && self.tail.paused => vec![
                Context::TailPaused,
                Context::Tail,
                Context::List,
                Context::Global,
            ],
            Tab::Tail if self.tail.topic.is_some() => {
                vec![Context::Tail, Context::List, Context::Global]
            }
            Tab::Compose => vec![Context::Compose, Context::Global],
            Tab::Feed => vec![Context::Feed, Context::Global],
            Tab::Tail => vec![Context::Global],
        }
    }

    /// Rows in the current list's viewport at the current terminal size.
    fn list_rows(&self) -> usize {
        match self.tab {
            Tab::Tail => crate::tabs::tail::table_rows(self.size),
            _ => crate::tabs::topics::list_rows(self.size),
        }
    }

    /// Applies one event. Returns the commands for the worker.
    pub fn handle(&mut self, event: Event) -> Vec<Command> {
        let commands = self.handle_event(event);
        if self.should_quit {
            // Whatever was typed since the last (debounced) save is kept.
            self.flush_draft();
        }
        commands
    }

    fn handle_event(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Tick => self.on_tick(),
            Event::Key(key) => {
                self.dirty = true;
                self.toasts.retain(|t| !t.sticky);
                self.on_key(key)
            }
            Event::Paste(text) => {
                self.dirty = true;
                self.on_paste(&text);
                Vec::new()
            }
            Event::Resize(w, h) => {
                self.dirty = true;
                self.size = (w, h);
                let rows = self.list_rows();
                self.topics.scroll_into_view(rows);
                Vec::new()
            }
            Event::Kafka(event) => {
                self.dirty = true;
                self.on_kafka(event)
            }
            Event::Exported(result) => {
                self.dirty = true;
                match result {
                    Ok(message) => self.toast(Level::Info, message),
                    Err(message) => self.toast(Level::Error, message),
                }
                Vec::new()
            }
            Event::InputClosed(reason) => {
                tracing::error!("terminal input closed: {reason}");
                self.should_quit = true;
                Vec::new()
            }
            Event::DraftRead(text) => {
                self.dirty = true;
                self.on_draft_read(&text);
                Vec::new()
            }
        }
    }

    fn on_tick(&mut self) -> Vec<Command> {
        self.ticks += 1;
        let _ = self.update_compose(ComposeMsg::Tick);
        self.tail.tick();
        self.feed.tick();
        if self.tab == Tab::Feed && self.feed.running() {
            self.dirty = true;
        }
        if self.tab == Tab::Tail && self.tail.request.is_some() {
            // Rates and the sparkline move every tick.
            self.dirty = true;
        }
        let before = self.toasts.len();
        let now = self.ticks;
        self.toasts
            .retain(|t| t.sticky || now.saturating_sub(t.born) < t.lifetime());
        let spinning = self.topics.snapshot.is_loading()
            || self.topics.configs.is_loading()
            || matches!(self.connection, Connection::Connecting { .. })
            || self.topics.dialog.is_some();
        if spinning || before != self.toasts.len() {
            self.dirty = true;
        }
        // Configs are asked for on the tick, so scrolling fast sends at most 4 requests a
        // second, and only for the topic the cursor rests on.
        let mut commands = Vec::new();
        if self.connection.is_connected() {
            let wanted = self.topics.selected_topic().map(|t| t.name.clone());
            if wanted.is_some() && wanted != self.topics.configs_topic {
                let id = self.request_id();
                let topic = wanted.clone().unwrap_or_default();
                self.topics.configs = Loadable::Loading;
                self.topics.configs_topic = wanted;
                self.topics.configs_request = Some(id);
                self.dirty = true;
                commands.push(Command::DescribeConfigs { id, topic });
            }
        }
        commands
    }

    fn on_paste(&mut self, text: &str) {
        if self.tab == Tab::Compose {
            let _ = self.update_compose(ComposeMsg::Paste(text));
            return;
        }
        if self.tab == Tab::Tail {
            if let Some(form) = self.tail.options.as_mut() {
                form.fields[form.focus].insert_str(text);
            } else if self.tail.filter_editing {
                self.tail.filter_input.insert_str(text);
                self.tail.filter_typed();
            }
            return;
        }
        if self.tab != Tab::Topics {
            return;
        }
        match self.topics.dialog {
            Some(Dialog::Create) => self.topics.create.focused_mut().insert_str(text),
            Some(Dialog::Delete) => self.topics.delete.confirm.insert_str(text),
            None if self.topics.filter_editing => {
                self.topics.filter.insert_str(text);
                self.topics.recompute(None);
            }
            None => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.should_quit = true;
            return Vec::new();
        }
        if self.help_open {
            if let Some(action) = self.keymap.lookup(&[Context::Help], Key::from_event(&key)) {
                self.help_action(action);
            }
            return Vec::new();
        }
        if self.clusters.picker.is_some() {
            return self.switcher_key(&key);
        }
        let action = self.keymap.lookup(&self.contexts(), Key::from_event(&key));
        if self.tab == Tab::Feed && self.feed.takes_keys() {
            return self.update_feed(FeedMsg::Key { key: &key, action });
        }
        if self.tab == Tab::Compose
            && let Some(commands) = self.compose_key(&key)
        {
            return commands;
        }
        if self.tab == Tab::Tail && self.tail.takes_keys() {
            let known_partitions = self.tail_topic_partitions();
            return self.update_tail(TailMsg::Key {
                key: &key,
                action,
                known_partitions,
            });
        }
        if self.tab == Tab::Topics && self.topics.takes_keys() {
            return self.update_topics(topics::Msg::Key { key: &key, action });
        }
        match self.keymap.lookup(&self.contexts(), Key::from_event(&key)) {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    /// Performs a keymap action.
    pub fn apply(&mut self, action: Action) -> Vec<Command> {
        self.dirty = true;
        match action {
            Action::Quit | Action::ForceQuit => self.should_quit = true,
            Action::Help => {
                self.help_open = true;
                self.help_scroll = 0;
            }
            Action::SwitchCluster => self.open_switcher(),
            Action::NextTab => return self.switch_tab(self.tab.cycle(true)),
            Action::PrevTab => return self.switch_tab(self.tab.cycle(false)),
            Action::TabTopics => return self.switch_tab(Tab::Topics),
            Action::TabTail => return self.switch_tab(Tab::Tail),
            Action::TabCompose => return self.switch_tab(Tab::Compose),
            Action::TabFeed => return self.switch_tab(Tab::Feed),
            other => {
                return match self.tab {
                    Tab::Topics => self.update_topics(topics::Msg::Action(other)),
                    Tab::Tail => self.update_tail(TailMsg::Action(other)),
                    Tab::Compose => self.apply_compose(other),
                    Tab::Feed => self.update_feed(FeedMsg::Action(other)),
                };
            }
        }
        Vec::new()
    }

    fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        self.tab = tab;
        if tab == Tab::Compose {
            // Prefill the topic from the one last opened, and watch it.
            if self.compose.topic.is_empty()
                && let Some(topic) = &self.tail.topic
            {
                self.compose.topic =
                    crate::widgets::text_input::TextInput::with_value(topic.clone());
            }
            return self.update_compose(ComposeMsg::Shown);
        }
        if tab == Tab::Feed {
            return self.update_feed(FeedMsg::Shown);
        }
        Vec::new()
    }

    fn on_kafka(&mut self, event: KafkaEvent) -> Vec<Command> {
        if let KafkaEvent::Metadata { id, .. }
        | KafkaEvent::TopicCreated { id, .. }
        | KafkaEvent::TopicDeleted { id, .. }
        | KafkaEvent::Delivered { id, .. }
        | KafkaEvent::Rules { id, .. } = &event
        {
            // One-shot answers: the request is closed.
            self.owners.remove(id);
        }
        match event {
            // Only Compose sends and only the Feed tab asks for rules; each matches the
            // answer to what it is waiting for.
            KafkaEvent::Delivered { id, result } => return self.on_delivered(id, result),
            KafkaEvent::Rules { id, result } => {
                return self.update_feed(FeedMsg::Rules { id, result });
            }
            KafkaEvent::Feed { id, update } => {
                if self.owners.get(&id) == Some(&Tab::Feed) && self.feed.bridge == Some(id) {
                    return self.update_feed(FeedMsg::Feed(update));
                }
            }
            KafkaEvent::Tail { id, event } => {
                return match self.owners.get(&id) {
                    Some(Tab::Feed) => self.update_feed(FeedMsg::Readback(event)),
                    Some(Tab::Compose) => self.update_compose(ComposeMsg::Watch(event)),
                    Some(Tab::Tail) => self.update_tail(TailMsg::Event(event)),
                    // A tail that was replaced or stopped.
                    Some(Tab::Topics) | None => Vec::new(),
                };
            }
            KafkaEvent::Connection(connection) => {
                if let (Connection::Unreachable { .. }, true) =
                    (&connection, self.connection.is_connected())
                {
                    self.toast(Level::Error, "Lost the connection to the cluster");
                }
                if let (Connection::Connected { .. }, Connection::Unreachable { .. }) =
                    (&connection, &self.connection)
                {
                    self.toast(Level::Info, "Connected again");
                }
                self.connection = connection;
            }
            KafkaEvent::Metadata { result, .. } => match result {
                Ok(snapshot) => {
                    self.topics.apply_snapshot(snapshot);
                    let rows = self.list_rows();
                    self.topics.scroll_into_view(rows);
                }
                Err(reason) => {
                    if self.topics.snapshot.loaded().is_some() {
                        self.topics.refresh_error = Some(reason);
                    } else {
                        self.topics.snapshot = Loadable::Failed(reason);
                    }
                }
            },
            KafkaEvent::Configs { id, topic, result } => {
                // Latest wins: an answer for a topic the cursor has left is dropped.
                if self.topics.configs_request == Some(id)
                    && self.topics.configs_topic.as_deref() == Some(topic.as_str())
                {
                    self.topics.configs = match result {
                        Ok(entries) => Loadable::Loaded(entries),
                        Err(reason) => Loadable::Failed(reason),
                    };
                }
            }
            KafkaEvent::TopicCreated { id, name, result } => {
                return self.update_topics(topics::Msg::Created { id, name, result });
            }
            KafkaEvent::TopicDeleted { id, name, result } => {
                return self.update_topics(topics::Msg::Deleted { id, name, result });
            }
        }
        Vec::new()
    }

    /// The first commands: load the topic list. (And the first effect: read the Compose
    /// draft an earlier run left.)
    pub fn start(&mut self) -> Vec<Command> {
        self.effects.push(Effect::LoadDraft);
        let id = self.request_id();
        let mut commands = vec![Command::RefreshMetadata { id }];
        if let (Some(topic), None) = (self.tail.topic.clone(), self.tail.request) {
            commands.extend(self.open_in_tail(&topic));
        }
        if self.feed.source.is_some() {
            commands.extend(self.update_feed(FeedMsg::Start));
        }
        commands
    }
}
