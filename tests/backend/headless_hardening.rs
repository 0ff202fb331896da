//! Issue 13, the headless side: each test shows one defect of the subcommands fixed, on
//! the real binary. A config error is fatal; produce waits without spinning, says why a
//! cluster cannot be reached, refuses an unknown topic before reading input, skips empty
//! lines like kcat and counts in words; a closed pipe ends every subcommand quietly with
//! 0; `consume -o END -e` ends; each subcommand's help lists only its own flags; `-X` before
//! and after the subcommand add up; the example config says what the code does.
//!
//! Broker tests use the shared Apache Kafka node with uniquely named topics; an
//! unreachable cluster is a loopback port nobody listens on.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::kafka;
use crate::support::peers::{kp, kp_end_offsets, wait_for_topic};
use crate::support::process::RanBytes;
use crate::support::{self, KTUI, poll_until, unique, unused_address};

/// Bound for a run that should end by itself (its own timeouts are 10–15 s).
const ENDS: Duration = Duration::from_secs(60);

/// A home of its own: no config file, logs in a temp dir.
fn home() -> TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// `ktui` with its config and data dirs in `home` (no user config file leaks in).
fn ktui(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(KTUI);
    command
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("KTUI_CONFIG")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS");
    command
}

fn run(mut command: Command, input: &[u8]) -> RanBytes {
    support::process::run_with_input(&mut command, input, ENDS)
}

fn create_topic(address: &str, topic: &str) {
    kp(address, &["create-topic", topic, "--partitions", "1"]);
}

/// A process's CPU time so far (user + system), from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Option<(Duration, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state, then fields 4…; utime and stime
    // are fields 14 and 15 (1-based), in clock ticks (100 a second on Linux).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((Duration::from_millis(ticks * 10), state))
}

/// Runs `command` with `input` and returns its exit code, stderr, wall time and CPU
/// time. The CPU time is read from the finished process before it is reaped (a zombie
/// keeps its counters).
fn run_measured(mut command: Command, input: &[u8]) -> (Option<i32>, String, Duration, Duration) {
    let started = Instant::now();
    let mut child: Child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ktui");
    let mut stdin = child.stdin.take().expect("piped");
    let _ = stdin.write_all(input);
    drop(stdin);
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    let pid = child.id();
    let finished = poll_until(ENDS, || match cpu_time(pid) {
        Some((cpu, 'Z')) => Some(cpu),
        _ => None,
    });
    let wall = started.elapsed();
    if finished.is_none() {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    let cpu = finished.unwrap_or_else(|| panic!("ktui did not end within {ENDS:?}"));
    (status.code(), reader.join().unwrap_or_default(), wall, cpu)
}

// ---------------------------------------------------------------------------------------
// 1. A config error is fatal in a headless command

#[test]
fn a_config_error_stops_headless_commands_with_exit_2_instead_of_using_defaults() {
    let home = home();
    let config = home.path().join("config/ktui/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    // A string where a boolean belongs: on defaults, produce would write to
    // localhost:9092 and forget that prod is read-only.
    std::fs::write(
        &config,
        "default_cluster = \"prod\"\n[clusters.prod]\nbrokers = \"127.0.0.1:1\"\nread_only = \"yes\"\n",
    )
    .unwrap();
    for args in [
        &["produce", "sample"][..],
        &["topics"],
        &["consume", "sample", "-e"],
        &["feed", "--source", "replay:assets/tweets.ndjson"],
    ] {
        let ran = run(ktui(home.path(), args), b"one\n");
        assert_eq!(ran.code(), Some(2), "{args:?} exits 2: {ran:?}");
        assert!(
            ran.stderr.contains("config.toml:4:") && ran.stderr.contains("clusters.prod.read_only"),
            "{args:?} names the file, line and key: {:?}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("produced") && !ran.stderr.contains("cannot reach"),
            "{args:?} went on to do its work: {:?}",
            ran.stderr
        );
    }
    // `ktui config` is how to look at it: it still reports, and exits 2.
    let ran = run(ktui(home.path(), &["config"]), b"");
    assert_eq!(ran.code(), Some(2), "{ran:?}");
    assert!(
        String::from_utf8_lossy(&ran.stdout).contains("has an error"),
        "{ran:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. Headless produce

#[test]
fn produce_to_an_unreachable_cluster_says_so_without_spinning_a_core() {
    let home = home();
    let address = unused_address();
    let (code, stderr, wall, cpu) = run_measured(
        ktui(home.path(), &["-b", &address, "produce", "nowhere"]),
        b"one\ntwo\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach the cluster at {address}"))
            && stderr.contains("refused"),
        "says which cluster and why: {stderr:?}"
    );
    assert!(
        !stderr.contains("Message timed out"),
        "not only 'timed out': {stderr:?}"
    );
    // Idle waiting: a tenth of the wall time is far above what waiting costs and far
    // below what a loop polling every millisecond burns (two thirds of a core).
    assert!(
        cpu * 10 < wall,
        "ktui burnt {cpu:?} of CPU in {wall:?} waiting for a dead cluster"
    );
}

#[test]
fn produce_refuses_an_unknown_topic_before_sending_without_spinning() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let home = home();
    let topic = unique("hh-missing");
    let (code, stderr, wall, cpu) = run_measured(
        ktui(home.path(), &["-b", &broker.address(), "produce", &topic]),
        b"one\ntwo\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("unknown topic \"{topic}\"")),
        "names the topic: {stderr:?}"
    );
    assert!(!stderr.contains("produced"), "nothing was sent: {stderr:?}");
    assert!(
        cpu * 10 < wall.max(Duration::from_secs(1)),
        "ktui burnt {cpu:?} of CPU in {wall:?}"
    );
    assert!(!support::peers::kp_topics(&broker.address()).contains(&topic));
}

#[test]
fn produce_skips_empty_lines_like_kcat_unless_asked_to_keep_them() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let home = home();
    let topic = unique("hh-empty");
    create_topic(&address, &topic);
    let ran = run(
        ktui(home.path(), &["-b", &address, "produce", &topic]),
        b"a\n\nb\n\n",
    );
    assert!(ran.success(), "{ran:?}");
    assert!(
        ran.stderr.contains(&format!(
            "produced 2 messages to {topic} (2 empty lines skipped"
        )),
        "{:?}",
        ran.stderr
    );
    assert_eq!(kp_end_offsets(&address, &topic)[&0], 2, "a and b only");
    let ran = run(
        ktui(
            home.path(),
            &["-b", &address, "produce", &topic, "--keep-empty"],
        ),
        b"\n",
    );
    assert!(ran.success(), "{ran:?}");
    assert!(
        ran.stderr
            .contains(&format!("produced 1 message to {topic}\n")),
        "one message, in the singular: {:?}",
        ran.stderr
    );
    assert_eq!(
        kp_end_offsets(&address, &topic)[&0],
        3,
        "the empty one kept"
    );
}

// ---------------------------------------------------------------------------------------
// 3. A closed pipe ends every subcommand quietly, with 0

/// Runs `command` with its stdout (or stderr) a pipe whose reader is already gone, as
/// `| head -1` leaves it once head has its line.
fn into_closed_pipe(mut command: Command, stderr_closed: bool) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    command.stdin(Stdio::null());
    let capture = tempfile::NamedTempFile::new().expect("temp file");
    let captured = capture.reopen().expect("reopen");
    if stderr_closed {
        command.stdout(Stdio::from(captured)).stderr(writer);
    } else {
        command.stdout(writer).stderr(Stdio::from(captured));
    }
    let mut child = command.spawn().expect("run ktui");
    drop(command);
    let status = poll_until(ENDS, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let other = std::fs::read_to_string(capture.path()).unwrap_or_default();
    (status.and_then(|s| s.code()), other)
}

#[test]
fn a_closed_pipe_ends_config_quietly_with_0() {
    let home = home();
    let (code, stderr) = into_closed_pipe(ktui(home.path(), &["config"]), false);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "", "nothing said about the pipe");
}

#[test]
fn a_closed_pipe_ends_topics_consume_and_feed_quietly_with_0() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let home = home();
    let topic = unique("hh-pipe");
    create_topic(&address, &topic);
    kp(&address, &["produce", &topic, "one", "two", "three"]);
    for args in [
        &["-b", &address, "topics"][..],
        &["-b", &address, "topics", "--json"],
        &["-b", &address, "consume", &topic, "-o", "beginning", "-e"],
        &[
            "-b",
            &address,
            "consume",
            &topic,
            "-o",
            "beginning",
            "-e",
            "--format",
            "json",
        ],
    ] {
        let (code, stderr) = into_closed_pipe(ktui(home.path(), args), false);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing said about the pipe");
    }
    // The feed reports on stderr: with nobody reading it, it stops (as on Ctrl-C).
    let feed_topic = unique("hh-pipe-feed");
    create_topic(&address, &feed_topic);
    let (code, stdout) = into_closed_pipe(
        ktui(
            home.path(),
            &[
                "-b",
                &address,
                "feed",
                "--source",
                "replay:assets/tweets.ndjson",
                "--topic",
                &feed_topic,
            ],
        ),
        true,
    );
    assert_eq!(code, Some(0), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// 4. The smaller items

#[test]
fn consume_from_the_end_offset_with_exit_at_end_ends() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let home = home();
    let topic = unique("hh-at-end");
    create_topic(&address, &topic);
    kp(&address, &["produce", &topic, "one", "two"]);
    for offset in ["2", "end"] {
        let ran = run(
            ktui(
                home.path(),
                &["-b", &address, "consume", &topic, "-o", offset, "-e"],
            ),
            b"",
        );
        assert!(
            ran.status.is_some(),
            "-o {offset} -e must end (killed after {:?})",
            ran.elapsed
        );
        assert!(ran.success(), "-o {offset}: {ran:?}");
        assert!(ran.stdout.is_empty(), "-o {offset}: {ran:?}");
    }
    let ran = run(
        ktui(
            home.path(),
            &["-b", &address, "consume", &topic, "-o", "1", "-e"],
        ),
        b"",
    );
    assert!(ran.success(), "{ran:?}");
    assert_eq!(ran.stdout, b"two\n");
}

fn help(args: &[&str]) -> String {
    let home = home();
    let ran = run(ktui(home.path(), args), b"");
    assert!(ran.success(), "{args:?}: {ran:?}");
    String::from_utf8_lossy(&ran.stdout).into_owned()
}

#[test]
fn each_subcommands_help_lists_only_its_own_flags() {
    let feed_only = [
        "--feed-topic",
        "--replay-rate",
        "--twitter-api-base",
        "--jetstream-url",
        // (`--value <`: produce's `--value-subject` is its own.)
        "--value <",
    ];
    for sub in ["consume", "produce", "topics", "config"] {
        let text = help(&[sub, "--help"]);
        for flag in feed_only.iter().chain(&["--feed "]) {
            assert!(!text.contains(flag), "`{sub} --help` lists {flag}:\n{text}");
        }
        for flag in ["-b, --brokers", "-X <PROP=VALUE>", "--cluster"] {
            assert!(text.contains(flag), "`{sub} --help` lacks {flag}:\n{text}");
        }
    }
    let text = help(&["feed", "--help"]);
    for flag in feed_only {
        assert!(text.contains(flag), "`feed --help` lacks {flag}:\n{text}");
    }
    assert!(help(&["produce", "--help"]).contains("--keep-empty"));
}

#[test]
fn properties_before_and_after_the_subcommand_add_up() {
    let home = home();
    let ran = run(
        ktui(
            home.path(),
            &[
                "-X",
                "security.protocol=SASL_PLAINTEXT",
                "-X",
                "sasl.mechanism=PLAIN",
                "config",
                "-X",
                "client.rack=x",
            ],
        ),
        b"",
    );
    assert!(ran.success(), "{ran:?}");
    let out = String::from_utf8_lossy(&ran.stdout);
    for line in [
        "security.protocol = SASL_PLAINTEXT",
        "sasl.mechanism = PLAIN",
        "client.rack = x",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
}

#[test]
fn properties_before_and_after_the_subcommand_reach_the_broker() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let home = home();
    // The SASL listener: in plaintext (the earlier -X lost) this cannot connect.
    let ran = support::process::run_with_timeout(
        &mut ktui(
            home.path(),
            &[
                "-b",
                &broker.sasl_address(),
                "-X",
                "security.protocol=SASL_PLAINTEXT",
                "-X",
                "sasl.mechanism=PLAIN",
                "-X",
                &format!("sasl.username={}", kafka::PLAIN_USER.0),
                "-X",
                &format!("sasl.password={}", kafka::PLAIN_USER.1),
                "topics",
                "--timeout",
                "10",
                "-X",
                "client.rack=x",
            ],
        ),
        ENDS,
    );
    assert!(ran.success(), "{ran:?}");
    assert!(ran.stdout.starts_with("NAME"), "{ran:?}");
}

#[test]
fn the_example_config_states_the_precedence_the_code_applies() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = ktui::config::file::parse(&text, &path).unwrap();
    let cli = ktui::cli::Cli::try_parse_args(["ktui", "-b", "elsewhere:9092"]).unwrap();
    let profiles = ktui::config::profile::build(&file, &cli.selection()).unwrap();
    assert_eq!(
        profiles.list[profiles.current].brokers, "elsewhere:9092",
        "-b wins over default_cluster"
    );
    let comments: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join(" ");
    let comments = comments.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        comments.contains("(else -b, else default_cluster, else localhost:9092)"),
        "the example's header says so: {comments}"
    );
}

/// `kill -SIGNAL` a produce reading from a terminal-like stdin: it waits for its reports,
/// prints one summary and exits with `code`.
fn interrupted_produce(signal: &str, code: i32) {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let home = home();
    let topic = unique("hh-interrupted");
    create_topic(&address, &topic);
    // ktui produce checks the topic first and exits 2 if the broker does not list it yet.
    wait_for_topic(&address, &topic, true, ENDS);
    // Typed at a terminal: stdin stays open, the user presses Ctrl-C.
    let mut child = ktui(home.path(), &["-b", &address, "produce", &topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ktui");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(b"one\ntwo\n").expect("write");
    stdin.flush().expect("flush");
    support::wait_until("both lines on the broker", ENDS, || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("ktui produce ended before the signal: {status:?}");
        }
        let end = kp_end_offsets(&address, &topic)[&0];
        if end == 2 {
            Ok(())
        } else {
            Err(format!("end offset {end}"))
        }
    });
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = poll_until(ENDS, || child.try_wait().ok().flatten());
    if status.is_none() {
        let _ = child.kill();
    }
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    drop(stdin);
    let status = status.expect("ktui ends after the signal");
    assert_eq!(
        status.code(),
        Some(code),
        "interrupted, every message confirmed: {status:?} {stderr}"
    );
    assert_eq!(
        stderr.matches("produced ").count(),
        1,
        "one summary, not a second from the reading task: {stderr:?}"
    );
    assert!(
        stderr.contains(&format!("produced 2 messages to {topic}")),
        "the summary: {stderr:?}"
    );
}

#[test]
fn an_interrupted_produce_waits_for_its_reports_and_says_how_it_went() {
    interrupted_produce("-INT", 130);
}

#[test]
fn a_terminated_produce_exits_with_sigterms_code() {
    interrupted_produce("-TERM", 143);
}
