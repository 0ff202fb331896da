//! Layer 1 for the Groups tab: keys and fake worker answers into `App`; assert the list's
//! order and filters, the adaptive refresh schedule, the lag samples, the details'
//! routing (latest wins), the reset and delete dialogs (typed confirmation, refusals,
//! bad input), read-only refusals, and the ways to and from the other tabs.

use crossterm::event::KeyCode;
use ktui::app::{App, Tab};
use ktui::event::Event;
use ktui::kafka::groups::{ResetScope, ResetTo, TopicSelector};
use ktui::kafka::{Command, KafkaEvent};
use ktui::loadable::Loadable;
use ktui::tabs::groups::{Dialog, ResetMode, Status};

use crate::support::app::{key, loaded, read_only_app, toasts, typed};
use crate::support::group_fixtures::{
    answer_detail, answer_listing, audit_detail, billing_detail, describe_id, earliest_plan, group,
    groups, list_id, listing, on_groups_tab,
};

fn names(app: &App) -> Vec<String> {
    (0..app.groups.visible_len())
        .map(|i| app.groups.visible_group(i).unwrap().name.clone())
        .collect()
}

/// The Groups tab listing [`groups`], connected to a cluster holding orders and payments.
fn groups_app() -> App {
    let mut app = loaded(&["orders", "payments"]);
    on_groups_tab(&mut app, groups());
    app
}

/// Ticks until the app asks something about groups; returns how many ticks that took
/// and the group requests (the Topics tab's config requests are left out).
fn ticks_until_sent(app: &mut App, limit: u32) -> Option<(u32, Vec<Command>)> {
    (1..=limit).find_map(|n| {
        let commands: Vec<Command> = app
            .handle(Event::Tick)
            .into_iter()
            .filter(|c| {
                matches!(
                    c,
                    Command::ListGroups { .. } | Command::DescribeGroup { .. }
                )
            })
            .collect();
        (!commands.is_empty()).then_some((n, commands))
    })
}

#[test]
fn five_lists_the_groups_most_lag_first_without_internal_ones() {
    let mut app = loaded(&["orders"]);
    let commands = key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Groups);
    let id = list_id(&commands).expect("shown: listed at once");
    assert!(app.groups.groups.is_loading());
    answer_listing(&mut app, id, Ok(listing(groups())));
    assert_eq!(names(&app), ["billing", "audit", "manual"]);
    assert_eq!(app.groups.counts(), (4, 1));

    key(&mut app, KeyCode::Char('s'));
    assert_eq!(names(&app), ["audit", "billing", "manual"]);
    key(&mut app, KeyCode::Char('i'));
    assert_eq!(
        names(&app),
        ["_confluent-ksql", "audit", "billing", "manual"]
    );
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(
        names(&app),
        ["billing", "_confluent-ksql", "audit", "manual"]
    );
}

#[test]
fn the_filter_narrows_by_name_and_esc_clears_it() {
    let mut app = groups_app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "dit");
    assert_eq!(names(&app), ["audit"]);
    assert!(
        !app.should_quit && app.tab == Tab::Groups,
        "typed, not keys"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.groups.filter.value(), "dit");
    key(&mut app, KeyCode::Esc);
    assert_eq!(names(&app), ["billing", "audit", "manual"]);
}

#[test]
fn refreshes_pace_themselves_on_how_long_the_last_one_took() {
    let mut app = groups_app();
    // The answer took 40 ms: the next listing goes 2 s (8 ticks) after it.
    let (after, commands) = ticks_until_sent(&mut app, 100).expect("a refresh");
    assert_eq!(after, 8);
    let id = list_id(&commands).expect("a listing");
    // Never two at once, however long the answer takes.
    assert!(ticks_until_sent(&mut app, 100).is_none());
    let slow = ktui::kafka::groups::GroupsSnapshot {
        took_ms: 1_500,
        ..listing(groups())
    };
    answer_listing(&mut app, id, Ok(slow));
    // 10 × 1.5 s = 15 s = 60 ticks.
    let (after, commands) = ticks_until_sent(&mut app, 100).expect("a refresh");
    assert_eq!(after, 60);
    answer_listing(&mut app, list_id(&commands).unwrap(), Ok(listing(groups())));
    // Hidden: sampled every 30 s (120 ticks), so the history covers the time since launch.
    key(&mut app, KeyCode::Char('1'));
    let (after, commands) = ticks_until_sent(&mut app, 200).expect("a sample while hidden");
    assert_eq!(after, 120);
    assert_eq!(commands.len(), 1);
    // Shown again: asked at once (the sample above is still in flight: not twice).
    assert!(list_id(&key(&mut app, KeyCode::Char('5'))).is_none());
}

#[test]
fn a_hidden_tab_samples_lag_from_launch() {
    let mut app = loaded(&["orders"]);
    assert_eq!(app.tab, Tab::Topics);
    let commands = app.handle(Event::Tick);
    let id = list_id(&commands).expect("the first sample goes on the first connected tick");
    answer_listing(&mut app, id, Ok(listing(groups())));
    assert_eq!(app.groups.history.last("billing", 5), [1_500]);
}

#[test]
fn lag_samples_rise_then_fall_with_each_listing() {
    let mut app = groups_app();
    for lag in [2_000, 3_000, 1_000, 0] {
        let (_, commands) = ticks_until_sent(&mut app, 100).expect("a refresh");
        let mut listed = groups();
        listed[0].lag = Some(lag);
        answer_listing(&mut app, list_id(&commands).unwrap(), Ok(listing(listed)));
    }
    assert_eq!(
        app.groups.history.last("billing", 10),
        [1_500, 2_000, 3_000, 1_000, 0]
    );
    let ticks: Vec<u64> = app.groups.history.of("billing").map(|(t, _)| t).collect();
    assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
    assert_eq!(
        ktui::tabs::groups::pace::sparkline(&app.groups.history.last("billing", 5)),
        "▅▆█▄▁"
    );
    // Most lag first: billing fell to 0, below audit's 0 only by name.
    assert_eq!(names(&app), ["audit", "billing", "manual"]);
}

#[test]
fn a_failed_refresh_keeps_the_table_and_marks_it_stale() {
    let mut app = loaded(&["orders"]);
    let id = list_id(&key(&mut app, KeyCode::Char('5'))).unwrap();
    answer_listing(
        &mut app,
        id,
        Err("the demo (mock) cluster has no consumer-group admin API".into()),
    );
    assert!(
        matches!(&app.groups.groups, Loadable::Failed(r) if r.contains("no consumer-group admin API"))
    );
    let (_, commands) = ticks_until_sent(&mut app, 100).expect("asked again");
    answer_listing(&mut app, list_id(&commands).unwrap(), Ok(listing(groups())));
    let (_, commands) = ticks_until_sent(&mut app, 100).expect("asked again");
    answer_listing(
        &mut app,
        list_id(&commands).unwrap(),
        Err("timed out".into()),
    );
    assert_eq!(names(&app), ["billing", "audit", "manual"]);
    assert_eq!(app.groups.refresh_error.as_deref(), Some("timed out"));
}

#[test]
fn details_follow_the_open_group_and_drop_stale_answers() {
    let mut app = groups_app();
    let (first, group) = describe_id(&key(&mut app, KeyCode::Enter)).expect("described");
    assert_eq!(group, "billing");
    // Closed before its answer, another group opened: the late answer is dropped.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('j'));
    let (second, group) = describe_id(&key(&mut app, KeyCode::Enter)).expect("described");
    assert_eq!(group, "audit");
    answer_detail(&mut app, first, "billing", Ok(billing_detail()));
    let details = app.groups.details.as_ref().unwrap();
    assert_eq!(details.group, "audit");
    assert!(details.data.is_loading());
    answer_detail(&mut app, second, "audit", Ok(audit_detail()));
    let details = app.groups.details.as_ref().unwrap();
    assert_eq!(details.detail().unwrap().partitions.len(), 2);
    // Enter again on the open group changes nothing (no second request in flight).
    assert!(describe_id(&key(&mut app, KeyCode::Enter)).is_none());
    assert!(app.groups.details.as_ref().unwrap().detail().is_some());
    // Scrolls its partitions, not the list.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.groups.details.as_ref().unwrap().selected, 1);
    assert_eq!(app.groups.selected, 1);
    // Refreshed at the same adaptive pace; closed with Esc, a late answer is dropped.
    let (_, commands) = ticks_until_sent(&mut app, 100).expect("refreshes");
    let (again, _) = describe_id(&commands).expect("the open group again");
    key(&mut app, KeyCode::Esc);
    assert!(app.groups.details.is_none());
    answer_detail(&mut app, again, "audit", Ok(audit_detail()));
    assert!(app.groups.details.is_none());
    assert!(
        !app.handle(Event::Tick)
            .iter()
            .any(|c| matches!(c, Command::DescribeGroup { .. })),
        "no details asked while closed"
    );
}

/// Opens the reset dialog on `audit` (the second row).
fn reset_dialog(app: &mut App) {
    key(app, KeyCode::Char('j'));
    key(app, KeyCode::Char('r'));
    assert!(matches!(&app.groups.dialog, Some(Dialog::Reset(r)) if r.group == "audit"));
}

fn reset_status(app: &App) -> Status {
    match &app.groups.dialog {
        Some(Dialog::Reset(reset)) => reset.status.clone(),
        other => panic!("no reset dialog: {other:?}"),
    }
}

#[test]
fn reset_previews_then_applies_the_exact_plan_after_the_name_is_typed() {
    let mut app = groups_app();
    reset_dialog(&mut app);
    // Tab to the scope (earliest needs no value), type a topic.
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "orders:0");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::PlanReset { id, request }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(request.to, ResetTo::Earliest);
    assert_eq!(
        request.scope,
        ResetScope::Topics(vec![TopicSelector {
            topic: "orders".into(),
            partitions: Some(vec![0])
        }])
    );
    // Refused while members are active: the engine's words, in the dialog; typing kept.
    let refusal = "Assignments can only be reset if the group 'audit' is inactive, but the current state is Stable.";
    app.handle(Event::Kafka(KafkaEvent::ResetPlanned {
        id: *id,
        group: "audit".into(),
        result: Err(refusal.into()),
    }));
    assert_eq!(reset_status(&app), Status::Refused(refusal.into()));
    let Some(Dialog::Reset(reset)) = &app.groups.dialog else {
        panic!()
    };
    assert_eq!(reset.scope.value(), "orders:0");

    // Again, once the group is empty: the preview.
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::PlanReset { id, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    let plan = earliest_plan("audit");
    app.handle(Event::Kafka(KafkaEvent::ResetPlanned {
        id: *id,
        group: "audit".into(),
        result: Ok(Box::new(plan.clone())),
    }));
    assert!(matches!(&app.groups.dialog, Some(Dialog::Reset(r)) if r.previewing()));
    // Enter without the name: refused in words, nothing sent.
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(
        matches!(reset_status(&app), Status::Invalid(p) if p.contains("Type the group's name exactly (audit)"))
    );
    typed(&mut app, "audi");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    typed(&mut app, "t");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::ApplyReset { id, plan: sent }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(**sent, plan, "the previewed plan, exactly");
    let commands = app.handle(Event::Kafka(KafkaEvent::ResetApplied {
        id: *id,
        group: "audit".into(),
        result: Ok(2),
    }));
    assert!(app.groups.dialog.is_none());
    assert!(toasts(&app).contains("Reset group audit: 2 partitions moved"));
    assert!(
        list_id(&commands).is_some(),
        "the list is asked for again at once"
    );
}

#[test]
fn bad_reset_input_is_explained_and_kept() {
    let mut app = groups_app();
    reset_dialog(&mut app);
    // The mode: → twice is "offset N".
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let Some(Dialog::Reset(reset)) = &app.groups.dialog else {
        panic!()
    };
    assert_eq!(reset.mode, ResetMode::Offset);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "12a");
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(
        reset_status(&app),
        Status::Invalid("Offset must be a whole number, not \"12a\".".into())
    );
    // Esc closes; r on the same group brings back what was typed.
    key(&mut app, KeyCode::Esc);
    assert!(app.groups.dialog.is_none());
    key(&mut app, KeyCode::Char('r'));
    let Some(Dialog::Reset(reset)) = &app.groups.dialog else {
        panic!()
    };
    assert_eq!(
        (reset.mode, reset.value.value()),
        (ResetMode::Offset, "12a")
    );
    // A date that does not parse, said in the dialog.
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::Right);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(reset_status(&app), Status::Invalid(p) if p.contains("is not a date")));
}

#[test]
fn deleting_a_group_needs_its_name_typed() {
    let mut app = groups_app();
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('D'));
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    typed(&mut app, "audit");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::DeleteGroup { id, group }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(group, "audit");
    // A refusal stays in the dialog, with what was typed.
    app.handle(Event::Kafka(KafkaEvent::GroupDeleted {
        id: *id,
        group: "audit".into(),
        result: Err("The group is not empty.".into()),
    }));
    let Some(Dialog::Delete(delete)) = &app.groups.dialog else {
        panic!()
    };
    assert_eq!(
        delete.status,
        Status::Refused("The group is not empty.".into())
    );
    assert_eq!(delete.confirm.value(), "audit");
}

#[test]
fn deleting_offsets_asks_the_topic_defaulting_to_the_selected_partitions() {
    let mut app = groups_app();
    key(&mut app, KeyCode::Char('j'));
    let (id, _) = describe_id(&key(&mut app, KeyCode::Enter)).unwrap();
    answer_detail(&mut app, id, "audit", Ok(audit_detail()));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('X'));
    let Some(Dialog::Delete(delete)) = &app.groups.dialog else {
        panic!("{:?}", app.groups.dialog)
    };
    assert_eq!(delete.topic(), Some("payments"));
    typed(&mut app, "audit");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::DeleteGroupOffsets { group, topic, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!((group.as_str(), topic.as_str()), ("audit", "payments"));
}

#[test]
fn a_read_only_cluster_refuses_resets_and_deletes_in_words() {
    let mut app = read_only_app();
    on_groups_tab(&mut app, groups());
    for (c, what) in [
        ('r', "Resetting offsets"),
        ('D', "Deleting a group"),
        ('X', "Deleting a group's offsets"),
    ] {
        assert!(key(&mut app, KeyCode::Char(c)).is_empty());
        assert!(app.groups.dialog.is_none());
        assert!(
            toasts(&app).contains(&format!(
                "{what} is disabled: cluster prod is read-only (config)"
            )),
            "{}",
            toasts(&app)
        );
    }
}

#[test]
fn topics_c_shows_the_groups_that_consume_the_topic() {
    let mut app = loaded(&["orders", "payments"]);
    key(&mut app, KeyCode::Char('j'));
    let commands = key(&mut app, KeyCode::Char('C'));
    assert_eq!(app.tab, Tab::Groups);
    assert_eq!(app.groups.topic.as_deref(), Some("payments"));
    answer_listing(&mut app, list_id(&commands).unwrap(), Ok(listing(groups())));
    assert_eq!(names(&app), ["audit", "manual"]);
    key(&mut app, KeyCode::Esc);
    assert_eq!(names(&app), ["billing", "audit", "manual"]);
}

#[test]
fn t_tails_the_groups_topic_from_its_committed_offsets_without_joining() {
    let mut app = groups_app();
    app.tail.defaults.group = Some("ktui-viewer".into());
    let commands = key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.tab, Tab::Tail);
    let Some(Command::StartTail { spec, .. }) = commands
        .iter()
        .find(|c| matches!(c, Command::StartTail { .. }))
    else {
        panic!("{commands:?}");
    };
    assert_eq!(spec.topic, "orders");
    assert_eq!(spec.read_as.as_deref(), Some("billing"));
    assert_eq!(spec.group, None, "reading as a group never joins one");

    // From the details: the selected partition's topic.
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('j'));
    let (id, _) = describe_id(&key(&mut app, KeyCode::Enter)).unwrap();
    answer_detail(&mut app, id, "audit", Ok(audit_detail()));
    key(&mut app, KeyCode::Char('G'));
    let commands = key(&mut app, KeyCode::Char('t'));
    let Some(Command::StartTail { spec, .. }) = commands
        .iter()
        .find(|c| matches!(c, Command::StartTail { .. }))
    else {
        panic!("{commands:?}");
    };
    assert_eq!(
        (spec.topic.as_str(), spec.read_as.as_deref()),
        ("payments", Some("audit"))
    );
}

#[test]
fn a_group_without_topics_has_nothing_to_tail() {
    let mut app = loaded(&["orders"]);
    on_groups_tab(&mut app, vec![group("idle", "Empty", 0, &[], None)]);
    assert!(key(&mut app, KeyCode::Char('t')).is_empty());
    assert_eq!(app.tab, Tab::Groups);
    assert!(toasts(&app).contains("Group idle has no topic yet"));
}

#[test]
fn the_cursor_stays_on_its_group_when_the_listing_changes_around_it() {
    let mut app = groups_app();
    key(&mut app, KeyCode::Char('s')); // by name: audit, billing (selected), manual
    assert_eq!(app.groups.selected_group().unwrap().name, "billing");
    assert_eq!(app.groups.selected, 1);
    // A new group sorts before it: the cursor follows billing, not its old row.
    let mut more = groups();
    more.push(group("aardvark", "Empty", 0, &["orders"], Some(1)));
    app.groups.apply_snapshot(listing(more), 99);
    assert_eq!(app.groups.selected_group().unwrap().name, "billing");
}

#[test]
fn closing_a_reset_while_it_is_applied_keeps_an_editable_form() {
    let mut app = groups_app();
    reset_dialog(&mut app);
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::PlanReset { id, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    app.handle(Event::Kafka(KafkaEvent::ResetPlanned {
        id: *id,
        group: "audit".into(),
        result: Ok(Box::new(earliest_plan("audit"))),
    }));
    typed(&mut app, "audit");
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::ApplyReset { id, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    let applying = *id;
    key(&mut app, KeyCode::Esc); // closes while the write is in flight
    assert!(app.groups.dialog.is_none());
    app.handle(Event::Kafka(KafkaEvent::ResetApplied {
        id: applying,
        group: "audit".into(),
        result: Ok(2),
    }));
    assert!(toasts(&app).contains("Reset group audit: 2 partitions moved"));
    // `r` again: the form as typed, editable (not stuck "applying…").
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(reset_status(&app), Status::Editing);
    let Some(Dialog::Reset(reset)) = &app.groups.dialog else {
        panic!()
    };
    assert!(!reset.previewing());
    // Enter previews again.
    assert!(matches!(
        key(&mut app, KeyCode::Enter).as_slice(),
        [Command::PlanReset { .. }]
    ));
}

#[test]
fn the_details_cursor_stays_on_its_partition_when_rows_change() {
    let mut app = groups_app();
    let (id, _) = describe_id(&key(&mut app, KeyCode::Enter)).expect("described");
    answer_detail(&mut app, id, "billing", Ok(billing_detail()));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let details = app.groups.details.as_ref().unwrap();
    assert_eq!(details.selected, 2);
    // The group took up another topic that sorts first: the rows move down by one.
    let mut moved = billing_detail();
    let mut extra = moved.partitions[0].clone();
    extra.topic = "audit-log".into();
    moved.partitions.insert(0, extra);
    let (_, commands) = ticks_until_sent(&mut app, 100).expect("refreshes");
    let (again, _) = describe_id(&commands).expect("the open group again");
    answer_detail(&mut app, again, "billing", Ok(moved));
    let details = app.groups.details.as_ref().unwrap();
    assert_eq!(details.selected, 3);
    assert_eq!(details.selected_topic(), Some("orders"));
    // Its partition gone, the cursor stays in the table.
    let mut fewer = billing_detail();
    fewer.partitions.truncate(1);
    let commands = key(&mut app, KeyCode::Char('R'));
    let (last, _) = describe_id(&commands).expect("the open group again");
    answer_detail(&mut app, last, "billing", Ok(fewer));
    assert_eq!(app.groups.details.as_ref().unwrap().selected, 0);
}

#[test]
fn capital_r_refreshes_the_list_and_the_open_group_now() {
    let mut app = groups_app();
    let (id, _) = describe_id(&key(&mut app, KeyCode::Enter)).expect("described");
    answer_detail(&mut app, id, "billing", Ok(billing_detail()));
    // Just answered: nothing is due for seconds, but R asks for both at once.
    assert!(app.handle(Event::Tick).iter().all(|c| !matches!(
        c,
        Command::ListGroups { .. } | Command::DescribeGroup { .. }
    )));
    let commands = key(&mut app, KeyCode::Char('R'));
    assert!(list_id(&commands).is_some(), "{commands:?}");
    assert!(describe_id(&commands).is_some(), "{commands:?}");
    // With both in flight, R again asks nothing more (one request each at a time),
    // but the listing's answer is followed by another listing at once.
    assert!(key(&mut app, KeyCode::Char('R')).is_empty());
    answer_listing(&mut app, list_id(&commands).unwrap(), Ok(listing(groups())));
    let (after, again) = ticks_until_sent(&mut app, 100).expect("asked again");
    assert_eq!(after, 1, "{again:?}");
    assert!(list_id(&again).is_some(), "{again:?}");
}
