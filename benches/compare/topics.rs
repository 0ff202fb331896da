//! The Topics tab at scale on Apache Kafka: N empty topics of P partitions (10,000 × 3 in a
//! full run). Measured in a pseudo-terminal: launch to the first topic name on screen, to
//! every count filled in (the list's total, " 0 messages ", appears once every topic is
//! counted), and the CPU while idle and refreshing. Beside it, kafka-python doing the same
//! work headless: listing the names, and asking every partition's two ends.

use std::path::Path;
use std::process::Command;

use super::kafka::{KafkaBroker, kp_bench};
use super::tools::{median, probe, strings, summary, timed};
use super::{Options, Report, Row};

fn topic_name(i: usize) -> String {
    format!("bench-scale-{i:05}")
}

/// Every partition the rows create.
pub(crate) fn partitions(options: &Options) -> u64 {
    options.topics as u64 * u64::try_from(options.topic_partitions).unwrap_or(0)
}

pub(crate) fn topics_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    broker: &KafkaBroker,
    rt: &tokio::runtime::Runtime,
) {
    let bootstrap = broker.address.as_str();
    let names: Vec<String> = (0..options.topics).map(topic_name).collect();
    super::bulk::create_led_topics(bootstrap, &names, options.topic_partitions, rt);
    let scale = format!(
        "{} topics, {} partitions{}",
        options.topics,
        partitions(options),
        if broker.nodes > 1 {
            format!(" on {} nodes", broker.nodes)
        } else {
            String::new()
        }
    );
    let idle = if options.topics >= 1000 { 30.0 } else { 5.0 };
    let command = strings(&[ktui.to_str().expect("path"), "-b", bootstrap]);
    // The TUI itself, not its supervising parent (see groups.rs).
    let env = ["KTUI_NO_SUPERVISOR=1".to_string()];
    let (mut names, mut counts, mut idle_cpu) = (Vec::new(), Vec::new(), Vec::new());
    let (mut kp_names, mut kp_counts) = (Vec::new(), Vec::new());
    for _ in 0..options.repeat {
        let shown = probe(
            &strings(&[
                "--ready",
                &topic_name(0),
                "--record",
                " 0 messages ",
                "--idle",
                &idle.to_string(),
                "--timeout",
                "120",
            ]),
            &command,
            &env,
        );
        let field = |key: &str| shown.get(key).and_then(serde_json::Value::as_f64);
        names.extend(field("first_frame_ms").map(|ms| ms / 1000.0));
        counts.extend(field("first_record_ms").map(|ms| ms / 1000.0));
        idle_cpu.extend(field("idle_cpu_pct"));
        if super::kafka::kafka_python_installed() {
            let kp = |what: &str| {
                let mut command = Command::new("python3");
                command
                    .arg(kp_bench())
                    .args(["--bootstrap", bootstrap, what]);
                command
            };
            kp_names.push(timed(&mut kp("list-topics"), None));
            kp_counts.push(timed(&mut kp("watermarks"), None));
        }
    }
    let peer = |times: &[f64], what: &str| {
        if times.is_empty() {
            "kafka-python not installed".to_string()
        } else {
            format!("kafka-python {what}: {}", summary(times, " s", 2))
        }
    };
    let ratio = |ours: &[f64], theirs: &[f64]| {
        (!ours.is_empty() && !theirs.is_empty()).then(|| median(theirs) / median(ours))
    };
    report.rows.push(Row {
        scenario: format!("topics: launch → first names ({scale})"),
        ktui: format!("Topics tab: {}", summary(&names, " s", 2)),
        peer: peer(&kp_names, "list_topics()"),
        ratio: ratio(&names, &kp_names),
    });
    report.rows.push(Row {
        scenario: format!("topics: launch → every count ({scale})"),
        ktui: format!("Topics tab: {}", summary(&counts, " s", 2)),
        peer: peer(
            &kp_counts,
            "beginning_offsets + end_offsets of every partition",
        ),
        ratio: ratio(&counts, &kp_counts),
    });
    report.rows.push(Row {
        scenario: format!("topics: Topics tab idle, refreshing ({scale})"),
        ktui: format!("{} of a core over {idle:.0} s", summary(&idle_cpu, "%", 1)),
        peer: "no peer TUI refreshes every partition's counts".into(),
        ratio: None,
    });
    report.topics = Some(names.len() == options.repeat && counts.len() == options.repeat);
}
