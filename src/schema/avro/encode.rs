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
use num_bigint::BigInt;
use serde_json::Value;

use super::MAX_DEPTH;
use crate::schema::wire::write_zigzag;

/// `value` in `schema`'s binary encoding.
pub(super) fn from_json(
    schema: &Schema,
    names: &HashMap<String, Schema>,
    value: &Value,
) -> Result<Vec<u8>, String> {
    let mut encoder = Encoder {
        names,
        path: Vec::new(),
        out: Vec::with_capacity(64),
    };
    encoder.value(schema, value, 0)?;
    Ok(encoder.out)
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

/// Text of code points U+0000–U+00FF as bytes (Avro's JSON for bytes and fixed).
fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Decimal text (`-12.30`, `5`, `1e3` is refused) as its unscaled integer at `scale`.
fn unscaled(text: &str, scale: usize, precision: usize) -> Result<BigInt, String> {
    if scale > super::decode::MAX_DECIMAL_SCALE {
        return Err(format!(
            "the schema's decimal scale {scale} is more than ktui writes"
        ));
    }
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(format!("{text:?} is not a decimal number"));
    }
    let kept = fraction.trim_end_matches('0');
    if kept.len() > scale {
        return Err(format!(
            "{text} has {} digits after the point; the schema's scale is {scale}",
            kept.len()
        ));
    }
    let mut all = format!("{whole}{fraction}");
    if fraction.len() < scale {
        all.push_str(&"0".repeat(scale - fraction.len()));
    } else {
        all.truncate(all.len() - (fraction.len() - scale));
    }
    let all = all.trim_start_matches('0');
    if all.len() > precision {
        return Err(format!(
            "{text} has {} digits; the schema's precision is {precision}",
            all.len()
        ));
    }
    let n = if all.is_empty() {
        BigInt::from(0)
    } else {
        BigInt::from_str(all).map_err(|e| e.to_string())?
    };
    Ok(if negative { -n } else { n })
}

/// Two's complement big-endian bytes of `n`, sign-extended to `size` when given.
fn decimal_bytes(n: &BigInt, size: Option<usize>) -> Result<Vec<u8>, String> {
    let raw = n.to_signed_bytes_be();
    let Some(size) = size else {
        return Ok(raw);
    };
    if raw.len() > size {
        return Err(format!("{n} does not fit in the schema's {size} bytes"));
    }
    let fill = if n.sign() == num_bigint::Sign::Minus {
        0xff
    } else {
        0
    };
    let mut out = vec![fill; size - raw.len()];
    out.extend_from_slice(&raw);
    Ok(out)
}

fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
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

    /// A union: the branch `{"type": value}` names, else the first branch the value fits.
    fn union(&mut self, variants: &[Schema], value: &Value, depth: usize) -> Result<(), String> {
        if let Value::Object(object) = value
            && object.len() == 1
            && let Some((name, inner)) = object.iter().next()
            && let Some(index) = variants.iter().position(|v| {
                branch_name(v).as_deref() == Some(name.as_str())
                    || branch_short_name(v).as_deref() == Some(name.as_str())
            })
        {
            write_long(&mut self.out, i64::try_from(index).unwrap_or(0));
            return self.value(&variants[index], inner, depth + 1);
        }
        let mut problems = Vec::new();
        for (index, variant) in variants.iter().enumerate() {
            let mark = self.out.len();
            write_long(&mut self.out, i64::try_from(index).unwrap_or(0));
            let depth_of_path = self.path.len();
            match self.value(variant, value, depth + 1) {
                Ok(()) => return Ok(()),
                Err(problem) => {
                    self.out.truncate(mark);
                    self.path.truncate(depth_of_path);
                    problems.push(problem);
                }
            }
        }
        let names: Vec<String> = variants
            .iter()
            .map(|v| branch_name(v).unwrap_or_else(|| "?".into()))
            .collect();
        // The branch that got furthest (its path is the longest) says the most.
        let best = problems
            .iter()
            .max_by_key(|p| p.split(':').next().map_or(0, str::len))
            .cloned()
            .unwrap_or_default();
        if value.is_object() || value.is_array() {
            Err(format!(
                "{best} (the value fits none of the union's branches: {})",
                names.join(", ")
            ))
        } else {
            Err(self.refuse(format!(
                "{} fits none of the union's branches: {}",
                kind(value),
                names.join(", ")
            )))
        }
    }
}

/// A union branch's name in Avro's JSON encoding: the type, or a named type's full name.
fn branch_name(schema: &Schema) -> Option<String> {
    Some(
        match schema {
            Schema::Null => "null",
            Schema::Boolean => "boolean",
            Schema::Int | Schema::Date | Schema::TimeMillis => "int",
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => "long",
            Schema::Float => "float",
            Schema::Double => "double",
            Schema::Bytes | Schema::BigDecimal | Schema::Uuid(UuidSchema::Bytes) => "bytes",
            Schema::String | Schema::Uuid(UuidSchema::String) => "string",
            Schema::Array(_) => "array",
            Schema::Map(_) => "map",
            Schema::Record(r) => return Some(r.name.fullname(None)),
            Schema::Enum(e) => return Some(e.name.fullname(None)),
            Schema::Fixed(f) | Schema::Duration(f) | Schema::Uuid(UuidSchema::Fixed(f)) => {
                return Some(f.name.fullname(None));
            }
            Schema::Decimal(d) => match &d.inner {
                InnerDecimalSchema::Bytes => "bytes",
                InnerDecimalSchema::Fixed(f) => return Some(f.name.fullname(None)),
            },
            Schema::Ref { name } => return Some(name.fullname(None)),
            Schema::Union(_) => return None,
        }
        .to_string(),
    )
}

/// A named branch's name without its namespace.
fn branch_short_name(schema: &Schema) -> Option<String> {
    let full = branch_name(schema)?;
    full.rsplit('.').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_to_unscaled() {
        assert_eq!(unscaled("12.3", 2, 9).unwrap(), BigInt::from(1230));
        assert_eq!(unscaled("-0.05", 2, 9).unwrap(), BigInt::from(-5));
        assert_eq!(unscaled("7", 0, 9).unwrap(), BigInt::from(7));
        assert_eq!(unscaled("1.500", 1, 9).unwrap(), BigInt::from(15));
        assert!(unscaled("1.234", 2, 9).unwrap_err().contains("scale is 2"));
        assert!(
            unscaled("123456", 0, 5)
                .unwrap_err()
                .contains("precision is 5")
        );
        assert!(unscaled("1e3", 0, 9).is_err());
        assert!(unscaled("", 0, 9).is_err());
        assert_eq!(
            decimal_bytes(&BigInt::from(-105), Some(4)).unwrap(),
            [0xff, 0xff, 0xff, 0x97]
        );
        assert!(decimal_bytes(&BigInt::from(70000), Some(2)).is_err());
    }
}
