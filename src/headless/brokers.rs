//! `ktui brokers`: the brokers of the cluster on stdout, a table or JSON (with each
//! broker's configs and log dirs). Exits 2 with words when the cluster cannot be reached.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::kafka::brokers::{BrokerDetail, BrokersSnapshot, LogDirInfo, describe};
use crate::kafka::client::ClientSettings;
use crate::kafka::groups::GroupsClient;
use crate::kafka::model::ConfigEntryInfo;
use crate::text::escape_control;
use crate::widgets::payload::human_bytes;

/// `demo`: the cluster is the embedded demo (its missing APIs are named as such).
pub async fn run(
    json: bool,
    timeout: Duration,
    settings: ClientSettings,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    let snapshot = match super::topics::fetch(&settings, timeout, false).await? {
        Ok(snapshot) => snapshot,
        Err(reason) => {
            super::note(&format!(
                "ktui: cannot reach the cluster at {}: {reason}",
                escape_control(&settings.brokers)
            ));
            return Ok(ExitCode::from(2));
        }
    };
    let client = GroupsClient::new(settings, timeout, demo);
    let brokers = match describe(&client, &snapshot, &BTreeMap::new(), timeout).await {
        Ok(brokers) => brokers,
        Err(reason) => {
            super::note(&format!("ktui: {}", escape_control(&reason)));
            return Ok(ExitCode::from(2));
        }
    };
    let text = if json {
        let mut text =
            serde_json::to_string_pretty(&to_json(&brokers)).context("the brokers as JSON")?;
        text.push('\n');
        text
    } else {
        table(&brokers)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`| head -1`): the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(anyhow::Error::new(e).context("writing the brokers")),
        Ok(()) => {}
    }
    if !json {
        for broker in &brokers.brokers {
            if let Err(why) = &broker.log_dirs {
                super::note(&format!(
                    "ktui: broker {}: log dirs: {}",
                    broker.id,
                    escape_control(why)
                ));
            }
        }
    }
    for warning in &brokers.warnings {
        super::note(&format!("ktui: {}", escape_control(warning)));
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON of `ktui brokers --json` (fields in this order, unlike `json!`'s sorted keys).
#[derive(Serialize)]
struct SnapshotJson<'a> {
    cluster_id: Option<&'a str>,
    controller: Option<i32>,
    brokers: Vec<BrokerJson<'a>>,
    warnings: &'a [String],
}

/// One broker: its configs and log dirs as arrays (null when it did not answer, with the
/// reason in `configs_error` / `log_dirs_error`), never as a `Result`.
#[derive(Serialize)]
struct BrokerJson<'a> {
    id: i32,
    address: Option<&'a str>,
    rack: Option<&'a str>,
    controller: bool,
    reachable: bool,
    leader_of: usize,
    replicas: usize,
    under_replicated: usize,
    offline: usize,
    log_bytes: Option<u64>,
    configs: Option<&'a [ConfigEntryInfo]>,
    configs_error: Option<&'a str>,
    log_dirs: Option<&'a [LogDirInfo]>,
    log_dirs_error: Option<&'a str>,
}

fn to_json(snapshot: &BrokersSnapshot) -> SnapshotJson<'_> {
    SnapshotJson {
        cluster_id: snapshot.cluster_id.as_deref(),
        controller: snapshot.controller,
        brokers: snapshot.brokers.iter().map(broker_json).collect(),
        warnings: &snapshot.warnings,
    }
}

fn broker_json(broker: &BrokerDetail) -> BrokerJson<'_> {
    let (configs, configs_error) = split(&broker.configs);
    let (log_dirs, log_dirs_error) = split(&broker.log_dirs);
    BrokerJson {
        id: broker.id,
        address: broker.address.as_deref(),
        rack: broker.rack.as_deref(),
        controller: broker.controller,
        reachable: broker.reachable,
        leader_of: broker.leader_of,
        replicas: broker.replicas,
        under_replicated: broker.under_replicated,
        offline: broker.offline,
        log_bytes: broker.log_bytes(),
        configs,
        configs_error,
        log_dirs,
        log_dirs_error,
    }
}

/// A list, or the reason there is none.
fn split<T>(result: &Result<Vec<T>, String>) -> (Option<&[T]>, Option<&str>) {
    match result {
        Ok(items) => (Some(items), None),
        Err(why) => (None, Some(why)),
    }
}

const HEADER: [&str; 9] = [
    "ID", "ADDRESS", "RACK", "ROLE", "STATE", "LEADS", "REPLICAS", "URP", "LOG SIZE",
];

/// Columns right-aligned: the counts and the size.
const RIGHT: [bool; 9] = [true, false, false, false, false, true, true, true, true];

/// The table of `ktui brokers`, columns padded to their widest cell (what a broker
/// advertises is escaped: it reaches the terminal).
fn table(snapshot: &BrokersSnapshot) -> String {
    let rows: Vec<[String; 9]> = snapshot.brokers.iter().map(row).collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADER.map(str::to_string);
    for cells in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if RIGHT[i] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn row(broker: &BrokerDetail) -> [String; 9] {
    let text =
        |value: Option<&str>| value.map_or_else(|| "-".into(), |v| escape_control(v).into_owned());
    [
        broker.id.to_string(),
        text(broker.address.as_deref()),
        text(broker.rack.as_deref()),
        if broker.controller { "controller" } else { "" }.to_string(),
        if broker.reachable {
            "up"
        } else {
            "unreachable"
        }
        .to_string(),
        broker.leader_of.to_string(),
        broker.replicas.to_string(),
        broker.under_replicated.to_string(),
        broker.log_bytes().map_or_else(|| "?".into(), human_bytes),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn broker(id: i32, reachable: bool) -> BrokerDetail {
        BrokerDetail {
            id,
            address: Some(format!("k{id}:9092")),
            rack: None,
            controller: id == 1,
            reachable,
            leader_of: 3,
            replicas: 9,
            under_replicated: usize::from(!reachable),
            offline: 0,
            configs: Ok(vec![ConfigEntryInfo {
                name: "log.retention.hours".into(),
                value: Some("168".into()),
                source: "default".into(),
                is_default: true,
                is_sensitive: false,
                is_read_only: true,
            }]),
            log_dirs: Ok(vec![LogDirInfo {
                path: "/data".into(),
                bytes: 2048,
                partitions: 9,
                total_bytes: None,
                usable_bytes: None,
                error: None,
            }]),
        }
    }

    #[test]
    fn the_table_names_the_controller_and_the_unreachable() {
        let mut down = broker(2, false);
        down.address = Some("evil\x1b[2J:1".into());
        down.log_dirs = Err("no answer in time".into());
        let snapshot = BrokersSnapshot {
            cluster_id: Some("c".into()),
            controller: Some(1),
            brokers: vec![broker(1, true), down],
            warnings: Vec::new(),
        };
        let text = table(&snapshot);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID  ADDRESS"), "{text}");
        assert!(lines[0].ends_with("URP  LOG SIZE"), "{text}");
        assert!(lines[1].contains("controller  up"), "{text}");
        assert!(lines[1].ends_with("2.0 KiB"), "{text}");
        assert!(lines[2].contains("unreachable"), "{text}");
        assert!(lines[2].ends_with('?'), "{text}");
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn the_json_has_arrays_or_an_error_never_a_result() {
        let mut down = broker(2, false);
        down.configs = Err("not listed".into());
        let value = serde_json::to_value(to_json(&BrokersSnapshot {
            cluster_id: None,
            controller: Some(1),
            brokers: vec![broker(1, true), down],
            warnings: vec!["w".into()],
        }))
        .unwrap();
        let up = &value["brokers"][0];
        assert_eq!(up["configs"][0]["source"], "default");
        assert_eq!(up["configs_error"], Value::Null);
        assert_eq!(up["log_dirs"][0]["path"], "/data");
        assert_eq!(up["log_bytes"], 2048);
        let down = &value["brokers"][1];
        assert_eq!(down["configs"], Value::Null);
        assert_eq!(down["configs_error"], "not listed");
        assert_eq!(down["reachable"], false);
        assert_eq!(value["warnings"][0], "w");
        assert_eq!(value["controller"], 1);
    }
}
