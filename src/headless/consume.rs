//! `ktui consume`: records to stdout, as text (like `kcat -C`) or NDJSON envelopes.
//! Output is buffered; a closed pipe (`| head`) ends it quietly. On a terminal, control
//! characters are escaped; into a pipe, bytes are written exactly as consumed.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use crate::cli::{ConsumeArgs, Format};
use crate::filter::RecordFilter;
use crate::kafka::ClientSettings;
use crate::kafka::envelope;
use crate::kafka::model::Record;
use crate::kafka::tail::{Flow, TailEvent, TailSpec, run_tail};
use crate::text::escape_control;

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
    let filter = match args.filter.as_deref().map(RecordFilter::parse).transpose() {
        Ok(f) => f.flatten(),
        Err(problem) => return Ok(usage(&problem)),
    };
    let spec = TailSpec {
        topic: args.topic.clone(),
        partitions: defaults.partitions,
        start: defaults.start,
        group: defaults.group,
        read_as: None,
        exit_at_end: args.exit_at_end,
    };
    let outcome =
        tokio::task::spawn_blocking(move || consume(&args, &settings, &spec, filter.as_ref()))
            .await?;
    Ok(match outcome {
        Outcome::Done => ExitCode::SUCCESS,
        Outcome::Failed(reason) => {
            super::note(&format!("ktui: {}", escape_control(&reason)));
            ExitCode::from(2)
        }
    })
}

fn usage(problem: &str) -> ExitCode {
    super::note(&format!("ktui: {problem}"));
    ExitCode::from(2)
}

fn consume(
    args: &ConsumeArgs,
    settings: &ClientSettings,
    spec: &TailSpec,
    filter: Option<&RecordFilter>,
) -> Outcome {
    let stdout = io::stdout();
    let escape = stdout.is_terminal();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut written = 0u64;
    let mut outcome = Outcome::Done;
    let stop = AtomicBool::new(false);
    let mut sink = |event: TailEvent| -> Flow {
        match event {
            TailEvent::Records(records) => {
                for record in records
                    .iter()
                    .filter(|r| filter.is_none_or(|f| f.matches(r)))
                {
                    if write_record(&mut out, args, &spec.topic, record, escape).is_err() {
                        return Flow::Stop; // closed pipe: end quietly
                    }
                    written += 1;
                    if args.count.is_some_and(|limit| written >= limit) {
                        return Flow::Stop;
                    }
                }
                // Flush per batch so a slow topic's records show up promptly.
                if out.flush().is_err() {
                    return Flow::Stop;
                }
                Flow::Continue
            }
            TailEvent::Warning(text) => {
                super::note(&format!("ktui: warning: {}", escape_control(&text)));
                Flow::Continue
            }
            TailEvent::Failed(reason) => {
                outcome = Outcome::Failed(reason);
                Flow::Stop
            }
            TailEvent::Started { .. } | TailEvent::Lag(_) | TailEvent::ReachedEnd => Flow::Continue,
        }
    };
    run_tail(settings, spec, &stop, &mut sink);
    let _ = out.flush();
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
    topic: &str,
    record: &Record,
    escape: bool,
) -> io::Result<()> {
    match args.format {
        Format::Json => {
            out.write_all(envelope::to_line(topic, record).as_bytes())?;
        }
        Format::Text => {
            if let Some(separator) = &args.key_separator {
                write_bytes(out, record.key.as_deref().unwrap_or_default(), escape)?;
                out.write_all(separator.as_bytes())?;
            }
            write_bytes(out, record.value.as_deref().unwrap_or_default(), escape)?;
        }
    }
    out.write_all(b"\n")
}
