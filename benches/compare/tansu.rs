//! tansu, a real Kafka-compatible broker, with kafka-python as the peer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};

use super::mock::write_data;
use super::tools::{pair_row, timed, which};
use super::{Options, Report};

/// A tansu broker (in-memory storage) on a free loopback port, killed on drop.
pub(crate) struct TansuBroker {
    child: std::process::Child,
    pub(crate) address: String,
    _dir: tempfile::TempDir,
}

impl TansuBroker {
    /// `None` when tansu (`cargo install tansu`) or kafka-python is not installed.
    pub(crate) fn start() -> Option<Self> {
        let bin = which("tansu").or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            Some(home.join(".cargo/bin/tansu")).filter(|p| p.is_file())
        })?;
        let python_ok = Command::new("python3")
            .args(["-c", "import kafka"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !python_ok {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("tansu dir");
        let url = format!("tcp://{address}");
        let child = Command::new(bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let broker = Self {
            child,
            address,
            _dir: dir,
        };
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &broker.address)
            .create()
            .expect("metadata client");
        let deadline = Instant::now() + Duration::from_secs(20);
        while consumer
            .fetch_metadata(None, Duration::from_millis(500))
            .is_err()
        {
            assert!(Instant::now() < deadline, "tansu did not answer in 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(broker)
    }
}

pub(crate) fn kp_bench() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kp_bench.py")
}

/// Produce and consume on tansu: ktui beside kafka-python, alternating runs, medians.
pub(crate) fn tansu_rows(
    report: &mut Report,
    options: &Options,
    ktui: &Path,
    bootstrap: &str,
    rt: &tokio::runtime::Runtime,
) {
    let n = options.tansu_records;
    let work = tempfile::tempdir().expect("work dir");
    let data = work.path().join("tansu.txt");
    write_data(&data, n, options.size);
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("admin client");
    let create = |name: &str| {
        let topic = rdkafka::admin::NewTopic::new(
            name,
            options.partitions,
            rdkafka::admin::TopicReplication::Fixed(1),
        );
        let results = rt
            .block_on(admin.create_topics([&topic], &rdkafka::admin::AdminOptions::new()))
            .expect("create topic on tansu");
        assert!(
            results.iter().all(Result::is_ok),
            "create {name}: {results:?}"
        );
    };
    let (mut ktui_produce, mut peer_produce) = (Vec::new(), Vec::new());
    let (mut ktui_consume, mut peer_consume) = (Vec::new(), Vec::new());
    for run in 0..options.repeat {
        let ours = format!("tansu-ktui-{run}");
        create(&ours);
        ktui_produce.push(timed(
            Command::new(ktui).args(["produce", "-b", bootstrap, &ours]),
            Some(&data),
        ));
        let theirs = format!("tansu-kp-{run}");
        create(&theirs);
        peer_produce.push(timed(
            Command::new("python3").arg(kp_bench()).args([
                "--bootstrap",
                bootstrap,
                "produce",
                &theirs,
            ]),
            Some(&data),
        ));
        ktui_consume.push(timed(
            Command::new(ktui).args(["consume", "-b", bootstrap, &ours, "-o", "beginning", "-e"]),
            None,
        ));
        peer_consume.push(timed(
            Command::new("python3").arg(kp_bench()).args([
                "--bootstrap",
                bootstrap,
                "consume",
                &ours,
                "--count",
                &n.to_string(),
            ]),
            None,
        ));
    }
    let label = format!("{n} × {} B", options.size);
    let mut produce = pair_row(
        format!("tansu: produce {label} (ktui produce / kafka-python)"),
        n,
        &ktui_produce,
        Some(&peer_produce),
    );
    let mut consume = pair_row(
        format!("tansu: consume {label} (ktui consume -e / kafka-python)"),
        n,
        &ktui_consume,
        Some(&peer_consume),
    );
    for row in [&mut produce, &mut consume] {
        row.peer = format!("kafka-python {}", row.peer);
    }
    report.rows.extend([produce, consume]);
    // Every record of both tools' topics reads back (counted outside the timing; tansu's
    // end offsets stop at the last batch's first record, so they cannot count).
    let count = |topic: &str| {
        let output = Command::new(ktui)
            .args(["consume", "-b", bootstrap, topic, "-o", "beginning", "-e"])
            .stderr(Stdio::null())
            .output()
            .expect("ktui consume");
        output.stdout.split(|&b| b == b'\n').count() as u64 - 1
    };
    assert_eq!(
        count("tansu-kp-0"),
        n as u64,
        "kafka-python produced every record"
    );
    let lines = count("tansu-ktui-0");
    report.tansu = Some((n as u64, lines));
}

impl Drop for TansuBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
