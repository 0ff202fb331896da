//! The registry fails: it refuses the login, is stopped, never answers, answers 500, or
//! its URL is not one; and a password in the URL is never printed.

use serde_json::Value;

use super::{
    Cluster, NOTE, NOTE_JSON, REC, assert_clean_exit, assert_same_bytes, bytes_of, envelopes,
    framed, rec, value,
};
use crate::support::fake_registry::{BACKEND_ERROR, FakeRegistry};
use crate::support::process::RanBytes;

/// The password of the login tests: distinctive, so any leak is found.
const PASSWORD: &str = "s3cr3t-pw";

/// A cluster, a fresh registry holding `t.Rec`, and a topic with one valid record.
pub(super) struct One {
    pub(super) cluster: Cluster,
    pub(super) registry: FakeRegistry,
    pub(super) topic: String,
    id: u32,
}

pub(super) fn one_record() -> One {
    let cluster = Cluster::start();
    let registry = FakeRegistry::start_in_background();
    let topic = cluster.topic("sr-registry", 1);
    let id = registry.register(&format!("{topic}-value"), "avro", REC, vec![]);
    cluster.produce(&topic, &[value(framed(id, &rec(42, NOTE)))]);
    One {
        cluster,
        registry,
        topic,
        id,
    }
}

impl One {
    /// `http://user:password@127.0.0.1:PORT`.
    fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.registry.addr)
    }

    /// One envelope, its bytes kept; its value's schema tag.
    fn consume_json(&self, registry: &str) -> (RanBytes, Value) {
        let ran = self
            .cluster
            .consume(registry, &self.topic, &["--format", "json"]);
        assert_clean_exit(&ran);
        let found = envelopes(&ran);
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(&ran.stdout));
        assert_eq!(
            bytes_of(&found[0], "value"),
            Some(framed(self.id, &rec(42, NOTE)))
        );
        let tag = found[0]["value_schema"].clone();
        (ran, tag)
    }

    /// The record could not be decoded: the error's words.
    fn failed(&self, registry: &str) -> (RanBytes, String) {
        let (ran, tag) = self.consume_json(registry);
        assert_eq!(tag["id"], self.id, "{tag}");
        let error = tag["error"]
            .as_str()
            .unwrap_or_else(|| panic!("an error: {tag}"))
            .to_string();
        (ran, error)
    }
}

/// Nothing ktui printed or wrote holds the password (nor `password@`).
fn assert_no_leak(one: &One, ran: &RanBytes, password: &str) {
    let stdout = String::from_utf8_lossy(&ran.stdout);
    for (name, text) in [("stdout", stdout.as_ref()), ("stderr", ran.stderr.as_str())] {
        assert!(
            !text.contains(password),
            "{name} holds the password: {text}"
        );
        assert!(
            !text.contains("p@"),
            "{name} holds the password's end: {text}"
        );
    }
    let files = one.cluster.written_files();
    assert!(
        !files.contains(password),
        "ktui's log holds the password:\n{files}"
    );
}

#[test]
fn a_registry_that_wants_a_login_is_refused_without_and_decodes_with_it() {
    let one = one_record();
    one.registry.require_basic_auth("u", PASSWORD);

    let (ran, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry refused the login (401 Unauthorized): check the \
             schema_registry username and password",
            one.id
        )
    );
    assert!(error.contains("401") && error.contains("login"), "{error}");
    assert_no_leak(&one, &ran, PASSWORD);

    // The wrong password: refused, and not printed either.
    let wrong = "wr0ng-pw";
    let (ran, error) = one.failed(&one.url_with("u", wrong));
    assert!(error.contains("401") && error.contains("login"), "{error}");
    assert_no_leak(&one, &ran, wrong);

    // user:password@ in the URL logs in: decoded, in JSON and in text.
    let url = one.url_with("u", PASSWORD);
    let (ran, tag) = one.consume_json(&url);
    assert!(tag.get("error").is_none(), "{tag}");
    assert_eq!(tag["type"], "AVRO", "{tag}");
    assert!(
        String::from_utf8_lossy(&ran.stdout).contains(&format!(r#""value_decoded":{NOTE_JSON}"#))
    );
    assert_no_leak(&one, &ran, PASSWORD);
    let ran = one.cluster.consume(&url, &one.topic, &[]);
    assert_clean_exit(&ran);
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        format!("{NOTE_JSON}\n")
    );
    assert_eq!(ran.stderr, "");
    assert_no_leak(&one, &ran, PASSWORD);
    // Each of the four runs asked once.
    assert_eq!(one.registry.schema_fetches(one.id), 4);
}

#[test]
fn a_stopped_registry_is_named_without_its_password() {
    let one = one_record();
    one.registry.stop();
    let (ran, error) = one.failed(&one.url_with("u", PASSWORD));
    let start = format!(
        "schema {}: cannot reach the schema registry at http://{}: ",
        one.id, one.registry.addr
    );
    assert!(error.starts_with(&start), "{error:?}, wanted {start:?}…");
    assert_no_leak(&one, &ran, PASSWORD);

    // Text: the same reason, once, on stderr; the record as it is.
    let ran = one.cluster.consume(&one.registry.url(), &one.topic, &[]);
    assert_clean_exit(&ran);
    let mut want = framed(one.id, &rec(42, NOTE));
    want.push(b'\n');
    assert_same_bytes(&ran.stdout, &want, "stdout");
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", ran.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "ktui: warning: the value at partition 0 offset 0: {start}"
        )) && lines[0]
            .ends_with("; printed as it is (later records with this problem are not reported)"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_registry_that_never_answers_costs_one_deadline() {
    let one = one_record();
    one.registry.set_dead(true);
    let (_, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry at http://{} did not answer within 5 s",
            one.id, one.registry.addr
        )
    );
    assert_eq!(one.registry.schema_fetches(one.id), 1);
}

#[test]
fn a_registry_answering_500_is_quoted() {
    let one = one_record();
    one.registry.set_failure(Some(BACKEND_ERROR));
    let (_, error) = one.failed(&one.registry.url());
    assert_eq!(
        error,
        format!(
            "schema {}: the schema registry answered 500: {}",
            one.id, BACKEND_ERROR.2
        )
    );
    assert!(error.contains("answered 500"));

    // The registry's own words may hold anything: a terminal escape is shown escaped on
    // stderr, never raw.
    one.registry
        .set_failure(Some((500, 50001, "store \x1b]0;PWNED\x07 down")));
    let ran = one.cluster.consume(&one.registry.url(), &one.topic, &[]);
    assert_clean_exit(&ran);
    let mut want = framed(one.id, &rec(42, NOTE));
    want.push(b'\n');
    assert_same_bytes(&ran.stdout, &want, "the record as it is");
    assert!(
        !ran.stderr.contains(['\x1b', '\x07']),
        "a raw control character on stderr: {:?}",
        ran.stderr
    );
    assert_eq!(
        ran.stderr,
        format!(
            "ktui: warning: the value at partition 0 offset 0: schema {}: the schema registry \
             answered 500: store \\x1b]0;PWNED\\x07 down; printed as it is (later records with \
             this problem are not reported)\n",
            one.id
        )
    );
}

#[test]
fn a_registry_url_that_is_not_a_url_is_said_and_records_print_raw() {
    let one = one_record();
    let ran = one
        .cluster
        .consume("ht!tp://", &one.topic, &["--format", "json"]);
    assert_clean_exit(&ran);
    let found = envelopes(&ran);
    assert_eq!(found.len(), 1, "{}", ran.stderr);
    assert_eq!(
        bytes_of(&found[0], "value"),
        Some(framed(one.id, &rec(42, NOTE)))
    );
    assert!(found[0].get("value_schema").is_none(), "{}", found[0]);
    assert!(found[0].get("value_decoded").is_none(), "{}", found[0]);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message: {}", ran.stderr);
    assert!(
        lines[0].starts_with(r#"ktui: warning: schema registry URL "ht!tp://" is not a URL: "#)
            && lines[0].contains("shown as they are"),
        "{}",
        lines[0]
    );
    assert_eq!(one.registry.request_count(), 0);
}

#[test]
fn a_registry_url_with_a_wrong_scheme_does_not_print_its_password() {
    let one = one_record();
    let addr = one.registry.addr;
    // A typo in the scheme (it parses, as another scheme), and a URL that does not parse.
    for url in [
        format!("htps://u:{PASSWORD}@{addr}"),
        format!("http://u:{PASSWORD}@[::1"),
    ] {
        let ran = one.cluster.consume(&url, &one.topic, &["--format", "json"]);
        assert_clean_exit(&ran);
        let found = envelopes(&ran);
        assert_eq!(found.len(), 1, "{}", ran.stderr);
        assert_eq!(
            bytes_of(&found[0], "value"),
            Some(framed(one.id, &rec(42, NOTE)))
        );
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert!(
            lines.len() == 1
                && lines[0].starts_with("ktui: warning: schema registry URL ")
                && lines[0].contains("shown as they are"),
            "{url}: {}",
            ran.stderr
        );
        // A URL that does not parse is quoted with its password masked.
        assert_no_leak(&one, &ran, PASSWORD);
    }
    assert_eq!(one.registry.request_count(), 0);
}
