//! A union: the branch Avro's JSON encoding names (`{"string": "x"}`), else the first
//! branch the value fits.

use apache_avro::Schema;
use apache_avro::schema::{InnerDecimalSchema, UuidSchema};
use serde_json::Value;

use super::{Encoder, kind, write_long};

impl Encoder<'_> {
    /// A union: the branch `{"type": value}` names, else the first branch the value fits.
    pub(super) fn union(
        &mut self,
        variants: &[Schema],
        value: &Value,
        depth: usize,
    ) -> Result<(), String> {
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
