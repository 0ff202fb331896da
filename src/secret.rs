//! Secrets: SASL passwords, key passwords, bearer tokens.
//!
//! A secret is given literally, as `env:VAR` (read from the environment) or as
//! `cmd:COMMAND` (the command's stdout, e.g. `cmd:pass kafka/prod`). Once resolved it is
//! held in a [`Secret`], which never prints, and its value is registered with the
//! process-wide redactor, so any text on its way to the screen, a log or stderr can have
//! it masked by [`redact`] (librdkafka's own error strings, for one, are not ours to vet).

use std::borrow::Cow;
use std::fmt;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What a masked secret looks like on screen and in logs.
pub const MASK: &str = "••••••";

/// How long a `cmd:` secret may take (a password manager may unlock first).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value and registers it with the redactor.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Where a secret comes from, as written in a config file or on the command line.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSpec {
    Literal(Secret),
    Env(String),
    Command(String),
}

impl fmt::Debug for SecretSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SecretSpec {
    /// `env:VAR`, `cmd:COMMAND`, or a literal value.
    pub fn parse(text: &str) -> Self {
        if let Some(var) = text.strip_prefix("env:") {
            Self::Env(var.trim().to_string())
        } else if let Some(command) = text.strip_prefix("cmd:") {
            Self::Command(command.trim().to_string())
        } else {
            Self::Literal(Secret::new(text))
        }
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, Self::Literal(_))
    }

    /// Where the value comes from, without the value: `literal`, `env:VAR`, `cmd:…`.
    pub fn describe(&self) -> String {
        match self {
            Self::Literal(_) => "literal".to_string(),
            Self::Env(var) => format!("env:{var}"),
            Self::Command(command) => format!("cmd:{command}"),
        }
    }

    /// The secret's value. Blocking for `cmd:` (run it off the async threads). Errors say
    /// what failed without the value.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            Self::Literal(secret) => Ok(secret.clone()),
            Self::Env(var) => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                Ok(_) => Err(format!("env:{var} is empty")),
                Err(std::env::VarError::NotPresent) => Err(format!("env:{var} is not set")),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(format!("env:{var} is not valid UTF-8"))
                }
            },
            Self::Command(command) => run_secret_command(command).map(Secret::new),
        }
    }
}

/// Runs `sh -c COMMAND` with no stdin and returns its stdout without the trailing newline.
fn run_secret_command(command: &str) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cmd:{command}: cannot run it: {e}"))?;
    // Read both pipes on threads so a chatty command cannot block on a full pipe.
    let stdout = child.stdout.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    });
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.take(4096).read_to_end(&mut bytes);
            bytes
        })
    });
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "cmd:{command}: gave no answer within {} s",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("cmd:{command}: {e}")),
        }
    };
    let out = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if !status.success() {
        let why = String::from_utf8_lossy(&err);
        let why = why.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
        return Err(if why.is_empty() {
            format!("cmd:{command}: exited with {code}")
        } else {
            format!(
                "cmd:{command}: exited with {code}: {}",
                crate::text::escape_control(why)
            )
        });
    }
    let text = String::from_utf8(out).map_err(|_| format!("cmd:{command}: output is not UTF-8"))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(format!("cmd:{command}: printed nothing"));
    }
    Ok(value.to_string())
}

/// Whether a librdkafka property holds a secret (its value is masked everywhere and may be
/// given as `env:` or `cmd:`).
pub fn is_secret_property(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // Names of files and endpoints are not secrets (sasl.oauthbearer.token.endpoint.url).
    let last = key.rsplit('.').next().unwrap_or_default();
    let names_a_place = matches!(last, "url" | "file" | "location");
    !names_a_place
        && (key.contains("password")
            || key.contains("secret")
            || key.contains("token")
            || key == "ssl.key.pem"
            || key == "sasl.oauthbearer.config")
}

fn registry() -> &'static Mutex<Vec<String>> {
    static SECRETS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(Mutex::default)
}

/// Remembers a secret value so [`redact`] masks it. Values shorter than 3 characters
/// are not registered: masking every "a" would make all text unreadable.
pub fn register(value: &str) {
    if value.chars().count() < 3 {
        return;
    }
    if let Ok(mut secrets) = registry().lock()
        && !secrets.iter().any(|s| s == value)
    {
        secrets.push(value.to_string());
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = registry().lock() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_describe_without_the_value() {
        let literal = SecretSpec::parse("hunter22");
        assert!(literal.is_literal());
        assert_eq!(literal.describe(), "literal");
        assert_eq!(format!("{literal:?}"), "literal");
        assert_eq!(
            SecretSpec::parse("env:KAFKA_PW"),
            SecretSpec::Env("KAFKA_PW".into())
        );
        assert_eq!(
            SecretSpec::parse("cmd:pass kafka/prod").describe(),
            "cmd:pass kafka/prod"
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("tr0ub4dor&3");
        assert_eq!(format!("{s:?} {s}"), format!("Secret(…) {MASK}"));
        assert_eq!(
            redact("login tr0ub4dor&3 failed"),
            format!("login {MASK} failed")
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }

    #[test]
    fn commands_give_their_stdout_or_a_reason() {
        let ok = SecretSpec::parse("cmd:printf 'from-a-command\\n'")
            .resolve()
            .unwrap();
        assert_eq!(ok.expose(), "from-a-command");
        let failed = SecretSpec::parse("cmd:echo nope >&2; exit 3")
            .resolve()
            .unwrap_err();
        assert!(failed.contains("exited with status 3: nope"), "{failed}");
        let empty = SecretSpec::parse("cmd:true").resolve().unwrap_err();
        assert!(empty.contains("printed nothing"), "{empty}");
        let unset = SecretSpec::parse("env:KTUI_SURELY_UNSET_VAR_42")
            .resolve()
            .unwrap_err();
        assert_eq!(unset, "env:KTUI_SURELY_UNSET_VAR_42 is not set");
    }

    #[test]
    fn knows_which_properties_are_secret() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
        ] {
            assert!(is_secret_property(key), "{key}");
        }
        for key in [
            "sasl.username",
            "ssl.ca.location",
            "security.protocol",
            "sasl.oauthbearer.token.endpoint.url",
        ] {
            assert!(!is_secret_property(key), "{key}");
        }
    }
}
