//! The worker's answers to the Groups tab: listings and details (latest wins, paced),
//! reset plans and what the writes did.

use super::dialog::{Dialog, Status};
use super::{GroupsTab, list_rows};
use crate::effects::Level;
use crate::kafka::groups::{GroupDetail, ResetPlan};
use crate::kafka::{Command, KafkaEvent, RequestId};
use crate::loadable::Loadable;
use crate::tabs::Ctx;
use crate::text::escape_control;

impl GroupsTab {
    pub(super) fn answer(&mut self, event: KafkaEvent, ctx: &mut Ctx) -> Vec<Command> {
        match event {
            KafkaEvent::Groups { id, result } => {
                let took = result.as_ref().ok().map(|s| s.took_ms);
                if !self.listing.answered(id, ctx.ticks, took) {
                    return Vec::new();
                }
                match result {
                    Ok(snapshot) => {
                        self.apply_snapshot(snapshot, ctx.ticks);
                        self.scroll_into_view(list_rows(ctx.size, self.details.is_some()));
                    }
                    Err(reason) if self.groups.loaded().is_some() => {
                        self.refresh_error = Some(reason);
                    }
                    Err(reason) => self.groups = Loadable::Failed(reason),
                }
            }
            KafkaEvent::GroupDetail { id, group, result } => {
                self.on_detail(id, &group, result, ctx.ticks);
            }
            KafkaEvent::ResetPlanned { id, group, result } => {
                self.on_planned(id, &group, result);
            }
            KafkaEvent::ResetApplied { id, group, result } => {
                let said = result.map(|moved| {
                    format!(
                        "Reset group {}: {moved} partition{} moved",
                        escape_control(&group),
                        if moved == 1 { "" } else { "s" }
                    )
                });
                return self.written(id, said, ctx);
            }
            KafkaEvent::GroupDeleted { id, group, result } => {
                let said = result.map(|()| format!("Deleted group {}", escape_control(&group)));
                if said.is_ok() && self.details.as_ref().is_some_and(|d| d.group == group) {
                    self.details = None;
                }
                return self.written(id, said, ctx);
            }
            KafkaEvent::GroupOffsetsDeleted {
                id,
                group,
                topic,
                result,
            } => {
                let said = result.map(|n| {
                    format!(
                        "Deleted group {}'s offsets for {} ({n} partition{})",
                        escape_control(&group),
                        escape_control(&topic),
                        if n == 1 { "" } else { "s" }
                    )
                });
                return self.written(id, said, ctx);
            }
            _ => {}
        }
        Vec::new()
    }

    /// The open group's details: only the answer to the request in flight for that
    /// group counts (an older one, or one for a group since closed, is dropped).
    fn on_detail(
        &mut self,
        id: RequestId,
        group: &str,
        result: Result<Box<GroupDetail>, String>,
        now: u64,
    ) {
        let Some(details) = self.details.as_mut() else {
            return;
        };
        if details.group != group || !details.pace.answered(id, now, None) {
            return;
        }
        match result {
            Ok(detail) => {
                // The cursor stays on its partition when the rows change (a topic
                // added to or gone from the group moves the others).
                let kept = details.detail().and_then(|d| {
                    d.partitions
                        .get(details.selected)
                        .map(|p| (p.topic.clone(), p.partition))
                });
                let rows = detail.partitions.len();
                details.selected = kept
                    .and_then(|(topic, partition)| {
                        detail
                            .partitions
                            .iter()
                            .position(|p| p.topic == topic && p.partition == partition)
                    })
                    .unwrap_or_else(|| details.selected.min(rows.saturating_sub(1)));
                details.data = Loadable::Loaded(detail);
                details.refresh_error = None;
            }
            Err(reason) if details.data.loaded().is_some() => {
                details.refresh_error = Some(reason);
            }
            Err(reason) => details.data = Loadable::Failed(reason),
        }
    }

    /// A reset's preview, or why the cluster refused to plan it (the form keeps what
    /// was typed and shows the reason).
    fn on_planned(&mut self, id: RequestId, group: &str, result: Result<Box<ResetPlan>, String>) {
        let Some(Dialog::Reset(reset)) = self.dialog.as_mut() else {
            return;
        };
        if reset.status != Status::Sending(id) || reset.group != group || reset.preview.is_some() {
            return;
        }
        match result {
            Ok(plan) => {
                reset.preview = Some(plan);
                reset.confirm.clear();
                reset.status = Status::Editing;
            }
            Err(reason) => reset.status = Status::Refused(reason),
        }
    }

    /// What a write (apply, delete) did: the dialog that sent it closes and a toast says
    /// so, or it shows the refusal; with the dialog gone, a toast says either. The list
    /// (and the open group) are asked for again at once.
    fn written(
        &mut self,
        id: RequestId,
        said: Result<String, String>,
        ctx: &mut Ctx,
    ) -> Vec<Command> {
        let in_dialog = match self.dialog.as_mut() {
            Some(Dialog::Reset(reset)) if reset.status == Status::Sending(id) => {
                Some(&mut reset.status)
            }
            Some(Dialog::Delete(delete)) if delete.status == Status::Sending(id) => {
                Some(&mut delete.status)
            }
            _ => None,
        };
        match (said, in_dialog) {
            (Ok(said), in_dialog) => {
                if in_dialog.is_some() {
                    // (A reset form kept for another group stays kept.)
                    self.dialog = None;
                }
                ctx.toast(Level::Info, said);
                self.refresh_now(ctx)
            }
            (Err(reason), Some(status)) => {
                *status = Status::Refused(reason);
                Vec::new()
            }
            (Err(reason), None) => {
                ctx.toast(Level::Error, reason);
                Vec::new()
            }
        }
    }

    /// After a write: ask for the list and the open group now, or as soon as the
    /// requests in flight are answered.
    pub(super) fn refresh_now(&mut self, ctx: &mut Ctx) -> Vec<Command> {
        self.listing.hurry();
        if let Some(details) = self.details.as_mut() {
            details.pace.hurry();
        }
        let mut commands = Vec::new();
        if self.listing.idle(ctx.ticks) {
            commands.push(self.list(ctx));
        }
        if self
            .details
            .as_ref()
            .is_some_and(|d| d.pace.idle(ctx.ticks))
        {
            commands.push(self.describe(ctx));
        }
        commands
    }
}
