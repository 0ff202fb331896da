//! The Groups tab's updates, with what they asked for carried out, and showing the groups
//! that consume a topic (asked for from the Topics tab).

use super::{App, Tab};
use crate::kafka::Command;
use crate::tabs::groups::Msg;

impl App {
    pub(super) fn update_groups(&mut self, msg: Msg<'_>) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Groups);
        let commands = self.groups.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    pub(super) fn update_brokers(&mut self, msg: crate::tabs::brokers::Msg) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Brokers);
        let commands = self.brokers.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    pub(super) fn update_schemas(&mut self, msg: crate::tabs::schemas::Msg) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Schemas);
        let commands = self.schemas.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    /// Shows the Groups tab with only the groups that consume `topic`.
    pub(super) fn show_groups_of(&mut self, topic: String) -> Vec<Command> {
        let mut commands = self.update_groups(Msg::ConsumersOf(topic));
        self.tab = Tab::Groups;
        commands.extend(self.update_groups(Msg::Shown));
        commands
    }
}
