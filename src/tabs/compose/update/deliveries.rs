//! Sending and what became of it: Ctrl-S, the watch tail on the composer's topic, and
//! the delivery reports.

use std::time::Instant;

use crate::effects::{Effect, Level};
use crate::kafka::model::ClusterSnapshot;
use crate::kafka::position::{StartPosition, now_ms};
use crate::kafka::produce::{DeliveryReport, ProduceFailure};
use crate::kafka::tail::{TailEvent, TailSpec};
use crate::kafka::{Command, RequestId};
use crate::tabs::Ctx;
use crate::tabs::compose::{ComposeTab, history};

impl ComposeTab {
    /// Ctrl-S: validate, send, and keep the editor as it is.
    pub(super) fn send(
        &mut self,
        snapshot: Option<&ClusterSnapshot>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        if let Some(reason) = ctx.read_only.clone() {
            self.problem = Some(format!("Not sent: {reason}"));
            return Vec::new();
        }
        // A schema field typed into and not left yet: load it now (sent once it is).
        let mut commands = self.ensure_schemas(ctx);
        match self.prepare(snapshot) {
            Ok(message) => {
                commands.extend(self.ensure_watch(ctx));
                let id = ctx.request_id();
                let entry = history::Entry {
                    message: message.clone(),
                    typed: self.typed_for_history(),
                };
                self.sent(id, entry, Instant::now(), now_ms());
                // Sent: not a draft any more (the editor keeps it for sending again).
                self.draft.sent = Some(self.draft_form());
                self.draft.restored_ms = None;
                self.draft.dirty = true;
                self.flush_draft(ctx);
                commands.push(Command::Produce { id, message });
                commands
            }
            Err(problem) => {
                self.problem = Some(problem);
                commands
            }
        }
    }

    /// Starts the watch tail on the composer's topic when it changed. It starts two
    /// seconds back, so a message sent while it is starting is still seen.
    pub(super) fn ensure_watch(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        let topic = self.topic.value().trim().to_string();
        if topic.is_empty() || self.watch.topic.as_deref() == Some(topic.as_str()) {
            return Vec::new();
        }
        let mut commands = Vec::new();
        if let Some(old) = self.watch.request.take() {
            commands.push(Command::StopTail { id: old });
        }
        let id = ctx.request_id();
        let watch = &mut self.watch;
        watch.request = Some(id);
        watch.topic = Some(topic.clone());
        watch.records.clear();
        watch.failed = None;
        let spec = TailSpec {
            start: StartPosition::Time(now_ms() - 2_000),
            ..TailSpec::new(topic)
        };
        commands.push(Command::StartTail { id, spec });
        commands
    }

    /// A tail event for the watch beside the editor.
    pub(super) fn on_watch(&mut self, event: TailEvent) {
        match event {
            TailEvent::Records(records) => self.watched(records, Instant::now()),
            TailEvent::Failed(reason) => self.watch.failed = Some(reason),
            TailEvent::Started { .. }
            | TailEvent::Range(_)
            | TailEvent::Progress { .. }
            | TailEvent::Lag(_)
            | TailEvent::Warning(_)
            | TailEvent::ReachedEnd => {}
        }
    }

    pub(super) fn on_delivered(
        &mut self,
        id: RequestId,
        result: Result<DeliveryReport, ProduceFailure>,
        shown: bool,
        ctx: &mut Ctx,
    ) {
        if result.is_err() && self.reports.iter().any(|r| r.id == id) {
            // Not delivered: what the editor holds is a draft again, so it is kept.
            self.draft.sent = None;
            self.draft.dirty = true;
        }
        if let Err(failure) = &result
            && !shown
        {
            ctx.toast(
                Level::Error,
                format!("Send failed: {} ({})", failure.message, failure.code),
            );
        }
        if self.delivered(id, result, Instant::now()) {
            ctx.effects
                .push(Effect::SaveHistory(history::serialize(&self.history)));
        }
    }
}
