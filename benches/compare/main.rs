//! `cargo bench --bench compare`: ktui measured beside kcat (and the TUI peers yozefu and
//! kaskade where installed) on the same broker in the same run, printed as one table.
//!
//! It starts its own brokers (librdkafka's mock cluster over TCP; and, where java is
//! installed, one Apache Kafka node started by `.ci/kafka/node`, with kcat and kafka-python
//! as the peers there), writes the data it needs, and runs every tool as a user would: the
//! real binaries, stdout to /dev/null, the TUIs in a pseudo-terminal (`benches/pty_probe.py`).
//!
//!     cargo bench --bench compare                 # 1M records of ~200 bytes, 30 s firehoses
//!     cargo bench --bench compare -- --smoke      # small sizes: checks the harness works
//!     cargo bench --bench compare -- --records 200000 --firehose-secs 10
//!     cargo bench --bench compare -- --only firehose --rates max --probes 20
//!     cargo bench --bench compare -- --only kafka --kafka-records 200000
//!     cargo bench --bench compare -- --only schema --schema-records 200000
//!
//! Every figure is a pair (or ratio) measured in the same run on the same machine.
#![allow(dead_code)]
// tests/backend/bench_smoke.rs includes this file and calls only `run`
// Rates and percentages are floating-point arithmetic on counts by nature.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::similar_names,
    clippy::too_many_lines
)]

mod firehose;
mod groups;
mod kafka;
mod mock;
pub(crate) mod schema;
mod search;
mod topics;
// Many topics created at once, shared with the tests' harness.
#[path = "../../tests/support/bulk.rs"]
mod bulk;
// The tests' fake Confluent Schema Registry, for the schema decode rows, with the HTTP and
// TLS helpers it is built on (its `super::http`, `super::tls`).
#[path = "../../tests/support/fake_registry/mod.rs"]
mod fake_registry;
#[path = "../../tests/support/http.rs"]
mod http;
#[path = "../../tests/support/tls.rs"]
mod tls;
// Broker ports claimed across processes, shared with the tests' harness.
#[path = "../../tests/support/ports.rs"]
mod ports;
mod tools;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ktui::kafka::demo::DemoCluster;

use firehose::Hose;
use kafka::{KafkaBroker, kafka_rows};
use mock::{create_topic, load_evenly, messages, partitions_to_hold, retained, write_data};
use tools::{
    Home, YOZEFU_PROBE, YozefuHome, count_lines, kaskade_note, kcat, ms, pair_row, probe, strings,
    timed, tui_figures, which, yozefu,
};

/// Records for the Kafka rows in a full run: enough that a tool's start-up is not most of
/// its time, few enough that kafka-python (about 25 k msg/s) takes seconds, not minutes.
const KAFKA_RECORDS: usize = 200_000;

/// Avro orders for the schema decode rows in a full run: about 10 s for confluent-kafka's
/// AvroDeserializer (about 20 k records/s in Python), under 2 s for ktui.
const SCHEMA_RECORDS: usize = 200_000;

/// What to measure, and how big.
#[derive(Debug, Clone)]
pub struct Options {
    pub records: usize,
    pub size: usize,
    pub partitions: i32,
    /// Firehose rates in msg/s; `None` is "as fast as the producer goes".
    pub rates: Vec<Option<u64>>,
    pub firehose_secs: f64,
    /// Keypress-to-frame probes per firehose.
    pub probes: usize,
    /// Runs of each produce and consume pair; the table shows the median.
    pub repeat: usize,
    /// Scenarios to run (`produce`, `consume`, `search`, `front`, `startup`, `firehose`,
    /// `kafka`, `schema`, `groups`, `topics`); empty: all.
    pub only: Vec<String>,
    /// Records for the produce and consume rows on Apache Kafka.
    pub kafka_records: usize,
    /// Consumer groups for the groups rows, each on its own topic of `group_partitions`.
    pub groups: usize,
    pub group_partitions: i32,
    /// Topics for the Topics-at-scale rows, each of `topic_partitions` partitions.
    pub topics: usize,
    pub topic_partitions: i32,
    /// Confluent-framed Avro records for the schema decode rows (on Apache Kafka when java
    /// is installed, else on the mock cluster).
    pub schema_records: usize,
}

impl Options {
    pub fn full() -> Self {
        Self {
            records: 1_000_000,
            size: 200,
            partitions: 6,
            rates: vec![Some(10_000), Some(100_000), None],
            firehose_secs: 30.0,
            probes: 40,
            repeat: 3,
            only: Vec::new(),
            kafka_records: KAFKA_RECORDS,
            groups: 1_000,
            group_partitions: 30,
            topics: 10_000,
            topic_partitions: 3,
            schema_records: SCHEMA_RECORDS,
        }
    }

    /// Small enough for the test suite: proves every step runs and checks its counts.
    pub fn smoke() -> Self {
        Self {
            records: 3_000,
            size: 200,
            partitions: 3,
            rates: vec![Some(2_000)],
            firehose_secs: 2.0,
            probes: 3,
            repeat: 1,
            only: Vec::new(),
            kafka_records: 500,
            groups: 5,
            group_partitions: 3,
            topics: 20,
            topic_partitions: 3,
            schema_records: 2_000,
        }
    }

    fn from_args() -> Self {
        let mut options = Self::full();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |what: &str| -> f64 {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{what} needs a number"))
            };
            match arg.as_str() {
                "--smoke" => options = Self::smoke(),
                "--records" => options.records = number("--records") as usize,
                "--size" => options.size = number("--size") as usize,
                "--firehose-secs" => options.firehose_secs = number("--firehose-secs"),
                "--probes" => options.probes = number("--probes") as usize,
                "--repeat" => options.repeat = (number("--repeat") as usize).max(1),
                "--kafka-records" => options.kafka_records = number("--kafka-records") as usize,
                "--groups" => options.groups = number("--groups") as usize,
                "--group-partitions" => {
                    options.group_partitions = number("--group-partitions") as i32;
                }
                "--topics" => options.topics = number("--topics") as usize,
                "--schema-records" => {
                    options.schema_records = number("--schema-records") as usize;
                }
                "--topic-partitions" => {
                    options.topic_partitions = number("--topic-partitions") as i32;
                }
                "--rates" => {
                    let list = args.next().expect("--rates needs a list like 10000,max");
                    options.rates = list
                        .split(',')
                        .map(|r| match r.trim() {
                            "max" => None,
                            n => Some(n.parse().expect("--rates: a number of msg/s or max")),
                        })
                        .collect();
                }
                "--only" => {
                    let list = args
                        .next()
                        .expect("--only needs a list like produce,firehose");
                    options.only = list.split(',').map(|s| s.trim().to_string()).collect();
                }
                "--bench" => {} // cargo bench passes it
                other => eprintln!("compare: ignoring {other:?}"),
            }
        }
        options
    }

    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    pub ktui: String,
    pub peer: String,
    pub ratio: Option<f64>,
}

/// What a run found, for the smoke test to check.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Records `ktui consume` printed when counted (must equal `records`).
    pub consumed_lines: Option<u64>,
    /// Per firehose: records produced and records the TUI's tail received.
    pub firehoses: Vec<(u64, u64)>,
    /// On Kafka: records ktui produced (its topic's end offsets) and then consumed (the
    /// lines `ktui consume` printed), when the Kafka rows ran.
    pub kafka: Option<(u64, u64)>,
    /// On Kafka: the bench groups `ktui groups` listed with their lag, and whether the
    /// Groups tab showed its first table, when the groups rows ran.
    pub groups: Option<(usize, bool)>,
    /// On Kafka: whether every run of the Topics-at-scale rows showed the names and then
    /// every count, when those rows ran.
    pub topics: Option<bool>,
    /// The history search: the matches expected, found by ktui, and by kcat | jq (when
    /// installed), when the search row ran.
    pub search: Option<(usize, usize, Option<usize>)>,
    /// The schema decode rows: the orders written, those ktui decoded and those
    /// confluent-kafka's AvroDeserializer decoded (each checked against the orders' sums),
    /// when they ran with the peer installed.
    pub schema: Option<(u64, u64, u64)>,
    /// Apache Kafka's version, when the Kafka rows ran.
    pub kafka_version: Option<String>,
    pub table: String,
}

pub fn run(options: &Options, ktui: &Path) -> Report {
    let mut report = Report::default();
    let kcat = kcat();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let demo = rt.block_on(DemoCluster::start()).expect("mock cluster");
    let bootstrap = demo.mock_bootstrap.clone();
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("data.txt");
    write_data(&data, options.records, options.size);
    let n = options.records;
    let label = format!("{n} × {} B", options.size);

    // 1. Produce: each tool into its own empty topic, same data, same librdkafka defaults,
    // alternating runs; the median of each.
    let mut ktui_times = Vec::new();
    let mut kcat_times = Vec::new();
    let produce_runs = if options.runs("produce") {
        options.repeat
    } else {
        0
    };
    for run in 0..produce_runs {
        let topic = format!("bench-ktui-{run}");
        create_topic(&rt, &demo, &topic, options.partitions);
        ktui_times.push(timed(
            Command::new(ktui).args(["produce", "-b", &bootstrap, &topic]),
            Some(&data),
        ));
        assert_eq!(
            messages(&bootstrap, &topic, options.partitions),
            n as u64,
            "ktui produced every record"
        );
        if let Some(kcat) = &kcat {
            let topic = format!("bench-kcat-{run}");
            create_topic(&rt, &demo, &topic, options.partitions);
            kcat_times.push(timed(
                Command::new(kcat).args(["-P", "-b", &bootstrap, "-t", &topic]),
                Some(&data),
            ));
            assert_eq!(
                messages(&bootstrap, &topic, options.partitions),
                n as u64,
                "kcat produced every record"
            );
        }
    }
    if options.runs("produce") {
        report.rows.push(pair_row(
            format!("produce {label} (ktui produce / kcat -P)"),
            n,
            &ktui_times,
            kcat.as_ref().map(|_| kcat_times.as_slice()),
        ));
    }

    // 2. Consume from the beginning to the end, to /dev/null, alternating runs. The topic
    // is loaded evenly across enough partitions that the mock cluster keeps every record.
    let loaded = "bench-load";
    let loaded_partitions = partitions_to_hold(n, options.size).max(options.partitions);
    create_topic(&rt, &demo, loaded, loaded_partitions);
    load_evenly(&bootstrap, loaded, &data, loaded_partitions);
    assert_eq!(
        retained(&bootstrap, loaded, loaded_partitions),
        n as u64,
        "the mock cluster kept every loaded record"
    );
    if options.runs("consume") {
        let mut ktui_times = Vec::new();
        let mut kcat_times = Vec::new();
        for _ in 0..options.repeat {
            ktui_times.push(timed(
                Command::new(ktui).args([
                    "consume",
                    "-b",
                    &bootstrap,
                    loaded,
                    "-o",
                    "beginning",
                    "-e",
                ]),
                None,
            ));
            if let Some(kcat) = &kcat {
                kcat_times.push(timed(
                    Command::new(kcat).args([
                        "-C",
                        "-b",
                        &bootstrap,
                        "-t",
                        loaded,
                        "-o",
                        "beginning",
                        "-e",
                        "-q",
                    ]),
                    None,
                ));
            }
        }
        report.rows.push(pair_row(
            format!("consume {label} (ktui consume -e / kcat -C -e)"),
            n,
            &ktui_times,
            kcat.as_ref().map(|_| kcat_times.as_slice()),
        ));
        // The count is right (checked outside the timing, through a pipe).
        let output = Command::new(ktui)
            .args(["consume", "-b", &bootstrap, loaded, "-o", "beginning", "-e"])
            .stderr(Stdio::null())
            .output()
            .expect("ktui consume");
        let lines = output.stdout.split(|&b| b == b'\n').count() as u64 - 1;
        assert_eq!(lines, n as u64, "ktui consume read back every record");
        report.consumed_lines = Some(lines);
    }

    // 2a. History search over the same topic: a jq predicate, beside kcat | jq.
    if options.runs("search") {
        let (row, found, peer) =
            search::search_row(ktui, kcat.as_deref(), &bootstrap, loaded, n, options.repeat);
        report.rows.push(row);
        report.search = Some((search::expected_matches(n), found, peer));
    }

    // 2b. The demo's Kafka-protocol front (what other clients go through): the same
    // consume through it and straight to the mock, alternating runs.
    if options.runs("front") {
        let mut through = Vec::new();
        let mut direct = Vec::new();
        for _ in 0..options.repeat {
            for (address, times) in [(&demo.bootstrap, &mut through), (&bootstrap, &mut direct)] {
                times.push(timed(
                    Command::new(ktui).args([
                        "consume",
                        "-b",
                        address,
                        loaded,
                        "-o",
                        "beginning",
                        "-e",
                    ]),
                    None,
                ));
            }
        }
        let mut row = pair_row(
            format!("demo front: consume {label} (through the front / to the mock)"),
            n,
            &through,
            Some(&direct),
        );
        row.peer = format!("direct {}", row.peer);
        report.rows.push(row);
    }

    // 3. Startup: to the first frame, and to the first record of the loaded topic visible.
    if options.runs("startup") {
        let home = Home::new();
        let startup = probe(
            &[
                "--ready".into(),
                "1 Topics".into(),
                "--record".into(),
                "bench-rec-".into(),
            ],
            &[
                ktui.display().to_string(),
                "-b".into(),
                bootstrap.clone(),
                "--topic".into(),
                loaded.into(),
                "-o".into(),
                "beginning".into(),
            ],
            &home.env(),
        );
        // The peers that are installed, on the same topic from its beginning.
        let mut peers: Vec<(&str, serde_json::Value)> = Vec::new();
        if let Some(bin) = which("kaskade") {
            // pip install kaskade: values as text.
            let argv = [
                bin.display().to_string(),
                "consumer".into(),
                "-b".into(),
                bootstrap.clone(),
                "-t".into(),
                loaded.into(),
                "--earliest".into(),
                "-v".into(),
                "string".into(),
            ];
            let args = [
                "--ready",
                "Kaskade",
                "--record",
                "bench-rec-",
                "--quit-key",
                "\\x03",
            ];
            peers.push(("kaskade", probe(&strings(&args), &argv, &[])));
        }
        if let Some(bin) = yozefu() {
            let home = YozefuHome::new(&bootstrap);
            let argv = strings(&[
                &bin.display().to_string(),
                "-c",
                "bench",
                "--topics",
                loaded,
                "from beginning",
            ]);
            // At 120 columns yozefu cuts values before their text; a record row is the
            // first one showing the topic with its partition, `bench-ktui-0[3]`.
            let record = format!("{loaded}[");
            let mut args = YOZEFU_PROBE.to_vec();
            args.extend(["--record", &record]);
            peers.push(("yozefu", probe(&strings(&args), &argv, &home.env())));
        }
        for (scenario, key) in [
            ("startup: launch → first frame", "first_frame_ms"),
            ("startup: launch → first record visible", "first_record_ms"),
        ] {
            let mut peer: Vec<String> = peers
                .iter()
                .map(|(name, result)| format!("{name} {}", ms(result, key)))
                .collect();
            if which("kaskade").is_none() {
                peer.push("kaskade: not installed".into());
            }
            if yozefu().is_none() {
                peer.push("yozefu: not installed".into());
            }
            // Against the fastest peer.
            let ratio = peers
                .iter()
                .filter_map(|(_, result)| result.get(key)?.as_f64())
                .min_by(f64::total_cmp)
                .and_then(|best| Some(best / startup.get(key)?.as_f64()?));
            report.rows.push(Row {
                scenario: scenario.into(),
                ktui: ms(&startup, key),
                peer: peer.join("; "),
                ratio,
            });
        }
    }

    // 4. The TUI under a firehose, at each rate; the peers under the same firehose.
    let rates: &[Option<u64>] = if options.runs("firehose") {
        &options.rates
    } else {
        &[]
    };
    let payload = std::fs::read_to_string(&data)
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.as_bytes().to_vec()))
        .unwrap_or_default();
    let hose = Hose {
        rt: &rt,
        demo: &demo,
        payload: &payload,
        partitions: options.partitions,
        secs: options.firehose_secs,
        probes: options.probes,
    };
    for (i, rate) in rates.iter().enumerate() {
        let what = rate.map_or_else(|| "max".to_string(), |r| format!("{}k", r / 1000));
        let home = Home::new();
        let (result, produced) = hose.run(&format!("bench-firehose-{i}"), *rate, |topic| {
            hose.probe_tui(
                &["--ready", "live"],
                &[
                    &ktui.display().to_string(),
                    "-b",
                    &bootstrap,
                    "--topic",
                    topic,
                ],
                &home.env(),
            )
        });
        let (frames, seconds, received) = home.stats().unwrap_or((0, 1.0, 0));
        report.firehoses.push((produced, received));
        // The same firehose into kcat (no UI, stdout counted): what a plain consumer gets.
        let reference = kcat.as_ref().map(|kcat| {
            hose.run(&format!("bench-firehose-{i}-kcat"), *rate, |topic| {
                count_lines(
                    Command::new(kcat)
                        .args(["-C", "-b", &bootstrap, "-t", topic, "-o", "end", "-q"]),
                    hose.window(),
                )
            })
        });
        let yozefu = yozefu().map(|bin| {
            let home = YozefuHome::new(&bootstrap);
            hose.run(&format!("bench-firehose-{i}-yozefu"), *rate, |topic| {
                hose.probe_tui(
                    &YOZEFU_PROBE,
                    &[
                        &bin.display().to_string(),
                        "-c",
                        "bench",
                        "--topics",
                        topic,
                        "from end",
                    ],
                    &home.env(),
                )
            })
            .0
        });
        report.rows.push(Row {
            scenario: format!(
                "TUI firehose {what} msg/s for {:.0} s: received / produced",
                options.firehose_secs
            ),
            ktui: format!("{received} / {produced}"),
            peer: reference.map_or_else(
                || "kcat not installed".into(),
                |(kcat_received, kcat_produced)| {
                    format!("kcat -C (no UI): {kcat_received} / {kcat_produced}")
                },
            ),
            ratio: None,
        });
        report.rows.push(Row {
            scenario: format!("  … CPU, peak RSS, frames/s, key→frame p50/p99 ({what})"),
            ktui: tui_figures(&result, Some(frames as f64 / seconds), options.probes),
            peer: yozefu.map_or_else(
                || format!("yozefu: not installed; {}", kaskade_note()),
                |y| {
                    format!(
                        "yozefu {}; {}",
                        tui_figures(&y, None, options.probes),
                        kaskade_note()
                    )
                },
            ),
            ratio: None,
        });
    }

    // 5. A real broker: one Apache Kafka node, when java is installed. The groups rows get
    // a cluster of their own when their partitions need more open files than one node may
    // hold (see `kafka::nodes_for`). The schema decode rows run on the first node, or on
    // the mock cluster without java.
    if options.runs("kafka") || options.runs("groups") || options.runs("schema") {
        let group_nodes = kafka::nodes_for(groups::partitions(options));
        let first = if options.runs("kafka") || options.runs("schema") || group_nodes == 1 {
            1
        } else {
            group_nodes
        };
        if let Some(broker) = KafkaBroker::start_nodes(first) {
            if options.runs("kafka") {
                kafka_rows(&mut report, options, ktui, &broker, &rt);
            }
            if options.runs("schema") {
                schema::schema_rows(
                    &mut report,
                    options,
                    ktui,
                    &broker.address,
                    &schema::Broker::Kafka(&broker.version),
                    &rt,
                );
            }
            report.kafka_version = Some(broker.version.clone());
            if options.runs("groups") {
                if broker.nodes == group_nodes {
                    groups::groups_rows(&mut report, options, ktui, &broker, &rt);
                } else {
                    drop(broker);
                    let cluster = KafkaBroker::start_nodes(group_nodes).expect("java is installed");
                    groups::groups_rows(&mut report, options, ktui, &cluster, &rt);
                }
            }
        } else {
            if options.runs("kafka") || options.runs("groups") {
                report.rows.push(Row {
                    scenario: "kafka: produce and consume".into(),
                    ktui: "java not installed".into(),
                    peer: String::new(),
                    ratio: None,
                });
            }
            if options.runs("schema") {
                let create = |name: &str, partitions: i32| {
                    create_topic(&rt, &demo, name, partitions);
                };
                schema::schema_rows(
                    &mut report,
                    options,
                    ktui,
                    &bootstrap,
                    &schema::Broker::Mock(&create),
                    &rt,
                );
            }
        }
    }

    // 6. The Topics tab at scale, on a cluster of its own (as many nodes as its partitions
    // take).
    if options.runs("topics") {
        let nodes = kafka::nodes_for(topics::partitions(options));
        if let Some(cluster) = KafkaBroker::start_nodes(nodes) {
            report.kafka_version = Some(cluster.version.clone());
            topics::topics_rows(&mut report, options, ktui, &cluster, &rt);
        }
    }

    report.table = table(&report.rows, options, report.kafka_version.as_deref());
    report
}

fn table(rows: &[Row], options: &Options, kafka: Option<&str>) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let kafka = kafka.map_or_else(String::new, |version| {
        format!(
            " (kafka rows: Apache Kafka {version}, one KRaft node on this machine, {} records)",
            options.kafka_records
        )
    });
    let _ = writeln!(
        out,
        "ktui vs peers · librdkafka mock cluster over TCP{kafka} · {cores} cores · {} records \
         of {} B",
        options.records, options.size
    );
    let _ = writeln!(out, "| scenario | ktui | peer | peer time ÷ ktui time |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for row in rows {
        let ratio = row.ratio.map_or_else(String::new, |r| {
            format!(
                "{r:.2}× {}",
                if r >= 1.0 {
                    "(ktui faster)"
                } else {
                    "(peer faster)"
                }
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {ratio} |",
            row.scenario, row.ktui, row.peer
        );
    }
    out
}

fn main() {
    let options = Options::from_args();
    let ktui = PathBuf::from(env!("CARGO_BIN_EXE_ktui"));
    let report = run(&options, &ktui);
    print!("{}", report.table);
}
