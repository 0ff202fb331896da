//! Offset resets in `kafka-consumer-groups.sh`'s vocabulary: what a request means, and the
//! plan (partition, current, new, change in lag) it yields. Pure: the offsets it needs are
//! fetched by the caller, so the rules are tested without a broker.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

/// A topic and partition.
pub type Tp = (String, i32);

/// Where to move a group's offsets (one of kafka-consumer-groups.sh's `--to-*`, `--by-*`,
/// `--shift-by`, plus copying another group's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetTo {
    Earliest,
    Latest,
    Offset(i64),
    /// The first offset at or after this time (ms since the epoch).
    Datetime(i64),
    /// The first offset at or after this long ago (ms).
    Duration(i64),
    ShiftBy(i64),
    /// The offsets another group has committed.
    FromGroup(String),
}

impl fmt::Display for ResetTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Earliest => f.write_str("--to-earliest"),
            Self::Latest => f.write_str("--to-latest"),
            Self::Offset(n) => write!(f, "--to-offset {n}"),
            Self::Datetime(ms) => match jiff::Timestamp::from_millisecond(*ms) {
                Ok(ts) => write!(f, "--to-datetime {ts}"),
                Err(_) => write!(f, "--to-datetime {ms}"),
            },
            Self::Duration(ms) => write!(
                f,
                "--by-duration {:#}",
                jiff::SignedDuration::from_millis(*ms)
            ),
            Self::ShiftBy(n) => write!(f, "--shift-by {n}"),
            Self::FromGroup(group) => write!(f, "--from-group {group}"),
        }
    }
}

/// A topic, and some of its partitions or all of them (`--topic T` or `--topic T:0,2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSelector {
    pub topic: String,
    pub partitions: Option<Vec<i32>>,
}

impl std::str::FromStr for TopicSelector {
    type Err = String;

    /// `T` or `T:P,P`, as kafka-consumer-groups.sh reads `--topic`.
    fn from_str(text: &str) -> Result<Self, String> {
        let Some((topic, partitions)) = text.split_once(':') else {
            return if text.is_empty() {
                Err("a topic name is needed".into())
            } else {
                Ok(Self {
                    topic: text.to_string(),
                    partitions: None,
                })
            };
        };
        if topic.is_empty() || partitions.contains(':') {
            return Err(format!(
                "invalid topic '{text}': expected TOPIC or TOPIC:PARTITION,PARTITION"
            ));
        }
        let partitions = partitions
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<i32>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .ok_or_else(|| format!("invalid partition '{p}' in '{text}'"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            topic: topic.to_string(),
            partitions: Some(partitions),
        })
    }
}

impl fmt::Display for TopicSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.topic)?;
        if let Some(partitions) = &self.partitions {
            let list: Vec<String> = partitions.iter().map(i32::to_string).collect();
            write!(f, ":{}", list.join(","))?;
        }
        Ok(())
    }
}

/// Which partitions a reset touches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ResetScope {
    /// Every partition the group has committed (`--all-topics`).
    #[default]
    AllTopics,
    Topics(Vec<TopicSelector>),
}

/// A reset to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    pub group: String,
    pub scope: ResetScope,
    pub to: ResetTo,
}

/// One partition of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRow {
    pub topic: String,
    pub partition: i32,
    /// The committed offset now; `None` when there is none.
    pub current: Option<i64>,
    pub new: i64,
    /// The log-end offset when the plan was made.
    pub end: Option<i64>,
}

impl PlanRow {
    pub fn lag_before(&self) -> Option<i64> {
        super::lag_of(self.current, self.end)
    }

    pub fn lag_after(&self) -> Option<i64> {
        super::lag_of(Some(self.new), self.end)
    }

    /// How the lag changes (positive: the group will re-read that many records).
    pub fn lag_change(&self) -> Option<i64> {
        match (self.lag_before(), self.lag_after()) {
            (Some(before), Some(after)) => Some(after - before),
            (None, Some(after)) => Some(after),
            _ => None,
        }
    }
}

/// A previewed reset: applied only as it is, after confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetPlan {
    pub request: ResetRequest,
    /// The group's state when the plan was made.
    pub state: String,
    pub rows: Vec<PlanRow>,
    /// What Kafka's tool would warn about (an offset clamped to the log, an empty partition).
    pub notes: Vec<String>,
}

/// The offsets a plan is computed from.
#[derive(Debug, Default)]
pub struct Known {
    pub current: HashMap<Tp, i64>,
    pub earliest: HashMap<Tp, i64>,
    pub latest: HashMap<Tp, i64>,
    /// For `Datetime`/`Duration`: the first offset at or after the time, `None` when no
    /// record is that recent.
    pub by_time: HashMap<Tp, Option<i64>>,
    /// For `FromGroup`: the other group's committed offsets.
    pub other: HashMap<Tp, i64>,
}

/// The new offset of each partition, by the rules of Kafka's `GroupOffsetsResetter`:
/// explicit offsets are clamped into the log, a time with no record after it falls back to
/// the log end, and shifting needs a committed offset.
pub fn plan_rows(
    to: &ResetTo,
    partitions: &[Tp],
    known: &Known,
) -> Result<(Vec<PlanRow>, Vec<String>), String> {
    let mut rows = Vec::with_capacity(partitions.len());
    let mut notes = Vec::new();
    for tp in partitions {
        let (topic, partition) = tp;
        let name = format!("{topic}-{partition}");
        let latest = known.latest.get(tp).copied();
        let earliest = known.earliest.get(tp).copied();
        let clamp = |offset: i64, notes: &mut Vec<String>| -> Result<i64, String> {
            let end = latest.ok_or_else(|| {
                format!("no log-end offset for {name}: its leader did not answer")
            })?;
            if offset > end {
                notes.push(format!("New offset ({offset}) is higher than latest offset for topic partition {name}. Value will be set to {end}."));
                return Ok(end);
            }
            match earliest {
                Some(start) if offset < start => {
                    notes.push(format!("New offset ({offset}) is lower than earliest offset for topic partition {name}. Value will be set to {start}."));
                    Ok(start)
                }
                _ => Ok(offset),
            }
        };
        let new = match to {
            ResetTo::Earliest => earliest.ok_or_else(|| {
                format!("Error getting starting offset of topic partition: {name}")
            })?,
            ResetTo::Latest => latest
                .ok_or_else(|| format!("Error getting ending offset of topic partition: {name}"))?,
            ResetTo::Offset(offset) => clamp(*offset, &mut notes)?,
            ResetTo::ShiftBy(by) => {
                let current = known.current.get(tp).ok_or_else(|| {
                    format!("Cannot shift offset for partition {name} since there is no current committed offset")
                })?;
                clamp(current.saturating_add(*by), &mut notes)?
            }
            ResetTo::Datetime(_) | ResetTo::Duration(_) => {
                if let Some(Some(offset)) = known.by_time.get(tp) {
                    *offset
                } else {
                    notes.push(format!("Partition {partition} from topic {topic} is empty. Falling back to latest known offset."));
                    latest.ok_or_else(|| {
                        format!("Error getting offset by timestamp of topic partition: {name}")
                    })?
                }
            }
            ResetTo::FromGroup(other) => {
                let Some(offset) = known.other.get(tp) else {
                    notes.push(format!(
                        "{other} has no committed offset for {name}: left as it is"
                    ));
                    continue;
                };
                clamp(*offset, &mut notes)?
            }
        };
        rows.push(PlanRow {
            topic: topic.clone(),
            partition: *partition,
            current: known.current.get(tp).copied(),
            new,
            end: latest,
        });
    }
    rows.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok((rows, notes))
}

/// `--to-datetime`: `YYYY-MM-DDTHH:mm:SS[.sss]` with an optional zone (`Z`, `+01:00`),
/// local time without one, as kafka-consumer-groups.sh reads it; or milliseconds since the
/// epoch. Answers milliseconds since the epoch.
pub fn parse_datetime(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        // Negative values are ListOffsets' sentinels (-1 latest, -2 earliest), not times.
        return if ms < 0 {
            Err(format!(
                "'{text}': a time in milliseconds since 1970 is never negative"
            ))
        } else {
            Ok(ms)
        };
    }
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let civil: jiff::civil::DateTime = text.parse().map_err(|_| {
        format!("'{text}' is not a date and time: use YYYY-MM-DDTHH:mm:SS.sss, optionally with a zone (Z, +01:00)")
    })?;
    civil
        .to_zoned(jiff::tz::TimeZone::system())
        .map(|zoned| zoned.timestamp().as_millisecond())
        .map_err(|e| format!("'{text}': {e}"))
}

/// `--by-duration`: ISO 8601 (`PT10M`, `P1DT2H`) as Kafka's tool takes it, or the friendly
/// form (`10m`, `1h 30m`, `2d`). Answers milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not a duration: use PT10M (ISO 8601) or 10m, 1h30m, 2d");
    let duration = if let Ok(duration) = text.parse::<jiff::SignedDuration>() {
        duration
    } else {
        // Days are calendar units for `Span`; a duration back from now takes them as 24 h.
        let span: jiff::Span = text.parse().map_err(|_| bad())?;
        span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .map_err(|_| bad())?
    };
    if duration.is_negative() {
        return Err(format!("'{text}': the duration must not be negative"));
    }
    i64::try_from(duration.as_millis()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: i32) -> Tp {
        (topic.to_string(), partition)
    }

    fn known() -> Known {
        let mut known = Known::default();
        for (p, start, end, current) in [(0, 0, 100, Some(40)), (1, 10, 50, None)] {
            known.earliest.insert(tp("t", p), start);
            known.latest.insert(tp("t", p), end);
            if let Some(current) = current {
                known.current.insert(tp("t", p), current);
            }
        }
        known
    }

    #[test]
    fn offsets_are_clamped_into_the_log_as_kafka_does() {
        let parts = [tp("t", 0), tp("t", 1)];
        let (rows, notes) = plan_rows(&ResetTo::Offset(5), &parts, &known()).unwrap();
        assert_eq!(rows.iter().map(|r| r.new).collect::<Vec<_>>(), vec![5, 10]);
        assert_eq!(
            notes,
            vec![
                "New offset (5) is lower than earliest offset for topic partition t-1. Value will be set to 10."
            ]
        );
        let (rows, _) = plan_rows(&ResetTo::Offset(500), &parts, &known()).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.new).collect::<Vec<_>>(),
            vec![100, 50]
        );
    }

    #[test]
    fn shifting_needs_a_committed_offset() {
        let (rows, _) = plan_rows(&ResetTo::ShiftBy(-15), &[tp("t", 0)], &known()).unwrap();
        assert_eq!((rows[0].current, rows[0].new), (Some(40), 25));
        assert_eq!(rows[0].lag_change(), Some(15));
        let error = plan_rows(&ResetTo::ShiftBy(1), &[tp("t", 1)], &known()).unwrap_err();
        assert_eq!(
            error,
            "Cannot shift offset for partition t-1 since there is no current committed offset"
        );
    }

    #[test]
    fn a_time_with_no_record_after_it_falls_back_to_the_end() {
        let mut known = known();
        known.by_time.insert(tp("t", 0), Some(70));
        known.by_time.insert(tp("t", 1), None);
        let (rows, notes) = plan_rows(
            &ResetTo::Duration(60_000),
            &[tp("t", 1), tp("t", 0)],
            &known,
        )
        .unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.partition, r.new))
                .collect::<Vec<_>>(),
            vec![(0, 70), (1, 50)]
        );
        assert_eq!(
            notes,
            vec!["Partition 1 from topic t is empty. Falling back to latest known offset."]
        );
    }

    #[test]
    fn copying_another_group_skips_what_it_never_committed() {
        let mut known = known();
        known.other.insert(tp("t", 0), 90);
        let (rows, notes) = plan_rows(
            &ResetTo::FromGroup("g2".into()),
            &[tp("t", 0), tp("t", 1)],
            &known,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].new, rows[0].lag_after()), (90, Some(10)));
        assert_eq!(
            notes,
            vec!["g2 has no committed offset for t-1: left as it is"]
        );
    }

    #[test]
    fn topics_read_as_kafka_reads_them() {
        assert_eq!(
            "orders".parse(),
            Ok(TopicSelector {
                topic: "orders".into(),
                partitions: None
            })
        );
        assert_eq!(
            "orders:0,2".parse(),
            Ok(TopicSelector {
                topic: "orders".into(),
                partitions: Some(vec![0, 2])
            })
        );
        assert!(
            "orders:x"
                .parse::<TopicSelector>()
                .unwrap_err()
                .contains("invalid partition 'x'")
        );
        assert!("a:1:2".parse::<TopicSelector>().is_err());
        assert_eq!(
            TopicSelector {
                topic: "o".into(),
                partitions: Some(vec![1, 3])
            }
            .to_string(),
            "o:1,3"
        );
    }

    #[test]
    fn times_and_durations_in_both_vocabularies() {
        assert_eq!(
            parse_datetime("2026-01-02T03:04:05.006Z"),
            Ok(1_767_323_045_006)
        );
        assert_eq!(
            parse_datetime("2026-01-02T04:04:05.006+01:00"),
            Ok(1_767_323_045_006)
        );
        assert!(
            parse_datetime("yesterday")
                .unwrap_err()
                .contains("YYYY-MM-DDTHH:mm:SS")
        );
        assert_eq!(parse_duration("PT10M"), Ok(600_000));
        assert_eq!(parse_duration("10m"), Ok(600_000));
        assert_eq!(parse_duration("P1DT1H"), Ok(90_000_000));
        assert_eq!(parse_duration("2d"), Ok(172_800_000));
        assert!(parse_duration("soon").is_err());
        assert_eq!(ResetTo::Duration(600_000).to_string(), "--by-duration 10m");
    }
}
