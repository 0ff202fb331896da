//! Consumer groups at scale on Apache Kafka: N groups, each with committed offsets on its
//! own topic of P partitions (1,000 × 30 = 30,000 partitions in a full run). Measured:
//! the time to the first full table (`ktui groups --json`) beside Kafka's own
//! `kafka-consumer-groups.sh --describe --all-groups`, and the Groups tab in a
//! pseudo-terminal (time to its first table, then its CPU while idle and refreshing).
//!
//! A Kafka node keeps a file open for every partition it hosts, and the JVM may open no
//! more than the hard `ulimit -n`: where 30,000 partitions do not fit one node, the rows
//! run on a cluster of as many nodes as it takes (`kafka::nodes_for`), and say so.

use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer as _, ProducerContext};

use super::kafka::{KafkaBroker, libs};
use super::tools::{median, probe, strings, summary, timed};
use super::{Options, Report, Row};

/// The bench's group and topic names: sorted, so the Groups tab shows the first at the top.
fn group_name(i: usize) -> String {
    format!("bench-group-{i:05}")
}

fn topic_name(i: usize) -> String {
    format!("bench-grp-topic-{i:05}")
}

/// Every partition the bench creates.
pub(crate) fn partitions(options: &Options) -> u64 {
    options.groups as u64 * u64::try_from(options.group_partitions).unwrap_or(0)
}

/// Creates the topics, writes two records to every partition, and commits offset 1 on every
/// partition for every group (so each partition lags by one).
fn set_up(options: &Options, broker: &KafkaBroker, rt: &tokio::runtime::Runtime) {
    let bootstrap = broker.address.as_str();
    let names: Vec<String> = (0..options.groups).map(topic_name).collect();
    super::bulk::create_led_topics(bootstrap, &names, options.group_partitions, rt);
    let records: Vec<(String, i32)> = names
        .iter()
        .flat_map(|name| {
            (0..options.group_partitions).flat_map(move |p| [(name.clone(), p), (name.clone(), p)])
        })
        .collect();
    write(bootstrap, records);
    rt.block_on(async {
        let kafka = krafka::Kafka::builder(bootstrap)
            .connect()
            .await
            .expect("krafka connects");
        let admin = &kafka.admin();
        let partitions = options.group_partitions;
        futures::stream::iter(0..options.groups)
            .map(|i| async move {
                let offsets = (0..partitions)
                    .map(|p| (krafka::admin::TopicPartition::new(topic_name(i), p), 1));
                let done = admin
                    .alter_consumer_group_offsets(
                        group_name(i),
                        offsets,
                        krafka::admin::AlterConsumerGroupOffsetsOptions::default(),
                    )
                    .await
                    .expect("commit");
                assert!(
                    done.values().all(Result::is_ok),
                    "commit for {}: {done:?}\n{}",
                    group_name(i),
                    broker.log()
                );
            })
            .buffer_unordered(32)
            .collect::<Vec<()>>()
            .await;
    });
}

/// Records the producer could not deliver: topic, partition and librdkafka's reason.
#[derive(Default)]
struct Undelivered(Mutex<Vec<(String, i32, String)>>);

impl ClientContext for Undelivered {}

impl ProducerContext for Undelivered {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, (): ()) {
        if let Err((error, message)) = result {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push((
                message.topic().to_string(),
                message.partition(),
                error.to_string(),
            ));
        }
    }
}

/// Writes one record for each (topic, partition) listed, and again each one that was not
/// delivered: the topics are new, and a node that has not yet applied their creation
/// (or created their logs) refuses the first records for them.
fn write(bootstrap: &str, mut records: Vec<(String, i32)>) {
    let producer: BaseProducer<Undelivered> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "50")
        // A record the nodes cannot take fails in a minute and is sent again.
        .set("message.timeout.ms", "60000")
        // New topics: a node may answer metadata before it has all their partitions, and
        // the producer then holds records for "unknown" partitions until it asks again.
        .set("topic.metadata.refresh.interval.ms", "2000")
        .create_with_context(Undelivered::default())
        .expect("producer");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        for (topic, p) in &records {
            let mut record = BaseRecord::<(), str>::to(topic).payload("a").partition(*p);
            while let Err((_, back)) = producer.send(record) {
                producer.poll(Duration::from_millis(10));
                record = back;
            }
        }
        // Until every record has an answer (delivered or failed): on 2 busy cores the
        // nodes can take minutes to write 60,000 records to 30,000 new partitions.
        while producer.in_flight_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "records still in flight after 5 minutes"
            );
            producer.poll(Duration::from_millis(100));
        }
        let failed = std::mem::take(
            &mut *producer
                .context()
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let Some((topic, p, why)) = failed.first() else {
            return;
        };
        eprintln!(
            "groups: {} records not delivered (such as to {topic}-{p}: {why}); again",
            failed.len()
        );
        assert!(
            Instant::now() < deadline,
            "records still undelivered after 5 minutes"
        );
        // Polling a condition with a deadline: the nodes are catching up.
        std::thread::sleep(Duration::from_secs(1));
        records = failed.into_iter().map(|(t, p, _)| (t, p)).collect();
    }
}

/// Kafka's own tool, from the broker's jars.
fn consumer_group_command(bootstrap: &str) -> Command {
    let mut command = Command::new("java");
    command
        .args(["-Xmx512m", "-cp"])
        .arg(format!("{}/*", libs().display()))
        .arg("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--all-groups",
        ]);
    command
}

pub(crate) fn groups_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    broker: &KafkaBroker,
    rt: &tokio::runtime::Runtime,
) {
    set_up(options, broker, rt);
    let bootstrap = broker.address.as_str();
    let scale = format!(
        "{} groups, {} partitions{}",
        options.groups,
        partitions(options),
        if broker.nodes > 1 {
            format!(" on {} nodes", broker.nodes)
        } else {
            String::new()
        }
    );
    // The table ktui prints must hold every group, each lagging by one a partition.
    let listed = Command::new(ktui)
        .args(["groups", "-b", bootstrap, "--json", "--timeout", "60"])
        .output()
        .expect("ktui groups");
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let lagging = rows
        .as_array()
        .expect("an array")
        .iter()
        .filter(|g| {
            g["group"]
                .as_str()
                .is_some_and(|n| n.starts_with("bench-group-"))
                && g["lag"] == options.group_partitions
        })
        .count();
    if lagging != options.groups {
        let odd: Vec<&serde_json::Value> = rows
            .as_array()
            .expect("an array")
            .iter()
            .filter(|g| g["lag"] != options.group_partitions)
            .take(3)
            .collect();
        panic!(
            "ktui groups listed {lagging} of {} bench groups lagging by {}; others: {odd:#?}\n\
             stderr: {}",
            options.groups,
            options.group_partitions,
            String::from_utf8_lossy(&listed.stderr)
        );
    }

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..options.repeat {
        ours.push(timed(
            Command::new(ktui).args(["groups", "-b", bootstrap, "--json", "--timeout", "60"]),
            None,
        ));
        theirs.push(timed(&mut consumer_group_command(bootstrap), None));
    }
    let runs = |times: &[f64]| {
        let list: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        list.join(" ")
    };
    let (ktui_median, peer_median) = (median(&ours), median(&theirs));
    report.rows.push(Row {
        scenario: format!("groups: first full table ({scale})"),
        ktui: format!("ktui groups: {ktui_median:.2} s (runs: {} s)", runs(&ours)),
        peer: format!(
            "kafka-consumer-groups --describe --all-groups: {peer_median:.2} s (runs: {} s)",
            runs(&theirs)
        ),
        ratio: Some(peer_median / ktui_median),
    });

    // The Topics tab first, idle with every topic listed (its metadata and watermarks
    // refreshes); then the Groups tab as a person opens it: key 5, the first group on
    // screen, then idle. Each `repeat` times: the median, and every run.
    let idle = if options.groups >= 1000 { 30.0 } else { 5.0 };
    let command = strings(&[ktui.to_str().expect("path"), "-b", bootstrap]);
    // The TUI itself, not its supervising parent: /proc counts a child's CPU in its
    // parent only once the child has exited.
    let env = ["KTUI_NO_SUPERVISOR=1".to_string()];
    let (mut topics_shown, mut topics_idle) = (Vec::new(), Vec::new());
    let (mut groups_shown, mut groups_idle) = (Vec::new(), Vec::new());
    for _ in 0..options.repeat {
        let topics = probe(
            &strings(&[
                "--ready",
                &topic_name(0),
                "--idle",
                &idle.to_string(),
                "--timeout",
                "120",
            ]),
            &command,
            &env,
        );
        let field = |key: &str| topics.get(key).and_then(serde_json::Value::as_f64);
        topics_shown.extend(field("first_frame_ms"));
        topics_idle.extend(field("idle_cpu_pct"));
        let groups = probe(
            &strings(&[
                "--ready",
                "Topics",
                "--press",
                "5",
                "--press-ready",
                &group_name(0),
                "--idle",
                &idle.to_string(),
                "--timeout",
                "120",
            ]),
            &command,
            &env,
        );
        let field = |key: &str| groups.get(key).and_then(serde_json::Value::as_f64);
        groups_shown.extend(field("press_ready_ms"));
        groups_idle.extend(field("idle_cpu_pct"));
    }
    report.rows.push(Row {
        scenario: format!("groups: Topics tab, the same cluster ({scale})"),
        ktui: format!(
            "first topic after {} ms; idle {} of a core over {idle:.0} s",
            summary(&topics_shown, "", 0),
            summary(&topics_idle, "%", 1),
        ),
        peer: "no peer TUI refreshes every partition's counts".into(),
        ratio: None,
    });
    report.rows.push(Row {
        scenario: format!("groups: Groups tab ({scale})"),
        ktui: format!(
            "first table {} ms after 5; idle {} of a core over {idle:.0} s",
            summary(&groups_shown, "", 0),
            summary(&groups_idle, "%", 1),
        ),
        peer: "no peer TUI lists groups".into(),
        ratio: None,
    });
    report.groups = Some((lagging, groups_shown.len() == options.repeat));
}
