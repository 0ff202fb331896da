//! The X filtered stream's rules, listed and edited from the Feed pane (`R`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::feed::twitter::StreamRule;
use crate::kafka::RequestId;
use crate::loadable::Loadable;
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::text_input::TextInput;
use crate::widgets::{centered, popup, spinner};

#[derive(Debug, Default)]
pub struct AddRuleForm {
    pub value: TextInput,
    pub tag: TextInput,
    /// 0: value, 1: tag.
    pub focus: usize,
}

#[derive(Debug, Default)]
pub struct RulesPopup {
    pub rules: Loadable<Vec<StreamRule>>,
    pub selected: usize,
    /// The request whose answer is awaited; others are stale.
    pub request: Option<RequestId>,
    pub adding: Option<AddRuleForm>,
    pub error: Option<String>,
}

impl RulesPopup {
    pub fn selected_rule(&self) -> Option<&StreamRule> {
        self.rules.loaded()?.get(self.selected)
    }

    pub fn answered(&mut self, id: RequestId, result: Result<Vec<StreamRule>, String>) {
        if self.request != Some(id) {
            return;
        }
        self.request = None;
        match result {
            Ok(rules) => {
                self.selected = self.selected.min(rules.len().saturating_sub(1));
                self.rules = Loadable::Loaded(rules);
                self.error = None;
                self.adding = None;
            }
            Err(reason) => {
                // Keep the list (and what was being typed); say why.
                if self.rules.loaded().is_none() {
                    self.rules = Loadable::Failed(reason.clone());
                }
                self.error = Some(reason);
            }
        }
    }
}

pub fn render(frame: &mut Frame, rules: &RulesPopup, area: Rect, ticks: u64, palette: &Palette) {
    let rect = centered(
        area,
        area.width.saturating_sub(6).min(100),
        area.height.saturating_sub(4).min(22),
    );
    let inner = popup(frame, rect, "Filtered stream rules", palette);
    let mut lines = Vec::new();
    match &rules.rules {
        Loadable::Idle | Loadable::Loading => {
            lines.push(Line::styled(
                format!("{} asking the X API…", spinner(ticks)),
                palette.warn(),
            ));
        }
        Loadable::Failed(reason) => {
            lines.push(Line::styled(
                escape_control(reason).into_owned(),
                palette.error(),
            ));
        }
        Loadable::Loaded(list) if list.is_empty() => {
            lines.push(Line::styled(
                "No rules: the filtered stream delivers nothing until you add one (a).",
                palette.dim(),
            ));
        }
        Loadable::Loaded(list) => {
            for (i, rule) in list.iter().enumerate() {
                let style = if i == rules.selected {
                    palette.selected()
                } else {
                    Style::new()
                };
                let mut spans = vec![Span::styled(
                    escape_control(&rule.value).into_owned(),
                    style,
                )];
                if let Some(tag) = &rule.tag {
                    spans.push(Span::styled(
                        format!("  #{}", escape_control(tag)),
                        palette.warn(),
                    ));
                }
                spans.push(Span::styled(
                    format!("  id {}", escape_control(&rule.id)),
                    palette.dim(),
                ));
                lines.push(Line::from(spans));
            }
        }
    }
    lines.push(Line::raw(""));
    if let Some(form) = &rules.adding {
        let label = |i: usize, text: &str| {
            Span::styled(
                format!("{text:>6}: "),
                if form.focus == i {
                    palette.key()
                } else {
                    palette.dim()
                },
            )
        };
        let mut value = vec![label(0, "Rule")];
        value.extend(form.value.line(form.focus == 0, Style::new()).spans);
        let mut tag = vec![label(1, "Tag")];
        tag.extend(form.tag.line(form.focus == 1, Style::new()).spans);
        lines.push(Line::from(value));
        lines.push(Line::from(tag));
        lines.push(Line::styled(
            "e.g. kafka lang:en -is:retweet · Enter add · Tab next field · Esc cancel",
            palette.dim(),
        ));
    } else {
        lines.push(Line::styled(
            "a add · d delete the selected rule · r reload · Esc close",
            palette.dim(),
        ));
    }
    if let Some(error) = &rules.error {
        lines.push(Line::styled(
            escape_control(error).into_owned(),
            palette.error(),
        ));
    }
    if rules.request.is_some() && rules.rules.loaded().is_some() {
        lines.push(Line::styled(
            format!("{} saving…", spinner(ticks)),
            palette.warn(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
