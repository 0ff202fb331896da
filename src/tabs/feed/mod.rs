//! The Feed tab: a post source published into a topic, and the posts read back from that
//! topic with a consumer of its own (what you see is what Kafka holds), newest first.

pub mod rules;
mod update;

pub use update::Msg;

use std::collections::VecDeque;

use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline, Widget, Wrap};

use super::tail::detail::format_time;
use super::tail::rate::RateMeter;
use crate::feed::{FeedState, Post, SourceSpec};
use crate::kafka::RequestId;
use crate::kafka::model::Record;
use crate::kafka::{FeedCounts, ValueFormat};
use crate::text::escape_control;
use crate::theme::Palette;
use crate::widgets::thousands;

/// Posts kept for the view.
const KEEP: usize = 500;

/// A record of the feed topic, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPost {
    /// The post when the value is the normalised JSON.
    pub post: Option<Post>,
    /// The value as text (`--value text`, or anything else in the topic).
    pub text: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

impl ShownPost {
    pub fn from_record(record: &Record) -> Self {
        let bytes = record.value_seen().unwrap_or_default();
        let post = serde_json::from_slice::<Post>(bytes).ok();
        Self {
            text: post.as_ref().map_or_else(
                || String::from_utf8_lossy(bytes).into_owned(),
                |p| p.text.clone(),
            ),
            post,
            partition: record.partition,
            offset: record.offset,
            timestamp: record.timestamp,
        }
    }
}

#[derive(Debug, Default)]
pub struct FeedTab {
    /// The source `s` starts (from `--feed`, or the demo's replay).
    pub source: Option<SourceSpec>,
    pub topic: String,
    pub value: ValueFormat,
    /// The running bridge.
    pub bridge: Option<RequestId>,
    pub state: Option<FeedState>,
    pub counts: FeedCounts,
    pub received: RateMeter,
    pub published: RateMeter,
    pub consumed: RateMeter,
    /// The consumer reading the topic back.
    pub readback: Option<RequestId>,
    pub readback_failed: Option<String>,
    /// Newest first.
    pub posts: VecDeque<ShownPost>,
    /// Posts scrolled past from the newest.
    pub scroll: usize,
    /// The filtered stream's rules, when that popup is open.
    pub rules: Option<rules::RulesPopup>,
}

impl FeedTab {
    pub fn new(source: Option<SourceSpec>, topic: String, value: ValueFormat) -> Self {
        Self {
            source,
            topic,
            value,
            ..Self::default()
        }
    }

    pub fn on_counts(&mut self, counts: FeedCounts) {
        self.received
            .add(counts.received.saturating_sub(self.counts.received), 0);
        self.published
            .add(counts.published.saturating_sub(self.counts.published), 0);
        self.counts = counts;
    }

    pub fn on_records(&mut self, records: &[Record]) {
        self.consumed.add(records.len() as u64, 0);
        for record in records {
            self.posts.push_front(ShownPost::from_record(record));
            if self.scroll > 0 {
                // Keep the view where the reader is.
                self.scroll += 1;
            }
        }
        self.posts.truncate(KEEP);
        self.scroll = self.scroll.min(self.posts.len().saturating_sub(1));
    }

    pub fn tick(&mut self) {
        self.received.tick();
        self.published.tick();
        self.consumed.tick();
    }

    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = self
            .scroll
            .saturating_add_signed(delta)
            .min(self.posts.len().saturating_sub(1));
    }

    pub fn running(&self) -> bool {
        self.bridge.is_some() && !matches!(self.state, Some(FeedState::Stopped { .. }))
    }
}

pub struct FeedView<'a> {
    pub tab: &'a FeedTab,
    pub tz: &'a TimeZone,
    pub palette: &'a Palette,
}

impl Widget for FeedView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let block = Block::bordered()
            .border_style(palette.border(true))
            .title(format!(" Feed → {} ", escape_control(&tab.topic)))
            .title_style(palette.title());
        let inner = block.inner(area);
        block.render(area, buf);
        let [header, posts] =
            Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
        self.render_header(header, buf);
        self.render_posts(posts, buf);
    }
}

impl FeedView<'_> {
    fn render_header(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        let dim = palette.dim();
        let source = tab.source.as_ref().map_or("none", SourceSpec::name);
        let (state, style) = match &tab.state {
            None if tab.source.is_none() => (
                "no source: start ktui with --feed twitter|bluesky|replay:PATH".to_string(),
                dim,
            ),
            None => ("not started (s starts it)".to_string(), dim),
            Some(FeedState::Streaming) => ("streaming".to_string(), palette.ok()),
            Some(s @ (FeedState::Connecting | FeedState::Reconnecting { .. })) => {
                (s.to_string(), palette.warn())
            }
            Some(FeedState::Stopped {
                reason,
                fatal: true,
            }) => (format!("stopped: {reason}"), palette.error()),
            Some(FeedState::Stopped { reason, .. }) => (stopped_text(reason), dim),
        };
        let rate = |m: &RateMeter| m.per_second().0;
        let mut lines = vec![
            Line::from(vec![
                Span::styled("source ", dim),
                Span::styled(source, palette.key()),
                Span::styled(" · ", dim),
                Span::styled(escape_control(&state).into_owned(), style),
            ]),
            Line::from(vec![
                Span::styled("received ", dim),
                Span::raw(format!(
                    "{} ({}/s)",
                    thousands(tab.counts.received),
                    rate(&tab.received)
                )),
                Span::styled(" · published ", dim),
                Span::raw(format!(
                    "{} ({}/s)",
                    thousands(tab.counts.published),
                    rate(&tab.published)
                )),
                Span::styled(" · consumed ", dim),
                Span::raw(format!(
                    "{} ({}/s)",
                    thousands(tab.consumed.total_records),
                    rate(&tab.consumed)
                )),
            ]),
        ];
        if tab.counts.failed > 0 {
            lines.push(Line::styled(
                format!(
                    "{} not published: {}",
                    thousands(tab.counts.failed),
                    escape_control(tab.counts.last_error.as_deref().unwrap_or("unknown error"))
                ),
                palette.error(),
            ));
        }
        if let Some(reason) = &tab.readback_failed {
            lines.push(Line::styled(
                format!(
                    "cannot read {} back: {}",
                    escape_control(&tab.topic),
                    escape_control(reason)
                ),
                palette.error(),
            ));
        }
        let [text, spark] = Layout::horizontal([
            Constraint::Min(20),
            Constraint::Length(if area.width >= 90 { 24 } else { 0 }),
        ])
        .areas(area);
        Paragraph::new(lines).render(text, buf);
        let history = tab.consumed.history(usize::from(spark.width));
        Sparkline::default()
            .data(&history)
            .style(palette.accent())
            .render(spark, buf);
    }

    fn render_posts(&self, area: Rect, buf: &mut Buffer) {
        let tab = self.tab;
        let palette = self.palette;
        if tab.posts.is_empty() {
            Paragraph::new(Line::styled(
                format!("No posts in {} yet.", escape_control(&tab.topic)),
                palette.dim(),
            ))
            .render(area, buf);
            return;
        }
        let mut lines = Vec::new();
        // Enough posts to fill the area; each takes at least two lines.
        for shown in tab
            .posts
            .iter()
            .skip(tab.scroll)
            .take(usize::from(area.height) / 2 + 1)
        {
            let mut head = Vec::new();
            if let Some(post) = &shown.post {
                let username = if post.author.username.is_empty() {
                    &post.author.id
                } else {
                    &post.author.username
                };
                head.push(Span::styled(
                    format!("@{}", escape_control(username)),
                    palette.key(),
                ));
                if !post.author.name.is_empty() && post.author.name != post.author.username {
                    head.push(Span::raw(format!(" {}", escape_control(&post.author.name))));
                }
                if let Some(created) = &post.created_at {
                    head.push(Span::styled(
                        format!(" · {}", escape_control(created)),
                        palette.dim(),
                    ));
                }
                if let Some(lang) = &post.lang {
                    head.push(Span::styled(
                        format!(" · {}", escape_control(lang)),
                        palette.dim(),
                    ));
                }
                for tag in &post.matching_rules {
                    head.push(Span::styled(
                        format!(" #{}", escape_control(tag)),
                        palette.warn(),
                    ));
                }
            } else {
                let when = shown
                    .timestamp
                    .map_or_else(String::new, |ms| format_time(ms, self.tz, true));
                head.push(Span::styled(
                    format!("p{} @{} {when}", shown.partition, shown.offset),
                    palette.dim(),
                ));
            }
            lines.push(Line::from(head));
            // A post's line breaks become spaces; anything else unsafe is escaped.
            let text = shown.text.replace(['\n', '\r'], " ");
            lines.push(Line::raw(format!("  {}", escape_control(&text))));
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
    }
}

/// A source that ended without an error: why (unless it was simply asked to stop, which
/// every source reports as the reason "stopped"), and how to start it again.
fn stopped_text(reason: &str) -> String {
    match reason.trim() {
        "" | "stopped" => "stopped (s starts it again)".to_string(),
        reason => format!("stopped: {reason} (s starts it again)"),
    }
}
