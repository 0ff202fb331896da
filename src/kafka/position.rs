//! Where a tail starts: `end`, `beginning`, an absolute offset, the last N records per
//! partition, or a time (ISO 8601, epoch milliseconds, or relative like `-15m`).

use std::fmt;

use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartPosition {
    /// Only records produced from now on.
    #[default]
    End,
    Beginning,
    /// This offset in every partition.
    Offset(i64),
    /// The last N records of each partition.
    Last(i64),
    /// The first record at or after this time (ms since the epoch).
    Time(i64),
}

impl fmt::Display for StartPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::End => f.write_str("end"),
            Self::Beginning => f.write_str("beginning"),
            Self::Offset(n) => write!(f, "offset {n}"),
            Self::Last(n) => write!(f, "last {n}"),
            Self::Time(ms) => match Timestamp::from_millisecond(*ms) {
                Ok(ts) => write!(f, "time {ts}"),
                Err(_) => write!(f, "time {ms}ms"),
            },
        }
    }
}

impl StartPosition {
    /// Parses what `-o` takes: `end`, `beginning`, `N`, `-N`, `@TIME`, where TIME is
    /// ISO 8601 (`2026-11-22T10:00:00Z`), epoch milliseconds, or relative (`-15m`, `-2h`,
    /// `-1d`, `-30s`). `now_ms` anchors relative times.
    pub fn parse(text: &str, now_ms: i64) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "end" | "latest" => return Ok(Self::End),
            "beginning" | "earliest" | "begin" => return Ok(Self::Beginning),
            _ => {}
        }
        if let Some(time) = text.strip_prefix('@') {
            return parse_time(time, now_ms).map(Self::Time);
        }
        if let Some(n) = text.strip_prefix('-') {
            return match n.parse::<i64>() {
                Ok(n) if n > 0 => Ok(Self::Last(n)),
                _ => Err(format!(
                    "{text:?}: -N means the last N records per partition (N ≥ 1)"
                )),
            };
        }
        match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self::Offset(n)),
            _ => Err(format!(
                "{text:?} is not a start position: use end, beginning, an offset N, -N (last N), \
                 or @TIME (@2026-11-22T10:00:00Z, @-15m, @1700000000000)"
            )),
        }
    }
}

/// Where a bounded read stops (`--until`), before the first record that is at or past it:
/// the end of each partition when the read starts (`now`), an offset, or a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndBound {
    Now,
    /// Records below this offset in every partition.
    Offset(i64),
    /// Records before this time (ms since the epoch): up to the first one at or after it.
    Time(i64),
}

impl fmt::Display for EndBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Now => f.write_str("now"),
            Self::Offset(n) => write!(f, "offset {n}"),
            Self::Time(ms) => match Timestamp::from_millisecond(*ms) {
                Ok(ts) => write!(f, "time {ts}"),
                Err(_) => write!(f, "time {ms}ms"),
            },
        }
    }
}

impl EndBound {
    /// Parses what `--until` takes: `now` (or `end`), an offset `N`, or `@TIME` as `-o`
    /// takes it (ISO 8601, epoch ms, or relative like `@-5m`).
    pub fn parse(text: &str, now_ms: i64) -> Result<Self, String> {
        let text = text.trim();
        if matches!(text, "now" | "end" | "latest") {
            return Ok(Self::Now);
        }
        if let Some(time) = text.strip_prefix('@') {
            return parse_time(time, now_ms).map(Self::Time);
        }
        match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self::Offset(n)),
            _ => Err(format!(
                "{text:?} is not an end: use now, an offset N, or @TIME \
                 (@2026-11-22T10:00:00Z, @-5m, @1700000000000)"
            )),
        }
    }
}

/// ISO 8601, epoch milliseconds, or a relative time before `now_ms`.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Some(rel) = text.strip_prefix('-') {
        let (number, unit) =
            rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = number
            .parse()
            .map_err(|_| format!("{text:?}: a relative time looks like -15m, -2h, -1d, -30s"))?;
        let unit_ms = match unit {
            "s" => 1_000,
            "m" | "" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("{text:?}: unit must be s, m, h or d")),
        };
        return Ok(now_ms - n.saturating_mul(unit_ms));
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| format!("{text:?} is not a millisecond timestamp"));
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    // A date-time without an offset, or a bare date, is taken as UTC.
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>()
        && let Ok(ts) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(ts.timestamp().as_millisecond());
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>()
        && let Ok(ts) = date.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(ts.timestamp().as_millisecond());
    }
    Err(format!(
        "{text:?} is not a time: use ISO 8601 (2026-11-22T10:00:00Z), epoch ms, or -15m"
    ))
}

/// The current time in ms since the epoch.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Parses a partition list: `0,2,5` or ranges `0-3`.
pub fn parse_partitions(text: &str) -> Result<Vec<i32>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parse = |s: &str| {
            s.trim()
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("{s:?} is not a partition number"))
        };
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (parse(a)?, parse(b)?);
            if a > b {
                return Err(format!("{part:?}: a range goes low-high"));
            }
            out.extend(a..=b);
        } else {
            out.push(parse(part)?);
        }
    }
    if out.is_empty() {
        return Err("no partitions given (e.g. 0,2 or 0-3)".into());
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn parses_every_kind_of_end() {
        assert_eq!(EndBound::parse("now", NOW), Ok(EndBound::Now));
        assert_eq!(EndBound::parse(" end ", NOW), Ok(EndBound::Now));
        assert_eq!(EndBound::parse("500", NOW), Ok(EndBound::Offset(500)));
        assert_eq!(
            EndBound::parse("@-5m", NOW),
            Ok(EndBound::Time(NOW - 300_000))
        );
        assert_eq!(
            EndBound::parse("@2026-11-22T10:00:00Z", NOW),
            Ok(EndBound::Time(1_795_341_600_000))
        );
        assert!(
            EndBound::parse("-5", NOW)
                .unwrap_err()
                .contains("not an end")
        );
        assert!(
            EndBound::parse("@soon", NOW)
                .unwrap_err()
                .contains("not a time")
        );
        assert_eq!(EndBound::Offset(7).to_string(), "offset 7");
    }

    #[test]
    fn parses_every_kind_of_start() {
        assert_eq!(StartPosition::parse("end", NOW), Ok(StartPosition::End));
        assert_eq!(
            StartPosition::parse("beginning", NOW),
            Ok(StartPosition::Beginning)
        );
        assert_eq!(
            StartPosition::parse("42", NOW),
            Ok(StartPosition::Offset(42))
        );
        assert_eq!(
            StartPosition::parse("-10", NOW),
            Ok(StartPosition::Last(10))
        );
        assert_eq!(
            StartPosition::parse("@-15m", NOW),
            Ok(StartPosition::Time(NOW - 900_000))
        );
        assert_eq!(
            StartPosition::parse("@-2h", NOW),
            Ok(StartPosition::Time(NOW - 7_200_000))
        );
        assert_eq!(
            StartPosition::parse("@1700000000000", NOW),
            Ok(StartPosition::Time(1_700_000_000_000))
        );
        assert_eq!(
            StartPosition::parse("@2023-11-14T22:13:20Z", NOW),
            Ok(StartPosition::Time(1_700_000_000_000))
        );
        assert_eq!(
            StartPosition::parse("@2023-11-14T23:13:20+01:00", NOW),
            Ok(StartPosition::Time(1_700_000_000_000))
        );
        assert_eq!(
            StartPosition::parse("@2023-11-14T22:13:20", NOW),
            Ok(StartPosition::Time(1_700_000_000_000))
        );
    }

    #[test]
    fn explains_bad_positions() {
        assert!(
            StartPosition::parse("soon", NOW)
                .unwrap_err()
                .contains("not a start position")
        );
        assert!(StartPosition::parse("-0", NOW).is_err());
        assert!(
            StartPosition::parse("@yesterday", NOW)
                .unwrap_err()
                .contains("not a time")
        );
        assert!(
            StartPosition::parse("@-5w", NOW)
                .unwrap_err()
                .contains("unit")
        );
    }

    #[test]
    fn partition_lists_and_ranges() {
        assert_eq!(parse_partitions("2, 0,1"), Ok(vec![0, 1, 2]));
        assert_eq!(parse_partitions("0-3,7"), Ok(vec![0, 1, 2, 3, 7]));
        assert!(parse_partitions("x").is_err());
        assert!(parse_partitions("3-1").is_err());
        assert!(parse_partitions("").is_err());
    }
}
