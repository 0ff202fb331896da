//! Making untrusted text inert before it reaches the terminal.
//!
//! Topic names, broker hosts, error strings and (later) message bytes come from the
//! network. Control characters (C0, DEL, C1) and bidi overrides are shown as visible
//! escapes, so nothing we print can move the cursor, retitle the terminal or hide text.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never be written to the terminal as is.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Returns `text` with every unsafe character replaced by a visible escape
/// (`\x1b`, `\n`, `\u{202e}`); borrows when nothing needed escaping.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{{{code:x}}}");
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            escape_control("sample-topic_1.x"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escapes_every_kind_of_control() {
        assert_eq!(escape_control("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(escape_control("x\r\ny\tz\x7f"), "x\\r\\ny\\tz\\x7f");
        assert_eq!(escape_control("c1\u{9b}31m"), "c1\\x9b31m");
        assert_eq!(escape_control("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert!(!escape_control("\x1b[2J\x1b[H").chars().any(is_unsafe_char));
    }
}
