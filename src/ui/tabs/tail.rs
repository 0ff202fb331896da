//! The Tail tab. The live consumer arrives with its own issue; until then the tab
//! records which topic was chosen (Enter on Topics, or `--topic`) and says so plainly.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::text::escape_control;
use crate::ui::theme;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TailTab {
    /// The topic chosen for tailing.
    pub topic: Option<String>,
}

impl Widget for &TailTab {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = Block::bordered()
            .border_style(theme::border(true))
            .title(" Tail ")
            .title_style(theme::title());
        let lines = match &self.topic {
            Some(topic) => vec![
                Line::from(vec![
                    Span::raw("Topic: "),
                    Span::styled(escape_control(topic).into_owned(), theme::title()),
                ]),
                Line::raw(""),
                Line::styled(
                    "Live tailing is not part of this build yet: this tab only records the topic you chose.",
                    theme::warn(),
                ),
            ],
            None => vec![
                Line::raw("No topic chosen."),
                Line::raw(""),
                Line::styled(
                    "Pick one in Topics (1) and press Enter, or start ktui with --topic NAME.",
                    theme::dim(),
                ),
            ],
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(area, buf);
    }
}
