//! Consumer-group fixtures for the update and render layers: listings, one group in
//! full, reset plans, and the worker's answers to the Groups tab as `App` receives them.
#![allow(dead_code)] // each test binary uses a subset

use ktui::app::App;
use ktui::event::Event;
use ktui::kafka::groups::{
    GroupDetail, GroupKind, GroupSummary, GroupsSnapshot, MemberInfo, PartitionLag, PlanRow,
    ResetPlan, ResetRequest, ResetScope, ResetTo,
};
use ktui::kafka::{Command, KafkaEvent, RequestId};

/// A classic group in `state` with `members`, reading `topics`, `lag` behind.
pub fn group(
    name: &str,
    state: &str,
    members: usize,
    topics: &[&str],
    lag: Option<i64>,
) -> GroupSummary {
    GroupSummary {
        name: name.into(),
        kind: GroupKind::Classic,
        state: state.into(),
        protocol: (members > 0).then(|| "range".into()),
        members: Some(members),
        topics: topics.iter().map(|t| (*t).to_string()).collect(),
        lag,
        error: None,
    }
}

/// `billing` (Stable, 2 members on orders, 1,500 behind), `audit` (Empty, offsets on
/// orders and payments, caught up), `_confluent-ksql` (internal), `manual` (offsets-only,
/// lag unknown).
pub fn groups() -> Vec<GroupSummary> {
    vec![
        group("billing", "Stable", 2, &["orders"], Some(1_500)),
        group("audit", "Empty", 0, &["orders", "payments"], Some(0)),
        group("_confluent-ksql", "Stable", 1, &["_ksql-commands"], Some(3)),
        GroupSummary {
            kind: GroupKind::OffsetsOnly,
            ..group("manual", "Empty", 0, &["payments"], None)
        },
    ]
}

pub fn listing(groups: Vec<GroupSummary>) -> GroupsSnapshot {
    GroupsSnapshot {
        groups,
        warnings: Vec::new(),
        took_ms: 40,
    }
}

/// `billing` in full: two members splitting `orders`' three partitions.
pub fn billing_detail() -> GroupDetail {
    let member = |id: &str, host: &str, partitions: Vec<i32>| MemberInfo {
        member_id: format!("{id}-6f1c"),
        client_id: id.into(),
        host: host.into(),
        instance_id: None,
        assignment: vec![("orders".into(), partitions)],
    };
    let partition =
        |p: i32, committed: i64, end: i64, time_lag: Option<i64>, owner: &str| PartitionLag {
            topic: "orders".into(),
            partition: p,
            committed: Some(committed),
            end: Some(end),
            lag: Some(end - committed),
            time_lag_ms: time_lag,
            owner: Some(owner.into()),
        };
    GroupDetail {
        summary: group("billing", "Stable", 2, &["orders"], Some(1_500)),
        members: vec![
            member("billing-1", "/10.0.0.7", vec![0, 1]),
            member("billing-2", "/10.0.0.8", vec![2]),
        ],
        partitions: vec![
            partition(0, 1_000, 2_000, Some(3_200), "billing-1"),
            partition(1, 5_000, 5_500, Some(240_000), "billing-1"),
            partition(2, 700, 700, Some(0), "billing-2"),
        ],
    }
}

/// `audit` in full: no members, offsets on two topics.
pub fn audit_detail() -> GroupDetail {
    let partition = |topic: &str, p: i32, committed: i64, end: i64| PartitionLag {
        topic: topic.into(),
        partition: p,
        committed: Some(committed),
        end: Some(end),
        lag: Some(end - committed),
        time_lag_ms: None,
        owner: None,
    };
    GroupDetail {
        summary: group("audit", "Empty", 0, &["orders", "payments"], Some(0)),
        members: Vec::new(),
        partitions: vec![
            partition("orders", 0, 2_000, 2_000),
            partition("payments", 0, 90, 90),
        ],
    }
}

/// A plan moving `audit`'s two partitions to the earliest offsets.
pub fn earliest_plan(group: &str) -> ResetPlan {
    ResetPlan {
        request: ResetRequest {
            group: group.into(),
            scope: ResetScope::AllTopics,
            to: ResetTo::Earliest,
        },
        state: "Empty".into(),
        rows: vec![
            PlanRow {
                topic: "orders".into(),
                partition: 0,
                current: Some(2_000),
                new: 100,
                end: Some(2_000),
            },
            PlanRow {
                topic: "payments".into(),
                partition: 0,
                current: Some(90),
                new: 0,
                end: Some(90),
            },
        ],
        notes: vec![],
    }
}

/// The id of the first `ListGroups` in `commands`.
pub fn list_id(commands: &[Command]) -> Option<RequestId> {
    commands.iter().find_map(|c| match c {
        Command::ListGroups { id } => Some(*id),
        _ => None,
    })
}

/// The id and group of the first `DescribeGroup` in `commands`.
pub fn describe_id(commands: &[Command]) -> Option<(RequestId, String)> {
    commands.iter().find_map(|c| match c {
        Command::DescribeGroup { id, group } => Some((*id, group.clone())),
        _ => None,
    })
}

/// The worker's answer to the listing `id`; returns the commands `App` sent.
pub fn answer_listing(
    app: &mut App,
    id: RequestId,
    result: Result<GroupsSnapshot, String>,
) -> Vec<Command> {
    app.handle(Event::Kafka(KafkaEvent::Groups { id, result }))
}

/// Switches to the Groups tab (5) and answers its first listing with `groups`.
pub fn on_groups_tab(app: &mut App, groups: Vec<GroupSummary>) {
    let commands = app.handle(Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('5'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let id = list_id(&commands).unwrap_or_else(|| panic!("5 lists the groups: {commands:?}"));
    answer_listing(app, id, Ok(listing(groups)));
}

/// The worker's answer to `DescribeGroup { id, group }`.
pub fn answer_detail(
    app: &mut App,
    id: RequestId,
    group: &str,
    detail: Result<GroupDetail, String>,
) -> Vec<Command> {
    app.handle(Event::Kafka(KafkaEvent::GroupDetail {
        id,
        group: group.into(),
        result: detail.map(Box::new),
    }))
}
