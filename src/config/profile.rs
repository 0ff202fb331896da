//! Cluster profiles: what the config file, a kcat file and the command line say about where
//! to connect and how. Secrets stay unresolved ([`SecretSpec`]) until a profile is used,
//! so a `cmd:` secret runs only for the cluster the user actually connects to.

use std::fmt;
use std::path::Path;

use super::file::{ClusterEntry, ConfigFile};
use super::kcat;
use crate::kafka::ClientSettings;
use crate::kafka::client::{ClientSpec, Property};
use crate::schema::{ProtoSpec, RegistrySpec};
use crate::secret::{MASK, SecretSpec};

/// One cluster ktui can connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The config file's name for it, or the address for a command-line cluster.
    pub name: String,
    pub brokers: String,
    pub properties: Vec<(String, Property)>,
    /// The status bar's colour (validated when the file was loaded).
    pub color: Option<String>,
    /// Why writes are refused, when they are.
    pub read_only: Option<String>,
    /// Why this profile cannot be used at all (e.g. its kcat file is unreadable).
    pub problem: Option<String>,
    /// Its schema registry (the config's `schema_registry`, or `--schema-registry`).
    pub schema_registry: Option<RegistrySpec>,
    /// Local `.proto` files to read records with (`--proto-file`).
    pub proto: Option<ProtoSpec>,
}

impl Profile {
    /// A cluster given only by address (`-b`, `--demo`, or the default localhost:9092).
    pub fn ad_hoc(name: impl Into<String>, brokers: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            brokers: brokers.into(),
            properties: Vec::new(),
            color: None,
            read_only: None,
            problem: None,
            schema_registry: None,
            proto: None,
        }
    }

    fn from_entry(name: &str, entry: &ClusterEntry, warnings: &mut Vec<String>) -> Self {
        let mut profile = Self::ad_hoc(name, entry.brokers.clone().unwrap_or_default());
        profile.color.clone_from(&entry.color);
        profile.schema_registry = entry.schema_registry.as_ref().map(|r| RegistrySpec {
            url: r.url.clone(),
            username: r.username.clone(),
            password: r.password.as_deref().map(SecretSpec::parse),
            ca_file: r.ca_file.as_deref().map(expand_home),
            cert_file: r.cert_file.as_deref().map(expand_home),
            key_file: r.key_file.as_deref().map(expand_home),
        });
        if entry.read_only {
            profile.read_only = Some(format!("cluster {name} is read-only (config)"));
        }
        if let Some(path) = &entry.kcat_config {
            let path = expand_home(path);
            if let Err(e) = profile.add_kcat_file(&path, warnings) {
                profile.problem = Some(format!("cluster {name}: {e}"));
            }
        }
        for (key, value) in &entry.properties {
            profile.set(key, &value.to_text());
        }
        if profile.brokers.is_empty() && profile.problem.is_none() {
            profile.problem = Some(format!("cluster {name}: no brokers"));
        }
        profile
    }

    /// Sets a property; a later value replaces an earlier one.
    pub fn set(&mut self, key: &str, value: &str) {
        if key == "bootstrap.servers" || key == "metadata.broker.list" {
            self.brokers = value.to_string();
            return;
        }
        self.properties.retain(|(k, _)| k != key);
        self.properties
            .push((key.to_string(), Property::new(key, value)));
    }

    /// Adds the properties of a kcat `-F` file (its brokers too, if it names them).
    pub fn add_kcat_file(&mut self, path: &Path, warnings: &mut Vec<String>) -> Result<(), String> {
        let file = kcat::load(path)?;
        warnings.extend(file.warning);
        for (key, value) in &file.properties {
            self.set(key, value);
        }
        Ok(())
    }

    fn plain(&self, key: &str) -> Option<&str> {
        self.properties.iter().rev().find_map(|(k, v)| match v {
            Property::Plain(text) if k.eq_ignore_ascii_case(key) => Some(text.as_str()),
            _ => None,
        })
    }

    /// What the worker needs to connect (secrets still unresolved).
    pub fn spec(&self) -> ClientSpec {
        ClientSpec {
            name: self.name.clone(),
            brokers: self.brokers.clone(),
            properties: self.properties.clone(),
            problem: self.problem.clone(),
            schema_registry: self.schema_registry.clone(),
            proto: self.proto.clone(),
        }
    }

    /// The client settings, with secrets resolved (blocking for `cmd:`). Errors say which
    /// property could not be read, never its value.
    pub fn resolve(&self) -> Result<ClientSettings, String> {
        self.spec().resolve()
    }

    /// How the connection is secured, from the properties.
    pub fn security(&self) -> Security {
        let protocol = self
            .plain("security.protocol")
            .map_or_else(|| "PLAINTEXT".to_string(), str::to_ascii_uppercase);
        let sasl = protocol.starts_with("SASL");
        Security {
            mechanism: sasl.then(|| {
                self.plain("sasl.mechanisms")
                    .or_else(|| self.plain("sasl.mechanism"))
                    .unwrap_or("GSSAPI")
                    .to_ascii_uppercase()
            }),
            user: if sasl {
                self.plain("sasl.username").map(str::to_string)
            } else {
                None
            },
            client_cert: self.plain("ssl.certificate.location").is_some()
                || self.plain("ssl.certificate.pem").is_some()
                || self.plain("ssl.keystore.location").is_some(),
            protocol,
        }
    }

    /// The properties as they may be shown: secrets masked, with where they come from.
    pub fn shown_properties(&self) -> Vec<(String, String)> {
        self.properties
            .iter()
            .map(|(key, value)| {
                let shown = match value {
                    Property::Plain(text) => text.clone(),
                    Property::Secret(spec) => format!("{MASK} ({})", spec.describe()),
                };
                (key.clone(), shown)
            })
            .collect()
    }
}

/// The security in use, for the status bar and `ktui config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    pub protocol: String,
    pub mechanism: Option<String>,
    pub user: Option<String>,
    /// A client certificate is configured (mutual TLS).
    pub client_cert: bool,
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.protocol)?;
        if let Some(mechanism) = &self.mechanism {
            write!(f, " {mechanism}")?;
        }
        if let Some(user) = &self.user {
            write!(f, " as {}", crate::text::escape_control(user))?;
        }
        if self.client_cert {
            f.write_str(" +client cert")?;
        }
        Ok(())
    }
}

/// What the command line says about the cluster.
#[derive(Debug, Default, Clone)]
pub struct Selection<'a> {
    /// `--cluster NAME`.
    pub cluster: Option<&'a str>,
    /// `-b`, when given (on the command line or by `KAFKA_BOOTSTRAP_SERVERS`).
    pub brokers: Option<&'a str>,
    /// `-F FILE`.
    pub kcat_file: Option<&'a Path>,
    /// `-X key=value`, applied last.
    pub properties: &'a [(String, String)],
    /// `--read-only`: every cluster of this session.
    pub read_only: bool,
    /// `--schema-registry URL`: the starting cluster's registry (its login and TLS
    /// settings from the config file kept).
    pub schema_registry: Option<&'a str>,
    /// `--proto-file` and its kin: every cluster of this session.
    pub proto: Option<ProtoSpec>,
}

/// The clusters to offer and the one to start on.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub list: Vec<Profile>,
    pub current: usize,
    pub warnings: Vec<String>,
}

pub const DEFAULT_BROKERS: &str = "localhost:9092";

/// Builds the profiles. `--cluster` picks a named cluster (an unknown name is an error);
/// without it, `-b` makes a cluster of its own, else the file's `default_cluster`, else
/// localhost:9092. `-b`, `-F` and `-X` then apply on top of the starting cluster.
pub fn build(file: &ConfigFile, selection: &Selection<'_>) -> Result<Profiles, String> {
    let mut warnings = Vec::new();
    let mut list: Vec<Profile> = file
        .clusters
        .iter()
        .map(|(name, entry)| Profile::from_entry(name, entry, &mut warnings))
        .collect();
    let named = match selection.cluster {
        Some(name) => Some(name),
        None if selection.brokers.is_some() => None,
        None => file.default_cluster.as_deref(),
    };
    let current = if let Some(name) = named {
        list.iter().position(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
            if known.is_empty() {
                format!("no cluster named {name:?}: the config file defines none")
            } else {
                format!(
                    "no cluster named {name:?}; the config file defines: {}",
                    known.join(", ")
                )
            }
        })?
    } else {
        let brokers = selection.brokers.unwrap_or(DEFAULT_BROKERS);
        list.insert(0, Profile::ad_hoc(brokers, brokers));
        0
    };
    let start = &mut list[current];
    if let Some(brokers) = selection.brokers {
        start.brokers = brokers.to_string();
        start.problem = start.problem.take().filter(|p| !p.ends_with("no brokers"));
    }
    if let Some(path) = selection.kcat_file {
        start.add_kcat_file(path, &mut warnings)?;
    }
    for (key, value) in selection.properties {
        start.set(key, value);
    }
    if let Some(url) = selection.schema_registry {
        match &mut start.schema_registry {
            Some(spec) => url.clone_into(&mut spec.url),
            None => start.schema_registry = Some(RegistrySpec::url(url)),
        }
    }
    if let Some(proto) = &selection.proto {
        for profile in &mut list {
            profile.proto = Some(proto.clone());
        }
    }
    if selection.read_only {
        for profile in &mut list {
            profile.read_only = Some("read-only session (--read-only)".to_string());
        }
    }
    Ok(Profiles {
        list,
        current,
        warnings,
    })
}

/// `~/x` means the home directory's `x`.
fn expand_home(path: &Path) -> std::path::PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        super::super::file::parse(text, Path::new("c.toml")).unwrap()
    }

    const TWO: &str = r#"
default_cluster = "dev"
[clusters.dev]
brokers = "dev:9092"
[clusters.prod]
brokers = "p1:9093,p2:9093"
read_only = true
color = "red"
[clusters.prod.properties]
"security.protocol" = "sasl_ssl"
"sasl.mechanism" = "SCRAM-SHA-512"
"sasl.username" = "ops"
"sasl.password" = "env:KTUI_TEST_PROD_PW"
"#;

    #[test]
    fn picks_the_default_the_named_or_the_command_line_cluster() {
        let f = file(TWO);
        let p = build(&f, &Selection::default()).unwrap();
        assert_eq!(p.list[p.current].name, "dev");
        let p = build(
            &f,
            &Selection {
                cluster: Some("prod"),
                ..Selection::default()
            },
        )
        .unwrap();
        assert_eq!(p.list[p.current].brokers, "p1:9093,p2:9093");
        let p = build(
            &f,
            &Selection {
                brokers: Some("elsewhere:9092"),
                ..Selection::default()
            },
        )
        .unwrap();
        assert_eq!(p.list.len(), 3);
        assert_eq!(p.list[p.current].name, "elsewhere:9092");
        let e = build(
            &f,
            &Selection {
                cluster: Some("staging"),
                ..Selection::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            e,
            "no cluster named \"staging\"; the config file defines: dev, prod"
        );
        let p = build(&ConfigFile::default(), &Selection::default()).unwrap();
        assert_eq!(p.list[0].brokers, DEFAULT_BROKERS);
    }

    #[test]
    fn command_line_overrides_apply_on_top() {
        let props = vec![("sasl.username".to_string(), "alice".to_string())];
        let p = build(
            &file(TWO),
            &Selection {
                cluster: Some("prod"),
                brokers: Some("p3:9093"),
                properties: &props,
                read_only: false,
                kcat_file: None,
                schema_registry: Some("http://sr:8081"),
                proto: None,
            },
        )
        .unwrap();
        let prod = &p.list[p.current];
        assert_eq!(prod.brokers, "p3:9093");
        assert_eq!(
            prod.schema_registry.as_ref().map(|r| r.url.as_str()),
            Some("http://sr:8081")
        );
        assert_eq!(
            prod.security().to_string(),
            "SASL_SSL SCRAM-SHA-512 as alice"
        );
        assert_eq!(
            prod.read_only.as_deref(),
            Some("cluster prod is read-only (config)")
        );
        let shown = prod.shown_properties();
        assert!(shown.contains(&(
            "sasl.password".to_string(),
            format!("{MASK} (env:KTUI_TEST_PROD_PW)")
        )));
    }

    #[test]
    fn secrets_resolve_only_when_used_and_errors_do_not_show_them() {
        let p = build(&file(TWO), &Selection::default()).unwrap();
        let prod = p.list.iter().find(|p| p.name == "prod").unwrap();
        let e = prod.resolve().unwrap_err();
        assert_eq!(
            e,
            "cluster prod: sasl.password: env:KTUI_TEST_PROD_PW is not set"
        );
        let mut dev = p.list[p.current].clone();
        dev.set("sasl.password", "cmd:printf pw-from-cmd");
        let settings = dev.resolve().unwrap();
        assert!(
            settings
                .properties
                .contains(&("sasl.password".to_string(), "pw-from-cmd".to_string()))
        );
        assert!(!format!("{settings:?}").contains("pw-from-cmd"));
    }

    #[test]
    fn kcat_files_supply_brokers_and_properties() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("kcat.conf");
        std::fs::write(
            &conf,
            "bootstrap.servers=kc:9092\nsecurity.protocol=SSL\nssl.ca.location=/ca.pem\n",
        )
        .unwrap();
        let text = format!(
            "[clusters.k]\nkcat_config = {:?}\n",
            conf.display().to_string()
        );
        let p = build(
            &file(&text),
            &Selection {
                cluster: Some("k"),
                ..Selection::default()
            },
        )
        .unwrap();
        let k = &p.list[p.current];
        assert_eq!(k.brokers, "kc:9092");
        assert_eq!(k.security().to_string(), "SSL");
        let missing = file("[clusters.k]\nkcat_config = \"/nonexistent/kcat.conf\"\n");
        let p = build(&missing, &Selection::default()).unwrap();
        let e = p
            .list
            .iter()
            .find(|p| p.name == "k")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(
            e.starts_with("cluster k: /nonexistent/kcat.conf: cannot read it"),
            "{e}"
        );
    }

    #[test]
    fn read_only_session_covers_every_cluster() {
        let p = build(
            &file(TWO),
            &Selection {
                read_only: true,
                ..Selection::default()
            },
        )
        .unwrap();
        assert!(p.list.iter().all(|p| p.read_only.is_some()));
    }
}
