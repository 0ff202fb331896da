//! Layer 4 for the config file: the real binary in tmux with a config.toml of its own —
//! a broken file, a world-readable secret, switching clusters without restarting, secrets
//! kept off the screen and out of the log, read-only mode, key overrides and NO_COLOR.
//! The tests that need a broker use the shared Apache Kafka node (SCRAM on its
//! SASL_PLAINTEXT listener) with uniquely named topics.

use std::path::Path;
use std::time::Duration;

use crate::support;
use crate::support::kafka;
use crate::support::peers::{kp, wait_for_topic};
use crate::support::tui::{Tui, TuiOptions};

const SHOWN: Duration = Duration::from_secs(20);

fn write_config(home: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let dir = home.join("config/ktui");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn start(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<Tui> {
    Tui::start_with(
        args,
        130,
        30,
        TuiOptions {
            home: Some(home),
            env,
            ..TuiOptions::default()
        },
    )
}

fn log(home: &Path) -> String {
    std::fs::read_to_string(home.join("data/ktui/ktui.log")).unwrap_or_default()
}

/// A broken file could have marked any cluster read-only: the TUI starts with every
/// cluster read-only (saying why) instead of silently allowing writes.
#[test]
fn a_broken_config_file_is_named_with_its_line_and_key_and_ktui_starts_read_only() {
    let home = tempfile::tempdir().unwrap();
    write_config(
        home.path(),
        "[clusters.prod]\nbrokers = \"p:9093\"\nread_only = maybe\n",
        0o600,
    );
    let Some(tui) = start(home.path(), &["--demo", "--feed", "off"], &[]) else {
        return;
    };
    let screen = tui.wait_until("the config error and a working demo", SHOWN, |s| {
        s.contains("● connected") && s.contains("config.toml:3:")
    });
    assert!(
        screen.contains("clusters.prod.read_only"),
        "the key is named:\n{screen}"
    );
    assert!(
        screen.contains("read-only until the file is fixed"),
        "{screen}"
    );
    // The notice stays until a key is pressed, then the screen is the user's again.
    tui.send_key("Down");
    tui.wait_until("the notice gone", SHOWN, |s| !s.contains("config.toml:3:"));
    tui.wait_for("READ-ONLY", SHOWN);
    tui.send_keys("n");
    tui.wait_for(
        "Creating topics is disabled: the config file has an error",
        SHOWN,
    );
}

#[test]
fn a_readable_file_with_a_literal_secret_is_warned_about() {
    let home = tempfile::tempdir().unwrap();
    write_config(
        home.path(),
        "[clusters.prod]\nbrokers = \"p:9093\"\n[clusters.prod.properties]\n\"sasl.password\" = \"pl41n-t3xt-pw\"\n",
        0o644,
    );
    let Some(tui) = start(home.path(), &["--demo", "--feed", "off"], &[]) else {
        return;
    };
    // The notice wraps; its words are on screen in full.
    let screen = tui.wait_until("the permission warning", SHOWN, |s| {
        s.contains("holds a literal secret") && s.contains("chmod 600")
    });
    assert!(screen.contains("(mode 644)"), "{screen}");
    assert!(!screen.contains("pl41n-t3xt-pw"), "{screen}");
}

#[test]
fn the_switcher_moves_between_clusters_without_a_restart() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let address = broker.address();
    let topic = support::unique("only-on-kafka");
    kp(&address, &["create-topic", &topic]);
    wait_for_topic(&address, &topic, true, SHOWN);
    let home = tempfile::tempdir().unwrap();
    write_config(
        home.path(),
        &format!("[clusters.kafka]\nbrokers = \"{address}\"\ncolor = \"blue\"\n"),
        0o600,
    );
    let Some(tui) = start(home.path(), &["--demo", "--feed", "off"], &[]) else {
        return;
    };
    tui.wait_until("the demo's topics", SHOWN, |s| {
        s.contains("● connected") && s.contains("sample")
    });
    tui.send_keys("c");
    let screen = tui.wait_for("Switch cluster", SHOWN);
    assert!(screen.contains("● demo"), "{screen}");
    assert!(screen.contains(&address), "{screen}");
    // A digit selects, Enter connects.
    tui.send_keys("2");
    tui.send_key("Enter");
    let screen = tui.wait_until("connected to Kafka", SHOWN, |s| {
        s.contains(&format!("● connected {address}")) && !s.contains("Switch cluster")
    });
    assert!(screen.contains(" kafka "), "the cluster's badge:\n{screen}");
    assert!(!screen.contains("DEMO cluster at"), "{screen}");
    // The shared node holds every test's topics: the filter brings this one into view.
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_keys(&topic);
    tui.send_key("Enter");
    tui.wait_until("the topic only Kafka has", SHOWN, |s| {
        s.contains(&format!(" / {topic}")) && s.contains("Topics 1/")
    });
    // The demo's own topics are gone: none of them matches on Kafka.
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_key("Escape");
    tui.wait_until("the filter cleared", SHOWN, |s| {
        !s.contains(&format!(" / {topic}"))
    });
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_keys("sample");
    tui.send_key("Enter");
    tui.wait_until("no demo topic on Kafka", SHOWN, |s| {
        s.contains(" / sample") && s.contains("No topic matches")
    });
    tui.send_keys("/");
    tui.wait_for("Enter apply", SHOWN);
    tui.send_key("Escape");
    tui.wait_until("the filter cleared", SHOWN, |s| !s.contains(" / sample"));
    tui.send_keys("c");
    tui.wait_for("Switch cluster", SHOWN);
    tui.send_keys("1");
    tui.send_key("Enter");
    let screen = tui.wait_until("back on the demo", SHOWN, |s| {
        s.contains("sample") && s.contains("DEMO cluster at") && s.contains("● connected")
    });
    assert!(
        !screen.contains(&topic),
        "Kafka's topic is gone from the demo:\n{screen}"
    );
    assert!(tui.exited().is_none(), "still the same process");
}

#[test]
fn secrets_never_reach_the_screen_or_the_log() {
    let Some(broker) = kafka::shared() else {
        return;
    };
    let (user, password) = kafka::SCRAM_256_USER;
    let address = broker.sasl_address();
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("pw.sh");
    std::fs::write(&script, format!("printf '%s\\n' '{password}'\n")).unwrap();
    let wrong_env = "wr0ng-from-env-pw";
    let wrong_x = "wr0ng-from-dash-x";
    write_config(
        home.path(),
        &format!(
            r#"default_cluster = "env-wrong"
[clusters.env-wrong]
brokers = "{address}"
[clusters.env-wrong.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "{user}"
"sasl.password" = "env:KTUI_E2E_PW"
"debug" = "security,broker"
[clusters.cmd-right]
brokers = "{address}"
[clusters.cmd-right.properties]
"security.protocol" = "SASL_PLAINTEXT"
"sasl.mechanism" = "SCRAM-SHA-256"
"sasl.username" = "{user}"
"sasl.password" = "cmd:sh {script}"
"#,
            script = script.display()
        ),
        0o600,
    );
    let env = [("KTUI_E2E_PW", wrong_env), ("KTUI_LOG", "debug")];
    let Some(tui) = start(home.path(), &[], &env) else {
        return;
    };
    let screen = tui.wait_for("wrong user name or password", SHOWN);
    assert!(
        screen.contains(&format!("SASL_PLAINTEXT SCRAM-SHA-256 as {user}")),
        "{screen}"
    );
    // Switch to the cluster whose secret comes from a command (first in the list): it
    // logs in.
    tui.send_keys("c");
    tui.wait_for("Switch cluster", SHOWN);
    tui.send_key("Up");
    tui.send_key("Enter");
    let right = tui.wait_until("connected with the cmd: secret", SHOWN, |s| {
        s.contains("cmd-right") && s.contains("● connected")
    });
    tui.send_keys("q");
    tui.wait_exit(SHOWN);

    // The same mistake given with -X.
    let Some(tui) = start(
        home.path(),
        &[
            "-b",
            &address,
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanism=SCRAM-SHA-256",
            "-X",
            &format!("sasl.username={user}"),
            "-X",
            &format!("sasl.password={wrong_x}"),
        ],
        &env,
    ) else {
        return;
    };
    let x_screen = tui.wait_for("wrong user name or password", SHOWN);
    tui.send_keys("q");
    tui.wait_exit(SHOWN);

    let log = log(home.path());
    assert!(
        log.contains("SASL"),
        "the log has librdkafka's security lines"
    );
    for secret in [password, wrong_env, wrong_x] {
        for (what, text) in [
            ("the first screen", &screen),
            ("the switched screen", &right),
            ("the -X screen", &x_screen),
            ("the log file", &log),
        ] {
            assert!(!text.contains(secret), "a secret in {what}");
        }
    }
}

#[test]
fn read_only_mode_refuses_each_write_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let Some(tui) = start(home.path(), &["--demo", "--read-only"], &[]) else {
        return;
    };
    tui.wait_until("the read-only demo", SHOWN, |s| {
        s.contains("READ-ONLY") && s.contains("sample") && s.contains("● connected")
    });
    tui.send_keys("n");
    tui.wait_for(
        "Creating topics is disabled: read-only session (--read-only)",
        SHOWN,
    );
    tui.send_keys("d");
    tui.wait_for("Deleting topics is disabled", SHOWN);
    // The demo's feed would publish made-up tweets: refused at start.
    tui.send_keys("4");
    tui.send_keys("s");
    tui.wait_for("Feed publishing is disabled", SHOWN);
    tui.send_keys("3");
    tui.send_key("Enter");
    tui.send_keys("hello");
    tui.send_key("C-s");
    let screen = tui.wait_for("Not sent: read-only session", SHOWN);
    assert!(screen.contains("hello"), "what was typed stays:\n{screen}");
}

#[test]
fn key_overrides_apply_and_bad_entries_only_warn() {
    let home = tempfile::tempdir().unwrap();
    write_config(
        home.path(),
        "[keys.global]\n\"ctrl-q\" = \"quit\"\n\"q\" = \"none\"\n[keys.tail]\n\"J\" = \"dwn\"\n",
        0o600,
    );
    let Some(tui) = start(home.path(), &["--demo", "--feed", "off"], &[]) else {
        return;
    };
    let screen = tui.wait_until("the warning and the new hint", SHOWN, |s| {
        s.contains("unknown action \"dwn\"") && s.contains("Ctrl-Q quit")
    });
    assert!(screen.contains("keys.tail.\"J\""), "{screen}");
    tui.send_key("Down");
    tui.send_keys("q");
    // ktui reads keys in order: once the help that `?` opens is on screen, `q` was read,
    // and ktui must still run.
    tui.send_keys("?");
    let help = tui.wait_until("the help, opened after q", SHOWN, |s| {
        assert!(
            tui.exited().is_none(),
            "q is unbound, yet ktui exited:\n{s}"
        );
        s.contains("Keys (Esc closes)")
    });
    assert!(
        help.contains("Ctrl-Q"),
        "help shows the effective keymap:\n{help}"
    );
    tui.send_key("Escape");
    // Esc and the next key in one read would be Alt+key: wait until the help is closed.
    tui.wait_until("the help closed", SHOWN, |s| {
        !s.contains("Keys (Esc closes)")
    });
    tui.send_key("C-q");
    tui.wait_exit(SHOWN);
}

#[test]
fn no_color_draws_no_colours() {
    let home = tempfile::tempdir().unwrap();
    let Some(tui) = start(
        home.path(),
        &["--demo", "--feed", "off"],
        &[("NO_COLOR", "1")],
    ) else {
        return;
    };
    tui.wait_until("the demo", SHOWN, |s| {
        s.contains("● connected") && s.contains("sample")
    });
    let styled = tui.screen_with_styles();
    // SGR colour parameters: 30-37, 38;…, 40-47, 48;…, 90-97, 100-107.
    let coloured = styled.split("\u{1b}[").skip(1).any(|sgr| {
        let params = sgr.split('m').next().unwrap_or("");
        params.split(';').any(|p| {
            matches!(
                p.parse::<u16>(),
                Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
            )
        })
    });
    assert!(!coloured, "a colour under NO_COLOR:\n{styled:?}");
    assert!(styled.contains("\u{1b}["), "attributes are still used");
}
