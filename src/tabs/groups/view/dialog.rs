//! The Groups tab's dialogs drawn over the body: the reset form, its preview with the
//! typed confirmation, and the delete confirmations.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::kafka::groups::{ResetPlan, ResetScope};
use crate::tabs::groups::dialog::{DeleteDialog, DeleteWhat, ResetField, Status};
use crate::tabs::groups::{Dialog, GroupsTab, ResetDialog};
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::{centered, form_field, popup, spinner, thousands};

/// Preview rows shown at most (the rest are counted).
const PREVIEW_ROWS: usize = 12;

/// Draws the open dialog, if any, over `area`.
pub fn render_dialog(
    frame: &mut Frame,
    tab: &GroupsTab,
    area: Rect,
    ticks: u64,
    palette: &Palette,
) {
    let (title, lines) = match &tab.dialog {
        Some(Dialog::Reset(reset)) if reset.preview.is_some() => (
            format!("Reset offsets of {}: preview", escape_control(&reset.group)),
            preview_lines(reset, ticks, palette),
        ),
        Some(Dialog::Reset(reset)) => (
            format!("Reset offsets of {}", escape_control(&reset.group)),
            form_lines(reset, ticks, palette),
        ),
        Some(Dialog::Delete(delete)) => (
            match delete.what {
                DeleteWhat::Group => format!("Delete group {}", escape_control(&delete.group)),
                DeleteWhat::Offsets { .. } => {
                    format!("Delete offsets of {}", escape_control(&delete.group))
                }
            },
            delete_lines(delete, ticks, palette),
        ),
        None => return,
    };
    let width = 84.min(area.width.saturating_sub(2));
    // Wrapped lines take more rows: count them at the popup's inner width.
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let rect = centered(area, width, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    let inner = popup(frame, rect, &title, palette);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn status_lines(status: &Status, busy: &str, ticks: u64, palette: &Palette) -> Vec<Line<'static>> {
    match status {
        Status::Editing => vec![],
        Status::Invalid(problem) => vec![Line::styled(
            escape_control(problem).into_owned(),
            palette.error(),
        )],
        Status::Sending(_) => vec![Line::styled(
            format!("{} {busy}", spinner(ticks)),
            palette.warn(),
        )],
        Status::Refused(reason) => vec![Line::styled(
            format!("Refused: {}", escape_control(reason)),
            palette.error(),
        )],
    }
}

fn form_lines(reset: &ResetDialog, ticks: u64, palette: &Palette) -> Vec<Line<'static>> {
    let label = |text: &str, focused: bool| {
        Span::styled(
            format!("{text:>6}: "),
            if focused {
                palette.key()
            } else {
                palette.dim()
            },
        )
    };
    let mode_focused = reset.focus == ResetField::Mode;
    let mut lines = vec![Line::from(vec![
        label("Mode", mode_focused),
        Span::styled(
            format!("‹ {} ›", reset.mode.title()),
            if mode_focused {
                palette.selected()
            } else {
                Style::new()
            },
        ),
        Span::styled("  ←/→ change", palette.dim()),
    ])];
    match reset.mode.value_hint() {
        Some(hint) => {
            lines.push(form_field(
                "Value",
                6,
                &reset.value,
                reset.focus == ResetField::Value,
                palette,
            ));
            lines.push(Line::styled(format!("        {hint}"), palette.dim()));
        }
        None => lines.push(Line::from(vec![
            label("Value", false),
            Span::styled(
                format!("(none needed for {})", reset.mode.title()),
                palette.dim(),
            ),
        ])),
    }
    lines.push(form_field(
        "Scope",
        6,
        &reset.scope,
        reset.focus == ResetField::Scope,
        palette,
    ));
    lines.push(Line::styled(
        "        empty: all its topics · TOPIC · TOPIC:0,1 · several separated by spaces",
        palette.dim(),
    ));
    lines.push(Line::raw(""));
    lines.extend(status_lines(
        &reset.status,
        "planning (nothing is written yet)…",
        ticks,
        palette,
    ));
    lines.push(Line::styled(
        "Enter preview · Tab next field · Esc close (keeps what you typed)",
        palette.dim(),
    ));
    lines
}

fn scope_text(scope: &ResetScope) -> String {
    match scope {
        ResetScope::AllTopics => "all topics".into(),
        ResetScope::Topics(selectors) => selectors
            .iter()
            .map(|s| escape_control(&s.to_string()).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn signed(n: i64) -> String {
    let magnitude = thousands(n.unsigned_abs());
    match n {
        0 => "0".into(),
        n if n > 0 => format!("+{magnitude}"),
        _ => format!("-{magnitude}"),
    }
}

fn plan_lines(plan: &ResetPlan, palette: &Palette) -> Vec<Line<'static>> {
    let offset = |o: Option<i64>| o.map_or_else(|| "—".into(), |o| o.to_string());
    let mut lines = vec![
        Line::from(vec![
            Span::raw(escape_control(&plan.request.to.to_string()).into_owned()),
            Span::styled(" · ", palette.dim()),
            Span::raw(scope_text(&plan.request.scope)),
            Span::styled(" · group state ", palette.dim()),
            Span::raw(escape_control(&plan.state).into_owned()),
        ]),
        Line::styled(
            format!(
                "{:<24} {:>4} {:>12} {:>12} {:>12}",
                "TOPIC", "PART", "CURRENT", "NEW", "LAG CHANGE"
            ),
            palette.header(),
        ),
    ];
    for row in plan.rows.iter().take(PREVIEW_ROWS) {
        let change = row.lag_change().map_or_else(|| "—".into(), signed);
        let mut topic = escape_control(&row.topic).into_owned();
        if topic.chars().count() > 24 {
            topic = topic.chars().take(23).chain(['…']).collect();
        }
        lines.push(Line::raw(format!(
            "{topic:<24} {:>4} {:>12} {:>12} {change:>12}",
            row.partition,
            offset(row.current),
            row.new,
        )));
    }
    if plan.rows.len() > PREVIEW_ROWS {
        lines.push(Line::styled(
            format!("… and {} more partitions", plan.rows.len() - PREVIEW_ROWS),
            palette.dim(),
        ));
    }
    if plan.rows.is_empty() {
        lines.push(Line::styled(
            "No partition to move: nothing would change.",
            palette.dim(),
        ));
    }
    let total: i64 = plan
        .rows
        .iter()
        .filter_map(crate::kafka::groups::PlanRow::lag_change)
        .sum();
    lines.push(Line::styled(
        format!(
            "{} partition{}; lag changes by {} in total (+ re-reads, - skips)",
            plan.rows.len(),
            if plan.rows.len() == 1 { "" } else { "s" },
            signed(total)
        ),
        palette.dim(),
    ));
    for note in &plan.notes {
        lines.push(Line::styled(
            format!("note: {}", escape_control(note)),
            palette.warn(),
        ));
    }
    lines
}

fn preview_lines(reset: &ResetDialog, ticks: u64, palette: &Palette) -> Vec<Line<'static>> {
    let Some(plan) = &reset.preview else {
        return Vec::new();
    };
    let mut lines = plan_lines(plan, palette);
    lines.push(Line::raw(""));
    lines.push(Line::raw(
        "Nothing is written until you apply. Type the group's name to apply:",
    ));
    let mut field = vec![Span::styled("> ", palette.key())];
    field.extend(reset.confirm.line(true, Style::new()).spans);
    lines.push(Line::from(field));
    lines.extend(status_lines(&reset.status, "applying…", ticks, palette));
    lines.push(Line::styled(
        "Enter apply · Esc back to the form",
        palette.dim(),
    ));
    lines
}

fn delete_lines(delete: &DeleteDialog, ticks: u64, palette: &Palette) -> Vec<Line<'static>> {
    let name = Span::styled(
        escape_control(&delete.group).into_owned(),
        palette.error().bold(),
    );
    let mut lines = match &delete.what {
        DeleteWhat::Group => vec![Line::from(vec![
            Span::raw("Delete group "),
            name,
            Span::raw(" and all its committed offsets? This cannot be undone."),
        ])],
        DeleteWhat::Offsets { topic } => vec![
            Line::from(vec![
                Span::raw("Delete "),
                name,
                Span::raw("'s committed offsets for every partition of a topic?"),
            ]),
            form_field("Topic", 5, topic, delete.topic_focused, palette),
        ],
    };
    lines.push(Line::raw("Type the group's name to confirm:"));
    let mut field = vec![Span::styled("> ", palette.key())];
    field.extend(
        delete
            .confirm
            .line(!delete.topic_focused, Style::new())
            .spans,
    );
    lines.push(Line::from(field));
    lines.push(Line::raw(""));
    lines.extend(status_lines(&delete.status, "deleting…", ticks, palette));
    lines.push(Line::styled(
        match delete.what {
            DeleteWhat::Group => "Enter delete · Esc cancel",
            DeleteWhat::Offsets { .. } => "Enter delete · Tab topic / name · Esc cancel",
        },
        palette.dim(),
    ));
    lines
}
