//! Layer 3: `ktui groups` against Apache Kafka (the shared single node), with Kafka's own
//! `ConsumerGroupCommand` as the oracle: the same groups, types, states, members, committed
//! offsets and lag; each reset's preview equal to the tool's `--dry-run`; `--execute`
//! moving offsets that a peer then reads. Groups are made by independent clients: a classic
//! kafka-python member, a KIP-848 confluent-kafka member, and a group with only commits.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::groups::{Member, cgc, groups_peer, table_rows};
use crate::support::kafka;
use crate::support::peers::{ck, kp, wait_for_topic};
use crate::support::process::{Ran, run_with_timeout};
use crate::support::{KTUI, unique, unused_address, wait_until};

/// `ktui -b ADDR groups ARGS…`.
pub(crate) fn ktui(address: &str, args: &[&str]) -> Ran {
    run_with_timeout(
        Command::new(KTUI)
            .args(["-b", address, "groups"])
            .args(args),
        Duration::from_secs(60),
    )
}

/// `ktui groups ARGS… --json`, which must succeed, parsed.
pub(crate) fn ktui_json(address: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let ran = ktui(address, &all);
    assert!(
        ran.success(),
        "ktui groups {args:?} failed ({:?})\nstdout: {}\nstderr: {}",
        ran.status,
        ran.stdout,
        ran.stderr
    );
    serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", ran.stdout))
}

/// A topic with `partitions` partitions, each holding `per_partition` records.
pub(crate) fn filled_topic(
    address: &str,
    prefix: &str,
    partitions: i32,
    per_partition: usize,
) -> String {
    let topic = unique(prefix);
    kp(
        address,
        &[
            "create-topic",
            &topic,
            "--partitions",
            &partitions.to_string(),
        ],
    );
    wait_for_topic(address, &topic, true, Duration::from_secs(30));
    for p in 0..partitions {
        let values: Vec<String> = (0..per_partition).map(|i| format!("v{p}-{i}")).collect();
        let mut args = vec!["produce".to_string(), topic.clone()];
        args.extend(values);
        args.extend(["--partition".to_string(), p.to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kp(address, &args);
    }
    topic
}

/// Commits `offsets` (partition → offset) for `group` without joining it.
fn commit(address: &str, group: &str, topic: &str, offsets: &[(i32, i64)]) {
    let json: BTreeMap<String, i64> = offsets.iter().map(|(p, o)| (p.to_string(), *o)).collect();
    groups_peer(
        address,
        &[
            "commit",
            group,
            topic,
            &serde_json::to_string(&json).unwrap(),
        ],
    );
}

/// confluent-kafka's view of the group's committed offsets on `topic`.
fn committed(address: &str, group: &str, topic: &str) -> BTreeMap<i32, i64> {
    let out = ck(address, &["committed", group, topic]);
    let map: BTreeMap<String, i64> = serde_json::from_str(&out).expect("ck committed JSON");
    map.into_iter()
        .map(|(p, o)| (p.parse().unwrap(), o))
        .collect()
}

/// `ConsumerGroupCommand --describe --group G`: partition → (current, end, lag, client id).
fn oracle_describe(address: &str, group: &str) -> BTreeMap<i32, [String; 4]> {
    let out = cgc(address, &["--describe", "--group", group]);
    table_rows(&out, "GROUP")
        .into_iter()
        .map(|r| {
            (
                r["PARTITION"].parse().unwrap(),
                [
                    r["CURRENT-OFFSET"].clone(),
                    r["LOG-END-OFFSET"].clone(),
                    r["LAG"].clone(),
                    r["CLIENT-ID"].clone(),
                ],
            )
        })
        .collect()
}

/// ktui's describe, in the oracle's shape (`-` where Kafka's tool prints one).
fn ktui_describe(address: &str, group: &str) -> BTreeMap<i32, [String; 4]> {
    let detail = ktui_json(address, &["describe", group]);
    let cell = |v: &Value| {
        if v.is_null() {
            "-".to_string()
        } else {
            v.to_string().trim_matches('"').to_string()
        }
    };
    detail["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                i32::try_from(p["partition"].as_i64().unwrap()).unwrap(),
                [
                    cell(&p["committed"]),
                    cell(&p["end"]),
                    cell(&p["lag"]),
                    cell(&p["owner"]),
                ],
            )
        })
        .collect()
}

#[test]
fn groups_of_every_kind_match_kafkas_own_tool() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = filled_topic(&address, "grp-kinds", 3, 10);
    let classic = unique("classic");
    let only = unique("only-commits");
    let modern = unique("kip848");
    groups_peer(&address, &["read", &classic, &topic, "12"]);
    commit(&address, &only, &topic, &[(0, 3), (1, 5)]);
    let _member = Member::join(&address, &modern, &topic, "consumer");

    // The KIP-848 group may still be assigning when one of the two looks: compare until
    // both see the same (each look is a whole listing, ktui's and then Kafka's tool's).
    let listed = wait_until(
        "ktui and Kafka's tool to list the same types and states",
        Duration::from_secs(60),
        || {
            let listed = ktui_json(&address, &[]);
            let oracle = cgc(&address, &["--list", "--type", "--state"]);
            for group in [&classic, &only, &modern] {
                let Some(row) = listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["group"] == group.as_str())
                else {
                    return Err(format!("{group} not in ktui groups --json: {listed:#}"));
                };
                let Some(theirs) = table_rows(&oracle, "GROUP")
                    .into_iter()
                    .find(|r| &r["GROUP"] == group)
                else {
                    return Err(format!("{group} not listed by Kafka's tool:\n{oracle}"));
                };
                // Kafka's tool calls a group with only commits "classic"; ktui says which
                // it is. Its TYPE column is capitalised ("Classic", "Consumer").
                let kind = if group == &only {
                    "classic"
                } else {
                    row["type"].as_str().unwrap()
                };
                let ours = (kind.to_string(), row["state"].as_str().unwrap().to_string());
                let oracle = (theirs["TYPE"].to_lowercase(), theirs["STATE"].clone());
                if ours != oracle {
                    return Err(format!("{group}: ktui {ours:?}, Kafka {oracle:?}"));
                }
                assert_eq!(row["topics"], serde_json::json!([topic]), "{group}");
            }
            Ok(listed)
        },
    );
    let kind = |g: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == g)
            .map(|r| (r["type"].clone(), r["members"].clone(), r["lag"].clone()))
            .unwrap()
    };
    assert_eq!(kind(&classic), ("classic".into(), 0.into(), 18.into()));
    assert_eq!(kind(&only), ("offsets-only".into(), 0.into(), 12.into()));
    assert_eq!(kind(&modern).0, "consumer");
    assert_eq!(kind(&modern).1, 1);

    for group in [&classic, &only] {
        assert_eq!(
            ktui_describe(&address, group),
            oracle_describe(&address, group),
            "{group}"
        );
    }
    // The active member commits as it goes: compare once both agree it has caught up.
    wait_until(
        "the KIP-848 member to commit every partition",
        Duration::from_secs(60),
        || {
            let ours = ktui_describe(&address, &modern);
            let theirs = oracle_describe(&address, &modern);
            if ours == theirs && ours.values().all(|r| r[2] == "0") && ours.len() == 3 {
                Ok(())
            } else {
                Err(format!("ktui {ours:?} vs Kafka {theirs:?}"))
            }
        },
    );
    let detail = ktui_json(&address, &["describe", &modern]);
    assert_eq!(detail["members"].as_array().unwrap().len(), 1, "{detail:#}");
    assert_eq!(detail["members"][0]["client_id"], "consumer-member");
    let members = cgc(&address, &["--describe", "--members", "--group", &modern]);
    let theirs = &table_rows(&members, "GROUP")[0];
    assert_eq!(
        detail["members"][0]["member_id"],
        theirs["CONSUMER-ID"].as_str()
    );
    assert_eq!(detail["members"][0]["host"], theirs["HOST"].as_str());

    // Kafka refuses a reset while the group has members, and so does ktui, in its words.
    let refused = ktui(&address, &["reset", &modern, "--to-earliest", "--execute"]);
    assert_eq!(refused.code(), Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains(&format!(
            "Assignments can only be reset if the group '{modern}' is inactive, but the current state is Stable."
        )),
        "{}",
        refused.stderr
    );
}

/// ktui's plan for a reset, as (partition → new offset), beside the oracle's `--dry-run`.
fn both_plans(
    address: &str,
    group: &str,
    scope: &[&str],
    mode: &[&str],
) -> [BTreeMap<String, String>; 2] {
    let mut ours = vec!["reset", group];
    ours.extend_from_slice(scope);
    ours.extend_from_slice(mode);
    let plan = ktui_json(address, &ours);
    assert_eq!(plan["executed"], false);
    let ours: BTreeMap<String, String> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!("{}:{}", r["topic"].as_str().unwrap(), r["partition"]),
                r["new"].to_string(),
            )
        })
        .collect();
    let mut theirs = vec!["--reset-offsets", "--group", group, "--dry-run"];
    theirs.extend_from_slice(if scope.is_empty() {
        &["--all-topics"]
    } else {
        scope
    });
    theirs.extend_from_slice(mode);
    let out = cgc(address, &theirs);
    let theirs = table_rows(&out, "GROUP")
        .into_iter()
        .map(|r| {
            (
                format!("{}:{}", r["TOPIC"], r["PARTITION"]),
                r["NEW-OFFSET"].clone(),
            )
        })
        .collect();
    [ours, theirs]
}

/// A 3-partition topic of ten records a partition, one a minute from an hour ago (so times
/// pick offsets), and a group that committed 4, 7 and 9. Answers (topic, group, hour ago).
fn timed_topic_and_group(address: &str) -> (String, String, i64) {
    let topic = unique("grp-reset");
    kp(address, &["create-topic", &topic, "--partitions", "3"]);
    wait_for_topic(address, &topic, true, Duration::from_secs(30));
    let hour_ago = jiff::Timestamp::now().as_millisecond() - 3_600_000;
    for p in 0..3 {
        let records: Vec<(String, i64)> = (0..10)
            .map(|i| (format!("r{p}-{i}"), hour_ago + i * 60_000))
            .collect();
        groups_peer(
            address,
            &[
                "produce-timed",
                &topic,
                &p.to_string(),
                &serde_json::to_string(&records).unwrap(),
            ],
        );
    }
    let group = unique("resettable");
    commit(address, &group, &topic, &[(0, 4), (1, 7), (2, 9)]);
    (topic, group, hour_ago)
}

#[test]
fn every_reset_previews_what_kafkas_dry_run_prints() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let (topic, group, hour_ago) = timed_topic_and_group(&address);
    let t0 = format!("{topic}:0,2");
    let whole = topic.clone();
    let at = jiff::Timestamp::from_millisecond(hour_ago + 5 * 60_000 - 1)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec![], vec!["--to-earliest"]),
        (vec!["--topic", &whole], vec!["--to-latest"]),
        (vec!["--topic", &t0], vec!["--to-offset", "5"]),
        (vec!["--topic", &whole], vec!["--to-offset", "500"]),
        (vec![], vec!["--shift-by", "-6"]),
        (vec![], vec!["--shift-by", "2"]),
        (vec!["--topic", &whole], vec!["--to-datetime", &at]),
        (vec!["--topic", &whole], vec!["--by-duration", "PT2H"]),
        // Newer than every record: both fall back to the log end.
        (vec!["--topic", &whole], vec!["--by-duration", "PT1M"]),
    ];
    for (scope, mode) in &cases {
        let [ours, theirs] = both_plans(&address, &group, scope, mode);
        assert!(!ours.is_empty(), "{scope:?} {mode:?}");
        assert_eq!(ours, theirs, "{scope:?} {mode:?}");
    }
    // A duration that ends between two records: computed just before it is used, so the
    // cut sits half a minute from the records on either side while both tools run.
    let back = (jiff::Timestamp::now().as_millisecond() - (hour_ago + 270_000)) / 1000;
    let duration = format!("PT{back}S");
    let [ours, theirs] = both_plans(
        &address,
        &group,
        &["--topic", &whole],
        &["--by-duration", &duration],
    );
    assert_eq!(ours, theirs, "--by-duration {duration}");
    assert!(ours.values().all(|new| new == "5"), "{ours:?}");

    // Copying another group's offsets (Kafka's tool has no such mode).
    let source = unique("source");
    commit(&address, &source, &topic, &[(0, 1), (2, 8)]);
    let plan = ktui_json(&address, &["reset", &group, "--from-group", &source]);
    let rows: Vec<(i64, i64)> = plan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["partition"].as_i64().unwrap(), r["new"].as_i64().unwrap()))
        .collect();
    assert_eq!(rows, vec![(0, 1), (2, 8)]);
    // A dry run wrote nothing.
    assert_eq!(
        committed(&address, &group, &topic),
        BTreeMap::from([(0, 4), (1, 7), (2, 9)])
    );
}

#[test]
fn execute_moves_exactly_the_plan_and_refusals_come_in_words() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let (topic, group, _) = timed_topic_and_group(&address);
    let t0 = format!("{topic}:0,2");
    let moved = ktui_json(
        &address,
        &["reset", &group, "--shift-by", "-3", "--execute"],
    );
    assert_eq!(moved["executed"], true);
    assert_eq!(
        committed(&address, &group, &topic),
        BTreeMap::from([(0, 1), (1, 4), (2, 6)])
    );
    let text = ktui(
        &address,
        &["reset", &group, "--topic", &t0, "--to-latest", "--execute"],
    );
    assert!(text.success(), "{text:?}");
    assert!(
        text.stderr
            .contains(&format!("Moved 2 partition(s) of group '{group}'.")),
        "{}",
        text.stderr
    );
    assert_eq!(
        committed(&address, &group, &topic),
        BTreeMap::from([(0, 10), (1, 4), (2, 10)])
    );
    assert_eq!(oracle_describe(&address, &group)[&1][0], "4");

    // Words, never a panic or a silent success, for what Kafka's tool refuses.
    let fresh = unique("fresh");
    let shift = ktui(
        &address,
        &["reset", &fresh, "--topic", &topic, "--shift-by", "1"],
    );
    assert_eq!(shift.code(), Some(1));
    assert!(
        shift.stderr.contains(&format!(
            "Cannot shift offset for partition {topic}-0 since there is no current committed offset"
        )),
        "{}",
        shift.stderr
    );
    let missing = ktui(
        &address,
        &[
            "reset",
            &group,
            "--topic",
            "no-such-topic-anywhere",
            "--to-earliest",
        ],
    );
    assert_eq!(missing.code(), Some(1));
    assert!(
        missing
            .stderr
            .contains("topic 'no-such-topic-anywhere' does not exist"),
        "{}",
        missing.stderr
    );
    let partition = ktui(
        &address,
        &[
            "reset",
            &group,
            "--topic",
            &format!("{topic}:7"),
            "--to-earliest",
        ],
    );
    assert!(
        partition.stderr.contains("has no partition 7"),
        "{}",
        partition.stderr
    );
}

#[test]
fn delete_offsets_and_groups_confirm_first_and_say_what_failed() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = filled_topic(&address, "grp-delete", 2, 3);
    let group = unique("deletable");
    commit(&address, &group, &topic, &[(0, 1), (1, 2)]);

    let unconfirmed = ktui(&address, &["delete-offsets", &group, "--topic", &topic]);
    assert_eq!(unconfirmed.code(), Some(2));
    assert!(
        unconfirmed.stderr.contains("add --yes"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(committed(&address, &group, &topic).len(), 2);
    let deleted = ktui(
        &address,
        &["delete-offsets", &group, "--topic", &topic, "--yes"],
    );
    assert!(deleted.success(), "{deleted:?}");
    assert!(committed(&address, &group, &topic).is_empty());

    commit(&address, &group, &topic, &[(0, 1)]);
    let read_only = run_with_timeout(
        Command::new(KTUI).args([
            "-b",
            &address,
            "--read-only",
            "groups",
            "delete",
            &group,
            "--yes",
        ]),
        Duration::from_secs(30),
    );
    assert_eq!(read_only.code(), Some(2));
    assert!(
        read_only.stderr.contains("Deleting a group is disabled"),
        "{}",
        read_only.stderr
    );
    let gone = ktui(&address, &["delete", &group, "--yes"]);
    assert!(gone.success(), "{gone:?}");
    assert!(gone.stdout.contains(&format!(
        "Deletion of requested consumer groups ('{group}') was successful."
    )));
    let listed = cgc(&address, &["--list"]);
    assert!(!listed.lines().any(|l| l.trim() == group), "{listed}");

    let unknown = ktui(&address, &["describe", &group]);
    assert_eq!(unknown.code(), Some(1));
    assert!(
        unknown
            .stderr
            .contains(&format!("consumer group '{group}' does not exist")),
        "{}",
        unknown.stderr
    );
    let again = ktui(&address, &["delete", &group, "--yes"]);
    assert_eq!(again.code(), Some(1));
    assert!(again.stderr.contains("does not exist"), "{}", again.stderr);

    // A group with a member: Kafka refuses, ktui says so.
    let busy = unique("busy");
    let _member = Member::join(&address, &busy, &topic, "classic");
    let refused = ktui(&address, &["delete", &busy, "--yes"]);
    assert_eq!(refused.code(), Some(1));
    assert!(
        refused.stderr.contains("has active members"),
        "{}",
        refused.stderr
    );
}

#[test]
fn time_lag_grows_while_a_group_lags_and_is_zero_once_it_caught_up() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = filled_topic(&address, "grp-timelag", 1, 5);
    let group = unique("laggard");
    commit(&address, &group, &topic, &[(0, 2)]);
    let first = ktui_json(&address, &["describe", &group]);
    let lag_then = first["partitions"][0]["time_lag_ms"]
        .as_i64()
        .expect("a time lag");
    assert_eq!(first["partitions"][0]["lag"], 3);
    std::thread::sleep(Duration::from_millis(1500));
    // More records arrive; the group has not moved: its lag grows, and so does its time lag
    // (the next record it has not read is the same one, older now).
    kp(&address, &["produce", &topic, "late-1", "late-2"]);
    let second = ktui_json(&address, &["describe", &group]);
    assert_eq!(second["partitions"][0]["lag"], 5);
    let lag_now = second["partitions"][0]["time_lag_ms"].as_i64().unwrap();
    assert!(lag_now >= lag_then + 1000, "{lag_then} then, {lag_now} now");
    // Caught up: both fall to zero.
    commit(&address, &group, &topic, &[(0, 7)]);
    let caught_up = ktui_json(&address, &["describe", &group]);
    assert_eq!(caught_up["partitions"][0]["lag"], 0);
    assert_eq!(caught_up["partitions"][0]["time_lag_ms"], 0);
    assert_eq!(caught_up["lag"], 0);
}

#[test]
fn an_unreachable_cluster_is_named_with_exit_2() {
    let address = unused_address();
    let ran = run_with_timeout(
        Command::new(KTUI).args(["-b", &address, "groups", "--timeout", "2"]),
        Duration::from_secs(30),
    );
    assert_eq!(ran.code(), Some(2), "{ran:?}");
    assert!(
        ran.stderr.contains("cannot reach the cluster"),
        "{}",
        ran.stderr
    );
}

/// A preview is applied only as it was made: if the group's offsets moved in between
/// (its consumers ran and stopped again), applying it is refused and the offsets stay.
#[test]
fn a_preview_whose_offsets_moved_since_is_not_applied() {
    use ktui::kafka::ClientSettings;
    use ktui::kafka::groups::{GroupsClient, ResetRequest, ResetScope, ResetTo};
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = filled_topic(&address, "grp-stale", 1, 10);
    let group = unique("stale");
    commit(&address, &group, &topic, &[(0, 8)]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = GroupsClient::new(
        ClientSettings::new(address.clone()),
        Duration::from_secs(10),
        false,
    );
    let request = ResetRequest {
        group: group.clone(),
        scope: ResetScope::AllTopics,
        to: ResetTo::ShiftBy(-5),
    };
    let plan = runtime.block_on(client.plan(&request)).expect("a plan");
    assert_eq!((plan.rows[0].current, plan.rows[0].new), (Some(8), 3));
    commit(&address, &group, &topic, &[(0, 10)]);
    let refused = runtime.block_on(client.apply(&plan)).unwrap_err();
    assert!(refused.contains("moved since the preview"), "{refused}");
    assert_eq!(
        committed(&address, &group, &topic),
        BTreeMap::from([(0, 10)])
    );
    let plan = runtime.block_on(client.plan(&request)).expect("a new plan");
    assert_eq!(runtime.block_on(client.apply(&plan)), Ok(1));
    assert_eq!(
        committed(&address, &group, &topic),
        BTreeMap::from([(0, 5)])
    );
}
