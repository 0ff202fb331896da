//! Layer 4 for the Feed: the real `ktui` binary, fed by a fake X API
//! (tests/support/fake_x.rs: the v2 stream's exact wire format and error answers) or by
//! its replay, publishing into a real broker, checked against what a peer client reads:
//! kafka-python on Apache Kafka (the shared node; each test uses its own uniquely named
//! topic), kcat on the embedded demo cluster (`--demo`).
//!
//! - headless `ktui feed` (the quickstart's `twitter-stream.py` job);
//! - the Feed pane (key 4) in a terminal (tmux), reading the posts back from the topic.
//!
//! The bearer token is handed to ktui only through its environment, and must never come
//! back out: not on stderr, not on screen, not in ktui's log file.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ktui::feed::Post;
use ktui::feed::replay::{DEMO_TWEETS, parse_posts};
use tempfile::TempDir;

use crate::support::fake_x::{self, End, FakeX, Reply, Step, tweet_line};
use crate::support::kafka;
use crate::support::peers::{PeerRecord, kcat, kcat_available, kp, kp_consume};
use crate::support::process::run_with_timeout;
use crate::support::tui::{Tui, TuiOptions, word_after};
use crate::support::{self, KTUI, poll_until, unique, unused_address};

/// A bearer token shaped like X's; it must never come out of ktui.
const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAKtuiE2eBearer%2Fs3cr3tE2eT0kenQ";
/// A distinctive part of it, in case something prints it cut or decoded.
const TOKEN_PART: &str = "s3cr3tE2eT0ken";

/// Generous bound for anything that needs a broker round trip.
const SHOWN: Duration = Duration::from_secs(20);
/// How long `ktui feed` may take to give up on a bad token.
const FATAL_WITHIN: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Running `ktui feed`

/// `ktui ARGS…` with HOME and the XDG dirs in a temporary directory, stderr to a file,
/// and no bearer token unless `env` sets one (`X_BEARER_TOKEN` or `TWITTER_BEARER_TOKEN`). Logging is at
/// `trace` (hyper's and reqwest's included), so the log file holds all it ever could.
struct Headless {
    home: TempDir,
    child: std::process::Child,
    started: Instant,
}

impl Headless {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        for sub in ["data", "config", "cache"] {
            std::fs::create_dir_all(home.path().join(sub)).expect("home dirs");
        }
        let stderr = File::create(home.path().join("stderr")).expect("stderr file");
        let mut command = Command::new(KTUI);
        command
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("KAFKA_BOOTSTRAP_SERVERS")
            .env_remove("X_BEARER_TOKEN")
            .env_remove("TWITTER_BEARER_TOKEN")
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("KTUI_LOG", "trace")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        command.envs(env.iter().copied());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {KTUI}: {e}"));
        Self {
            home,
            child,
            started: Instant::now(),
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.home.path().join("stderr")).unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("data/ktui/ktui.log")).unwrap_or_default()
    }

    /// Waits for the exit code; `None` if ktui still runs at `timeout` (then it is killed).
    fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let status = poll_until(timeout, || self.child.try_wait().ok().flatten());
        if status.is_none() {
            self.kill();
        }
        status.map(|s| s.code().unwrap_or(-1))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The token is nowhere in what ktui wrote: stderr and its log file.
    fn assert_no_secret(&self) {
        let stderr = self.stderr();
        assert!(
            !stderr.contains(TOKEN) && !stderr.contains(TOKEN_PART),
            "the token leaked to stderr:\n{stderr}"
        );
        let log = self.log();
        assert!(!log.is_empty(), "ktui logs to its data dir");
        assert!(
            !log.contains(TOKEN) && !log.contains(TOKEN_PART),
            "the token leaked into ktui.log"
        );
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        self.kill();
    }
}

fn header<'a>(record: &'a PeerRecord, name: &str) -> Option<&'a [u8]> {
    record
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_deref())
}

/// Every record of the one-partition `topic`, as kafka-python reads it from the
/// beginning: `count` of them, and the broker's end offset says that is all it holds (no
/// duplicate, nothing extra).
fn all_records(address: &str, topic: &str, count: usize) -> Vec<PeerRecord> {
    let records = kp_consume(address, topic, count);
    assert_eq!(records.len(), count, "{records:#?}");
    let ends = support::peers::kp_end_offsets(address, topic);
    assert_eq!(
        ends,
        [(0, i64::try_from(count).expect("a count"))].into(),
        "{topic} holds exactly {count} records"
    );
    records
}

fn post_of(record: &PeerRecord) -> Post {
    let value = record.value.as_deref().expect("a value");
    serde_json::from_slice(value)
        .unwrap_or_else(|e| panic!("the value is not a post ({e}): {}", record.value_text()))
}

/// A tweet the fake X sends: `(author id, username, name)`, `(rule id, tag)` pairs.
struct Tweet {
    id: &'static str,
    text: &'static str,
    author: (&'static str, &'static str, &'static str),
    rules: &'static [(&'static str, &'static str)],
}

impl Tweet {
    fn line(&self) -> String {
        tweet_line(self.id, self.text, self.author, self.rules)
    }
}

/// The tweets the fake X sends in these tests.
const TWEETS: [Tweet; 4] = [
    Tweet {
        id: "1852000000000000001",
        text: "Streaming tweets into Kafka 🚀",
        author: ("1001", "kafka_ops", "Kafka Ops"),
        rules: &[("9001", "kafka")],
    },
    Tweet {
        id: "1852000000000000002",
        text: "Grüße — split across chunks",
        author: ("1002", "stream_nerd", "Stream Nerd"),
        rules: &[("9001", "kafka"), ("9002", "streams")],
    },
    Tweet {
        id: "1852000000000000003",
        text: "third, after a keep-alive",
        author: ("1003", "third_party", "Third Party"),
        rules: &[],
    },
    Tweet {
        id: "1852000000000000004",
        text: "after the reconnect",
        author: ("1001", "kafka_ops", "Kafka Ops"),
        rules: &[("9002", "streams")],
    },
];

/// Three tweets (the second cut mid-line into two chunks, keep-alives around), X's
/// operational disconnect, then a fourth tweet on the next connection, another
/// disconnect, and finally a 401 (the token was revoked): `ktui feed` then exits.
fn script() -> Vec<Reply> {
    let lines: Vec<String> = TWEETS.iter().map(Tweet::line).collect();
    let second = format!("{}\r\n", lines[1]).into_bytes();
    let cut = second.len() / 2;
    vec![
        Reply::stream(
            vec![
                Step::keep_alive(),
                Step::line(&lines[0]),
                Step::Chunk(second[..cut].to_vec()),
                Step::Chunk(second[cut..].to_vec()),
                Step::keep_alive(),
                Step::line(&lines[2]),
                Step::line(fake_x::OPERATIONAL_DISCONNECT),
            ],
            End::Finish,
        ),
        Reply::stream(
            vec![
                Step::line(&lines[3]),
                Step::line(fake_x::OPERATIONAL_DISCONNECT),
            ],
            End::Finish,
        ),
        Reply::problem(401, fake_x::UNAUTHORIZED),
    ]
}

/// Runs `ktui -b BROKER feed --source twitter …` against the scripted fake X until it
/// exits at the final 401; returns the run and the fake (for its requests).
fn feed_from_fake_x(broker: &str, topic: &str, extra: &[&str]) -> (Headless, FakeX) {
    let server = FakeX::start_in_background(TOKEN, fake_x::FILTERED, script());
    let base = server.base();
    let mut args = vec![
        "-b",
        broker,
        "feed",
        "--source",
        "twitter",
        "--twitter-api-base",
        &base,
        "--topic",
        topic,
    ];
    args.extend_from_slice(extra);
    let mut run = Headless::start(&args, &[("X_BEARER_TOKEN", TOKEN)]);
    let code = run.wait(SHOWN);
    let stderr = run.stderr();
    assert_eq!(
        code,
        Some(1),
        "ktui feed ends with the 401 (a fatal error: non-zero):\n{stderr}"
    );
    (run, server)
}

// ---------------------------------------------------------------------------------------
// B1: fake X → ktui feed → Kafka → kafka-python

#[test]
fn tweets_flow_from_x_through_ktui_feed_into_kafka() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("feed-json");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);

    let (run, server) = feed_from_fake_x(&address, &topic, &[]);
    let stderr = run.stderr();
    let records = all_records(&address, &topic, 4);
    let keys: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8_lossy(r.key.as_deref().unwrap_or_default()).into_owned())
        .collect();
    let want_keys: Vec<&str> = TWEETS.iter().map(|t| t.id).collect();
    assert_eq!(keys, want_keys, "key = tweet id, in the stream's order");
    for (record, tweet) in records.iter().zip(&TWEETS) {
        let (author_id, username, name) = tweet.author;
        let post = post_of(record);
        assert_eq!(post.id, tweet.id);
        assert_eq!(
            post.text, tweet.text,
            "the text survives chunking and UTF-8"
        );
        assert_eq!(post.author.id, author_id);
        assert_eq!(post.author.username, username);
        assert_eq!(post.author.name, name);
        let tags: Vec<&str> = tweet.rules.iter().map(|(_, tag)| *tag).collect();
        assert_eq!(post.matching_rules, tags);
        assert_eq!(post.source, "twitter");
        assert_eq!(
            post.url.as_deref(),
            Some(format!("https://x.com/{username}/status/{}", tweet.id).as_str())
        );
        // The value is the normalised post as JSON.
        let raw: serde_json::Value =
            serde_json::from_slice(record.value.as_deref().expect("value")).expect("JSON");
        assert_eq!(raw["text"], tweet.text);
        assert_eq!(raw["author"]["username"], username);
        assert_eq!(raw["matching_rules"], serde_json::json!(tags));
        assert_eq!(header(record, "source"), Some(&b"twitter"[..]));
    }
    assert!(
        stderr.contains("ktui feed: streaming"),
        "one line per state change:\n{stderr}"
    );
    assert!(
        stderr.contains("reconnecting in 250 ms because operational-disconnect"),
        "{stderr}"
    );
    assert!(
        stderr.contains("401") && stderr.contains("Unauthorized"),
        "{stderr}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "two streams and the 401, no more: {seen:#?}");
    assert!(seen.iter().all(|s| s.refused.is_none()), "{seen:#?}");
    run.assert_no_secret();
}

#[test]
fn value_text_writes_only_the_tweet_text() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("feed-text");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);

    let (run, _server) = feed_from_fake_x(&address, &topic, &["--value", "text"]);
    let records = all_records(&address, &topic, 4);
    for (record, tweet) in records.iter().zip(&TWEETS) {
        assert_eq!(record.key.as_deref(), Some(tweet.id.as_bytes()));
        assert_eq!(
            record.value.as_deref(),
            Some(tweet.text.as_bytes()),
            "exactly the text, as the quickstart wrote it"
        );
        assert_eq!(header(record, "source"), Some(&b"twitter"[..]));
    }
    run.assert_no_secret();
}

/// The run above ends (at the 401) without a line saying how many tweets it published:
/// the final totals are printed only when they changed since the previous 500 ms report.
#[test]
fn ktui_feed_prints_its_totals_before_it_exits() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("feed-totals");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let (run, _server) = feed_from_fake_x(&address, &topic, &[]);
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!("ktui feed: received 4, published 4 to {topic}")),
        "the totals, before exiting:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// B2: a wrong token ends in a visible 401, and no reconnect storm

#[test]
fn a_wrong_token_exits_with_the_401_after_one_request() {
    let server = FakeX::start_in_background(TOKEN, fake_x::FILTERED, Vec::new());
    let base = server.base();
    // No broker is needed to be refused by X (and none listens here).
    let broker = unused_address();
    let wrong = "AAAAAAAAAAAAAAAAAAAAAKtuiWrongBearer%2Fs3cr3tE2eT0kenX";
    let mut run = Headless::start(
        &[
            "-b",
            &broker,
            "feed",
            "--source",
            "twitter",
            "--twitter-api-base",
            &base,
            "--topic",
            "tweets",
        ],
        &[("X_BEARER_TOKEN", wrong)],
    );
    let code = run.wait(FATAL_WITHIN);
    let elapsed = run.started.elapsed();
    let stderr = run.stderr();
    assert!(
        code.is_some_and(|c| c != 0),
        "exits non-zero within {FATAL_WITHIN:?} (got {code:?} after {elapsed:?}):\n{stderr}"
    );
    assert!(
        stderr.contains("401") && stderr.contains("Unauthorized"),
        "the API's answer is shown:\n{stderr}"
    );
    assert!(!stderr.contains(wrong), "{stderr}");
    assert!(!stderr.contains("KtuiWrongBearer"), "{stderr}");
    assert!(
        !run.log().contains("KtuiWrongBearer"),
        "the token leaked into ktui.log"
    );
    assert_eq!(server.requests(), 1, "one request: {:#?}", server.seen());
    assert_eq!(server.connections(), 1, "one connection");
    assert_eq!(
        server.seen()[0].refused.as_deref(),
        Some("a wrong Authorization header")
    );
}

#[test]
fn no_token_is_refused_before_connecting() {
    let server = FakeX::start_in_background(TOKEN, fake_x::FILTERED, Vec::new());
    let base = server.base();
    let broker = unused_address();
    let mut run = Headless::start(
        &[
            "-b",
            &broker,
            "feed",
            "--source",
            "twitter",
            "--twitter-api-base",
            &base,
        ],
        &[],
    );
    let code = run.wait(FATAL_WITHIN);
    let stderr = run.stderr();
    assert_eq!(code, Some(2), "a usage error:\n{stderr}");
    assert!(
        stderr.contains("X_BEARER_TOKEN"),
        "says what to set:\n{stderr}"
    );
    assert_eq!(server.requests(), 0);
}

/// The token may come from `TWITTER_BEARER_TOKEN` too; a 403 is as fatal as a 401, and
/// shown with the API's title and detail.
#[test]
fn twitter_bearer_token_works_and_forbidden_is_fatal() {
    let server = FakeX::start_in_background(TOKEN, fake_x::FILTERED, vec![Reply::forbidden()]);
    let base = server.base();
    let broker = unused_address();
    let mut run = Headless::start(
        &[
            "-b",
            &broker,
            "feed",
            "--source",
            "twitter",
            "--twitter-api-base",
            &base,
        ],
        &[("TWITTER_BEARER_TOKEN", TOKEN)],
    );
    let code = run.wait(FATAL_WITHIN);
    let stderr = run.stderr();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("403") && stderr.contains("Client Forbidden"),
        "{stderr}"
    );
    assert!(stderr.contains(fake_x::FORBIDDEN_DETAIL), "{stderr}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "no retry after a 403: {seen:#?}");
    assert_eq!(seen[0].refused, None, "the token was sent as X wants it");
    run.assert_no_secret();
}

// ---------------------------------------------------------------------------------------
// B3: the shipped replay, headless

#[test]
fn a_replay_is_published_and_ktui_feed_exits_zero() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("feed-replay");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tweets.ndjson");
    let posts = parse_posts(&std::fs::read_to_string(&file).expect("the shipped replay"));
    assert_eq!(posts.len(), 24);

    let mut run = Headless::start(
        &[
            "-b",
            &address,
            "feed",
            "--source",
            "replay:assets/tweets.ndjson",
            "--topic",
            &topic,
            "--replay-rate",
            "100",
        ],
        &[],
    );
    let code = run.wait(SHOWN);
    let stderr = run.stderr();
    assert_eq!(code, Some(0), "a replay that ends is a success:\n{stderr}");
    assert!(
        stderr.contains("stopped: end of the replay (24 posts)"),
        "{stderr}"
    );
    let records = all_records(&address, &topic, 24);
    let keys: Vec<&[u8]> = records
        .iter()
        .map(|r| r.key.as_deref().unwrap_or_default())
        .collect();
    let want: Vec<&[u8]> = posts.iter().map(|p| p.id.as_bytes()).collect();
    assert_eq!(keys, want, "every post once, in the file's order");
    for (record, post) in records.iter().zip(&posts) {
        assert_eq!(&post_of(record), post);
        assert_eq!(header(record, "source"), Some(&b"replay"[..]));
    }
}

/// The Feed pane's state line ("source twitter · streaming"), without the border and
/// the rate sparkline drawn at its right end.
fn state_line(screen: &str) -> &str {
    screen
        .lines()
        .find_map(|l| {
            let start = l.find("│source ")? + '│'.len_utf8();
            Some(l[start..].trim_end_matches(|c: char| {
                c == '│' || c.is_whitespace() || ('▁'..='█').contains(&c)
            }))
        })
        .unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// B4: the Feed pane shows what Kafka holds

#[test]
fn the_feed_pane_shows_tweets_read_back_from_kafka() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = unique("feed-pane");
    kp(&address, &["create-topic", &topic, "--partitions", "1"]);
    let three = &TWEETS[..3];
    let lines: Vec<String> = three.iter().map(Tweet::line).collect();
    let server = FakeX::start_in_background(
        TOKEN,
        fake_x::FILTERED,
        vec![
            Reply::lines_then_hold(&lines),
            // After `s` stops and starts the source again: a quiet stream.
            Reply::stream(vec![Step::keep_alive()], End::Hold),
        ],
    );
    let base = server.base();
    let Some(tui) = Tui::start_with(
        &[
            "-b",
            &address,
            "--feed",
            "twitter",
            "--twitter-api-base",
            &base,
            "--feed-topic",
            &topic,
        ],
        120,
        40,
        TuiOptions {
            cwd: Some(Path::new(env!("CARGO_MANIFEST_DIR"))),
            env: &[("X_BEARER_TOKEN", TOKEN), ("KTUI_LOG", "trace")],
            ..TuiOptions::default()
        },
    ) else {
        return;
    };
    tui.wait_settled("the Topics tab", SHOWN, |s| s.contains("1 Topics"));
    tui.send_key("4");
    let screen = tui.wait_settled("three tweets read back, all published", SHOWN, |s| {
        state_line(s) == "source twitter · streaming"
            && s.contains("published 3 (")
            && s.contains("consumed 3 (")
            && three.iter().all(|t| s.contains(t.text))
    });
    for tweet in three {
        let (_, username, name) = tweet.author;
        assert!(screen.contains(&format!("@{username} {name}")), "{screen}");
        for (_, tag) in tweet.rules {
            assert!(screen.contains(&format!("#{tag}")), "{screen}");
        }
    }
    assert!(screen.contains(&format!("Feed → {topic}")), "{screen}");
    assert!(screen.contains("received 3 ("), "{screen}");
    let at = |needle: &str| screen.find(needle).expect("on screen");
    assert!(
        at(three[2].text) < at(three[1].text) && at(three[1].text) < at(three[0].text),
        "newest first:\n{screen}"
    );
    // The records are what kafka-python reads too.
    let records = all_records(&address, &topic, 3);
    let texts: Vec<String> = records.iter().map(|r| post_of(r).text).collect();
    let want: Vec<&str> = three.iter().map(|t| t.text).collect();
    assert_eq!(texts, want);

    // `s` stops the source, and starts it again (a new request to X).
    tui.send_key("s");
    tui.wait_settled("the source stopped", SHOWN, |s| {
        state_line(s) == "source twitter · stopped (s starts it again)"
    });
    tui.send_key("s");
    tui.wait_settled("the source streaming again", SHOWN, |s| {
        state_line(s) == "source twitter · streaming"
    });
    assert!(
        poll_until(SHOWN, || (server.requests() == 2).then_some(())).is_some(),
        "one more request after the restart: {:#?}",
        server.seen()
    );
    assert!(server.seen().iter().all(|s| s.refused.is_none()));
    let screen = tui.screen();
    assert!(
        !screen.contains(TOKEN) && !screen.contains(TOKEN_PART),
        "the token is never on screen:\n{screen}"
    );
    let log = std::fs::read_to_string(tui.log_path()).unwrap_or_default();
    assert!(!log.is_empty(), "ktui logs to its data dir");
    assert!(
        !log.contains(TOKEN) && !log.contains(TOKEN_PART),
        "the token leaked into ktui.log"
    );
}

// ---------------------------------------------------------------------------------------
// B5: `--demo` plays the shipped tweets into `tweets`

#[test]
fn the_demo_feed_plays_the_shipped_tweets_into_kafka() {
    if !kcat_available() {
        return;
    }
    let Some(tui) = Tui::start(&["--demo"], 120, 40) else {
        return;
    };
    let shipped = parse_posts(DEMO_TWEETS);
    let usernames: BTreeSet<String> = shipped.iter().map(|p| p.author.username.clone()).collect();
    let screen = tui.wait_settled("the demo cluster's address", SHOWN, |s| {
        s.contains("DEMO cluster at ")
    });
    let address = word_after(&screen, "DEMO cluster at ")
        .unwrap_or_else(|| panic!("no address after 'DEMO cluster at':\n{screen}"))
        .to_string();
    tui.send_key("4");
    let screen = tui.wait_settled("the replay streaming, with posts", SHOWN, |s| {
        state_line(s) == "source replay · streaming"
            && usernames.iter().any(|u| s.contains(&format!("@{u}")))
    });
    assert!(screen.contains("Feed → tweets"), "{screen}");
    assert!(!screen.contains("No posts in tweets yet."), "{screen}");

    let kcat = kcat().expect("checked");
    let ran = run_with_timeout(
        Command::new(kcat).args([
            "-C",
            "-b",
            &address,
            "-t",
            "tweets",
            "-o",
            "beginning",
            "-c",
            "3",
            "-J",
            "-q",
        ]),
        SHOWN,
    );
    assert!(
        ran.status.is_some_and(|s| s.success()),
        "kcat reads three records from tweets: {ran:?}"
    );
    let ids: BTreeSet<&str> = shipped.iter().map(|p| p.id.as_str()).collect();
    let lines: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    for line in lines {
        let envelope: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("kcat -J printed {line}: {e}"));
        let key = envelope["key"].as_str().expect("a key");
        // Later rounds suffix the id ("…-1"); the first round's keys are the file's ids.
        let id = key.split('-').next().expect("id");
        assert!(ids.contains(id), "key {key} is a shipped tweet's id");
        let post: Post = serde_json::from_str(envelope["payload"].as_str().expect("payload"))
            .expect("the payload is a post");
        assert_eq!(post.source, "replay");
        assert!(usernames.contains(&post.author.username), "{post:?}");
        assert_eq!(
            envelope["headers"],
            serde_json::json!(["source", "replay"]),
            "{line}"
        );
    }
}
