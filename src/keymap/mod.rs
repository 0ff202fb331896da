//! Keys are data: the default keymap is embedded TOML; each binding carries the
//! description that feeds both the help overlay and the hint bar.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use crate::action::Action;

mod overrides;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies. Lookups try the most specific context first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    List,
    Topics,
    Details,
    Tail,
    /// The Tail tab while its view is paused (tried before `Tail`).
    TailPaused,
    /// The Tail tab while a search through history runs (tried before `Tail`).
    TailSearching,
    Record,
    Compose,
    Feed,
    /// The `?` help overlay.
    Help,
    /// The cluster switcher (`c`).
    Clusters,
    /// A filter being typed (Topics and Tail `/`): other keys are typed.
    Filter,
    /// A form in front (create topic, tail options, add rule): other keys are typed.
    Form,
    /// A confirmation by typing a name (delete topic): other keys are typed.
    Confirm,
    /// Compose's fields while one has the keyboard: other keys are typed, and the
    /// `compose` context's Ctrl keys work too.
    ComposeForm,
    /// Compose's history of sent messages.
    History,
    /// The X filtered stream's rules (Feed `R`).
    Rules,
    /// The Groups tab's list.
    Groups,
    /// The Groups tab with a group's details open.
    GroupDetails,
    /// The offset reset form (Groups `r`): other keys are typed.
    GroupReset,
    /// Typing a group's name to apply a reset or delete (Groups): other keys are typed.
    GroupConfirm,
    /// The Brokers tab's list.
    Brokers,
    /// The Brokers tab with the details pane focused.
    BrokerDetails,
    /// The Schemas tab's subject list.
    Schemas,
    /// The Schemas tab with the schema pane focused.
    SchemaDetails,
}

impl Context {
    /// Every context, in the order the keymap file lists them.
    pub const ALL: [Self; 26] = [
        Self::Global,
        Self::List,
        Self::Topics,
        Self::Details,
        Self::Filter,
        Self::Form,
        Self::Confirm,
        Self::Tail,
        Self::TailPaused,
        Self::TailSearching,
        Self::Record,
        Self::Compose,
        Self::ComposeForm,
        Self::History,
        Self::Feed,
        Self::Rules,
        Self::Groups,
        Self::GroupDetails,
        Self::GroupReset,
        Self::GroupConfirm,
        Self::Brokers,
        Self::BrokerDetails,
        Self::Schemas,
        Self::SchemaDetails,
        Self::Help,
        Self::Clusters,
    ];

    /// The context's name in the keymap file and in `[keys.<name>]` overrides.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::List => "list",
            Self::Topics => "topics",
            Self::Details => "details",
            Self::Tail => "tail",
            Self::TailPaused => "tail_paused",
            Self::TailSearching => "tail_searching",
            Self::Record => "record",
            Self::Compose => "compose",
            Self::Feed => "feed",
            Self::Help => "help",
            Self::Clusters => "clusters",
            Self::Filter => "filter",
            Self::Form => "form",
            Self::Confirm => "confirm",
            Self::ComposeForm => "compose_form",
            Self::History => "history",
            Self::Rules => "rules",
            Self::Groups => "groups",
            Self::GroupDetails => "group_details",
            Self::GroupReset => "group_reset",
            Self::GroupConfirm => "group_confirm",
            Self::Brokers => "brokers",
            Self::BrokerDetails => "broker_details",
            Self::Schemas => "schemas",
            Self::SchemaDetails => "schema_details",
        }
    }

    /// Whether keys not bound in this context are typed into a text field: then the
    /// contexts after it only take keys with Ctrl or Alt.
    pub fn types_text(self) -> bool {
        matches!(
            self,
            Self::Filter
                | Self::Form
                | Self::Confirm
                | Self::ComposeForm
                | Self::GroupReset
                | Self::GroupConfirm
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::List => "Lists",
            Self::Topics => "Topics",
            Self::Details => "Topic details",
            Self::Tail => "Tail",
            Self::TailPaused => "Tail, while paused",
            Self::TailSearching => "Tail, while a search runs",
            Self::Record => "Record detail (Tail)",
            Self::Feed => "Feed",
            Self::Help => "This help",
            Self::Clusters => "Cluster switcher (c)",
            Self::Compose => "Compose",
            Self::Filter => "Typing a filter (Topics, Tail, Groups: /; other keys are typed)",
            Self::Form => {
                "A form (create topic n, tail options o, add rule a; other keys are typed)"
            }
            Self::Confirm => "Delete topic (d): type its name; other keys are typed",
            Self::ComposeForm => {
                "Compose, in a field (other keys are typed; the Ctrl keys above work too)"
            }
            Self::History => "Compose's sent messages (Ctrl-R)",
            Self::Rules => "The X stream's rules (Feed: R)",
            Self::Groups => "Groups",
            Self::GroupDetails => "A group's details (Groups: Enter)",
            Self::GroupReset => {
                "Reset offsets (Groups: r; other keys are typed, ←/→ change the mode)"
            }
            Self::GroupConfirm => {
                "Apply a reset, delete a group or its offsets (Groups: type the group's name; other keys are typed)"
            }
            Self::Brokers => "Brokers",
            Self::BrokerDetails => "A broker's details (Brokers: Enter)",
            Self::Schemas => "Schemas",
            Self::SchemaDetails => "A subject's schema (Schemas: Enter)",
        }
    }
}

/// A key with its modifiers, normalised so `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(event: &KeyEvent) -> Self {
        Self {
            code: match event.code {
                KeyCode::Char(c) => KeyCode::Char(c),
                other => other,
            },
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest {
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') => f[1..]
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=12).contains(n))
                    .map(KeyCode::F)
                    .ok_or_else(|| format!("unknown key {text:?}"))?,
                _ => return Err(format!("unknown key {text:?}")),
            },
        };
        Ok(Self { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One binding: keys, the action, and what it does in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
    /// The hint bar's shorter label, when the binding is shown there.
    pub hint: Option<String>,
}

impl Binding {
    /// The keys as the help overlay shows them: `↑/k`; a run of three or more digits
    /// in order reads `1–9`.
    pub fn keys_label(&self) -> String {
        let digits: Option<Vec<u32>> = self
            .keys
            .iter()
            .map(|k| match k.code {
                KeyCode::Char(c) if !k.ctrl && !k.alt => c.to_digit(10),
                _ => None,
            })
            .collect();
        if let Some(digits) = digits.filter(|d| d.len() >= 3)
            && digits.windows(2).all(|w| w[1] == w[0] + 1)
        {
            return format!("{}–{}", digits[0], digits[digits.len() - 1]);
        }
        self.keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[derive(Deserialize)]
struct RawBinding {
    keys: Vec<String>,
    action: Action,
    desc: String,
    /// `true` (show `desc`) or a short label for the hint bar.
    #[serde(default)]
    hint: Option<HintLabel>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum HintLabel {
    Shown(bool),
    Label(String),
}

/// The effective keymap, per context, in the order the file lists the bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub contexts: Vec<(Context, Vec<Binding>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::parse(DEFAULT_KEYMAP).expect("the embedded keymap is valid")
    }
}

impl Keymap {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut raw: std::collections::HashMap<String, Vec<RawBinding>> =
            toml::from_str(text).map_err(|e| e.to_string())?;
        let convert = |bindings: Vec<RawBinding>| -> Result<Vec<Binding>, String> {
            bindings
                .into_iter()
                .map(|b| {
                    Ok(Binding {
                        keys: b
                            .keys
                            .iter()
                            .map(|k| Key::parse(k))
                            .collect::<Result<_, _>>()?,
                        hint: match b.hint {
                            Some(HintLabel::Shown(true)) => Some(b.desc.clone()),
                            Some(HintLabel::Label(label)) => Some(label),
                            Some(HintLabel::Shown(false)) | None => None,
                        },
                        action: b.action,
                        desc: b.desc,
                    })
                })
                .collect()
        };
        // Most specific first: the reverse of `ALL` (the help lists them in file order).
        let mut contexts = Vec::with_capacity(Context::ALL.len());
        for context in Context::ALL.iter().rev() {
            let bindings = raw.remove(context.name()).unwrap_or_default();
            contexts.push((*context, convert(bindings)?));
        }
        if let Some(unknown) = raw.keys().min() {
            return Err(format!("unknown keymap context {unknown:?}"));
        }
        Ok(Self { contexts })
    }

    pub fn bindings(&self, context: Context) -> &[Binding] {
        self.contexts
            .iter()
            .find(|(c, _)| *c == context)
            .map_or(&[], |(_, b)| b.as_slice())
    }

    /// The action for `key`, trying `contexts` in order. After a context that types
    /// text ([`Context::types_text`]) only keys with Ctrl or Alt reach the others.
    pub fn lookup(&self, contexts: &[Context], key: Key) -> Option<Action> {
        let mut typing = false;
        for &context in contexts {
            if !typing || key.ctrl || key.alt {
                let found = self
                    .bindings(context)
                    .iter()
                    .find(|b| b.keys.contains(&key));
                if let Some(binding) = found {
                    return Some(binding.action);
                }
            }
            typing |= context.types_text();
        }
        None
    }

    /// The bindings worth showing in the hint bar for these contexts, most specific first.
    /// A binding whose keys a more specific context has all taken is not shown: those
    /// keys do something else here (e.g. Space resumes a paused tail).
    pub fn hints(&self, contexts: &[Context]) -> Vec<&Binding> {
        let mut taken: Vec<Key> = Vec::new();
        let mut hints = Vec::new();
        let mut typing = false;
        for &context in contexts {
            let bindings = self.bindings(context);
            let reachable = |k: &Key| !taken.contains(k) && (!typing || k.ctrl || k.alt);
            hints.extend(
                bindings
                    .iter()
                    .filter(|b| b.hint.is_some() && b.keys.iter().any(reachable)),
            );
            taken.extend(bindings.iter().flat_map(|b| b.keys.iter().copied()));
            typing |= context.types_text();
        }
        hints
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent::new_with_kind(
            code,
            modifiers,
            KeyEventKind::Press,
        ))
    }

    #[test]
    fn default_keymap_parses_and_binds_the_basics() {
        let map = Keymap::default();
        let all = [Context::Topics, Context::List, Context::Global];
        assert_eq!(
            map.lookup(&all, key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.lookup(&all, key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::ForceQuit)
        );
        assert_eq!(
            map.lookup(&all, key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            map.lookup(&all, key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevTab)
        );
        assert_eq!(
            map.lookup(
                &[Context::Global],
                key(KeyCode::Char('j'), KeyModifiers::NONE)
            ),
            None
        );
    }

    #[test]
    fn rejects_unknown_keys_and_actions() {
        assert!(
            Keymap::parse("[[global]]\nkeys=[\"hyper-x\"]\naction=\"quit\"\ndesc=\"x\"").is_err()
        );
        assert!(Keymap::parse("[[global]]\nkeys=[\"x\"]\naction=\"explode\"\ndesc=\"x\"").is_err());
    }

    #[test]
    fn keys_render_for_help() {
        assert_eq!(Key::parse("ctrl-c").unwrap().to_string(), "Ctrl-C");
        assert_eq!(Key::parse("pagedown").unwrap().to_string(), "PgDn");
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
    }
}
