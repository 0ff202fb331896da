//! Layer 4 for schemas: the real `ktui` binary in a terminal (tmux), started with
//! `--schema-registry` pointing at the fake registry (tests/support/fake_registry.rs), on
//! the shared Apache Kafka node, with confluent-kafka's own Avro serializer and
//! deserializer as peers (tests/peers/schemas.py). What the peer frames, the Tail list and
//! its detail show decoded (and, on `v`, as raw bytes, hex and the schema itself); the
//! Schemas tab lists the subjects with their topics and steps through a subject's
//! versions; Compose checks a value against a schema as it is typed, refuses in words what
//! does not match, and sends framed what does, which the peer's deserializer reads back; a
//! registry nobody answers is said on screen, the bytes shown as they are. Each test runs
//! its own terminal, its own fake registry and uniquely named topics.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::compose_screen::{newest_report, value_rows};
use crate::support::fake_registry::FakeRegistry;
use crate::support::kafka;
use crate::support::peers::{kp, kp_consume};
use crate::support::schema_peers;
use crate::support::tui::{Tui, word_after};
use crate::support::{unique, unused_address};

/// Generous bound for anything the UI should show after a broker or registry round trip.
const SHOWN: Duration = Duration::from_secs(15);

/// A small Avro schema for Compose: a long and a nullable string.
const PING_V1: &str = r#"{"type":"record","name":"Ping","namespace":"ktui.e2e","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"]}]}"#;
/// Its second version: a field added, with a default.
const PING_V2: &str = r#"{"type":"record","name":"Ping","namespace":"ktui.e2e","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"]},{"name":"at","type":"long","default":0}]}"#;

// ---------------------------------------------------------------------------------------
// Reading the screen

/// The first row of a bordered table (a line inside its border) holding `needle`.
fn row<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.starts_with('│') && line.contains(needle))
}

/// A Tail row's cells after the time: partition, offset, then the key and value's words.
fn cells(row: &str) -> Vec<&str> {
    row.trim_matches('│').split_whitespace().skip(1).collect()
}

/// The Tail's state line ("● live", "⏸ PAUSED …"), without the rate sparkline.
fn status_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("● live") || l.starts_with("⏸ PAUSED"))
        .map_or("", |l| {
            l.trim_end_matches(|c: char| c.is_whitespace() || ('▁'..='█').contains(&c))
        })
}

/// The lines of the full-width pane (the record detail), without its borders.
fn body(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end_matches('│')
                .trim_end()
                .to_string()
        })
        .collect()
}

/// The detail's value lines: those under its `value · …` line.
fn value_lines(screen: &str) -> Vec<String> {
    body(screen)
        .into_iter()
        .skip_while(|l| !l.starts_with("value · "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// The detail's `value · SIZE · VIEW · line N/M` line.
fn value_header(screen: &str) -> String {
    body(screen)
        .into_iter()
        .find(|l| l.starts_with("value · "))
        .unwrap_or_default()
}

/// The detail's line that starts with `label` (`schema    `, `key       `), after it.
fn detail_field(screen: &str, label: &str) -> Option<String> {
    body(screen)
        .into_iter()
        .find_map(|l| l.strip_prefix(label).map(str::to_string))
}

/// The pretty JSON of the detail, read back off the screen. ktui shows a control
/// character inside a string as `\xNN` (never raw); JSON spells it `\u00NN`.
fn pretty_json(screen: &str) -> Value {
    let text = value_lines(screen).join("\n").replace(r"\x", r"\u00");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}\n{screen}"))
}

/// The text inside a one-line field box titled `title` (" Topic ", " Schema ", …).
fn field(screen: &str, title: &str) -> Option<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let top = format!("┌ {title} ");
    let (row, col) = lines.iter().enumerate().find_map(|(i, line)| {
        let text: String = line.iter().collect();
        text.find(&top)
            .map(|byte| (i, text[..byte].chars().count()))
    })?;
    let inside: String = lines
        .get(row + 1)?
        .iter()
        .skip(col + 1)
        .take_while(|c| **c != '│')
        .collect();
    Some(inside.trim().to_string())
}

/// The Compose value editor's label on its bottom border.
fn value_label(screen: &str) -> String {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("┌ Value "))
        .find(|l| l.starts_with('└'))
        .map(|l| {
            l.trim_start_matches('└')
                .split('─')
                .map(str::trim)
                .find(|s| !s.is_empty())
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

/// The Compose status line: the line right under the value editor.
fn compose_status(screen: &str) -> String {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("┌ Value "))
        .skip_while(|l| !l.starts_with('└'))
        .nth(1)
        .map(|l| l.split('│').next().unwrap_or_default().trim().to_string())
        .unwrap_or_default()
}

/// N in the "Deliveries (N)" title.
fn deliveries(screen: &str) -> Option<usize> {
    word_after(screen, "Deliveries (")?
        .trim_end_matches(')')
        .parse()
        .ok()
}

/// The Schemas tab's details line `version …`.
fn version_line(screen: &str) -> Option<&str> {
    screen.lines().find_map(|l| {
        let at = l.find("││version ")?;
        Some(l[at + "││".len()..].trim_end_matches('│').trim_end())
    })
}

// ---------------------------------------------------------------------------------------
// Starting

/// The shared node's address, and a new one-partition topic on it named after `prefix`.
fn shared_with_topic(prefix: &str) -> Option<(String, String)> {
    let address = kafka::shared()?.address();
    let topic = unique(prefix);
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    Some((address, topic))
}

/// `ktui -b ADDRESS --schema-registry REGISTRY --topic TOPIC -o beginning`, waiting until
/// the tail is live and holds `records` records.
fn tail_from_beginning(
    address: &str,
    registry: &str,
    topic: &str,
    records: usize,
    width: u16,
    height: u16,
) -> Option<(Tui, String)> {
    let args = [
        "-b",
        address,
        "--schema-registry",
        registry,
        "--topic",
        topic,
        "-o",
        "beginning",
    ];
    let tui = Tui::start(&args, width, height)?;
    let count = format!(" {records} records ");
    let screen = tui.wait_settled(&format!("the tail live with{count}"), SHOWN, |s| {
        status_line(s) == "● live" && s.contains(&count)
    });
    assert!(
        screen.contains(&format!("{topic} · from beginning · partitions 0")),
        "{screen}"
    );
    Some((tui, screen))
}

/// The one id a subject's only version has in the fake registry.
fn only_id(registry: &FakeRegistry, subject: &str) -> u32 {
    let ids = registry.versions(subject);
    assert_eq!(ids.len(), 1, "{subject}: {ids:?}");
    ids[0]
}

/// `00 II II II II`: the magic byte and the id, as a hex dump's bytes.
fn framing_hex(id: u32) -> String {
    let b = id.to_be_bytes();
    format!("00 {:02x} {:02x} {:02x} {:02x}", b[0], b[1], b[2], b[3])
}

// ---------------------------------------------------------------------------------------
// B1: what AvroSerializer framed, the Tail shows decoded; the detail cycles its views

#[test]
#[allow(clippy::too_many_lines)] // one user journey, step by step
fn peer_framed_avro_is_decoded_in_the_tail_and_the_detail_shows_raw_hex_and_the_schema() {
    let Some((address, topic)) = shared_with_topic("sc-tail") else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let registry = FakeRegistry::start_in_background();
    let expected = schema_peers::produce(&address, &registry.url(), &topic, "avro", true);
    assert_eq!(expected.len(), 3, "{expected:#?}");
    let value_subject = format!("{topic}-value");
    let value_id = only_id(&registry, &value_subject);
    let Some((tui, screen)) = tail_from_beginning(&address, &registry.url(), &topic, 3, 160, 56)
    else {
        return;
    };

    // Each row previews the decoded value: its first fields, in the schema's order.
    for (offset, record) in expected.iter().enumerate() {
        let v = &record["value"];
        let start = format!(
            r#"{{"id":{},"note":{},"pick":{},"amount":{}"#,
            v["id"], v["note"], v["pick"], v["amount"]
        );
        let line =
            row(&screen, &start).unwrap_or_else(|| panic!("a row starting {start}:\n{screen}"));
        assert_eq!(
            cells(line)[..2],
            ["0".to_string(), offset.to_string()],
            "at offset {offset}:\n{screen}"
        );
        assert!(!line.contains('⚠'), "decoded, no warning:\n{screen}");
    }

    // Following, the newest record is selected: the third (negatives, a string union).
    tui.send_key("Enter");
    let screen = tui.wait_settled("the detail, decoded and pretty", SHOWN, |s| {
        value_header(s).contains(" · decoded, pretty · line 1/")
    });
    assert!(
        screen.contains(&format!("{topic} · partition 0 · offset 2")),
        "{screen}"
    );
    assert_eq!(
        detail_field(&screen, "schema    ").as_deref(),
        Some(format!("{value_subject} v1 · id {value_id} · AVRO").as_str()),
        "names the subject, version, id and type:\n{screen}"
    );
    let key = detail_field(&screen, "key       ").expect("the key line");
    let key: Value = serde_json::from_str(&key).unwrap_or_else(|e| panic!("{e}: {key}"));
    assert_eq!(key, expected[2]["key"], "the key decoded too:\n{screen}");
    assert_eq!(
        pretty_json(&screen),
        expected[2]["value"],
        "the pretty JSON is what the peer serialized:\n{screen}"
    );
    assert!(
        value_lines(&screen).contains(&r#"  "amount": "-1.05","#.to_string()),
        "one member per line, the decimal as its exact text:\n{screen}"
    );

    // v: the bytes as consumed, framed (magic byte, the id, then Avro: "o-3" is 06 o - 3).
    tui.send_keys("v");
    let screen = tui.wait_settled("the raw view", SHOWN, |s| {
        value_header(s).contains(" · raw · line 1/")
    });
    let first = value_lines(&screen).first().cloned().unwrap_or_default();
    assert!(value_id < 0x20, "a control byte, shown escaped");
    assert!(
        first.starts_with(&format!(r"\x00\x00\x00\x00\x{value_id:02x}\x06o-3")),
        "the framed bytes, controls escaped:\n{screen}"
    );

    tui.send_keys("v");
    let screen = tui.wait_settled("the hex view", SHOWN, |s| {
        value_header(s).contains(" · hex · line 1/")
    });
    let first = value_lines(&screen).first().cloned().unwrap_or_default();
    assert!(
        first.starts_with(&format!("00000000  {} 06 6f 2d  33", framing_hex(value_id))),
        "a hex dump from the magic byte:\n{screen}"
    );
    assert!(first.ends_with("|......o-3....sev|"), "{screen}");

    tui.send_keys("v");
    let screen = tui.wait_settled("the schema view", SHOWN, |s| {
        value_header(s).contains(" · its schema · line 1/")
    });
    let lines = value_lines(&screen);
    assert_eq!(
        lines[..4],
        [
            "{",
            r#"  "type": "record","#,
            r#"  "name": "Order","#,
            r#"  "namespace": "ktui.peer","#
        ],
        "the writer's schema, pretty:\n{screen}"
    );
    assert!(
        lines.contains(&r#"      "name": "amount","#.to_string()),
        "{screen}"
    );

    tui.send_keys("v");
    let screen = tui.wait_settled("back to pretty", SHOWN, |s| {
        value_header(s).contains(" · decoded, pretty · line 1/")
    });
    assert_eq!(pretty_json(&screen), expected[2]["value"], "{screen}");

    tui.send_key("Escape");
    tui.wait_settled("back to the table", SHOWN, |s| {
        status_line(s) == "● live" && s.contains(" 3 records ")
    });
    // Three records of one id: the schema was asked for once.
    assert_eq!(
        registry.schema_fetches(value_id),
        1,
        "{:#?}",
        registry.request_lines()
    );
}

// ---------------------------------------------------------------------------------------
// B2: the Schemas tab

#[test]
#[allow(clippy::too_many_lines)] // one user journey, step by step
fn the_schemas_tab_lists_subjects_with_their_topics_and_steps_through_versions() {
    let Some((address, topic)) = shared_with_topic("sc") else {
        return;
    };
    let registry = FakeRegistry::start_in_background();
    let value_subject = format!("{topic}-value");
    let key_subject = format!("{topic}-key");
    // By the TopicNameStrategy this one belongs to a topic the cluster does not have.
    let orphan = format!("{topic}-gone-value");
    let v1 = registry.register(&value_subject, "AVRO", PING_V1, vec![]);
    let key_id = registry.register(&key_subject, "AVRO", r#""string""#, vec![]);
    registry.register(
        &orphan,
        "AVRO",
        r#"{"type":"record","name":"Gone","fields":[]}"#,
        vec![],
    );
    registry.set_compatibility(Some(&value_subject), "FULL");

    let url = registry.url();
    let Some(tui) = Tui::start(&["-b", &address, "--schema-registry", &url], 220, 40) else {
        return;
    };
    tui.wait_settled_for(&format!("● connected {address}"), SHOWN);
    tui.send_keys("7");
    let screen = tui.wait_settled("the subjects and the first one's version", SHOWN, |s| {
        s.contains(&format!("Subjects 3 · {url} · BACKWARD"))
            && s.contains(&format!("┌ {orphan} "))
            && version_line(s).is_some()
    });
    assert!(screen.contains("SUBJECT"), "{screen}");
    assert!(screen.contains("TOPIC"), "{screen}");
    let in_list = |subject: &str| {
        row(&screen, &format!("│{subject} ")).map_or_else(
            || panic!("{subject} listed:\n{screen}"),
            |r| {
                r.split("││").next().unwrap_or_default()[subject.len() + "│".len()..]
                    .trim()
                    .to_string()
            },
        )
    };
    assert_eq!(in_list(&value_subject), format!("{topic} (value)"));
    assert_eq!(in_list(&key_subject), format!("{topic} (key)"));
    assert_eq!(in_list(&orphan), "-", "no such topic:\n{screen}");
    // Sorted: the orphan ("…-gone-value") comes first, and is selected.
    assert!(
        screen.contains(&format!("none (no topic {topic}-gone on this cluster)")),
        "{screen}"
    );

    // The value subject: the last row.
    tui.send_keys("G");
    let screen = tui.wait_settled("the value subject's version 1", SHOWN, |s| {
        s.contains(&format!("┌ {value_subject} ")) && version_line(s).is_some()
    });
    assert_eq!(
        version_line(&screen),
        Some(format!("version 1 of 1 · id {v1} · AVRO · compatibility FULL").as_str()),
        "the subject's own level:\n{screen}"
    );
    assert!(
        screen.contains(&format!("topic   {topic} (its values)")),
        "{screen}"
    );
    assert!(
        screen.contains(r#""name": "Ping","#),
        "the schema:\n{screen}"
    );
    assert!(!screen.contains(r#""name": "at","#), "{screen}");

    // A second version registered while ktui runs: R asks again, the latest is shown.
    let v2 = registry.register(&value_subject, "AVRO", PING_V2, vec![]);
    assert_ne!(v1, v2);
    tui.send_keys("R");
    let at_v2 = format!("version 2 of 1, 2 · id {v2} · AVRO · compatibility FULL");
    let screen = tui.wait_settled("version 2 after the refresh", SHOWN, |s| {
        version_line(s) == Some(at_v2.as_str())
    });
    assert!(
        screen.contains(&format!("┌ {value_subject} ")),
        "the selection kept:\n{screen}"
    );
    assert!(
        screen.contains(r#""name": "at","#),
        "the new field:\n{screen}"
    );

    // [ steps back, and stops at the first version; ] steps forward again.
    let at_v1 = format!("version 1 of 1, 2 · id {v1} · AVRO · compatibility FULL");
    tui.send_keys("[");
    let screen = tui.wait_settled("version 1", SHOWN, |s| {
        version_line(s) == Some(at_v1.as_str())
    });
    assert!(!screen.contains(r#""name": "at","#), "{screen}");
    tui.send_keys("[");
    tui.send_keys("k");
    let screen = tui.wait_settled("the key subject", SHOWN, |s| {
        s.contains(&format!("┌ {key_subject} ")) && version_line(s).is_some()
    });
    assert_eq!(
        version_line(&screen),
        Some(format!("version 1 of 1 · id {key_id} · AVRO · compatibility BACKWARD").as_str()),
        "the registry's level:\n{screen}"
    );
    assert!(
        screen.contains(&format!("topic   {topic} (its keys)")),
        "{screen}"
    );
    tui.send_keys("j");
    tui.wait_settled("the value subject again, at its latest", SHOWN, |s| {
        s.contains(&format!("┌ {value_subject} ")) && version_line(s) == Some(at_v2.as_str())
    });
    tui.send_keys("[");
    tui.wait_settled("version 1 again", SHOWN, |s| {
        version_line(s) == Some(at_v1.as_str())
    });
    tui.send_keys("]");
    let screen = tui.wait_settled("version 2 again", SHOWN, |s| {
        version_line(s) == Some(at_v2.as_str())
    });
    assert!(screen.contains(r#""name": "at","#), "{screen}");
}

// ---------------------------------------------------------------------------------------
// B3: Compose with a schema

#[test]
#[allow(clippy::too_many_lines)] // one user journey, step by step
fn compose_checks_the_value_against_a_schema_refuses_a_mismatch_and_sends_it_framed() {
    let Some((address, topic)) = shared_with_topic("sc-cmp") else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    let registry = FakeRegistry::start_in_background();
    let subject = format!("{topic}-value");
    let id = registry.register(&subject, "AVRO", PING_V1, vec![]);
    let key_subject = format!("{topic}-key");
    let key_id = registry.register(&key_subject, "AVRO", r#""string""#, vec![]);
    let url = registry.url();
    let Some(tui) = Tui::start(
        &["-b", &address, "--schema-registry", &url, "--topic", &topic],
        200,
        40,
    ) else {
        return;
    };
    tui.wait_settled("connected, the tail live", SHOWN, |s| {
        s.contains(&format!("● connected {address}")) && status_line(s) == "● live"
    });
    tui.send_keys("3");
    tui.wait_settled("the Compose tab with the topic prefilled", SHOWN, |s| {
        field(s, "Topic").as_deref() == Some(topic.as_str())
    });

    // A string where the schema has a long.
    let wrong = r#"{"note": "hi ✓", "id": "x"}"#;
    tui.send_keys(wrong);
    let screen = tui.wait_settled("the value typed", SHOWN, |s| {
        value_rows(s).first().map(String::as_str) == Some(wrong)
    });
    assert_eq!(value_label(&screen), "JSON ✓ (Ctrl-F formats)", "{screen}");
    for _ in 0..3 {
        tui.send_key("Tab"); // topic, partition, key
    }
    tui.send_keys("o-42"); // not JSON: a string for the key's schema
    tui.send_key("Tab"); // key schema
    tui.send_keys(&key_subject);
    tui.send_key("Tab"); // schema: the key's schema loads
    tui.send_keys(&subject);
    let screen = tui.wait_settled("the subject typed", SHOWN, |s| {
        field(s, "Schema").as_deref() == Some(subject.as_str())
    });
    assert_eq!(
        value_label(&screen),
        "schema not loaded yet: leave the Schema field (Tab) to load it",
        "{screen}"
    );
    // Leaving the field loads it, and the value is checked against it.
    tui.send_key("Tab");
    let described = format!("{subject} v1 · id {id} · AVRO");
    let why = r#".id: expected a long, got "x""#;
    let screen = tui.wait_settled("the ✗ label", SHOWN, |s| value_label(s).starts_with('✗'));
    assert_eq!(
        value_label(&screen),
        format!("✗ {why} · {described}"),
        "the field's path and why:\n{screen}"
    );
    tui.send_key("C-s");
    let screen = tui.wait_settled_for("Not sent: ", SHOWN);
    assert_eq!(
        compose_status(&screen),
        format!("Not sent: the value does not match {described}: {why}"),
        "{screen}"
    );
    assert_eq!(deliveries(&screen), Some(0), "nothing sent:\n{screen}");

    // Tab from the headers wraps to the value: `"x"}` becomes `42}`.
    tui.send_key("Tab");
    for _ in 0..r#""x"}"#.len() {
        tui.send_key("BSpace");
    }
    tui.send_keys("42}");
    let value = r#"{"note": "hi ✓", "id": 42}"#;
    let screen = tui.wait_settled("the ✓ label", SHOWN, |s| {
        value_rows(s).first().map(String::as_str) == Some(value) && value_label(s).starts_with('✓')
    });
    // 5 bytes of framing, 42 (1 byte), the union's branch (1), the string's length (1)
    // and "hi ✓" (6).
    assert_eq!(
        value_label(&screen),
        format!("✓ matches {described} · sent framed, 14 B"),
        "{screen}"
    );
    assert!(
        !compose_status(&screen).starts_with("Not sent"),
        "editing cleared the refusal:\n{screen}"
    );
    tui.send_key("C-s");
    let screen = tui.wait_settled("the ✓ delivery report", SHOWN, |s| {
        deliveries(s) == Some(1) && newest_report(s).contains(&format!("✓ {topic} partition "))
    });
    assert!(
        newest_report(&screen).contains(&format!("✓ {topic} partition 0 offset 0")),
        "{screen}"
    );

    // confluent-kafka's AvroDeserializer reads back what was typed, the key too.
    let back = schema_peers::consume(&address, &url, &topic, "avro", 1, true, None);
    assert_eq!(
        back,
        vec![json!({"key": "o-42", "value": {"id": 42, "note": "hi ✓"}})]
    );
    // The bytes are framed as the Confluent serializers frame them.
    let records = kp_consume(&address, &topic, 1);
    let mut framed = vec![0];
    framed.extend(id.to_be_bytes());
    framed.extend([0x54, 0x02, 0x0c]);
    framed.extend("hi ✓".as_bytes());
    assert_eq!(
        records[0].value.as_deref(),
        Some(&framed[..]),
        "{records:?}"
    );
    let mut framed_key = vec![0];
    framed_key.extend(key_id.to_be_bytes());
    framed_key.extend(b"\x08o-42");
    assert_eq!(
        records[0].key.as_deref(),
        Some(&framed_key[..]),
        "{records:?}"
    );

    // The Tail (open on the topic since the start) shows it decoded.
    tui.send_key("Escape");
    tui.wait_settled_for("Enter edits · Ctrl-S sends · Ctrl-R history", SHOWN);
    tui.send_keys("2");
    let screen = tui.wait_settled_for(" 1 record ", SHOWN);
    let line = row(&screen, r#"{"id":42,"note":"hi ✓"}"#)
        .unwrap_or_else(|| panic!("the decoded value in the tail:\n{screen}"));
    assert_eq!(cells(line)[..2], ["0", "0"], "{screen}");
}

// ---------------------------------------------------------------------------------------
// B4: a registry nobody answers

#[test]
fn a_registry_that_cannot_be_reached_is_said_in_the_tail_and_the_detail_shows_the_bytes() {
    let Some((address, topic)) = shared_with_topic("sc-down") else {
        return;
    };
    if !schema_peers::serializers_available() {
        return;
    }
    // The peer frames with a registry that then goes away for good.
    let id = {
        let registry = FakeRegistry::start_in_background();
        schema_peers::produce(&address, &registry.url(), &topic, "avro", false);
        only_id(&registry, &format!("{topic}-value"))
    };
    let down = format!("http://{}", unused_address());
    let Some((tui, screen)) = tail_from_beginning(&address, &down, &topic, 3, 160, 40) else {
        return;
    };
    let warning = format!("⚠ schema {id}: cannot reach the schema registry at {down}: ");
    let screen = if screen.matches(&warning).count() == 3 {
        screen
    } else {
        tui.wait_settled("the warning on every row", SHOWN, |s| {
            s.matches(&warning).count() == 3
        })
    };
    for offset in 0..3 {
        let offset = offset.to_string();
        let line = screen
            .lines()
            .find(|l| l.starts_with('│') && cells(l).get(..2) == Some(&["0", offset.as_str()]))
            .unwrap_or_else(|| panic!("offset {offset}:\n{screen}"));
        assert!(
            line.contains(&warning),
            "the VALUE column says why:\n{screen}"
        );
    }

    tui.send_key("Enter");
    let screen = tui.wait_settled("the detail in hex", SHOWN, |s| {
        value_header(s).contains(" · hex · line 1/")
    });
    let schema = detail_field(&screen, "schema    ").expect("the schema line");
    assert!(
        schema.starts_with(&format!("id {id} · {warning}")),
        "{screen}"
    );
    assert!(
        schema.ends_with(" (the bytes are shown as they are)"),
        "{screen}"
    );
    let first = value_lines(&screen).first().cloned().unwrap_or_default();
    assert!(
        first.starts_with(&format!("00000000  {} 06 6f 2d  33", framing_hex(id))),
        "the framed bytes as they are:\n{screen}"
    );
    assert_eq!(tui.exited(), None, "still running");
    assert!(
        screen.contains(&format!("● connected {address}")),
        "{screen}"
    );
}
