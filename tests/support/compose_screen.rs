//! Readers of the Compose tab's screen, shared by the end-to-end tests that drive it.
#![allow(dead_code)] // each test binary uses a subset

use super::tui::word_after;

/// The rows of the value editor (between its top border and the border with its label).
pub fn value_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("┌ Value "))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| {
            l.trim_start_matches('│')
                .split('│')
                .next()
                .unwrap_or_default()
                .trim_end()
                .to_string()
        })
        .collect()
}

/// (partition, offset) from the newest "✓ TOPIC partition P offset O" report.
pub fn delivered(screen: &str, topic: &str) -> Option<(i32, i64)> {
    let marker = format!("✓ {topic} partition ");
    let line = screen.lines().find(|l| l.contains(&marker))?;
    let partition = word_after(line, &marker)?.parse().ok()?;
    let offset = word_after(line, " offset ")?.parse().ok()?;
    Some((partition, offset))
}

/// The newest delivery report line (the list is newest first).
pub fn newest_report(screen: &str) -> &str {
    screen
        .lines()
        .skip_while(|l| !l.contains("┌ Deliveries ("))
        .nth(1)
        .unwrap_or_default()
}
