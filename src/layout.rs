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

/// A list and the selected item's details: side by side from 100 columns (the list taking
/// `share.0` percent of the width), else the list above (taking `share.1` percent of the
/// height).
pub fn list_and_details(body: Rect, share: (u16, u16)) -> (Rect, Rect) {
    let parts = |percent: u16| {
        [
            Constraint::Percentage(percent),
            Constraint::Percentage(100 - percent.min(100)),
        ]
    };
    let [list, details] = if body.width >= 100 {
        Layout::horizontal(parts(share.0)).areas(body)
    } else {
        Layout::vertical(parts(share.1)).areas(body)
    };
    (list, details)
}

/// Rows a list drawn by [`list_and_details`] shows at this terminal size (its borders and
/// header row taken off).
pub fn list_rows(size: (u16, u16), share: (u16, u16)) -> usize {
    let body = body_area(Rect::new(0, 0, size.0, size.1));
    let (list, _) = list_and_details(body, share);
    usize::from(list.height.saturating_sub(3))
}
