//! The few fields the demo's group book needs from clients' requests, read by hand with
//! every length checked against the bytes that are there. (kafka-protocol's decoders
//! reserve room for as many elements as a count declares: a hostile 16-byte frame could
//! make them ask for 128 GiB, which aborts the process.)

use anyhow::{Context as _, bail};
use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

/// A cursor over a request's bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    flexible: bool,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], flexible: bool) -> Self {
        Self { buf, flexible }
    }

    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        if self.buf.len() < n {
            bail!(
                "request cut short ({n} bytes wanted, {} left)",
                self.buf.len()
            );
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub fn i16(&mut self) -> anyhow::Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self) -> anyhow::Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn uvarint(&mut self) -> anyhow::Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("a varint longer than 5 bytes")
    }

    /// A length: `None` for null; never more than the bytes left (each element or byte
    /// takes at least one).
    fn length(&mut self) -> anyhow::Result<Option<usize>> {
        let n = if self.flexible {
            i64::from(self.uvarint()?) - 1
        } else {
            i64::from(self.i32()?)
        };
        if n < 0 {
            return Ok(None);
        }
        let n = usize::try_from(n).context("length")?;
        if n > self.buf.len() {
            bail!("a length of {n} with {} bytes left", self.buf.len());
        }
        Ok(Some(n))
    }

    /// A nullable string (i16 length, or compact in flexible versions).
    pub fn string(&mut self) -> anyhow::Result<Option<String>> {
        let n = if self.flexible {
            self.length()?
        } else {
            let n = self.i16()?;
            if n < 0 {
                None
            } else {
                Some(usize::try_from(n).context("length")?)
            }
        };
        n.map(|n| Ok(String::from_utf8_lossy(self.take(n)?).into_owned()))
            .transpose()
    }

    /// A string that must be there.
    pub fn text(&mut self) -> anyhow::Result<String> {
        Ok(self.string()?.unwrap_or_default())
    }

    pub fn bytes(&mut self) -> anyhow::Result<Bytes> {
        match self.length()? {
            Some(n) => Ok(Bytes::copy_from_slice(self.take(n)?)),
            None => Ok(Bytes::new()),
        }
    }

    /// An array's element count; `None` for null.
    pub fn array(&mut self) -> anyhow::Result<Option<usize>> {
        self.length()
    }

    /// Skips a tagged-field section (flexible versions only).
    pub fn tagged(&mut self) -> anyhow::Result<()> {
        if !self.flexible {
            return Ok(());
        }
        for _ in 0..self.uvarint()? {
            self.uvarint()?;
            let size = usize::try_from(self.uvarint()?).context("size")?;
            self.take(size)?;
        }
        Ok(())
    }
}

/// A request's header, read by hand.
pub struct Header<'a> {
    pub correlation_id: i32,
    pub client_id: String,
    /// The header's own bytes (to send it again unchanged).
    pub raw: &'a [u8],
    /// The body, and whether it is in a flexible version.
    pub body: &'a [u8],
    pub flexible: bool,
}

/// Splits a request frame (without its length prefix) into header and body.
pub fn header(frame: &[u8], api_key: ApiKey, version: i16) -> anyhow::Result<Header<'_>> {
    let flexible = api_key.request_header_version(version) >= 2;
    let mut r = Reader::new(frame, false);
    r.i16()?;
    r.i16()?;
    let correlation_id = r.i32()?;
    let client_id = r.string()?.unwrap_or_default();
    if flexible {
        let mut tagged = Reader::new(r.buf, true);
        tagged.tagged()?;
        r.buf = tagged.buf;
    }
    let used = frame.len() - r.buf.len();
    Ok(Header {
        correlation_id,
        client_id,
        raw: &frame[..used],
        body: r.buf,
        flexible,
    })
}

/// JoinGroup's fields the book keeps.
pub struct Join {
    pub group: String,
    pub session_ms: i32,
    pub instance_id: Option<String>,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
}

pub fn join_group(h: &Header<'_>, version: i16) -> anyhow::Result<Join> {
    let mut r = Reader::new(h.body, h.flexible);
    let group = r.text()?;
    let session_ms = r.i32()?;
    if version >= 1 {
        r.i32()?; // rebalance timeout
    }
    r.text()?; // member id (empty on a first join)
    let instance_id = if version >= 5 { r.string()? } else { None };
    let protocol_type = r.text()?;
    let count = r.array()?.unwrap_or(0);
    let mut protocols = Vec::new();
    for _ in 0..count {
        let name = r.text()?;
        let metadata = r.bytes()?;
        r.tagged()?;
        protocols.push((name, metadata));
    }
    Ok(Join {
        group,
        session_ms,
        instance_id,
        protocol_type,
        protocols,
    })
}

/// The group and member of a SyncGroup or Heartbeat (group, generation, member), or the
/// members leaving in a LeaveGroup.
pub fn group_and_members(
    h: &Header<'_>,
    api_key: ApiKey,
    version: i16,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut r = Reader::new(h.body, h.flexible);
    let group = r.text()?;
    if api_key == ApiKey::LeaveGroup {
        if version < 3 {
            return Ok((group, vec![r.text()?]));
        }
        let count = r.array()?.unwrap_or(0);
        let mut members = Vec::new();
        for _ in 0..count {
            members.push(r.text()?);
            r.string()?; // group instance id
            if version >= 5 {
                r.string()?; // reason
            }
            r.tagged()?;
        }
        return Ok((group, members));
    }
    r.i32()?; // generation
    Ok((group, vec![r.text()?]))
}

/// A KIP-848 heartbeat's group, member and epoch.
pub fn consumer_heartbeat(h: &Header<'_>) -> anyhow::Result<(String, String, i32)> {
    let mut r = Reader::new(h.body, h.flexible);
    let group = r.text()?;
    let member = r.text()?;
    let epoch = r.i32()?;
    Ok((group, member, epoch))
}

/// An OffsetFetch (v2–7)'s group, and whether it asks for every topic (a null list).
pub fn offset_fetch(h: &Header<'_>) -> anyhow::Result<(String, bool)> {
    let mut r = Reader::new(h.body, h.flexible);
    let group = r.text()?;
    Ok((group, r.array()?.is_none()))
}

/// ListGroups' filters (states from v4, types from v5).
pub fn list_groups(h: &Header<'_>, version: i16) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut r = Reader::new(h.body, h.flexible);
    let list = |r: &mut Reader<'_>| -> anyhow::Result<Vec<String>> {
        let count = r.array()?.unwrap_or(0);
        (0..count).map(|_| r.text()).collect()
    };
    let states = if version >= 4 {
        list(&mut r)?
    } else {
        Vec::new()
    };
    let types = if version >= 5 {
        list(&mut r)?
    } else {
        Vec::new()
    };
    Ok((states, types))
}

/// DescribeGroups' group ids.
pub fn describe_groups(h: &Header<'_>) -> anyhow::Result<Vec<String>> {
    let mut r = Reader::new(h.body, h.flexible);
    let count = r.array()?.unwrap_or(0);
    (0..count).map(|_| r.text()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(api_key: ApiKey, version: i16, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((api_key as i16).to_be_bytes());
        out.extend(version.to_be_bytes());
        out.extend(7i32.to_be_bytes());
        out.extend(3i16.to_be_bytes());
        out.extend(b"cli");
        if api_key.request_header_version(version) >= 2 {
            out.push(0); // no tagged fields
        }
        out.extend(body);
        out
    }

    #[test]
    fn a_hostile_count_is_an_error_not_an_allocation() {
        // ListGroups v4 with a states filter claiming 2^32 - 2 entries.
        let bytes = frame(ApiKey::ListGroups, 4, &[0xff, 0xff, 0xff, 0xff, 0x0f]);
        let h = header(&bytes, ApiKey::ListGroups, 4).unwrap();
        assert!(list_groups(&h, 4).is_err());
        let bytes = frame(ApiKey::DescribeGroups, 0, &[0x7f, 0xff, 0xff, 0xff]);
        let h = header(&bytes, ApiKey::DescribeGroups, 0).unwrap();
        assert!(describe_groups(&h).is_err());
        assert!(header(&[0, 16, 0], ApiKey::ListGroups, 0).is_err());
    }

    #[test]
    fn fields_read_in_plain_and_flexible_versions() {
        let mut body = vec![0, 0, 0, 1, 0, 1, b'g'];
        let bytes = frame(ApiKey::DescribeGroups, 0, &body);
        let h = header(&bytes, ApiKey::DescribeGroups, 0).unwrap();
        assert_eq!((h.correlation_id, h.client_id.as_str()), (7, "cli"));
        assert_eq!(describe_groups(&h).unwrap(), vec!["g"]);
        body = vec![2, 2, b'g', 0, 0]; // compact: one group "g", include ops false, tags
        let bytes = frame(ApiKey::DescribeGroups, 5, &body);
        let h = header(&bytes, ApiKey::DescribeGroups, 5).unwrap();
        assert_eq!(describe_groups(&h).unwrap(), vec!["g"]);
        let bytes = frame(ApiKey::OffsetFetch, 6, &[2, b'g', 0, 0, 0]);
        let h = header(&bytes, ApiKey::OffsetFetch, 6).unwrap();
        assert_eq!(offset_fetch(&h).unwrap(), ("g".to_string(), true));
    }
}
