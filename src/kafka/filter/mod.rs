//! Record filters: plain text, a regex, or a jq expression.
//!
//! - `text` (anything else): case-insensitive substring of key, value or a header;
//! - `/regex/` or `re:regex`: a regex over the same;
//! - either one after `key:`, `value:` or `headers:` looks only at that field
//!   (`key:user-42`, `value:/time(out)?/`, `headers:trace`);
//! - `.expr`, `select(…)`, `$var…` or `jq:expr`: a jq program (via jaq); the record
//!   matches when any output is truthy (not `null`, not `false`). `.` is the value (decoded through its schema when framed) parsed
//!   as JSON, else (not JSON, or nested deeper than 256 levels) the value as a string (`null` for a tombstone); `$key` (a string or
//!   null), `$headers` (an object of name → string), `$partition`, `$offset` and
//!   `$timestamp` (ms, or null) are bound.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use regex::bytes::{Regex, RegexBuilder};

use crate::kafka::model::Record;
use crate::schema::json_text::nesting_exceeds;

mod pool;
mod prefilter;
pub use pool::{FilterPool, Out, Wants};

/// Values nested deeper than this are not parsed for jq (see [`JqProgram::matches`]).
pub const MAX_JQ_DEPTH: usize = 256;

/// The variables a jq filter sees beside `.`, in the order they are bound.
const JQ_VARS: [&str; 5] = ["$key", "$headers", "$partition", "$offset", "$timestamp"];

/// A compiled jq program.
pub struct JqProgram {
    filter: jaq_core::Filter<data::JustLut<Val>>,
    /// Whether the program names `$key` / `$headers` (building them costs allocations,
    /// so records are spared it when the program cannot read them).
    uses_key: bool,
    uses_headers: bool,
    /// Bytes the value must hold for the program to possibly match (see `prefilter`).
    needles: prefilter::Needles,
}

impl std::fmt::Debug for JqProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JqProgram")
    }
}

/// Which part of a record a text or regex filter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Key, value, header names and header values.
    Any,
    Key,
    Value,
    /// Header names and values.
    Headers,
}

#[derive(Debug)]
pub enum RecordFilter {
    Text(Field, Regex),
    Regex(Field, Regex),
    Jq(JqProgram),
}

impl RecordFilter {
    /// Parses a filter; `Ok(None)` for an empty expression. Errors say what is wrong and where.
    pub fn parse(expr: &str) -> Result<Option<Self>, String> {
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if let Some(program) = trimmed.strip_prefix("jq:") {
            return compile_jq(program).map(|p| Some(Self::Jq(p)));
        }
        if trimmed.starts_with('.') || trimmed.starts_with("select(") || trimmed.starts_with('$') {
            return compile_jq(trimmed).map(|p| Some(Self::Jq(p)));
        }
        let (field, rest) = [
            ("key:", Field::Key),
            ("value:", Field::Value),
            ("headers:", Field::Headers),
        ]
        .into_iter()
        .find_map(|(prefix, field)| trimmed.strip_prefix(prefix).map(|rest| (field, rest)))
        .unwrap_or((Field::Any, trimmed));
        if field != Field::Any && rest.is_empty() {
            return Err(format!("{trimmed:?}: say what to look for after the colon"));
        }
        if let Some(pattern) = rest
            .strip_prefix("re:")
            .or_else(|| rest.strip_prefix('/').and_then(|r| r.strip_suffix('/')))
        {
            return RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .map(|r| Some(Self::Regex(field, r)))
                .map_err(|e| format!("regex: {e}"));
        }
        RegexBuilder::new(&regex::escape(rest))
            .case_insensitive(true)
            .build()
            .map(|r| Some(Self::Text(field, r)))
            .map_err(|e| format!("text: {e}"))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text(..) => "text",
            Self::Regex(..) => "regex",
            Self::Jq(_) => "jq",
        }
    }

    /// Whether running this filter parses the record's value as JSON.
    pub fn parses_json(&self) -> bool {
        matches!(self, Self::Jq(_))
    }

    pub fn matches(&self, record: &Record) -> bool {
        match self {
            Self::Text(field, re) | Self::Regex(field, re) => {
                let key = || record.key_seen().is_some_and(|k| re.is_match(k));
                let value = || record.value_seen().is_some_and(|v| re.is_match(v));
                let headers = || {
                    record.headers.iter().any(|h| {
                        re.is_match(h.name.as_bytes())
                            || h.value.as_deref().is_some_and(|v| re.is_match(v))
                    })
                };
                match field {
                    Field::Any => key() || value() || headers(),
                    Field::Key => key(),
                    Field::Value => value(),
                    Field::Headers => headers(),
                }
            }
            Self::Jq(program) => program.matches(record),
        }
    }
}

/// A string value for jq: the bytes as they are (jaq keeps invalid UTF-8 as is).
fn jq_string(bytes: &[u8]) -> Val {
    Val::utf8_str(bytes.to_vec())
}

impl JqProgram {
    /// Whether the program yields a truthy value for this record.
    pub fn matches(&self, record: &Record) -> bool {
        if record
            .value_seen()
            .is_some_and(|value| self.needles.rules_out(value))
        {
            return false;
        }
        let input = match record.value_seen() {
            None => Val::Null,
            // jaq's parser recurses once per level: a value nested deeper than this would
            // overflow the stack, so it is seen as a string (as text that is not JSON is).
            Some(value) if nesting_exceeds(value, MAX_JQ_DEPTH) => jq_string(value),
            Some(value) => jaq_json::read::parse_single(value).unwrap_or_else(|_| jq_string(value)),
        };
        let key = match record.key_seen() {
            Some(key) if self.uses_key => jq_string(key),
            _ => Val::Null,
        };
        let headers = if self.uses_headers {
            let mut map = jaq_json::Map::default();
            for header in &record.headers {
                let value = header.value.as_deref().map_or(Val::Null, jq_string);
                map.insert(Val::utf8_str(header.name.clone().into_bytes()), value);
            }
            Val::obj(map)
        } else {
            Val::Null
        };
        let number = |n: i64| isize::try_from(n).map_or(Val::Null, Val::from);
        let vars = [
            key,
            headers,
            number(i64::from(record.partition)),
            number(record.offset),
            record.timestamp.map_or(Val::Null, number),
        ];
        self.run(input, vars)
    }

    fn run(&self, input: Val, vars: [Val; 5]) -> bool {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new(vars));
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
        .with_global_vars(JQ_VARS)
        .compile(modules)
        .map_err(|errors| {
            let messages: Vec<String> = errors
                .into_iter()
                .flat_map(|(_, items)| items)
                .map(|(name, undefined)| format!("undefined {} {name}", undefined.as_str()))
                .collect();
            format!("jq: {}", messages.join("; "))
        })?;
    Ok(JqProgram {
        filter,
        uses_key: code.contains("$key"),
        uses_headers: code.contains("$headers"),
        needles: prefilter::Needles::of(code),
    })
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
            schemas: None,
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
    fn jq_sees_a_value_that_is_not_json_as_a_string_and_a_tombstone_as_null() {
        let r = record("k", b"plain text, not json");
        assert!(filter(r#". == "plain text, not json""#).matches(&r));
        assert!(filter(r#"jq:test("not json")"#).matches(&r));
        let mut tombstone = record("k", b"");
        tombstone.value = None;
        assert!(filter(". == null").matches(&tombstone));
        assert!(!filter(".a").matches(&tombstone));
    }

    #[test]
    fn jq_sees_key_headers_partition_offset_and_timestamp() {
        let mut r = record("user-42", br#"{"amount":600}"#);
        r.partition = 3;
        r.offset = 1234;
        r.timestamp = Some(1_700_000_000_000);
        assert!(filter(r#"$key == "user-42""#).matches(&r));
        assert!(filter(r#"select($key | startswith("user-")) | .amount > 500"#).matches(&r));
        assert!(filter(r#"$headers["trace-id"] == "ABC123""#).matches(&r));
        assert!(!filter(r#"$headers["missing"] != null"#).matches(&r));
        assert!(filter("$partition == 3 and $offset == 1234").matches(&r));
        assert!(filter("$timestamp >= 1700000000000").matches(&r));
        assert!(filter("jq:$offset > 1000").matches(&r));
        r.key = None;
        r.timestamp = None;
        assert!(filter("$key == null and $timestamp == null").matches(&r));
        assert!(
            RecordFilter::parse("$nosuch == 1")
                .unwrap_err()
                .contains("undefined")
        );
    }

    #[test]
    fn text_and_regex_filters_can_name_their_field() {
        let r = record("user-1", br#"{"level":"ERROR"}"#);
        assert!(filter("key:user").matches(&r));
        assert!(!filter("key:error").matches(&r));
        assert!(filter("value:error").matches(&r));
        assert!(!filter("value:abc123").matches(&r));
        assert!(filter("headers:abc123").matches(&r));
        assert!(filter("headers:trace-id").matches(&r));
        assert!(!filter("headers:user").matches(&r));
        assert!(filter(r"key:/^user-\d$/").matches(&r));
        assert!(filter("value:re:LEVEL|ERROR").matches(&r));
        assert!(!filter("key:re:^1").matches(&r));
        assert_eq!(filter("key:/x/").kind(), "regex");
        assert!(
            RecordFilter::parse("key:")
                .unwrap_err()
                .contains("after the colon")
        );
    }

    #[test]
    fn invalid_jq_says_what_and_where() {
        let error = RecordFilter::parse(".user.id ==").unwrap_err();
        assert!(error.starts_with("jq:"), "{error}");
        let error = RecordFilter::parse(".a | nosuchfn").unwrap_err();
        assert!(error.contains("undefined filter nosuchfn"), "{error}");
        assert!(RecordFilter::parse("  ").unwrap().is_none());
    }

    /// The prefilter never rules out a record jq matches: every program of a set (with
    /// and without needles, and some that must give none) over every value of a set.
    #[test]
    fn the_prefilter_never_rules_out_a_match() {
        let programs = [
            r#"select(.level == "error" and .amount > 500)"#,
            r#".level == "error""#,
            r#""error" == .level"#,
            r#"select(.level == "error" and 1or true)"#,
            r#"select(.level == "error" or .amount > 500)"#,
            r#"select(.a.b == "x" and .c == "y")"#,
            r#"select(.level == "error") | .amount > 1"#,
            r#".level == "Zoë""#,
            r#"select(.and == "x" and .or == "y")"#,
            r#"select((.level == "error") and .amount > 1)"#,
        ];
        let values: [&[u8]; 12] = [
            br#"{"level":"error","amount":900}"#,
            br#"{"level":"info","amount":900}"#,
            br#"{"level":"\u0065rror","amount":900}"#,
            br#"{"a":{"b":"x"},"c":"y"}"#,
            br#"{"a":{"b":"x"},"c":"z"}"#,
            br#"{"and":"x","or":"y"}"#,
            r#"{"level":"Zoë"}"#.as_bytes(),
            br#"{"level":"Zo\u00eb"}"#,
            br#"{"level":"error"}"#,
            b"error",
            b"not json at all",
            br#"[1, 2, "error"]"#,
        ];
        for code in programs {
            let parsed = RecordFilter::parse(&format!("jq:{code}")).unwrap().unwrap();
            let RecordFilter::Jq(program) = parsed else {
                panic!("{code} is jq");
            };
            let unfiltered = compile_jq(code).unwrap();
            let unfiltered = JqProgram {
                needles: prefilter::Needles::default(),
                ..unfiltered
            };
            for value in values {
                let r = record("k", value);
                assert_eq!(
                    program.matches(&r),
                    unfiltered.matches(&r),
                    "{code} on {}",
                    String::from_utf8_lossy(value)
                );
            }
        }
    }
}
