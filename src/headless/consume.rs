//! `ktui consume`: records to stdout, as text (like `kcat -C`) or NDJSON envelopes.
//! Output is buffered; a closed pipe (`| head`) ends it quietly. On a terminal, control
//! characters are escaped; into a pipe, bytes are written exactly as consumed.
//!
//! A bounded read (`-e`, `--until`) is a history search: the tail engine filters on every
//! core, matches stream out in order per partition, a progress bar shows on stderr when it
//! is a terminal, and Ctrl-C stops it with everything found printed.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{ConsumeArgs, Format};
use crate::kafka::ClientSettings;
use crate::kafka::envelope;
use crate::kafka::filter::RecordFilter;
use crate::kafka::model::Record;
use crate::kafka::position::{EndBound, now_ms};
use crate::kafka::tail::{Flow, PartitionRange, TailEvent, TailSpec, run_tail};
use crate::schema::Decoded;
use crate::text::escape_control;

use super::progress::Progress;

/// How the run ended, for the exit code.
enum Outcome {
    Done,
    Failed(String),
}

pub async fn run(args: ConsumeArgs, settings: ClientSettings) -> anyhow::Result<ExitCode> {
    let defaults = match args.tail.defaults() {
        Ok(defaults) => defaults,
        Err(problem) => return Ok(usage(&problem)),
    };
    // Refused before anything is read; the tail compiles it again where it runs.
    if let Some(Err(problem)) = args.filter.as_deref().map(RecordFilter::parse) {
        return Ok(usage(&problem));
    }
    let until = match args.until.as_deref().map(|u| EndBound::parse(u, now_ms())) {
        Some(Err(problem)) => return Ok(usage(&problem)),
        Some(Ok(_)) if defaults.group.is_some() => {
            return Ok(usage(
                "--until reads without a group (a group's consumer reads what the group is \
                 assigned): drop --group, or use -e",
            ));
        }
        Some(Ok(until)) => Some(until),
        // `-e` without a group: the end of each partition when the read starts.
        None if args.exit_at_end && defaults.group.is_none() => Some(EndBound::Now),
        None => None,
    };
    let spec = TailSpec {
        topic: args.topic.clone(),
        partitions: defaults.partitions,
        start: defaults.start,
        group: defaults.group,
        read_as: None,
        exit_at_end: args.exit_at_end,
        until,
        filter: args.filter.clone().filter(|f| !f.trim().is_empty()),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let code = super::interrupted().await;
            stop.store(true, Ordering::Relaxed);
            // The read ends at its next poll; a second signal does not wait for that.
            tokio::spawn(async {
                let again = super::interrupted().await;
                std::process::exit(i32::from(again));
            });
            code
        })
    };
    let reading = Arc::clone(&stop);
    let outcome =
        tokio::task::spawn_blocking(move || consume(&args, &settings, &spec, &reading)).await?;
    let signal = if stop.load(Ordering::Relaxed) {
        interrupted.await.ok()
    } else {
        interrupted.abort();
        None
    };
    Ok(match outcome {
        Outcome::Failed(reason) => {
            super::note(&format!("ktui: {}", escape_control(&reason)));
            ExitCode::from(2)
        }
        Outcome::Done => signal.map_or(ExitCode::SUCCESS, ExitCode::from),
    })
}

fn usage(problem: &str) -> ExitCode {
    super::note(&format!("ktui: {problem}"));
    ExitCode::from(2)
}

/// Writes the records that passed the filter, up to `--count`.
struct Printer<'a, W: Write> {
    out: W,
    args: &'a ConsumeArgs,
    escape: bool,
    written: u64,
    progress: &'a Progress,
    /// The output is closed or the count is reached.
    done: bool,
    /// Why framed records could not be decoded, each said once on stderr (text output).
    problems: Problems,
}

/// Distinct reasons said on stderr, at most (hostile data could give one per record).
const PROBLEMS_SAID: usize = 32;

/// The kinds of undecodable records said so far.
#[derive(Default)]
struct Problems {
    said: HashSet<String>,
    capped: bool,
}

/// What to say of a record that could not be decoded.
#[derive(Debug, PartialEq, Eq)]
enum Say {
    /// Its reason, the first time of its kind.
    Warning,
    /// That no more kinds are said (once, past `PROBLEMS_SAID` kinds).
    Capped,
    Nothing,
}

impl Problems {
    fn first(&mut self, kind: String) -> Say {
        if self.said.contains(&kind) {
            Say::Nothing
        } else if self.said.len() < PROBLEMS_SAID {
            self.said.insert(kind);
            Say::Warning
        } else if !self.capped {
            self.capped = true;
            Say::Capped
        } else {
            Say::Nothing
        }
    }
}

/// A problem's kind, for saying it once: the same schema and words, whatever the byte
/// offsets and lengths in them (`cut short at byte 12` and `at byte 40` are one problem).
fn problem_kind(what: &str, id: Option<u32>, why: &str) -> String {
    let mut kind = format!("{what} {id:?} ");
    let mut in_number = false;
    for c in why.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                kind.push('#');
            }
            in_number = true;
        } else {
            kind.push(c);
            in_number = false;
        }
    }
    kind
}

impl<W: Write> Printer<'_, W> {
    /// Says on stderr, once per reason, that a framed key or value is printed undecoded.
    fn tell_undecoded(&mut self, record: &Record) {
        for (what, decoded) in [
            ("key", record.key_schema()),
            ("value", record.value_schema()),
        ] {
            let Some(Decoded {
                id, json: Err(why), ..
            }) = decoded
            else {
                continue;
            };
            let text = match self.problems.first(problem_kind(what, *id, why)) {
                Say::Nothing => continue,
                Say::Capped => format!(
                    "ktui: warning: records undecodable for more than {PROBLEMS_SAID} reasons; \
                     the others are not reported"
                ),
                Say::Warning => format!(
                    "ktui: warning: the {what} at partition {} offset {}: {why}; printed \
                     as it is (later records with this problem are not reported)",
                    record.partition, record.offset
                ),
            };
            self.progress
                .suspend(|| super::note(&escape_control(&text)));
        }
    }

    fn print(&mut self, records: &[Record]) -> Flow {
        if self.done {
            return Flow::Stop;
        }
        for record in records {
            if self.args.format == Format::Text {
                self.tell_undecoded(record);
            }
            if write_record(&mut self.out, self.args, record, self.escape).is_err() {
                self.done = true; // closed pipe: end quietly
                break;
            }
            self.written += 1;
            if self.args.count.is_some_and(|limit| self.written >= limit) {
                self.done = true;
                break;
            }
        }
        self.progress.matched(self.written);
        // Flush per batch so a slow topic's records show up promptly.
        if self.out.flush().is_err() {
            self.done = true;
        }
        if self.done {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

fn consume(
    args: &ConsumeArgs,
    settings: &ClientSettings,
    spec: &TailSpec,
    stop: &AtomicBool,
) -> Outcome {
    let stdout = io::stdout();
    let escape = stdout.is_terminal();
    let progress = Progress::new(spec.until.is_some());
    let mut printer = Printer {
        out: io::BufWriter::with_capacity(1 << 16, stdout.lock()),
        args,
        escape,
        written: 0,
        progress: &progress,
        done: false,
        problems: Problems::default(),
    };
    let mut outcome = Outcome::Done;
    let mut sink = |event: TailEvent| -> Flow {
        match event {
            TailEvent::Records(records) => printer.print(&records),
            TailEvent::Progress { scanned } => {
                progress.scanned(scanned);
                Flow::Continue
            }
            TailEvent::Range(ranges) => {
                progress.total(ranges.iter().map(PartitionRange::len).sum());
                Flow::Continue
            }
            TailEvent::Warning(text) => {
                progress
                    .suspend(|| super::note(&format!("ktui: warning: {}", escape_control(&text))));
                Flow::Continue
            }
            TailEvent::Failed(reason) => {
                outcome = Outcome::Failed(reason);
                Flow::Stop
            }
            TailEvent::Started { .. } | TailEvent::Lag(_) | TailEvent::ReachedEnd => Flow::Continue,
        }
    };
    run_tail(settings, spec, stop, &mut sink);
    let _ = printer.out.flush();
    progress.finish(printer.written, stop.load(Ordering::Relaxed));
    outcome
}

fn write_bytes(out: &mut impl Write, bytes: &[u8], escape: bool) -> io::Result<()> {
    if escape {
        out.write_all(escape_control(&String::from_utf8_lossy(bytes)).as_bytes())
    } else {
        out.write_all(bytes)
    }
}

fn write_record(
    out: &mut impl Write,
    args: &ConsumeArgs,
    record: &Record,
    escape: bool,
) -> io::Result<()> {
    match args.format {
        Format::Json => {
            out.write_all(envelope::to_line(&args.topic, record).as_bytes())?;
        }
        Format::Text => {
            // A framed key or value as its schema's JSON (when it could be decoded).
            if let Some(separator) = &args.key_separator {
                write_bytes(out, record.key_seen().unwrap_or_default(), escape)?;
                out.write_all(separator.as_bytes())?;
            }
            write_bytes(out, record.value_seen().unwrap_or_default(), escape)?;
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::problem_kind;

    #[test]
    fn a_problem_is_said_once_whatever_its_offsets() {
        let at = |byte: u32| {
            problem_kind(
                "value",
                Some(17),
                &format!("does not match Avro schema 17: the record is cut short at byte {byte}"),
            )
        };
        assert_eq!(at(12), at(4_096));
        assert_ne!(
            at(12),
            problem_kind(
                "value",
                Some(18),
                "does not match Avro schema 18: the record is cut short at byte 12"
            ),
            "another schema is another problem"
        );
        assert_ne!(
            at(12),
            problem_kind(
                "key",
                Some(17),
                "does not match Avro schema 17: the record is cut short at byte 12"
            )
        );
    }

    #[test]
    fn at_most_32_kinds_are_said_then_that_the_rest_are_not() {
        let mut problems = super::Problems::default();
        let says: Vec<super::Say> = (0..40)
            .map(|i| problems.first(format!("kind {i}")))
            .collect();
        assert!(says[..32].iter().all(|s| *s == super::Say::Warning));
        assert_eq!(says[32], super::Say::Capped);
        assert!(says[33..].iter().all(|s| *s == super::Say::Nothing));
        assert_eq!(problems.first("kind 3".into()), super::Say::Nothing);
    }
}
