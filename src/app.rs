//! The application state and how it changes. `App::handle` is the only place state
//! changes: an event in, the state updated, and the commands for the worker out. The run
//! loop drains the event queue, then draws at most ~60 times a second. No drawing here.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::action::Action;
use crate::event::{Event, EventQueue};
use crate::kafka::model::Connection;
use crate::kafka::{Command, KafkaEvent, RequestId};
use crate::keymap::{Context, Key, Keymap};
use crate::loadable::Loadable;
use crate::ui;
use crate::ui::tabs::tail::TailTab;
use crate::ui::tabs::topics::{CreateForm, DeleteForm, Dialog, Focus, FormStatus, TopicsTab};

/// The longest the UI waits between frames when something changed.
pub const FRAME: Duration = Duration::from_millis(16);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Topics,
    Tail,
    Compose,
    Feed,
}

impl Tab {
    pub const ALL: [Self; 4] = [Self::Topics, Self::Tail, Self::Compose, Self::Feed];

    pub fn title(self) -> &'static str {
        match self {
            Self::Topics => "Topics",
            Self::Tail => "Tail",
            Self::Compose => "Compose",
            Self::Feed => "Feed",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    fn cycle(self, forward: bool) -> Self {
        let n = Self::ALL.len();
        let i = self.index();
        Self::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message that shows for a while, then goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub born: u64,
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
    pub connection: Connection,
    pub cluster: ClusterLabel,
    pub keymap: Keymap,
    pub help_open: bool,
    pub toasts: Vec<Toast>,
    /// Ticks since start: drives spinners and toast expiry.
    pub ticks: u64,
    /// Terminal size, for scrolling math in `handle`.
    pub size: (u16, u16),
    pub should_quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    next_request: RequestId,
}

impl App {
    pub fn new(cluster: ClusterLabel, keymap: Keymap) -> Self {
        Self {
            tab: Tab::Topics,
            topics: TopicsTab::new(),
            tail: TailTab::default(),
            connection: Connection::Connecting {
                address: cluster.address.clone(),
            },
            cluster,
            keymap,
            help_open: false,
            toasts: Vec::new(),
            ticks: 0,
            size: (80, 24),
            should_quit: false,
            dirty: true,
            next_request: 1,
        }
    }

    /// Opens the Tail tab on `topic` (`--topic`).
    pub fn open_in_tail(&mut self, topic: &str) {
        self.tail.topic = Some(topic.to_string());
        self.tab = Tab::Tail;
    }

    fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        self.toasts.push(Toast {
            level,
            text: text.into(),
            born: self.ticks,
        });
        if self.toasts.len() > 5 {
            self.toasts.remove(0);
        }
    }

    /// Whether a text field has keyboard focus (then `q` and digits are typed).
    pub fn text_focus(&self) -> bool {
        self.tab == Tab::Topics && (self.topics.filter_editing || self.topics.dialog.is_some())
    }

    /// The keymap contexts in force, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        match self.tab {
            Tab::Topics if self.topics.focus == Focus::Details => {
                vec![Context::Details, Context::Topics, Context::Global]
            }
            Tab::Topics => vec![Context::Topics, Context::List, Context::Global],
            Tab::Tail | Tab::Compose | Tab::Feed => vec![Context::Global],
        }
    }

    /// Rows in the topic list's viewport at the current terminal size.
    fn list_rows(&self) -> usize {
        ui::tabs::topics::list_rows(self.size)
    }

    /// Applies one event. Returns the commands for the worker.
    pub fn handle(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Tick => self.on_tick(),
            Event::Key(key) => {
                self.dirty = true;
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
            Event::InputClosed(reason) => {
                tracing::error!("terminal input closed: {reason}");
                self.should_quit = true;
                Vec::new()
            }
        }
    }

    fn on_tick(&mut self) -> Vec<Command> {
        self.ticks += 1;
        let before = self.toasts.len();
        let now = self.ticks;
        self.toasts
            .retain(|t| now.saturating_sub(t.born) < t.lifetime());
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
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('?' | 'q') | KeyCode::Enter
            ) {
                self.help_open = false;
            }
            return Vec::new();
        }
        if self.tab == Tab::Topics {
            if let Some(dialog) = self.topics.dialog {
                return self.dialog_key(dialog, &key);
            }
            if self.topics.filter_editing {
                self.filter_key(&key);
                return Vec::new();
            }
        }
        match self.keymap.lookup(&self.contexts(), Key::from_event(&key)) {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    fn filter_key(&mut self, key: &KeyEvent) {
        let tab = &mut self.topics;
        match key.code {
            KeyCode::Enter => tab.filter_editing = false,
            KeyCode::Esc => {
                tab.filter_editing = false;
                tab.filter.clear();
                tab.recompute(None);
            }
            KeyCode::Up | KeyCode::Down => {
                tab.move_by(if key.code == KeyCode::Up { -1 } else { 1 });
            }
            _ => {
                if tab.filter.handle_key(key) {
                    tab.recompute(None);
                }
            }
        }
        let rows = self.list_rows();
        self.topics.scroll_into_view(rows);
    }

    fn dialog_key(&mut self, dialog: Dialog, key: &KeyEvent) -> Vec<Command> {
        let sending = matches!(
            (
                dialog,
                &self.topics.create.status,
                &self.topics.delete.status
            ),
            (Dialog::Create, FormStatus::Sending(_), _)
                | (Dialog::Delete, _, FormStatus::Sending(_))
        );
        if key.code == KeyCode::Esc {
            // The form keeps what was typed; `n` brings it back.
            self.topics.dialog = None;
            return Vec::new();
        }
        if sending {
            return Vec::new();
        }
        match dialog {
            Dialog::Create => {
                let form = &mut self.topics.create;
                match key.code {
                    KeyCode::Tab | KeyCode::Down => form.focus_next(true),
                    KeyCode::BackTab | KeyCode::Up => form.focus_next(false),
                    KeyCode::Enter => match form.validate() {
                        Ok(spec) => {
                            let id = self.request_id();
                            self.topics.create.status = FormStatus::Sending(id);
                            return vec![Command::CreateTopic { id, spec }];
                        }
                        Err(problem) => form.status = FormStatus::Invalid(problem),
                    },
                    _ => {
                        if form.focused_mut().handle_key(key) {
                            form.status = FormStatus::Editing;
                        }
                    }
                }
            }
            Dialog::Delete => {
                if key.code == KeyCode::Enter && self.topics.delete.confirmed() {
                    let id = self.request_id();
                    let form = &mut self.topics.delete;
                    form.status = FormStatus::Sending(id);
                    return vec![Command::DeleteTopic {
                        id,
                        name: form.topic.clone(),
                    }];
                }
                let form = &mut self.topics.delete;
                if key.code == KeyCode::Enter {
                    form.status = FormStatus::Invalid(format!(
                        "Type the topic's name exactly ({}) to confirm.",
                        crate::text::escape_control(&form.topic)
                    ));
                } else if form.confirm.handle_key(key) {
                    form.status = FormStatus::Editing;
                }
            }
        }
        Vec::new()
    }

    /// Performs a keymap action.
    pub fn apply(&mut self, action: Action) -> Vec<Command> {
        self.dirty = true;
        let page = isize::try_from(self.list_rows().max(1)).unwrap_or(isize::MAX);
        match action {
            Action::Quit | Action::ForceQuit => self.should_quit = true,
            Action::Help => self.help_open = true,
            Action::NextTab => self.tab = self.tab.cycle(true),
            Action::PrevTab => self.tab = self.tab.cycle(false),
            Action::TabTopics => self.tab = Tab::Topics,
            Action::TabTail => self.tab = Tab::Tail,
            Action::TabCompose => self.tab = Tab::Compose,
            Action::TabFeed => self.tab = Tab::Feed,
            Action::Up => self.topics.move_by(-1),
            Action::Down => self.topics.move_by(1),
            Action::PageUp => self.topics.move_by(-page),
            Action::PageDown => self.topics.move_by(page),
            Action::Top => self.topics.move_to_end(false),
            Action::Bottom => self.topics.move_to_end(true),
            Action::Filter => self.topics.filter_editing = true,
            Action::ClearFilter => {
                self.topics.filter.clear();
                self.topics.recompute(None);
            }
            Action::Refresh => {
                let id = self.request_id();
                return vec![Command::RefreshMetadata { id }];
            }
            Action::OpenInTail => {
                if let Some(name) = self.topics.selected_topic().map(|t| t.name.clone()) {
                    self.toast(
                        Level::Info,
                        format!("Tail: {}", crate::text::escape_control(&name)),
                    );
                    self.open_in_tail(&name);
                }
            }
            Action::ToggleInternal => {
                self.topics.show_internal = !self.topics.show_internal;
                self.topics.recompute(None);
            }
            Action::SortNext => {
                self.topics.sort = self.topics.sort.next();
                self.topics.recompute(None);
            }
            Action::SortReverse => {
                self.topics.descending = !self.topics.descending;
                self.topics.recompute(None);
            }
            Action::CreateTopic => {
                if !matches!(self.topics.create.status, FormStatus::Sending(_)) {
                    self.topics.create.status = FormStatus::Editing;
                }
                self.topics.dialog = Some(Dialog::Create);
            }
            Action::DeleteTopic => {
                if let Some(name) = self.topics.selected_topic().map(|t| t.name.clone()) {
                    if self.topics.delete.topic != name {
                        self.topics.delete = DeleteForm::for_topic(&name);
                    }
                    self.topics.dialog = Some(Dialog::Delete);
                }
            }
            Action::FocusDetails => {
                if self.topics.selected_topic().is_some() {
                    self.topics.focus = Focus::Details;
                }
            }
            Action::FocusList => self.topics.focus = Focus::List,
        }
        let rows = self.list_rows();
        self.topics.scroll_into_view(rows);
        Vec::new()
    }

    fn on_kafka(&mut self, event: KafkaEvent) -> Vec<Command> {
        match event {
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
                if self.topics.create.status != FormStatus::Sending(id) {
                    return Vec::new();
                }
                match result {
                    Ok(()) => {
                        self.toast(
                            Level::Info,
                            format!("Created topic {}", crate::text::escape_control(&name)),
                        );
                        self.topics.create = CreateForm::default();
                        if self.topics.dialog == Some(Dialog::Create) {
                            self.topics.dialog = None;
                        }
                        self.topics.select_when_seen = Some(name);
                        let id = self.request_id();
                        return vec![Command::RefreshMetadata { id }];
                    }
                    Err(error) => {
                        if self.topics.dialog.is_none() {
                            self.toast(
                                Level::Error,
                                format!("Create {name} refused: {}", error.code),
                            );
                        }
                        self.topics.create.status = FormStatus::Refused(error);
                    }
                }
            }
            KafkaEvent::TopicDeleted { id, name, result } => {
                if self.topics.delete.status != FormStatus::Sending(id) {
                    return Vec::new();
                }
                match result {
                    Ok(()) => {
                        self.toast(
                            Level::Info,
                            format!("Deleted topic {}", crate::text::escape_control(&name)),
                        );
                        self.topics.delete = DeleteForm::default();
                        if self.topics.dialog == Some(Dialog::Delete) {
                            self.topics.dialog = None;
                        }
                        let id = self.request_id();
                        return vec![Command::RefreshMetadata { id }];
                    }
                    Err(error) => {
                        if self.topics.dialog.is_none() {
                            self.toast(
                                Level::Error,
                                format!("Delete {name} refused: {}", error.code),
                            );
                        }
                        self.topics.delete.status = FormStatus::Refused(error);
                    }
                }
            }
        }
        Vec::new()
    }

    /// The first commands: load the topic list.
    pub fn start(&mut self) -> Vec<Command> {
        let id = self.request_id();
        vec![Command::RefreshMetadata { id }]
    }
}

/// Runs the interactive loop until the user quits. The caller restores the terminal.
pub async fn run(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    events: &mut EventQueue,
    commands: &mpsc::Sender<Command>,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    send_all(commands, app.start(), app);
    let mut last_frame: Option<Instant> = None;
    while !app.should_quit {
        if app.dirty {
            let due = last_frame.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
            if due.is_zero() {
                terminal.draw(|frame| ui::render(app, frame))?;
                app.dirty = false;
                last_frame = Some(Instant::now());
            }
        }
        // Wait for the next event; when a frame is owed, only until it is due.
        let first = if app.dirty {
            let due = last_frame.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
            match tokio::time::timeout(due, events.next()).await {
                Ok(event) => event,
                Err(_) => continue,
            }
        } else {
            events.next().await
        };
        let Some(first) = first else { break };
        let produced = app.handle(first);
        send_all(commands, produced, app);
        // Drain whatever else is already queued before drawing.
        let mut drained = 0;
        while drained < 4096 {
            let Some(event) = events.try_next() else {
                break;
            };
            let produced = app.handle(event);
            send_all(commands, produced, app);
            drained += 1;
        }
    }
    let _ = commands.try_send(Command::Shutdown);
    Ok(())
}

fn send_all(commands: &mpsc::Sender<Command>, batch: Vec<Command>, app: &mut App) {
    for command in batch {
        if let Err(error) = commands.try_send(command) {
            app.toast(
                Level::Warn,
                format!("The Kafka worker is busy; request dropped ({error})"),
            );
        }
    }
}
