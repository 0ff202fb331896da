//! The run loop: await an event, drain the rest, update, carry out effects, and draw at
//! most ~60 times a second, only when something changed.

use std::time::{Duration, Instant};

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
