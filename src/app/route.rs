//! Routing: each event to its owner (the tab it is for, by the keymap context in force or
//! by the request it answers), and the app's own reactions (ticks, tab switches, the
//! connection).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Level, Tab, TailMsg};
use crate::action::Action;
use crate::event::Event;
use crate::kafka::model::Connection;
use crate::kafka::{Command, KafkaEvent};
use crate::keymap::{Context, Key};
use crate::loadable::Loadable;
use crate::tabs::brokers::Msg as BrokersMsg;
use crate::tabs::compose::Msg as ComposeMsg;
use crate::tabs::feed::Msg as FeedMsg;
use crate::tabs::groups::Msg as GroupsMsg;
use crate::tabs::schemas::Msg as SchemasMsg;
use crate::tabs::topics::{self, Dialog};

impl App {
    /// Applies one event. Returns the commands for the worker.
    pub fn handle(&mut self, event: Event) -> Vec<Command> {
        let mut commands = self.handle_event(event);
        commands.extend(self.watermarks_change());
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
                self.on_paste(&text)
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
            || matches!(self.cluster.connection, Connection::Connecting { .. })
            || self.topics.dialog.is_some();
        if spinning || before != self.toasts.len() {
            self.dirty = true;
        }
        // Configs are asked for on the tick, so scrolling fast sends at most 4 requests a
        // second, and only for the topic the cursor rests on.
        // The Groups tab paces its own refreshes, and samples lag while hidden too.
        let mut commands = self.update_groups(GroupsMsg::Tick {
            shown: self.tab == Tab::Groups,
            connected: self.cluster.connection.is_connected(),
        });
        if self.tab == Tab::Groups
            && (self.groups.groups.is_loading()
                || self.groups.dialog.is_some()
                || self
                    .groups
                    .details
                    .as_ref()
                    .is_some_and(|d| d.data.is_loading()))
        {
            self.dirty = true;
        }
        commands.extend(self.update_brokers(BrokersMsg::Tick {
            shown: self.tab == Tab::Brokers,
            connected: self.cluster.connection.is_connected(),
        }));
        if self.tab == Tab::Brokers && self.brokers.brokers.is_loading() {
            self.dirty = true;
        }
        if self.tab == Tab::Schemas && self.schemas.is_loading() {
            self.dirty = true;
        }
        if self.cluster.connection.is_connected() {
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

    /// Pasted text goes into the focused field (in Compose it may ask for a subject's
    /// versions).
    fn on_paste(&mut self, text: &str) -> Vec<Command> {
        if self.tab == Tab::Compose {
            return self.update_compose(ComposeMsg::Paste(text));
        }
        if self.tab == Tab::Tail {
            if let Some(form) = self.tail.options.as_mut() {
                form.fields[form.focus].insert_str(text);
            } else if self.tail.filter_editing {
                self.tail.filter_input.insert_str(text);
                self.tail.filter_typed();
            }
            return Vec::new();
        }
        if self.tab == Tab::Groups {
            if let Some(input) = self.groups.focused_input() {
                input.insert_str(text);
            }
            if self.groups.filter_editing && self.groups.dialog.is_none() {
                self.groups.recompute(None);
            }
            return Vec::new();
        }
        if self.tab != Tab::Topics {
            return Vec::new();
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
        Vec::new()
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
        if self.cluster.profiles.picker.is_some() {
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
        if self.tab == Tab::Groups && self.groups.takes_keys() {
            return self.update_groups(GroupsMsg::Key { key: &key, action });
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
            Action::TabGroups => return self.switch_tab(Tab::Groups),
            Action::TabBrokers => return self.switch_tab(Tab::Brokers),
            Action::TabSchemas => return self.switch_tab(Tab::Schemas),
            other => {
                return match self.tab {
                    Tab::Topics => self.update_topics(topics::Msg::Action(other)),
                    Tab::Tail => self.update_tail(TailMsg::Action(other)),
                    Tab::Compose => self.apply_compose(other),
                    Tab::Feed => self.update_feed(FeedMsg::Action(other)),
                    Tab::Groups => self.update_groups(GroupsMsg::Action(other)),
                    Tab::Brokers => self.update_brokers(BrokersMsg::Action(other)),
                    Tab::Schemas => self.update_schemas(SchemasMsg::Action(other)),
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
        if tab == Tab::Groups {
            return self.update_groups(GroupsMsg::Shown);
        }
        if tab == Tab::Brokers {
            return self.update_brokers(BrokersMsg::Shown);
        }
        if tab == Tab::Schemas {
            return self.update_schemas(SchemasMsg::Shown);
        }
        Vec::new()
    }

    /// A one-shot answer to the tab that asked (none after a cluster switch: the owners
    /// were cleared).
    fn answer_one_shot(&mut self, id: crate::kafka::RequestId, event: KafkaEvent) -> Vec<Command> {
        match (self.owners.remove(&id), event) {
            (Some(Tab::Compose), KafkaEvent::SchemaLoaded { id, result }) => {
                self.update_compose(ComposeMsg::Schema { id, result })
            }
            (Some(Tab::Compose), KafkaEvent::Subjects { id, result }) => {
                let result = result.map(|list| list.subjects);
                self.update_compose(ComposeMsg::Subjects { id, result })
            }
            (Some(Tab::Compose), KafkaEvent::Subject { id, result }) => {
                let result = result.map(|detail| detail.versions);
                self.update_compose(ComposeMsg::Versions { id, result })
            }
            (Some(Tab::Schemas), event) => self.update_schemas(SchemasMsg::Answer(event)),
            (Some(Tab::Brokers), event) => self.update_brokers(BrokersMsg::Answer(event)),
            (Some(Tab::Groups), event) => self.update_groups(GroupsMsg::Answer(event)),
            _ => Vec::new(),
        }
    }

    fn on_kafka(&mut self, event: KafkaEvent) -> Vec<Command> {
        // One-shot answers of the Brokers, Schemas and Groups tabs and of Compose's schema
        // go to the tab that asked (none after a cluster switch: the owners were cleared).
        if let Some(id) = one_shot_answer(&event) {
            return self.answer_one_shot(id, event);
        }
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
                    Some(Tab::Topics | Tab::Groups | Tab::Brokers | Tab::Schemas) | None => {
                        Vec::new()
                    }
                };
            }
            KafkaEvent::Connection(connection) => {
                if let (Connection::Unreachable { .. }, true) =
                    (&connection, self.cluster.connection.is_connected())
                {
                    self.toast(Level::Error, "Lost the connection to the cluster");
                }
                if let (Connection::Connected { .. }, Connection::Unreachable { .. }) =
                    (&connection, &self.cluster.connection)
                {
                    self.toast(Level::Info, "Connected again");
                }
                self.cluster.connection = connection;
            }
            KafkaEvent::Metadata { result, .. } => match result {
                Ok(snapshot) => {
                    self.topics.apply_snapshot(snapshot);
                    let rows = self.list_rows();
                    self.topics.scroll_into_view(rows);
                }
                Err(reason) => {
                    if self.topics.snapshot.loaded().is_some() {
                        self.topics.counts_unconfirmed();
                        self.topics.refresh_error = Some(reason);
                    } else {
                        self.topics.snapshot = Loadable::Failed(reason);
                    }
                }
            },
            KafkaEvent::Watermarks { pass, ends } => self.topics.apply_watermarks(pass, &ends),
            KafkaEvent::WatermarksDone { pass, .. } => self.topics.watermarks_done(pass),
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
            // Taken above.
            KafkaEvent::Brokers { .. }
            | KafkaEvent::SchemaLoaded { .. }
            | KafkaEvent::Subjects { .. }
            | KafkaEvent::Subject { .. }
            | KafkaEvent::Groups { .. }
            | KafkaEvent::GroupDetail { .. }
            | KafkaEvent::ResetPlanned { .. }
            | KafkaEvent::ResetApplied { .. }
            | KafkaEvent::GroupDeleted { .. }
            | KafkaEvent::GroupOffsetsDeleted { .. } => {}
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
        commands.extend(self.watermarks_change());
        commands
    }

    /// Tells the worker when the Topics tab came or went, or its rows on screen changed:
    /// every partition's watermarks are fetched only while it shows them, those on
    /// screen first.
    fn watermarks_change(&mut self) -> Option<Command> {
        let wanted = self.tab == Tab::Topics;
        let was = std::mem::replace(&mut self.shown, self.tab) == Tab::Topics;
        let first = if wanted {
            self.topics_on_screen()
        } else {
            Vec::new()
        };
        if wanted == was && first == self.first_sent {
            return None;
        }
        self.first_sent.clone_from(&first);
        Some(Command::Watermarks { wanted, first })
    }

    /// The topics the Topics tab's list shows (the selected one among them).
    fn topics_on_screen(&self) -> Vec<String> {
        let tab = &self.topics;
        let rows = crate::tabs::topics::list_rows(self.size);
        let offset = tab.first_row(rows);
        (offset..offset + rows)
            .filter_map(|row| tab.visible_topic(row))
            .map(|t| t.name.clone())
            .collect()
    }
}

/// The request id of a consumer-group answer.
fn group_answer_id(event: &KafkaEvent) -> Option<crate::kafka::RequestId> {
    match event {
        KafkaEvent::Groups { id, .. }
        | KafkaEvent::GroupDetail { id, .. }
        | KafkaEvent::ResetPlanned { id, .. }
        | KafkaEvent::ResetApplied { id, .. }
        | KafkaEvent::GroupDeleted { id, .. }
        | KafkaEvent::GroupOffsetsDeleted { id, .. } => Some(*id),
        _ => None,
    }
}

/// The request a one-shot answer closes: the Brokers, Schemas and Groups tabs' and
/// Compose's schema requests (the tab that asked gets it).
fn one_shot_answer(event: &KafkaEvent) -> Option<crate::kafka::RequestId> {
    match event {
        KafkaEvent::Subjects { id, .. }
        | KafkaEvent::Subject { id, .. }
        | KafkaEvent::Brokers { id, .. }
        | KafkaEvent::SchemaLoaded { id, .. } => Some(*id),
        _ => group_answer_id(event),
    }
}
