//! A JSON Schema's example. The schema is read with its objects in their written order
//! (serde_json's `Value` would sort them), so the example's properties come as the schema
//! lists them.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

use super::{Example, MAX_DEPTH, ordered_object, rfc3339};

/// JSON as written: objects keep their members' order.
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Scalar(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members: Vec<(String, Ordered)> = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Ordered>()? {
            // A repeated name: the last one counts, as in serde_json.
            members.retain(|(n, _)| *n != name);
            members.push((name, value));
        }
        Ok(Ordered::Object(members))
    }
}

impl Ordered {
    fn get(&self, name: &str) -> Option<&Self> {
        match self {
            Self::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    fn items(&self) -> Option<&[Self]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    fn scalar(&self) -> Option<&Value> {
        match self {
            Self::Scalar(value) => Some(value),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        self.scalar().and_then(Value::as_str)
    }

    /// The value a JSON pointer (`/$defs/address`) names.
    fn pointer(&self, pointer: &str) -> Option<&Self> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut at = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            at = match at {
                Self::Object(_) => at.get(&token)?,
                Self::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                Self::Scalar(_) => return None,
            };
        }
        Some(at)
    }

    /// The JSON text, members in order.
    fn text(&self) -> String {
        match self {
            Self::Scalar(value) => value.to_string(),
            Self::Array(items) => {
                let items: Vec<String> = items.iter().map(Self::text).collect();
                format!("[{}]", items.join(","))
            }
            Self::Object(members) => {
                ordered_object(members.iter().map(|(n, v)| (n.clone(), v.text())))
            }
        }
    }
}

impl Example<'_> {
    /// The example of the JSON Schema `text`; `None` when it is not JSON.
    pub(super) fn json_schema_text(&self, text: &str) -> Option<String> {
        let schema: Ordered = serde_json::from_str(text).ok()?;
        Some(self.json_schema(&schema, &schema, 0))
    }

    /// A JSON Schema's example: its own `examples`, `default`, `const` or first `enum`
    /// value where it gives one, else one made from its `type`; local `$ref`s followed.
    fn json_schema(&self, schema: &Ordered, root: &Ordered, depth: usize) -> String {
        if depth > MAX_DEPTH || self.budget.exhausted() {
            return "null".into();
        }
        if !matches!(schema, Ordered::Object(_)) {
            // `true` (anything) or `false` (nothing): null is as good as any.
            return "null".into();
        }
        let given = schema
            .get("examples")
            .and_then(Ordered::items)
            .and_then(<[Ordered]>::first)
            .or_else(|| schema.get("default"))
            .or_else(|| schema.get("const"))
            .or_else(|| {
                schema
                    .get("enum")
                    .and_then(Ordered::items)
                    .and_then(<[Ordered]>::first)
            });
        if let Some(given) = given {
            return self.budget.take(given.text());
        }
        if let Some(target) = schema
            .get("$ref")
            .and_then(Ordered::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        {
            return self.json_schema(target, root, depth + 1);
        }
        for choice in ["oneOf", "anyOf"] {
            if let Some(first) = schema
                .get(choice)
                .and_then(Ordered::items)
                .and_then(<[Ordered]>::first)
            {
                return self.json_schema(first, root, depth + 1);
            }
        }
        if let Some(parts) = schema.get("allOf").and_then(Ordered::items) {
            // Each part's properties, then those beside `allOf`; a later one's win, in
            // its place.
            let mut merged: Vec<(String, Ordered)> = Vec::new();
            let beside = self.typed(schema, root, depth);
            for text in parts
                .iter()
                .map(|part| self.json_schema(part, root, depth + 1))
                .chain(std::iter::once(beside))
            {
                if let Ok(Ordered::Object(members)) = serde_json::from_str(&text) {
                    for (name, value) in members {
                        match merged.iter_mut().find(|(n, _)| *n == name) {
                            Some(slot) => slot.1 = value,
                            None => merged.push((name, value)),
                        }
                    }
                }
            }
            return Ordered::Object(merged).text();
        }
        self.typed(schema, root, depth)
    }

    /// A JSON Schema's example by its `type` (or `properties`): an object with every
    /// property, an empty array (or `minItems` items), "" and 0 at their minimums.
    fn typed(&self, schema: &Ordered, root: &Ordered, depth: usize) -> String {
        let kind = match schema.get("type") {
            Some(Ordered::Scalar(Value::String(kind))) => kind.as_str(),
            Some(Ordered::Array(kinds)) => kinds
                .iter()
                .filter_map(Ordered::as_str)
                .find(|k| *k != "null")
                .unwrap_or("null"),
            _ if schema.get("properties").is_some() => "object",
            _ => "null",
        };
        let number = |name: &str| schema.get(name).and_then(Ordered::scalar)?.as_f64();
        let value = match kind {
            "object" => {
                let members: Vec<(String, String)> = match schema.get("properties") {
                    Some(Ordered::Object(properties)) => properties
                        .iter()
                        .map(|(name, property)| {
                            self.budget.spend(name.len());
                            (name.clone(), self.json_schema(property, root, depth + 1))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                return ordered_object(members);
            }
            "array" => match (
                schema
                    .get("minItems")
                    .and_then(Ordered::scalar)
                    .and_then(Value::as_u64),
                schema.get("items"),
            ) {
                (Some(n), Some(items)) if n > 0 => {
                    let items: Vec<String> = (0..n.min(3))
                        .map(|_| self.json_schema(items, root, depth + 1))
                        .collect();
                    return format!("[{}]", items.join(","));
                }
                _ => json!([]),
            },
            "string" => match schema.get("format").and_then(Ordered::as_str) {
                Some("date-time") => json!(rfc3339(self.now)),
                Some("date") => json!(
                    self.now
                        .to_zoned(jiff::tz::TimeZone::UTC)
                        .date()
                        .to_string()
                ),
                Some("uuid") => json!("00000000-0000-0000-0000-000000000000"),
                Some("email") => json!("someone@example.com"),
                Some("uri") => json!("https://example.com/"),
                _ => {
                    let least = schema
                        .get("minLength")
                        .and_then(Ordered::scalar)
                        .and_then(Value::as_u64)
                        .map_or(0, |n| n.min(64));
                    json!("x".repeat(usize::try_from(least).unwrap_or(0)))
                }
            },
            "integer" => json!(number("minimum").map_or(0, |m| m.ceil() as i64)),
            "number" => json!(number("minimum").unwrap_or(0.0)),
            "boolean" => json!(false),
            _ => Value::Null,
        };
        self.budget.take(value.to_string())
    }
}
