//! Layer 3 for the Feed's sources: `ktui::feed::twitter::run` and `jetstream::run` against
//! fake servers that speak the real wire formats byte for byte (tests/support/fake_x.rs:
//! hand-written HTTP/1.1 with chunked NDJSON; tests/support/fake_jetstream.rs: a
//! WebSocket of Jetstream events), observed only through the `SourceEvent`s they emit.
//!
//! Time: every test runs on tokio's paused clock (`start_paused`), so a 5 s, 20 s or 2 min
//! wait takes no real time and is measured exactly. The network is real (loopback TCP);
//! the clock only jumps to the next timer when the runtime has nothing at all to do: no
//! task to run and no I/O event ready (a task woken by I/O stops the jump). That holds
//! because each fake server runs on the test's own single-threaded runtime: whatever it
//! writes is ready on the client's socket before the runtime next looks for work. (A fake
//! on another thread could still be answering while the runtime idles, and then the
//! clock would jump and fire a 20 s stall timer early.)

use std::time::Duration;

use ktui::feed::stop::{self, StopHandle};
use ktui::feed::twitter::{self, Secret, Stream};
use ktui::feed::{Author, FeedState, Post, SourceEvent, SourceSpec, jetstream, run_source};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::support::fake_jetstream::{self, FakeJetstream, WsEnd, WsScript, WsStep};
use crate::support::fake_x::{self, End, FakeX, Gate, Reply, Step, chunk, tweet_line};

/// A bearer token shaped like X's (they hold `%`); it must never come out of a source.
const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAKtuiFeedTest%2Fs3cr3tT0kenZZ9qXwE";

/// The deadline for any event, on the paused clock: far beyond any backoff the tests
/// expect (so it never fires first); if a source hangs, the clock jumps to it at once.
const DEADLINE: Duration = Duration::from_secs(3600);
/// Timer rounding: tokio's wheel has millisecond ticks.
const TICK: Duration = Duration::from_millis(1);

// ---------------------------------------------------------------------------------------
// Driving a source and reading what it says

/// A running source, its events, and every event it emitted so far (for the secrecy sweep
/// and for failure messages).
struct Source {
    rx: mpsc::Receiver<SourceEvent>,
    stop: StopHandle,
    task: JoinHandle<()>,
    seen: Vec<SourceEvent>,
}

impl Source {
    fn spawn(run: impl FnOnce(mpsc::Sender<SourceEvent>, stop::Stop) -> JoinHandle<()>) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let (stop, stopped) = stop::pair();
        Self {
            rx,
            stop,
            task: run(tx, stopped),
            seen: Vec::new(),
        }
    }

    /// The X source on `base` (the filtered stream unless `stream` says otherwise).
    fn twitter(base: &str, token: &str, stream: Stream) -> Self {
        let options = twitter::Options {
            api_base: base.to_string(),
            token: Secret::new(token),
            stream,
        };
        Self::spawn(|tx, stopped| tokio::spawn(twitter::run(options, tx, stopped)))
    }

    /// The next event (within [`DEADLINE`]).
    async fn next(&mut self, what: &str) -> SourceEvent {
        let within = DEADLINE;
        match tokio::time::timeout(within, self.rx.recv()).await {
            Ok(Some(event)) => {
                self.seen.push(event.clone());
                event
            }
            Ok(None) => panic!(
                "the source ended while the test waited for {what}; it said: {:#?}",
                self.seen
            ),
            Err(elapsed) => panic!(
                "no event ({elapsed}: {within:?}) while waiting for {what}; the source said: {:#?}",
                self.seen
            ),
        }
    }

    async fn state(&mut self, what: &str) -> FeedState {
        match self.next(what).await {
            SourceEvent::State(state) => state,
            SourceEvent::Post(post) => panic!("wanted {what}, got a post: {post:#?}"),
        }
    }

    async fn expect(&mut self, want: &FeedState) {
        let got = self.state(&format!("{want:?}")).await;
        assert_eq!(&got, want, "events so far: {:#?}", self.seen);
    }

    async fn post(&mut self) -> Post {
        match self.next("a post").await {
            SourceEvent::Post(post) => *post,
            SourceEvent::State(state) => {
                panic!(
                    "wanted a post, got {state:?}; events so far: {:#?}",
                    self.seen
                )
            }
        }
    }

    /// The next event must be `Reconnecting`: its delay and reason.
    async fn reconnecting(&mut self) -> (Duration, String) {
        match self.state("Reconnecting").await {
            FeedState::Reconnecting { after, because } => (after, because),
            other => panic!(
                "wanted Reconnecting, got {other:?}; events: {:#?}",
                self.seen
            ),
        }
    }

    /// After `Reconnecting`: waits until the source says `Connecting` again; returns
    /// how long it slept (on the paused clock: exactly its timer).
    async fn sleep_through_backoff(&mut self) -> Duration {
        let started = Instant::now();
        self.expect(&FeedState::Connecting).await;
        started.elapsed()
    }

    /// Stops the source; it must say `Stopped { fatal: false }` and end.
    async fn stop(mut self) -> Vec<SourceEvent> {
        self.stop.stop();
        loop {
            if let SourceEvent::State(FeedState::Stopped { reason, fatal }) =
                self.next("Stopped after a stop").await
            {
                assert!(!fatal, "a stop is not fatal: {reason}");
                assert_eq!(reason, "stopped");
                break;
            }
        }
        self.finish().await
    }

    /// Waits until the source's task has ended; returns everything it said.
    async fn finish(mut self) -> Vec<SourceEvent> {
        tokio::time::timeout(DEADLINE, &mut self.task)
            .await
            .expect("the source ends")
            .expect("the source does not panic");
        while let Ok(event) = self.rx.try_recv() {
            self.seen.push(event);
        }
        assert_no_secret(&self.seen);
        self.seen
    }
}

/// The token appears in no event: no state, no reason, no post field.
fn assert_no_secret(events: &[SourceEvent]) {
    for event in events {
        let shown = match event {
            SourceEvent::State(state) => format!("{state:?} / {state}"),
            SourceEvent::Post(post) => format!("{post:?}"),
        };
        assert!(!shown.contains(TOKEN), "the token leaked into {shown}");
        assert!(
            !shown.contains("s3cr3t"),
            "part of the token leaked into {shown}"
        );
    }
}

/// The source slept what it announced.
fn assert_close(got: Duration, want: Duration, what: &str) {
    assert!(
        got >= want && got <= want + TICK,
        "{what}: slept {got:?}, the source announced {want:?}"
    );
}

/// The posts among `events`, in order.
fn posts(events: &[SourceEvent]) -> Vec<&Post> {
    events
        .iter()
        .filter_map(|e| match e {
            SourceEvent::Post(post) => Some(&**post),
            SourceEvent::State(_) => None,
        })
        .collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

// ---------------------------------------------------------------------------------------
// A1: the wire, cut anywhere

/// Two users in `includes`, the author second; `\u` escapes including a surrogate pair.
const TWEET_ESCAPED: &str = r#"{"data":{"author_id":"2244994945","created_at":"2026-11-22T10:00:00.000Z","id":"1851111111111111111","lang":"en","text":"Kafka at last \u00e9 \ud83d\ude80"},"includes":{"users":[{"id":"783214","name":"X","username":"X"},{"id":"2244994945","name":"Developers","username":"XDevelopers"}]},"matching_rules":[{"id":"1851000000000000001","tag":"kafka"},{"id":"1851000000000000002","tag":"streams en"}]}"#;

/// Raw UTF-8 of every width: 2 (ü, ö), 3 (—, ス), 4 (🚀) bytes.
const TWEET_UTF8: &str = r#"{"data":{"author_id":"17874544","created_at":"2026-11-22T10:00:01.000Z","id":"1851111111111111112","lang":"de","text":"Grüße aus Köln 🚀 — ストリーム"},"includes":{"users":[{"id":"17874544","name":"Ünïcode Ünit","username":"unicode_unit"}]},"matching_rules":[{"id":"1851000000000000001","tag":"kafka"}]}"#;

/// An author X did not expand (a suspended account): only the id is known.
const TWEET_NO_USER: &str = r#"{"data":{"author_id":"999","created_at":"2026-11-22T10:00:02.000Z","id":"1851111111111111113","lang":"und","text":"who wrote this?"},"matching_rules":[{"id":"1851000000000000002","tag":"streams en"}]}"#;

/// The three tweets above and a fourth, cut everywhere a line can be cut; the gate holds
/// back the rest of tweet 2 until the test has seen tweet 1.
fn cut_everywhere() -> (Vec<Step>, Gate) {
    let tweet2 = format!("{TWEET_UTF8}\r\n").into_bytes();
    let rocket = tweet2
        .windows(4)
        .position(|w| w == "🚀".as_bytes())
        .expect("the rocket");
    let su = tweet2
        .windows(3)
        .position(|w| w == "ス".as_bytes())
        .expect("ス");
    // The first HTTP chunk ends tweet 1 and stops two bytes into the rocket's four.
    let mut first = format!("{TWEET_ESCAPED}\r\n").into_bytes();
    first.extend_from_slice(&tweet2[..rocket + 2]);
    let rest = &tweet2[rocket + 2..];
    let split_su = su - (rocket + 2) + 1; // one byte into ス's three
    let gate = Gate::default();
    let chunked_in_pieces = chunk(&rest[..split_su]);
    let steps = vec![
        Step::keep_alive(),
        Step::Chunk(first),
        // Only once the client has emitted tweet 1 does the rest of tweet 2 follow: the
        // client has certainly read a line cut in the middle of a character.
        Step::Wait(gate.clone()),
        // The next chunk's size line, data and trailer each in a TCP write of their own.
        Step::Raw(chunked_in_pieces[..2].to_vec()),
        Step::Raw(chunked_in_pieces[2..chunked_in_pieces.len() - 2].to_vec()),
        Step::Raw(b"\r\n".to_vec()),
        // Then the two other bytes of ス one chunk each, the line up to its \r, the \n.
        Step::Chunk(rest[split_su..=split_su].to_vec()),
        Step::Chunk(rest[split_su + 1..=split_su + 1].to_vec()),
        Step::Chunk(rest[split_su + 2..rest.len() - 1].to_vec()),
        Step::Chunk(rest[rest.len() - 1..].to_vec()),
        Step::keep_alive(),
        Step::keep_alive(),
        // A line and the next line's start, then the rest, in one chunk each.
        Step::Chunk(format!("{TWEET_NO_USER}\r\n\r\n{{\"da").into_bytes()),
        Step::Chunk(
            tweet_line(
                "1851111111111111114",
                "last one",
                ("42", "answer", "Deep Thought"),
                &[],
            )
            .trim_start_matches("{\"da")
            .as_bytes()
            .to_vec(),
        ),
        Step::Chunk(b"\r\n".to_vec()),
    ];
    (steps, gate)
}

#[tokio::test(start_paused = true)]
async fn tweets_cut_anywhere_come_out_whole_and_normalised() {
    let (steps, gate) = cut_everywhere();
    let server = FakeX::start(
        TOKEN,
        fake_x::FILTERED,
        vec![Reply::stream(steps, End::Hold)],
    )
    .await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    source.expect(&FeedState::Streaming).await;

    let first = source.post().await;
    gate.open();
    assert_eq!(
        first,
        Post {
            id: "1851111111111111111".into(),
            text: "Kafka at last é 🚀".into(),
            author: Author {
                id: "2244994945".into(),
                username: "XDevelopers".into(),
                name: "Developers".into(),
            },
            created_at: Some("2026-11-22T10:00:00.000Z".into()),
            lang: Some("en".into()),
            source: "twitter".into(),
            url: Some("https://x.com/XDevelopers/status/1851111111111111111".into()),
            matching_rules: vec!["kafka".into(), "streams en".into()],
        },
        "the author comes from includes.users by id, not the first user"
    );
    let second = source.post().await;
    assert_eq!(second.text, "Grüße aus Köln 🚀 — ストリーム");
    assert_eq!(second.id, "1851111111111111112");
    assert_eq!(second.author.username, "unicode_unit");
    assert_eq!(second.author.name, "Ünïcode Ünit");
    assert_eq!(second.lang.as_deref(), Some("de"));
    assert_eq!(second.matching_rules, ["kafka"]);

    let third = source.post().await;
    assert_eq!(
        third.author,
        Author {
            id: "999".into(),
            ..Author::default()
        }
    );
    assert_eq!(
        third.url.as_deref(),
        Some("https://x.com/i/web/status/1851111111111111113")
    );
    assert_eq!(third.matching_rules, ["streams en"]);
    let fourth = source.post().await;
    assert_eq!(fourth.text, "last one");
    assert_eq!(fourth.author.username, "answer");
    assert!(fourth.matching_rules.is_empty());

    let events = source.stop().await;
    assert_eq!(
        posts(&events).len(),
        4,
        "keep-alives are not posts: {events:#?}"
    );
    assert_one_exact_request(&server);
}

/// The server got exactly one request, and it was X's to the letter.
fn assert_one_exact_request(server: &FakeX) {
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one request: {seen:#?}");
    let request = &seen[0];
    assert_eq!(request.refused, None, "{request:#?}");
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/2/tweets/search/stream");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let mut query = request.query.clone();
    query.sort();
    assert_eq!(
        query,
        [
            ("expansions".to_string(), "author_id".to_string()),
            (
                "tweet.fields".to_string(),
                "created_at,lang,author_id".to_string()
            ),
            ("user.fields".to_string(), "username,name".to_string()),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_sampled_stream_has_its_own_path() {
    let line = tweet_line("7", "sampled", ("1", "someone", "Some One"), &[]);
    let server = FakeX::start(TOKEN, fake_x::SAMPLE, vec![Reply::lines_then_hold(&[line])]).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Sample);
    source.expect(&FeedState::Connecting).await;
    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "sampled");
    source.stop().await;
    assert_eq!(server.seen()[0].path, "/2/tweets/sample/stream");
}

/// The fake refuses what X would refuse: here a client that asks the filtered path of a
/// server that only serves the sampled one gets X's 401, which is fatal.
#[tokio::test(start_paused = true)]
async fn the_fake_refuses_a_wrong_path() {
    let server = FakeX::start(TOKEN, fake_x::SAMPLE, Vec::new()).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    assert!(matches!(
        source.state("Stopped").await,
        FeedState::Stopped { fatal: true, .. }
    ));
    source.finish().await;
    let seen = server.seen();
    assert!(
        seen[0]
            .refused
            .as_deref()
            .is_some_and(|why| why.contains("path")),
        "{seen:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// A2: 401 and 403 are fatal, with the API's words, and no retry

#[tokio::test(start_paused = true)]
async fn a_wrong_token_stops_for_good_with_one_request() {
    let server = FakeX::start(TOKEN, fake_x::FILTERED, Vec::new()).await;
    let wrong = "AAAAAAAAAAAAAAAAAAAAAWrongWrongWrong%3DNotIt";
    let mut source = Source::twitter(&server.base(), wrong, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    let FeedState::Stopped { reason, fatal } = source.state("Stopped").await else {
        panic!("a 401 stops the source: {:#?}", source.seen)
    };
    assert!(fatal, "{reason}");
    assert!(
        reason.contains("401") && reason.contains("Unauthorized"),
        "{reason}"
    );
    assert!(
        !reason.contains("WrongWrong"),
        "the token is not shown: {reason}"
    );
    // The source's task has ended: nothing can connect again.
    let events = source.finish().await;
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(
        server.requests(),
        1,
        "no retry after a 401: {:#?}",
        server.seen()
    );
    assert_eq!(server.connections(), 1);
    assert_eq!(
        server.seen()[0].refused.as_deref(),
        Some("a wrong Authorization header")
    );
}

#[tokio::test(start_paused = true)]
async fn forbidden_stops_for_good_with_title_and_detail() {
    let server = FakeX::start(TOKEN, fake_x::FILTERED, vec![Reply::forbidden()]).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    let FeedState::Stopped { reason, fatal } = source.state("Stopped").await else {
        panic!("a 403 stops the source: {:#?}", source.seen)
    };
    assert!(fatal, "{reason}");
    assert!(reason.contains("403"), "{reason}");
    assert!(reason.contains("Client Forbidden"), "{reason}");
    assert!(reason.contains(fake_x::FORBIDDEN_DETAIL), "{reason}");
    source.finish().await;
    assert_eq!(server.requests(), 1, "no retry after a 403");
    assert_eq!(server.connections(), 1);
}

// ---------------------------------------------------------------------------------------
// A3: operational disconnect, abrupt close, 503: reconnect on X's schedule

#[tokio::test(start_paused = true)]
async fn disconnects_and_server_errors_reconnect_on_schedule() {
    let t = |n: u32| tweet_line(&format!("{n}"), &format!("tweet {n}"), ("1", "u", "U"), &[]);
    let script = vec![
        // 1: a tweet, then X's operational disconnect (and a clean end of the body).
        Reply::stream(
            vec![
                Step::line(&t(1)),
                Step::keep_alive(),
                Step::line(fake_x::OPERATIONAL_DISCONNECT),
            ],
            End::Finish,
        ),
        // 2: a tweet, then the socket closes in the middle of a chunk (and of a line).
        Reply::stream(
            vec![
                Step::line(&t(2)),
                Step::Raw(b"80\r\n{\"data\":{\"id\":\"3\",\"te".to_vec()),
            ],
            End::Abort,
        ),
        // 3, 4: the service is unavailable, twice.
        Reply::unavailable(),
        Reply::unavailable(),
        // 5: healthy again.
        Reply::lines_then_hold(&[t(4)]),
    ];
    let server = FakeX::start(TOKEN, fake_x::FILTERED, script).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "tweet 1");

    let (after, because) = source.reconnecting().await;
    assert_eq!(after, ms(250), "a network error backs off 250 ms first");
    assert!(because.contains("operational-disconnect"), "{because}");
    assert!(because.contains("disconnected upstream"), "{because}");
    assert_close(
        source.sleep_through_backoff().await,
        after,
        "after the disconnect",
    );
    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "tweet 2");

    let (after, because) = source.reconnecting().await;
    assert_eq!(
        after,
        ms(250),
        "the connection streamed, so the backoff starts over"
    );
    assert!(!because.is_empty());
    assert_close(
        source.sleep_through_backoff().await,
        after,
        "after the abrupt close",
    );

    let (after, because) = source.reconnecting().await;
    assert_eq!(after, secs(5), "a 5xx backs off 5 s first: {because}");
    assert!(because.contains("503"), "{because}");
    assert!(because.contains("Service Unavailable"), "{because}");
    assert_close(source.sleep_through_backoff().await, after, "after a 503");

    let (after, because) = source.reconnecting().await;
    assert_eq!(after, secs(10), "then doubles: {because}");
    assert_close(
        source.sleep_through_backoff().await,
        after,
        "after a second 503",
    );

    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "tweet 4");
    let events = source.stop().await;
    let texts: Vec<&str> = posts(&events).iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        ["tweet 1", "tweet 2", "tweet 4"],
        "the half line cut by the close is not a post"
    );
    assert_eq!(server.requests(), 5);
    assert!(server.seen().iter().all(|s| s.refused.is_none()));
}

// ---------------------------------------------------------------------------------------
// A4: 429 waits for x-rate-limit-reset

#[tokio::test(start_paused = true)]
async fn rate_limits_wait_for_the_reset_time() {
    let script = vec![
        // The limit resets in ~121 s (whole epoch seconds: between 120 and 121 s from
        // when the source reads it).
        Reply::too_many_requests(fake_x::epoch_secs_in(secs(121))),
        // A reset already past: the exponential floor (60 s doubled) holds.
        Reply::too_many_requests(fake_x::epoch_secs_in(Duration::ZERO)),
        Reply::lines_then_hold(&[tweet_line("1", "finally", ("1", "u", "U"), &[])]),
    ];
    let server = FakeX::start(TOKEN, fake_x::FILTERED, script).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;

    let (after, because) = source.reconnecting().await;
    assert!(
        after >= secs(120) && after <= secs(121),
        "not before x-rate-limit-reset (not the 60 s floor): {after:?} because {because}"
    );
    assert!(
        because.contains("429") && because.contains("Too Many Requests"),
        "{because}"
    );
    let slept = source.sleep_through_backoff().await;
    assert_close(slept, after, "after a 429");
    assert!(slept >= secs(120), "{slept:?}");

    let (after, because) = source.reconnecting().await;
    assert_eq!(
        after,
        secs(120),
        "the second 429 in a row doubles 60 s: {because}"
    );
    assert_close(
        source.sleep_through_backoff().await,
        after,
        "after a second 429",
    );

    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "finally");
    source.stop().await;
    assert_eq!(server.requests(), 3);
}

// ---------------------------------------------------------------------------------------
// A5: a stall is a dead connection

#[tokio::test(start_paused = true)]
async fn a_stalled_stream_reconnects_20_seconds_after_the_last_byte() {
    let keep_alive = Gate::default();
    let script = vec![
        Reply::stream(
            vec![
                Step::line(&tweet_line("1", "then silence", ("1", "u", "U"), &[])),
                Step::Wait(keep_alive.clone()),
                Step::keep_alive(),
            ],
            End::Hold,
        ),
        Reply::lines_then_hold(&[tweet_line("2", "back", ("1", "u", "U"), &[])]),
    ];
    let server = FakeX::start(TOKEN, fake_x::FILTERED, script).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "then silence");
    let tweet_at = Instant::now();

    // 15 s of silence is not yet a stall.
    tokio::time::sleep(secs(15)).await;
    assert!(
        source.rx.try_recv().is_err(),
        "nothing happens within 20 s: {:#?}",
        source.seen
    );
    // Then a keep-alive, then silence for good.
    let keep_alive_at = Instant::now();
    keep_alive.open();
    let (after, because) = source.reconnecting().await;
    assert_eq!(
        keep_alive_at.elapsed(),
        secs(20),
        "a stall is declared 20 s after the last byte (the keep-alive)"
    );
    assert_eq!(
        tweet_at.elapsed(),
        secs(35),
        "the keep-alive restarted the 20 s"
    );
    assert!(because.contains("stalled"), "{because}");
    assert_eq!(after, ms(250), "a stall is a network error");
    assert_close(source.sleep_through_backoff().await, after, "after a stall");

    source.expect(&FeedState::Streaming).await;
    assert_eq!(source.post().await.text, "back");
    source.stop().await;
    assert_eq!(server.requests(), 2);
}

// ---------------------------------------------------------------------------------------
// A6: a good connection resets the backoff

#[tokio::test(start_paused = true)]
async fn the_backoff_starts_over_after_a_good_connection() {
    let script = vec![
        // No answer at all.
        Reply::Hangup,
        // A 200 whose body dies before its first byte.
        Reply::stream(Vec::new(), End::Abort),
        // A good stream that ends cleanly.
        Reply::stream(
            vec![Step::line(&tweet_line("1", "good", ("1", "u", "U"), &[]))],
            End::Finish,
        ),
        Reply::stream(Vec::new(), End::Abort),
        Reply::stream(Vec::new(), End::Abort),
    ];
    let server = FakeX::start(TOKEN, fake_x::FILTERED, script).await;
    let mut source = Source::twitter(&server.base(), TOKEN, Stream::Filtered);
    source.expect(&FeedState::Connecting).await;
    let mut delays = Vec::new();
    for attempt in 1..=5 {
        let (after, because) = loop {
            match source.next("Reconnecting").await {
                SourceEvent::State(FeedState::Reconnecting { after, because }) => {
                    break (after, because);
                }
                SourceEvent::State(FeedState::Connecting | FeedState::Streaming)
                | SourceEvent::Post(_) => {}
                SourceEvent::State(other) => panic!("{other:?}: {:#?}", source.seen),
            }
        };
        assert!(!because.is_empty());
        delays.push(after);
        if attempt < 5 {
            assert_close(source.sleep_through_backoff().await, after, &because);
        }
    }
    assert_eq!(
        delays,
        [ms(250), ms(500), ms(250), ms(500), ms(750)],
        "fail, fail, good (reset), then counting again from 250 ms"
    );
    // A stop during the backoff ends the source at once.
    source.stop().await;
    assert_eq!(server.requests(), 5);
}

// ---------------------------------------------------------------------------------------
// A7: Jetstream

const ALICE: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
const BOB: &str = "did:plc:z72i7hdynmk6r22z27h6tvur";

/// Connection 1: alice's handle, two posts with a ping between them, an account event,
/// then the TCP stream ends with no close frame. Connection 2: a post by bob before his
/// handle is known, his identity, another post; then quiet.
fn jetstream_script() -> Vec<WsScript> {
    let (alice, bob) = (ALICE, BOB);
    vec![
        WsScript {
            steps: vec![
                WsStep::Text(fake_jetstream::identity(
                    alice,
                    "alice.bsky.social",
                    1_725_911_162_000_000,
                )),
                WsStep::Text(fake_jetstream::post(
                    alice,
                    "3l3qo2vutsw2b",
                    "hello from the sky 🦋",
                    1_725_911_162_329_308,
                )),
                WsStep::Ping(b"are you there".to_vec()),
                WsStep::Text(fake_jetstream::post(
                    alice,
                    "3l3qo2vutsw2c",
                    "second",
                    1_725_911_162_400_000,
                )),
                // The last event is not a post, but it is where to resume.
                WsStep::Text(fake_jetstream::account(alice, 1_725_911_162_500_000)),
            ],
            end: WsEnd::Abrupt,
        },
        WsScript {
            steps: vec![
                WsStep::Text(fake_jetstream::post(
                    bob,
                    "3l3qo2vutsw2d",
                    "no handle yet",
                    1_725_911_162_600_000,
                )),
                WsStep::Text(fake_jetstream::identity(
                    bob,
                    "bob.example.com",
                    1_725_911_162_700_000,
                )),
                WsStep::Text(fake_jetstream::post(
                    bob,
                    "3l3qo2vutsw2e",
                    "now with one",
                    1_725_911_162_800_000,
                )),
            ],
            end: WsEnd::Hold,
        },
    ]
}

#[tokio::test(start_paused = true)]
async fn jetstream_posts_handles_pings_and_resume_cursor() {
    let (alice, bob) = (ALICE, BOB);
    let server = FakeJetstream::start(jetstream_script()).await;
    let url = server.url();
    let mut source = Source::spawn(|tx, stopped| {
        tokio::spawn(async move { jetstream::run(&url, tx, stopped).await })
    });
    source.expect(&FeedState::Connecting).await;
    source.expect(&FeedState::Streaming).await;
    let first = source.post().await;
    assert_eq!(
        first,
        Post {
            id: format!("{alice}/3l3qo2vutsw2b"),
            text: "hello from the sky 🦋".into(),
            author: Author {
                id: alice.into(),
                username: "alice.bsky.social".into(),
                name: "alice.bsky.social".into(),
            },
            created_at: Some("2024-09-09T19:46:02.102Z".into()),
            lang: Some("en".into()),
            source: "bluesky".into(),
            url: Some("https://bsky.app/profile/alice.bsky.social/post/3l3qo2vutsw2b".into()),
            matching_rules: Vec::new(),
        }
    );
    // The server went on past its ping only once a pong came back.
    assert_eq!(source.post().await.text, "second");
    assert!(
        server.pongs().iter().any(|p| p == b"are you there"),
        "the ping was answered: {:?}",
        server.pongs()
    );

    let (after, because) = source.reconnecting().await;
    assert_eq!(after, ms(250), "{because}");
    assert_close(source.sleep_through_backoff().await, after, &because);
    source.expect(&FeedState::Streaming).await;
    let third = source.post().await;
    assert_eq!(third.author.username, "", "no identity event for bob yet");
    assert_eq!(
        third.url.as_deref(),
        Some(format!("https://bsky.app/profile/{bob}/post/3l3qo2vutsw2d").as_str())
    );
    let fourth = source.post().await;
    assert_eq!(fourth.author.username, "bob.example.com");
    assert_eq!(
        fourth.url.as_deref(),
        Some("https://bsky.app/profile/bob.example.com/post/3l3qo2vutsw2e")
    );
    source.stop().await;

    let uris = server.uris();
    assert_eq!(
        uris,
        [
            "/subscribe?wantedCollections=app.bsky.feed.post".to_string(),
            "/subscribe?wantedCollections=app.bsky.feed.post&cursor=1725911162500000".to_string(),
        ],
        "the reconnect resumes from the last event's time_us"
    );
}

/// `run_source` dispatches a spec to its source (here the shipped replay: no network).
#[tokio::test(start_paused = true)]
async fn run_source_plays_the_shipped_replay() {
    let mut source = Source::spawn(|tx, stopped| {
        tokio::spawn(run_source(
            SourceSpec::Replay {
                path: None,
                per_second: 10.0,
                rounds: 1,
            },
            tx,
            stopped,
        ))
    });
    source.expect(&FeedState::Streaming).await;
    let mut count = 0;
    loop {
        match source.next("a replayed post or the end").await {
            SourceEvent::Post(post) => {
                assert_eq!(post.source, "replay");
                assert!(!post.author.username.is_empty(), "{post:?}");
                count += 1;
            }
            SourceEvent::State(FeedState::Stopped { reason, fatal }) => {
                assert!(!fatal);
                assert!(reason.contains("end of the replay"), "{reason}");
                break;
            }
            SourceEvent::State(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(count, 24, "the shipped file holds 24 tweets");
    source.finish().await;
}
