//! Drawing the Schemas tab: the registry's subjects (and the topic each belongs to), and
//! the selected subject's version: type, id, compatibility, references, schema text.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::{Focus, SchemasTab, topic_of};
use crate::loadable::Loadable;
use crate::schema::SubjectDetail;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::list_pane::{ListPane, row_style};
use crate::widgets::payload::{is_json, json_line, truncate};
use crate::widgets::spinner;

/// The list beside the details (wide) or above them.
fn split(body: Rect) -> (Rect, Rect) {
    crate::layout::list_and_details(body, LIST_SHARE)
}

/// The share of the body the list takes: of the width when wide, of the height when not.
const LIST_SHARE: (u16, u16) = (40, 40);

/// Rows available for subjects in the list at this terminal size.
pub fn list_rows(size: (u16, u16)) -> usize {
    crate::layout::list_rows(size, LIST_SHARE)
}

/// The Schemas tab as a widget over borrowed state.
pub struct SchemasView<'a> {
    pub tab: &'a SchemasTab,
    /// The cluster's topics (to say which topic a subject belongs to).
    pub topics: &'a [crate::kafka::model::TopicInfo],
    pub ticks: u64,
    pub palette: &'a Palette,
}

impl Widget for SchemasView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (list, details) = split(area);
        self.render_list(list, buf);
        self.render_details(details, buf);
    }
}

impl SchemasView<'_> {
    fn has_topic(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| t.name == topic)
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let focused = tab.focus == Focus::List;
        let pane = ListPane {
            title: tab.subjects.loaded().map(|list| {
                format!(
                    " Subjects {} · {} · {} ",
                    list.subjects.len(),
                    escape_control(&list.registry),
                    escape_control(&list.compatibility)
                )
            }),
            plain_title: "Subjects",
            refresh_error: tab.refresh_error.as_deref(),
            warning: None,
            loading: "asking the schema registry for its subjects…".into(),
            failed: "Could not list the subjects",
            focused,
        };
        let Some((inner, list)) =
            pane.render(&tab.subjects, spinner(self.ticks), palette, area, buf)
        else {
            return;
        };
        if list.subjects.is_empty() {
            Paragraph::new(Line::styled(
                "The registry holds no subjects.",
                palette.dim(),
            ))
            .render(inner, buf);
            return;
        }
        let rows_fit = usize::from(inner.height.saturating_sub(1)).max(1);
        let offset = crate::tabs::topics::scrolled_offset(0, tab.selected, rows_fit);
        let widths = [Constraint::Fill(3), Constraint::Fill(2)];
        // Long names are cut with `…`; a topic keeps its `(value)` or `(key)`.
        let [subject_w, topic_w] = Layout::horizontal(widths)
            .spacing(1)
            .areas::<2>(inner)
            .map(|r| usize::from(r.width));
        let rows = list
            .subjects
            .iter()
            .enumerate()
            .skip(offset)
            .take(rows_fit)
            .map(|(i, subject)| {
                let style = row_style(i == tab.selected, focused, palette);
                let topic = match topic_of(subject) {
                    Some((topic, side)) if self.has_topic(topic) => Cell::from(Span::raw(format!(
                        "{} ({side})",
                        truncate(
                            &escape_control(topic),
                            topic_w.saturating_sub(side.len() + 3)
                        )
                    ))),
                    _ => Cell::from(Span::styled("-", palette.dim())),
                };
                Row::new(vec![
                    Cell::from(truncate(&escape_control(subject), subject_w)),
                    topic,
                ])
                .style(style)
            });
        Table::new(rows, widths)
            .header(Row::new(["SUBJECT", "TOPIC"]).style(palette.header()))
            .render(inner, buf);
    }

    fn render_details(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let title = tab.selected_subject().map_or_else(
            || " Schema ".to_string(),
            |s| format!(" {} ", escape_control(s)),
        );
        let block = Block::bordered()
            .border_style(palette.border(tab.focus == Focus::Details))
            .title(title)
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = match &tab.detail {
            Loadable::Idle => return,
            Loadable::Loading => vec![Line::styled(
                format!("{} asking for the schema…", spinner(self.ticks)),
                palette.warn(),
            )],
            Loadable::Failed(reason) => vec![Line::styled(
                format!("Could not read the subject: {}", escape_control(reason)),
                palette.error(),
            )],
            Loadable::Loaded(detail) => self.detail_lines(detail),
        };
        let max_scroll = lines.len().saturating_sub(usize::from(inner.height));
        let scroll = u16::try_from(tab.details_scroll.min(max_scroll)).unwrap_or(u16::MAX);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(inner, buf);
    }

    fn detail_lines(&self, detail: &SubjectDetail) -> Vec<Line<'static>> {
        let palette = self.palette;
        let dim = palette.dim();
        let versions: Vec<String> = detail.versions.iter().map(i32::to_string).collect();
        let mut lines = vec![
            Line::from(vec![
                Span::styled("version ", dim),
                Span::raw(format!("{} of {}", detail.version, versions.join(", "))),
                Span::styled(" · id ", dim),
                Span::raw(detail.id.to_string()),
                Span::styled(" · ", dim),
                Span::styled(detail.kind.name(), palette.key()),
                Span::styled(" · compatibility ", dim),
                Span::raw(escape_control(&detail.compatibility).into_owned()),
            ]),
            Line::from(vec![
                Span::styled("topic   ", dim),
                match topic_of(&detail.subject) {
                    Some((topic, side)) if self.has_topic(topic) => {
                        Span::raw(format!("{} (its {side}s)", escape_control(topic)))
                    }
                    Some((topic, _)) => Span::styled(
                        format!("none (no topic {} on this cluster)", escape_control(topic)),
                        dim,
                    ),
                    None => Span::styled("none (not a TopicNameStrategy subject)", dim),
                },
            ]),
        ];
        for reference in &detail.references {
            lines.push(Line::from(vec![
                Span::styled("imports ", dim),
                Span::raw(format!(
                    "{} = {} v{}",
                    escape_control(&reference.name),
                    escape_control(&reference.subject),
                    reference.version
                )),
            ]));
        }
        lines.push(Line::styled("[ older version · ] newer version", dim));
        lines.push(Line::raw(""));
        if is_json(detail.text.as_bytes()) {
            lines.extend(self.tab.detail_text.lines().map(|l| json_line(l, palette)));
        } else {
            lines.extend(
                self.tab
                    .detail_text
                    .lines()
                    .map(|l| Line::raw(escape_control(l).into_owned())),
            );
        }
        lines
    }
}
