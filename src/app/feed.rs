//! The Feed tab's updates, with what they asked for carried out.

use super::{App, Tab};
use crate::kafka::Command;
use crate::tabs::feed::Msg;

impl App {
    pub(super) fn update_feed(&mut self, msg: Msg<'_>) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Feed);
        let commands = self.feed.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }
}
