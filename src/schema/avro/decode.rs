//! Avro binary to JSON text (see the module's docs for why this is not apache-avro's
//! reader, and for the JSON each type becomes).

use std::collections::HashMap;
use std::fmt::Write as _;

use apache_avro::Schema;
use apache_avro::schema::{InnerDecimalSchema, UuidSchema};

use super::MAX_DEPTH;
use crate::schema::wire::{VarintError, read_zigzag_at};

/// One record's bytes as JSON text; every byte must be used.
pub(super) fn to_json(
    schema: &Schema,
    names: &HashMap<String, Schema>,
    bytes: &[u8],
) -> Result<String, String> {
    let mut decoder = Decoder {
        names,
        bytes,
        at: 0,
        budget: bytes.len().saturating_mul(16).saturating_add(10_000),
        out: String::with_capacity(bytes.len() * 2 + 16),
    };
    decoder.value(schema, 0)?;
    if decoder.at != bytes.len() {
        let left = bytes.len() - decoder.at;
        return Err(format!(
            "{left} byte{} left over after the record: it was written with another schema",
            if left == 1 { "" } else { "s" }
        ));
    }
    Ok(decoder.out)
}

struct Decoder<'a> {
    names: &'a HashMap<String, Schema>,
    bytes: &'a [u8],
    at: usize,
    /// Values still allowed: a count of items cannot make more values than the record's
    /// size can hold (an array of a billion nulls in ten bytes is corrupt).
    budget: usize,
    out: String,
}

impl Decoder<'_> {
    fn cut(&self) -> String {
        format!("the record is cut short at byte {}", self.at)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.cut())?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn long(&mut self) -> Result<i64, String> {
        read_zigzag_at(self.bytes, &mut self.at).map_err(|e| match e {
            VarintError::Cut => self.cut(),
            VarintError::TooLong => format!("a number longer than 10 bytes at byte {}", self.at),
        })
    }

    fn int(&mut self) -> Result<i32, String> {
        let at = self.at;
        let n = self.long()?;
        i32::try_from(n).map_err(|_| format!("an int out of range ({n}) at byte {at}"))
    }

    fn len(&mut self) -> Result<usize, String> {
        let at = self.at;
        let n = self.long()?;
        usize::try_from(n).map_err(|_| format!("a negative length ({n}) at byte {at}"))
    }

    fn bytes_value(&mut self) -> Result<&[u8], String> {
        let n = self.len()?;
        self.take(n)
    }

    fn spend(&mut self) -> Result<(), String> {
        self.budget = self.budget.checked_sub(1).ok_or_else(|| {
            "more values than the record's size can hold: it was written with another schema"
                .to_string()
        })?;
        // The JSON grows with what a few bytes can say (a null costs none, a field's name
        // is not in the bytes): bounded too, generously.
        if self.out.len() > self.bytes.len().saturating_mul(64).saturating_add(1 << 20) {
            return Err(format!(
                "its JSON would be more than 64 times its {} bytes: it was written with another schema",
                self.bytes.len()
            ));
        }
        Ok(())
    }

    fn string(&mut self, text: &str) {
        let _ = serde_json::to_writer(StringWriter(&mut self.out), text);
    }

    #[allow(clippy::too_many_lines)] // one arm per Avro type
    fn value(&mut self, schema: &Schema, depth: usize) -> Result<(), String> {
        self.spend()?;
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        match schema {
            Schema::Null => self.out.push_str("null"),
            Schema::Boolean => {
                let at = self.at;
                match self.take(1)?[0] {
                    0 => self.out.push_str("false"),
                    1 => self.out.push_str("true"),
                    b => return Err(format!("a boolean byte {b} at byte {at}")),
                }
            }
            Schema::Int => {
                let n = self.int()?;
                let _ = write!(self.out, "{n}");
            }
            Schema::Long => {
                let n = self.long()?;
                let _ = write!(self.out, "{n}");
            }
            Schema::Float => {
                let raw = self.take(4)?;
                let x = f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                self.float(f64::from(x), serde_json::to_string(&x).ok().as_deref());
            }
            Schema::Double => {
                let raw = self.take(8)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(raw);
                let x = f64::from_le_bytes(b);
                self.float(x, serde_json::to_string(&x).ok().as_deref());
            }
            Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) => {
                let raw = self.bytes_value()?.to_vec();
                self.latin1(&raw);
            }
            Schema::Fixed(fixed) => {
                let raw = self.take(fixed.size)?.to_vec();
                self.latin1(&raw);
            }
            Schema::String | Schema::Uuid(UuidSchema::String) => {
                let at = self.at;
                let raw = self.bytes_value()?;
                let text = std::str::from_utf8(raw)
                    .map_err(|_| format!("a string that is not UTF-8 at byte {at}"))?
                    .to_string();
                self.string(&text);
            }
            Schema::Uuid(UuidSchema::Fixed(fixed)) => {
                let raw = self.take(fixed.size)?;
                let text = uuid_text(raw);
                self.string(&text);
            }
            Schema::Duration(_) => {
                let raw = self.take(12)?;
                let part =
                    |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
                let (months, days, millis) = (part(0), part(4), part(8));
                let _ = write!(
                    self.out,
                    r#"{{"months":{months},"days":{days},"millis":{millis}}}"#
                );
            }
            Schema::Array(array) => {
                self.out.push('[');
                self.blocks(|d| d.value(&array.items, depth + 1))?;
                self.out.push(']');
            }
            Schema::Map(map) => {
                self.out.push('{');
                self.blocks(|d| {
                    let at = d.at;
                    let key = std::str::from_utf8(d.bytes_value()?)
                        .map_err(|_| format!("a map key that is not UTF-8 at byte {at}"))?
                        .to_string();
                    d.string(&key);
                    d.out.push(':');
                    d.value(&map.types, depth + 1)
                })?;
                self.out.push('}');
            }
            Schema::Union(union) => {
                let at = self.at;
                let branch = self.long()?;
                let variants = union.variants();
                let variant = usize::try_from(branch)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .ok_or_else(|| {
                        format!("union branch {branch} of {} at byte {at}", variants.len())
                    })?;
                self.value(variant, depth + 1)?;
            }
            Schema::Record(record) => {
                self.out.push('{');
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(&field.name);
                    self.out.push(':');
                    self.value(&field.schema, depth + 1)?;
                }
                self.out.push('}');
            }
            Schema::Enum(e) => {
                let at = self.at;
                let index = self.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| e.symbols.get(i))
                    .ok_or_else(|| {
                        format!("enum symbol {index} of {} at byte {at}", e.symbols.len())
                    })?
                    .clone();
                self.string(&symbol);
            }
            Schema::Decimal(decimal) => {
                let raw = match &decimal.inner {
                    InnerDecimalSchema::Bytes => self.bytes_value()?.to_vec(),
                    InnerDecimalSchema::Fixed(fixed) => self.take(fixed.size)?.to_vec(),
                };
                let text = decimal_text(&raw, decimal.scale)?;
                self.string(&text);
            }
            Schema::BigDecimal => {
                let raw = self.bytes_value()?.to_vec();
                let mut inner = Decoder {
                    names: self.names,
                    bytes: &raw,
                    at: 0,
                    budget: 4,
                    out: String::new(),
                };
                let unscaled = inner.bytes_value()?.to_vec();
                let scale = inner.long()?;
                let scale = usize::try_from(scale)
                    .map_err(|_| format!("a big-decimal scale of {scale}"))?;
                if inner.at != raw.len() {
                    return Err("bytes left over inside a big-decimal".into());
                }
                let text = decimal_text(&unscaled, scale)?;
                self.string(&text);
            }
            Schema::Date => {
                let days = self.int()?;
                let text = jiff::Span::new()
                    .try_days(i64::from(days))
                    .ok()
                    .and_then(|span| jiff::civil::date(1970, 1, 1).checked_add(span).ok())
                    .map(|d| d.to_string());
                self.text_or_number(text, i64::from(days));
            }
            Schema::TimeMillis => {
                let ms = self.int()?;
                self.time_of_day(i64::from(ms) * 1_000_000, 3, i64::from(ms));
            }
            Schema::TimeMicros => {
                let us = self.long()?;
                self.time_of_day(us.saturating_mul(1_000), 6, us);
            }
            Schema::TimestampMillis | Schema::LocalTimestampMillis => {
                let n = self.long()?;
                self.timestamp(i128::from(n) * 1_000_000, 3, n, schema);
            }
            Schema::TimestampMicros | Schema::LocalTimestampMicros => {
                let n = self.long()?;
                self.timestamp(i128::from(n) * 1_000, 6, n, schema);
            }
            Schema::TimestampNanos | Schema::LocalTimestampNanos => {
                let n = self.long()?;
                self.timestamp(i128::from(n), 9, n, schema);
            }
            Schema::Ref { name } => {
                let full = name.fullname(None);
                let names = self.names;
                let target = names
                    .get(&full)
                    .ok_or_else(|| format!("the schema names {full} but does not define it"))?;
                // A reference is not a level of nesting of its own.
                self.budget += 1;
                self.value(target, depth)?;
            }
        }
        Ok(())
    }

    /// An array's or map's items, block after block, comma-separated: `item` writes one.
    fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut first = true;
        loop {
            let count = self.block_count()?;
            if count == 0 {
                return Ok(());
            }
            for _ in 0..count {
                if !first {
                    self.out.push(',');
                }
                first = false;
                item(self)?;
            }
        }
    }

    /// An array's or map's next block: its count of items (0 at the end).
    fn block_count(&mut self) -> Result<usize, String> {
        let at = self.at;
        let count = self.long()?;
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            let _size = self.long()?;
        }
        let count = usize::try_from(count.unsigned_abs())
            .map_err(|_| format!("a block of {count} items at byte {at}"))?;
        if count > self.budget {
            return Err(format!(
                "a block of {count} items at byte {at}, more than the record can hold"
            ));
        }
        Ok(count)
    }

    fn float(&mut self, x: f64, text: Option<&str>) {
        if x.is_finite() {
            self.out.push_str(text.unwrap_or("0"));
        } else if x.is_nan() {
            self.out.push_str("\"NaN\"");
        } else if x > 0.0 {
            self.out.push_str("\"Infinity\"");
        } else {
            self.out.push_str("\"-Infinity\"");
        }
    }

    fn latin1(&mut self, raw: &[u8]) {
        let text: String = raw.iter().map(|b| char::from(*b)).collect();
        self.string(&text);
    }

    fn text_or_number(&mut self, text: Option<String>, n: i64) {
        match text {
            Some(text) => self.string(&text),
            None => {
                let _ = write!(self.out, "{n}");
            }
        }
    }

    fn time_of_day(&mut self, nanos: i64, digits: usize, raw: i64) {
        let day = 86_400 * 1_000_000_000_i64;
        if !(0..day).contains(&nanos) {
            let _ = write!(self.out, "{raw}");
            return;
        }
        let secs = nanos / 1_000_000_000;
        let fraction = nanos % 1_000_000_000;
        let fraction = format!("{fraction:09}");
        let text = format!(
            "{:02}:{:02}:{:02}.{}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            &fraction[..digits]
        );
        self.string(&text);
    }

    fn timestamp(&mut self, nanos: i128, digits: usize, raw: i64, schema: &Schema) {
        let local = matches!(
            schema,
            Schema::LocalTimestampMillis
                | Schema::LocalTimestampMicros
                | Schema::LocalTimestampNanos
        );
        let Ok(ts) = jiff::Timestamp::from_nanosecond(nanos) else {
            let _ = write!(self.out, "{raw}");
            return;
        };
        let civil = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let fraction = format!("{:09}", civil.subsec_nanosecond());
        let text = format!(
            "{}T{:02}:{:02}:{:02}.{}{}",
            civil.date(),
            civil.hour(),
            civil.minute(),
            civil.second(),
            &fraction[..digits],
            if local { "" } else { "Z" }
        );
        self.string(&text);
    }
}

/// A decimal's scale and unscaled bytes beyond which it is refused (the text would be
/// huge, and big integers turn into text in quadratic time).
pub const MAX_DECIMAL_SCALE: usize = 1000;
const MAX_DECIMAL_BYTES: usize = 512;

/// A big-endian two's complement integer with `scale` digits after the point, as text.
pub fn decimal_text(unscaled: &[u8], scale: usize) -> Result<String, String> {
    if scale > MAX_DECIMAL_SCALE || unscaled.len() > MAX_DECIMAL_BYTES {
        return Err(format!(
            "a decimal of {} bytes at scale {scale}: more than ktui shows (scale {MAX_DECIMAL_SCALE}, {MAX_DECIMAL_BYTES} bytes)",
            unscaled.len()
        ));
    }
    let n = num_bigint::BigInt::from_signed_bytes_be(unscaled);
    let digits = n.magnitude().to_string();
    let negative = n.sign() == num_bigint::Sign::Minus;
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if negative {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        let _ = write!(out, "{whole}.{fraction}");
    } else {
        let _ = write!(out, "0.{}{digits}", "0".repeat(scale - digits.len()));
    }
    Ok(out)
}

fn uuid_text(raw: &[u8]) -> String {
    let hex = raw.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    });
    if hex.len() == 32 {
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    } else {
        hex
    }
}

/// `io::Write` into a `String` (serde_json writes only UTF-8).
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
