//! A byte-level test that lets a jq filter skip records it cannot match, without parsing
//! them: for a program of the shape `select(C₁ and C₂ and …)` (or the bare conjunction),
//! each conjunct `.a.b == "text"` (or `"text" == .a.b`) can only hold when the value's bytes
//! contain `"text"`, quotes included — as long as the value has no backslash, since a JSON
//! string could otherwise spell the same text with escapes. A record whose value lacks one of
//! these needles makes that conjunct false (or an error: `.a` of a string or a number), so
//! the whole program yields nothing truthy, and the record is skipped.
//!
//! Only a small, certain subset is recognised: anything else (a pipe, `or`, `//`, a
//! definition, `if`, a comment, a string with escapes, …) at the top level gives no needles,
//! and every record is run through jq as before.

use memchr::memmem::Finder;

/// The needles a program's value must contain, all of them, to possibly match.
#[derive(Debug, Clone, Default)]
pub struct Needles {
    finders: Vec<Finder<'static>>,
}

impl Needles {
    /// The needles of `code`, when it has the recognised shape and literal conjuncts.
    pub fn of(code: &str) -> Self {
        let finders = needles(code)
            .unwrap_or_default()
            .into_iter()
            .map(|needle| Finder::new(needle.as_bytes()).into_owned())
            .collect();
        Self { finders }
    }

    /// Whether the program cannot match a record whose value is `value`.
    pub fn rules_out(&self, value: &[u8]) -> bool {
        !self.finders.is_empty()
            && memchr::memchr(b'\\', value).is_none()
            && self.finders.iter().any(|f| f.find(value).is_none())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// `.name`: one step of a path.
    Field(&'a str),
    /// A bare word: a keyword or a function name.
    Word(&'a str),
    /// `$name`.
    Var,
    /// A string literal without escapes, without its quotes.
    Str(&'a str),
    Number,
    /// An operator or a bracket.
    Punct(&'static str),
}

const PUNCT: [&str; 31] = [
    "?//", "//=", "==", "!=", "<=", ">=", "//", "|=", "+=", "-=", "*=", "/=", "%=", "(", ")", "[",
    "]", "{", "}", "|", ",", ":", ";", "<", ">", "+", "-", "*", "/", "%", "=",
];

/// The tokens of `code`, or `None` where it leaves the subset (a comment, a string with an
/// escape or an interpolation, a character not in jq's grammar).
fn tokens(code: &str) -> Option<Vec<Token<'_>>> {
    let ident = |s: &str| {
        s.char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(s.len(), |(i, _)| i)
    };
    let mut out = Vec::new();
    let mut rest = code;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Some(out);
        };
        let (token, len) = match c {
            '#' => return None,
            '"' => {
                let end = rest[1..].find(['"', '\\'])? + 1;
                if rest.as_bytes()[end] != b'"' {
                    return None;
                }
                (Token::Str(&rest[1..end]), end + 1)
            }
            '.' if rest[1..].starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) => {
                let n = ident(&rest[1..]);
                (Token::Field(&rest[1..=n]), n + 1)
            }
            '$' => {
                let n = ident(&rest[1..]);
                if n == 0 {
                    return None;
                }
                (Token::Var, n + 1)
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let n = ident(rest);
                (Token::Word(&rest[..n]), n)
            }
            c if c.is_ascii_digit() => {
                // jq reads `1or` as the number 1 then the keyword `or`: a number glued to
                // a word is left to jq.
                let n = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len());
                if rest[n..].starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) {
                    return None;
                }
                (Token::Number, n)
            }
            '.' => (Token::Punct("."), 1),
            '?' if !rest.starts_with("?//") => (Token::Punct("?"), 1),
            _ => {
                let op = PUNCT.iter().find(|op| rest.starts_with(**op))?;
                (Token::Punct(op), op.len())
            }
        };
        out.push(token);
        rest = &rest[len..];
    }
}

/// Words that, at the top level, make it more than a conjunction.
const NOT_A_CONJUNCTION: [&str; 15] = [
    "or", "as", "def", "if", "then", "elif", "else", "end", "reduce", "foreach", "try", "catch",
    "label", "import", "include",
];

/// The top-level conjuncts of `tokens`, or `None` when the top level is not a plain
/// conjunction (or the brackets do not balance).
fn conjuncts<'t, 'a>(tokens: &'t [Token<'a>]) -> Option<Vec<&'t [Token<'a>]>> {
    let mut depth = 0usize;
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct("(" | "[" | "{") => depth += 1,
            Token::Punct(")" | "]" | "}") => depth = depth.checked_sub(1)?,
            Token::Word("and") if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            Token::Word(word) if depth == 0 && NOT_A_CONJUNCTION.contains(word) => return None,
            Token::Punct(
                "|" | "," | "//" | "?//" | "=" | "|=" | "+=" | "-=" | "*=" | "/=" | "%=" | "//="
                | ";",
            ) if depth == 0 => return None,
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    parts.push(&tokens[start..]);
    Some(parts)
}

/// The literal of a conjunct `.a.b == "text"` or `"text" == .a.b`.
fn literal<'a>(conjunct: &[Token<'a>]) -> Option<&'a str> {
    let path =
        |side: &[Token<'_>]| !side.is_empty() && side.iter().all(|t| matches!(t, Token::Field(_)));
    let eq = conjunct.iter().position(|t| *t == Token::Punct("=="))?;
    match (&conjunct[..eq], &conjunct[eq + 1..]) {
        (left, [Token::Str(text)]) if path(left) => Some(text),
        ([Token::Str(text)], right) if path(right) => Some(text),
        _ => None,
    }
}

/// The needles (`"text"`, quotes included) of a program of the recognised shape.
fn needles(code: &str) -> Option<Vec<String>> {
    let tokens = tokens(code)?;
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Word("def" | "import" | "include")))
    {
        return None;
    }
    // `select(X)` as the whole program: the conjunction is X.
    let body = match tokens.as_slice() {
        [
            Token::Word("select"),
            Token::Punct("("),
            inner @ ..,
            Token::Punct(")"),
        ] if conjuncts(inner).is_some() => inner,
        all => all,
    };
    let needles: Vec<String> = conjuncts(body)?
        .into_iter()
        .filter_map(literal)
        .filter(|text| !text.chars().any(char::is_control))
        .map(|text| format!("\"{text}\""))
        .collect();
    Some(needles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(code: &str) -> Vec<String> {
        needles(code).unwrap_or_default()
    }

    #[test]
    fn literal_conjuncts_of_a_select_or_a_bare_conjunction() {
        assert_eq!(
            of(r#"select(.level == "error" and .amount > 500)"#),
            [r#""error""#]
        );
        assert_eq!(of(r#".level == "error""#), [r#""error""#]);
        assert_eq!(
            of(r#""eu" == .geo.region and (.a or .b) and .kind == "order""#),
            [r#""eu""#, r#""order""#]
        );
        assert_eq!(of(r#".user.name == "Zoë""#), [r#""Zoë""#]);
    }

    #[test]
    fn anything_outside_the_subset_gives_no_needles() {
        for code in [
            r#"select(.level == "error" or .x == 1)"#,
            r#".level == "error" | not"#,
            r#"select(.level == "error") | .id"#,
            r#"def select(f): .; select(.level == "x")"#,
            r#".level == "err\u006fr""#,
            r#".level == "\(.x)""#,
            r#"if .a == "b" then true else false end and .c == "d""#,
            r#".level == "error" # a comment"#,
            r#".level // "x" == "y""#,
            r#".level? == "error""#,
            r#".[0] == "error""#,
            r#"$key == "user-1""#,
            r#".a == "b", .c == "d""#,
            r#"select((.level == "error")"#,
            r#".level != "error""#,
            r#"select(.level == "error" and 1or true)"#,
            r#"select(.level == "error" and .n > 1.0or .urgent)"#,
            r#"select(.level == "error" and 1e3or true)"#,
        ] {
            assert_eq!(of(code), Vec::<String>::new(), "{code}");
        }
    }

    #[test]
    fn rules_out_only_values_without_the_needle_and_without_a_backslash() {
        let needles = Needles::of(r#"select(.level == "error" and .amount > 500)"#);
        assert!(needles.rules_out(br#"{"level":"info","amount":900}"#));
        assert!(!needles.rules_out(br#"{"level":"error","amount":900}"#));
        // The same text spelled with an escape: jq must decide.
        assert!(!needles.rules_out(br#"{"level":"\u0065rror","amount":900}"#));
        // Not JSON: `.level` of a string is an error, so no match either way.
        assert!(needles.rules_out(b"plain text"));
        assert!(!Needles::of(".amount > 500").rules_out(b"plain text"));
    }
}
