//! Layer 3, security: ktui against real brokers that demand a SASL SCRAM login (tansu
//! `--authentication`) or TLS (a TLS front with a CA made in the test), through the
//! headless `ktui topics`. Each failure must say what is wrong in words, and no secret may
//! appear on stdout, stderr or in the log file.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::tls::TestPki;
use support::{KTUI, Ran, ScramUser, Tansu, run_with_timeout};

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

const ALICE_PW: &str = "alice-Sup3r-s3cret";
const BOB_PW: &str = "bob-Sup3r-s3cret-512";

fn scram_broker() -> Option<Tansu> {
    Tansu::start_with_users(&[
        ScramUser {
            name: "alice",
            password: ALICE_PW,
            mechanism: "SCRAM-SHA-256",
        },
        ScramUser {
            name: "bob",
            password: BOB_PW,
            mechanism: "SCRAM-SHA-512",
        },
    ])
}

fn sasl_args(address: &str, mechanism: &str, user: &str, password: &str) -> Vec<String> {
    [
        "topics",
        "--timeout",
        "8",
        "-b",
        address,
        "-X",
        "security.protocol=SASL_PLAINTEXT",
        "-X",
        &format!("sasl.mechanism={mechanism}"),
        "-X",
        &format!("sasl.username={user}"),
        "-X",
        &format!("sasl.password={password}"),
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn scram_logins_work_and_a_wrong_password_says_so_without_showing_it() {
    let Some(broker) = scram_broker() else { return };
    let address = broker.address();

    // A secret passed with -X, both mechanisms, -X debug=all to make librdkafka chatty.
    let home = Home::new();
    let mut args = sasl_args(&address, "SCRAM-SHA-256", "alice", ALICE_PW);
    args.extend(["-X".into(), "debug=security,broker".into()]);
    let ran = home.ktui(&strs(&args), &[]);
    assert!(
        ran.success(),
        "alice logs in: {}\n{}",
        ran.stderr,
        broker.log()
    );
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);
    assert_hidden(ALICE_PW, &ran, &home);

    let ran = home.ktui(
        &strs(&sasl_args(&address, "SCRAM-SHA-512", "bob", BOB_PW)),
        &[],
    );
    assert!(ran.success(), "bob logs in with SHA-512: {}", ran.stderr);

    // A wrong password: refused, in words, and the wrong password is not echoed either.
    let home = Home::new();
    let wrong = "not-alices-password-42";
    let ran = home.ktui(
        &strs(&sasl_args(&address, "SCRAM-SHA-256", "alice", wrong)),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("wrong user name or password"),
        "{}",
        ran.stderr
    );
    assert_hidden(wrong, &ran, &home);

    // A mechanism the broker does not offer (tansu has no PLAIN) is named as such.
    let ran = home.ktui(&strs(&sasl_args(&address, "PLAIN", "alice", ALICE_PW)), &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("does not offer this SASL mechanism"),
        "{}",
        ran.stderr
    );
    assert_hidden(ALICE_PW, &ran, &home);

    // kcat's -F file works as is.
    let kcat_conf = home.path().join("kcat.conf");
    std::fs::write(
        &kcat_conf,
        format!(
            "# as kcat reads it\nbootstrap.servers={address}\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanisms=SCRAM-SHA-256\nsasl.username=alice\nsasl.password={ALICE_PW}\n"
        ),
    )
    .unwrap();
    set_mode(&kcat_conf, 0o600);
    let conf = kcat_conf.display().to_string();
    let ran = home.ktui(&["-F", &conf, "topics", "--timeout", "8"], &[]);
    assert!(ran.success(), "kcat -F file: {}", ran.stderr);
    assert_hidden(ALICE_PW, &ran, &home);

    // The right password for the wrong mechanism is a failed login too.
    let ran = home.ktui(
        &strs(&sasl_args(&address, "SCRAM-SHA-512", "alice", ALICE_PW)),
        &[],
    );
    assert_eq!(ran.code(), Some(2), "{}", ran.stderr);
    assert_hidden(ALICE_PW, &ran, &home);
}

#[test]
fn secrets_from_env_and_cmd_in_the_config_file_log_in_and_stay_hidden() {
    let Some(broker) = scram_broker() else { return };
    let home = Home::new();
    let script = home.path().join("secret.sh");
    std::fs::write(&script, format!("printf '%s\\n' '{BOB_PW}'\n")).unwrap();
    home.config(&format!(
        r#"
default_cluster = "by-env"
[clusters.by-env]
brokers = "{address}"
[clusters.by-env.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "alice"
"sasl.password" = "env:KTUI_TEST_ALICE_PW"

[clusters.by-cmd]
brokers = "{address}"
read_only = true
[clusters.by-cmd.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-512"
"sasl.username" = "bob"
"sasl.password" = "cmd:sh {script}"

[clusters.missing]
brokers = "{address}"
[clusters.missing.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "alice"
"sasl.password" = "env:KTUI_TEST_UNSET_PW"
"#,
        address = broker.address(),
        script = script.display()
    ));
    let env = [("KTUI_TEST_ALICE_PW", ALICE_PW)];

    let ran = home.ktui(&["topics", "--timeout", "8"], &env);
    assert!(ran.success(), "env: secret logs in: {}", ran.stderr);
    let ran = home.ktui(&["--cluster", "by-cmd", "topics", "--timeout", "8"], &env);
    assert!(ran.success(), "cmd: secret logs in: {}", ran.stderr);

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
    for secret in [ALICE_PW, BOB_PW] {
        assert!(!log.contains(secret), "a secret in the log file");
    }
}

fn tls_args(address: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["topics", "--timeout", "6", "-b", address]
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
    let pki = TestPki::generate();
    let Some((broker, front)) = Tansu::start_behind_tls(&pki, false) else {
        return;
    };
    let home = Home::new();
    let ca = format!("ssl.ca.location={}", pki.ca_pem.display());
    let other = format!("ssl.ca.location={}", pki.other_ca_pem.display());

    let ran = home.ktui(
        &strs(&tls_args(&front.address(), &["security.protocol=SSL", &ca])),
        &[],
    );
    assert!(
        ran.success(),
        "TLS with the right CA: {}\n{}",
        ran.stderr,
        broker.log()
    );
    assert!(ran.stdout.starts_with("NAME"), "{}", ran.stdout);

    let ran = home.ktui(
        &strs(&tls_args(
            &front.address(),
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

    let ran = home.ktui(&strs(&tls_args(&front.address(), &[])), &[]);
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr.contains("it may expect TLS"),
        "plaintext to a TLS port: {}",
        ran.stderr
    );

    let ran = home.ktui(
        &strs(&tls_args(
            &broker.address(),
            &["security.protocol=SSL", &ca],
        )),
        &[],
    );
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr.contains("does not speak TLS"),
        "TLS to a plaintext port: {}",
        ran.stderr
    );
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let pki = TestPki::generate();
    let Some((_broker, front)) = Tansu::start_behind_tls(&pki, true) else {
        return;
    };
    let home = Home::new();
    let ca = format!("ssl.ca.location={}", pki.ca_pem.display());
    let ran = home.ktui(
        &strs(&tls_args(&front.address(), &["security.protocol=SSL", &ca])),
        &[],
    );
    assert_eq!(ran.code(), Some(2));
    assert!(
        ran.stderr.contains("requires a client certificate"),
        "no client certificate: {}",
        ran.stderr
    );
    let cert = format!("ssl.certificate.location={}", pki.client_cert.display());
    let key = format!("ssl.key.location={}", pki.client_key.display());
    let ran = home.ktui(
        &strs(&tls_args(
            &front.address(),
            &["security.protocol=SSL", &ca, &cert, &key],
        )),
        &[],
    );
    assert!(ran.success(), "mutual TLS: {}", ran.stderr);
}
