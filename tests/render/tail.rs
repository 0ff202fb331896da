//! Layer 2 for the Tail tab: each state drawn into a TestBackend and checked with insta,
//! plus asserts on the rendered cells where safety depends on it.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::model::{Header, Record, TimestampKind};
use ktui::kafka::tail::{PartitionLag, TailEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::support::app::{app_sized, deliver, draw, key, screen, start_tail, typed};

const T0: i64 = 1_700_000_000_000;

fn record(partition: i32, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Record {
    Record {
        partition,
        offset,
        timestamp: Some(T0 + offset * 1500),
        timestamp_kind: TimestampKind::CreateTime,
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers: vec![],
        schemas: None,
    }
}

/// An app tailing `sample`, with the tail started and these records delivered.
fn tailing(width: u16, height: u16, records: Vec<Record>) -> (App, u64) {
    let mut app = app_sized(width, height);
    let id = start_tail(&mut app, "sample", &[0, 1, 2]);
    if !records.is_empty() {
        deliver(&mut app, id, TailEvent::Records(records));
    }
    (app, id)
}

fn sample_records() -> Vec<Record> {
    vec![
        record(0, 0, None, Some(b"Hello, CSYE7245!")),
        record(1, 1, Some(b"message-two"), Some(b"Kafka in use!")),
        record(
            2,
            2,
            Some(b"user-2"),
            Some(br#"{"user":{"id":42,"name":"grace"},"level":"error","msg":"payment declined"}"#),
        ),
        record(2, 3, Some(b"gone"), None),
        record(0, 4, Some(b"empty"), Some(b"")),
        record(
            1,
            5,
            Some(&[0xde, 0xad]),
            Some(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]),
        ),
    ]
}

#[test]
fn tail_no_topic_chosen() {
    let mut app = app_sized(100, 12);
    app.tab = Tab::Tail;
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_starting() {
    let mut app = app_sized(100, 12);
    app.open_in_tail("sample");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_waiting_for_records() {
    let (app, _) = tailing(100, 12, vec![]);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_live_with_rates_and_lag() {
    let (mut app, id) = tailing(120, 16, sample_records());
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id,
        event: TailEvent::Lag(vec![
            PartitionLag {
                partition: 0,
                high: 10,
                behind: 3,
            },
            PartitionLag {
                partition: 1,
                high: 7,
                behind: 0,
            },
            PartitionLag {
                partition: 2,
                high: 4,
                behind: 0,
            },
        ]),
    }));
    for _ in 0..4 {
        app.handle(Event::Tick);
    }
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_paused_counts_new_records() {
    let (mut app, id) = tailing(120, 16, sample_records());
    key(&mut app, KeyCode::Char(' '));
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id,
        event: TailEvent::Records(vec![record(0, 9, None, Some(b"late"))]),
    }));
    key(&mut app, KeyCode::Char('k'));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_filter_with_jq_and_an_invalid_edit() {
    let (mut app, _) = tailing(120, 16, sample_records());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, ".level == \"error\"");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "=");
    app.handle(Event::Tick);
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert!(
        text.contains("jq: 1 of 6 matched"),
        "the old filter stays in force"
    );
    assert_snapshot!(terminal.backend());
}

#[test]
fn tail_failed_unknown_topic() {
    let (mut app, id) = tailing(100, 12, vec![]);
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id,
        event: TailEvent::Failed(
            "unknown topic \"nope\": the cluster has no topic by that name".into(),
        ),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn detail_pretty_json_with_headers() {
    let mut json = record(
        2,
        2,
        Some(b"user-2"),
        Some(br#"{"user":{"id":42,"name":"grace"},"level":"error","tags":[],"amount":12.50}"#),
    );
    json.headers = vec![
        Header {
            name: "trace-id".into(),
            value: Some(b"abc-123".to_vec()),
        },
        Header {
            name: "bin".into(),
            value: Some(vec![0xc3, 0x28]),
        },
        Header {
            name: "nil".into(),
            value: None,
        },
    ];
    let (mut app, _) = tailing(100, 24, vec![json]);
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn detail_binary_value_as_hex() {
    let (mut app, _) = tailing(
        100,
        16,
        vec![record(1, 5, None, Some(&(0u8..=40).collect::<Vec<_>>()))],
    );
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn detail_tombstone_and_empty_value_differ() {
    let (mut app, _) = tailing(100, 12, vec![record(2, 3, Some(b"gone"), None)]);
    key(&mut app, KeyCode::Enter);
    assert!(screen(&draw(&app)).contains("tombstone: the value is null"));
    let (mut app, _) = tailing(100, 12, vec![record(0, 4, Some(b"empty"), Some(b""))]);
    key(&mut app, KeyCode::Enter);
    assert!(screen(&draw(&app)).contains("empty value (0 bytes, not a tombstone)"));
}

#[test]
fn detail_ten_megabyte_value_scrolls_to_the_end() {
    let mut big = vec![b'a'; 10 << 20];
    let tail = b"THE-END";
    big.extend_from_slice(tail);
    let (mut app, _) = tailing(100, 16, vec![record(0, 0, None, Some(&big))]);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('G'));
    let text = screen(&draw(&app));
    assert!(
        text.contains("THE-END"),
        "the last line of a 10 MB value is reachable"
    );
    assert!(text.contains("10.0 MiB"));
}

#[test]
fn hostile_bytes_are_shown_as_escapes() {
    let hostile: &[u8] = b"\x1b]0;PWNED\x07\x1b[2J\x1b[H\r\x08evil\xe2\x80\xae\xc2\x9b";
    let (mut app, _) = tailing(120, 14, vec![record(0, 0, Some(hostile), Some(hostile))]);
    let check = |terminal: &Terminal<TestBackend>| {
        let text = screen(terminal);
        for bad in ['\x1b', '\x07', '\r', '\x08', '\u{202e}', '\u{9b}'] {
            assert!(!text.contains(bad), "{bad:?} reached the screen");
        }
        assert!(text.contains("\\x1b]0;PWNED\\x07"), "{text}");
    };
    let terminal = draw(&app);
    check(&terminal);
    assert_snapshot!("hostile_table", terminal.backend());
    key(&mut app, KeyCode::Enter);
    let terminal = draw(&app);
    check(&terminal);
    assert_snapshot!("hostile_detail", terminal.backend());
}

#[test]
fn options_dialog() {
    let (mut app, _) = tailing(100, 20, sample_records());
    key(&mut app, KeyCode::Char('o'));
    typed(&mut app, "x");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn tail_narrow_60x20() {
    let (app, _) = tailing(60, 20, sample_records());
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn a_paused_view_does_not_change_and_hints_resume() {
    let (mut app, id) = tailing(120, 24, sample_records());
    key(&mut app, KeyCode::Char(' '));
    let table = |app: &App| -> Vec<String> {
        // The table, from its border down to the status bar (the header above counts):
        // rows 5 to 19 of the 120-column screen.
        let cells: Vec<char> = screen(&draw(app)).chars().collect();
        let rows: Vec<String> = cells.chunks(120).map(|r| r.iter().collect()).collect();
        assert_eq!(rows.len(), 24, "a 120x24 screen");
        rows[5..20].to_vec()
    };
    let before = table(&app);
    app.handle(Event::Kafka(KafkaEvent::Tail {
        id,
        event: TailEvent::Records(vec![
            record(0, 9, None, Some(b"late")),
            record(1, 10, None, Some(b"later")),
        ]),
    }));
    let terminal = draw(&app);
    let text = screen(&terminal);
    assert_eq!(table(&app), before, "{text}");
    assert!(!text.contains("late"), "{text}");
    assert!(text.contains("2 new since"), "{text}");
    let hints: String = text
        .chars()
        .rev()
        .take(120)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(hints.contains("Space resume"), "{hints}");
    assert!(!hints.contains("pause"), "{hints}");
    key(&mut app, KeyCode::Char(' '));
    let text = screen(&draw(&app));
    assert!(text.contains("later"), "resumed: {text}");
    assert!(text.contains("Space pause"), "{text}");
}

#[test]
fn a_literal_backslash_x1b_differs_from_the_escape_byte() {
    let (mut app, _) = tailing(
        120,
        14,
        vec![
            record(0, 0, Some(b"text"), Some(br"say \x1b[31m")),
            record(0, 1, Some(b"byte"), Some(b"say \x1b[31m")),
        ],
    );
    for view in ["table", "detail"] {
        let text = screen(&draw(&app));
        assert!(!text.contains('\x1b'), "{view}: ESC reached the screen");
        assert!(text.contains(r"say \\x1b[31m"), "{view}: {text}");
        if view == "table" {
            assert!(text.contains(r"say \x1b[31m"), "{view}: {text}");
            // Open the first record (the literal text).
            key(&mut app, KeyCode::Char('g'));
            key(&mut app, KeyCode::Enter);
        }
    }
}

#[test]
fn a_regex_filter_shows_with_one_slash() {
    let (mut app, _) = tailing(120, 14, sample_records());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "/Kafka.*use/");
    key(&mut app, KeyCode::Enter);
    let text = screen(&draw(&app));
    assert!(text.contains("filter /Kafka.*use/ (regex"), "{text}");
    assert!(!text.contains("//"), "{text}");
}

/// The Tail tab searching `sample` from its beginning to now through a jq filter, 1,200 of
/// 3,000 records read, one match so far.
fn searching() -> (App, u64) {
    let (mut app, first) = tailing(110, 16, Vec::new());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, r#"select(.level == "error")"#);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('o'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "beginning");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "now");
    key(&mut app, KeyCode::Enter);
    let id = first + 1;
    deliver(
        &mut app,
        id,
        TailEvent::Started {
            partitions: vec![0, 1, 2],
        },
    );
    deliver(
        &mut app,
        id,
        TailEvent::Range(
            (0..3)
                .map(|p| ktui::kafka::tail::PartitionRange {
                    partition: p,
                    start: 0,
                    end: 1000,
                })
                .collect(),
        ),
    );
    deliver(
        &mut app,
        id,
        TailEvent::Records(vec![sample_records()[2].clone()]),
    );
    deliver(&mut app, id, TailEvent::Progress { scanned: 1200 });
    // The rate depends on the clock: fixed here so the snapshot is stable.
    app.tail.search.as_mut().expect("a search").rate = 600.0;
    (app, id)
}

/// A search through history (o, Until): the header's bar, records read of the total,
/// rate, time left and matches; then done; then stopped with Esc.
#[test]
fn a_search_shows_its_progress_then_done_or_stopped() {
    let (app, _) = searching();
    assert_snapshot!("search_running", draw(&app).backend());
    let running = screen(&draw(&app));
    assert!(running.contains("1,200 / 3,000 records"), "{running}");
    assert!(running.contains("ETA 3 s"), "{running}");
    assert!(
        running.contains("Esc stop search"),
        "the hint says how to stop:\n{running}"
    );

    let (mut done, id) = searching();
    deliver(&mut done, id, TailEvent::Progress { scanned: 3000 });
    deliver(&mut done, id, TailEvent::ReachedEnd);
    assert_snapshot!("search_done", draw(&done).backend());

    let (mut stopped, _) = searching();
    key(&mut stopped, KeyCode::Esc);
    assert_snapshot!("search_stopped", draw(&stopped).backend());
}
