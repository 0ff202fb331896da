//! What the demo's front changes in the Kafka protocol between a client and librdkafka's
//! mock cluster, on whole frames (kafka-protocol does the encoding):
//!
//! - **ApiVersions** is answered by the front, as a Kafka 4 broker answers it: versions 0 to
//!   4, and for a newer version an UNSUPPORTED_VERSION error in the version-0 shape with the
//!   range it does support, so the client retries. (The mock supports 0–2 and answers a
//!   newer request in a shape kafka-python and Java clients cannot read.)
//! - **Metadata** and **FindCoordinator** answers name brokers: their addresses are
//!   rewritten to the front's listeners, so a client never talks to the mock directly;
//!   Metadata's controller becomes a broker that exists.
//! - Everything else passes through byte for byte.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use bytes::{Buf, BufMut, Bytes, BytesMut};
pub use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, FindCoordinatorResponse, MetadataResponse,
    RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

/// The newest ApiVersions version the front answers (Kafka 4.1's).
pub const API_VERSIONS_MAX: i16 = 4;
/// Kafka's UNSUPPORTED_VERSION error code.
const UNSUPPORTED_VERSION: i16 = 35;
/// A frame larger than this closes the connection (Kafka's own `socket.request.max.bytes`).
pub const MAX_FRAME: usize = 100 * 1024 * 1024;

/// Versions the mock advertises but cannot parse: its group handlers read arrays as
/// fixed-width even in the flexible (compact) versions, so kafka-python's JoinGroup v6
/// closes the connection. librdkafka's own client never sends these versions; the
/// front caps each API at the newest version the mock really serves (the last
/// non-flexible one; LeaveGroup v3 batches members, which the mock does not read).
/// Produce v10 and Fetch v16 answers may carry leader endpoints (KIP-951) with the mock's
/// own addresses, which would send a client past the front: capped below them.
const CAPS: &[(ApiKey, i16)] = &[
    (ApiKey::Produce, 9),
    (ApiKey::Fetch, 15),
    (ApiKey::JoinGroup, 5),
    (ApiKey::SyncGroup, 3),
    (ApiKey::Heartbeat, 3),
    (ApiKey::LeaveGroup, 2),
];

/// The APIs (and version ranges) the front advertises: the mock's, capped where the
/// mock fails ([`CAPS`]), with ApiVersions raised to what the front answers itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTable(Vec<ApiVersion>);

impl ApiTable {
    /// From the mock's own ApiVersions answer.
    pub fn from_mock(mock: Vec<ApiVersion>) -> Self {
        let mut keys: Vec<ApiVersion> = mock
            .into_iter()
            .filter(|k| k.api_key != ApiKey::ApiVersions as i16)
            .map(|mut k| {
                if let Some((_, cap)) = CAPS.iter().find(|(key, _)| *key as i16 == k.api_key) {
                    k.max_version = k.max_version.min(*cap);
                }
                k
            })
            .collect();
        keys.push(api_versions_range());
        // Answered by the front from what it saw (see `super::groups`).
        for (key, max) in [
            (ApiKey::ListGroups, super::groups::LIST_GROUPS_MAX),
            (ApiKey::DescribeGroups, super::groups::DESCRIBE_GROUPS_MAX),
        ] {
            keys.retain(|k| k.api_key != key as i16);
            keys.push(
                ApiVersion::default()
                    .with_api_key(key as i16)
                    .with_min_version(0)
                    .with_max_version(max),
            );
        }
        keys.sort_by_key(|k| k.api_key);
        Self(keys)
    }

    pub fn range(&self, api_key: i16) -> Option<(i16, i16)> {
        self.0
            .iter()
            .find(|k| k.api_key == api_key)
            .map(|k| (k.min_version, k.max_version))
    }
}

fn api_versions_range() -> ApiVersion {
    ApiVersion::default()
        .with_api_key(ApiKey::ApiVersions as i16)
        .with_min_version(0)
        .with_max_version(API_VERSIONS_MAX)
}

/// What to do with one request from a client.
#[derive(Debug, PartialEq)]
pub enum Inbound {
    /// Answer it here with this frame (length prefix included); do not forward it.
    Answer(Bytes),
    /// Forward it; the mock answers with a response to read (and maybe rewrite).
    Forward { api_key: i16, version: i16 },
    /// Forward it; the client expects no response (a Produce with acks=0), but the mock
    /// answers anyway: that answer, with this correlation id, is dropped.
    ForwardUnanswered { correlation_id: i32 },
}

/// A request's API key and version (the frame without its length prefix).
pub fn api_of(frame: &[u8]) -> anyhow::Result<(i16, i16)> {
    let mut prefix = frame;
    if prefix.len() < 8 {
        bail!("a request of {} bytes has no header", frame.len());
    }
    Ok((prefix.get_i16(), prefix.get_i16()))
}

/// Decides about one request frame (without its length prefix).
pub fn inbound(frame: &[u8], table: &ApiTable) -> anyhow::Result<Inbound> {
    let mut prefix = frame;
    if prefix.len() < 8 {
        bail!("a request of {} bytes has no header", frame.len());
    }
    let api_key = prefix.get_i16();
    let version = prefix.get_i16();
    let correlation_id = prefix.get_i32();
    if api_key == ApiKey::ApiVersions as i16 {
        return Ok(Inbound::Answer(api_versions_answer(
            correlation_id,
            version,
            table,
        )?));
    }
    if api_key == ApiKey::Produce as i16 {
        match produce_acks(frame, version) {
            Ok(0) => return Ok(Inbound::ForwardUnanswered { correlation_id }),
            Ok(_) => {}
            // The mock will say what is wrong with it; its answer is relayed as usual.
            Err(error) => tracing::debug!("demo front: unreadable Produce request: {error:#}"),
        }
    }
    Ok(Inbound::Forward { api_key, version })
}

/// The `acks` of a Produce request: after the header comes the transactional id (from
/// version 3), then acks.
fn produce_acks(frame: &[u8], version: i16) -> anyhow::Result<i16> {
    let mut buf = frame;
    let header_version = ApiKey::Produce.request_header_version(version);
    RequestHeader::decode(&mut buf, header_version).context("Produce request header")?;
    if version >= 9 {
        let length = read_uvarint(&mut buf)?;
        skip(&mut buf, length.saturating_sub(1) as usize)?;
    } else if version >= 3 {
        if buf.remaining() < 2 {
            bail!("Produce request cut short");
        }
        let length = buf.get_i16();
        skip(&mut buf, usize::try_from(length).unwrap_or(0))?;
    }
    if buf.remaining() < 2 {
        bail!("Produce request cut short");
    }
    Ok(buf.get_i16())
}

fn read_uvarint(buf: &mut &[u8]) -> anyhow::Result<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        if !buf.has_remaining() {
            bail!("varint cut short");
        }
        let byte = buf.get_u8();
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("varint too long")
}

fn skip(buf: &mut &[u8], n: usize) -> anyhow::Result<()> {
    if buf.remaining() < n {
        bail!("request cut short");
    }
    buf.advance(n);
    Ok(())
}

/// The ApiVersions answer a Kafka 4 broker gives to a request of `version`.
pub fn api_versions_answer(
    correlation_id: i32,
    version: i16,
    table: &ApiTable,
) -> anyhow::Result<Bytes> {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let (response, version) = if (0..=API_VERSIONS_MAX).contains(&version) {
        (
            ApiVersionsResponse::default().with_api_keys(table.0.clone()),
            version,
        )
    } else {
        // KIP-511: the version-0 shape, with the range of ApiVersions itself.
        (
            ApiVersionsResponse::default()
                .with_error_code(UNSUPPORTED_VERSION)
                .with_api_keys(vec![api_versions_range()]),
            0,
        )
    };
    frame(
        &header,
        ApiVersionsResponse::header_version(version),
        &response,
        version,
    )
}

/// Where each mock broker is reached through the front: mock port → (host, port).
#[derive(Debug, Clone, Default)]
pub struct Routes(pub HashMap<i32, (String, i32)>);

impl Routes {
    fn route(&self, host: &mut StrBytes, port: &mut i32) {
        if let Some((front_host, front_port)) = self.0.get(port) {
            *host = StrBytes::from_string(front_host.clone());
            *port = *front_port;
        }
    }
}

/// The response to a forwarded request (without its length prefix), ready to send to the
/// client (with one): broker addresses rewritten, everything else as the mock wrote it.
pub fn outbound(api_key: i16, version: i16, body: Bytes, routes: &Routes) -> anyhow::Result<Bytes> {
    if api_key == ApiKey::Metadata as i16 {
        let header_version = MetadataResponse::header_version(version);
        let mut buf = body;
        let header = ResponseHeader::decode(&mut buf, header_version)?;
        let mut response = MetadataResponse::decode(&mut buf, version)?;
        for broker in &mut response.brokers {
            routes.route(&mut broker.host, &mut broker.port);
        }
        // The mock names broker 0, which does not exist, as the controller: admin clients
        // (Java's, kafka-python's) then wait for it until they time out. A real cluster
        // always names one of its brokers.
        let known = |id| response.brokers.iter().any(|b| b.node_id == id);
        if !known(response.controller_id)
            && let Some(first) = response.brokers.iter().map(|b| b.node_id).min()
        {
            response.controller_id = first;
        }
        return frame(&header, header_version, &response, version);
    }
    if api_key == ApiKey::FindCoordinator as i16 {
        let header_version = FindCoordinatorResponse::header_version(version);
        let mut buf = body;
        let header = ResponseHeader::decode(&mut buf, header_version)?;
        let mut response = FindCoordinatorResponse::decode(&mut buf, version)?;
        routes.route(&mut response.host, &mut response.port);
        for coordinator in &mut response.coordinators {
            routes.route(&mut coordinator.host, &mut coordinator.port);
        }
        return frame(&header, header_version, &response, version);
    }
    Ok(framed(&body))
}

/// `body` with its length prefix.
pub fn framed(body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.put_u32(body.len() as u32);
    out.put_slice(body);
    out.freeze()
}

/// A length-prefixed frame of `header` and `message` (the front's own answers too).
pub(super) fn frame<M: Encodable>(
    header: &ResponseHeader,
    header_version: i16,
    message: &M,
    version: i16,
) -> anyhow::Result<Bytes> {
    let mut out = BytesMut::new();
    out.put_u32(0);
    header.encode(&mut out, header_version)?;
    message.encode(&mut out, version)?;
    let length = u32::try_from(out.len() - 4).context("frame too large")?;
    out[..4].copy_from_slice(&length.to_be_bytes());
    Ok(out.freeze())
}

/// An ApiVersions v0 request, to ask the mock what it supports.
pub fn api_versions_request(correlation_id: i32) -> anyhow::Result<Bytes> {
    let header = RequestHeader::default()
        .with_request_api_key(ApiKey::ApiVersions as i16)
        .with_request_api_version(0)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("ktui-demo-front")));
    let mut out = BytesMut::new();
    out.put_u32(0);
    header.encode(&mut out, ApiKey::ApiVersions.request_header_version(0))?;
    ApiVersionsRequest::default().encode(&mut out, 0)?;
    let length = u32::try_from(out.len() - 4).context("frame too large")?;
    out[..4].copy_from_slice(&length.to_be_bytes());
    Ok(out.freeze())
}

/// The mock's answer to [`api_versions_request`] (without the length prefix).
pub fn parse_api_versions(body: Bytes) -> anyhow::Result<Vec<ApiVersion>> {
    let mut buf = body;
    ResponseHeader::decode(&mut buf, 0)?;
    let response = ApiVersionsResponse::decode(&mut buf, 0)?;
    if response.error_code != 0 {
        bail!("ApiVersions failed with error {}", response.error_code);
    }
    Ok(response.api_keys)
}

#[cfg(test)]
mod tests;
