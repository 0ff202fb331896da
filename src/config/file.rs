//! `config.toml`: named clusters, feed and UI settings, key overrides.
//!
//! Loading never fails: a missing file means defaults, a malformed one means defaults plus
//! an error that names the file, the line and the key, which the caller shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::check::{check, key_at, line_and_column, quote_key};
use crate::secret::{SecretSpec, is_secret_property};

/// The whole file. Unknown keys are errors (a typo should not be silently ignored).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The cluster used when `--cluster` and `-b` are not given.
    pub default_cluster: Option<String>,
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterEntry>,
    #[serde(default)]
    pub feed: FeedSection,
    #[serde(default)]
    pub ui: UiSection,
    /// Key overrides: context -> key -> action (merged over the embedded keymap).
    #[serde(default)]
    pub keys: toml::Table,
}

/// One named cluster.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterEntry {
    /// Bootstrap brokers, comma separated (may come from `kcat_config` instead).
    pub brokers: Option<String>,
    /// Any librdkafka properties; secret ones may be `env:VAR` or `cmd:COMMAND`.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertyValue>,
    /// A file in kcat's `-F` format (`property=value` lines), read before `properties`.
    pub kcat_config: Option<PathBuf>,
    /// The status bar's colour for this cluster: a name (red, light-blue) or #rrggbb.
    pub color: Option<String>,
    /// Refuse every write (produce, topic create/delete, feed publishing).
    #[serde(default)]
    pub read_only: bool,
    /// The cluster's schema registry (Confluent REST API).
    pub schema_registry: Option<RegistryEntry>,
}

/// `schema_registry = { url = "...", username = "...", password = "env:SR_PASSWORD" }`.
#[derive(Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    pub url: String,
    pub username: Option<String>,
    /// Literal, `env:VAR` or `cmd:COMMAND`; never shown or logged.
    pub password: Option<String>,
    /// Certificates (PEM) to trust beside the system's.
    pub ca_file: Option<PathBuf>,
    /// A client certificate and its PKCS#8 key (PEM).
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl std::fmt::Debug for RegistryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryEntry")
            .field("url", &crate::schema::registry::without_password(&self.url))
            .field("username", &self.username)
            .field(
                "password",
                &self
                    .password
                    .as_deref()
                    .map(|p| SecretSpec::parse(p).describe()),
            )
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// librdkafka takes strings; TOML users write numbers and booleans too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl PropertyValue {
    pub fn to_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Integer(n) => n.to_string(),
            Self::Float(x) => x.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// The feed's settings; command-line flags win over them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSection {
    /// twitter, bluesky, replay:PATH or off.
    pub source: Option<String>,
    pub topic: Option<String>,
    /// json or text.
    pub value: Option<String>,
    /// The X bearer token: literal, env:VAR or cmd:COMMAND.
    pub token: Option<String>,
    pub twitter_api_base: Option<String>,
    pub twitter_sample: Option<bool>,
    pub jetstream_url: Option<String>,
    pub replay_rate: Option<f64>,
}

/// Look and feel.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSection {
    pub theme: Option<crate::theme::ThemeName>,
    /// The tail buffer's bound, as `--buffer` takes it.
    pub buffer: Option<String>,
    /// Where tails start, as `-o` takes it.
    pub offset: Option<String>,
}

/// A loaded (or defaulted) configuration and what went wrong reading it.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    /// The file that was read (or would have been).
    pub path: Option<PathBuf>,
    pub exists: bool,
    pub file: ConfigFile,
    /// Why the file was not used: names the file, line and key. Defaults apply.
    pub error: Option<String>,
    /// Things worth telling once (a world-readable file holding a literal secret).
    pub warnings: Vec<String>,
}

/// `$KTUI_CONFIG`, else `config.toml` in the config dir (`~/.config/ktui/` on Linux).
pub fn config_path() -> (Option<PathBuf>, bool) {
    match std::env::var_os("KTUI_CONFIG") {
        Some(path) if !path.is_empty() => (Some(PathBuf::from(path)), true),
        _ => (
            super::project_dirs().map(|d| d.config_dir().join("config.toml")),
            false,
        ),
    }
}

/// Loads the user's config file (see [`config_path`]).
pub fn load() -> Loaded {
    let (path, explicit) = config_path();
    match path {
        Some(path) => load_from(&path, explicit),
        None => Loaded::default(),
    }
}

/// Loads `path`. A missing file is fine unless `required` (it was named explicitly).
pub fn load_from(path: &Path, required: bool) -> Loaded {
    let mut loaded = Loaded {
        path: Some(path.to_path_buf()),
        ..Loaded::default()
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return loaded,
        Err(e) => {
            loaded.exists = path.exists();
            loaded.error = Some(format!("{}: cannot read it: {e}", path.display()));
            return loaded;
        }
    };
    loaded.exists = true;
    match parse(&text, path) {
        Ok(file) => {
            loaded.warnings.extend(permission_warning(path, &file));
            loaded.file = file;
        }
        Err(error) => loaded.error = Some(error),
    }
    loaded
}

/// Parses and checks a config file's text; errors read `FILE:LINE:COL: key K: what`.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, String> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let (line, column) = line_and_column(text, at);
        let key = key_at(text, at)
            .map(|k| format!("key `{k}`: "))
            .unwrap_or_default();
        format!(
            "{}:{line}:{column}: {key}{}",
            path.display(),
            e.message().trim()
        )
    })?;
    check(&file, text, path)?;
    Ok(file)
}

/// The literal secrets a config file holds, by dotted key (values never leave here).
pub fn literal_secrets(file: &ConfigFile) -> Vec<String> {
    let mut found = Vec::new();
    for (name, cluster) in &file.clusters {
        for (key, value) in &cluster.properties {
            if is_secret_property(key)
                && let PropertyValue::Text(text) = value
                && SecretSpec::parse(text).is_literal()
            {
                found.push(format!("clusters.{}.properties.\"{key}\"", quote_key(name)));
            }
        }
        if let Some(password) = cluster
            .schema_registry
            .as_ref()
            .and_then(|r| r.password.as_deref())
            && SecretSpec::parse(password).is_literal()
        {
            found.push(format!(
                "clusters.{}.schema_registry.password",
                quote_key(name)
            ));
        }
    }
    if let Some(token) = &file.feed.token
        && SecretSpec::parse(token).is_literal()
    {
        found.push("feed.token".to_string());
    }
    found
}

/// A warning when a file holding literal secrets can be read by group or others.
pub fn permission_warning(path: &Path, file: &ConfigFile) -> Option<String> {
    let secrets = literal_secrets(file);
    let first = secrets.first()?;
    readable_by_others(path, first)
}

/// The warning for a file holding a literal secret at `what` when its mode lets group or
/// others read it (Unix only).
pub fn readable_by_others(path: &Path, what: &str) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds a literal secret ({what}) and is readable by group or others (mode {mode:03o}): \
                 run chmod 600 {}, or give the secret as env:VAR or cmd:COMMAND",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, what);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("/home/u/.config/ktui/config.toml")).unwrap_err()
    }

    #[test]
    fn a_full_file_parses() {
        let file = parse(
            r#"
default_cluster = "prod"
[clusters.prod]
brokers = "b1:9093"
color = "red"
read_only = true
[clusters.prod.properties]
"security.protocol" = "SASL_SSL"
"message.timeout.ms" = 30000
"enable.ssl.certificate.verification" = true
[clusters."local dev"]
brokers = "localhost:9092"
[feed]
source = "bluesky"
token = "env:X_BEARER_TOKEN"
[ui]
theme = "light"
[keys.global]
"ctrl-q" = "quit"
"#,
            Path::new("c.toml"),
        )
        .unwrap();
        let prod = &file.clusters["prod"];
        assert!(prod.read_only);
        assert_eq!(
            prod.properties["message.timeout.ms"].to_text(),
            "30000".to_string()
        );
        assert_eq!(
            prod.properties["enable.ssl.certificate.verification"].to_text(),
            "true"
        );
        assert!(file.clusters.contains_key("local dev"));
        assert_eq!(file.ui.theme, Some(crate::theme::ThemeName::Light));
        assert!(file.keys.contains_key("global"));
    }

    #[test]
    fn the_example_config_parses_and_means_what_it_says() {
        let text = include_str!("../../assets/config.example.toml");
        let file = parse(text, Path::new("assets/config.example.toml")).unwrap();
        let profiles =
            super::super::profile::build(&file, &super::super::Selection::default()).unwrap();
        let by_name = |name: &str| {
            profiles
                .list
                .iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("cluster {name}"))
        };
        assert_eq!(profiles.list[profiles.current].name, "local");
        assert_eq!(by_name("local").security().to_string(), "PLAINTEXT");
        assert_eq!(
            by_name("prod").security().to_string(),
            "SASL_SSL SCRAM-SHA-512 as ktui-reader"
        );
        assert!(by_name("prod").read_only.is_some());
        assert_eq!(by_name("mtls").security().to_string(), "SSL +client cert");
        assert_eq!(
            by_name("oidc").security().to_string(),
            "SASL_SSL OAUTHBEARER"
        );
        let registry = by_name("confluent").schema_registry.clone().unwrap();
        assert_eq!(registry.username.as_deref(), Some("SR_API_KEY"));
        assert!(!registry.password.unwrap().is_literal());
        // No literal secrets in the example, so no permission warning whatever its mode.
        assert!(literal_secrets(&file).is_empty());
        let literal = parse(
            "[clusters.a]\nbrokers = \"x:1\"\nschema_registry = { url = \"http://sr\", password = \"pw\" }\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(
            literal_secrets(&literal),
            ["clusters.a.schema_registry.password"]
        );
        let (_, warnings) = crate::keymap::Keymap::default().with_overrides(&file.keys);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(file.feed.source.as_deref(), Some("bluesky"));
    }

    #[test]
    fn syntax_errors_name_file_line_and_key() {
        let e = err("[clusters.a]\nbrokers = \"x:1\"\nread_only = yes\n");
        assert!(e.starts_with("/home/u/.config/ktui/config.toml:3:"), "{e}");
        assert!(e.contains("key `clusters.a.read_only`"), "{e}");
    }

    #[test]
    fn type_errors_name_the_key() {
        let e = err("[clusters.a]\nbrokers = \"x:1\"\nread_only = \"yes\"\n");
        assert!(e.contains(":3:"), "{e}");
        assert!(e.contains("clusters.a.read_only"), "{e}");
        assert!(e.contains("boolean") || e.contains("bool"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = err("[clusters.a]\nbrokres = \"x:1\"\n");
        assert!(e.contains(":2:"), "{e}");
        assert!(e.contains("brokres"), "{e}");
    }

    #[test]
    fn semantic_errors_name_line_and_key() {
        let e = err("default_cluster = \"nope\"\n[clusters.a]\nbrokers = \"x:1\"\n");
        assert!(e.contains(":1: key `default_cluster`"), "{e}");
        assert!(e.contains("no cluster named \"nope\" (clusters: a)"), "{e}");
        let e = err("[clusters.a]\ncolor = \"red\"\n");
        assert!(e.contains(":1: key `clusters.a.brokers`: missing"), "{e}");
        let e = err("[clusters.a]\nbrokers = \"x:1\"\ncolor = \"blurple\"\n");
        assert!(
            e.contains(":3: key `clusters.a.color`: unknown colour"),
            "{e}"
        );
        let e = err("[feed]\nvalue = \"xml\"\n");
        assert!(e.contains(":2: key `feed.value`"), "{e}");
        let e = err("[ui]\nbuffer = \"lots\"\n");
        assert!(e.contains(":2: key `ui.buffer`"), "{e}");
        let e = err("[ui]\ntheme = \"sepia\"\n");
        assert!(e.contains(":2:") && e.contains("sepia"), "{e}");
    }

    #[test]
    fn missing_files_are_defaults_unless_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let loaded = load_from(&path, false);
        assert!(loaded.error.is_none() && !loaded.exists);
        let loaded = load_from(&path, true);
        assert!(loaded.error.unwrap().contains("cannot read it"));
    }

    #[cfg(unix)]
    #[test]
    fn warns_when_a_readable_file_holds_a_literal_secret() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[clusters.p]\nbrokers=\"x:1\"\n[clusters.p.properties]\n\"sasl.password\"=\"hunter2hunter2\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let loaded = load_from(&path, true);
        let warning = loaded.warnings.join("\n");
        assert!(warning.contains("mode 644"), "{warning}");
        assert!(
            warning.contains("clusters.p.properties.\"sasl.password\""),
            "{warning}"
        );
        assert!(!warning.contains("hunter2"), "{warning}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load_from(&path, true).warnings.is_empty());
        // env:/cmd: secrets are fine in a readable file.
        std::fs::write(
            &path,
            "[clusters.p]\nbrokers=\"x:1\"\n[clusters.p.properties]\n\"sasl.password\"=\"env:PW\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_from(&path, true).warnings.is_empty());
    }
}
