//! Colours and styles in one place. `App` holds the [`Palette`] chosen at start-up;
//! `ui::render` hands it to every view and widget it draws, which ask it for their styles
//! (`palette.dim()`, `palette.border(focused)`, …). There is no global palette.

use std::ffi::OsString;

use ratatui::style::{Color, Modifier, Style};

/// The dark theme's accent colour. Prefer [`Palette::accent()`], which follows the theme.
pub const ACCENT: Color = Color::Cyan;
/// The dark theme's "all is well" colour. Prefer [`Palette::ok()`], which follows the theme.
pub const OK: Color = Color::Green;
/// The dark theme's warning colour. Prefer [`Palette::warn()`], which follows the theme.
pub const WARN: Color = Color::Yellow;
/// The dark theme's error colour. Prefer [`Palette::error()`], which follows the theme.
pub const ERROR: Color = Color::Red;

/// The themes a user can pick in `config.toml` (`theme = "light"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

/// Every style the UI draws with. Each field is a whole `Style` (colours and modifiers), so a
/// theme without colours can still tell things apart with bold, reverse video and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Titles of panes and popups.
    pub title: Style,
    /// Table headers and help sections.
    pub header: Style,
    /// The selected row of the list that has the keyboard.
    pub selected: Style,
    /// The selected row of a list that does not have the keyboard.
    pub selected_unfocused: Style,
    /// Secondary text.
    pub dim: Style,
    /// Key names in the hint bar and the help overlay.
    pub key: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    /// The border of the pane that has the keyboard.
    pub border_focused: Style,
    /// Every other border.
    pub border: Style,
    /// The accent colour on its own: sparklines, banners.
    pub accent: Style,
    pub toast_info: Style,
    pub toast_warn: Style,
    pub toast_error: Style,
    pub json_key: Style,
    pub json_string: Style,
    pub json_number: Style,
    pub json_literal: Style,
}

impl Palette {
    /// For dark backgrounds: the colours ktui has always had.
    pub const fn dark() -> Self {
        Self {
            title: Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
            header: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
            selected: Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
            selected_unfocused: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
            ok: Style::new().fg(OK),
            warn: Style::new().fg(WARN),
            error: Style::new().fg(ERROR),
            border_focused: Style::new().fg(ACCENT),
            border: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(ACCENT),
            toast_info: Style::new().fg(Color::Black).bg(OK),
            toast_warn: Style::new().fg(Color::Black).bg(WARN),
            toast_error: Style::new().fg(Color::White).bg(ERROR),
            json_key: Style::new().fg(Color::Cyan),
            json_string: Style::new().fg(Color::Green),
            json_number: Style::new().fg(Color::Yellow),
            json_literal: Style::new().fg(Color::Magenta),
        }
    }

    /// For light backgrounds: no yellow, cyan or light colours as text on white.
    pub const fn light() -> Self {
        Self {
            title: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            header: Style::new().add_modifier(Modifier::BOLD.union(Modifier::UNDERLINED)),
            selected: Style::new().bg(Color::Gray).add_modifier(Modifier::BOLD),
            selected_unfocused: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Magenta),
            error: Style::new().fg(Color::Red),
            border_focused: Style::new().fg(Color::Blue),
            border: Style::new().fg(Color::DarkGray),
            accent: Style::new().fg(Color::Blue),
            // Text on its own background reads the same on any terminal background.
            toast_info: Style::new().fg(Color::Black).bg(Color::Green),
            toast_warn: Style::new().fg(Color::Black).bg(Color::Yellow),
            toast_error: Style::new().fg(Color::White).bg(Color::Red),
            json_key: Style::new().fg(Color::Blue),
            json_string: Style::new().fg(Color::Green),
            json_number: Style::new().fg(Color::Magenta),
            json_literal: Style::new().fg(Color::Red),
        }
    }

    /// For `NO_COLOR` (<https://no-color.org>): no colour at all; selection, keys, warnings
    /// and errors stand out by reverse video, bold, underline and dim only.
    pub const fn mono() -> Self {
        const fn with(modifier: Modifier) -> Style {
            Style::new().add_modifier(modifier)
        }
        let plain = Style::new();
        Self {
            title: with(Modifier::BOLD),
            header: with(Modifier::BOLD.union(Modifier::UNDERLINED)),
            selected: with(Modifier::REVERSED.union(Modifier::BOLD)),
            selected_unfocused: with(Modifier::UNDERLINED),
            dim: with(Modifier::DIM),
            key: with(Modifier::BOLD),
            ok: plain,
            warn: with(Modifier::BOLD),
            error: with(Modifier::BOLD.union(Modifier::UNDERLINED)),
            border_focused: plain,
            border: with(Modifier::DIM),
            accent: plain,
            toast_info: with(Modifier::REVERSED),
            toast_warn: with(Modifier::REVERSED.union(Modifier::BOLD)),
            toast_error: with(
                Modifier::REVERSED
                    .union(Modifier::BOLD)
                    .union(Modifier::UNDERLINED),
            ),
            json_key: with(Modifier::BOLD),
            json_string: plain,
            json_number: plain,
            json_literal: plain,
        }
    }

    /// The palette for the configured theme; `no_color` (see [`no_color_requested`]) wins.
    pub const fn choose(name: ThemeName, no_color: bool) -> Self {
        match (name, no_color) {
            (_, true) => Self::mono(),
            (ThemeName::Dark, false) => Self::dark(),
            (ThemeName::Light, false) => Self::light(),
        }
    }
}

/// The styles drawing code asks for: `palette.dim()`, `palette.border(focused)`, … Every
/// view receives the palette it draws with; nothing reads a global.
impl Palette {
    /// Titles of panes and popups.
    pub const fn title(&self) -> Style {
        self.title
    }

    /// Table headers and help sections.
    pub const fn header(&self) -> Style {
        self.header
    }

    /// The selected row of the list that has the keyboard.
    pub const fn selected(&self) -> Style {
        self.selected
    }

    /// The selected row of a list that does not have the keyboard.
    pub const fn selected_unfocused(&self) -> Style {
        self.selected_unfocused
    }

    /// Secondary text.
    pub const fn dim(&self) -> Style {
        self.dim
    }

    /// Key names in the hint bar and the help overlay.
    pub const fn key(&self) -> Style {
        self.key
    }

    pub const fn ok(&self) -> Style {
        self.ok
    }

    pub const fn warn(&self) -> Style {
        self.warn
    }

    pub const fn error(&self) -> Style {
        self.error
    }

    /// The border of a pane: the focused one stands out.
    pub const fn border(&self, focused: bool) -> Style {
        if focused {
            self.border_focused
        } else {
            self.border
        }
    }

    /// The accent colour as a style: sparklines, the demo banner (with `REVERSED`).
    pub const fn accent(&self) -> Style {
        self.accent
    }

    pub const fn toast_info(&self) -> Style {
        self.toast_info
    }

    pub const fn toast_warn(&self) -> Style {
        self.toast_warn
    }

    pub const fn toast_error(&self) -> Style {
        self.toast_error
    }

    pub const fn json_key(&self) -> Style {
        self.json_key
    }

    pub const fn json_string(&self) -> Style {
        self.json_string
    }

    pub const fn json_number(&self) -> Style {
        self.json_number
    }

    pub const fn json_literal(&self) -> Style {
        self.json_literal
    }
}

impl Default for Palette {
    fn default() -> Self {
        Self::dark()
    }
}

/// Whether the user asked for no colours: `NO_COLOR` set to anything but the empty string
/// (<https://no-color.org>).
pub fn no_color_requested() -> bool {
    no_color_in(std::env::var_os("NO_COLOR"))
}

fn no_color_in(value: Option<OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every style of the palette, by name. Destructured without `..`, so a new field
    /// does not compile until it is listed here (and so checked by the tests below).
    fn styles(palette: &Palette) -> Vec<(&'static str, Style)> {
        let Palette {
            title,
            header,
            selected,
            selected_unfocused,
            dim,
            key,
            ok,
            warn,
            error,
            border_focused,
            border,
            accent,
            toast_info,
            toast_warn,
            toast_error,
            json_key,
            json_string,
            json_number,
            json_literal,
        } = *palette;
        vec![
            ("title", title),
            ("header", header),
            ("selected", selected),
            ("selected_unfocused", selected_unfocused),
            ("dim", dim),
            ("key", key),
            ("ok", ok),
            ("warn", warn),
            ("error", error),
            ("border_focused", border_focused),
            ("border", border),
            ("accent", accent),
            ("toast_info", toast_info),
            ("toast_warn", toast_warn),
            ("toast_error", toast_error),
            ("json_key", json_key),
            ("json_string", json_string),
            ("json_number", json_number),
            ("json_literal", json_literal),
        ]
    }

    #[test]
    fn mono_has_no_colour_anywhere() {
        for (name, style) in styles(&Palette::mono()) {
            // Equal to a fresh style with only its modifiers: no fg, bg or underline colour.
            let modifiers_only = Style::new()
                .add_modifier(style.add_modifier)
                .remove_modifier(style.sub_modifier);
            assert_eq!(style, modifiers_only, "{name} has a colour");
        }
        let mono = Palette::mono();
        // The things that must stand out still do, and differ from each other.
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
        assert_ne!(mono.selected, mono.selected_unfocused);
        assert!(mono.key.add_modifier.contains(Modifier::BOLD));
        assert!(!mono.error.add_modifier.is_empty());
        assert_ne!(mono.error, mono.warn);
        assert!(mono.dim.add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn dark_keeps_the_old_colours() {
        let dark = Palette::dark();
        let bold = Modifier::BOLD;
        assert_eq!(dark.title, Style::new().fg(Color::Cyan).add_modifier(bold));
        assert_eq!(
            dark.header,
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        );
        assert_eq!(
            dark.selected,
            Style::new().bg(Color::DarkGray).add_modifier(bold)
        );
        assert_eq!(
            dark.selected_unfocused,
            Style::new().add_modifier(Modifier::REVERSED)
        );
        assert_eq!(dark.dim, Style::new().fg(Color::DarkGray));
        assert_eq!(dark.key, Style::new().fg(Color::Cyan).add_modifier(bold));
        assert_eq!(dark.ok, Style::new().fg(Color::Green));
        assert_eq!(dark.warn, Style::new().fg(Color::Yellow));
        assert_eq!(dark.error, Style::new().fg(Color::Red));
        assert_eq!(dark.border_focused, Style::new().fg(Color::Cyan));
        assert_eq!(dark.border, Style::new().fg(Color::DarkGray));
        assert_eq!(dark.accent, Style::new().fg(ACCENT));
        assert_eq!(dark.toast_info, Style::new().fg(Color::Black).bg(OK));
        assert_eq!(dark.toast_warn, Style::new().fg(Color::Black).bg(WARN));
        assert_eq!(dark.toast_error, Style::new().fg(Color::White).bg(ERROR));
        assert_eq!(dark.json_key, Style::new().fg(Color::Cyan));
        assert_eq!(dark.json_string, Style::new().fg(Color::Green));
        assert_eq!(dark.json_number, Style::new().fg(Color::Yellow));
        assert_eq!(dark.json_literal, Style::new().fg(Color::Magenta));
        assert_eq!(Palette::default(), dark);
    }

    #[test]
    fn light_avoids_colours_that_vanish_on_white() {
        let hard_to_read = [
            Color::Yellow,
            Color::Cyan,
            Color::White,
            Color::Gray,
            Color::LightYellow,
            Color::LightCyan,
            Color::LightGreen,
        ];
        for (name, style) in styles(&Palette::light()) {
            // Toasts bring their own background.
            if name.starts_with("toast_") {
                continue;
            }
            if let Some(fg) = style.fg {
                assert!(!hard_to_read.contains(&fg), "{name} uses {fg:?} as text");
            }
        }
    }

    #[test]
    fn choose_picks_the_theme_and_no_color_wins() {
        assert_eq!(Palette::choose(ThemeName::Dark, false), Palette::dark());
        assert_eq!(Palette::choose(ThemeName::Light, false), Palette::light());
        assert_eq!(Palette::choose(ThemeName::Light, true), Palette::mono());
        assert_eq!(ThemeName::default(), ThemeName::Dark);
        let parsed: ThemeName = toml::Value::String("light".into()).try_into().unwrap();
        assert_eq!(parsed, ThemeName::Light);
    }

    #[test]
    fn the_methods_read_their_own_palette() {
        for palette in [Palette::dark(), Palette::light(), Palette::mono()] {
            assert_eq!(palette.error(), palette.error);
            assert_eq!(palette.accent(), palette.accent);
            assert_eq!(palette.json_literal(), palette.json_literal);
            assert_eq!(palette.border(true), palette.border_focused);
            assert_eq!(palette.border(false), palette.border);
        }
    }

    #[test]
    fn no_color_means_set_and_not_empty() {
        assert!(!no_color_in(None));
        assert!(!no_color_in(Some(OsString::new())));
        assert!(no_color_in(Some("1".into())));
        assert!(no_color_in(Some("0".into())));
    }
}
