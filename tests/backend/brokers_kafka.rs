//! Layer 3: `ktui brokers` (the real binary) against a three-node Apache Kafka cluster,
//! checked against what the cluster says itself (the metadata, Kafka's own
//! MetadataQuorumCommand, the nodes' configuration), before and after a node dies; on
//! the demo (librdkafka's mock has none of DescribeCluster, DescribeConfigs,
//! DescribeLogDirs); and with no cluster at all.

use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer as _;
use serde_json::Value;

use crate::support::kafka::KafkaCluster;
use crate::support::peers::{java_tool, kp, kp_produce_records, wait_for_topic};
use crate::support::process::{Ran, run_with_timeout};
use crate::support::{KTUI, unique, unused_address, wait_until};

/// How long a node's death may take to show: the controller fences a killed broker after
/// `broker.session.timeout.ms` (9 s) and shrinks the ISRs then; each `ktui brokers` run
/// waits up to 5 s for a broker that does not answer. Room on top for a loaded machine.
const FAILOVER: Duration = Duration::from_secs(60);

/// `ktui ARGS…` with no config file or environment of the user's.
fn ktui(args: &[&str], timeout: Duration) -> Ran {
    let home = tempfile::tempdir().expect("a temp home");
    run_with_timeout(
        Command::new(KTUI)
            .env_remove("KAFKA_BOOTSTRAP_SERVERS")
            .env_remove("KTUI_CONFIG")
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("KTUI_DEMO_LISTEN", "127.0.0.1:0")
            .env("KTUI_DEMO_TRICKLE", "off")
            .env("KTUI_DEMO_REGISTRY_LISTEN", "127.0.0.1:0")
            .args(args),
        timeout,
    )
}

/// `ktui -b BOOTSTRAP brokers --json`, parsed; `Err` when it failed.
fn brokers_json(bootstrap: &str) -> Result<Value, String> {
    let ran = ktui(
        &["-b", bootstrap, "brokers", "--json", "--timeout", "10"],
        Duration::from_secs(60),
    );
    if !ran.success() {
        return Err(format!("ktui brokers --json failed: {ran:?}"));
    }
    serde_json::from_str(&ran.stdout).map_err(|e| format!("{e}: {}", ran.stdout))
}

fn brokers(value: &Value) -> &[Value] {
    value["brokers"].as_array().map_or(&[], Vec::as_slice)
}

fn broker(value: &Value, id: i64) -> &Value {
    brokers(value)
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no broker {id} in {value:#}"))
}

/// The config entry `name` of a broker's JSON.
fn config<'a>(broker: &'a Value, name: &str) -> &'a Value {
    broker["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|e| e["name"] == name))
        .unwrap_or_else(|| panic!("no config {name} in {broker:#}"))
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{value} is not a count"))
}

/// The quorum's leader as Kafka's own `kafka-metadata-quorum.sh describe --status` says.
fn quorum_leader(bootstrap: &str) -> i64 {
    let ran = java_tool(
        "org.apache.kafka.tools.MetadataQuorumCommand",
        &["--bootstrap-server", bootstrap, "describe", "--status"],
        "",
        Duration::from_secs(60),
    );
    assert!(ran.success(), "kafka-metadata-quorum failed: {ran:?}");
    ran.stdout
        .lines()
        .find_map(|l| l.strip_prefix("LeaderId:"))
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("no LeaderId in {}", ran.stdout))
}

#[test]
#[allow(clippy::too_many_lines)] // one story: a healthy cluster, a node dies
fn brokers_of_three_nodes_then_one_dies() {
    let Some(mut cluster) = KafkaCluster::start() else {
        return;
    };
    let bootstrap = cluster.bootstrap();
    let topic = unique("brokers-rf3");
    kp(
        &bootstrap,
        &[
            "create-topic",
            &topic,
            "--partitions",
            "3",
            "--replication",
            "3",
        ],
    );
    wait_for_topic(&bootstrap, &topic, true, Duration::from_secs(30));
    let records: Vec<Value> = (0..3)
        .flat_map(|p| {
            (0..10).map(move |i| serde_json::json!({"value": format!("v{i}"), "partition": p}))
        })
        .collect();
    kp_produce_records(&bootstrap, &topic, &Value::Array(records));

    // Healthy: three brokers, all up, every ISR full.
    let healthy = wait_until(
        "three brokers up, nothing under-replicated",
        Duration::from_secs(30),
        || {
            let value = brokers_json(&bootstrap)?;
            let list = brokers(&value);
            let ok = list.len() == 3
                && list
                    .iter()
                    .all(|b| b["reachable"] == true && b["under_replicated"] == 0);
            if ok {
                Ok(value)
            } else {
                Err(format!("{value:#}"))
            }
        },
    );
    let leader = quorum_leader(&bootstrap);
    let controllers: Vec<i64> = brokers(&healthy)
        .iter()
        .filter(|b| b["controller"] == true)
        .map(|b| b["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(controllers, [leader], "{healthy:#}");
    assert_eq!(healthy["controller"], leader, "{healthy:#}");
    assert!(
        healthy["cluster_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{healthy:#}"
    );
    assert_eq!(healthy["warnings"], serde_json::json!([]), "{healthy:#}");
    let mut leads = 0;
    for node in &cluster.nodes {
        let id = i64::from(node.node_id);
        let b = broker(&healthy, id);
        assert_eq!(b["address"], node.address(), "{b:#}");
        // The test nodes set no broker.rack.
        assert_eq!(b["rack"], Value::Null, "{b:#}");
        // Every partition of the RF-3 topic is on every node.
        assert!(count(&b["replicas"]) >= 3, "{b:#}");
        leads += count(&b["leader_of"]);
        // Configs, with their source: node.id is in server.properties, the retention is
        // Kafka's default.
        assert_eq!(b["configs_error"], Value::Null, "{b:#}");
        let node_id = config(b, "node.id");
        assert_eq!(node_id["value"], id.to_string(), "{node_id}");
        assert_eq!(node_id["source"], "broker (static)", "{node_id}");
        assert_eq!(node_id["is_default"], false, "{node_id}");
        let retention = config(b, "log.retention.hours");
        assert_eq!(retention["value"], "168", "{retention}");
        assert_eq!(retention["source"], "default", "{retention}");
        assert_eq!(retention["is_default"], true, "{retention}");
        // Log dirs: the node's data folder, holding every replica the metadata puts there,
        // our records among them.
        assert_eq!(b["log_dirs_error"], Value::Null, "{b:#}");
        let dirs = b["log_dirs"].as_array().expect("log dirs");
        assert_eq!(dirs.len(), 1, "{b:#}");
        let dir = &dirs[0];
        assert!(
            dir["path"].as_str().is_some_and(|p| p.ends_with("/data")),
            "{dir}"
        );
        assert_eq!(dir["error"], Value::Null, "{dir}");
        assert_eq!(dir["partitions"], b["replicas"], "{b:#}");
        assert!(count(&dir["bytes"]) > 0, "{dir}");
        assert_eq!(b["log_bytes"], dir["bytes"], "{b:#}");
        assert!(
            count(&dir["total_bytes"]) >= count(&dir["usable_bytes"]),
            "{dir}"
        );
    }
    // Every partition has one leader.
    let partitions: u64 = {
        let metadata = crate::support::kafka::metadata_client(&bootstrap)
            .expect("a metadata client")
            .fetch_metadata(None, Duration::from_secs(10))
            .expect("metadata");
        metadata
            .topics()
            .iter()
            .map(|t| t.partitions().len() as u64)
            .sum()
    };
    assert_eq!(leads, partitions, "{healthy:#}");

    // A node that is not the controller dies (a crash).
    let victim = cluster
        .nodes
        .iter()
        .map(|n| i64::from(n.node_id))
        .find(|id| *id != leader)
        .expect("a node that is not the controller");
    let victim_address = cluster.node(i32::try_from(victim).unwrap()).address();
    let survivors: Vec<i64> = (1..=3).filter(|id| *id != victim).collect();
    let survivor_bootstrap = cluster
        .nodes
        .iter()
        .filter(|n| i64::from(n.node_id) != victim)
        .map(crate::support::kafka::KafkaNode::address)
        .collect::<Vec<_>>()
        .join(",");
    cluster.node(i32::try_from(victim).unwrap()).kill();
    let killed = Instant::now();

    // At first the cluster still lists it (until it is fenced), but it does not answer.
    let down = wait_until("the dead broker unreachable", FAILOVER, || {
        let value = brokers_json(&bootstrap)?;
        if broker(&value, victim)["reachable"] == false {
            Ok(value)
        } else {
            Err(format!("{value:#}"))
        }
    });
    let unreachable_after = killed.elapsed();
    let b = broker(&down, victim);
    assert_eq!(b["address"], victim_address.as_str(), "{b:#}");
    assert_eq!(b["configs"], Value::Null, "{b:#}");
    assert_eq!(b["log_dirs"], Value::Null, "{b:#}");
    // Refused connections until the deadline (or, fenced meanwhile, no longer listed).
    for error in [&b["configs_error"], &b["log_dirs_error"]] {
        assert!(
            error
                .as_str()
                .is_some_and(|e| e.starts_with("no answer in 5 s")
                    || e.starts_with("not listed by the cluster")),
            "{b:#}"
        );
    }
    for &id in &survivors {
        assert_eq!(broker(&down, id)["reachable"], true, "{down:#}");
    }

    // Once fenced, the survivors' ISRs lose it: the RF-3 topic is under-replicated.
    let fenced = wait_until(
        "the survivors' partitions under-replicated",
        FAILOVER,
        || {
            let value = brokers_json(&survivor_bootstrap)?;
            let ok = survivors
                .iter()
                .all(|&id| count(&broker(&value, id)["under_replicated"]) >= 3);
            if ok {
                Ok(value)
            } else {
                Err(format!("{value:#}"))
            }
        },
    );
    let urp_after = killed.elapsed();
    assert_eq!(brokers(&fenced).len(), 3, "{fenced:#}");
    let b = broker(&fenced, victim);
    assert_eq!(b["reachable"], false, "{b:#}");
    assert_eq!(b["controller"], false, "{b:#}");
    // It still holds its replicas (the metadata names it), leads nothing, and every one of
    // them is under-replicated.
    assert!(count(&b["replicas"]) >= 3, "{b:#}");
    assert_eq!(b["leader_of"], 0, "{b:#}");
    assert_eq!(b["under_replicated"], b["replicas"], "{b:#}");
    for error in [&b["configs_error"], &b["log_dirs_error"]] {
        assert!(
            error
                .as_str()
                .is_some_and(|e| e.starts_with("not listed by the cluster")),
            "{b:#}"
        );
    }
    // Headless has no memory: once fenced, the cluster no longer says where it was.
    assert!(
        b["address"] == Value::Null || b["address"] == victim_address.as_str(),
        "{b:#}"
    );
    for &id in &survivors {
        let s = broker(&fenced, id);
        assert_eq!(s["reachable"], true, "{s:#}");
        assert_eq!(s["configs_error"], Value::Null, "{s:#}");
        assert_eq!(config(s, "node.id")["value"], id.to_string(), "{s:#}");
        assert!(
            s["log_dirs"].as_array().is_some_and(|d| !d.is_empty()),
            "{s:#}"
        );
    }
    let controllers: Vec<&Value> = brokers(&fenced)
        .iter()
        .filter(|b| b["controller"] == true)
        .collect();
    assert_eq!(controllers.len(), 1, "{fenced:#}");
    assert_eq!(controllers[0]["id"], fenced["controller"], "{fenced:#}");

    // The text table says the same.
    let ran = ktui(
        &["-b", &survivor_bootstrap, "brokers", "--timeout", "10"],
        Duration::from_secs(60),
    );
    assert!(ran.success(), "{ran:?}");
    let row = ran
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&victim.to_string()))
        .unwrap_or_else(|| panic!("no row for {victim}:\n{}", ran.stdout));
    assert!(row.contains("unreachable"), "{}", ran.stdout);
    assert!(
        ran.stdout
            .lines()
            .next()
            .is_some_and(|h| h.starts_with("ID  ADDRESS")),
        "{}",
        ran.stdout
    );
    eprintln!(
        "brokers_kafka: unreachable after {unreachable_after:?}, under-replicated after \
         {urp_after:?}"
    );
}

#[test]
fn the_demo_lists_its_brokers_and_names_what_it_cannot_say() {
    let ran = ktui(&["--demo", "brokers", "--json"], Duration::from_secs(60));
    assert!(ran.success(), "{ran:?}");
    let value: Value = serde_json::from_str(&ran.stdout).expect("JSON");
    let list = brokers(&value);
    assert_eq!(list.len(), 3, "{value:#}");
    for b in list {
        // Up as the metadata lists it, though it has none of the APIs that say more.
        assert_eq!(b["reachable"], true, "{b:#}");
        assert!(b["address"].as_str().is_some(), "{b:#}");
        assert!(count(&b["replicas"]) > 0, "{b:#}");
        assert_eq!(b["configs"], Value::Null, "{b:#}");
        assert_eq!(b["log_dirs"], Value::Null, "{b:#}");
        for error in [&b["configs_error"], &b["log_dirs_error"]] {
            assert!(
                error
                    .as_str()
                    .is_some_and(|e| e.contains("demo (mock) cluster")),
                "{b:#}"
            );
        }
    }
    let warnings = value["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("DescribeCluster"))),
        "{value:#}"
    );
    // The table too, with the missing log dirs said on stderr.
    let ran = ktui(&["--demo", "brokers"], Duration::from_secs(60));
    assert!(ran.success(), "{ran:?}");
    assert_eq!(ran.stdout.lines().count(), 4, "{}", ran.stdout);
    assert!(ran.stderr.contains("log dirs"), "{}", ran.stderr);
}

#[test]
fn no_cluster_exits_2_with_words_in_time() {
    let address = unused_address();
    let ran = ktui(
        &["-b", &address, "brokers", "--timeout", "3"],
        Duration::from_secs(30),
    );
    assert_eq!(ran.code(), Some(2), "{ran:?}");
    assert!(ran.stdout.is_empty(), "{ran:?}");
    assert!(
        ran.stderr.contains("cannot reach the cluster") && ran.stderr.contains(&address),
        "{}",
        ran.stderr
    );
    assert!(ran.elapsed < Duration::from_secs(10), "{:?}", ran.elapsed);
}
