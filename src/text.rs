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
///
/// A literal backslash that would read as the start of such an escape (before `x`, `u`,
/// `n`, `r`, `t`, another backslash, or an escaped character) is shown doubled, so the
/// four text bytes `\x1b` (shown `\\x1b`) never look like the control byte ESC (shown
/// `\x1b`). Other backslashes (a JSON `\"`) are shown as they are.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_unsafe_char(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let looks_escaped = chars.peek().is_some_and(|&n| {
                    matches!(n, 'x' | 'u' | 'n' | 'r' | 't' | '\\') || is_unsafe_char(n)
                });
                out.push_str(if looks_escaped { "\\\\" } else { "\\" });
            }
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
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
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

    #[test]
    fn a_literal_escape_never_looks_like_a_control_byte() {
        // The four bytes \ x 1 b, and the one byte ESC.
        assert_eq!(escape_control(r"a\x1b"), r"a\\x1b");
        assert_eq!(escape_control("a\x1b"), r"a\x1b");
        assert_ne!(escape_control(r"\x1b"), escape_control("\x1b"));
        // A backslash before an escaped byte, and doubled backslashes, stay readable.
        assert_eq!(escape_control("\\\x1b"), r"\\\x1b");
        assert_eq!(escape_control(r"\\n"), r"\\\\n");
        // Backslashes that cannot be mistaken are left alone (and borrowed).
        assert!(matches!(
            escape_control(r#"{"q":"a\"b"}"#),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape_control(r"C:\Users"), r"C:\Users");
    }
}
