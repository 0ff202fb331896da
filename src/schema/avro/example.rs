//! A value to start from: JSON the schema accepts, every field present (its default where
//! it has one) in the schema's order, for Compose to fill an empty value with once a
//! schema is chosen. Written as compact JSON text: a `serde_json` object would sort the
//! fields.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::UuidSchema;
use serde_json::{Value, json};

use crate::schema::example::Budget;

/// Past this depth a recursive schema stops: a nullable branch is null there.
const MAX_EXAMPLE_DEPTH: usize = 12;
/// The longest fixed or decimal scale an example writes out; past it there is none.
const MAX_WIDTH: usize = 1000;

pub(super) fn example(
    schema: &Schema,
    names: &HashMap<String, Schema>,
    now: jiff::Timestamp,
    budget: &Budget,
) -> String {
    Example { names, now, budget }.of(schema, 0)
}

struct Example<'a> {
    names: &'a HashMap<String, Schema>,
    now: jiff::Timestamp,
    budget: &'a Budget,
}

impl Example<'_> {
    fn of(&self, schema: &Schema, depth: usize) -> String {
        if depth > MAX_EXAMPLE_DEPTH || self.budget.exhausted() {
            return "null".into();
        }
        let value = match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => json!(false),
            Schema::Int | Schema::Long => json!(0),
            Schema::Float | Schema::Double => json!(0.0),
            Schema::Bytes | Schema::String => json!(""),
            Schema::Fixed(fixed) if fixed.size > MAX_WIDTH => {
                self.budget.exhaust();
                Value::Null
            }
            Schema::Fixed(fixed) => json!("\u{0}".repeat(fixed.size)),
            Schema::Uuid(UuidSchema::String | UuidSchema::Bytes | UuidSchema::Fixed(_)) => {
                json!("00000000-0000-0000-0000-000000000000")
            }
            Schema::Enum(e) => e
                .default
                .clone()
                .or_else(|| e.symbols.first().cloned())
                .map_or(Value::Null, Value::String),
            Schema::Array(_) => json!([]),
            Schema::Map(_) => json!({}),
            Schema::Record(record) => {
                let fields: Vec<String> = record
                    .fields
                    .iter()
                    .map(|field| {
                        let value = match &field.default {
                            Some(default) => self.budget.take(default.to_string()),
                            None => self.of(&field.schema, depth + 1),
                        };
                        self.budget.spend(field.name.len());
                        format!("{}:{value}", Value::from(field.name.as_str()))
                    })
                    .collect();
                return format!("{{{}}}", fields.join(","));
            }
            Schema::Union(union) => {
                if union.variants().iter().any(|v| matches!(v, Schema::Null)) {
                    Value::Null
                } else {
                    return union
                        .variants()
                        .first()
                        .map_or_else(|| "null".into(), |first| self.of(first, depth + 1));
                }
            }
            // Zero fits any precision.
            Schema::Decimal(decimal) => match decimal.scale {
                0 => json!("0"),
                scale if scale > MAX_WIDTH => {
                    self.budget.exhaust();
                    Value::Null
                }
                scale => json!(format!("0.{}", "0".repeat(scale))),
            },
            Schema::BigDecimal => json!("0"),
            Schema::Date => json!(
                self.now
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
                    .to_string()
            ),
            Schema::TimeMillis => json!("00:00:00.000"),
            Schema::TimeMicros => json!("00:00:00.000000"),
            Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => self.timestamp(schema),
            Schema::Duration(_) => json!({"months": 0, "days": 0, "millis": 0}),
            Schema::Ref { name } => {
                return self
                    .names
                    .get(&name.fullname(None))
                    .map_or_else(|| "null".into(), |target| self.of(target, depth + 1));
            }
        };
        self.budget.take(value.to_string())
    }

    /// A timestamp at now, to the schema's precision; a local one without the `Z`.
    fn timestamp(&self, schema: &Schema) -> Value {
        let digits = match schema {
            Schema::TimestampMillis | Schema::LocalTimestampMillis => 3,
            Schema::TimestampMicros | Schema::LocalTimestampMicros => 6,
            _ => 9,
        };
        let utc = self.now.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let text = format!(
            "{}T{}.{:0digits$}",
            utc.date(),
            utc.time().strftime("%H:%M:%S"),
            utc.subsec_nanosecond() / 10_i32.pow(9 - digits as u32),
        );
        let local = matches!(
            schema,
            Schema::LocalTimestampMillis
                | Schema::LocalTimestampMicros
                | Schema::LocalTimestampNanos
        );
        json!(if local { text } else { format!("{text}Z") })
    }
}
