//! TLS for the broker tests: a throwaway PKI written as PEM files, and a TLS-terminating
//! TCP front for the plain-TCP test broker.
//!
//! tansu 0.6 cannot serve TLS itself (its `--cert` and `--key` flags sit in one clap group,
//! so they cannot be given together). The tests therefore put a front before the broker,
//! the way a TLS load balancer would: clients speak TLS to the front, which forwards the
//! decrypted bytes to the broker's plain port. The broker advertises the front's port.
#![allow(dead_code)] // each test binary uses a subset

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};

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

// ---------------------------------------------------------------------------------------
// The TLS front

/// A TLS-terminating TCP front: accepts TLS on 127.0.0.1:`port`, forwards plaintext to
/// 127.0.0.1:`target`. It runs a small tokio runtime on its own thread; dropping it stops
/// listening and cuts every connection.
pub struct TlsFront {
    port: u16,
    failed: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsFront {
    /// Listens on `port` (already chosen free by the caller) and returns once it is bound.
    /// The server presents the PKI's server certificate. With `require_client_cert`, the
    /// handshake fails unless the client presents a certificate signed by the PKI's CA
    /// (mutual TLS).
    pub fn start_on(port: u16, target: u16, pki: &TestPki, require_client_cert: bool) -> Self {
        let acceptor = TlsAcceptor::from(Arc::new(server_config(pki, require_client_cert)));
        // Bound here, on the caller's thread, so the port accepts connections on return.
        let listener = StdTcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("TLS front: bind 127.0.0.1:{port}: {e}"));
        listener
            .set_nonblocking(true)
            .expect("TLS front: make the listener non-blocking");
        let target = SocketAddr::from((Ipv4Addr::LOCALHOST, target));

        let failed = Arc::new(AtomicUsize::new(0));
        let (shutdown, stop) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("tls-front-{port}"))
            .spawn({
                let failed = Arc::clone(&failed);
                move || serve(listener, target, acceptor, &failed, stop)
            })
            .expect("TLS front: spawn its thread");
        Self {
            port,
            failed,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// "127.0.0.1:PORT".
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many TLS handshakes failed so far. A connection closed before it sent a single
    /// byte (a port probe) is not counted.
    pub fn failed_handshakes(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The front's rustls configuration, with an explicit ring provider (no process default).
fn server_config(pki: &TestPki, require_client_cert: bool) -> ServerConfig {
    let provider = Arc::new(crypto::ring::default_provider());
    let chain = vec![
        CertificateDer::from_pem_file(&pki.server_cert).expect("TLS front: read the server cert"),
    ];
    let key =
        PrivateKeyDer::from_pem_file(&pki.server_key).expect("TLS front: read the server key");
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("TLS front: the ring provider supports the default protocol versions");
    let builder = if require_client_cert {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(&pki.ca_pem).expect("TLS front: read the CA cert"))
            .expect("TLS front: trust the test CA");
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("TLS front: build the client certificate verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    builder
        .with_single_cert(chain, key)
        .expect("TLS front: the server cert and key match")
}

/// The front's thread: accepts until told to stop, then drops the runtime, which cancels
/// every connection task (closing its sockets).
fn serve(
    listener: StdTcpListener,
    target: SocketAddr,
    acceptor: TlsAcceptor,
    failed: &Arc<AtomicUsize>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("TLS front: build its runtime");
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener).expect("TLS front: register the listener");
        let accept_loop = async {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    // E.g. out of file descriptors: back off rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                tokio::spawn(forward(
                    client,
                    target,
                    acceptor.clone(),
                    Arc::clone(failed),
                ));
            }
        };
        tokio::select! {
            () = accept_loop => {}
            _ = stop => {}
        }
    });
    drop(runtime);
}

/// One connection: TLS accept, connect to the target, then copy both ways until either
/// side closes. Any error just closes the connection.
async fn forward(
    client: TcpStream,
    target: SocketAddr,
    acceptor: TlsAcceptor,
    failed: Arc<AtomicUsize>,
) {
    // A connection that closes without sending anything is a port probe, not a handshake.
    let mut first = [0_u8; 1];
    match client.peek(&mut first).await {
        Ok(0) | Err(_) => return,
        Ok(_) => {}
    }
    // Not a TLS handshake record (0x16): a plaintext client. Close at once, as a Kafka
    // broker's TLS listener does ("Unrecognized SSL message, plaintext connection?");
    // rustls would instead wait for a "record" as long as the bytes happen to say.
    if first[0] != 0x16 {
        failed.fetch_add(1, Ordering::SeqCst);
        // Read what was sent first, so the close is a FIN (not a reset for unread data),
        // as from a broker that read the request and gave up on it.
        let mut client = client;
        let mut request = [0_u8; 4096];
        let _ = tokio::io::AsyncReadExt::read(&mut client, &mut request).await;
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut client).await;
        return;
    }
    let mut tls = match acceptor.accept(client).await {
        Ok(tls) => tls,
        Err(e) => {
            failed.fetch_add(1, Ordering::SeqCst);
            eprintln!("TLS front: handshake failed: {e}");
            return;
        }
    };
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
}
