//! Sends and what became of them: the delivery reports, and the watch tail beside the
//! editor that says when a sent message is seen in its topic.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{ComposeTab, history};
use crate::kafka::RequestId;
use crate::kafka::model::Record;
use crate::kafka::produce::{DeliveryReport, OutgoingMessage, ProduceFailure};

/// Reports kept in the list.
const REPORTS: usize = 200;
/// Recently seen (partition, offset) pairs in the watch tail, for matching late reports.
const SEEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Delivered(DeliveryReport),
    Failed(ProduceFailure),
}

/// One send and what became of it.
#[derive(Debug, Clone)]
pub struct SendReport {
    pub id: RequestId,
    pub sent_at: Instant,
    /// Wall-clock send time (ms since the epoch), for display.
    pub sent_ms: i64,
    pub message: OutgoingMessage,
    /// What was typed with a schema, for the history.
    pub typed: history::Typed,
    pub outcome: Outcome,
    /// From send to visible in the watch tail.
    pub seen_after: Option<Duration>,
}

/// The live tail beside the editor (the Tail tab's machinery, small).
#[derive(Debug, Default)]
pub struct Watch {
    pub request: Option<RequestId>,
    pub topic: Option<String>,
    pub records: VecDeque<Record>,
    pub failed: Option<String>,
    seen: HashMap<(i32, i64), Instant>,
    seen_order: VecDeque<(i32, i64)>,
}

impl Watch {
    pub const KEEP: usize = 200;
}

impl ComposeTab {
    /// Records a send; the editor keeps its content, and an armed tombstone is spent.
    pub fn sent(&mut self, id: RequestId, entry: history::Entry, now: Instant, now_ms: i64) {
        self.problem = None;
        self.tombstone = false;
        self.reports.push_front(SendReport {
            id,
            sent_at: now,
            sent_ms: now_ms,
            message: entry.message,
            typed: entry.typed,
            outcome: Outcome::Pending,
            seen_after: None,
        });
        self.reports.truncate(REPORTS);
    }

    /// Applies a delivery report; a success is remembered in the history.
    /// Returns whether the history changed.
    pub fn delivered(
        &mut self,
        id: RequestId,
        result: Result<DeliveryReport, ProduceFailure>,
        now: Instant,
    ) -> bool {
        let Some(report) = self.reports.iter_mut().find(|r| r.id == id) else {
            return false;
        };
        match result {
            Ok(delivery) => {
                report.outcome = Outcome::Delivered(delivery);
                if report.message.topic.as_str() == self.watch.topic.as_deref().unwrap_or_default()
                    && let Some(at) = self.watch.seen.get(&(delivery.partition, delivery.offset))
                {
                    report.seen_after = Some(at.saturating_duration_since(report.sent_at));
                }
                let entry = history::Entry {
                    message: report.message.clone(),
                    typed: report.typed.clone(),
                };
                history::remember(&mut self.history, &entry);
                let _ = now;
                true
            }
            Err(failure) => {
                report.outcome = Outcome::Failed(failure);
                false
            }
        }
    }

    /// Records that arrived in the watch tail: shown, and matched to delivery reports.
    pub fn watched(&mut self, records: Vec<Record>, now: Instant) {
        for record in records {
            let at = (record.partition, record.offset);
            if let Some(report) = self.reports.iter_mut().find(|r| {
                r.seen_after.is_none()
                    && matches!(r.outcome, Outcome::Delivered(d) if (d.partition, d.offset) == at)
                    && Some(r.message.topic.as_str()) == self.watch.topic.as_deref()
            }) {
                report.seen_after = Some(now.saturating_duration_since(report.sent_at));
            }
            self.watch.seen.insert(at, now);
            self.watch.seen_order.push_back(at);
            if self.watch.seen_order.len() > SEEN
                && let Some(old) = self.watch.seen_order.pop_front()
            {
                self.watch.seen.remove(&old);
            }
            self.watch.records.push_back(record);
            if self.watch.records.len() > Watch::KEEP {
                self.watch.records.pop_front();
            }
        }
    }

    /// How many sends have no answer yet.
    pub fn pending(&self) -> usize {
        self.reports
            .iter()
            .filter(|r| r.outcome == Outcome::Pending)
            .count()
    }
}
