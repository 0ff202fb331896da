//! HTTP/1.1 written by hand, shared by the fake servers (`fake_registry`, `fake_x`): reading
//! a request (its head, a `Content-Length` or chunked body, `Expect: 100-continue`,
//! keep-alive or not), writing a complete answer, holding a connection until the client
//! hangs up, and the text helpers (percent-decoding, query strings, reason phrases, chunk
//! framing). Everything reads and writes through any `AsyncRead + AsyncWrite` stream, so a
//! server speaks the same bytes over plain TCP and over TLS.
#![allow(dead_code)] // each test binary uses a subset

use std::fmt::Write as _;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest request head read before the connection is dropped.
pub const MAX_HEAD: usize = 64 << 10;

/// One parsed request.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub method: String,
    /// The request target as sent: path and query, still percent-encoded.
    pub target: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client asked to close after this answer (or spoke HTTP/1.0 without keep-alive).
    pub close: bool,
}

impl Incoming {
    /// The first header of this name (give it lower-cased).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target's path, still percent-encoded.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The target's query without the `?`; empty when there is none.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }
}

/// Reads until `buffer` holds `n` bytes; false when the client hung up first.
pub async fn fill<S: AsyncRead + Unpin>(stream: &mut S, buffer: &mut Vec<u8>, n: usize) -> bool {
    while buffer.len() < n {
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
    true
}

/// Reads a line ending in CRLF from the buffer (reading more as needed), without the CRLF;
/// `None` when the client hung up, or the line is longer than [`MAX_HEAD`].
pub async fn read_line<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<String> {
    loop {
        if let Some(end) = buffer.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = buffer.drain(..end + 2).take(end).collect();
            return Some(String::from_utf8_lossy(&line).into_owned());
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        let have = buffer.len();
        if !fill(stream, buffer, have + 1).await {
            return None;
        }
    }
}

/// Reads a request head up to its blank line, which is consumed; the head without it.
/// `None` when the client hung up first, or the head is longer than [`MAX_HEAD`].
pub async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<String> {
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return None;
        }
        let have = buffer.len();
        if !fill(stream, buffer, have + 1).await {
            return None;
        }
    };
    let head: Vec<u8> = buffer.drain(..end + 4).collect();
    Some(String::from_utf8_lossy(&head[..end]).into_owned())
}

/// Parses a head: the request line, then `name: value` lines (names lower-cased). The
/// `close` flag is set from `Connection` and the HTTP version; the body is left empty.
pub fn parse_head(head: &str) -> Option<Incoming> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let version = request_line.next().unwrap_or("HTTP/1.1");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut incoming = Incoming {
        method,
        target,
        headers,
        body: Vec::new(),
        close: false,
    };
    let connection = incoming
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    incoming.close = connection.contains("close")
        || (version == "HTTP/1.0" && !connection.contains("keep-alive"));
    Some(incoming)
}

/// Reads one request with its body (`Content-Length` or chunked; `Expect: 100-continue`
/// answered first); `None` when the client hung up (or sent something unreadable).
pub async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Option<Incoming> {
    let head = read_head(stream, buffer).await?;
    let mut incoming = parse_head(&head)?;
    if incoming
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        && stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return None;
    }
    let chunked = incoming
        .header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let size_line = read_line(stream, buffer).await?;
            let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the blank line.
                while !read_line(stream, buffer).await?.is_empty() {}
                break;
            }
            if !fill(stream, buffer, size + 2).await {
                return None;
            }
            incoming.body.extend(buffer.drain(..size));
            buffer.drain(..2);
        }
    } else {
        let length: usize = match incoming.header("content-length") {
            Some(n) => n.parse().ok()?,
            None => 0,
        };
        if !fill(stream, buffer, length).await {
            return None;
        }
        incoming.body = buffer.drain(..length).collect();
    }
    Some(incoming)
}

/// Reads and drops whatever the client sends until it hangs up: a connection held open
/// without an answer.
pub async fn hold<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut sink = [0u8; 1024];
    while let Ok(n) = stream.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// A complete answer with a `Content-Length` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    /// Sent after `Content-Type` and `Content-Length`, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header after the others.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The answer's bytes; `close` adds `Connection: close`.
    pub fn bytes(&self, close: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status,
            reason_phrase(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

/// The standard reason phrase of the statuses the fakes answer (`Error` for others).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// One HTTP chunk: size line, data, trailer.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Percent-decoding; `+` is a space only in a query (`plus_is_space`).
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string's `name=value` pairs, decoded, in the order sent.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name, true), percent_decode(value, true))
        })
        .collect()
}
