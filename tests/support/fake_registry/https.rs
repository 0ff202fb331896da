//! https for the fake registry: OpenSSL (the `openssl` crate, which reqwest's native-tls
//! uses on Linux too) driven on the tokio socket, with an optional required client
//! certificate, which native-tls cannot ask for on a server. A [`TlsStream`] is an
//! `AsyncRead + AsyncWrite` like the plain socket, so the same HTTP code serves both.
//!
//! OpenSSL reads and writes through [`Bridge`], a `std::io` view of the async socket that
//! answers `WouldBlock` where the socket is not ready (having registered the task's waker),
//! which OpenSSL passes up as "want read/write": the async side then returns `Pending`.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use openssl::ssl::{ErrorCode, Ssl, SslAcceptor, SslFiletype, SslMethod, SslStream, SslVerifyMode};
use openssl::x509::X509Name;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::TestPki;

/// Whether the registry asks the client for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Server authentication only.
    None,
    /// A certificate signed by the PKI's CA is required: without one, or with another
    /// CA's, the handshake fails.
    Required,
}

/// How long a refused client has to read the alert before the socket closes.
const LINGER: Duration = Duration::from_secs(5);

/// The server side of the registry's TLS, made once from the PKI's files.
#[derive(Clone)]
pub struct Acceptor(Arc<SslAcceptor>);

impl Acceptor {
    pub fn new(pki: &TestPki, auth: ClientAuth) -> Self {
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
            .expect("an OpenSSL acceptor");
        builder
            .set_certificate_chain_file(&pki.server_cert)
            .expect("the server certificate");
        builder
            .set_private_key_file(&pki.server_key, SslFiletype::PEM)
            .expect("the server key");
        builder.check_private_key().expect("the key matches");
        if auth == ClientAuth::Required {
            let ca = &pki.ca_pem;
            builder
                .set_ca_file(ca)
                .expect("the CA that signs client certificates");
            builder.set_client_ca_list(X509Name::load_client_ca_file(ca).expect("the CA's name"));
            builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Self(Arc::new(builder.build()))
    }

    /// A connection before its handshake ([`TlsStream::handshake`]).
    pub fn stream(&self, socket: TcpStream) -> TlsStream {
        let ssl = Ssl::new(self.0.context()).expect("an SSL session");
        let bridge = Bridge {
            socket,
            waker: None,
        };
        TlsStream(SslStream::new(ssl, bridge).expect("an SSL stream"))
    }
}

/// The socket as `std::io::Read + Write` for OpenSSL, polled with the waker of the task
/// that is using it (set around every OpenSSL call).
pub struct Bridge {
    socket: TcpStream,
    waker: Option<Waker>,
}

impl Bridge {
    /// Polls the socket with the current task's waker; `Pending` as `WouldBlock`.
    fn poll<T>(
        &mut self,
        f: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> io::Result<T> {
        let Some(waker) = &self.waker else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let mut cx = Context::from_waker(waker);
        match f(Pin::new(&mut self.socket), &mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Read for Bridge {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.poll(|socket, cx| {
            let mut buf = ReadBuf::new(buf);
            socket
                .poll_read(cx, &mut buf)
                .map_ok(|()| buf.filled().len())
        })
    }
}

impl Write for Bridge {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.poll(|socket, cx| socket.poll_write(cx, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.poll(AsyncWrite::poll_flush)
    }
}

/// One https connection.
pub struct TlsStream(SslStream<Bridge>);

impl TlsStream {
    /// Runs `f` on the OpenSSL stream with this task's waker in the bridge; a
    /// `WouldBlock` from it is `Pending` (the socket has the waker).
    fn with<T>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut SslStream<Bridge>) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        self.0.get_mut().waker = Some(cx.waker().clone());
        let result = f(&mut self.0);
        self.0.get_mut().waker = None;
        match result {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            other => Poll::Ready(other),
        }
    }

    /// The server's side of the handshake; why it failed, in OpenSSL's words (with the
    /// certificate verification's result, when that was the reason).
    pub async fn handshake(&mut self) -> Result<(), String> {
        std::future::poll_fn(|cx| {
            self.with(cx, |ssl| match ssl.accept() {
                Ok(()) => Ok(()),
                Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => {
                    let verify = ssl.ssl().verify_result();
                    Err(io::Error::other(if verify.as_raw() == 0 {
                        e.to_string()
                    } else {
                        format!("{e} ({})", verify.error_string())
                    }))
                }
            })
        })
        .await
        .map_err(|e| e.to_string())
    }

    /// After a failed handshake: sends FIN, then reads until the client hangs up (at most
    /// [`LINGER`]), so the alert already sent is read before the socket closes, not lost
    /// to a reset.
    pub async fn linger(mut self) {
        let socket = &mut self.0.get_mut().socket;
        let _ = socket.shutdown().await;
        let _ = tokio::time::timeout(LINGER, async {
            let mut sink = [0u8; 1024];
            while let Ok(n) = socket.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let read = this.with(cx, |ssl| ssl.read(buf.initialize_unfilled()));
        read.map_ok(|n| buf.advance(n))
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().with(cx, |ssl| ssl.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().with(cx, Write::flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let notified = this.with(cx, |ssl| match ssl.shutdown() {
            Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {
                Err(io::ErrorKind::WouldBlock.into())
            }
            // Sent, or the peer is gone already: close the socket either way.
            _ => Ok(()),
        });
        match notified {
            Poll::Ready(_) => Pin::new(&mut this.0.get_mut().socket).poll_shutdown(cx),
            Poll::Pending => Poll::Pending,
        }
    }
}
