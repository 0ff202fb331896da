//! Record filters: plain text, a regex, or a jq expression over the JSON value.
//!
//! - `text` (anything else): case-insensitive substring of key, value or a header;
//! - `/regex/` or `re:regex`: a regex over the same;
//! - `.expr`, `select(…)` or `jq:expr`: a jq program (via jaq) run on the value parsed as
//!   JSON; the record matches when any output is truthy (not `null`, not `false`).
//!   Values that are not JSON never match a jq filter.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use regex::bytes::{Regex, RegexBuilder};

use crate::kafka::model::Record;

/// A compiled jq program.
pub struct JqProgram {
    filter: jaq_core::Filter<data::JustLut<Val>>,
}

impl std::fmt::Debug for JqProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JqProgram")
    }
}

#[derive(Debug)]
pub enum RecordFilter {
    Text(Regex),
    Regex(Regex),
    Jq(JqProgram),
}

impl RecordFilter {
    /// Parses a filter; `Ok(None)` for an empty expression. Errors say what is wrong and where.
    pub fn parse(expr: &str) -> Result<Option<Self>, String> {
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if let Some(pattern) = trimmed
            .strip_prefix("re:")
            .or_else(|| trimmed.strip_prefix('/').and_then(|r| r.strip_suffix('/')))
        {
            return RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map(|r| Some(Self::Regex(r)))
                .map_err(|e| format!("regex: {e}"));
        }
        if let Some(program) = trimmed.strip_prefix("jq:") {
            return compile_jq(program).map(|p| Some(Self::Jq(p)));
        }
        if trimmed.starts_with('.') || trimmed.starts_with("select(") {
            return compile_jq(trimmed).map(|p| Some(Self::Jq(p)));
        }
        RegexBuilder::new(&regex::escape(trimmed))
            .case_insensitive(true)
            .build()
            .map(|r| Some(Self::Text(r)))
            .map_err(|e| format!("text: {e}"))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Regex(_) => "regex",
            Self::Jq(_) => "jq",
        }
    }

    pub fn matches(&self, record: &Record) -> bool {
        match self {
            Self::Text(re) | Self::Regex(re) => {
                record.key.as_deref().is_some_and(|k| re.is_match(k))
                    || record.value.as_deref().is_some_and(|v| re.is_match(v))
                    || record.headers.iter().any(|h| {
                        re.is_match(h.name.as_bytes())
                            || h.value.as_deref().is_some_and(|v| re.is_match(v))
                    })
            }
            Self::Jq(program) => record
                .value
                .as_deref()
                .is_some_and(|value| program.matches_json(value)),
        }
    }
}

impl JqProgram {
    /// Whether the program yields a truthy value for this JSON document.
    pub fn matches_json(&self, json: &[u8]) -> bool {
        let Ok(input) = jaq_json::read::parse_single(json) else {
            return false;
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, input))
            .map(unwrap_valr)
            .take(64)
            .any(|out| out.is_ok_and(|v| jaq_core::ValT::as_bool(&v)))
    }
}

/// Where in `code` the substring `at` starts, as a 1-based column.
fn column(code: &str, at: &str) -> usize {
    let start = code.as_ptr() as usize;
    let here = at.as_ptr() as usize;
    if here >= start && here <= start + code.len() {
        code[..here - start].chars().count() + 1
    } else {
        1
    }
}

fn compile_jq(code: &str) -> Result<JqProgram, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errors| {
            let mut messages = Vec::new();
            let at = |expect: &str, rest: &str| {
                format!("expected {expect} at column {}", column(code, rest))
            };
            for (_, error) in errors {
                match error {
                    jaq_core::load::Error::Io(items) => {
                        messages.extend(items.into_iter().map(|(_, m)| m));
                    }
                    jaq_core::load::Error::Lex(items) => {
                        messages.extend(items.into_iter().map(|(e, rest)| at(e.as_str(), rest)));
                    }
                    jaq_core::load::Error::Parse(items) => {
                        messages.extend(items.into_iter().map(|(e, rest)| at(e.as_str(), rest)));
                    }
                }
            }
            format!("jq: {}", messages.join("; "))
        })?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errors| {
            let messages: Vec<String> = errors
                .into_iter()
                .flat_map(|(_, items)| items)
                .map(|(name, undefined)| format!("undefined {} {name}", undefined.as_str()))
                .collect();
            format!("jq: {}", messages.join("; "))
        })?;
    Ok(JqProgram { filter })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::model::{Header, TimestampKind};

    fn record(key: &str, value: &[u8]) -> Record {
        Record {
            partition: 0,
            offset: 0,
            timestamp: None,
            timestamp_kind: TimestampKind::NotAvailable,
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.to_vec()),
            headers: vec![Header {
                name: "trace-id".into(),
                value: Some(b"ABC123".to_vec()),
            }],
        }
    }

    fn filter(expr: &str) -> RecordFilter {
        RecordFilter::parse(expr).unwrap().unwrap()
    }

    #[test]
    fn text_matches_key_value_and_headers_case_insensitively() {
        let r = record("user-1", br#"{"level":"ERROR"}"#);
        assert!(filter("error").matches(&r));
        assert!(filter("USER-1").matches(&r));
        assert!(filter("abc123").matches(&r));
        assert!(!filter("nothing").matches(&r));
        assert_eq!(filter("error").kind(), "text");
        // Regex metacharacters in plain text are literal.
        assert!(!filter("u.er").matches(&r));
    }

    #[test]
    fn regex_filters() {
        let r = record("user-42", b"payment declined");
        assert!(filter("/user-\\d+/").matches(&r));
        assert!(filter("re:^pay").matches(&r));
        assert!(!filter("re:^declined").matches(&r));
        assert!(
            RecordFilter::parse("re:(unclosed")
                .unwrap_err()
                .starts_with("regex:")
        );
    }

    #[test]
    fn jq_filters_are_truthy_tests_over_the_json_value() {
        let r = record("k", br#"{"user":{"id":42},"level":"error"}"#);
        assert!(filter(".user.id == 42").matches(&r));
        assert!(!filter(".user.id == 7").matches(&r));
        assert!(filter(r#"select(.level=="error")"#).matches(&r));
        assert!(!filter(r#"select(.level=="info")"#).matches(&r));
        assert!(filter("jq:.user").matches(&r));
        assert!(!filter(".missing").matches(&r), "null is falsy");
        assert!(!filter(".user.id == 42").matches(&record("k", b"not json")));
        assert_eq!(filter(".a").kind(), "jq");
    }

    #[test]
    fn invalid_jq_says_what_and_where() {
        let error = RecordFilter::parse(".user.id ==").unwrap_err();
        assert!(error.starts_with("jq:"), "{error}");
        let error = RecordFilter::parse(".a | nosuchfn").unwrap_err();
        assert!(error.contains("undefined filter nosuchfn"), "{error}");
        assert!(RecordFilter::parse("  ").unwrap().is_none());
    }
}
