//! A single-line text field: its state (value and cursor) and how it draws.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::text::escape_control;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    /// Cursor position in chars.
    cursor: usize,
}

impl TextInput {
    pub fn with_value(value: impl Into<String>) -> Self {
        let value = value.into();
        let cursor = value.chars().count();
        Self { value, cursor }
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    fn byte_index(&self, char_index: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_index)
            .map_or(self.value.len(), |(i, _)| i)
    }

    pub fn insert_str(&mut self, text: &str) {
        // One line only: pasted newlines become spaces.
        for c in text.chars() {
            let c = if c == '\n' || c == '\r' { ' ' } else { c };
            let at = self.byte_index(self.cursor);
            self.value.insert(at, c);
            self.cursor += 1;
        }
    }

    /// Applies an editing key; returns whether the key was used.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_index(self.cursor);
                self.value.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.value.chars().count(),
            KeyCode::Char('w') if ctrl => {
                let end = self.byte_index(self.cursor);
                let trimmed = self.value[..end].trim_end();
                let start = trimmed.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                self.cursor -= self.value[start..end].chars().count();
                self.value.replace_range(start..end, "");
            }
            KeyCode::Char(c) if !ctrl => {
                let mut buf = [0u8; 4];
                self.insert_str(c.encode_utf8(&mut buf));
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_index(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Delete if self.cursor < self.value.chars().count() => {
                let at = self.byte_index(self.cursor);
                self.value.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.value.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.value.chars().count(),
            KeyCode::Backspace | KeyCode::Delete => {}
            _ => return false,
        }
        true
    }

    /// The field as a line; when focused, the cursor is a reversed cell.
    pub fn line(&self, focused: bool, style: Style) -> Line<'static> {
        let safe = |s: &str| escape_control(s).into_owned();
        if !focused {
            return Line::from(Span::styled(safe(&self.value), style));
        }
        let at = self.byte_index(self.cursor);
        let (before, rest) = self.value.split_at(at);
        let mut chars = rest.chars();
        let under = chars
            .next()
            .map_or_else(|| " ".to_string(), |c| safe(&c.to_string()));
        let after = chars.as_str();
        Line::from(vec![
            Span::styled(safe(before), style),
            Span::styled(under, style.add_modifier(Modifier::REVERSED)),
            Span::styled(safe(after), style),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut TextInput, code: KeyCode) {
        input.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut input = TextInput::default();
        for c in "héllo".chars() {
            press(&mut input, KeyCode::Char(c));
        }
        press(&mut input, KeyCode::Left);
        press(&mut input, KeyCode::Left);
        press(&mut input, KeyCode::Backspace);
        assert_eq!(input.value(), "hélo");
        press(&mut input, KeyCode::Char('L'));
        assert_eq!(input.value(), "héLlo");
        press(&mut input, KeyCode::Home);
        press(&mut input, KeyCode::Delete);
        assert_eq!(input.value(), "éLlo");
        input.handle_key(&KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
        input.handle_key(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(input.value(), "");
    }

    #[test]
    fn paste_stays_on_one_line() {
        let mut input = TextInput::with_value("a");
        input.insert_str("b\nc");
        assert_eq!(input.value(), "ab c");
    }
}
