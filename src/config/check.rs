//! Checking a config file beyond what TOML checks, and pointing at the line and key a
//! problem is on (`FILE:LINE:COL: key K: what`).

use std::collections::BTreeMap;
use std::path::Path;

use super::file::{ClusterEntry, ConfigFile};

/// What TOML alone does not catch: a default that names no cluster, a cluster with no
/// brokers, an unknown colour, a feed setting that does not parse.
pub(super) fn check(file: &ConfigFile, text: &str, path: &Path) -> Result<(), String> {
    let at = |table: &str, key: &str, what: String| {
        let line = find_key(text, table, key).unwrap_or(1);
        let dotted = if table.is_empty() {
            key.to_string()
        } else {
            format!("{table}.{key}")
        };
        format!("{}:{line}: key `{dotted}`: {what}", path.display())
    };
    if let Some(name) = &file.default_cluster
        && !file.clusters.contains_key(name)
    {
        return Err(at(
            "",
            "default_cluster",
            format!(
                "no cluster named {name:?} (clusters: {})",
                names(&file.clusters)
            ),
        ));
    }
    for (name, cluster) in &file.clusters {
        let table = format!("clusters.{}", quote_key(name));
        if cluster.brokers.is_none() && cluster.kcat_config.is_none() {
            return Err(at(
                &table,
                "brokers",
                "missing: give brokers = \"host:port,…\" (or a kcat_config that sets bootstrap.servers)".into(),
            ));
        }
        if let Some(brokers) = &cluster.brokers
            && brokers.trim().is_empty()
        {
            return Err(at(&table, "brokers", "is empty".into()));
        }
        if let Some(color) = &cluster.color
            && color.parse::<ratatui::style::Color>().is_err()
        {
            return Err(at(
                &table,
                "color",
                format!(
                    "unknown colour {color:?}: use a name such as red or light-blue, or #rrggbb"
                ),
            ));
        }
    }
    if let Some(value) = &file.feed.value {
        value
            .parse::<crate::kafka::ValueFormat>()
            .map_err(|e| at("feed", "value", e))?;
    }
    if let Some(buffer) = &file.ui.buffer {
        crate::size::Bounds::parse(buffer).map_err(|e| at("ui", "buffer", e))?;
    }
    if let Some(offset) = &file.ui.offset {
        crate::kafka::position::StartPosition::parse(offset, 0)
            .map_err(|e| at("ui", "offset", e))?;
    }
    Ok(())
}

fn names(clusters: &BTreeMap<String, ClusterEntry>) -> String {
    if clusters.is_empty() {
        "none defined".to_string()
    } else {
        clusters.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn quote_key(key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// 1-based line and column of a byte offset.
pub(super) fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(1, |l| l.chars().count() + 1);
    (line, column)
}

/// The dotted key being defined on the line holding byte `at`: the nearest table header
/// above it plus the line's own `key =`, if the line is an assignment.
pub(super) fn key_at(text: &str, at: usize) -> Option<String> {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let trimmed = line.trim();
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if trimmed.starts_with('[') {
        return Some(
            trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string(),
        );
    }
    let key = trimmed.split_once('=')?.0.trim();
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    Some(match header {
        Some(h) if !h.is_empty() => format!("{h}.{key}"),
        _ => key.to_string(),
    })
}

/// The line (1-based) where `key` is assigned inside `[table]` (`""` = top level).
fn find_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            current = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            continue;
        }
        if let Some((k, _)) = line.split_once('=')
            && current == table
            && k.trim().trim_matches('"') == key
        {
            return Some(n + 1);
        }
    }
    if table.is_empty() {
        None
    } else {
        // The key is missing: point at its table.
        text.lines()
            .position(|l| {
                l.trim()
                    .trim_matches(|c| c == '[' || c == ']')
                    .trim()
                    .eq(table)
            })
            .map(|n| n + 1)
    }
}
