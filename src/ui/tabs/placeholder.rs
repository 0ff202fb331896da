//! Tabs whose features are not in this build yet say so, instead of pretending.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::ui::theme;

pub struct NotYet {
    pub title: &'static str,
    pub what: &'static str,
}

impl Widget for NotYet {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Paragraph::new(vec![
            Line::raw(self.what),
            Line::raw(""),
            Line::styled("Not part of this build yet.", theme::warn()),
        ])
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .border_style(theme::border(true))
                .title(format!(" {} ", self.title))
                .title_style(theme::title()),
        )
        .render(area, buf);
    }
}
