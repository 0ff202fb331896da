//! Showing message bytes safely: one-line previews, a JSON re-indenter that keeps key
//! order and number text exactly, JSON colouring per line, and hex dump lines.
//! Everything that reaches the terminal goes through `escape_control`.

use std::fmt::Write as _;

use ratatui::text::{Line, Span};

use crate::schema::Decoded;
use crate::text::escape_control;
use crate::theme::Palette;

/// A one-line preview of a key or value, at most `max_chars` characters.
pub fn preview(bytes: Option<&[u8]>, max_chars: usize) -> String {
    let Some(bytes) = bytes else {
        return "∅ null".into();
    };
    if bytes.is_empty() {
        return "(empty)".into();
    }
    // Only look at what can be shown.
    let head = &bytes[..bytes.len().min(max_chars.saturating_mul(4).max(16))];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text.to_string(),
        // A cut through a multi-byte char at the end is still text.
        Err(e) if e.valid_up_to() + 4 >= head.len() && head.len() < bytes.len() => {
            String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned()
        }
        Err(_) => {
            let mut out = String::from("0x");
            for b in bytes.iter().take(max_chars / 2) {
                let _ = write!(out, "{b:02x}");
            }
            return truncate(&out, max_chars);
        }
    };
    truncate(&escape_control(&text), max_chars)
}

/// A framed key's or value's one-line preview: its schema's JSON, or (`true`) why it
/// could not be decoded; `None` when it was not framed.
pub fn schema_preview(decoded: Option<&Decoded>, max_chars: usize) -> Option<(String, bool)> {
    let decoded = decoded?;
    Some(match &decoded.json {
        Ok(json) => (preview(Some(json.as_bytes()), max_chars), false),
        Err(why) => (
            truncate(&format!("⚠ {}", escape_control(why)), max_chars),
            true,
        ),
    })
}

/// Cuts `text` to `max_chars`, marking the cut with `…`.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `1536` → `1.5 KiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    for unit in UNITS {
        if value < 1024.0 {
            return format!("{value:.1} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.1} PiB")
}

/// Whether `bytes` is one valid JSON document.
pub fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// Re-indents valid JSON with two spaces, keeping every token exactly as written
/// (key order, number text, string escapes).
pub fn reindent_json(json: &[u8]) -> String {
    let text = String::from_utf8_lossy(json);
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Keep empty containers on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Colours one line of re-indented JSON: keys, strings, numbers, literals.
pub fn json_line(line: &str, palette: &Palette) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut plain = String::new();
    let mut chars = line.char_indices().peekable();
    let flush = |plain: &mut String, spans: &mut Vec<Span<'static>>| {
        if !plain.is_empty() {
            spans.push(Span::raw(escape_control(plain).into_owned()));
            plain.clear();
        }
    };
    while let Some((start, c)) = chars.next() {
        match c {
            '"' => {
                flush(&mut plain, &mut spans);
                let mut end = line.len();
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = i + 1;
                        break;
                    }
                }
                let token = &line[start..end];
                let is_key = line[end..].trim_start().starts_with(':');
                let style = if is_key {
                    palette.json_key()
                } else {
                    palette.json_string()
                };
                spans.push(Span::styled(escape_control(token).into_owned(), style));
            }
            c if c == '-' || c.is_ascii_digit() => {
                flush(&mut plain, &mut spans);
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if n.is_ascii_digit() || matches!(n, '.' | 'e' | 'E' | '+' | '-') {
                        end = i + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                spans.push(Span::styled(
                    line[start..end].to_string(),
                    palette.json_number(),
                ));
            }
            't' | 'f' | 'n' => {
                let rest = &line[start..];
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| rest.starts_with(w));
                if let Some(word) = word {
                    flush(&mut plain, &mut spans);
                    for _ in 1..word.len() {
                        chars.next();
                    }
                    spans.push(Span::styled(word, palette.json_literal()));
                } else {
                    plain.push(c);
                }
            }
            c => plain.push(c),
        }
    }
    flush(&mut plain, &mut spans);
    Line::from(spans)
}

/// One hex dump line: offset, 16 bytes in hex, and their printable ASCII.
pub fn hex_line(bytes: &[u8], offset: usize) -> String {
    let chunk = &bytes[offset..bytes.len().min(offset + 16)];
    let mut out = format!("{offset:08x}  ");
    for i in 0..16 {
        match chunk.get(i) {
            Some(b) => {
                let _ = write!(out, "{b:02x} ");
            }
            None => out.push_str("   "),
        }
        if i == 7 {
            out.push(' ');
        }
    }
    out.push_str(" |");
    out.extend(chunk.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            char::from(b)
        } else {
            '.'
        }
    }));
    out.push('|');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_safe_line() {
        assert_eq!(preview(None, 10), "∅ null");
        assert_eq!(preview(Some(b""), 10), "(empty)");
        assert_eq!(preview(Some(b"line1\nline2"), 40), "line1\\nline2");
        assert_eq!(preview(Some(b"\x1b]0;PWNED\x07"), 40), "\\x1b]0;PWNED\\x07");
        assert_eq!(preview(Some(&[0xff, 0x00, 0x10]), 40), "0xff0010");
        assert_eq!(preview(Some(b"abcdefghijkl"), 5), "abcd…");
        let big = vec![b'a'; 10 << 20];
        assert_eq!(preview(Some(&big), 8).chars().count(), 8);
    }

    #[test]
    fn reindent_keeps_tokens_exactly() {
        let json = br#"{"b":1,"a":[1,2.50,{}],"s":"x, y: {z}","n":12345678901234567890,"e":[]}"#;
        let pretty = reindent_json(json);
        assert_eq!(
            pretty,
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"s\": \"x, y: {z}\",\n  \"n\": 12345678901234567890,\n  \"e\": []\n}"
        );
        assert!(is_json(json));
        assert!(!is_json(b"{nope"));
    }

    #[test]
    fn json_lines_are_coloured_by_token() {
        let dark = Palette::dark();
        let line = json_line(r#"  "id": 42, "ok": true, "name": "a\"b""#, &dark);
        let style = |text: &str| {
            line.spans
                .iter()
                .find(|s| s.content == text)
                .map(|s| s.style)
        };
        assert_eq!(style("\"id\""), Some(dark.json_key()));
        assert_eq!(style("42"), Some(dark.json_number()));
        assert_eq!(style("true"), Some(dark.json_literal()));
        assert_eq!(style("\"a\\\"b\""), Some(dark.json_string()));
        // The dark theme's colours, as before themes.
        assert_eq!(
            style("\"id\"").and_then(|s| s.fg),
            Some(ratatui::style::Color::Cyan)
        );
    }

    #[test]
    fn hex_lines() {
        assert_eq!(
            hex_line(b"{\"user\":1}\x1b", 0),
            "00000000  7b 22 75 73 65 72 22 3a  31 7d 1b                 |{\"user\":1}.|"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
    }
}
