//! The `?` help overlay: every context's keys, scrolled by the keys of the keymap's `help`
//! context, with the visible range shown on its bottom border.

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
};
use unicode_width::UnicodeWidthStr;

use super::centered;
use crate::keymap::Keymap;
use crate::theme::Palette;

/// The popup's title (end-to-end tests wait for it).
pub const TITLE: &str = "Keys (Esc closes)";
/// The key column's width, indent included.
const KEY_COLUMN: usize = 20;

/// Where the overlay sits in the body, and its inner (text) area.
fn areas(body: Rect) -> (Rect, Rect) {
    let rect = centered(
        body,
        body.width.saturating_sub(4).clamp(40, 84),
        body.height.saturating_sub(2).max(10),
    );
    (rect, rect.inner(Margin::new(1, 1)))
}

/// The lines of the overlay for this text width: each context's title, then its bindings,
/// descriptions wrapped under their own column.
pub fn lines(keymap: &Keymap, width: u16, palette: &Palette) -> Vec<Line<'static>> {
    let width = usize::from(width).max(1);
    let desc_width = width.saturating_sub(KEY_COLUMN).max(10);
    let mut lines = Vec::new();
    for (context, bindings) in keymap.contexts.iter().rev() {
        if bindings.is_empty() {
            continue;
        }
        for part in wrap(context.title(), width) {
            lines.push(Line::styled(part, palette.header()));
        }
        for binding in bindings {
            let label = binding.keys_label();
            let mut desc = wrap(&binding.desc, desc_width).into_iter();
            let keys = format!("  {label:<w$}", w = KEY_COLUMN - 2);
            if keys.width() > KEY_COLUMN {
                // A long key list gets its own line; the description starts below it.
                lines.push(Line::styled(keys, palette.key()));
            } else {
                let first = desc.next().unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::styled(keys, palette.key()),
                    Span::raw(first),
                ]));
            }
            for rest in desc {
                lines.push(Line::raw(format!("{:KEY_COLUMN$}{rest}", "")));
            }
        }
        lines.push(Line::raw(""));
    }
    lines.pop();
    lines
}

/// How far the help can scroll in a terminal of `size`: the lines that do not fit.
pub fn max_scroll(keymap: &Keymap, size: (u16, u16)) -> usize {
    let body = crate::layout::body_area(Rect::new(0, 0, size.0, size.1));
    let (_, inner) = areas(body);
    // The styles do not change how many lines there are; any palette counts the same.
    lines(keymap, inner.width, &Palette::default())
        .len()
        .saturating_sub(usize::from(inner.height))
}

/// The lines one page moves in a terminal of `size`.
pub fn page(size: (u16, u16)) -> usize {
    let body = crate::layout::body_area(Rect::new(0, 0, size.0, size.1));
    usize::from(areas(body).1.height.saturating_sub(1)).max(1)
}

/// Draws the overlay over `body`, scrolled to line `scroll`.
pub fn render(frame: &mut Frame, body: Rect, keymap: &Keymap, scroll: usize, palette: &Palette) {
    let (rect, inner) = areas(body);
    let all = lines(keymap, inner.width, palette);
    let total = all.len();
    let height = usize::from(inner.height);
    let top = scroll.min(total.saturating_sub(height));
    let last = (top + height).min(total);
    let position = if total <= height {
        format!(" all {total} lines ")
    } else {
        let up = if top > 0 { "↑ more · " } else { "" };
        let down = if last < total { " · ↓ more" } else { "" };
        format!(" {up}lines {}–{last} of {total}{down} ", top + 1)
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(palette.border(true))
            .title(format!(" {TITLE} "))
            .title_style(palette.title())
            .title_bottom(Line::styled(position, palette.dim()).right_aligned()),
        rect,
    );
    let visible: Vec<Line> = all.into_iter().skip(top).take(height).collect();
    frame.render_widget(Paragraph::new(visible), inner);
    if total > height {
        let mut state = ScrollbarState::new(total.saturating_sub(height) + 1).position(top);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .style(palette.dim()),
            rect.inner(Margin::new(0, 1)),
            &mut state,
        );
    }
}

/// Greedy word wrap to `width` columns; a word wider than a line is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if needed > width && !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if line.width() + w > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_on_words_and_cuts_long_ones() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
