//! Layer 2 for the Groups tab: the list with its lag trend, empty, failed and stale, a
//! narrow terminal, a group's details, the reset form, its preview and confirmation, and
//! the delete confirmations, drawn and checked with insta.

use crossterm::event::KeyCode;
use ktui::app::App;
use ktui::event::Event;
use ktui::kafka::KafkaEvent;
use ktui::kafka::groups::{GroupDetail, GroupKind, GroupSummary, GroupsSnapshot, PartitionLag};

use crate::support::app::{app_sized, connected, draw, key, screen, snapshot, typed};
use crate::support::group_fixtures::{
    answer_detail, answer_listing, billing_detail, describe_id, earliest_plan, group, groups,
    list_id, listing, on_groups_tab,
};

/// An App of `width`×`height` on the Groups tab, listing [`groups`].
fn groups_app(width: u16, height: u16) -> App {
    let mut app = app_sized(width, height);
    connected(&mut app, snapshot(&["orders", "payments"]));
    on_groups_tab(&mut app, groups());
    app
}

/// Answers the next listings with billing's lag going through `lags`.
fn sample(app: &mut App, lags: &[i64]) {
    for &lag in lags {
        let id = (0..100)
            .find_map(|_| list_id(&app.handle(Event::Tick)))
            .expect("a refresh");
        let mut listed = groups();
        listed[0].lag = Some(lag);
        answer_listing(app, id, Ok(listing(listed)));
    }
}

#[test]
fn groups_listed_with_their_lag_trend() {
    let mut app = groups_app(120, 16);
    sample(
        &mut app,
        &[3_000, 6_000, 9_000, 12_000, 8_000, 4_000, 2_000],
    );
    let terminal = draw(&app);
    assert_snapshot!(terminal.backend());
    assert!(
        screen(&terminal).contains("▂▃▅▇█▆▄▃"),
        "billing's trend rises then falls"
    );
}

#[test]
fn groups_narrow_80x20() {
    let app = groups_app(80, 20);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn groups_empty_cluster() {
    let mut app = app_sized(100, 14);
    connected(&mut app, snapshot(&["orders"]));
    on_groups_tab(&mut app, vec![]);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn groups_error_in_the_workers_words() {
    let mut app = app_sized(100, 14);
    connected(&mut app, snapshot(&["orders"]));
    let id = list_id(&key(&mut app, KeyCode::Char('5'))).unwrap();
    answer_listing(
        &mut app,
        id,
        Err("the demo (mock) cluster has no consumer-group admin API".into()),
    );
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn groups_stale_after_a_failed_refresh_filtered_by_topic() {
    let mut app = app_sized(120, 14);
    connected(&mut app, snapshot(&["orders", "payments"]));
    key(&mut app, KeyCode::Char('j'));
    let id = list_id(&key(&mut app, KeyCode::Char('C'))).unwrap();
    answer_listing(&mut app, id, Ok(listing(groups())));
    let id = (0..100)
        .find_map(|_| list_id(&app.handle(Event::Tick)))
        .unwrap();
    answer_listing(
        &mut app,
        id,
        Err("cannot reach the cluster at localhost:9092 (no answer in 10 s)".into()),
    );
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn group_details_members_partitions_and_time_lag() {
    let mut app = groups_app(120, 30);
    sample(&mut app, &[1_200, 900, 1_500]);
    let (id, group) = describe_id(&key(&mut app, KeyCode::Enter)).unwrap();
    answer_detail(&mut app, id, &group, Ok(billing_detail()));
    key(&mut app, KeyCode::Down);
    assert_snapshot!(draw(&app).backend());
}

/// Opens the reset dialog on `audit` (the second row).
fn reset_dialog(width: u16, height: u16) -> App {
    let mut app = groups_app(width, height);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('r'));
    app
}

#[test]
fn reset_form_keeps_what_was_typed_and_shows_the_refusal() {
    let mut app = reset_dialog(100, 24);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "42");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders:0,1");
    let commands = key(&mut app, KeyCode::Enter);
    let Some(ktui::kafka::Command::PlanReset { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    app.handle(Event::Kafka(KafkaEvent::ResetPlanned {
        id: *id,
        group: "audit".into(),
        result: Err("Assignments can only be reset if the group 'audit' is inactive, but the current state is Stable.".into()),
    }));
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn reset_form_bad_date() {
    let mut app = reset_dialog(100, 24);
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "last tuesday");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn reset_preview_and_typed_confirmation() {
    let mut app = reset_dialog(100, 26);
    let commands = key(&mut app, KeyCode::Enter);
    let Some(ktui::kafka::Command::PlanReset { id, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    let mut plan = earliest_plan("audit");
    plan.notes.push(
        "Partition 0 from topic payments is empty. Falling back to latest known offset.".into(),
    );
    app.handle(Event::Kafka(KafkaEvent::ResetPlanned {
        id: *id,
        group: "audit".into(),
        result: Ok(Box::new(plan)),
    }));
    typed(&mut app, "aud");
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn delete_group_confirmation() {
    let mut app = groups_app(100, 20);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('D'));
    typed(&mut app, "aud");
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn delete_offsets_asks_the_topic_and_the_name() {
    let mut app = groups_app(100, 20);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('X'));
    key(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app).backend());
}

#[test]
fn hostile_group_names_are_escaped() {
    let mut app = app_sized(100, 12);
    connected(&mut app, snapshot(&["orders"]));
    let mut hostile = groups();
    hostile[0].name = "evil\x1b]0;pwned\x07".into();
    hostile[0].state = "Stable\r".into();
    let id = list_id(&key(&mut app, KeyCode::Char('5'))).unwrap();
    answer_listing(
        &mut app,
        id,
        Ok(GroupsSnapshot {
            groups: hostile,
            ..GroupsSnapshot::default()
        }),
    );
    let text = screen(&draw(&app));
    assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\r'));
    assert!(text.contains("evil"), "{text}");
}

#[test]
fn a_share_group_listed_and_opened_start_offsets_and_unknown_members() {
    let mut app = app_sized(120, 24);
    connected(&mut app, snapshot(&["jobs"]));
    let workers = GroupSummary {
        kind: GroupKind::Share,
        members: None,
        protocol: None,
        ..group("workers", "Stable", 0, &["jobs"], Some(7))
    };
    on_groups_tab(&mut app, vec![workers.clone()]);
    let (id, name) = describe_id(&key(&mut app, KeyCode::Enter)).unwrap();
    let row = |partition: i32, start: i64, end: i64| PartitionLag {
        topic: "jobs".into(),
        partition,
        committed: Some(start),
        end: Some(end),
        lag: Some(end - start),
        time_lag_ms: Some(4_000),
        owner: None,
    };
    let detail = GroupDetail {
        summary: workers,
        members: Vec::new(),
        partitions: vec![row(0, 4, 9), row(1, 10, 12)],
    };
    answer_detail(&mut app, id, &name, Ok(detail));
    assert_snapshot!(draw(&app).backend());
}
