//! JSON to Avro binary: the JSON the decoder writes is accepted back (unions as the plain
//! value, decimals as text, timestamps as RFC 3339, bytes as U+0000–U+00FF text), and so
//! is Avro's own JSON encoding where it differs (a union branch as `{"type": value}`,
//! numbers for logical types). Every refusal names the path of the offending field
//! (`.lines[2].qty: expected an int, got "x"`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr as _;

use apache_avro::Schema;
use apache_avro::schema::{InnerDecimalSchema, UuidSchema};
use serde_json::Value;

use super::MAX_DEPTH;
use crate::schema::wire::write_zigzag;

mod union;
mod values;

use values::{decimal_bytes, latin1, unscaled, uuid_bytes};

/// `value` in `schema`'s binary encoding.
pub(super) fn from_json(
    schema: &Schema,
    names: &HashMap<String, Schema>,
    value: &Value,
) -> Result<Vec<u8>, String> {
    let budget = STEPS_PER_NODE
        .saturating_mul(nodes(value))
        .saturating_add(STEPS_BASE);
    let mut encoder = Encoder {
        names,
        path: Vec::new(),
        out: Vec::with_capacity(64),
        steps: 0,
        budget,
    };
    match encoder.value(schema, value, 0) {
        Ok(()) => Ok(encoder.out),
        // Out of steps: said plainly, not as the union branch that happened to fail last.
        Err(_) if encoder.steps > budget => Err(format!(
            "the value is too costly to match against the schema's unions (more than {budget} \
             steps); name each union's branch as Avro's JSON does ({{\"Type\": value}})"
        )),
        Err(why) => Err(why),
    }
}

/// Steps allowed per JSON node, and in all beside: a union is matched by trying its
/// branches, and unions of records nested in each other could otherwise take steps
/// exponential in the depth (typed into Compose, or a line given to `ktui produce`).
const STEPS_PER_NODE: usize = 64;
const STEPS_BASE: usize = 250_000;

/// The JSON nodes in `value` (without recursion: the nesting is not bounded yet).
fn nodes(value: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        count += 1;
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// A step of the path to a field.
enum Step {
    Field(String),
    Index(usize),
    Key(String),
}

struct Encoder<'a> {
    names: &'a HashMap<String, Schema>,
    path: Vec<Step>,
    out: Vec<u8>,
    /// Values visited, against `budget`.
    steps: usize,
    budget: usize,
}

/// What a JSON value is, in words.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let more = if shown.len() < s.len() { "…" } else { "" };
            format!("{:?}", format!("{shown}{more}"))
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn write_long(out: &mut Vec<u8>, n: i64) {
    write_zigzag(out, n);
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_long(out, i64::try_from(bytes.len()).unwrap_or(i64::MAX));
    out.extend_from_slice(bytes);
}

impl Encoder<'_> {
    fn here(&self) -> String {
        if self.path.is_empty() {
            return "the value".to_string();
        }
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Field(name) => {
                    let _ = write!(out, ".{name}");
                }
                Step::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
                Step::Key(key) => {
                    let _ = write!(out, "[{key:?}]");
                }
            }
        }
        out
    }

    fn refuse(&self, problem: impl std::fmt::Display) -> String {
        format!("{}: {problem}", self.here())
    }

    fn expected(&self, what: &str, value: &Value) -> String {
        self.refuse(format!("expected {what}, got {}", kind(value)))
    }

    fn integer(&self, value: &Value, what: &str) -> Result<i64, String> {
        value.as_i64().ok_or_else(|| self.expected(what, value))
    }

    /// A logical type given as text (`parse`) or as its underlying number.
    fn text_or_number(
        &self,
        value: &Value,
        what: &str,
        parse: impl Fn(&str) -> Option<i64>,
    ) -> Result<i64, String> {
        match value {
            Value::String(text) => parse(text).ok_or_else(|| self.expected(what, value)),
            _ => self.integer(value, what),
        }
    }

    #[allow(clippy::too_many_lines)] // one arm per Avro type
    fn value(&mut self, schema: &Schema, value: &Value, depth: usize) -> Result<(), String> {
        self.steps += 1;
        if self.steps > self.budget {
            return Err("out of steps".into());
        }
        if depth > MAX_DEPTH {
            return Err(self.refuse(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match schema {
            Schema::Null => {
                if !value.is_null() {
                    return Err(self.expected("null", value));
                }
            }
            Schema::Boolean => {
                let b = value
                    .as_bool()
                    .ok_or_else(|| self.expected("true or false", value))?;
                self.out.push(u8::from(b));
            }
            Schema::Int => {
                let n = self.integer(value, "an int")?;
                let n = i32::try_from(n)
                    .map_err(|_| self.refuse(format!("{n} is out of an int's range")))?;
                write_long(&mut self.out, i64::from(n));
            }
            Schema::Long => {
                let n = self.integer(value, "a long")?;
                write_long(&mut self.out, n);
            }
            Schema::Float | Schema::Double => {
                let x = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => match s.as_str() {
                        "NaN" => Some(f64::NAN),
                        "Infinity" => Some(f64::INFINITY),
                        "-Infinity" => Some(f64::NEG_INFINITY),
                        _ => None,
                    },
                    _ => None,
                }
                .ok_or_else(|| self.expected("a number", value))?;
                if matches!(schema, Schema::Float) {
                    self.out.extend_from_slice(&(x as f32).to_le_bytes());
                } else {
                    self.out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) => {
                let bytes = value
                    .as_str()
                    .and_then(latin1)
                    .ok_or_else(|| self.expected("bytes (text of U+0000–U+00FF)", value))?;
                write_bytes(&mut self.out, &bytes);
            }
            Schema::String => {
                let text = value
                    .as_str()
                    .ok_or_else(|| self.expected("a string", value))?;
                write_bytes(&mut self.out, text.as_bytes());
            }
            Schema::Uuid(UuidSchema::String) => {
                let text = value
                    .as_str()
                    .filter(|t| uuid_bytes(t).is_some())
                    .ok_or_else(|| self.expected("a uuid", value))?;
                write_bytes(&mut self.out, text.as_bytes());
            }
            Schema::Uuid(UuidSchema::Fixed(_)) => {
                let bytes = value
                    .as_str()
                    .and_then(uuid_bytes)
                    .ok_or_else(|| self.expected("a uuid", value))?;
                self.out.extend_from_slice(&bytes);
            }
            Schema::Fixed(fixed) => {
                let bytes = value
                    .as_str()
                    .and_then(latin1)
                    .ok_or_else(|| self.expected("fixed bytes (text of U+0000–U+00FF)", value))?;
                if bytes.len() != fixed.size {
                    return Err(self.refuse(format!(
                        "{} bytes where {} takes exactly {}",
                        bytes.len(),
                        fixed.name.fullname(None),
                        fixed.size
                    )));
                }
                self.out.extend_from_slice(&bytes);
            }
            Schema::Enum(e) => {
                let symbol = value
                    .as_str()
                    .ok_or_else(|| self.expected("a symbol", value))?;
                let index = e.symbols.iter().position(|s| s == symbol).ok_or_else(|| {
                    self.refuse(format!(
                        "{symbol:?} is not a symbol of {} ({})",
                        e.name.fullname(None),
                        e.symbols.join(", ")
                    ))
                })?;
                write_long(&mut self.out, i64::try_from(index).unwrap_or(0));
            }
            Schema::Array(array) => {
                let items = value
                    .as_array()
                    .ok_or_else(|| self.expected("an array", value))?;
                if !items.is_empty() {
                    write_long(&mut self.out, i64::try_from(items.len()).unwrap_or(0));
                    for (i, item) in items.iter().enumerate() {
                        self.path.push(Step::Index(i));
                        self.value(&array.items, item, depth + 1)?;
                        self.path.pop();
                    }
                }
                self.out.push(0);
            }
            Schema::Map(map) => {
                let entries = value
                    .as_object()
                    .ok_or_else(|| self.expected("an object (a map)", value))?;
                if !entries.is_empty() {
                    write_long(&mut self.out, i64::try_from(entries.len()).unwrap_or(0));
                    for (key, item) in entries {
                        write_bytes(&mut self.out, key.as_bytes());
                        self.path.push(Step::Key(key.clone()));
                        self.value(&map.types, item, depth + 1)?;
                        self.path.pop();
                    }
                }
                self.out.push(0);
            }
            Schema::Record(record) => {
                let object = value.as_object().ok_or_else(|| {
                    self.expected(
                        &format!("an object ({})", record.name.fullname(None)),
                        value,
                    )
                })?;
                // (Aliases are for reading old data; a value names the fields as they are.)
                if let Some(unknown) = object
                    .keys()
                    .find(|k| !record.fields.iter().any(|f| f.name == **k))
                {
                    let fields: Vec<&str> = record.fields.iter().map(|f| f.name.as_str()).collect();
                    return Err(self.refuse(format!(
                        "{} has no field {unknown:?} (its fields: {})",
                        record.name.fullname(None),
                        fields.join(", ")
                    )));
                }
                for field in &record.fields {
                    self.path.push(Step::Field(field.name.clone()));
                    match (object.get(&field.name), &field.default) {
                        (Some(item), _) => self.value(&field.schema, item, depth + 1)?,
                        (None, Some(default)) => self.value(&field.schema, default, depth + 1)?,
                        (None, None) => {
                            return Err(self.refuse("missing (the field has no default)"));
                        }
                    }
                    self.path.pop();
                }
            }
            Schema::Union(union) => self.union(union.variants(), value, depth)?,
            Schema::Decimal(decimal) => {
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(self.expected("a decimal (\"12.30\")", value)),
                };
                let n = unscaled(&text, decimal.scale, decimal.precision.max(1))
                    .map_err(|e| self.refuse(e))?;
                match &decimal.inner {
                    InnerDecimalSchema::Bytes => {
                        let bytes = decimal_bytes(&n, None).map_err(|e| self.refuse(e))?;
                        write_bytes(&mut self.out, &bytes);
                    }
                    InnerDecimalSchema::Fixed(fixed) => {
                        let bytes =
                            decimal_bytes(&n, Some(fixed.size)).map_err(|e| self.refuse(e))?;
                        self.out.extend_from_slice(&bytes);
                    }
                }
            }
            Schema::BigDecimal => {
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(self.expected("a decimal (\"12.30\")", value)),
                };
                let scale = text.split_once('.').map_or(0, |(_, f)| f.len());
                let n = unscaled(&text, scale, usize::MAX).map_err(|e| self.refuse(e))?;
                let mut inner = Vec::new();
                write_bytes(&mut inner, &n.to_signed_bytes_be());
                write_long(&mut inner, i64::try_from(scale).unwrap_or(0));
                write_bytes(&mut self.out, &inner);
            }
            Schema::Date => {
                let days = self.text_or_number(value, "a date (\"2024-05-01\")", |t| {
                    let date = jiff::civil::Date::from_str(t).ok()?;
                    Some(i64::from((date - jiff::civil::date(1970, 1, 1)).get_days()))
                })?;
                let days =
                    i32::try_from(days).map_err(|_| self.refuse("the date is out of range"))?;
                write_long(&mut self.out, i64::from(days));
            }
            Schema::TimeMillis | Schema::TimeMicros => {
                let micros = matches!(schema, Schema::TimeMicros);
                let n = self.text_or_number(value, "a time of day (\"13:45:00.250\")", |t| {
                    let time = jiff::civil::Time::from_str(t).ok()?;
                    let nanos = (time - jiff::civil::Time::midnight())
                        .total(jiff::Unit::Nanosecond)
                        .ok()? as i64;
                    Some(if micros {
                        nanos / 1_000
                    } else {
                        nanos / 1_000_000
                    })
                })?;
                if micros {
                    write_long(&mut self.out, n);
                } else {
                    let n =
                        i32::try_from(n).map_err(|_| self.refuse("the time is out of range"))?;
                    write_long(&mut self.out, i64::from(n));
                }
            }
            Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                let per_second: i128 = match schema {
                    Schema::TimestampMillis | Schema::LocalTimestampMillis => 1_000,
                    Schema::TimestampMicros | Schema::LocalTimestampMicros => 1_000_000,
                    _ => 1_000_000_000,
                };
                let n = self.text_or_number(
                    value,
                    "a timestamp (\"2024-05-01T13:45:00.250Z\")",
                    |t| {
                        let nanos = jiff::Timestamp::from_str(t)
                            .ok()
                            .map(jiff::Timestamp::as_nanosecond)
                            .or_else(|| {
                                // A local timestamp has no offset: read it as UTC.
                                let civil = jiff::civil::DateTime::from_str(t).ok()?;
                                Some(
                                    civil
                                        .to_zoned(jiff::tz::TimeZone::UTC)
                                        .ok()?
                                        .timestamp()
                                        .as_nanosecond(),
                                )
                            })?;
                        i64::try_from(nanos.div_euclid(1_000_000_000 / per_second)).ok()
                    },
                )?;
                write_long(&mut self.out, n);
            }
            Schema::Duration(_) => {
                let object = value
                    .as_object()
                    .ok_or_else(|| self.expected("{\"months\", \"days\", \"millis\"}", value))?;
                for part in ["months", "days", "millis"] {
                    let n = object
                        .get(part)
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            self.refuse(format!("a duration needs {part} (0 to 4294967295)"))
                        })?;
                    self.out.extend_from_slice(&n.to_le_bytes());
                }
            }
            Schema::Ref { name } => {
                let full = name.fullname(None);
                let names = self.names;
                let target = names.get(&full).ok_or_else(|| {
                    self.refuse(format!("the schema names {full} but does not define it"))
                })?;
                self.value(target, value, depth)?;
            }
        }
        Ok(())
    }
}
