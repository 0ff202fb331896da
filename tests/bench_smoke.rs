//! The benchmark's smoke run: `benches/compare/` with small sizes, so the harness keeps
//! working (every step runs, counts add up). Its figures are not checked: speed is judged by
//! the full benchmark, not by timed assertions.

mod support;

#[path = "../benches/compare/main.rs"]
mod compare;

use std::path::Path;

#[test]
fn the_benchmark_runs_small_and_its_counts_add_up() {
    if !support::require("kcat", support::kcat_available())
        || !support::require("python3 (for the pty probe)", support::peer_available())
    {
        return;
    }
    let options = compare::Options::smoke();
    let report = compare::run(&options, Path::new(support::KTUI));
    println!("{}", report.table);
    assert_eq!(report.consumed_lines, Some(options.records as u64));
    for (produced, received) in &report.firehoses {
        assert!(*produced > 0, "the firehose produced");
        assert_eq!(received, produced, "the TUI's tail received every record");
    }
    // tansu's rows run where tansu is installed (CI installs it).
    if support::Tansu::binary().is_some() {
        let n = options.tansu_records as u64;
        assert_eq!(
            report.tansu,
            Some((n, n)),
            "ktui read back all it produced on tansu"
        );
        assert!(report.table.contains("tansu: produce"), "{}", report.table);
    }
    for scenario in [
        "produce",
        "consume",
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
