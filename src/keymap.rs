//! Keys are data: the default keymap is embedded TOML; each binding carries the
//! description that feeds both the help overlay and the hint bar.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use serde::de::IntoDeserializer as _;

use crate::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../assets/keymap.toml");

/// Where a binding applies. Lookups try the most specific context first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    List,
    Topics,
    Details,
    Tail,
    Record,
    Compose,
    Feed,
}

impl Context {
    /// Every context, in the order the keymap file lists them.
    pub const ALL: [Self; 8] = [
        Self::Global,
        Self::List,
        Self::Topics,
        Self::Details,
        Self::Tail,
        Self::Record,
        Self::Compose,
        Self::Feed,
    ];

    /// The context's name in the keymap file and in `[keys.<name>]` overrides.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::List => "list",
            Self::Topics => "topics",
            Self::Details => "details",
            Self::Tail => "tail",
            Self::Record => "record",
            Self::Compose => "compose",
            Self::Feed => "feed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::List => "Lists",
            Self::Topics => "Topics",
            Self::Details => "Topic details",
            Self::Tail => "Tail",
            Self::Record => "Record detail (Tail)",
            Self::Feed => "Feed",
            Self::Compose => {
                "Compose (Ctrl keys work while typing; Tab moves between fields; Esc leaves them)"
            }
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
    /// The keys as the help overlay shows them: `↑/k`.
    pub fn keys_label(&self) -> String {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    #[serde(default)]
    global: Vec<RawBinding>,
    #[serde(default)]
    list: Vec<RawBinding>,
    #[serde(default)]
    topics: Vec<RawBinding>,
    #[serde(default)]
    details: Vec<RawBinding>,
    #[serde(default)]
    tail: Vec<RawBinding>,
    #[serde(default)]
    record: Vec<RawBinding>,
    #[serde(default)]
    compose: Vec<RawBinding>,
    #[serde(default)]
    feed: Vec<RawBinding>,
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
        let raw: RawKeymap = toml::from_str(text).map_err(|e| e.to_string())?;
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
        Ok(Self {
            contexts: vec![
                (Context::Feed, convert(raw.feed)?),
                (Context::Compose, convert(raw.compose)?),
                (Context::Record, convert(raw.record)?),
                (Context::Tail, convert(raw.tail)?),
                (Context::Details, convert(raw.details)?),
                (Context::Topics, convert(raw.topics)?),
                (Context::List, convert(raw.list)?),
                (Context::Global, convert(raw.global)?),
            ],
        })
    }

    pub fn bindings(&self, context: Context) -> &[Binding] {
        self.contexts
            .iter()
            .find(|(c, _)| *c == context)
            .map_or(&[], |(_, b)| b.as_slice())
    }

    /// The action for `key`, trying `contexts` in order.
    pub fn lookup(&self, contexts: &[Context], key: Key) -> Option<Action> {
        contexts.iter().find_map(|&context| {
            self.bindings(context)
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.action)
        })
    }

    /// The bindings worth showing in the hint bar for these contexts, most specific first.
    pub fn hints(&self, contexts: &[Context]) -> Vec<&Binding> {
        contexts
            .iter()
            .flat_map(|&c| self.bindings(c).iter().filter(|b| b.hint.is_some()))
            .collect()
    }

    /// Merges the user's overrides over this keymap. `overrides` is the `[keys]` table of the
    /// user's config.toml: context name -> table of key name -> action name (or "none" to
    /// unbind):
    ///
    /// ```toml
    /// [keys.global]
    /// "ctrl-q" = "quit"
    /// "q" = "none"
    /// [keys.tail]
    /// "J" = "down"
    /// ```
    ///
    /// A key bound in a context leaves every other binding of that context; a binding left
    /// with no keys disappears. The key joins the context's binding for the action, or a new
    /// binding that borrows its description (and hint) from the first binding for the same
    /// action in any context.
    ///
    /// Returns warnings (never fails): unknown context, unknown key name, unknown action, a
    /// value that is not a string; each names where it is, e.g.
    /// `keys.tail."J": unknown action "dwn"`. The bad entry is skipped, the rest applies.
    pub fn with_overrides(mut self, overrides: &toml::Table) -> (Keymap, Vec<String>) {
        let original = self.clone();
        let mut warnings = Vec::new();
        for (context_name, entries) in overrides {
            let at_context = format!("keys.{}", toml_key(context_name));
            let Some(context) = parse_name::<Context>(context_name) else {
                let known: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                warnings.push(format!(
                    "{at_context}: unknown context {context_name:?} (known: {})",
                    known.join(", ")
                ));
                continue;
            };
            let Some(entries) = entries.as_table() else {
                warnings.push(format!(
                    "{at_context}: expected a table of key = action, found {}",
                    entries.type_str()
                ));
                continue;
            };
            for (key_name, value) in entries {
                let at = format!("{at_context}.{key_name:?}");
                let key = match Key::parse(key_name) {
                    Ok(key) => key,
                    Err(e) => {
                        warnings.push(format!("{at}: {e}"));
                        continue;
                    }
                };
                let Some(action_name) = value.as_str() else {
                    warnings.push(format!(
                        "{at}: expected an action name or \"none\", found {}",
                        value.type_str()
                    ));
                    continue;
                };
                let action = if action_name == "none" {
                    None
                } else if let Some(action) = parse_name::<Action>(action_name) {
                    Some(action)
                } else {
                    warnings.push(format!("{at}: unknown action {action_name:?}"));
                    continue;
                };
                self.rebind(context, key, action, action_name, &original);
            }
        }
        // Dropped only now, so unbinding a key and rebinding the action (in either order)
        // keeps the binding's place and hint.
        for (_, bindings) in &mut self.contexts {
            bindings.retain(|b| !b.keys.is_empty());
        }
        (self, warnings)
    }

    /// Moves `key` in `context` to `action` (`None`: unbinds it), leaving empty bindings.
    fn rebind(
        &mut self,
        context: Context,
        key: Key,
        action: Option<Action>,
        action_name: &str,
        original: &Keymap,
    ) {
        let bindings = if let Some(i) = self.contexts.iter().position(|(c, _)| *c == context) {
            &mut self.contexts[i].1
        } else {
            self.contexts.push((context, Vec::new()));
            &mut self.contexts.last_mut().expect("just pushed").1
        };
        for binding in bindings.iter_mut() {
            binding.keys.retain(|k| *k != key);
        }
        let Some(action) = action else {
            return;
        };
        if let Some(binding) = bindings.iter_mut().find(|b| b.action == action) {
            binding.keys.push(key);
            return;
        }
        // In file order: `global` first, then `list`, ...
        let template = original
            .contexts
            .iter()
            .rev()
            .flat_map(|(_, bindings)| bindings)
            .find(|b| b.action == action);
        bindings.push(Binding {
            keys: vec![key],
            action,
            desc: template.map_or_else(|| action_name.replace('_', " "), |t| t.desc.clone()),
            hint: template.and_then(|t| t.hint.clone()),
        });
    }
}

/// A unit variant by its serde name: the enum itself is the list of valid names.
fn parse_name<'de, T: Deserialize<'de>>(name: &'de str) -> Option<T> {
    let deserializer: serde::de::value::StrDeserializer<'de, serde::de::value::Error> =
        name.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// `name` as a TOML key: bare when it can be, quoted otherwise.
fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        name.to_string()
    } else {
        format!("{name:?}")
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

    fn overrides(text: &str) -> (Keymap, Vec<String>) {
        let table: toml::Table = toml::from_str(text).expect("test TOML parses");
        Keymap::default().with_overrides(&table)
    }

    fn plain(c: char) -> Key {
        Key::parse(&c.to_string()).unwrap()
    }

    #[test]
    fn overrides_rebind_quit_and_unbind_q() {
        // Both orders of the two entries give the same result (the table is sorted).
        let (map, warnings) = overrides("[global]\nq = \"none\"\n\"ctrl-q\" = \"quit\"\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        let global = [Context::Global];
        assert_eq!(
            map.lookup(&global, Key::parse("ctrl-q").unwrap()),
            Some(Action::Quit)
        );
        assert_eq!(map.lookup(&global, plain('q')), None);
        // The binding keeps its place, description and hint; only its keys change.
        let quit = map
            .hints(&global)
            .into_iter()
            .find(|b| b.action == Action::Quit)
            .expect("quit is still in the hint bar");
        assert_eq!(quit.keys_label(), "Ctrl-Q");
        assert_eq!(quit.hint.as_deref(), Some("quit"));
        assert_eq!(quit.desc, "quit");
        let position = |map: &Keymap| {
            map.bindings(Context::Global)
                .iter()
                .position(|b| b.action == Action::Quit)
        };
        assert_eq!(position(&map), position(&Keymap::default()));
    }

    #[test]
    fn overrides_move_a_key_between_actions() {
        let (map, warnings) = overrides("[list]\nj = \"up\"\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(map.lookup(&[Context::List], plain('j')), Some(Action::Up));
        let label = |action| {
            map.bindings(Context::List)
                .iter()
                .find(|b| b.action == action)
                .map(Binding::keys_label)
        };
        assert_eq!(label(Action::Up).as_deref(), Some("↑/k/j"));
        assert_eq!(label(Action::Down).as_deref(), Some("↓"));
        // Other contexts keep their own `j`.
        assert_eq!(map.lookup(&[Context::Feed], plain('j')), Some(Action::Down));
    }

    #[test]
    fn overrides_add_bindings_and_drop_empty_ones() {
        let (map, warnings) = overrides(
            "[tail]\nJ = \"down\"\n[details]\nh = \"none\"\nleft = \"none\"\nesc = \"none\"\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let tail = map.bindings(Context::Tail);
        let added = tail.last().expect("a binding was added");
        assert_eq!(added.action, Action::Down);
        assert_eq!(added.keys_label(), "J");
        // Borrowed from the first `down` binding in file order (the list's).
        let list_down = Keymap::default()
            .bindings(Context::List)
            .iter()
            .find(|b| b.action == Action::Down)
            .cloned()
            .unwrap();
        assert_eq!(added.desc, list_down.desc);
        assert_eq!(added.hint, list_down.hint);
        assert_eq!(
            map.lookup(&[Context::Tail], Key::parse("J").unwrap()),
            Some(Action::Down)
        );
        assert!(map.bindings(Context::Details).is_empty());
        // Nothing else changed.
        assert_eq!(
            map.bindings(Context::Topics),
            Keymap::default().bindings(Context::Topics)
        );
    }

    #[test]
    fn overrides_without_a_binding_to_borrow_from_use_the_action_name() {
        let mut base = Keymap::parse("").unwrap();
        assert!(base.bindings(Context::Global).is_empty());
        let table: toml::Table = toml::from_str("[global]\nx = \"toggle_internal\"").unwrap();
        (base, _) = base.with_overrides(&table);
        let added = &base.bindings(Context::Global)[0];
        assert_eq!(added.desc, "toggle internal");
        assert_eq!(added.hint, None);
    }

    #[test]
    fn overrides_warn_and_skip_bad_entries() {
        let (map, warnings) = overrides(
            r#"
            nowhere = { x = "quit" }
            feed = "quit"
            [tail]
            "J" = "dwn"
            "hyper-x" = "quit"
            "K" = 3
            "L" = "top"
            "#,
        );
        assert_eq!(
            warnings,
            [
                "keys.feed: expected a table of key = action, found string",
                r#"keys.nowhere: unknown context "nowhere" (known: global, list, topics, details, tail, record, compose, feed)"#,
                r#"keys.tail."J": unknown action "dwn""#,
                r#"keys.tail."K": expected an action name or "none", found integer"#,
                r#"keys.tail."hyper-x": unknown key "hyper-x""#,
            ]
        );
        // The good entry still applies.
        assert_eq!(
            map.lookup(&[Context::Tail], Key::parse("L").unwrap()),
            Some(Action::Top)
        );
        assert_eq!(map.lookup(&[Context::Tail], Key::parse("J").unwrap()), None);
    }

    #[test]
    fn context_names_match_the_file_and_none_is_not_an_action() {
        for context in Context::ALL {
            assert_eq!(parse_name::<Context>(context.name()), Some(context));
        }
        assert_eq!(parse_name::<Action>("force_quit"), Some(Action::ForceQuit));
        assert_eq!(parse_name::<Action>("none"), None);
    }

    #[test]
    fn keys_render_for_help() {
        assert_eq!(Key::parse("ctrl-c").unwrap().to_string(), "Ctrl-C");
        assert_eq!(Key::parse("pagedown").unwrap().to_string(), "PgDn");
        assert_eq!(Key::parse("f5").unwrap().code, KeyCode::F(5));
    }
}
