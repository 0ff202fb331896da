//! The Compose tab's updates, with what they asked for carried out.

use super::{App, Tab};
use crate::action::Action;
use crate::kafka::Command;
use crate::tabs::compose::Msg;

impl App {
    pub(super) fn update_compose(&mut self, msg: Msg<'_>) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Compose);
        let commands = self.compose.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    /// A key while Compose is shown: `None` when the keymap should have it.
    pub(super) fn compose_key(&mut self, key: &crossterm::event::KeyEvent) -> Option<Vec<Command>> {
        let key_of = crate::keymap::Key::from_event(key);
        let discard = self
            .keymap
            .lookup(&[crate::keymap::Context::Compose], key_of);
        self.compose.key_seen(discard);
        if !self.compose.takes_keys() {
            return None;
        }
        let action = self.keymap.lookup(&self.contexts(), key_of);
        let mut ctx = self.ctx(Tab::Compose);
        let msg = Msg::Key {
            key,
            action,
            snapshot: self.topics.snapshot.loaded(),
        };
        let commands = self.compose.update(msg, &mut ctx);
        Some(self.absorb(ctx, commands))
    }

    /// A keymap action on the Compose tab.
    pub(super) fn apply_compose(&mut self, action: Action) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Compose);
        let msg = Msg::Action {
            action,
            snapshot: self.topics.snapshot.loaded(),
        };
        let commands = self.compose.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    /// The draft file an earlier run left.
    pub(super) fn on_draft_read(&mut self, text: &str) {
        let mut ctx = self.ctx(Tab::Compose);
        let msg = Msg::DraftRead { text, tz: &self.tz };
        let commands = self.compose.update(msg, &mut ctx);
        let _ = self.absorb(ctx, commands);
    }

    /// A delivery report for a message sent from Compose.
    pub(super) fn on_delivered(
        &mut self,
        id: crate::kafka::RequestId,
        result: Result<
            crate::kafka::produce::DeliveryReport,
            crate::kafka::produce::ProduceFailure,
        >,
    ) -> Vec<Command> {
        let shown = self.tab == Tab::Compose;
        self.update_compose(Msg::Delivered { id, result, shown })
    }

    /// Writes the Compose draft now if it changed (on quit).
    pub fn flush_draft(&mut self) {
        let _ = self.update_compose(Msg::Flush);
    }
}
