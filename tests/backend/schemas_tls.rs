//! Layer 3: the schema registry over https, on the real binary. The fake registry serves
//! TLS with the throwaway PKI (tests/support/tls.rs), with or without a required client
//! certificate; ktui reaches it through a cluster's `schema_registry = { url, ca_file,
//! cert_file, key_file, username, password }` in its config file, as a user sets it up.
//! A registry whose CA is given decodes a framed Avro record (with a client certificate
//! when one is required, with a login over TLS); one whose certificate is not trusted (no
//! `ca_file`, or another CA's), a missing client certificate, and a CA file that is not
//! there are each said in words naming the problem and the registry or the file, and the
//! record's bytes are printed as they are.
//!
//! Every test starts its own mock cluster (librdkafka's, in this process), PKI and
//! registry.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::broker::{MockCluster, Out, producer, send_all};
use crate::support::fake_registry::{ClientAuth, FakeRegistry};
use crate::support::process::{RanBytes, run_with_input};
use crate::support::tls::TestPki;
use crate::support::{KTUI, wait_until};

/// Bound for a `ktui consume -e` (it takes about a second).
const DEADLINE: Duration = Duration::from_secs(60);

const REC: &str = r#"{"type":"record","name":"Rec","namespace":"t","fields":[{"name":"id","type":"long"},{"name":"note","type":"string"}]}"#;
/// The record decoded, exactly as ktui writes it.
const REC_JSON: &str = r#"{"id":42,"note":"over tls"}"#;

/// The password of the login case: distinctive, so any leak is found.
const PASSWORD: &str = "tls-s3cr3t";

/// The framed record: magic byte 0, the id big-endian, then `t.Rec {42, "over tls"}` in
/// Avro's binary encoding (zigzag 42 = 84; a string of 8 bytes, zigzag 16), by hand.
fn framed(id: u32) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&id.to_be_bytes());
    out.push(84);
    out.push(16);
    out.extend_from_slice(b"over tls");
    out
}

/// A JSON string is a TOML basic string (for these ASCII paths and URLs).
fn toml_str(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A mock cluster with one framed record, an https registry holding its schema, a PKI,
/// and a home for ktui (its config file, its log).
/// Fields drop in order: the registry, the cluster, then the files.
struct Tls {
    registry: FakeRegistry,
    mock: MockCluster,
    topic: String,
    id: u32,
    pki: TestPki,
    home: TempDir,
}

impl Tls {
    fn start(auth: ClientAuth) -> Self {
        let pki = TestPki::generate();
        let registry = FakeRegistry::start_tls_in_background(&pki, auth);
        let mock = MockCluster::start();
        let topic = mock.topic("sr-tls", 1);
        let id = registry.register(&format!("{topic}-value"), "avro", REC, vec![]);
        let record = Out {
            value: Some(framed(id)),
            ..Out::default()
        };
        let landed = mock
            .rt
            .block_on(send_all(&producer(mock.bootstrap()), &topic, &[record]));
        assert_eq!(landed, [(0, 0)]);
        Self {
            registry,
            mock,
            topic,
            id,
            pki,
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `url = "https://127.0.0.1:PORT"` and these more `key = value` pairs, for the
    /// cluster's `schema_registry` table.
    fn entry(&self, more: &[(&str, String)]) -> String {
        let mut pairs = vec![format!("url = {}", toml_str(&self.registry.url()))];
        pairs.extend(more.iter().map(|(k, v)| format!("{k} = {}", toml_str(v))));
        format!("{{ {} }}", pairs.join(", "))
    }

    /// `ca_file` naming this PEM file.
    fn ca(path: &Path) -> (&'static str, String) {
        ("ca_file", path.display().to_string())
    }

    /// `cert_file` and `key_file`: the PKI's client certificate.
    fn client_cert(&self) -> [(&'static str, String); 2] {
        [
            ("cert_file", self.pki.client_cert.display().to_string()),
            ("key_file", self.pki.client_key.display().to_string()),
        ]
    }

    /// Writes the config file (cluster `tls`: the mock cluster, this registry entry) and
    /// runs `ktui --cluster tls consume TOPIC -o beginning -e ARGS…`.
    fn consume(&self, registry_entry: &str, args: &[&str]) -> RanBytes {
        let config = self.home.path().join("config/ktui/config.toml");
        std::fs::create_dir_all(config.parent().expect("a parent")).expect("config dir");
        std::fs::write(
            &config,
            format!(
                "[clusters.tls]\nbrokers = {}\nschema_registry = {registry_entry}\n",
                toml_str(self.mock.bootstrap())
            ),
        )
        .expect("write the config file");
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod the config file");
        let ran = run_with_input(
            Command::new(KTUI)
                .env("XDG_CONFIG_HOME", self.home.path().join("config"))
                .env("XDG_DATA_HOME", self.home.path().join("data"))
                .env_remove("KTUI_CONFIG")
                .env_remove("KTUI_SCHEMA_REGISTRY")
                .env_remove("KAFKA_BOOTSTRAP_SERVERS")
                .args([
                    "--cluster",
                    "tls",
                    "consume",
                    &self.topic,
                    "-o",
                    "beginning",
                    "-e",
                ])
                .args(args),
            b"",
            DEADLINE,
        );
        assert!(
            ran.success(),
            "ktui consume failed ({:?}) after {:?}\nstderr: {}",
            ran.status,
            ran.elapsed,
            ran.stderr
        );
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
        ran
    }

    /// `--format json`: the one envelope, its value's bytes checked to be the record's.
    fn envelope(&self, registry_entry: &str) -> (RanBytes, Value) {
        let ran = self.consume(registry_entry, &["--format", "json"]);
        let stdout = String::from_utf8_lossy(&ran.stdout).into_owned();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "one envelope: {stdout}\nstderr: {}",
            ran.stderr
        );
        let envelope: Value = serde_json::from_str(lines[0]).expect("an envelope is JSON");
        let text = envelope["value"].as_str().expect("a value");
        let value = match envelope["value_encoding"].as_str() {
            None => text.as_bytes().to_vec(),
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("valid base64"),
            Some(other) => panic!("value_encoding {other:?}: {envelope}"),
        };
        assert_eq!(value, framed(self.id), "the record's bytes, kept");
        (ran, envelope)
    }

    /// The record was decoded through the registry: its schema tag and its value.
    fn assert_decoded(&self, registry_entry: &str) -> RanBytes {
        let (ran, envelope) = self.envelope(registry_entry);
        let tag = &envelope["value_schema"];
        assert!(tag.get("error").is_none(), "{envelope}");
        assert_eq!(tag["id"], self.id, "{envelope}");
        assert_eq!(tag["type"], "AVRO", "{envelope}");
        assert_eq!(
            envelope["value_decoded"],
            serde_json::from_str::<Value>(REC_JSON).expect("JSON"),
            "{envelope}"
        );
        assert_eq!(ran.stderr, "");
        ran
    }

    /// The record could not be decoded: the error's words, after `schema ID: `.
    fn failed(&self, registry_entry: &str) -> String {
        let (_, envelope) = self.envelope(registry_entry);
        let tag = &envelope["value_schema"];
        assert_eq!(tag["id"], self.id, "{envelope}");
        assert!(envelope.get("value_decoded").is_none(), "{envelope}");
        let error = tag["error"]
            .as_str()
            .unwrap_or_else(|| panic!("an error: {envelope}"));
        let prefix = format!("schema {}: ", self.id);
        error
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{error:?} starts with {prefix:?}"))
            .to_string()
    }

    /// Waits (bounded) until the registry has seen `n` failed handshakes; their reasons.
    fn handshake_failures(&self, n: usize) -> Vec<String> {
        wait_until(
            "the registry's failed handshakes",
            Duration::from_secs(10),
            || {
                let failures = self.registry.handshake_failures();
                if failures.len() >= n {
                    Ok(failures)
                } else {
                    Err(format!("{failures:?}"))
                }
            },
        )
    }
}

/// Everything the user or an admin could read of one run: stdout, stderr and the log.
fn everything(tls: &Tls, ran: &RanBytes) -> String {
    let log =
        std::fs::read_to_string(tls.home.path().join("data/ktui/ktui.log")).unwrap_or_default();
    format!(
        "{}{}{log}",
        String::from_utf8_lossy(&ran.stdout),
        ran.stderr
    )
}

#[test]
fn a_registry_over_https_decodes_with_its_ca_file() {
    let tls = Tls::start(ClientAuth::None);
    assert!(tls.registry.url().starts_with("https://127.0.0.1:"));
    let entry = tls.entry(&[Tls::ca(&tls.pki.ca_pem)]);
    tls.assert_decoded(&entry);
    // As text: the value decoded, nothing said.
    let ran = tls.consume(&entry, &[]);
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        format!("{REC_JSON}\n")
    );
    assert_eq!(ran.stderr, "");
    // Both runs asked over https (the requests were read, so the handshakes held).
    assert_eq!(tls.registry.schema_fetches(tls.id), 2);
    assert!(
        tls.registry
            .request_lines()
            .iter()
            .all(|line| line.ends_with(" 200")),
        "{:?}",
        tls.registry.request_lines()
    );
    assert_eq!(tls.registry.handshake_failures(), Vec::<String>::new());
}

#[test]
fn a_login_over_https_decodes_and_a_missing_password_is_refused() {
    let tls = Tls::start(ClientAuth::None);
    tls.registry.require_basic_auth("sr-user", PASSWORD);
    let ca = Tls::ca(&tls.pki.ca_pem);
    let ran = tls.assert_decoded(&tls.entry(&[
        ca.clone(),
        ("username", "sr-user".into()),
        ("password", PASSWORD.into()),
    ]));
    assert!(!everything(&tls, &ran).contains(PASSWORD));
    let sent = tls.registry.requests();
    assert!(!sent.is_empty());
    for request in &sent {
        // base64("sr-user:tls-s3cr3t")
        assert_eq!(
            request.header("authorization"),
            Some("Basic c3ItdXNlcjp0bHMtczNjcjN0"),
            "{}",
            request.line()
        );
    }

    let why = tls.failed(&tls.entry(&[ca, ("username", "sr-user".into())]));
    assert_eq!(
        why,
        "the schema registry refused the login (401 Unauthorized): check the schema_registry \
         username and password"
    );
}

#[test]
fn a_registry_certificate_that_is_not_trusted_is_said_and_bytes_still_print() {
    let tls = Tls::start(ClientAuth::None);
    let url = tls.registry.url();

    // No ca_file: the system's CAs alone do not know the test CA.
    let why = tls.failed(&tls.entry(&[]));
    assert_eq!(
        why,
        format!(
            "cannot reach the schema registry at {url}: its TLS certificate is not trusted \
             (unable to get local issuer certificate); give the CA that signed it as the \
             schema_registry's ca_file"
        )
    );

    // Another CA's certificate as ca_file: refused too, the file named.
    let other = tls.pki.other_ca_pem.display().to_string();
    let why = tls.failed(&tls.entry(&[Tls::ca(&tls.pki.other_ca_pem)]));
    assert_eq!(
        why,
        format!(
            "cannot reach the schema registry at {url}: its TLS certificate is not trusted \
             (unable to get local issuer certificate): neither ca_file {other} nor the \
             system's CAs signed it"
        )
    );

    // As text: the record as it is, the reason once on stderr.
    let ran = tls.consume(&tls.entry(&[]), &[]);
    let mut want = framed(tls.id);
    want.push(b'\n');
    assert_eq!(ran.stdout, want);
    assert_eq!(
        ran.stderr,
        format!(
            "ktui: warning: the value at partition 0 offset 0: schema {}: cannot reach the \
             schema registry at {url}: its TLS certificate is not trusted (unable to get local \
             issuer certificate); give the CA that signed it as the schema_registry's \
             ca_file; printed as it is (later records with this problem are not reported)\n",
            tls.id
        )
    );

    // ktui hung up in every handshake (its alert: the CA is unknown); no request came.
    let failures = tls.handshake_failures(3);
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(
        failures.iter().all(|f| f.contains("alert unknown ca")),
        "{failures:?}"
    );
    assert_eq!(tls.registry.request_count(), 0);
}

#[test]
fn a_registry_that_requires_a_client_certificate_gets_the_one_in_cert_file() {
    let tls = Tls::start(ClientAuth::Required);
    let url = tls.registry.url();
    let ca = Tls::ca(&tls.pki.ca_pem);

    // Without one: refused in the handshake, in words naming the settings.
    let why = tls.failed(&tls.entry(std::slice::from_ref(&ca)));
    assert_eq!(
        why,
        format!(
            "cannot reach the schema registry at {url}: it asks for a client certificate (TLS \
             alert: certificate required); give one as the schema_registry's cert_file and \
             key_file"
        )
    );
    let failures = tls.handshake_failures(1);
    assert!(
        failures.len() == 1 && failures[0].contains("peer did not return a certificate"),
        "{failures:?}"
    );
    assert_eq!(tls.registry.request_count(), 0);

    // With the client certificate: decoded.
    let [cert, key] = tls.client_cert();
    tls.assert_decoded(&tls.entry(&[ca.clone(), cert, key]));
    assert_eq!(tls.registry.schema_fetches(tls.id), 1);

    // A certificate the registry does not take (the server's own, not for clients).
    let server_cert = tls.pki.server_cert.display().to_string();
    let why = tls.failed(&tls.entry(&[
        ca,
        ("cert_file", server_cert.clone()),
        ("key_file", tls.pki.server_key.display().to_string()),
    ]));
    assert_eq!(
        why,
        format!(
            "cannot reach the schema registry at {url}: it refused the client certificate \
             cert_file {server_cert} (TLS alert: unsupported certificate)"
        )
    );
    let failures = tls.handshake_failures(2);
    assert!(
        failures.len() == 2 && failures[1].ends_with("(unsuitable certificate purpose)"),
        "{failures:?}"
    );
    assert_eq!(tls.registry.schema_fetches(tls.id), 1);
}

#[test]
fn certificate_files_that_are_missing_or_hold_no_certificate_are_named() {
    let tls = Tls::start(ClientAuth::None);
    let missing = tls.home.path().join("no-such-ca.pem");
    let missing_text = missing.display().to_string();
    let client_key = tls.pki.client_key.display().to_string();
    let cases = [
        (
            tls.entry(&[Tls::ca(&missing)]),
            format!(
                "schema registry CA file {missing_text}: No such file or directory (os error 2)"
            ),
        ),
        // A key where the CA certificate belongs.
        (
            tls.entry(&[Tls::ca(&tls.pki.client_key)]),
            format!(
                "schema registry CA file {client_key}: no certificate in it (PEM, -----BEGIN \
                 CERTIFICATE-----)"
            ),
        ),
        (
            tls.entry(&[
                Tls::ca(&tls.pki.ca_pem),
                ("cert_file", tls.pki.client_cert.display().to_string()),
                ("key_file", missing_text.clone()),
            ]),
            format!(
                "schema registry client certificate {missing_text}: No such file or directory \
                 (os error 2)"
            ),
        ),
        (
            tls.entry(&[
                Tls::ca(&tls.pki.ca_pem),
                ("cert_file", tls.pki.client_cert.display().to_string()),
            ]),
            "schema registry: a client certificate needs both cert_file and key_file".into(),
        ),
    ];
    for (entry, problem) in cases {
        let (ran, envelope) = tls.envelope(&entry);
        assert!(envelope.get("value_schema").is_none(), "{envelope}");
        assert!(envelope.get("value_decoded").is_none(), "{envelope}");
        assert_eq!(
            ran.stderr,
            format!("ktui: warning: {problem}: framed records are shown as they are\n")
        );
    }
    // None of them got as far as the registry.
    assert_eq!(tls.registry.connections(), 0);
}
