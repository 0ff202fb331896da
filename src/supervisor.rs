//! The interactive TUI runs in a child process under this small supervisor, so that a
//! death ktui cannot catch (a segfault inside librdkafka, SIGKILL, an abort) never leaves
//! the user's shell in raw mode on the alternate screen with the cursor hidden.
//!
//! Interactive `ktui` saves the terminal's modes, runs itself again as a child (marked by
//! [`CHILD_MARKER`], set to the supervisor's pid) and waits for it. While the child lives,
//! SIGTERM, SIGHUP, SIGINT and SIGQUIT are forwarded to it and do not stop the supervisor.
//! The child handles those itself as a clean quit (exit 128 + N). When the child was
//! killed by a signal instead, the supervisor gives the terminal back (the saved modes,
//! the main screen, the cursor, no mouse capture nor bracketed paste), says what happened,
//! where the log and any Compose draft are, and exits with 128 + N too.
//!
//! Headless subcommands never come here: their pipes and exit codes stay direct.

use std::io::{IsTerminal as _, Write as _};
use std::os::fd::{AsFd as _, OwnedFd};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, ExitCode, ExitStatus};
use std::sync::{Arc, Mutex, PoisonError};

use crossterm::cursor::Show;
use crossterm::event::{DisableBracketedPaste, DisableMouseCapture};
use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::LeaveAlternateScreen;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions};
use rustix::termios::{OptionalActions, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;

/// Set in the supervised child's environment to the supervisor's pid. A process whose
/// parent is not that pid (something the TUI itself started) is not the child.
pub const CHILD_MARKER: &str = "KTUI_SUPERVISOR_PID";

/// Set (non-empty) to run the TUI without a supervisor, e.g. under a debugger.
pub const OPT_OUT: &str = "KTUI_NO_SUPERVISOR";

/// The signals a supervisor forwards to the child instead of dying of them.
const FORWARDED: [i32; 4] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT];

/// Whether this process is the supervised child.
pub fn is_child() -> bool {
    std::env::var(CHILD_MARKER)
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        == Some(std::os::unix::process::parent_id())
}

/// In the supervised child: if the supervisor dies (even by SIGKILL, which it cannot
/// catch), this TUI gets SIGHUP and quits cleanly, restoring the terminal, rather than
/// holding the terminal in raw mode beside the shell. Checked again after arming, in case
/// the supervisor died before.
pub fn follow_parent() {
    if !is_child() {
        return;
    }
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::HUP));
    if !is_child() {
        // The supervisor is gone already: nobody to hand the terminal back to.
        std::process::exit(129);
    }
}

/// Whether this interactive run should start a supervisor: not already the child, not
/// opted out, and drawing on a terminal (otherwise the TUI only reports that it needs one).
pub fn wanted() -> bool {
    !is_child()
        && std::env::var_os(OPT_OUT).is_none_or(|value| value.is_empty())
        && std::io::stdout().is_terminal()
}

/// Runs this ktui again, with the same arguments, as a supervised child and waits for it;
/// the exit code to leave with (the child's, or 128 + N when signal N killed it). `None`
/// when the child cannot be started: the caller then runs the TUI itself.
pub fn supervise() -> Option<ExitCode> {
    let tty = controlling_tty();
    let saved = tty
        .as_ref()
        .and_then(|fd| rustix::termios::tcgetattr(fd).ok());
    let exe = std::env::current_exe().ok()?;
    // Registered before the child exists, so no signal in between stops the supervisor.
    let mut signals = Signals::new(FORWARDED).ok()?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(CHILD_MARKER, std::process::id().to_string())
        .spawn()
        .ok()?;
    let pid = Pid::from_child(&child);

    // Forwarded only while the child is not yet reaped, so its pid cannot name another
    // process by then.
    let alive = Arc::new(Mutex::new(true));
    let handle = signals.handle();
    let forwarder = {
        let alive = Arc::clone(&alive);
        std::thread::Builder::new()
            .name("ktui-supervisor".into())
            .spawn(move || {
                for number in signals.forever() {
                    let alive = alive.lock().unwrap_or_else(PoisonError::into_inner);
                    if !*alive {
                        break;
                    }
                    if let Some(signal) = Signal::from_named_raw(number) {
                        let _ = rustix::process::kill_process(pid, signal);
                    }
                }
            })
    };
    // Wait until the child has ended, leaving it unreaped (a zombie keeps its pid).
    while let Err(rustix::io::Errno::INTR) = rustix::process::waitid(
        WaitId::Pid(pid),
        WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
    ) {}
    *alive.lock().unwrap_or_else(PoisonError::into_inner) = false;
    handle.close();
    if let Ok(forwarder) = forwarder {
        let _ = forwarder.join();
    }
    let status = match child.wait() {
        Ok(status) => status,
        Err(error) => {
            restore_terminal(tty.as_ref(), saved.as_ref());
            say(&format!(
                "ktui: lost track of the TUI process ({error}); the terminal was restored"
            ));
            return Some(ExitCode::FAILURE);
        }
    };
    Some(finish(status, tty.as_ref(), saved.as_ref()))
}

/// The supervisor's exit code for the child's `status`; after a death by signal, the
/// terminal restored and the user told.
fn finish(status: ExitStatus, tty: Option<&OwnedFd>, saved: Option<&Termios>) -> ExitCode {
    if let Some(number) = status.signal() {
        restore_terminal(tty, saved);
        say(&death_notice(number, status.core_dumped()));
        // Only a draft the next start can read is worth pointing to.
        if let Some(draft) = crate::config::draft_path().filter(|path| {
            std::fs::read_to_string(path)
                .is_ok_and(|text| crate::tabs::compose::draft::Draft::parse(&text).is_ok())
        }) {
            say(&format!(
                "ktui: your Compose draft is kept in {} and will be offered at the next start",
                draft.display()
            ));
        }
    }
    ExitCode::from(exit_code(status))
}

/// The child's exit code, or 128 + N when signal N killed it (as a shell reports it).
fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(number)) => u8::try_from(128 + number).unwrap_or(u8::MAX),
        (None, None) => 1,
    }
}

/// "ktui died (SIGSEGV: segmentation fault); the terminal was restored; log at …".
fn death_notice(number: i32, core_dumped: bool) -> String {
    let name = signal_hook::low_level::signal_name(number)
        .map_or_else(|| format!("signal {number}"), str::to_string);
    let mut what = name;
    if let Some(meaning) = meaning(number) {
        what = format!("{what}: {meaning}");
    }
    if core_dumped {
        what.push_str(", core dumped");
    }
    let mut notice = format!("ktui died ({what}); the terminal was restored");
    if let Some(log) = crate::config::log_path() {
        notice = format!("{notice}; log at {}", log.display());
    }
    notice
}

/// What a signal usually means, in words.
fn meaning(number: i32) -> Option<&'static str> {
    use signal_hook::consts::signal::{
        SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGPIPE, SIGSEGV, SIGSYS,
    };
    Some(match number {
        SIGSEGV => "segmentation fault",
        SIGABRT => "aborted",
        SIGKILL => "killed",
        SIGBUS => "bus error",
        SIGILL => "illegal instruction",
        SIGFPE => "arithmetic error",
        SIGSYS => "bad system call",
        SIGPIPE => "broken pipe",
        SIGTERM => "terminated",
        SIGHUP => "hangup",
        SIGINT => "interrupted",
        SIGQUIT => "quit",
        _ => return None,
    })
}

/// The terminal whose modes the TUI changes: standard input when it is one (as crossterm
/// picks), else the controlling terminal.
fn controlling_tty() -> Option<OwnedFd> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return stdin.as_fd().try_clone_to_owned().ok();
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
        .map(OwnedFd::from)
}

/// Undoes what a TUI that died mid-frame may have left: the saved modes first (so the
/// lines that follow start at the left edge again), then the main screen, the cursor,
/// plain attributes, no mouse capture and no bracketed paste.
fn restore_terminal(tty: Option<&OwnedFd>, saved: Option<&Termios>) {
    if let (Some(tty), Some(saved)) = (tty, saved) {
        let _ = rustix::termios::tcsetattr(tty, OptionalActions::Now, saved);
    }
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        SetAttribute(Attribute::Reset),
        LeaveAlternateScreen,
        Show
    );
}

/// One line on stderr; a terminal that hung up is no reason to panic.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_is_told_with_the_signal_name_and_its_meaning() {
        let notice = death_notice(signal_hook::consts::signal::SIGSEGV, true);
        assert!(
            notice.starts_with(
                "ktui died (SIGSEGV: segmentation fault, core dumped); the terminal was restored"
            ),
            "{notice}"
        );
        let notice = death_notice(signal_hook::consts::signal::SIGKILL, false);
        assert!(
            notice.starts_with("ktui died (SIGKILL: killed);"),
            "{notice}"
        );
    }

    #[test]
    fn the_exit_code_is_the_childs_or_128_plus_the_signal() {
        // Statuses as waitpid reports them: code << 8 for an exit, the signal number
        // alone for a death by signal.
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(143 << 8)), 143);
        let killed = ExitStatus::from_raw(signal_hook::consts::signal::SIGKILL);
        assert_eq!(exit_code(killed), 137);
        let segv = ExitStatus::from_raw(signal_hook::consts::signal::SIGSEGV);
        assert_eq!(exit_code(segv), 139);
    }
}
