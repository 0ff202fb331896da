//! JSON text as it comes: how deep it nests (a parser that recurses per level must not
//! be handed a value a thousand levels deep) and its compact form (one line).

/// Whether `bytes` (JSON) nests arrays and objects deeper than `limit` levels. Fast for
/// the usual value: text with fewer opening brackets than `limit` is not even scanned.
pub fn nesting_exceeds(bytes: &[u8], limit: usize) -> bool {
    if memchr::memchr2_iter(b'[', b'{', bytes)
        .take(limit + 1)
        .count()
        <= limit
    {
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Valid JSON text without the whitespace between its tokens (strings kept as written).
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert!(!nesting_exceeds(br#"{"a":[1,{"b":2}]}"#, 3));
        assert!(nesting_exceeds(br#"{"a":[1,{"b":[2]}]}"#, 3));
        assert!(!nesting_exceeds(br#"{"a":"[[[[[[[[\"[[[["}"#, 2));
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(nesting_exceeds(deep.as_bytes(), 256));
        let wide = format!("[{}]", "[],".repeat(5000) + "[]");
        assert!(!nesting_exceeds(wide.as_bytes(), 256));
    }

    #[test]
    fn compact_keeps_strings_as_written() {
        assert_eq!(
            compact("{\n  \"a b\" : [1, 2],\r\n \"c\\\" d\": \" x \"\n}"),
            r#"{"a b":[1,2],"c\" d":" x "}"#
        );
    }
}
