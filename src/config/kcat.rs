//! kcat's `-F` configuration file: `property=value` lines, `#` comments, blank lines.
//! An existing `kcat.conf` works unchanged with `ktui -F` or a cluster's `kcat_config`.

use std::path::Path;

/// The properties a kcat config file sets, in file order.
pub fn parse(text: &str, path: &Path) -> Result<Vec<(String, String)>, String> {
    let mut properties = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                properties.push((key.trim().to_string(), value.trim_end().to_string()));
            }
            _ => {
                // Only the key part is shown: the line may hold a secret.
                let shown: String = line
                    .chars()
                    .take_while(|c| *c != '=' && !c.is_whitespace())
                    .take(40)
                    .collect();
                return Err(format!(
                    "{}:{}: expected property=value, got {:?}",
                    path.display(),
                    n + 1,
                    shown.trim()
                ));
            }
        }
    }
    Ok(properties)
}

/// A kcat config file's properties, and a warning if it holds a literal secret while
/// readable by group or others.
pub struct KcatFile {
    pub properties: Vec<(String, String)>,
    pub warning: Option<String>,
}

/// Reads and parses a kcat config file.
pub fn load(path: &Path) -> Result<KcatFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let properties = parse(&text, path)?;
    let warning = properties
        .iter()
        .find(|(key, value)| {
            crate::secret::is_secret_property(key)
                && crate::secret::SecretSpec::parse(value).is_literal()
        })
        .and_then(|(key, _)| super::file::readable_by_others(path, key));
    Ok(KcatFile {
        properties,
        warning,
    })
}

/// The broker list a kcat file names, if any (`bootstrap.servers` or its old name).
pub fn brokers(properties: &[(String, String)]) -> Option<&str> {
    properties
        .iter()
        .rev()
        .find(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kcat_files() {
        let text = "# Confluent Cloud\nbootstrap.servers=pkc-1.aws.confluent.cloud:9092\n\n  security.protocol=SASL_SSL\nsasl.mechanisms=PLAIN\nsasl.username=KEY\nsasl.password=a=b=c\n";
        let props = parse(text, Path::new("kcat.conf")).unwrap();
        assert_eq!(props.len(), 5);
        assert_eq!(props[4], ("sasl.password".into(), "a=b=c".into()));
        assert_eq!(brokers(&props), Some("pkc-1.aws.confluent.cloud:9092"));
    }

    #[test]
    fn a_bad_line_names_file_and_line_but_not_the_value() {
        let e = parse(
            "security.protocol=SSL\nsasl.password hunter2\n",
            Path::new("/k.conf"),
        )
        .unwrap_err();
        assert!(e.starts_with("/k.conf:2: expected property=value"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = parse("=oops\n", Path::new("/k.conf")).unwrap_err();
        assert!(e.contains("/k.conf:1:"), "{e}");
    }
}
