//! A failed TLS handshake with the registry, in words a user can act on.

use std::path::Path;

/// A failed TLS handshake in words a user can act on (naming the setting to change),
/// from an error's messages, outermost first; `None` when it was not one of these.
/// reqwest's native-tls gives no types to match on, so this reads OpenSSL's words: the
/// certificate check's result (which native-tls appends in parentheses) and the name
/// of the alert the registry sent.
pub(super) fn problem(
    chain: &[String],
    ca_file: Option<&Path>,
    cert_file: Option<&Path>,
) -> Option<String> {
    if let Some(failed) = chain
        .iter()
        .rev()
        .find(|m| m.contains("certificate verify failed") && m.ends_with(')'))
        .or_else(|| {
            chain
                .iter()
                .find(|m| m.contains("certificate verify failed"))
        })
    {
        let detail = failed
            .strip_suffix(')')
            .and_then(|m| m.rsplit_once(" (").map(|(_, d)| d))
            .unwrap_or("certificate verify failed");
        let lower = detail.to_ascii_lowercase();
        return Some(if lower.contains("mismatch") {
            format!("its TLS certificate names another host ({detail})")
        } else if lower.contains("expired") {
            format!("its TLS certificate has expired ({detail})")
        } else if lower.contains("not yet valid") {
            format!("its TLS certificate is not valid yet ({detail}): check the clocks")
        } else if let Some(ca) = ca_file {
            format!(
                "its TLS certificate is not trusted ({detail}): neither ca_file {} nor \
                 the system's CAs signed it",
                ca.display()
            )
        } else {
            format!(
                "its TLS certificate is not trusted ({detail}); give the CA that signed \
                 it as the schema_registry's ca_file"
            )
        });
    }
    let alert = chain.iter().find_map(|m| {
        let (_, after) = m.split_once(" alert ")?;
        Some(after.split(':').next().unwrap_or(after).trim())
    })?;
    match (alert, cert_file) {
        ("certificate required", _) => Some(
            "it asks for a client certificate (TLS alert: certificate required); give \
             one as the schema_registry's cert_file and key_file"
                .to_string(),
        ),
        (
            "bad certificate"
            | "unknown ca"
            | "certificate unknown"
            | "unsupported certificate"
            | "certificate expired"
            | "certificate revoked",
            Some(cert),
        ) => Some(format!(
            "it refused the client certificate cert_file {} (TLS alert: {alert})",
            cert.display()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_said_in_words_and_others_are_left_alone() {
        let chain = |inner: &str| {
            vec![
                "error sending request".to_string(),
                format!("error:0A000086:SSL routines::certificate verify failed:x.c:1: ({inner})"),
                "error:0A000086:SSL routines::certificate verify failed:x.c:1:".to_string(),
            ]
        };
        assert_eq!(
            problem(&chain("Hostname mismatch"), None, None).as_deref(),
            Some("its TLS certificate names another host (Hostname mismatch)")
        );
        assert_eq!(
            problem(&chain("certificate has expired"), None, None).as_deref(),
            Some("its TLS certificate has expired (certificate has expired)")
        );
        assert_eq!(
            problem(&chain("self-signed certificate"), None, None).as_deref(),
            Some(
                "its TLS certificate is not trusted (self-signed certificate); give the CA \
                 that signed it as the schema_registry's ca_file"
            )
        );
        // A refused client certificate is only said when ktui sent one.
        let alert = [
            "error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:r.c:1:".to_string(),
        ];
        assert_eq!(problem(&alert, None, None), None);
        assert_eq!(
            problem(&["connection refused".to_string()], None, None),
            None
        );
    }
}
