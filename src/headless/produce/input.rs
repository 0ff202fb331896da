//! What `ktui produce` reads: text lines (with kcat's `-K` key separator) or NDJSON
//! envelopes, each turned into a message borrowed from the input line.

use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cli::{Format, ProduceArgs};
use crate::kafka::envelope::Envelope;
use crate::kafka::produce::OutgoingMessage;

/// Input is read in large chunks: fewer system calls per line when input is a file or a
/// fast pipe, and a line typed at a terminal still goes out as soon as it is read.
pub(super) const INPUT_BUFFER: usize = 1 << 20;

/// A message to queue, borrowed from the input line: the text path allocates nothing of
/// its own per message (librdkafka copies the bytes once).
pub(super) struct Outgoing<'a> {
    pub(super) topic: &'a str,
    pub(super) partition: Option<i32>,
    pub(super) key: Option<&'a [u8]>,
    pub(super) value: Option<&'a [u8]>,
    pub(super) headers: &'a [crate::kafka::model::Header],
    pub(super) timestamp: Option<i64>,
}

impl<'a> From<&'a OutgoingMessage> for Outgoing<'a> {
    fn from(m: &'a OutgoingMessage) -> Self {
        Self {
            topic: &m.topic,
            partition: m.partition,
            key: m.key.as_deref(),
            value: m.value.as_deref(),
            headers: &m.headers,
            timestamp: m.timestamp,
        }
    }
}

/// A text-format message with the command line's key, headers and partition.
pub(super) fn text_message<'a>(
    args: &'a ProduceArgs,
    key: Option<&'a [u8]>,
    value: &'a [u8],
) -> Outgoing<'a> {
    Outgoing {
        topic: &args.topic,
        partition: args.partition,
        key: key.or_else(|| args.key.as_deref().map(str::as_bytes)),
        value: Some(value),
        headers: &args.headers,
        timestamp: None,
    }
}

/// Sends each line; an empty line is skipped (counted in `skipped`) unless
/// `--keep-empty`, as kcat does. A line `send` refuses (its schema does not take it) is
/// told to `bad_line` with its number, and the rest still goes out.
pub(super) fn read_stream(
    args: &ProduceArgs,
    input: impl BufRead,
    send: &mut dyn FnMut(Outgoing<'_>) -> Result<(), String>,
    bad_line: &dyn Fn(String),
    skipped: &AtomicU64,
) -> Result<(), String> {
    let mut reader = input;
    let mut line = Vec::with_capacity(4096);
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading input: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        match args.format {
            Format::Text if line.is_empty() && !args.keep_empty => {
                skipped.fetch_add(1, Ordering::Relaxed);
            }
            Format::Text => {
                let (key, value) = match &args.key_separator {
                    Some(sep) => split_key(&line, sep.as_bytes()),
                    None => (None, line.as_slice()),
                };
                if let Err(problem) = send(text_message(args, key, value)) {
                    bad_line(format!("line {number}: {problem}"));
                }
            }
            Format::Json => {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match envelope_message(args, &line) {
                    Ok(m) => {
                        if let Err(problem) = send(Outgoing::from(&m)) {
                            bad_line(format!("line {number}: {problem}"));
                        }
                    }
                    Err(problem) => {
                        // Counted as a failure; the rest of the input still goes out.
                        bad_line(format!("line {number}: {problem}"));
                    }
                }
            }
        }
    }
}

/// Splits at the first `sep`; a line without it is all value (kcat does the same).
fn split_key<'a>(line: &'a [u8], sep: &[u8]) -> (Option<&'a [u8]>, &'a [u8]) {
    if sep.is_empty() {
        return (None, line);
    }
    match line.windows(sep.len()).position(|w| w == sep) {
        Some(i) => (Some(&line[..i]), &line[i + sep.len()..]),
        None => (None, line),
    }
}

fn envelope_message(args: &ProduceArgs, line: &[u8]) -> Result<OutgoingMessage, String> {
    let envelope: Envelope =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON envelope: {e}"))?;
    let (key, value, headers) = envelope.payload()?;
    let mut all_headers = headers;
    all_headers.extend(args.headers.iter().cloned());
    Ok(OutgoingMessage {
        topic: args.topic.clone(),
        partition: args.partition.or(envelope.partition),
        key: key.or_else(|| args.key.as_ref().map(|k| k.as_bytes().to_vec())),
        value,
        headers: all_headers,
        timestamp: envelope.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_separator_splits_at_the_first_match() {
        assert_eq!(split_key(b"k:v:w", b":"), (Some(&b"k"[..]), &b"v:w"[..]));
        assert_eq!(split_key(b"novalue", b":"), (None, &b"novalue"[..]));
        assert_eq!(split_key(b"a=>b", b"=>"), (Some(&b"a"[..]), &b"b"[..]));
    }
}
