//! The benchmark's smoke run: `benches/compare/` with small sizes, so the harness keeps
//! working (every step runs, counts add up). Its figures are not checked: speed is judged by
//! the full benchmark, not by timed assertions.

// The benchmark and `support` both load `support/ports.rs`: one copy per module tree.
#[allow(clippy::duplicate_mod)]
#[path = "../../benches/compare/main.rs"]
mod compare;

use std::path::Path;

use crate::support;

#[test]
fn the_benchmark_runs_small_and_its_counts_add_up() {
    if !support::require("kcat", support::peers::kcat_available())
        || !support::require(
            "python3 (for the pty probe)",
            support::peers::peer_available(),
        )
    {
        return;
    }
    // The Kafka rows need java and the jars: in CI their absence fails the test.
    let kafka = support::kafka::available();
    let options = compare::Options::smoke();
    let report = compare::run(&options, Path::new(support::KTUI));
    println!("{}", report.table);
    assert_eq!(report.consumed_lines, Some(options.records as u64));
    let (expected, found, peer) = report.search.expect("the search row ran");
    assert!(expected > 0, "the data has records to find");
    assert_eq!(found, expected, "ktui's search found every matching record");
    if support::peers::jq_available() {
        assert_eq!(peer, Some(expected), "kcat | jq found the same records");
    }
    check_schema_rows(&report, &options);
    for (produced, received) in &report.firehoses {
        assert!(*produced > 0, "the firehose produced");
        assert_eq!(received, produced, "the TUI's tail received every record");
    }
    if kafka {
        let n = options.kafka_records as u64;
        assert_eq!(
            report.kafka,
            Some((n, n)),
            "on Kafka, ktui's topic ends at {n} and ktui consume read back {n} records"
        );
        assert_eq!(
            report.groups,
            Some((options.groups, true)),
            "ktui groups listed every bench group with its lag, and the Groups tab showed them"
        );
        assert_eq!(
            report.topics,
            Some(true),
            "the Topics tab showed the bench topics' names, then every count"
        );
        for scenario in [
            "topics: launch → first names",
            "topics: launch → every count",
            "groups: first full table",
            "kafka-consumer-groups --describe --all-groups",
            "kafka: produce",
            "kafka: consume",
            "kcat -P",
            "kcat -C",
            "kafka-python",
            "Apache Kafka",
        ] {
            assert!(
                report.table.contains(scenario),
                "{scenario} in the table:\n{}",
                report.table
            );
        }
        assert!(
            report
                .table
                .lines()
                .filter(|l| l.starts_with("| kafka:"))
                .all(|l| !l.contains("not installed")),
            "kcat and kafka-python ran on Kafka:\n{}",
            report.table
        );
    }
    for scenario in [
        "produce",
        "consume",
        "search",
        "first frame",
        "first record",
        "firehose",
    ] {
        assert!(
            report.table.contains(scenario),
            "{scenario} in the table:\n{}",
            report.table
        );
    }
    assert!(
        !report.table.contains("| — |"),
        "every figure measured:\n{}",
        report.table
    );
}

/// The schema decode rows: on Kafka when it runs, else on the mock cluster. Their records are
/// written by confluent-kafka's AvroSerializer, so they need it.
fn check_schema_rows(report: &compare::Report, options: &compare::Options) {
    if support::require(
        "python3 with confluent-kafka[avro] (the schema decode rows)",
        compare::schema::peer_installed(),
    ) {
        let n = options.schema_records as u64;
        assert_eq!(
            report.schema,
            Some((n, n, n)),
            "ktui and confluent-kafka's AvroDeserializer decoded every Avro order"
        );
        assert!(
            report
                .table
                .lines()
                .any(|l| l.starts_with("| schema decode on") && l.contains("confluent-kafka")),
            "the schema decode row in the table:\n{}",
            report.table
        );
    }
}
