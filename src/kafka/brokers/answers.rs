//! What a broker answered, as ktui's model has it: a DescribeConfigs entry as a
//! [`ConfigEntryInfo`] (its source named as the topic configs name theirs), a
//! DescribeLogDirs directory as a [`LogDirInfo`].

use krafka::KrafkaError;
use krafka::admin::{ConfigEntry, LogDirDescription};
use krafka::error::ErrorCode;

use super::LogDirInfo;
use crate::kafka::model::ConfigEntryInfo;

/// DescribeConfigs' source for a default value.
const SOURCE_DEFAULT: i8 = 5;

pub(super) fn config_info(entry: &ConfigEntry) -> ConfigEntryInfo {
    config_entry(
        &entry.name,
        entry.value.as_deref(),
        entry.config_source,
        entry.is_default,
        entry.is_sensitive,
        entry.read_only,
    )
}

/// One config entry as the model keeps it: a sensitive value withheld, the source in the
/// words the topic configs use. `is_default` is what DescribeConfigs v0 says (later
/// versions name the source instead).
fn config_entry(
    name: &str,
    value: Option<&str>,
    source: i8,
    is_default: bool,
    sensitive: bool,
    read_only: bool,
) -> ConfigEntryInfo {
    ConfigEntryInfo {
        name: name.to_string(),
        value: if sensitive {
            None
        } else {
            value.map(str::to_string)
        },
        source: source_name(source).to_string(),
        is_default: source == SOURCE_DEFAULT || (source < 0 && is_default),
        is_sensitive: sensitive,
        is_read_only: read_only,
    }
}

/// DescribeConfigs' `config_source`, in the words of the topic configs (see
/// `kafka::admin`).
fn source_name(source: i8) -> &'static str {
    match source {
        1 => "topic",
        2 => "broker (dynamic)",
        3 => "broker default (dynamic)",
        4 => "broker (static)",
        5 => "default",
        6 => "broker logger",
        7 => "client metrics",
        8 => "group",
        _ => "unknown",
    }
}

pub(super) fn log_dir_info(
    path: String,
    dir: Result<LogDirDescription, KrafkaError>,
) -> LogDirInfo {
    match dir {
        Ok(dir) => log_dir(
            path,
            dir.replicas.values().map(|r| r.size),
            dir.total_bytes,
            dir.usable_bytes,
        ),
        Err(e) => LogDirInfo {
            path,
            bytes: 0,
            partitions: 0,
            total_bytes: None,
            usable_bytes: None,
            error: Some(log_dir_error(&e)),
        },
    }
}

/// A log dir from the sizes of its replicas and its volume's figures.
fn log_dir(
    path: String,
    sizes: impl Iterator<Item = i64>,
    total: Option<i64>,
    usable: Option<i64>,
) -> LogDirInfo {
    let (mut bytes, mut partitions) = (0u64, 0usize);
    for size in sizes {
        bytes = bytes.saturating_add(u64::try_from(size).unwrap_or(0));
        partitions += 1;
    }
    LogDirInfo {
        path,
        bytes,
        partitions,
        total_bytes: total.and_then(|n| u64::try_from(n).ok()),
        usable_bytes: usable.and_then(|n| u64::try_from(n).ok()),
        error: None,
    }
}

/// Why a log dir is offline, in words.
fn log_dir_error(error: &KrafkaError) -> String {
    match error {
        KrafkaError::Broker {
            code: ErrorCode::KafkaStorageException,
            ..
        } => "offline (KAFKA_STORAGE_ERROR: the disk failed or is full)".to_string(),
        KrafkaError::Broker { code, message } if message.is_empty() => format!("{code:?}"),
        KrafkaError::Broker { code, message } => format!("{code:?}: {message}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_named_as_the_topic_configs_name_them() {
        let names: Vec<&str> = (-1..=9).map(source_name).collect();
        assert_eq!(
            names,
            [
                "unknown",
                "unknown",
                "topic",
                "broker (dynamic)",
                "broker default (dynamic)",
                "broker (static)",
                "default",
                "broker logger",
                "client metrics",
                "group",
                "unknown"
            ]
        );
    }

    #[test]
    fn a_config_is_default_by_its_source_and_a_secret_is_withheld() {
        let retention = config_entry("log.retention.hours", Some("168"), 5, false, false, true);
        assert!(retention.is_default);
        assert_eq!(retention.source, "default");
        assert_eq!(retention.value.as_deref(), Some("168"));
        assert!(retention.is_read_only);
        let node = config_entry("node.id", Some("1"), 4, false, false, true);
        assert!(!node.is_default);
        assert_eq!(node.source, "broker (static)");
        // v0 has no source: its own flag counts.
        assert!(config_entry("x", Some("1"), -1, true, false, false).is_default);
        assert!(!config_entry("x", Some("1"), 2, true, false, false).is_default);
        let secret = config_entry("ssl.key.password", Some("hunter2"), 4, false, true, false);
        assert_eq!(secret.value, None);
        assert!(secret.is_sensitive);
    }

    #[test]
    fn a_log_dir_sums_its_replicas() {
        let dir = log_dir(
            "/data".into(),
            [100, 23, -1].into_iter(),
            Some(1000),
            Some(-1),
        );
        assert_eq!(
            dir,
            LogDirInfo {
                path: "/data".into(),
                bytes: 123,
                partitions: 3,
                total_bytes: Some(1000),
                usable_bytes: None,
                error: None,
            }
        );
        let offline = log_dir_info(
            "/bad".into(),
            Err(KrafkaError::broker(ErrorCode::KafkaStorageException, "")),
        );
        assert_eq!(offline.partitions, 0);
        assert!(offline.error.unwrap().contains("KAFKA_STORAGE_ERROR"));
    }
}
