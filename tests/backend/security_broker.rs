//! Layer 3, security: ktui against Apache Kafka's own SASL and TLS listeners (the shared
//! node: SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; SSL; SSL that
//! requires a client certificate), through the headless subcommands. Each login must work
//! end to end (list, produce, consume, checked against kafka-python on the PLAINTEXT
//! listener), each failure must say what is wrong in words, and no secret may appear on
//! stdout, stderr or in the log file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::kafka::{self, PLAIN_USER, SCRAM_256_USER, SCRAM_512_USER, SharedKafka};
use crate::support::peers::{kp, kp_consume, wait_for_topic};
use crate::support::process::{Ran, run_with_timeout};
use crate::support::tls::TestPki;
use crate::support::{self, KTUI, unique};

/// A home of its own for each run: the log file lands in it, and no user config is read.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("data/ktui/ktui.log")).unwrap_or_default()
    }

    fn config(&self, text: &str) -> PathBuf {
        let path = self.path().join("config/ktui/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
        path
    }

    /// Runs `ktui ARGS` with this home, verbose logging, and these extra variables.
    fn ktui(&self, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let mut command = Command::new(KTUI);
        command
            .args(args)
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("KTUI_LOG", "debug")
            .env_remove("KTUI_CONFIG")
            .env_remove("KAFKA_BOOTSTRAP_SERVERS");
        for (k, v) in env {
            command.env(k, v);
        }
        run_with_timeout(&mut command, Duration::from_secs(40))
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Asserts `secret` is nowhere the user or an admin could read it.
fn assert_hidden(secret: &str, ran: &Ran, home: &Home) {
    assert!(
        !ran.stdout.contains(secret),
        "secret on stdout:\n{}",
        ran.stdout
    );
    assert!(
        !ran.stderr.contains(secret),
        "secret on stderr:\n{}",
        ran.stderr
    );
    let log = home.log();
    assert!(!log.is_empty(), "the log file was written");
    assert!(!log.contains(secret), "secret in the log file");
}

/// A topic of this test's own on the shared node, created through the PLAINTEXT listener
/// and waited for until the broker lists it.
fn topic_on(broker: &SharedKafka, prefix: &str) -> String {
    let topic = unique(prefix);
    kp(
        &broker.address(),
        &[
            "create-topic",
            &topic,
            "--partitions",
            "1",
            "--replication",
            "1",
        ],
    );
    wait_for_topic(&broker.address(), &topic, true, Duration::from_secs(15));
    topic
}

/// `-X` options for a SASL_PLAINTEXT login.
fn sasl_login(mechanism: &str, user: &str, password: &str) -> Vec<String> {
    [
        "security.protocol=SASL_PLAINTEXT".to_string(),
        format!("sasl.mechanism={mechanism}"),
        format!("sasl.username={user}"),
        format!("sasl.password={password}"),
    ]
    .into_iter()
    .flat_map(|p| ["-X".to_string(), p])
    .collect()
}

/// `ktui -b ADDRESS <login> ARGS…` as one argument list.
fn with_login(address: &str, login: &[String], args: &[&str]) -> Vec<String> {
    let mut all = vec!["-b".to_string(), address.to_string()];
    all.extend(login.iter().cloned());
    all.extend(args.iter().map(ToString::to_string));
    all
}

/// How long a listing that works may take (`--timeout`, seconds).
const WORKS: &str = "8";
/// How long ktui waits on a listing that must fail: it waits out its whole `--timeout`
/// even after a definite refusal, and the broker refuses within a second.
const FAILS: &str = "4";

/// `ktui topics --timeout FAILS` over SASL_PLAINTEXT with this login, which must fail.
fn failing_sasl_topics(address: &str, mechanism: &str, user: &str, password: &str) -> Vec<String> {
    with_login(
        address,
        &sasl_login(mechanism, user, password),
        &["topics", "--timeout", FAILS],
    )
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The names in `ktui topics --json` output.
fn json_names(stdout: &str) -> Vec<String> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("ktui topics --json printed invalid JSON ({e}):\n{stdout}"));
    rows.iter()
        .map(|row| row["name"].as_str().expect("a name").to_string())
        .collect()
}

const LOGINS: [(&str, (&str, &str)); 3] = [
    ("PLAIN", PLAIN_USER),
    ("SCRAM-SHA-256", SCRAM_256_USER),
    ("SCRAM-SHA-512", SCRAM_512_USER),
];

#[test]
fn each_sasl_mechanism_logs_in_lists_produces_and_consumes_without_showing_the_password() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.sasl_address();
    let topic = topic_on(broker, "sasl-round-trip");
    let home = Home::new();

    let mut sent = Vec::new();
    for (mechanism, (user, password)) in LOGINS {
        let login = sasl_login(mechanism, user, password);
        // A secret passed with -X, -X debug to make librdkafka chatty about the login.
        let ran = home.ktui(
            &strs(&with_login(
                &address,
                &login,
                &[
                    "-X",
                    "debug=security,broker",
                    "topics",
                    "--json",
                    "--timeout",
                    WORKS,
                ],
            )),
            &[],
        );
        assert!(
            ran.success(),
            "{user} logs in with {mechanism}: {}\n{}",
            ran.stderr,
            broker.log()
        );
        assert!(
            json_names(&ran.stdout).contains(&topic),
            "{mechanism}: the listing holds {topic}:\n{}",
            ran.stdout
        );
        assert_hidden(password, &ran, &home);

        // Produce one record as this user (one file, one message).
        let value = format!("from-{user}-over-{mechanism}");
        let file = home.path().join(format!("{mechanism}.txt"));
        std::fs::write(&file, &value).unwrap();
        let file = file.display().to_string();
        let ran = home.ktui(
            &strs(&with_login(&address, &login, &["produce", &topic, &file])),
            &[],
        );
        assert!(
            ran.success(),
            "{user} produces with {mechanism}: {}",
            ran.stderr
        );
        assert_hidden(password, &ran, &home);
        sent.push(value);
    }

    // Each login reads back what every login wrote.
    for (mechanism, (user, password)) in LOGINS {
        let ran = home.ktui(
            &strs(&with_login(
                &address,
                &sasl_login(mechanism, user, password),
                &["consume", &topic, "-o", "beginning", "-c", "3", "-e"],
            )),
            &[],
        );
        assert!(
            ran.success(),
            "{user} consumes with {mechanism}: {}",
            ran.stderr
        );
        let read: Vec<&str> = ran.stdout.lines().collect();
        assert_eq!(read, sent, "{mechanism} reads the three records");
        assert_hidden(password, &ran, &home);
    }
    // And so does an independent client on the PLAINTEXT listener.
    let peer: Vec<String> = kp_consume(&broker.address(), &topic, 3)
        .iter()
        .map(support::peers::PeerRecord::value_text)
        .collect();
    assert_eq!(peer, sent, "what kafka-python reads");

    // kcat's -F file works as is (its plural sasl.mechanisms, comments and all).
    let (user, password) = SCRAM_256_USER;
    let kcat_conf = home.path().join("kcat.conf");
    std::fs::write(
        &kcat_conf,
        format!(
            "# as kcat reads it\nbootstrap.servers={address}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=SCRAM-SHA-256\nsasl.username={user}\nsasl.password={password}\n"
        ),
    )
    .unwrap();
    set_mode(&kcat_conf, 0o600);
    let conf = kcat_conf.display().to_string();
    let ran = home.ktui(&["-F", &conf, "topics", "--timeout", WORKS], &[]);
    assert!(ran.success(), "kcat -F file: {}", ran.stderr);
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);
    assert!(ran.stdout.contains(&topic), "{}", ran.stdout);
    assert_hidden(password, &ran, &home);
}

#[test]
fn a_failed_login_says_why_in_words_without_showing_the_password() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.sasl_address();

    // A wrong password, for PLAIN and for SCRAM: refused, in words, and not echoed either.
    for (mechanism, user) in [("PLAIN", PLAIN_USER.0), ("SCRAM-SHA-256", SCRAM_256_USER.0)] {
        let home = Home::new();
        let wrong = format!("not-{user}s-password-42");
        let ran = home.ktui(
            &strs(&failing_sasl_topics(&address, mechanism, user, &wrong)),
            &[],
        );
        assert_eq!(ran.code(), Some(2), "{mechanism}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("wrong user name or password"),
            "{mechanism}: {}",
            ran.stderr
        );
        assert_hidden(&wrong, &ran, &home);
    }

    // The right password for the wrong mechanism is a failed login too: bob is a
    // SCRAM-SHA-256 user, unknown to SCRAM-SHA-512.
    let home = Home::new();
    let (user, password) = SCRAM_256_USER;
    let ran = home.ktui(
        &strs(&failing_sasl_topics(
            &address,
            "SCRAM-SHA-512",
            user,
            password,
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("wrong user name or password"),
        "{}",
        ran.stderr
    );
    assert_hidden(password, &ran, &home);

    // A mechanism the listener does not enable (OAUTHBEARER, with librdkafka's unsecured
    // test token) is named as such, with the broker's own list.
    let home = Home::new();
    let (user, password) = PLAIN_USER;
    let mut login = sasl_login("OAUTHBEARER", user, password);
    login.extend(
        [
            "-X",
            "enable.sasl.oauthbearer.unsecure.jwt=true",
            "-X",
            "sasl.oauthbearer.config=principal=alice",
        ]
        .map(String::from),
    );
    let args = with_login(&address, &login, &["topics", "--timeout", FAILS]);
    let ran = home.ktui(&strs(&args), &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("does not offer this SASL mechanism"),
        "{}",
        ran.stderr
    );
    for offered in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] {
        assert!(
            ran.stderr.contains(offered),
            "the broker's list names {offered}: {}",
            ran.stderr
        );
    }
    assert_hidden(password, &ran, &home);

    // No login at all on the SASL listener: it answers ApiVersions, then hangs up.
    let ran = home.ktui(&["-b", &address, "topics", "--timeout", FAILS], &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("it may expect TLS or a SASL login"),
        "no login: {}",
        ran.stderr
    );

    // A SASL login offered to the PLAINTEXT listener, which takes none.
    let ran = home.ktui(
        &strs(&failing_sasl_topics(
            &broker.address(),
            "PLAIN",
            user,
            password,
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("this listener takes no SASL login"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("does not offer this SASL mechanism"),
        "not a mechanism problem: {}",
        ran.stderr
    );
    assert_hidden(password, &ran, &home);
}

#[test]
fn secrets_from_env_and_cmd_in_the_config_file_log_in_and_stay_hidden() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let (env_user, env_password) = SCRAM_256_USER;
    let (cmd_user, cmd_password) = SCRAM_512_USER;
    let home = Home::new();
    let script = home.path().join("secret.sh");
    std::fs::write(&script, format!("printf '%s\\n' '{cmd_password}'\n")).unwrap();
    home.config(&format!(
        r#"
default_cluster = "by-env"
[clusters.by-env]
brokers = "{address}"
[clusters.by-env.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "{env_user}"
"sasl.password" = "env:KTUI_TEST_SCRAM_PW"

[clusters.by-cmd]
brokers = "{address}"
read_only = true
[clusters.by-cmd.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-512"
"sasl.username" = "{cmd_user}"
"sasl.password" = "cmd:sh {script}"

[clusters.missing]
brokers = "{address}"
[clusters.missing.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "{env_user}"
"sasl.password" = "env:KTUI_TEST_UNSET_PW"
"#,
        address = broker.sasl_address(),
        script = script.display()
    ));
    let env = [("KTUI_TEST_SCRAM_PW", env_password)];

    let ran = home.ktui(&["topics", "--timeout", WORKS], &env);
    assert!(ran.success(), "env: secret logs in: {}", ran.stderr);
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);
    let ran = home.ktui(&["--cluster", "by-cmd", "topics", "--timeout", WORKS], &env);
    assert!(ran.success(), "cmd: secret logs in: {}", ran.stderr);
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);

    // A wrong secret from the environment is refused: the right one above did the work.
    let ran = home.ktui(
        &["topics", "--timeout", FAILS],
        &[("KTUI_TEST_SCRAM_PW", "wr0ng-from-env")],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("wrong user name or password"),
        "{}",
        ran.stderr
    );

    // An unknown cluster name lists the ones there are.
    let ran = home.ktui(&["--cluster", "nope", "topics"], &env);
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr.contains(
            "no cluster named \"nope\"; the config file defines: by-cmd, by-env, missing"
        ),
        "{}",
        ran.stderr
    );

    // A missing variable: named, before any connection attempt.
    let ran = home.ktui(&["--cluster", "missing", "topics"], &env);
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr
            .contains("cluster missing: sasl.password: env:KTUI_TEST_UNSET_PW is not set"),
        "{}",
        ran.stderr
    );

    // `ktui config` shows where each secret comes from, never the value.
    let ran = home.ktui(&["--cluster", "by-cmd", "config"], &env);
    assert!(ran.success(), "{}", ran.stderr);
    assert!(
        ran.stdout.contains("sasl.password = •••••• (cmd:sh "),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("read-only"), "{}", ran.stdout);

    // A read-only cluster refuses writes from the command line too.
    let ran = home.ktui(&["--cluster", "by-cmd", "produce", "sample"], &env);
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr
            .contains("Producing is disabled: cluster by-cmd is read-only (config)"),
        "{}",
        ran.stderr
    );
    let log = home.log();
    assert!(!log.is_empty(), "the log file was written");
    for secret in [env_password, cmd_password] {
        assert!(!log.contains(secret), "a secret in the log file");
    }
}

/// `ktui topics --timeout TIMEOUT -b ADDRESS -X EXTRA…`.
fn tls_args(address: &str, timeout: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["topics", "--timeout", timeout, "-b", address]
        .iter()
        .map(ToString::to_string)
        .collect();
    for property in extra {
        args.push("-X".into());
        args.push((*property).to_string());
    }
    args
}

#[test]
fn tls_with_a_trusted_ca_works_and_each_mistake_is_named() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let topic = topic_on(broker, "tls-visible");
    let pki = broker.pki();
    let home = Home::new();
    let ca = format!("ssl.ca.location={}", pki.ca_pem.display());
    let other = format!("ssl.ca.location={}", pki.other_ca_pem.display());

    let ran = home.ktui(
        &strs(&tls_args(
            &broker.ssl_address(),
            WORKS,
            &["security.protocol=SSL", &ca],
        )),
        &[],
    );
    assert!(
        ran.success(),
        "TLS with the right CA: {}\n{}",
        ran.stderr,
        broker.log()
    );
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);
    assert!(ran.stdout.contains(&topic), "{}", ran.stdout);

    let ran = home.ktui(
        &strs(&tls_args(
            &broker.ssl_address(),
            FAILS,
            &["security.protocol=SSL", &other],
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("certificate is not trusted"),
        "untrusted CA: {}",
        ran.stderr
    );

    let ran = home.ktui(&strs(&tls_args(&broker.ssl_address(), FAILS, &[])), &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("it may expect TLS"),
        "plaintext to a TLS port: {}",
        ran.stderr
    );

    let ran = home.ktui(
        &strs(&tls_args(
            &broker.address(),
            FAILS,
            &["security.protocol=SSL", &ca],
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("does not speak TLS"),
        "TLS to a plaintext port: {}",
        ran.stderr
    );
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let topic = topic_on(broker, "mtls-visible");
    let pki = broker.pki();
    let address = broker.mtls_address();
    let home = Home::new();
    let ca = format!("ssl.ca.location={}", pki.ca_pem.display());

    let ran = home.ktui(
        &strs(&tls_args(&address, FAILS, &["security.protocol=SSL", &ca])),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("requires a client certificate"),
        "no client certificate: {}",
        ran.stderr
    );

    // A client certificate from an unrelated CA is refused with the same words.
    let stranger = TestPki::generate();
    let cert = format!(
        "ssl.certificate.location={}",
        stranger.client_cert.display()
    );
    let key = format!("ssl.key.location={}", stranger.client_key.display());
    let ran = home.ktui(
        &strs(&tls_args(
            &address,
            FAILS,
            &["security.protocol=SSL", &ca, &cert, &key],
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(
        ran.stderr.contains("requires a client certificate"),
        "a client certificate from another CA: {}",
        ran.stderr
    );

    let cert = format!("ssl.certificate.location={}", pki.client_cert.display());
    let key = format!("ssl.key.location={}", pki.client_key.display());
    let ran = home.ktui(
        &strs(&tls_args(
            &address,
            WORKS,
            &["security.protocol=SSL", &ca, &cert, &key],
        )),
        &[],
    );
    assert!(
        ran.success(),
        "mutual TLS: {}\n{}",
        ran.stderr,
        broker.log()
    );
    assert!(ran.stdout.contains(&topic), "{}", ran.stdout);
}
