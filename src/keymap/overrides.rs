//! The user's key overrides (`[keys.CONTEXT]` in config.toml), merged over the embedded
//! keymap. Bad entries become warnings; the rest applies.

use serde::Deserialize;
use serde::de::IntoDeserializer as _;

use super::{Binding, Context, Key, Keymap};
use crate::action::Action;

impl Keymap {
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
                r#"keys.nowhere: unknown context "nowhere" (known: global, list, topics, details, filter, form, confirm, tail, tail_paused, tail_searching, record, compose, compose_form, history, feed, rules, groups, group_details, group_reset, group_confirm, brokers, broker_details, schemas, schema_details, help, clusters)"#,
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
}
