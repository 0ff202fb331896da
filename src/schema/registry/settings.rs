//! Where a registry is and how to log in: as configured (the password unresolved) and as
//! used (resolved), never shown with its password.

use std::fmt;
use std::path::PathBuf;

use crate::secret::{Secret, SecretSpec};

/// Where the registry is and how to log in (secrets resolved).
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Certificates (PEM) to trust beside the system's.
    pub ca_file: Option<PathBuf>,
    /// A client certificate and its PKCS#8 key (PEM), for a registry that asks for one.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl RegistrySettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            username: None,
            password: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
        }
    }
}

impl fmt::Debug for RegistrySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySettings")
            .field("url", &without_password(&self.url))
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| crate::secret::MASK),
            )
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// Where the registry is, as configured: the password still unresolved (`env:`, `cmd:` or
/// literal), like the cluster's own secrets, until the cluster is used.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrySpec {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretSpec>,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl fmt::Debug for RegistrySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySpec")
            .field("url", &without_password(&self.url))
            .field("username", &self.username)
            .field("password", &self.password)
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl RegistrySpec {
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            username: None,
            password: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
        }
    }

    /// The settings with the password resolved (blocking for `cmd:`); errors never hold it.
    pub fn resolve(&self) -> Result<RegistrySettings, String> {
        let password = self
            .password
            .as_ref()
            .map(|spec| {
                spec.resolve()
                    .map_err(|e| format!("schema registry password: {e}"))
            })
            .transpose()?;
        Ok(RegistrySettings {
            url: self.url.clone(),
            username: self.username.clone(),
            password,
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        })
    }
}

/// A URL with any `user:password@` password masked, whether or not the rest parses: from
/// the first `:` after the scheme to the last `@` (a password may hold `/`, `?` or `#`
/// unescaped; masking a little more than the password is fine).
pub fn without_password(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let Some(at) = url[start..].rfind('@').map(|i| start + i) else {
        return url.to_string();
    };
    match url[start..at].find(':') {
        Some(colon) => format!(
            "{}{}{}",
            &url[..=start + colon],
            crate::secret::MASK,
            &url[at..]
        ),
        None => url.to_string(),
    }
}
