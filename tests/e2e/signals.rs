//! Layer 4: every exit path gives the terminal back. The real `ktui --demo` runs in a
//! tmux pane whose shell outlives it; the TUI process is killed with a signal, and then
//! the pane is checked as the user would find it: the tty's modes (`stty -a`, run by that
//! shell) as they were before ktui started, the main screen with the shell's output
//! rather than ktui's frame, the cursor visible, and the shell seeing status 128 + N.
//!
//! SIGTERM, SIGHUP, SIGINT and SIGQUIT are a clean quit (the worker flushes, as on `q`);
//! SIGSEGV, SIGKILL and SIGABRT cannot be caught, and the supervising parent restores the
//! terminal and says what happened.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use crate::support::tui::{Tui, home_env, tmux_at, write_tmux_conf};
use crate::support::{KTUI, poll_until, unique, wait_until};

/// Bound for the demo cluster and the first frame.
const STARTED: Duration = Duration::from_secs(30);
/// Bound for ktui to be gone after the signal (a clean quit flushes the worker first).
const GONE: Duration = Duration::from_secs(20);

/// The pane's command: `stty -a` before and after ktui, ktui's exit status (recorded in
/// files named after `$1`, the status last), a line of shell output, then a wait so the
/// pane (its screen, cursor and modes) stays to be read. No core files.
const SHELL: &str = r#"ulimit -c 0; out=$1; shift; stty -a > "$out.before"; "$@"; code=$?; stty -a > "$out.after"; echo "shell: ktui exited with status $code"; echo "$code" > "$out.tmp" && mv "$out.tmp" "$out"; read -r _"#;

/// `ktui --demo` in a tmux pane of a tmux server of its own, HOME in a temporary dir.
struct Pane {
    dir: TempDir,
    socket: PathBuf,
    session: String,
}

impl Pane {
    /// Starts ktui and waits for its first frame; `None` (after a notice) without tmux
    /// outside CI.
    fn start() -> Option<Self> {
        if !Tui::tmux_available() {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = write_tmux_conf(dir.path());
        let pane = Self {
            socket: dir.path().join("tmux.sock"),
            session: unique("signals"),
            dir,
        };
        let mut command = pane.tmux();
        command
            .arg("-f")
            .arg(&conf)
            .args([
                "new-session",
                "-d",
                "-s",
                &pane.session,
                "-x",
                "110",
                "-y",
                "30",
            ])
            .arg("-c")
            .arg(pane.dir.path())
            .args(["--", "sh", "-c", SHELL, "sh"])
            .arg(pane.status_path())
            .args(["env", "-u", "KAFKA_BOOTSTRAP_SERVERS", "-u", "KTUI_CONFIG"])
            .args(["-u", "NO_COLOR", "-u", "KTUI_NO_SUPERVISOR"])
            .args(home_env(&pane.home()))
            .args([KTUI, "--demo"]);
        let output = command.output().expect("cannot run tmux");
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let frame = |screen: &str| screen.contains("1 Topics") && screen.contains("● connected");
        poll_until(STARTED, || frame(&pane.screen()).then_some(()))
            .unwrap_or_else(|| panic!("ktui's first frame did not show\n{}", pane.diagnostics()));
        Some(pane)
    }

    fn tmux(&self) -> Command {
        tmux_at(&self.socket)
    }

    fn tmux_output(&self, args: &[&str]) -> Output {
        self.tmux().args(args).output().expect("cannot run tmux")
    }

    /// Types `text` literally, or presses one named key with `key`.
    fn send(&self, text: &str, literal: bool) {
        let mut args = vec!["send-keys", "-t", &self.session];
        if literal {
            args.extend(["-l", "--"]);
        }
        args.push(text);
        let output = self.tmux_output(&args);
        assert!(output.status.success(), "tmux send-keys {text:?} failed");
    }

    /// A tmux format (`#{…}`) for the pane.
    fn format(&self, format: &str) -> String {
        let output = self.tmux_output(&["display-message", "-p", "-t", &self.session, format]);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// The visible screen, wrapped lines joined.
    fn screen(&self) -> String {
        let output = self.tmux_output(&["capture-pane", "-p", "-J", "-t", &self.session]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn data_dir(&self) -> PathBuf {
        self.home().join("data/ktui")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("ktui.log")).unwrap_or_default()
    }

    fn status_path(&self) -> PathBuf {
        self.dir.path().join("exit-status")
    }

    fn stty(&self, when: &str) -> String {
        let path = format!("{}.{when}", self.status_path().display());
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("stty -a {when} ktui: {e}"))
    }

    fn diagnostics(&self) -> String {
        let log = self.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        format!(
            "--- screen ---\n{}\n--- processes under the pane ---\n{:?}\n--- end of ktui.log ---\n{}",
            self.screen(),
            descendants(self.pane_pid()),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }

    fn pane_pid(&self) -> i32 {
        self.format("#{pane_pid}").parse().unwrap_or(-1)
    }

    /// The ktui processes under the pane's shell, outermost first: the supervisor and
    /// the TUI (one process, the TUI, without a supervisor).
    fn ktui_processes(&self) -> Vec<i32> {
        descendants(self.pane_pid())
            .into_iter()
            .filter(|(_, comm)| comm == "ktui")
            .map(|(pid, _)| pid)
            .collect()
    }

    /// The process that draws the TUI: the innermost ktui.
    fn tui_pid(&self) -> i32 {
        wait_until("the TUI process under the pane", STARTED, || {
            self.ktui_processes()
                .last()
                .copied()
                .ok_or_else(|| format!("{:?}", descendants(self.pane_pid())))
        })
    }

    /// Waits for the shell to record ktui's exit status.
    fn exit_status(&self) -> i32 {
        poll_until(GONE, || {
            std::fs::read_to_string(self.status_path())
                .ok()
                .and_then(|text| text.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("ktui did not exit\n{}", self.diagnostics()))
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// `(pid, command name)` of every process under `root`, parents before children.
fn descendants(root: i32) -> Vec<(i32, String)> {
    let mut all: Vec<(i32, i32, String)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next().unwrap_or("");
        let Some(parent) = rest.next().and_then(|p| p.parse().ok()) else {
            continue;
        };
        if state != "Z" {
            all.push((pid, parent, comm));
        }
    }
    let mut found = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for (pid, its_parent, comm) in &all {
            if *its_parent == parent {
                found.push((*pid, comm.clone()));
                parents.push(*pid);
            }
        }
    }
    found
}

/// Whether `pid` is gone (or only a zombie waiting for its parent).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rfind(')')
            .and_then(|close| stat[close + 1..].split_whitespace().next())
            == Some("Z")
    })
}

fn kill(pid: i32, signal: Signal) {
    let pid = Pid::from_raw(pid).expect("a pid");
    // ESRCH: it is already gone, which the caller checks.
    let _ = rustix::process::kill_process(pid, signal);
}

/// The tty modes raw mode turns off, each present again (`icanon`, not `-icanon`).
const COOKED: [&str; 6] = ["icanon", "echo", "isig", "iexten", "icrnl", "opost"];

/// What every exit must leave behind: status 128 + N, the tty's modes as before ktui, the
/// main screen with the shell's output on it, the cursor shown. Returns that screen.
fn assert_terminal_given_back(pane: &Pane, number: i32) -> String {
    let status = pane.exit_status();
    let after = pane.stty("after");
    let words: Vec<&str> = after.split_whitespace().collect();
    for mode in COOKED {
        assert!(
            words.contains(&mode) && !words.contains(&format!("-{mode}").as_str()),
            "the tty still lacks {mode} after ktui:\n{after}\n{}",
            pane.diagnostics()
        );
    }
    assert_eq!(
        after,
        pane.stty("before"),
        "the tty's modes differ from before ktui started"
    );
    let expected = format!("shell: ktui exited with status {}", 128 + number);
    let screen = poll_until(GONE, || {
        let screen = pane.screen();
        screen.contains(&expected).then_some(screen)
    })
    .unwrap_or_else(|| panic!("{expected:?} not on screen\n{}", pane.diagnostics()));
    assert_eq!(status, 128 + number, "exit status\n{screen}");
    assert_eq!(
        pane.format("#{alternate_on}"),
        "0",
        "still on the alternate screen:\n{screen}"
    );
    assert!(
        !screen.contains("1 Topics") && !screen.contains("q quit"),
        "ktui's frame is still shown:\n{screen}"
    );
    assert_eq!(
        pane.format("#{cursor_flag}"),
        "1",
        "the cursor is hidden:\n{screen}"
    );
    screen
}

/// A catchable signal to the TUI: a clean quit, as on `q`.
fn quits_cleanly_on(signal: Signal, name: &str) {
    let Some(pane) = Pane::start() else {
        return;
    };
    let tui = pane.tui_pid();
    kill(tui, signal);
    let screen = assert_terminal_given_back(&pane, signal.as_raw());
    assert!(
        !screen.contains("ktui died"),
        "a clean quit is not a death:\n{screen}"
    );
    let log = pane.log();
    assert!(
        log.contains(&format!("{name} received: quitting")),
        "ktui's log does not say it quit on {name}:\n{log}"
    );
}

/// A signal the TUI cannot catch: the supervisor gives the terminal back and says so.
/// Returns the screen.
fn dies_of(signal: Signal, name: &str, meaning: &str) -> (Pane, String) {
    let pane = Pane::start().expect("tmux (checked by the caller)");
    let tui = pane.tui_pid();
    kill(tui, signal);
    // Rust's runtime catches SIGSEGV to tell a stack overflow: for a signal that is not
    // a fault on a guard page it puts back the default action and returns. A real fault
    // then faults again and kills; a SIGSEGV sent from outside kills at the next one.
    if signal == Signal::SEGV {
        poll_until(GONE, || {
            if gone(tui) {
                return Some(());
            }
            kill(tui, signal);
            None
        });
    }
    let screen = assert_terminal_given_back(&pane, signal.as_raw());
    let log = pane.data_dir().join("ktui.log");
    let said = format!(
        "ktui died ({name}: {meaning}); the terminal was restored; log at {}",
        log.display()
    );
    assert!(
        screen.contains(&said),
        "the supervisor does not say {said:?}:\n{screen}"
    );
    (pane, screen)
}

#[test]
fn sigterm_quits_cleanly_and_gives_the_terminal_back() {
    quits_cleanly_on(Signal::TERM, "SIGTERM");
}

#[test]
fn sighup_quits_cleanly_and_gives_the_terminal_back() {
    quits_cleanly_on(Signal::HUP, "SIGHUP");
}

#[test]
fn sigint_quits_cleanly_and_gives_the_terminal_back() {
    quits_cleanly_on(Signal::INT, "SIGINT");
}

#[test]
fn sigquit_quits_cleanly_and_gives_the_terminal_back() {
    quits_cleanly_on(Signal::QUIT, "SIGQUIT");
}

#[test]
fn sigterm_keeps_the_compose_draft_typed_an_instant_before() {
    let Some(pane) = Pane::start() else {
        return;
    };
    pane.send("3", true);
    poll_until(STARTED, || {
        pane.screen().contains("Esc leave the editor").then_some(())
    })
    .unwrap_or_else(|| panic!("the Compose tab\n{}", pane.diagnostics()));
    let value = "typed an instant before SIGTERM";
    pane.send(value, true);
    poll_until(STARTED, || pane.screen().contains(value).then_some(()))
        .unwrap_or_else(|| panic!("the typed value\n{}", pane.diagnostics()));
    // At once: the debounced save (once a second) has most likely not run yet.
    kill(pane.tui_pid(), Signal::TERM);
    assert_terminal_given_back(&pane, Signal::TERM.as_raw());
    let file = pane.data_dir().join("compose-draft.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", file.display(), pane.diagnostics()));
    let draft: serde_json::Value = serde_json::from_str(&text).expect("the draft is JSON");
    assert_eq!(
        draft["value"], value,
        "the draft holds what was typed: {text}"
    );
}

#[test]
fn sigterm_to_the_supervisor_is_forwarded_and_the_tui_quits_cleanly() {
    let Some(pane) = Pane::start() else {
        return;
    };
    let tui = pane.tui_pid();
    let outer = pane.ktui_processes()[0];
    assert_ne!(
        outer,
        tui,
        "the TUI runs under a supervising ktui\n{}",
        pane.diagnostics()
    );
    kill(outer, Signal::TERM);
    let screen = assert_terminal_given_back(&pane, Signal::TERM.as_raw());
    assert!(!screen.contains("ktui died"), "{screen}");
    assert!(
        pane.log().contains("SIGTERM received: quitting"),
        "the TUI quit on the forwarded SIGTERM:\n{}",
        pane.log()
    );
}

#[test]
fn sigsegv_leaves_a_sane_terminal_and_says_what_happened() {
    if !Tui::tmux_available() {
        return;
    }
    let (_pane, screen) = dies_of(Signal::SEGV, "SIGSEGV", "segmentation fault");
    assert!(
        !screen.contains("Compose draft"),
        "no draft was typed, none is mentioned:\n{screen}"
    );
}

#[test]
fn sigabrt_leaves_a_sane_terminal_and_says_what_happened() {
    if !Tui::tmux_available() {
        return;
    }
    dies_of(Signal::ABORT, "SIGABRT", "aborted");
}

#[test]
fn sigkill_leaves_a_sane_terminal_and_points_at_the_kept_draft() {
    if !Tui::tmux_available() {
        return;
    }
    // As if Compose had saved a draft while the user typed (it keeps it in the data dir).
    let pane = Pane::start().expect("tmux");
    let draft = pane.data_dir().join("compose-draft.json");
    std::fs::create_dir_all(pane.data_dir()).expect("data dir");
    let form = ktui::tabs::compose::draft::DraftForm {
        topic: "sample".into(),
        value: "typed".into(),
        ..Default::default()
    };
    let saved = ktui::tabs::compose::draft::Draft::new(form, 1_764_547_200_000);
    std::fs::write(&draft, saved.to_json()).expect("draft");
    let tui = pane.tui_pid();
    kill(tui, Signal::KILL);
    let screen = assert_terminal_given_back(&pane, Signal::KILL.as_raw());
    assert!(
        screen.contains("ktui died (SIGKILL: killed); the terminal was restored"),
        "{screen}"
    );
    let said = format!(
        "your Compose draft is kept in {} and will be offered at the next start",
        draft.display()
    );
    assert!(screen.contains(&said), "{said:?} not said:\n{screen}");
}
