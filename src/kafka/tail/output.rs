//! Where the read loop's batches go: straight to the sink, or, in a search (a tail with a
//! filter), through a pool of filter threads that hands back only the matches, in order,
//! with the count of records looked at ([`TailEvent::Progress`]).

use std::sync::Arc;

use crate::kafka::filter::{FilterPool, Out, RecordFilter, Wants};
use crate::schema::{LocalProto, Schemas};

use super::super::model::Record;
use super::{Flow, TailEvent};

/// What framed (or Protobuf) keys and values are decoded with.
pub(super) struct Decoders {
    pub(super) registry: Option<Arc<Schemas>>,
    pub(super) local: Option<Arc<LocalProto>>,
    /// Names the subjects the registry's schemas are shown under.
    pub(super) topic: String,
}

pub(super) struct Output<'a> {
    sink: Gate<'a>,
    /// Framed keys and values are decoded through these before anything else sees them
    /// (a filter included).
    schemas: Option<Decoders>,
    pool: Option<FilterPool>,
    /// Records read so far (before the filter).
    scanned: u64,
    /// Report `Progress` after each batch (a bounded or filtered read).
    report: bool,
}

impl<'a> Output<'a> {
    pub(super) fn new(
        sink: &'a mut dyn FnMut(TailEvent) -> Flow,
        filter: Option<RecordFilter>,
        bounded: bool,
        schemas: Option<Decoders>,
    ) -> Self {
        let report = bounded || filter.is_some();
        let pool = filter.map(|f| FilterPool::new(&Arc::new(f), FilterPool::threads_here()));
        Self {
            sink: Gate {
                sink,
                stopped: false,
            },
            schemas,
            pool,
            scanned: 0,
            report,
        }
    }

    /// An event other than records, straight to the sink.
    pub(super) fn event(&mut self, event: TailEvent) -> Flow {
        self.sink.send(event)
    }

    /// A batch read: its records (or its matches), then the progress.
    pub(super) fn batch(&mut self, mut records: Vec<Record>) -> Flow {
        if let Some(d) = &self.schemas {
            for record in &mut records {
                record.decode_schemas(d.registry.as_deref(), d.local.as_deref(), &d.topic);
            }
        }
        if self.pool.is_none() {
            let n = records.len();
            return flow(deliver(
                &mut self.sink,
                &mut self.scanned,
                self.report,
                records,
                n,
            ));
        }
        self.through_pool(|pool, out| pool.push(records, out))
    }

    /// The batches filtered by now handed out, without waiting (a quiet topic's last batch
    /// would otherwise wait in the pool for the next one).
    pub(super) fn ready(&mut self) -> Flow {
        self.through_pool(FilterPool::ready)
    }

    /// Every batch in the pool handed out (before the end is reported, or at a stop).
    pub(super) fn drain(&mut self) -> Flow {
        self.through_pool(FilterPool::drain)
    }

    fn through_pool(&mut self, run: impl FnOnce(&mut FilterPool, &mut Out<'_>) -> Wants) -> Flow {
        let Self {
            sink,
            schemas: _,
            pool,
            scanned,
            report,
        } = self;
        match pool {
            Some(pool) => flow(run(pool, &mut |found, looked_at| {
                deliver(sink, scanned, *report, found, looked_at)
            })),
            None => Flow::Continue,
        }
    }
}

/// Hands over a batch's matches, then (when reporting) the count of records read.
fn deliver(
    sink: &mut Gate<'_>,
    scanned: &mut u64,
    report: bool,
    found: Vec<Record>,
    looked_at: usize,
) -> Wants {
    *scanned += looked_at as u64;
    if !found.is_empty() && sink.send(TailEvent::Records(found)) == Flow::Stop {
        return Wants::Enough;
    }
    if report && sink.send(TailEvent::Progress { scanned: *scanned }) == Flow::Stop {
        return Wants::Enough;
    }
    Wants::More
}

/// The sink, called no more once it said stop.
struct Gate<'a> {
    sink: &'a mut dyn FnMut(TailEvent) -> Flow,
    stopped: bool,
}

impl Gate<'_> {
    fn send(&mut self, event: TailEvent) -> Flow {
        if !self.stopped && (self.sink)(event) == Flow::Stop {
            self.stopped = true;
        }
        if self.stopped {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

fn flow(wants: Wants) -> Flow {
    match wants {
        Wants::More => Flow::Continue,
        Wants::Enough => Flow::Stop,
    }
}
