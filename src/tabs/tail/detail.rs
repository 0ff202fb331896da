//! One record in full (Enter on a row): metadata, key, every header, and the value as
//! pretty JSON, raw text or a hex dump; a value framed with a registry schema shows its
//! decoding as the pretty JSON, names the schema, and can show the schema itself. Large values are cut into lines once, when
//! opened; drawing touches only the visible lines, so a 10 MB value scrolls freely.

use std::sync::Arc;

use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::kafka::model::{Record, TimestampKind};
use crate::schema::Decoded;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::payload::{
    hex_line, human_bytes, is_json, json_line, preview, reindent_json, schema_preview,
};

/// Values up to this size are checked for JSON (and pretty-printed) when opened.
const AUTO_PRETTY_LIMIT: usize = 2 << 20;
/// Raw text lines longer than this are cut, so no single line is huge.
const RAW_CHUNK: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeMode {
    Pretty,
    Raw,
    Hex,
    /// The value's registry schema (its text).
    Schema,
}

impl DecodeMode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pretty => "pretty",
            Self::Raw => "raw",
            Self::Hex => "hex",
            Self::Schema => "schema",
        }
    }
}

#[derive(Debug)]
pub struct Detail {
    pub seq: u64,
    pub record: Arc<Record>,
    pub mode: DecodeMode,
    pub scroll: usize,
    /// `Some(true)` once the value is known to be JSON.
    pub json: Option<bool>,
    /// The re-indented JSON and its line ranges (computed once, on first use).
    pretty: Option<(String, Vec<(usize, usize)>)>,
    /// Byte ranges of the raw value's lines (split at newlines and every RAW_CHUNK).
    raw_lines: Vec<(usize, usize)>,
    /// The schema's text (pretty when JSON) and its lines, once shown.
    schema: Option<(String, Vec<(usize, usize)>)>,
}

/// The value's bytes as consumed (raw and hex views).
fn value(record: &Record) -> &[u8] {
    record.value.as_deref().unwrap_or_default()
}

/// What the pretty view reads: a framed value's decoding, else the bytes.
fn readable(record: &Record) -> &[u8] {
    record.value_seen().unwrap_or_default()
}

/// The value's registry schema text, when it was decoded with one.
fn schema_text(record: &Record) -> Option<&str> {
    Some(record.value_schema()?.schema.as_ref()?.text.as_str())
}

fn raw_ranges(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end_of_line = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        let mut chunk_start = start;
        while end_of_line - chunk_start > RAW_CHUNK {
            // Cut on a UTF-8 boundary.
            let mut cut = chunk_start + RAW_CHUNK;
            while cut > chunk_start && (bytes[cut] & 0xC0) == 0x80 {
                cut -= 1;
            }
            out.push((chunk_start, cut));
            chunk_start = cut;
        }
        out.push((chunk_start, end_of_line));
        start = end_of_line + 1;
    }
    out
}

fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, text.len()));
    out
}

impl Detail {
    pub fn open(seq: u64, record: Arc<Record>) -> Self {
        let bytes = readable(&record);
        let json = (bytes.len() <= AUTO_PRETTY_LIMIT).then(|| is_json(bytes));
        let utf8 = std::str::from_utf8(value(&record)).is_ok();
        let bytes = value(&record);
        let mode = if json == Some(true) {
            DecodeMode::Pretty
        } else if utf8 {
            DecodeMode::Raw
        } else {
            DecodeMode::Hex
        };
        let raw_lines = raw_ranges(bytes);
        let mut detail = Self {
            seq,
            record,
            mode: DecodeMode::Raw,
            scroll: 0,
            json,
            pretty: None,
            raw_lines,
            schema: None,
        };
        detail.set_mode(mode);
        detail
    }

    /// Switches the value's view; pretty falls back to raw for values that are not JSON.
    pub fn set_mode(&mut self, mode: DecodeMode) {
        if mode == DecodeMode::Schema {
            let Some(text) = schema_text(&self.record) else {
                return;
            };
            if self.schema.is_none() {
                let text = if is_json(text.as_bytes()) {
                    reindent_json(text.as_bytes())
                } else {
                    text.to_string()
                };
                let lines = line_ranges(&text);
                self.schema = Some((text, lines));
            }
        }
        if mode == DecodeMode::Pretty {
            let bytes = readable(&self.record);
            let json = *self.json.get_or_insert_with(|| is_json(bytes));
            if !json {
                self.mode = DecodeMode::Raw;
                return;
            }
            if self.pretty.is_none() {
                let text = reindent_json(bytes);
                let lines = line_ranges(&text);
                self.pretty = Some((text, lines));
            }
        }
        self.mode = mode;
        self.scroll = 0;
    }

    pub fn cycle_mode(&mut self) {
        let next = match self.mode {
            DecodeMode::Pretty => DecodeMode::Raw,
            DecodeMode::Raw => DecodeMode::Hex,
            DecodeMode::Hex if schema_text(&self.record).is_some() => DecodeMode::Schema,
            DecodeMode::Hex | DecodeMode::Schema => DecodeMode::Pretty,
        };
        self.set_mode(next);
        if next == DecodeMode::Pretty && self.mode != DecodeMode::Pretty {
            // Not JSON: skip pretty.
            self.set_mode(DecodeMode::Raw);
        }
    }

    /// Lines the value takes in the current mode.
    pub fn value_lines(&self) -> usize {
        match self.mode {
            DecodeMode::Pretty => self.pretty.as_ref().map_or(0, |(_, l)| l.len()),
            DecodeMode::Raw => self.raw_lines.len(),
            DecodeMode::Hex => value(&self.record).len().div_ceil(16),
            DecodeMode::Schema => self.schema.as_ref().map_or(0, |(_, l)| l.len()),
        }
    }

    /// What copying takes: the decoded JSON in the pretty view of a framed value, the
    /// schema's text in the schema view, else the value's bytes.
    pub fn copied(&self) -> Option<Vec<u8>> {
        match self.mode {
            DecodeMode::Pretty => self.record.value_seen().map(<[u8]>::to_vec),
            DecodeMode::Schema => schema_text(&self.record).map(|t| t.as_bytes().to_vec()),
            DecodeMode::Raw | DecodeMode::Hex => self.record.value.clone(),
        }
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.value_lines().saturating_sub(1);
        self.scroll = self.scroll.saturating_add_signed(delta).min(max);
    }

    pub fn scroll_to_end(&mut self, end: bool) {
        self.scroll = if end {
            self.value_lines().saturating_sub(1)
        } else {
            0
        };
    }

    fn value_line(&self, i: usize, palette: &Palette) -> Option<Line<'static>> {
        let bytes = value(&self.record);
        match self.mode {
            DecodeMode::Pretty => {
                let (text, lines) = self.pretty.as_ref()?;
                let (a, b) = *lines.get(i)?;
                Some(json_line(&text[a..b], palette))
            }
            DecodeMode::Raw => {
                let (a, b) = *self.raw_lines.get(i)?;
                Some(Line::raw(
                    escape_control(&String::from_utf8_lossy(&bytes[a..b])).into_owned(),
                ))
            }
            DecodeMode::Hex => (i * 16 < bytes.len()).then(|| Line::raw(hex_line(bytes, i * 16))),
            DecodeMode::Schema => {
                let (text, lines) = self.schema.as_ref()?;
                let (a, b) = *lines.get(i)?;
                Some(json_line(&text[a..b], palette))
            }
        }
    }
}

/// `schema    orders-value v3 · id 17 · AVRO`, or why the value could not be decoded.
fn schema_line(decoded: &Decoded, palette: &Palette) -> Line<'static> {
    let dim = palette.dim();
    let mut spans = vec![Span::styled("schema    ", dim)];
    spans.push(Span::raw(escape_control(&decoded.describe()).into_owned()));
    if let Some(message) = &decoded.message {
        spans.push(Span::raw(format!(" · {}", escape_control(message))));
    }
    if let Err(why) = &decoded.json {
        spans.push(Span::styled(
            format!(
                " · ⚠ {} (the bytes are shown as they are)",
                escape_control(why)
            ),
            palette.warn(),
        ));
    }
    Line::from(spans)
}

/// The detail view as a widget.
pub struct DetailView<'a> {
    pub detail: &'a Detail,
    pub topic: &'a str,
    pub tz: &'a TimeZone,
    pub palette: &'a Palette,
}

pub fn format_time(ms: i64, tz: &TimeZone, with_date: bool) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => {
            let zoned = ts.to_zoned(tz.clone());
            if with_date {
                zoned.strftime("%Y-%m-%d %H:%M:%S%.3f %:z").to_string()
            } else {
                zoned.strftime("%H:%M:%S%.3f").to_string()
            }
        }
        Err(_) => format!("{ms}ms"),
    }
}

fn bytes_text(bytes: Option<&[u8]>, max: usize) -> String {
    preview(bytes, max)
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let d = self.detail;
        let r = &d.record;
        let palette = self.palette;
        let dim = palette.dim();
        let block = Block::bordered()
            .border_style(palette.border(true))
            .title(format!(
                " {} · partition {} · offset {} ",
                escape_control(self.topic),
                r.partition,
                r.offset
            ))
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let width = usize::from(inner.width);
        let mut lines = Vec::new();
        let time = r.timestamp.map_or_else(
            || "none".to_string(),
            |ms| format!("{} ({ms})", format_time(ms, self.tz, true)),
        );
        let kind = match r.timestamp_kind {
            TimestampKind::CreateTime => "create time",
            TimestampKind::LogAppendTime => "log append time",
            TimestampKind::NotAvailable => "not available",
        };
        lines.push(Line::from(vec![
            Span::styled("timestamp ", dim),
            Span::raw(time),
            Span::styled(format!(" · {kind} · size "), dim),
            Span::raw(human_bytes(r.size() as u64)),
        ]));
        let key = match schema_preview(r.key_schema(), width.saturating_sub(10)) {
            Some((text, problem)) => Span::styled(
                text,
                if problem {
                    palette.warn()
                } else {
                    Style::new()
                },
            ),
            None => Span::raw(bytes_text(r.key.as_deref(), width.saturating_sub(10))),
        };
        lines.push(Line::from(vec![Span::styled("key       ", dim), key]));
        if let Some(decoded) = r.value_schema() {
            lines.push(schema_line(decoded, palette));
        }
        if r.headers.is_empty() {
            lines.push(Line::styled("headers   none", dim));
        } else {
            lines.push(Line::styled(format!("headers   {}", r.headers.len()), dim));
            for h in r.headers.iter().take(8) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {} = ", escape_control(&h.name)), palette.key()),
                    Span::raw(bytes_text(
                        h.value.as_deref(),
                        width.saturating_sub(h.name.len() + 6),
                    )),
                ]));
            }
            if r.headers.len() > 8 {
                lines.push(Line::styled(
                    format!("  … {} more", r.headers.len() - 8),
                    dim,
                ));
            }
        }
        let what = match (&r.value, d.mode) {
            (None, _) => "tombstone: the value is null".to_string(),
            (Some(v), _) if v.is_empty() => "empty value (0 bytes, not a tombstone)".to_string(),
            (Some(v), mode) => format!(
                "value · {} · {} · line {}/{}",
                human_bytes(v.len() as u64),
                match (r.value_schema(), mode) {
                    (_, DecodeMode::Schema) => "its schema".to_string(),
                    (Some(decoded), DecodeMode::Pretty) if decoded.json.is_ok() => {
                        "decoded, pretty".to_string()
                    }
                    _ if d.json == Some(true) && r.value_schema().is_none() => {
                        format!("JSON, {}", mode.name())
                    }
                    _ => mode.name().to_string(),
                },
                (d.scroll + 1).min(d.value_lines()),
                d.value_lines()
            ),
        };
        lines.push(Line::styled(what, palette.header()));
        let head = lines.len();
        let room = usize::from(inner.height).saturating_sub(head);
        lines.extend((d.scroll..d.scroll + room).map_while(|i| d.value_line(i, palette)));
        // Long lines wrap, so nothing past the pane's edge is hidden.
        Paragraph::new(lines)
            .style(Style::new())
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Option<&[u8]>) -> Arc<Record> {
        Arc::new(Record {
            partition: 0,
            offset: 0,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: None,
            value: value.map(<[u8]>::to_vec),
            headers: vec![],
            schemas: None,
        })
    }

    #[test]
    fn picks_a_mode_from_the_bytes() {
        assert_eq!(
            Detail::open(0, record(Some(b"{\"a\":1}"))).mode,
            DecodeMode::Pretty
        );
        assert_eq!(
            Detail::open(0, record(Some(b"hello"))).mode,
            DecodeMode::Raw
        );
        assert_eq!(
            Detail::open(0, record(Some(&[0xff, 0xfe]))).mode,
            DecodeMode::Hex
        );
        let mut text = Detail::open(0, record(Some(b"not json")));
        text.set_mode(DecodeMode::Pretty);
        assert_eq!(text.mode, DecodeMode::Raw, "pretty falls back for non-JSON");
    }

    #[test]
    fn a_ten_megabyte_value_is_cut_into_short_lines() {
        let big = vec![b'x'; 10 << 20];
        let mut d = Detail::open(0, record(Some(&big)));
        assert_eq!(d.mode, DecodeMode::Raw);
        assert_eq!(d.value_lines(), (10usize << 20).div_ceil(RAW_CHUNK));
        d.scroll_to_end(true);
        assert!(d.value_line(d.scroll, &Palette::dark()).is_some());
        d.set_mode(DecodeMode::Hex);
        assert_eq!(d.value_lines(), (10 << 20) / 16);
    }

    #[test]
    fn raw_lines_split_at_newlines_and_utf8_boundaries() {
        let text = format!("a\n{}\nb", "é".repeat(RAW_CHUNK));
        let ranges = raw_ranges(text.as_bytes());
        assert_eq!(ranges.first(), Some(&(0, 1)));
        for (a, b) in &ranges {
            assert!(text.is_char_boundary(*a) && text.is_char_boundary(*b));
        }
        assert_eq!(&text.as_bytes()[ranges.last().unwrap().0..], b"b");
    }
}
