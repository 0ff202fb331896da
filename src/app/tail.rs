//! Opening a topic in the Tail tab (from the Topics tab, `--topic`, or a cluster switch)
//! and the effects queue the run loop takes.

use super::{App, Effect, Tab};
use crate::kafka::Command;
use crate::tabs::OpenTail;
use crate::tabs::tail::Msg;

impl App {
    /// Opens the Tail tab on `topic`, replacing any running tail.
    pub fn open_in_tail(&mut self, topic: &str) -> Vec<Command> {
        self.open_tail(&OpenTail::topic(topic))
    }

    /// Opens the Tail tab as `open` says: on its topic, from the Tail tab's start
    /// position or, reading as a group, from that group's committed offsets (without
    /// joining it: the Tail tab's own `--group`, which would commit, is not used then).
    pub fn open_tail(&mut self, open: &OpenTail) -> Vec<Command> {
        self.tab = Tab::Tail;
        let mut spec = self.tail.spec_for(&open.topic);
        if open.read_as.is_some() {
            spec.group = None;
        }
        spec.read_as.clone_from(&open.read_as);
        let mut ctx = self.ctx(Tab::Tail);
        let commands = self.tail.restart(spec, &mut ctx);
        self.absorb(ctx, commands)
    }

    /// The Tail tab's update, with what it asked for carried out.
    pub(super) fn update_tail(&mut self, msg: Msg<'_>) -> Vec<Command> {
        let mut ctx = self.ctx(Tab::Tail);
        let commands = self.tail.update(msg, &mut ctx);
        self.absorb(ctx, commands)
    }

    /// The partitions the cluster knows for the tail's topic.
    pub(super) fn tail_topic_partitions(&self) -> Option<Vec<i32>> {
        let topic = self.tail.topic.as_deref()?;
        self.topics
            .topics()
            .iter()
            .find(|t| t.name == topic && t.error.is_none())
            .map(|t| t.partitions.iter().map(|p| p.id).collect())
    }

    /// Takes the effects `handle` queued.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}
