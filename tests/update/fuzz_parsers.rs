//! Random inputs for everything that reads bytes from outside: the payload renderers
//! (previews, the JSON re-indenter and colouring, hex lines, the Tail's table and record
//! detail in every view), the escaping of untrusted text, the NDJSON envelope, the config
//! file and kcat's `-F` file. Nothing may panic on any input, and nothing a renderer draws
//! may put a control character (or a bidi override) into a terminal cell.
//!
//! Case counts are kept small enough for the whole file to run in a few seconds; a failing
//! case is shrunk by proptest and its seed saved under `proptest-regressions/`.

use std::path::Path;

use crossterm::event::KeyCode;
use ktui::app::App;
use ktui::config::{file, kcat};
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::envelope::{self, Envelope};
use ktui::kafka::model::{Header, Record, TimestampKind};
use ktui::kafka::tail::TailEvent;
use ktui::text::{escape_control, is_unsafe_char};
use ktui::theme::Palette;
use ktui::widgets::payload::{hex_line, json_line, preview, reindent_json};
use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

// `key` names a generated record key below.
use crate::support::app::key as press;
use crate::support::app::{app_sized, draw, start_tail};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // No file of failing seeds beside the sources on every run: a failure prints its
        // minimal input, which goes into a test of its own.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes as hostile data comes: mostly ASCII and control bytes, some UTF-8 (bidi
/// overrides, C1 controls, wide characters), some invalid sequences.
fn hostile_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => any::<u8>().prop_map(|b| vec![b]),
        2 => (0u8..0x20).prop_map(|b| vec![b]),
        2 => prop::sample::select(vec![
            "\u{1b}[2J", "\u{1b}]0;pwned\u{7}", "\u{9b}31m", "\u{202e}", "\u{2066}", "\u{200f}",
            "\\x1b", "\r\n", "\t", "\u{7f}", "界", "👩‍💻", "\u{301}", "{\"a\":", "[", "]", "}",
            "\"", "\\\"", "\\", ":", ",", "-1.5e+9", "true", "null", "fals",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::sample::select(vec![
            vec![0xc3u8],
            vec![0xe2, 0x82],
            vec![0xf0, 0x9f, 0x98],
            vec![0xff, 0xfe],
            vec![0xed, 0xa0, 0x80],
        ]),
    ];
    prop::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}

/// Any JSON document, with strings holding any characters (controls included).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The first cell holding an unsafe character, with its position.
fn unsafe_cell(buffer: &Buffer) -> Option<(u16, u16, String)> {
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let symbol = buffer[(x, y)].symbol();
            if symbol.chars().any(is_unsafe_char) {
                return Some((x, y, symbol.escape_debug().to_string()));
            }
        }
    }
    None
}

/// Draws `lines` into a buffer as a paragraph does and checks every cell.
fn assert_cells_safe(lines: Vec<Line<'static>>, what: &str) {
    let area = Rect::new(0, 0, 60, 12);
    let mut buffer = Buffer::empty(area);
    Paragraph::new(lines).render(area, &mut buffer);
    assert_eq!(unsafe_cell(&buffer), None, "{what}");
}

fn record(
    offset: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<Header>,
) -> Record {
    Record {
        partition: 0,
        offset,
        timestamp: Some(1_700_000_000_000 + offset),
        timestamp_kind: TimestampKind::CreateTime,
        key,
        value,
        headers,
        schemas: None,
    }
}

fn tail_app() -> (App, u64) {
    let mut app = app_sized(90, 24);
    let id = start_tail(&mut app, "sample", &[0]);
    (app, id)
}

/// The cells of the frame `app` draws.
fn frame(app: &App) -> Buffer {
    draw(app).backend().buffer().clone()
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn escaping_leaves_no_unsafe_character(text in any::<String>(), bytes in hostile_bytes(40)) {
        for text in [text, String::from_utf8_lossy(&bytes).into_owned()] {
            let escaped = escape_control(&text);
            prop_assert!(!escaped.chars().any(is_unsafe_char), "{escaped:?}");
        }
    }

    #[test]
    fn previews_are_short_and_safe(bytes in hostile_bytes(60), max in 0usize..80) {
        let shown = preview(Some(&bytes), max);
        prop_assert!(!shown.chars().any(is_unsafe_char), "{shown:?}");
        if !bytes.is_empty() {
            prop_assert!(shown.chars().count() <= max.max(1), "{shown:?} for max {max}");
        }
        assert_cells_safe(vec![Line::raw(shown)], "a preview");
    }

    #[test]
    fn hex_lines_are_fixed_width_and_safe(bytes in hostile_bytes(60), pick in any::<prop::sample::Index>()) {
        for offset in (0..bytes.len()).step_by(16) {
            let line = hex_line(&bytes, offset);
            prop_assert!(!line.chars().any(is_unsafe_char), "{line:?}");
            let chunk = bytes.len().min(offset + 16) - offset;
            prop_assert_eq!(line.chars().count(), 8 + 2 + 16 * 3 + 1 + 2 + chunk + 1);
        }
        // Any offset up to the end (the detail view only asks for multiples of 16).
        let offset = pick.index(bytes.len() + 1);
        let _ = hex_line(&bytes, offset);
    }

    #[test]
    fn reindenting_any_bytes_never_panics_and_colours_safely(bytes in hostile_bytes(80)) {
        let text = reindent_json(&bytes);
        let lines: Vec<Line<'static>> = text
            .lines()
            .map(|line| json_line(line, &Palette::dark()))
            .collect();
        for line in &lines {
            for span in &line.spans {
                prop_assert!(!span.content.chars().any(is_unsafe_char), "{:?}", span.content);
            }
        }
        assert_cells_safe(lines, "re-indented JSON");
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn reindenting_valid_json_keeps_the_document(value in json_value()) {
        let compact = serde_json::to_vec(&value).unwrap();
        let text = reindent_json(&compact);
        let back: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        // Compared with the compact text read the same way (serde_json's float parsing is
        // not exact, the re-indenter keeps the number's text as it was).
        let expected: serde_json::Value = serde_json::from_slice(&compact).unwrap();
        prop_assert_eq!(back, expected);
        let lines: Vec<Line<'static>> = text
            .lines()
            .map(|line| json_line(line, &Palette::dark()))
            .collect();
        assert_cells_safe(lines, "re-indented valid JSON");
    }

    #[test]
    fn any_bytes_as_an_envelope_line_never_panic(bytes in hostile_bytes(80)) {
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(&bytes) {
            let _ = envelope.payload();
        }
        let _ = ktui::tabs::compose::history::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn envelope_shaped_lines_never_panic(
        key in prop::option::of(any::<String>()),
        value in prop::option::of(any::<String>()),
        key_b64 in any::<bool>(),
        value_b64 in any::<bool>(),
        header in (any::<String>(), prop::option::of(any::<String>()), any::<bool>()),
        partition in any::<i64>(),
        offset in any::<i64>(),
    ) {
        let encoding = |b64: bool| if b64 { "base64" } else { "utf8" };
        let line = serde_json::json!({
            "topic": "t",
            "partition": partition,
            "offset": offset,
            "key": key,
            "key_encoding": encoding(key_b64),
            "value": value,
            "value_encoding": encoding(value_b64),
            "headers": [{"key": header.0, "value": header.1, "value_encoding": encoding(header.2)}],
        })
        .to_string();
        if let Ok(envelope) = serde_json::from_str::<Envelope>(&line) {
            let _ = envelope.payload();
        }
        let _ = ktui::tabs::compose::history::parse(&line);
    }

    #[test]
    fn records_round_trip_through_the_envelope(
        key in prop::option::of(hostile_bytes(30)),
        value in prop::option::of(hostile_bytes(60)),
        headers in prop::collection::vec((any::<String>(), prop::option::of(hostile_bytes(20))), 0..3),
    ) {
        let headers: Vec<Header> = headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect();
        let record = record(7, key, value, headers);
        let line = envelope::to_line("topic", &record);
        prop_assert!(!line.contains('\n'), "one line: {line:?}");
        let envelope: Envelope = serde_json::from_str(&line).unwrap();
        let (key, value, headers) = envelope.payload().unwrap();
        prop_assert_eq!(key, record.key);
        prop_assert_eq!(value, record.value);
        prop_assert_eq!(headers, record.headers);
    }

    #[test]
    fn any_text_as_a_kcat_file_never_panics(text in any::<String>(), bytes in hostile_bytes(60)) {
        for text in [text, String::from_utf8_lossy(&bytes).into_owned()] {
            if let Ok(properties) = kcat::parse(&text, Path::new("kcat.conf")) {
                for (key, _) in &properties {
                    prop_assert!(!key.is_empty() && key.trim() == key, "{key:?}");
                }
                let _ = kcat::brokers(&properties);
            }
        }
    }

    #[test]
    fn any_text_as_a_config_file_never_panics(text in any::<String>(), bytes in hostile_bytes(60)) {
        for text in [text, String::from_utf8_lossy(&bytes).into_owned()] {
            if let Ok(parsed) = file::parse(&text, Path::new("config.toml")) {
                let _ = file::literal_secrets(&parsed);
            }
        }
    }

    /// TOML that gets past the parser often, so the checks after it (and the error
    /// positions, which slice the text) see odd input too.
    #[test]
    fn config_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("[clusters.a]".to_string()),
                Just("[clusters.\"é界\"]".to_string()),
                Just("[feed]".to_string()),
                Just("[ui]".to_string()),
                Just("[keys.tail]".to_string()),
                Just("[clusters.a.properties]".to_string()),
                any::<String>(),
                (
                    prop::sample::select(vec![
                        "brokers", "default_cluster", "read_only", "color", "kcat_config",
                        "buffer", "offset", "value", "token", "theme", "\"J\"", "\"sasl.password\"",
                        "é界", "",
                    ]),
                    prop_oneof![
                        any::<String>().prop_map(|s| format!("{s:?}")),
                        any::<i64>().prop_map(|n| n.to_string()),
                        any::<bool>().prop_map(|b| b.to_string()),
                        Just("\"\"".to_string()),
                        Just("[1, \"x\"]".to_string()),
                        Just("{ a = 1 }".to_string()),
                        Just("\"env:PW\"".to_string()),
                        Just("\"1000,64MiB\"".to_string()),
                        Just("\"-5\"".to_string()),
                    ],
                )
                    .prop_map(|(key, value)| format!("{key} = {value}")),
            ],
            0..10,
        ),
    ) {
        let text = lines.join("\n");
        if let Ok(parsed) = file::parse(&text, Path::new("config.toml")) {
            let _ = file::literal_secrets(&parsed);
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The Tail tab's table and a record's detail in every view: whatever the key, value
    /// and headers hold, no cell gets a control character.
    #[test]
    fn the_tail_draws_any_record_safely(
        key in prop::option::of(hostile_bytes(30)),
        value in prop::option::of(hostile_bytes(120)),
        json in json_value(),
        headers in prop::collection::vec((any::<String>(), prop::option::of(hostile_bytes(20))), 0..3),
    ) {
        let (mut app, id) = tail_app();
        let headers: Vec<Header> = headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect();
        let records = vec![
            record(0, key.clone(), value, headers.clone()),
            record(1, key, Some(serde_json::to_vec(&json).unwrap()), headers),
        ];
        app.handle(Event::Kafka(KafkaEvent::Tail {
            id,
            event: TailEvent::Records(records),
        }));
        prop_assert_eq!(unsafe_cell(&frame(&app)), None, "the table");
        for row in 0..2 {
            press(&mut app, KeyCode::Char('g'));
            for _ in 0..row {
                press(&mut app, KeyCode::Down);
            }
            press(&mut app, KeyCode::Enter);
            prop_assert!(app.tail.detail.is_some(), "Enter opens the record");
            for view in 0..3 {
                prop_assert_eq!(unsafe_cell(&frame(&app)), None, "record {} view {}", row, view);
                press(&mut app, KeyCode::End);
                prop_assert_eq!(unsafe_cell(&frame(&app)), None, "record {} view {} at the end", row, view);
                press(&mut app, KeyCode::Char('v'));
            }
            press(&mut app, KeyCode::Esc);
        }
    }
}

/// The screen as text, one line per row.
fn screen_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(config(64))]

    /// ratatui drops control characters from cells by itself, so a missing escape would
    /// make hostile text vanish rather than show: every unsafe character must appear as
    /// its visible escape, in the table (key and value previews) and in the raw view.
    #[test]
    fn hostile_characters_show_as_escapes(
        c in any::<char>().prop_filter("unsafe", |c| is_unsafe_char(*c) && *c != '\n'),
        prefix in "[a-z]{0,8}",
    ) {
        let (mut app, id) = tail_app();
        let escaped = escape_control(&c.to_string()).into_owned();
        prop_assert_ne!(&escaped, &c.to_string());
        let key = format!("k{c}");
        let value = format!("{prefix}{c}end");
        app.handle(Event::Kafka(KafkaEvent::Tail {
            id,
            event: TailEvent::Records(vec![record(
                0,
                Some(key.into_bytes()),
                Some(value.into_bytes()),
                Vec::new(),
            )]),
        }));
        let table = screen_text(&frame(&app));
        prop_assert!(table.contains(&format!("k{escaped}")), "key {escaped} in:\n{table}");
        prop_assert!(table.contains(&format!("{prefix}{escaped}end")), "value {escaped} in:\n{table}");
        press(&mut app, KeyCode::Enter);
        let mut raw_seen = false;
        for _ in 0..3 {
            let detail = app.tail.detail.as_ref().expect("the record is open");
            if detail.mode == ktui::tabs::tail::detail::DecodeMode::Raw {
                let shown = screen_text(&frame(&app));
                prop_assert!(shown.contains(&format!("{prefix}{escaped}end")), "raw view:\n{shown}");
                raw_seen = true;
            }
            press(&mut app, KeyCode::Char('v'));
        }
        prop_assert!(raw_seen);
    }
}
