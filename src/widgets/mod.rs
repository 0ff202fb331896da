//! Reusable, stateless drawing helpers (plus the text field's small state).

pub mod help;
pub mod list_pane;
pub mod payload;
pub mod text_input;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::widgets::{Block, BorderType, Clear};

use crate::theme::Palette;

/// A rectangle of at most `width` × `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Clears `area` and draws a popup frame titled `title`; returns the inner area.
pub fn popup(frame: &mut Frame, area: Rect, title: &str, palette: &Palette) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(palette.border(true))
        .title(format!(" {title} "))
        .title_style(palette.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// `1234567` → `1,234,567`.
/// One field of a form: its label right-aligned to `width`, highlighted when focused,
/// then the input as typed.
pub fn form_field(
    label: &str,
    width: usize,
    input: &text_input::TextInput,
    focused: bool,
    palette: &Palette,
) -> ratatui::text::Line<'static> {
    let label_style = if focused {
        palette.key()
    } else {
        palette.dim()
    };
    let mut spans = vec![ratatui::text::Span::styled(
        format!("{label:>width$}: "),
        label_style,
    )];
    spans.extend(input.line(focused, ratatui::style::Style::new()).spans);
    ratatui::text::Line::from(spans)
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A spinner frame for tick `n`.
pub fn spinner(n: u64) -> &'static str {
    const FRAMES: [&str; 4] = ["◐", "◓", "◑", "◒"];
    FRAMES[(n % 4) as usize]
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
