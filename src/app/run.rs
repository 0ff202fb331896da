//! The run loop: await an event, drain the rest, update, carry out effects, and draw at
//! most ~60 times a second, only when something changed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;

use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::{App, Level};
use crate::event::EventQueue;
use crate::kafka::Command;

/// The longest the UI waits between frames when something changed.
pub const FRAME: Duration = Duration::from_millis(16);

/// The longest one drain of queued events runs before the loop considers drawing.
const DRAIN: Duration = Duration::from_millis(8);

/// Runs the interactive loop until the user quits, the input closes or a quit signal
/// arrives ([`EventQueue::quit_signal`]), drawing frames with `draw` (`ui::render`: the
/// app does not know how it is drawn). The caller restores the terminal.
pub async fn run(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    events: &mut EventQueue,
    commands: &mpsc::Sender<Command>,
    draw: fn(&App, &mut ratatui::Frame),
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    send_all(commands, app.start(), app);
    let started = Instant::now();
    let mut frames: u64 = 0;
    let mut last_frame: Option<Instant> = None;
    // A terminal that cannot be drawn on (hung up) ends the session like a quit signal,
    // so what was typed is still kept; the error is returned after.
    let mut draw_error: Option<std::io::Error> = None;
    while !app.should_quit {
        if app.dirty {
            let due = last_frame.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
            if due.is_zero() {
                if let Err(error) = terminal.draw(|frame| draw(app, frame)) {
                    draw_error = Some(error);
                    quit(app, events);
                    break;
                }
                frames += 1;
                app.dirty = false;
                last_frame = Some(Instant::now());
            }
        }
        // Wait for the next event; when a frame is owed, only until it is due.
        let first = if app.dirty {
            let due = last_frame.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
            match tokio::time::timeout(due, events.next()).await {
                Ok(event) => event,
                Err(_) => continue,
            }
        } else {
            events.next().await
        };
        let Some(first) = first else {
            // A quit signal (SIGTERM, SIGHUP…) or no input left: quit as on `q`.
            quit(app, events);
            break;
        };
        let produced = app.handle(first);
        send_all(commands, produced, app);
        // Drain whatever else is already queued before drawing, but never for longer than
        // half a frame: under a firehose the queue is never empty, and the frame that
        // shows a keypress must not wait for the backlog.
        let draining = Instant::now();
        while draining.elapsed() < DRAIN {
            let Some(event) = events.try_next() else {
                break;
            };
            let produced = app.handle(event);
            send_all(commands, produced, app);
        }
        for effect in app.take_effects() {
            crate::effects::run(effect, &events.sender());
        }
        if events.quit_signal().is_some() {
            quit(app, events);
        }
    }
    // What quitting asked for (the Compose draft kept) is carried out before leaving.
    for effect in app.take_effects() {
        crate::effects::run(effect, &events.sender());
    }
    let _ = commands.try_send(Command::Shutdown);
    // One line the benchmark reads back: how much drawing the session cost.
    tracing::info!(
        target: "ktui::stats",
        frames,
        seconds = started.elapsed().as_secs_f64(),
        tail_records = app.tail.buffer.next_seq(),
        "session"
    );
    draw_error.map_or(Ok(()), |error| Err(error.into()))
}

/// Quits as `q` does, for a quit signal or input that ended: whatever was typed in
/// Compose since the last (debounced) save is kept.
fn quit(app: &mut App, events: &mut EventQueue) {
    if let Some(which) = events.quit_signal() {
        tracing::info!("{} received: quitting", which.name());
    }
    app.should_quit = true;
    app.flush_draft();
}

fn send_all(commands: &mpsc::Sender<Command>, batch: Vec<Command>, app: &mut App) {
    for command in batch {
        if let Err(error) = commands.try_send(command) {
            app.toast(
                Level::Warn,
                format!("The Kafka worker is busy; request dropped ({error})"),
            );
        }
    }
}

/// Takes over the terminal, runs the event loop, restores the terminal, and lets the
/// worker flush (bounded). A quit signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) ends the loop
/// like `q`; `main` then exits with its code ([`event::quit_signal`]).
/// Exits 1 when messages sent from Compose were not confirmed before exit (like
/// `ktui produce`: a message the broker never confirmed is a failure to report).
pub async fn run_tui(
    mut app: App,
    worker: crate::kafka::worker::WorkerHandle,
    draw: fn(&App, &mut ratatui::Frame),
) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;

    let mut events = EventQueue::default();
    events.attach_kafka(worker.events);
    // Before the terminal changes: from here on a signal is a clean quit.
    if let Err(error) = events.spawn_signals() {
        tracing::warn!("cannot handle quit signals: {error}");
    }

    // ratatui::try_init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init().context(
        "ktui needs an interactive terminal; for scripts use a subcommand (ktui topics --json)",
    )?;
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    events.spawn_terminal_input();
    events.spawn_ticks();
    let result = run(&mut terminal, &mut app, &mut events, &worker.commands, draw).await;
    restore_terminal();
    if let Some(which) = events.quit_signal() {
        tracing::info!("quit on {}: terminal restored", which.name());
    }
    // Writes to a terminal that hung up fail: never panic on them (eprintln would).
    let mut stderr = std::io::stderr();
    // The worker flushes outstanding messages (bounded) before it stops.
    let pending = app.compose.pending();
    if pending > 0 {
        let _ = writeln!(
            stderr,
            "ktui: waiting up to 5 s for {pending} unconfirmed message(s)…"
        );
    }
    let all_confirmed = match tokio::time::timeout(std::time::Duration::from_secs(8), worker.task)
        .await
    {
        Ok(Ok(report)) if report.unconfirmed > 0 => {
            let _ = writeln!(
                stderr,
                "ktui: {} message(s) were not confirmed by the broker before exit",
                report.unconfirmed
            );
            false
        }
        Ok(_) => true,
        Err(_) => {
            let _ = writeln!(
                stderr,
                "ktui: the Kafka worker did not stop in time; some messages may not have been sent"
            );
            pending == 0
        }
    };
    result.map(|()| {
        if all_confirmed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    })
}

/// Gives the terminal back: cooked mode, the main screen, the cursor, no bracketed paste.
/// Each step is tried even when one before it failed (a terminal that hung up fails them
/// all), and nothing is printed.
fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}
