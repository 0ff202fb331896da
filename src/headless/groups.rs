//! `ktui groups`: consumer groups on stdout (a table or JSON), and resets and deletes with
//! kafka-consumer-groups.sh's vocabulary. Failures exit non-zero with words: 2 when the
//! cluster cannot be reached or a confirmation is missing, 1 when Kafka refuses.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{GroupsAction, GroupsArgs, ResetArgs};
use crate::kafka::ClientSettings;
use crate::kafka::groups::{
    GroupDetail, GroupKind, GroupSummary, GroupsClient, ResetPlan, ResetRequest, format_time_lag,
};
use crate::text::escape_control;

/// `demo`: the cluster is the embedded demo (its limits are named as such).
pub async fn run(
    args: GroupsArgs,
    settings: ClientSettings,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    let client = GroupsClient::new(settings, Duration::from_secs(args.timeout()), demo);
    let json = args.json();
    let outcome = match args.action {
        None => client.list().await.map(|snapshot| {
            for warning in &snapshot.warnings {
                super::note(&format!("ktui: {}", escape_control(warning)));
            }
            if json {
                to_json(&snapshot.groups)
            } else {
                list_table(&snapshot.groups)
            }
        }),
        Some(GroupsAction::Describe { group, .. }) => {
            client.describe(&group, true).await.map(|detail| {
                if json {
                    detail_json(&detail)
                } else {
                    describe_note(&detail);
                    detail_table(&detail)
                }
            })
        }
        Some(GroupsAction::Reset(reset)) => return run_reset(&client, &reset, json).await,
        Some(GroupsAction::Delete { group, yes, .. }) => {
            if !yes {
                return Ok(refuse(&format!(
                    "deleting consumer group '{group}' cannot be undone: add --yes to confirm"
                )));
            }
            client.delete(&group).await.map(|()| {
                format!("Deletion of requested consumer groups ('{group}') was successful.\n")
            })
        }
        Some(GroupsAction::DeleteOffsets {
            group, topic, yes, ..
        }) => {
            if !yes {
                return Ok(refuse(&format!(
                    "deleting the offsets of '{group}' for '{topic}' cannot be undone: add --yes to confirm"
                )));
            }
            client.delete_offsets(&group, &topic).await.map(|n| {
                format!(
                    "Request succeeded for deleting offsets from group {group}: {n} partition(s) of {topic}.\n"
                )
            })
        }
    };
    match outcome {
        Ok(text) => write_out(&text),
        Err(reason) => Ok(failed(&reason)),
    }
}

async fn run_reset(
    client: &GroupsClient,
    args: &ResetArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let request = ResetRequest {
        group: args.group.clone(),
        scope: args.scope(),
        to: args.to(),
    };
    let plan = match client.plan(&request).await {
        Ok(plan) => plan,
        Err(reason) => return Ok(failed(&reason)),
    };
    for note in &plan.notes {
        super::note(&format!("Warn: {}", escape_control(note)));
    }
    let applied = if args.execute {
        match client.apply(&plan).await {
            Ok(n) => Some(n),
            Err(reason) => return Ok(failed(&reason)),
        }
    } else {
        None
    };
    let text = if json {
        plan_json(&plan, applied.is_some())
    } else {
        plan_table(&plan)
    };
    let code = write_out(&text)?;
    if !json {
        super::note(&match applied {
            Some(n) => format!("Moved {n} partition(s) of group '{}'.", plan.request.group),
            None => "Dry run: nothing was changed. Add --execute to move these offsets.".into(),
        });
    }
    Ok(code)
}

/// A missing confirmation: exit 2, nothing done.
fn refuse(reason: &str) -> ExitCode {
    super::note(&format!("ktui: {}", escape_control(reason)));
    ExitCode::from(2)
}

/// Kafka (or the network) said no: 2 when the cluster cannot be reached, else 1.
fn failed(reason: &str) -> ExitCode {
    super::note(&format!("ktui: {}", escape_control(reason)));
    if reason.starts_with("cannot reach the cluster") {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

fn write_out(text: &str) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(anyhow::Error::new(e).context("writing the groups")),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}

/// Columns padded to their widest cell (names are escaped: a group id is hostile input).
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let last = cells.len() - 1;
        for (i, cell) in cells.into_iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn list_table(groups: &[GroupSummary]) -> String {
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            vec![
                escape_control(&g.name).into_owned(),
                escape_control(g.kind.name()).into_owned(),
                escape_control(&g.state).into_owned(),
                g.members.map_or_else(|| "-".into(), |n| n.to_string()),
                or_dash(g.lag),
                escape_control(&g.topics.join(",")).into_owned(),
            ]
        })
        .collect();
    table(
        &["GROUP", "TYPE", "STATE", "MEMBERS", "LAG", "TOPICS"],
        &rows,
    )
}

/// What Kafka's tool says before the table about the group's state.
fn describe_note(detail: &GroupDetail) {
    let group = escape_control(&detail.summary.name);
    match detail.summary.state.as_str() {
        "Empty" => {
            let kind = if detail.summary.kind == GroupKind::Share {
                "Share"
            } else {
                "Consumer"
            };
            super::note(&format!("{kind} group '{group}' has no active members."));
        }
        "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => {
            super::note(&format!(
                "Warning: Consumer group '{group}' is rebalancing."
            ));
        }
        _ => {}
    }
}

fn detail_table(detail: &GroupDetail) -> String {
    let group = escape_control(&detail.summary.name).into_owned();
    let member_of = |topic: &str, partition: i32| {
        detail.members.iter().find(|m| {
            m.assignment
                .iter()
                .any(|(t, ps)| t == topic && ps.contains(&partition))
        })
    };
    let rows: Vec<Vec<String>> = detail
        .partitions
        .iter()
        .map(|p| {
            let member = member_of(&p.topic, p.partition);
            vec![
                group.clone(),
                escape_control(&p.topic).into_owned(),
                p.partition.to_string(),
                or_dash(p.committed),
                or_dash(p.end),
                or_dash(p.lag),
                format_time_lag(p.time_lag_ms),
                or_dash(member.map(|m| escape_control(&m.member_id).into_owned())),
                or_dash(member.map(|m| escape_control(&m.host).into_owned())),
                or_dash(member.map(|m| escape_control(&m.client_id).into_owned())),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "GROUP",
            "TOPIC",
            "PARTITION",
            if detail.summary.kind == GroupKind::Share {
                "START-OFFSET"
            } else {
                "CURRENT-OFFSET"
            },
            "LOG-END-OFFSET",
            "LAG",
            "TIME-LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ],
        &rows,
    );
    if !detail.members.is_empty() {
        let members: Vec<Vec<String>> = detail
            .members
            .iter()
            .map(|m| {
                let assignment: Vec<String> = m
                    .assignment
                    .iter()
                    .map(|(t, ps)| {
                        let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
                        format!("{}({})", escape_control(t), ps.join(","))
                    })
                    .collect();
                vec![
                    group.clone(),
                    escape_control(&m.member_id).into_owned(),
                    escape_control(&m.host).into_owned(),
                    escape_control(&m.client_id).into_owned(),
                    m.partition_count().to_string(),
                    assignment.join(" "),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&table(
            &[
                "GROUP",
                "CONSUMER-ID",
                "HOST",
                "CLIENT-ID",
                "#PARTITIONS",
                "ASSIGNMENT",
            ],
            &members,
        ));
    }
    out
}

fn detail_json(detail: &GroupDetail) -> String {
    let members: Vec<Value> = detail
        .members
        .iter()
        .map(|m| {
            json!({
                "member_id": m.member_id,
                "client_id": m.client_id,
                "host": m.host,
                "instance_id": m.instance_id,
                "assignment": m.assignment.iter()
                    .map(|(t, ps)| json!({"topic": t, "partitions": ps}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let s = &detail.summary;
    to_json(&json!({
        "group": s.name,
        "type": s.kind,
        "state": s.state,
        "protocol": s.protocol,
        "lag": s.lag,
        "topics": s.topics,
        // A share group's members are not known (not: it has none).
        "members": if s.kind == GroupKind::Share { Value::Null } else { Value::from(members) },
        "partitions": detail.partitions,
    }))
}

fn plan_table(plan: &ResetPlan) -> String {
    let group = escape_control(&plan.request.group).into_owned();
    let rows: Vec<Vec<String>> = plan
        .rows
        .iter()
        .map(|r| {
            vec![
                group.clone(),
                escape_control(&r.topic).into_owned(),
                r.partition.to_string(),
                or_dash(r.current),
                r.new.to_string(),
                r.lag_change()
                    .map_or_else(|| "-".into(), |c| format!("{c:+}")),
            ]
        })
        .collect();
    table(
        &[
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "NEW-OFFSET",
            "LAG-CHANGE",
        ],
        &rows,
    )
}

fn plan_json(plan: &ResetPlan, executed: bool) -> String {
    let rows: Vec<Value> = plan
        .rows
        .iter()
        .map(|r| {
            json!({
                "topic": r.topic,
                "partition": r.partition,
                "current": r.current,
                "new": r.new,
                "end": r.end,
                "lag_change": r.lag_change(),
            })
        })
        .collect();
    to_json(&json!({
        "group": plan.request.group,
        "reset": plan.request.to.to_string(),
        "state": plan.state,
        "executed": executed,
        "rows": rows,
        "notes": plan.notes,
    }))
}
