//! The help overlay's keys (the keymap's `help` context): scrolling and closing.

use super::App;
use crate::action::Action;
use crate::widgets::help;

impl App {
    pub(super) fn help_action(&mut self, action: Action) {
        let max = help::max_scroll(&self.keymap, self.size);
        let page = help::page(self.size);
        let scroll = self.help_scroll.min(max);
        self.help_scroll = match action {
            Action::Close => {
                self.help_open = false;
                0
            }
            Action::Up => scroll.saturating_sub(1),
            Action::Down => (scroll + 1).min(max),
            Action::PageUp => scroll.saturating_sub(page),
            Action::PageDown => (scroll + page).min(max),
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll,
        };
    }
}
