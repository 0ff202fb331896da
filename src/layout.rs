//! The frame's layout maths, shared by the frame (`ui`) and the tabs' scrolling (a tab
//! needs its body's height to page and keep the cursor in view).

use ratatui::layout::{Constraint, Layout, Rect};

/// The frame's rows: the tab bar, the body, the status bar and the hint bar.
pub fn frame_areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The body's area for a terminal of this size (the scrolling math in `App` uses it).
pub fn body_area(area: Rect) -> Rect {
    frame_areas(area)[1]
}
