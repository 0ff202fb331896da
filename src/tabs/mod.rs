//! One folder per tab: its state (`mod.rs`), its update (keys and worker answers in,
//! commands out) and its view, with the tab's helpers beside them.
//!
//! A tab's update gets a [`Ctx`]: what it may use besides its own state (request ids,
//! the terminal size, whether writes are refused) and what it asks of the app (toasts,
//! effects, opening a topic in the Tail tab). Tabs import neither `app` nor `ui`.

pub mod compose;
pub mod feed;
pub mod tail;
pub mod topics;

use crate::effects::{Effect, Level};
use crate::kafka::RequestId;

/// What a tab's update may use and ask for. The app makes one per update and carries
/// out what it collected.
#[derive(Debug)]
pub struct Ctx {
    next_request: RequestId,
    /// The terminal's size, for paging and keeping the cursor in view.
    pub size: (u16, u16),
    /// Why writes are refused on this cluster, if they are.
    pub read_only: Option<String>,
    /// Toasts to show.
    pub toasts: Vec<(Level, String)>,
    /// Work for the run loop (clipboard, files).
    pub effects: Vec<Effect>,
    /// A topic to open in the Tail tab (replacing its tail).
    pub open_tail: Option<String>,
    /// Toasts to take away: those whose text starts with one of these.
    pub dismiss: Vec<String>,
    /// Start-up-like notices: toasts that stay until a key is pressed.
    pub notices: Vec<(Level, String)>,
    /// Ticks since start (4 a second).
    pub ticks: u64,
}

impl Ctx {
    pub fn new(next_request: RequestId, size: (u16, u16), read_only: Option<String>) -> Self {
        Self {
            next_request,
            size,
            read_only,
            toasts: Vec::new(),
            effects: Vec::new(),
            open_tail: None,
            dismiss: Vec::new(),
            notices: Vec::new(),
            ticks: 0,
        }
    }

    /// A new request id (the app keeps counting from [`Ctx::next_request`]).
    pub fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// The id the next request will get.
    pub fn next_request(&self) -> RequestId {
        self.next_request
    }

    pub fn toast(&mut self, level: Level, text: impl Into<String>) {
        self.toasts.push((level, text.into()));
    }

    /// A notice that stays until the next key (something the user must not miss).
    pub fn notice(&mut self, level: Level, text: impl Into<String>) {
        self.notices.push((level, text.into()));
    }

    /// Whether `what` (a write) is refused on this cluster; if so, a toast says why.
    pub fn refuse_write(&mut self, what: &str) -> bool {
        let Some(reason) = self.read_only.clone() else {
            return false;
        };
        self.toast(Level::Warn, format!("{what} is disabled: {reason}"));
        true
    }
}
