//! Avro: schemas parsed by apache-avro (references included), records decoded to JSON.
//!
//! The binary decoding is ktui's own, walking apache-avro's parsed schema: apache-avro's
//! reader recurses once per nesting level with no limit, so a record of a recursive schema
//! (a list, a tree) a few thousand levels deep would overflow the stack and abort the
//! process. This one stops at [`MAX_DEPTH`], bounds the work by the record's size, and
//! writes JSON text as it reads (records keep their field order).
//!
//! JSON for Avro values: unions as the value itself (not `{"type": value}`), bytes and
//! fixed as text of code points U+0000–U+00FF (the Avro JSON encoding), enums as their
//! symbol, decimals as exact decimal text (`"12.30"`), uuid as text, dates as
//! `"2024-05-01"`, times of day as `"13:45:00.250"`, timestamps as RFC 3339 in UTC
//! (`"2024-05-01T13:45:00.250Z"`; the local-timestamp types without the `Z`), durations
//! as `{"months", "days", "millis"}`.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::ResolvedSchema;

mod decode;
mod encode;
mod example;

pub use decode::decimal_text;

/// Records, arrays, maps and unions nested deeper than this are refused.
pub const MAX_DEPTH: usize = 128;

/// A parsed Avro schema and the named types it can refer to.
#[derive(Debug)]
pub struct AvroSchema {
    schema: Schema,
    /// Every named type by full name (the schema's own and its references').
    names: HashMap<String, Schema>,
}

impl AvroSchema {
    /// Parses a schema and the schemas it references (named types), in any order.
    pub fn parse(text: &str, references: &[String]) -> Result<Self, String> {
        let (schema, schemata) = if references.is_empty() {
            (
                Schema::parse_str(text).map_err(|e| e.to_string())?,
                Vec::new(),
            )
        } else {
            Schema::parse_str_with_list(text, references).map_err(|e| e.to_string())?
        };
        let mut all: Vec<&Schema> = schemata.iter().collect();
        all.push(&schema);
        let resolved = ResolvedSchema::new_with_schemata(all).map_err(|e| e.to_string())?;
        let names = resolved
            .get_names()
            .iter()
            .map(|(name, schema)| (name.fullname(None), (*schema).clone()))
            .collect();
        Ok(Self { schema, names })
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// One record's bytes (after the framing) as JSON text.
    pub fn to_json(&self, bytes: &[u8]) -> Result<String, String> {
        decode::to_json(&self.schema, &self.names, bytes)
    }

    /// A JSON value (as [`AvroSchema::to_json`] writes it, or in Avro's JSON encoding) as
    /// the record's bytes; a refusal names the offending field's path.
    pub fn from_json(&self, value: &serde_json::Value) -> Result<Vec<u8>, String> {
        encode::from_json(&self.schema, &self.names, value)
    }

    /// A value the schema accepts as compact JSON text, every field present (its default
    /// where it has one) in the schema's order, timestamps and dates at `now`.
    pub(crate) fn example(&self, now: jiff::Timestamp, budget: &super::example::Budget) -> String {
        example::example(&self.schema, &self.names, now, budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(n: i64, out: &mut Vec<u8>) {
        crate::schema::wire::write_zigzag(out, n);
    }

    #[test]
    fn decodes_records_with_unions_logical_types_and_names() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Order","namespace":"shop","fields":[
                {"name":"id","type":"long"},
                {"name":"note","type":["null","string"]},
                {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
                {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
                {"name":"day","type":{"type":"int","logicalType":"date"}},
                {"name":"tags","type":{"type":"array","items":"string"}},
                {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}},
                {"name":"next","type":["null","Order"]}]}"#,
            &[],
        )
        .unwrap();
        let mut b = Vec::new();
        zigzag(42, &mut b); // id
        zigzag(1, &mut b); // note: string
        zigzag(3, &mut b);
        b.extend_from_slice("né".as_bytes());
        // amount -1.05 = -105 → 0xff97
        zigzag(2, &mut b);
        b.extend_from_slice(&[0xff, 0x97]);
        zigzag(1_714_571_100_250, &mut b); // at
        zigzag(19_844, &mut b); // day 2024-05-01
        zigzag(2, &mut b); // tags block of 2
        for t in ["x", "y"] {
            zigzag(1, &mut b);
            b.extend_from_slice(t.as_bytes());
        }
        zigzag(0, &mut b);
        zigzag(1, &mut b); // kind B
        zigzag(0, &mut b); // next: null
        let json = schema.to_json(&b).unwrap();
        assert_eq!(
            json,
            r#"{"id":42,"note":"né","amount":"-1.05","at":"2024-05-01T13:45:00.250Z","day":"2024-05-01","tags":["x","y"],"kind":"B","next":null}"#
        );
        // Cut anywhere: an error, never a panic.
        for end in 0..b.len() {
            assert!(schema.to_json(&b[..end]).is_err(), "cut at {end}");
        }
        // Bytes left over.
        let mut longer = b.clone();
        longer.push(0);
        assert!(schema.to_json(&longer).unwrap_err().contains("left over"));
    }

    #[test]
    fn out_of_range_logical_values_are_said_not_panicked_on() {
        let date = AvroSchema::parse(r#"{"type":"int","logicalType":"date"}"#, &[]).unwrap();
        let mut b = Vec::new();
        zigzag(8_000_000, &mut b);
        assert_eq!(
            date.to_json(&b).unwrap(),
            "8000000",
            "past jiff's range: the number"
        );
        let big =
            AvroSchema::parse(r#"{"type":"bytes","logicalType":"big-decimal"}"#, &[]).unwrap();
        let mut inner = vec![2, 1];
        zigzag(1 << 40, &mut inner);
        let mut b = Vec::new();
        zigzag(i64::try_from(inner.len()).unwrap(), &mut b);
        b.extend_from_slice(&inner);
        assert!(big.to_json(&b).unwrap_err().contains("scale"));
        let nulls = AvroSchema::parse(r#"{"type":"array","items":"null"}"#, &[]).unwrap();
        let mut b = Vec::new();
        zigzag(100_000, &mut b);
        b.push(0);
        assert!(nulls.to_json(&b).is_err(), "100,000 nulls from 4 bytes");
    }

    #[test]
    fn deep_and_huge_records_are_refused_not_overflowed() {
        let list = AvroSchema::parse(
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
            &[],
        )
        .unwrap();
        // 100,000 levels: the union branch 1 (zigzag 2) again and again.
        let mut deep = vec![2u8; 100_000];
        deep.push(0);
        let err = list.to_json(&deep).unwrap_err();
        assert!(err.contains("nested deeper than 128"), "{err}");
        // An array claiming 2^62 nulls in a few bytes.
        let nulls = AvroSchema::parse(r#"{"type":"array","items":"null"}"#, &[]).unwrap();
        let mut b = Vec::new();
        zigzag(1 << 62, &mut b);
        let err = nulls.to_json(&b).unwrap_err();
        assert!(err.contains("more than the record can hold"), "{err}");
        // A string claiming more bytes than there are.
        let s = AvroSchema::parse(r#""string""#, &[]).unwrap();
        let mut b = Vec::new();
        zigzag(1 << 40, &mut b);
        assert!(s.to_json(&b).unwrap_err().contains("cut short"));
    }

    #[test]
    fn references_resolve_named_types_from_other_subjects() {
        let address = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}"#,
            &[address.to_string()],
        )
        .unwrap();
        let mut b = Vec::new();
        zigzag(4, &mut b);
        b.extend_from_slice("Oslo".as_bytes());
        assert_eq!(schema.to_json(&b).unwrap(), r#"{"home":{"city":"Oslo"}}"#);
    }

    #[test]
    fn what_it_decodes_encodes_back_to_the_same_bytes() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"R","namespace":"n","fields":[
                {"name":"u","type":["null","string",{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}]},
                {"name":"d","type":{"type":"fixed","name":"D","size":3,"logicalType":"decimal","precision":6,"scale":3}},
                {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
                {"name":"t","type":{"type":"int","logicalType":"time-millis"}},
                {"name":"id","type":{"type":"string","logicalType":"uuid"}},
                {"name":"b","type":"bytes"},
                {"name":"m","type":{"type":"map","values":"double"}},
                {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
                {"name":"f","type":"float"},
                {"name":"opt","type":["null","long"],"default":null}]}"#,
            &[],
        )
        .unwrap();
        let json = serde_json::json!({
            "u": {"x": 5}, "d": "-1.250", "ts": "2024-05-01T13:45:00.123456Z",
            "t": "23:59:59.999", "id": "123e4567-e89b-12d3-a456-426614174000",
            "b": "\u{0}\u{ff}é", "m": {"k": 1.5}, "e": "Y", "f": 0.5
        });
        let bytes = schema.from_json(&json).unwrap();
        let back = schema.to_json(&bytes).unwrap();
        let mut expected = json.clone();
        expected["opt"] = serde_json::Value::Null;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&back).unwrap(),
            expected
        );
        assert_eq!(
            schema
                .from_json(&serde_json::from_str(&back).unwrap())
                .unwrap(),
            bytes
        );
        // Avro's own JSON encoding of a union branch is taken too.
        let mut wrapped = json.clone();
        wrapped["u"] = serde_json::json!({"string": "hi"});
        let back = schema
            .to_json(&schema.from_json(&wrapped).unwrap())
            .unwrap();
        assert!(back.starts_with(r#"{"u":"hi","#), "{back}");
    }

    #[test]
    fn refusals_name_the_field() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Order","fields":[
                {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
                    {"name":"qty","type":"int"}]}}},
                {"name":"note","type":["null","string"]}]}"#,
            &[],
        )
        .unwrap();
        let err = |v: serde_json::Value| schema.from_json(&v).unwrap_err();
        assert_eq!(
            err(serde_json::json!({"lines":[{"qty":1},{"qty":"x"}],"note":null})),
            r#".lines[1].qty: expected an int, got "x""#
        );
        assert_eq!(
            err(serde_json::json!({"lines":[],"note":5})),
            ".note: 5 fits none of the union's branches: null, string"
        );
        assert_eq!(
            err(serde_json::json!({"lines":[]})),
            ".note: missing (the field has no default)"
        );
        assert!(
            err(serde_json::json!({"lines":[],"note":null,"nope":1}))
                .contains(r#"Order has no field "nope""#)
        );
        assert_eq!(
            err(serde_json::json!([])),
            "the value: expected an object (Order), got an array"
        );
    }

    #[test]
    fn decimals_keep_every_digit() {
        assert_eq!(decimal_text(&[0x30, 0x39], 2).unwrap(), "123.45");
        assert_eq!(decimal_text(&[0x05], 3).unwrap(), "0.005");
        assert_eq!(decimal_text(&[0xfb], 1).unwrap(), "-0.5");
        assert_eq!(decimal_text(&[0x07], 0).unwrap(), "7");
        assert_eq!(decimal_text(&[], 2).unwrap(), "0.00");
        assert!(decimal_text(&[1], 1 << 40).is_err(), "no terabyte of zeros");
        assert!(decimal_text(&[1; 4096], 2).is_err());
    }

    #[test]
    fn unions_of_records_nested_deep_cost_bounded_steps() {
        // At each level both branches take the whole subtree before failing at its own
        // field `x`: tried naively, 2^40 steps.
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"A","fields":[
                {"name":"n","type":["null","A",{"type":"record","name":"B","fields":[
                    {"name":"n","type":["null","A","B"]},{"name":"x","type":"string"}]}]},
                {"name":"x","type":"int"}]}"#,
            &[],
        )
        .unwrap();
        let mut value = serde_json::json!({"n": null, "x": true});
        for _ in 0..40 {
            value = serde_json::json!({"n": value, "x": 1});
        }
        let why = schema.from_json(&value).unwrap_err();
        assert!(
            why.starts_with("the value is too costly to match against the schema's unions"),
            "{why}"
        );
        // Naming the branches costs no trial at all.
        let mut named = serde_json::json!({"n": null, "x": 2});
        for _ in 0..40 {
            named = serde_json::json!({"n": {"A": named}, "x": 1});
        }
        assert!(schema.from_json(&named).is_ok());
    }
}
