//! The group admin client's connection, from the same librdkafka properties the rest of
//! ktui uses (`-X`, the config file's cluster settings): security protocol, SASL PLAIN and
//! SCRAM, TLS with a CA, a client certificate, or verification off.

use std::time::Duration;

use krafka::Kafka;
use krafka::auth::{AuthConfig, TlsConfig};

use super::super::client::ClientSettings;

/// Properties that only tune librdkafka itself: the group admin client has its own
/// defaults for these and ignores them.
fn tuning_only(key: &str) -> bool {
    !(key.starts_with("security.") || key.starts_with("sasl.") || key.starts_with("ssl."))
        || matches!(key, "ssl.cipher.suites" | "ssl.curves.list")
}

/// A builder for `settings`' cluster, or why its security settings cannot be used.
pub fn krafka_builder(
    settings: &ClientSettings,
    timeout: Duration,
) -> Result<krafka::KafkaBuilder, String> {
    let get = |key: &str| {
        settings
            .properties
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let protocol = get("security.protocol")
        .unwrap_or("plaintext")
        .to_ascii_lowercase();
    let tls = || -> Result<TlsConfig, String> {
        let verify = get("enable.ssl.certificate.verification")
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        let mut tls = if verify {
            TlsConfig::new()
        } else {
            TlsConfig::insecure()
        };
        if let Some(ca) = get("ssl.ca.location") {
            tls = tls.with_ca_cert(ca);
        } else if let Some(pem) = get("ssl.ca.pem") {
            tls = tls.with_ca_cert_pem(pem.as_bytes().to_vec());
        }
        match (get("ssl.certificate.location"), get("ssl.key.location")) {
            (Some(cert), Some(key)) => tls = tls.with_client_cert(cert, key),
            (None, None) => {}
            _ => {
                return Err("ssl.certificate.location and ssl.key.location go together".to_string());
            }
        }
        if let Some(password) = get("ssl.key.password") {
            tls = tls.with_client_key_password(password);
        }
        Ok(tls)
    };
    let sasl = || -> Result<AuthConfig, String> {
        let mechanism = get("sasl.mechanism")
            .or_else(|| get("sasl.mechanisms"))
            .unwrap_or("GSSAPI")
            .to_ascii_uppercase();
        let user = get("sasl.username").unwrap_or_default();
        let password = get("sasl.password").unwrap_or_default();
        match mechanism.as_str() {
            "PLAIN" => Ok(AuthConfig::sasl_plain(user, password)),
            "SCRAM-SHA-256" => Ok(AuthConfig::sasl_scram_sha256(user, password)),
            "SCRAM-SHA-512" => Ok(AuthConfig::sasl_scram_sha512(user, password)),
            other => Err(format!(
                "consumer groups need SASL PLAIN or SCRAM here; sasl.mechanism={other} is not supported for them"
            )),
        }
    };
    if get("ssl.endpoint.identification.algorithm").is_some_and(|v| v.eq_ignore_ascii_case("none"))
    {
        return Err(
            "the consumer-group client always checks the broker's host name against its \
                    certificate: ssl.endpoint.identification.algorithm=none is not supported for \
                    groups (use a certificate that names the host)"
                .to_string(),
        );
    }
    let auth = match protocol.as_str() {
        "plaintext" => AuthConfig::plaintext(),
        "ssl" => AuthConfig::ssl(tls()?),
        "sasl_plaintext" => sasl()?,
        "sasl_ssl" => sasl()?.with_tls(tls()?),
        other => return Err(format!("unknown security.protocol '{other}'")),
    };
    for (key, _) in &settings.properties {
        let known = matches!(
            key.as_str(),
            "security.protocol"
                | "sasl.mechanism"
                | "sasl.mechanisms"
                | "sasl.username"
                | "sasl.password"
                | "ssl.ca.location"
                | "ssl.ca.pem"
                | "ssl.certificate.location"
                | "ssl.key.location"
                | "ssl.key.password"
                | "enable.ssl.certificate.verification"
                | "ssl.endpoint.identification.algorithm"
        );
        if !known && !tuning_only(key) {
            return Err(format!(
                "the consumer-group client cannot use {key}; use ssl.ca.location, ssl.certificate.location/ssl.key.location, sasl.mechanism PLAIN or SCRAM"
            ));
        }
    }
    let client_id = get("client.id").unwrap_or("ktui");
    Ok(Kafka::builder(settings.brokers.clone())
        .client_id(client_id)
        .security(auth)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .request_timeout(timeout.max(Duration::from_secs(5))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(properties: &[(&str, &str)]) -> ClientSettings {
        let mut settings = ClientSettings::new("localhost:9092");
        settings.properties = properties
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        settings
    }

    fn refusal(properties: &[(&str, &str)]) -> String {
        krafka_builder(&settings(properties), Duration::from_secs(5))
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn the_usual_security_settings_map_over() {
        assert_eq!(refusal(&[]), "");
        assert_eq!(refusal(&[("linger.ms", "5"), ("fetch.max.bytes", "1")]), "");
        assert_eq!(
            refusal(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
                ("ssl.ca.location", "/etc/ca.pem"),
            ]),
            ""
        );
    }

    #[test]
    fn what_cannot_map_over_is_said_in_words() {
        assert!(
            refusal(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", "GSSAPI")
            ])
            .contains("sasl.mechanism=GSSAPI is not supported")
        );
        assert!(refusal(&[("security.protocol", "tcp")]).contains("unknown security.protocol"));
        assert!(
            refusal(&[("ssl.keystore.location", "/k.p12")])
                .contains("cannot use ssl.keystore.location")
        );
        assert!(
            refusal(&[("ssl.endpoint.identification.algorithm", "none")]).contains("host name")
        );
        assert_eq!(
            refusal(&[("ssl.endpoint.identification.algorithm", "https")]),
            ""
        );
    }
}
