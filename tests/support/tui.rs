//! The real binary in a terminal: `ktui` in a detached tmux session of its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::process::read_tail;
use super::{KTUI, find_tool, poll_until, require, unique};

/// How ktui's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this status (128 + N when signal N killed it).
    Code(i32),
    /// It is gone, but no status was recorded.
    Unknown,
}

/// Runs `"$@"` and writes its exit status to the file named by `$1` (atomically).
const EXIT_RECORDER: &str =
    r#"out=$1; shift; "$@"; code=$?; echo "$code" > "$out.tmp" && mv "$out.tmp" "$out""#;

/// Like [`EXIT_RECORDER`], with `"$@"`'s stderr written to the file named by `$2`.
const EXIT_AND_STDERR_RECORDER: &str = r#"out=$1; err=$2; shift 2; "$@" 2>"$err"; code=$?; echo "$code" > "$out.tmp" && mv "$out.tmp" "$out""#;

/// The environment every ktui a test starts gets (a test may override it): a `--demo`
/// listens on a free port, not the quickstart's 127.0.0.1:9092 (see [`quickstart_port`]),
/// and writes no trickle into `sample`, so its contents are what the test put there; its
/// schema registry listens on a free port too, not on 127.0.0.1:8081.
pub const DEMO_ENV: [(&str, &str); 3] = [
    ("KTUI_DEMO_LISTEN", "127.0.0.1:0"),
    ("KTUI_DEMO_TRICKLE", "off"),
    ("KTUI_DEMO_REGISTRY_LISTEN", "127.0.0.1:0"),
];

/// Holds 127.0.0.1:9092 for this test (a claim shared by every test process of this
/// checkout, held until the `File` is dropped) once the port is free. `None` (after a
/// notice; a failure in CI) when something outside the tests listens there.
pub fn quickstart_port() -> Option<std::fs::File> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kafka-ports");
    std::fs::create_dir_all(&dir).expect("the port claims dir");
    let claim = std::fs::File::create(dir.join("9092")).expect("the 9092 claim file");
    claim.lock().expect("claim 127.0.0.1:9092");
    // The previous holder's ktui may take a moment to close its listener.
    let free = poll_until(Duration::from_secs(10), || {
        std::net::TcpListener::bind(("127.0.0.1", 9092)).ok()
    })
    .is_some();
    require("127.0.0.1:9092 free for the quickstart's scripts", free).then_some(claim)
}

/// The tests' tmux.conf: remain-on-exit keeps a pane (and its exit status) after its
/// process exits; keys pass at once; no status line, no scrollback.
const TMUX_CONF: &str =
    "set -g remain-on-exit on\nset -g escape-time 0\nset -g status off\nset -g history-limit 0\n";

/// Writes [`TMUX_CONF`] into `dir`; returns its path.
pub fn write_tmux_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("tmux.conf");
    std::fs::write(&conf, TMUX_CONF).expect("tmux.conf");
    conf
}

/// `tmux -S SOCKET`: the tmux server of one test, outside any session the tests run in.
pub fn tmux_at(socket: &Path) -> Command {
    let mut command = Command::new("tmux");
    command.env_remove("TMUX").arg("-S").arg(socket);
    command
}

/// Makes `home` and its `data`, `config` and `cache` dirs; returns the environment, as
/// `env` arguments, that gives ktui that HOME and those XDG dirs, a 256-colour terminal,
/// and [`DEMO_ENV`].
pub fn home_env(home: &Path) -> Vec<String> {
    for sub in ["data", "config", "cache"] {
        std::fs::create_dir_all(home.join(sub)).expect("home dirs");
    }
    let mut env = vec![
        format!("HOME={}", home.display()),
        format!("XDG_DATA_HOME={}", home.join("data").display()),
        format!("XDG_CONFIG_HOME={}", home.join("config").display()),
        format!("XDG_CACHE_HOME={}", home.join("cache").display()),
        "TERM=xterm-256color".to_string(),
    ];
    // A demo leaves 127.0.0.1:9092 to the tests that ask for it, and keeps `sample`
    // still unless a test asks for the trickle.
    env.extend(DEMO_ENV.iter().map(|(k, v)| format!("{k}={v}")));
    env
}

/// How [`Tui::start_with`] starts ktui, beyond its arguments and terminal size.
#[derive(Debug, Default, Clone, Copy)]
pub struct TuiOptions<'a> {
    /// ktui's working directory.
    pub cwd: Option<&'a Path>,
    /// HOME for ktui (its XDG dirs are `data`, `config` and `cache` inside): pass the
    /// same directory to a second run to see what the first one kept. Default: a fresh
    /// directory that is removed with the `Tui`.
    pub home: Option<&'a Path>,
    /// Write ktui's stderr to a file ([`Tui::stderr`]) instead of the terminal.
    pub capture_stderr: bool,
    /// Extra environment for ktui (`NAME`, `VALUE`).
    pub env: &'a [(&'a str, &'a str)],
}

/// `ktui` running in a detached tmux session on a tmux server of its own, with HOME and
/// the XDG dirs in a temporary directory. The server is killed on drop.
pub struct Tui {
    dir: TempDir,
    socket: PathBuf,
    session: String,
    home: PathBuf,
}

impl Tui {
    pub fn tmux_available() -> bool {
        require("tmux", find_tool("tmux", None, None).is_some())
    }

    /// Starts `ktui ARGS…` in a `width`×`height` terminal. `None` (after a skip notice)
    /// when tmux is missing outside CI.
    pub fn start(args: &[&str], width: u16, height: u16) -> Option<Self> {
        Self::launch(None, args, width, height)
    }

    /// Like [`Tui::start`], with ktui's working directory set to `cwd` (where it writes
    /// exports).
    pub fn start_in(cwd: &Path, args: &[&str], width: u16, height: u16) -> Option<Self> {
        Self::launch(Some(cwd), args, width, height)
    }

    /// Starts `ktui ARGS…` in a `width`×`height` terminal as `options` say.
    pub fn start_with(
        args: &[&str],
        width: u16,
        height: u16,
        options: TuiOptions<'_>,
    ) -> Option<Self> {
        if !Self::tmux_available() {
            return None;
        }
        Some(Self::spawn(args, width, height, options))
    }

    fn launch(cwd: Option<&Path>, args: &[&str], width: u16, height: u16) -> Option<Self> {
        let options = TuiOptions {
            cwd,
            ..TuiOptions::default()
        };
        Self::start_with(args, width, height, options)
    }

    fn spawn(args: &[&str], width: u16, height: u16, options: TuiOptions<'_>) -> Self {
        let cwd = options.cwd;
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("tmux.sock");
        let conf = write_tmux_conf(dir.path());
        let home = options
            .home
            .map_or_else(|| dir.path().join("home"), Path::to_path_buf);
        let session = unique("ktui");
        let tui = Self {
            dir,
            socket,
            session,
            home: home.clone(),
        };
        let mut command = tui.tmux();
        command
            .arg("-f")
            .arg(&conf)
            .args(["new-session", "-d", "-s", &tui.session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()]);
        if let Some(cwd) = cwd {
            command.arg("-c").arg(cwd);
        }
        command
            // sh records ktui's exit status: tmux 3.3 does not always reap a pane's
            // process itself, and then never reports its status.
            .arg("--")
            .arg("sh")
            .arg("-c")
            .arg(if options.capture_stderr {
                EXIT_AND_STDERR_RECORDER
            } else {
                EXIT_RECORDER
            })
            .arg("sh")
            .arg(tui.status_path());
        if options.capture_stderr {
            command.arg(tui.stderr_path());
        }
        command
            .args([
                "env",
                "-u",
                "KAFKA_BOOTSTRAP_SERVERS",
                "-u",
                "KTUI_CONFIG",
                "-u",
                "NO_COLOR",
                "-u",
                "X_BEARER_TOKEN",
                "-u",
                "TWITTER_BEARER_TOKEN",
            ])
            .args(home_env(&home))
            .args(options.env.iter().map(|(k, v)| format!("{k}={v}")))
            .arg(KTUI)
            .args(args);
        let output = command.output().expect("cannot run tmux");
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tui
    }

    fn tmux(&self) -> Command {
        tmux_at(&self.socket)
    }

    fn tmux_output(&self, args: &[&str]) -> Output {
        self.tmux().args(args).output().expect("cannot run tmux")
    }

    fn tmux_ok(&self, args: &[&str]) {
        let output = self.tmux_output(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}\nscreen:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.screen()
        );
    }

    /// Types `text` literally (no key names).
    pub fn send_keys(&self, text: &str) {
        self.tmux_ok(&["send-keys", "-t", &self.session, "-l", "--", text]);
    }

    /// Presses one named key: `Enter`, `Escape`, `Tab`, `BSpace`, `C-c`, `Up`…
    pub fn send_key(&self, key: &str) {
        self.tmux_ok(&["send-keys", "-t", &self.session, key]);
    }

    /// The visible screen as plain text, one line per row.
    pub fn screen(&self) -> String {
        let output = self.tmux_output(&["capture-pane", "-p", "-t", &self.session]);
        if output.status.success() {
            String::from_utf8_lossy(&output.stdout).into_owned()
        } else {
            format!(
                "(capture-pane failed: {})",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        }
    }

    /// The screen with its colours and attributes as SGR escape sequences.
    pub fn screen_with_styles(&self) -> String {
        let output = self.tmux_output(&["capture-pane", "-p", "-e", "-t", &self.session]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The config dir ktui reads (`$XDG_CONFIG_HOME/ktui`).
    pub fn config_dir(&self) -> PathBuf {
        self.home.join("config/ktui")
    }

    /// The pane's title, as escape sequences (OSC 0/2) written to the terminal set it.
    pub fn pane_title(&self) -> String {
        let output = self.tmux_output(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{pane_title}",
        ]);
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string()
    }

    /// ktui's log file (it logs there, never to the terminal).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir().join("ktui.log")
    }

    /// ktui's data dir (`$XDG_DATA_HOME/ktui`): its log and the composer's history.
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data/ktui")
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("ktui.stderr")
    }

    /// What ktui wrote to stderr so far (started with `capture_stderr`).
    pub fn stderr(&self) -> String {
        std::fs::read(self.stderr_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The screen and the end of ktui's log, for failure messages.
    pub fn diagnostics(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "--- screen ---\n{}\n--- end of ktui.log ---\n{}",
            self.screen(),
            read_tail(&self.log_path(), 30)
        );
        let stderr = self.stderr();
        if !stderr.is_empty() {
            let _ = write!(out, "\n--- ktui's stderr ---\n{stderr}");
        }
        out
    }

    /// Waits until the screen contains `needle`; returns that screen.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Waits until `pred(screen)` holds; returns that screen. Panics with the last
    /// screen and ktui's log on timeout.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        poll_until(timeout, || {
            let screen = self.screen();
            pred(&screen).then_some(screen)
        })
        .unwrap_or_else(|| {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                self.diagnostics()
            )
        })
    }

    /// Like [`Tui::wait_until`], but only on a settled screen: two captures in a row
    /// (one poll apart) that are identical. A large redraw reaches tmux in several
    /// writes, and a capture between them shows half of the old frame and half of the
    /// new; asserting on such a screen makes a test flaky.
    pub fn wait_settled(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> String {
        let mut previous = String::new();
        self.wait_until(&format!("{what} (on a settled screen)"), timeout, |s| {
            let settled = s == previous;
            s.clone_into(&mut previous);
            settled && pred(s)
        })
    }

    /// [`Tui::wait_settled`] for a screen that contains `needle`.
    pub fn wait_settled_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_settled(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    fn status_path(&self) -> PathBuf {
        self.dir.path().join("exit-status")
    }

    /// `Some` once ktui has exited, `None` while it runs.
    pub fn exited(&self) -> Option<Exit> {
        // Ask tmux first: the status file is complete once the pane is dead.
        let output = self.tmux_output(&[
            "list-panes",
            "-t",
            &self.session,
            "-F",
            "#{pane_dead} #{pane_dead_status}",
        ]);
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let mut fields = text.split_whitespace();
        if fields.next() == Some("0") {
            return None;
        }
        // Dead, or the pane is gone altogether.
        let recorded = std::fs::read_to_string(self.status_path())
            .ok()
            .and_then(|t| t.trim().parse().ok());
        Some(
            recorded
                .or_else(|| fields.next().and_then(|s| s.parse().ok()))
                .map_or(Exit::Unknown, Exit::Code),
        )
    }

    /// Waits until ktui exits; panics with the screen if it is still running at `timeout`.
    pub fn wait_exit(&self, timeout: Duration) -> Exit {
        poll_until(timeout, || self.exited()).unwrap_or_else(|| {
            panic!(
                "ktui did not exit within {timeout:?}\n{}",
                self.diagnostics()
            )
        })
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The text on the screen after `marker` up to the next whitespace, e.g. the address in
/// "DEMO cluster at 127.0.0.1:9092 ".
pub fn word_after<'a>(screen: &'a str, marker: &str) -> Option<&'a str> {
    let start = screen.find(marker)? + marker.len();
    screen[start..].split_whitespace().next()
}
