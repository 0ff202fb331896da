//! TLS for the broker tests: a throwaway PKI written as PEM files, which the shared Kafka
//! node's SSL listeners serve (see `kafka.rs`) and clients trust or present.
#![allow(dead_code)] // each test binary uses a subset

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// The PKI

/// A throwaway PKI written as PEM files into a temp dir (kept alive by the struct).
///
/// Keys are ECDSA P-256, written as PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), which
/// librdkafka/OpenSSL read through `ssl.key.location`.
pub struct TestPki {
    dir: TempDir,
    /// The CA ("ktui test CA") certificate that signed the server and client certificates.
    pub ca_pem: PathBuf,
    /// The server certificate, signed by the CA; SANs: IP 127.0.0.1 and DNS localhost.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A client certificate (CN "ktui-client") signed by the same CA, for mutual TLS.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// An unrelated CA certificate: a client trusting only this must fail verification.
    pub other_ca_pem: PathBuf,
}

impl TestPki {
    /// Generates the CA, the server and client certificates and an unrelated CA, and writes
    /// them into a fresh temp dir.
    pub fn generate() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ktui-pki-")
            .tempdir()
            .expect("create a temp dir for the test PKI");
        let paths = Self::write_into(dir.path());
        Self { dir, ..paths }
    }

    /// Writes a fresh PKI into `dir` (created if needed): `ca.pem`, `server.pem`,
    /// `server.key`, `client.pem`, `client.key`, `other-ca.pem`. The returned value's own
    /// temp dir is an empty placeholder; the files live in `dir`.
    pub fn write_into(dir: &Path) -> Self {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let write = |name: &str, contents: &str| {
            let path = dir.join(name);
            fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            path
        };

        let (ca_cert, ca) = certificate_authority("ktui test CA");
        let ca_pem = write("ca.pem", &ca_cert);

        let (cert, key) = leaf(
            &ca,
            "localhost",
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let server_cert = write("server.pem", &cert);
        let server_key = write("server.key", &key);

        let (cert, key) = leaf(&ca, "ktui-client", &[], ExtendedKeyUsagePurpose::ClientAuth);
        let client_cert = write("client.pem", &cert);
        let client_key = write("client.key", &key);

        let (other_ca_cert, _) = certificate_authority("ktui unrelated CA");
        let other_ca_pem = write("other-ca.pem", &other_ca_cert);

        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            ca_pem,
            server_cert,
            server_key,
            client_cert,
            client_key,
            other_ca_pem,
        }
    }

    /// The temp dir holding the PEM files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A self-signed CA: its certificate (PEM) and an issuer to sign leaves with.
fn certificate_authority(common_name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().expect("generate the CA key");
    let cert = params
        .self_signed(&key)
        .expect("self-sign the CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

/// A leaf certificate signed by `ca`: its certificate and PKCS#8 private key, both PEM.
fn leaf(
    ca: &Issuer<'_, KeyPair>,
    common_name: &str,
    sans: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let sans: Vec<String> = sans.iter().map(ToString::to_string).collect();
    let mut params = CertificateParams::new(sans).expect("valid subject alt names");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().expect("generate a leaf key");
    let cert = params.signed_by(&key, ca).expect("sign a leaf certificate");
    (cert.pem(), key.serialize_pem())
}
