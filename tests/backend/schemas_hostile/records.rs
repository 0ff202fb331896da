//! `ktui consume` over the hostile topic: its envelopes, its text and a jq filter; then a
//! JSON Schema value written with line breaks, and jq over deeply nested values.

use serde_json::{Value, json};

use super::hostile::{Hostile, Want, Why, check_tag, hostile};
use super::registry::one_record;
use super::{
    BIG, BIG_PARTITION, JSON_SCHEMA, NOTE, NOTE_JSON, assert_clean_exit, assert_same_bytes,
    bytes_of, envelopes, framed, value,
};

// ---------------------------------------------------------------------------------------
// 1. The envelopes

#[test]
fn hostile_framed_values_keep_their_bytes_and_say_why_in_the_envelope() {
    let h = hostile();
    let ran = h.consume(&["--format", "json"]);
    assert_clean_exit(&ran);
    assert_eq!(
        ran.stderr, "",
        "JSON output carries the problems in the envelopes"
    );
    // Nothing raw: every control byte (the note's ESC and BEL) is a JSON escape.
    assert!(
        !ran.stdout.iter().any(|b| *b < 0x20 && *b != b'\n'),
        "a raw control byte in the envelopes"
    );
    let text = String::from_utf8_lossy(&ran.stdout);
    assert!(
        text.contains(&format!(r#""value_decoded":{NOTE_JSON}"#)),
        "the note decoded with its escapes as written"
    );
    let mut envelopes = envelopes(&ran);
    // The order across partitions is not defined; within one it is.
    let at = |e: &Value| (e["partition"].as_i64(), e["offset"].as_i64());
    envelopes.sort_by_key(at);
    let got: Vec<_> = envelopes.iter().map(at).collect();
    let want: Vec<_> = h
        .cases
        .iter()
        .map(|c| (Some(i64::from(c.at.0)), Some(c.at.1)))
        .collect();
    assert_eq!(got, want, "one envelope a record");
    let subject = format!("{}-value", h.topic);
    for (envelope, case) in envelopes.iter().zip(&h.cases) {
        let what = format!("{:?}, {}", case.at, case.name);
        let obj = envelope.as_object().expect("an object");
        assert_eq!(
            bytes_of(envelope, "key"),
            case.out.key,
            "{what}: the key's bytes"
        );
        let value = bytes_of(envelope, "value");
        match (&value, &case.out.value) {
            (Some(got), Some(want)) => assert_same_bytes(got, want, &what),
            (got, want) => assert_eq!(got, want, "{what}: the value's bytes"),
        }
        if case.out.value.is_none() {
            assert!(envelope["value"].is_null(), "{what}: a tombstone is null");
        }
        match &case.want {
            Want::Plain => {
                assert!(!obj.contains_key("value_schema"), "{what}: {envelope}");
                assert!(!obj.contains_key("value_decoded"), "{what}: {envelope}");
            }
            want => {
                check_tag(&envelope["value_schema"], want, &subject, &what);
                match want {
                    Want::Decoded { json, .. } => assert_eq!(
                        envelope["value_decoded"],
                        serde_json::from_str::<Value>(json).expect("JSON"),
                        "{what}"
                    ),
                    _ => assert!(!obj.contains_key("value_decoded"), "{what}"),
                }
            }
        }
        if case.out.key.is_some() {
            let key_tag = &envelope["key_schema"];
            assert_eq!(key_tag["id"], h.key_id, "{what}: {key_tag}");
            assert_eq!(key_tag["type"], "AVRO", "{what}: {key_tag}");
            assert_eq!(key_tag["subject"], format!("{}-key", h.topic), "{what}");
            assert_eq!(key_tag["version"], 1, "{what}");
            assert_eq!(envelope["key_decoded"], json!("k-1"), "{what}");
        } else {
            assert!(!obj.contains_key("key_schema"), "{what}: {envelope}");
        }
    }
    assert_eq!(
        h.registry.schema_fetches(999),
        1,
        "a failed lookup is remembered: {:#?}",
        h.registry.request_lines()
    );
    for id in 1..=h.key_id {
        assert_eq!(h.registry.schema_fetches(id), 1, "schema {id}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Text output

#[test]
fn hostile_framed_values_in_text_print_raw_with_one_warning_a_reason() {
    let h = hostile();
    let ran = h.consume(&[]);
    assert_clean_exit(&ran);
    // Into a pipe, the bytes exactly: the decoded JSON where there is some, else the
    // record's own bytes (a tombstone: nothing), a line each; partition 0 in order, the
    // big record's line somewhere among them (the order across partitions is not defined).
    let mut want = Vec::new();
    let mut big_line = Vec::new();
    for case in &h.cases {
        let line = if case.at.0 == BIG_PARTITION {
            &mut big_line
        } else {
            &mut want
        };
        line.extend(Hostile::text_of(case));
        line.push(b'\n');
    }
    assert!(big_line.len() > BIG);
    let stdout = &ran.stdout;
    let mut line_starts = std::iter::once(0).chain(
        stdout
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let big_at = line_starts
        .find(|i| stdout[*i..].starts_with(&big_line))
        .unwrap_or_else(|| {
            panic!(
                "the 10 MB record's bytes, as they are, on a line of their own; stdout has {} \
                 bytes",
                stdout.len()
            )
        });
    let rest = [&stdout[..big_at], &stdout[big_at + big_line.len()..]].concat();
    assert_same_bytes(&rest, &want, "stdout without the 10 MB line");
    let first_line = want.split(|b| *b == b'\n').next().unwrap_or_default();
    assert_eq!(first_line, NOTE_JSON.as_bytes(), "the decoded line");

    // One warning a kind of reason (the same words whatever their byte offsets), at the
    // first record that had it: by offset within a partition, either partition first.
    let mut kinds: Vec<(String, Vec<String>)> = Vec::new();
    for case in &h.cases {
        let Want::Failed { why, .. } = &case.want else {
            continue;
        };
        let (partition, offset) = case.at;
        let here = format!("partition {partition} offset {offset}: ");
        let why = match why {
            Why::Exactly(text) => text.clone(),
            Why::Shape { .. } => {
                // Words not pinned: taken from the warning, checked for their shape.
                let line = ran
                    .stderr
                    .lines()
                    .find(|l| l.contains(&here))
                    .unwrap_or_else(|| panic!("a warning for {here}{}", ran.stderr));
                let start = line.find(&here).expect("the place") + here.len();
                let end = line.find("; printed as it is").expect("the end");
                let text = line[start..end].to_string();
                why.check(&text, case.name);
                text
            }
        };
        let warning = format!(
            "ktui: warning: the value at {here}{why}; printed as it is (later records with \
             this problem are not reported)"
        );
        let kind = without_numbers(&why);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, candidates)) => candidates.push(warning),
            None => kinds.push((kind, vec![warning])),
        }
    }
    let got: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(
        got.len(),
        kinds.len(),
        "one warning a kind:\n{}",
        ran.stderr
    );
    for (kind, candidates) in &kinds {
        assert_eq!(
            got.iter()
                .filter(|l| candidates.iter().any(|c| c == *l))
                .count(),
            1,
            "one warning for {kind:?} among {candidates:#?}\nstderr:\n{}",
            ran.stderr
        );
    }
    assert_eq!(h.registry.schema_fetches(999), 1);
}

/// A reason with its numbers (byte offsets, lengths) taken out: its kind.
fn without_numbers(why: &str) -> String {
    let mut out = String::new();
    for c in why.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// 3. jq over the decoded values

#[test]
fn a_jq_filter_sees_decoded_values_among_hostile_ones() {
    let h = hostile();
    let ran = h.consume(&[
        "--format",
        "json",
        "--filter",
        r#"select(.note == "é\u001b]0;PWNED\u0007")"#,
    ]);
    assert_clean_exit(&ran);
    let found = envelopes(&ran);
    let at: Vec<(&Value, &Value)> = found
        .iter()
        .map(|e| (&e["partition"], &e["offset"]))
        .collect();
    assert_eq!(
        at,
        [(&json!(0), &json!(0))],
        "only the valid record: {}",
        ran.stderr
    );
    assert_eq!(found[0]["value_decoded"]["note"], NOTE);

    // Text output, a filter on the Protobuf message: its JSON, and no warning about
    // records the filter left out.
    let ran = h.consume(&["--filter", r#".s == "hi""#]);
    assert_clean_exit(&ran);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "{\"s\":\"hi\"}\n");
    assert_eq!(ran.stderr, "", "nothing printed, nothing to warn about");
}

// ---------------------------------------------------------------------------------------
// JSON Schema values as they were written

#[test]
fn a_json_schema_value_with_a_line_break_keeps_one_envelope_a_line() {
    let one = one_record();
    let json_id =
        one.registry
            .register(&format!("{}-value", one.topic), "json", JSON_SCHEMA, vec![]);
    // Pretty-printed JSON, as `json.dumps(indent=2)` or `JSON.stringify(v, null, 2)`
    // write it: valid JSON, line breaks between its tokens.
    let pretty = framed(json_id, b"{\n  \"a\": 1\r\n}\n");
    one.cluster.produce(&one.topic, &[value(pretty.clone())]);
    let ran = one
        .cluster
        .consume(&one.registry.url(), &one.topic, &["--format", "json"]);
    assert_clean_exit(&ran);
    let text = String::from_utf8_lossy(&ran.stdout);
    // A JSON Schema value is written compact: one envelope a line, whatever its layout.
    assert_eq!(text.lines().count(), 2, "one envelope a record:\n{text}");
    let found = envelopes(&ran);
    assert_eq!(found[1]["value_decoded"], json!({"a": 1}), "{}", found[1]);
    assert_eq!(bytes_of(&found[1], "value"), Some(pretty));
}

// ---------------------------------------------------------------------------------------
// jq over deeply nested values

#[test]
fn a_jq_filter_survives_a_deeply_nested_value() {
    // Decoded Avro stops at 128 levels and Protobuf at 100; JSON Schema passes any depth
    // (its check reads the value with serde's `IgnoredAny`, which counts no levels), and a
    // plain value has no bound. 100,000 nested arrays (200 kB) of each, between two
    // records the filter matches.
    let one = one_record();
    let json_id =
        one.registry
            .register(&format!("{}-value", one.topic), "json", JSON_SCHEMA, vec![]);
    let mut deep = vec![b'['; 100_000];
    deep.extend(vec![b']'; 100_000]);
    let landed = one.cluster.produce(
        &one.topic,
        &[
            value(framed(json_id, b"[1]")),
            value(framed(json_id, &deep)),
            value(deep),
            value(b"[2]".to_vec()),
        ],
    );
    assert_eq!(landed, [(0, 1), (0, 2), (0, 3), (0, 4)]);
    let ran = one.cluster.consume(
        &one.registry.url(),
        &one.topic,
        &["--filter", ".[0] == 1 or .[0] == 2"],
    );
    // jaq recurses once a level: a value nested deeper than MAX_JQ_DEPTH is seen as text,
    // not parsed (it once overflowed the filter thread's stack and aborted the process).
    assert_clean_exit(&ran);
    assert!(!ran.stderr.contains("overflow"), "{}", ran.stderr);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "[1]\n[2]\n");
}
