//! One folder per tab: its state (`mod.rs`), its update (keys and worker answers in,
//! commands out) and its view, with the tab's helpers beside them.
//!
//! A tab's update gets a [`Ctx`]: what it may use besides its own state (request ids,
//! the terminal size, whether writes are refused) and what it asks of the app (toasts,
//! effects, opening a topic in the Tail tab). Tabs import neither `app` nor `ui`.

pub mod brokers;
pub mod compose;
pub mod feed;
pub mod groups;
pub mod schemas;
pub mod tail;
pub mod topics;

use crate::effects::{Effect, Level};
use crate::kafka::RequestId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Topics,
    Tail,
    Compose,
    Feed,
    Groups,
    Brokers,
    Schemas,
}

impl Tab {
    pub const ALL: [Self; 7] = [
        Self::Topics,
        Self::Tail,
        Self::Compose,
        Self::Feed,
        Self::Groups,
        Self::Brokers,
        Self::Schemas,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Topics => "Topics",
            Self::Tail => "Tail",
            Self::Compose => "Compose",
            Self::Feed => "Feed",
            Self::Groups => "Groups",
            Self::Brokers => "Brokers",
            Self::Schemas => "Schemas",
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The next tab (or the previous one), wrapping around.
    #[must_use]
    pub fn cycle(self, forward: bool) -> Self {
        let n = Self::ALL.len();
        let i = self.index();
        Self::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// A topic to open in the Tail tab, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTail {
    pub topic: String,
    /// Start at this group's committed offsets without joining it ("what has this group
    /// not read yet"); `None`: the Tail tab's own start position.
    pub read_as: Option<String>,
}

impl OpenTail {
    /// `topic` from the Tail tab's own start position.
    pub fn topic(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            read_as: None,
        }
    }

    /// `topic` from `group`'s committed offsets, read without joining the group.
    pub fn as_group(topic: impl Into<String>, group: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            read_as: Some(group.into()),
        }
    }
}

/// What a tab's update may use and ask for. The app makes one per update and carries
/// out what it collected.
#[derive(Debug)]
pub struct Ctx {
    owner: Tab,
    next_request: RequestId,
    issued: Vec<RequestId>,
    /// The terminal's size, for paging and keeping the cursor in view.
    pub size: (u16, u16),
    /// Why writes are refused on this cluster, if they are.
    pub read_only: Option<String>,
    /// Toasts to show.
    pub toasts: Vec<(Level, String)>,
    /// Work for the run loop (clipboard, files).
    pub effects: Vec<Effect>,
    /// A topic to open in the Tail tab (replacing its tail).
    pub open_tail: Option<OpenTail>,
    /// Show the Groups tab with the groups that consume this topic.
    pub show_groups_of: Option<String>,
    /// Toasts to take away: those whose text starts with one of these.
    pub dismiss: Vec<String>,
    /// Start-up-like notices: toasts that stay until a key is pressed.
    pub notices: Vec<(Level, String)>,
    /// Ticks since start (4 a second).
    pub ticks: u64,
}

impl Ctx {
    pub fn new(
        owner: Tab,
        next_request: RequestId,
        size: (u16, u16),
        read_only: Option<String>,
    ) -> Self {
        Self {
            owner,
            next_request,
            issued: Vec::new(),
            size,
            read_only,
            toasts: Vec::new(),
            effects: Vec::new(),
            open_tail: None,
            show_groups_of: None,
            dismiss: Vec::new(),
            notices: Vec::new(),
            ticks: 0,
        }
    }

    /// A new request id (the app keeps counting from [`Ctx::next_request`]).
    pub fn request_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        self.issued.push(id);
        id
    }

    /// The tab this update is for.
    pub fn owner(&self) -> Tab {
        self.owner
    }

    /// The request ids this update made (their answers go to [`Ctx::owner`]).
    pub fn issued(&self) -> &[RequestId] {
        &self.issued
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
