//! A list pane over something loaded from the cluster or a registry (Brokers, Schemas):
//! a bordered block titled with what is shown, a bottom line for a failed refresh or a
//! warning, and the loading and failed states in words until the list is there.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::loadable::Loadable;
use crate::text::escape_control;
use crate::theme::Palette;

/// What a list pane says about itself.
pub struct ListPane<'a> {
    /// The title once loaded (the plain title before).
    pub title: Option<String>,
    pub plain_title: &'static str,
    /// A failed refresh (in red) while the older list is shown.
    pub refresh_error: Option<&'a str>,
    /// Else a warning (in yellow) on the bottom line.
    pub warning: Option<&'a str>,
    /// While loading: what is being asked (after the spinner).
    pub loading: String,
    /// When it failed: what could not be done (before the reason).
    pub failed: &'static str,
    pub focused: bool,
}

impl ListPane<'_> {
    /// Draws the pane's block and, until `state` is loaded, its state in words. Returns
    /// the inside and what was loaded, for the caller's table.
    pub fn render<'s, T>(
        self,
        state: &'s Loadable<T>,
        spinner: &str,
        palette: &Palette,
        area: Rect,
        buf: &mut Buffer,
    ) -> Option<(Rect, &'s T)> {
        let mut block = Block::bordered()
            .border_style(palette.border(self.focused))
            .title_style(palette.title())
            .title(
                self.title
                    .unwrap_or_else(|| format!(" {} ", self.plain_title)),
            );
        if let Some(error) = self.refresh_error {
            block = block.title_bottom(Line::styled(
                format!(" refresh failed: {} ", escape_control(error)),
                palette.error(),
            ));
        } else if let Some(warning) = self.warning {
            block = block.title_bottom(Line::styled(
                format!(" {} ", escape_control(warning)),
                palette.warn(),
            ));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        match state {
            Loadable::Idle | Loadable::Loading => {
                Paragraph::new(Line::styled(
                    format!("{spinner} {}", self.loading),
                    palette.warn(),
                ))
                .render(inner, buf);
                None
            }
            Loadable::Failed(reason) => {
                Paragraph::new(Line::styled(
                    format!("{}: {}", self.failed, escape_control(reason)),
                    palette.error(),
                ))
                .wrap(Wrap { trim: false })
                .render(inner, buf);
                None
            }
            Loadable::Loaded(loaded) => Some((inner, loaded)),
        }
    }
}

/// A list row's style: the selected row, brighter when the list has the focus.
pub fn row_style(selected: bool, focused: bool, palette: &Palette) -> Style {
    match (selected, focused) {
        (false, _) => Style::new(),
        (true, true) => palette.selected(),
        (true, false) => palette.selected_unfocused(),
    }
}
