//! The Confluent wire format: a magic byte 0, the schema id as 4 bytes big-endian, then
//! the payload. For Protobuf the payload starts with the message indexes: which message of
//! the schema's file this is, as zigzag varints (a count, then each index into the file's
//! messages and then their nested messages), with the common `[0]` written as one 0 byte.

/// The first byte of a framed record.
pub const MAGIC: u8 = 0;

/// A framed record's schema id and what follows the header.
pub fn split(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [MAGIC, a, b, c, d, rest @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => None,
    }
}

/// The header and the payload, as the Confluent serializers write them.
pub fn frame(id: u32, indexes: Option<&[i32]>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    if let Some(indexes) = indexes {
        if indexes == [0] {
            out.push(0);
        } else {
            write_zigzag(&mut out, i64::try_from(indexes.len()).unwrap_or(i64::MAX));
            for index in indexes {
                write_zigzag(&mut out, i64::from(*index));
            }
        }
    }
    out.extend_from_slice(payload);
    out
}

/// The message indexes at the start of a Protobuf payload, and the message after them.
pub fn message_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let mut at = 0;
    let count = read_zigzag(payload, &mut at)?;
    if count == 0 {
        return Ok((vec![0], &payload[at..]));
    }
    // Each index takes at least a byte: a count past what is left is corrupt.
    if count < 0 || usize::try_from(count).map_or(true, |n| n > payload.len() - at) {
        return Err(format!(
            "corrupt Protobuf framing: {count} message indexes in {} bytes",
            payload.len()
        ));
    }
    let mut indexes = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        let index = read_zigzag(payload, &mut at)?;
        indexes.push(
            i32::try_from(index)
                .ok()
                .filter(|i| *i >= 0)
                .ok_or_else(|| format!("corrupt Protobuf framing: message index {index}"))?,
        );
    }
    Ok((indexes, &payload[at..]))
}

/// A zigzag varint (Avro's int and long, the Protobuf framing's indexes).
pub fn write_zigzag(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)).cast_unsigned();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Why a zigzag varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The bytes end inside it.
    Cut,
    /// More than 10 bytes.
    TooLong,
}

/// Reads a zigzag varint at `at`, moving `at` past it.
pub fn read_zigzag_at(bytes: &[u8], at: &mut usize) -> Result<i64, VarintError> {
    let mut n: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or(VarintError::Cut)?;
        *at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((n >> 1).cast_signed() ^ -(n & 1).cast_signed());
        }
    }
    Err(VarintError::TooLong)
}

fn read_zigzag(bytes: &[u8], at: &mut usize) -> Result<i64, String> {
    read_zigzag_at(bytes, at).map_err(|e| match e {
        VarintError::Cut => "corrupt Protobuf framing: the message indexes are cut short".into(),
        VarintError::TooLong => {
            "corrupt Protobuf framing: a message index is longer than 10 bytes".into()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_what_it_frames() {
        let framed = frame(0x0102_0304, None, b"avro");
        assert_eq!(framed, [0, 1, 2, 3, 4, b'a', b'v', b'r', b'o']);
        assert_eq!(split(&framed), Some((0x0102_0304, &b"avro"[..])));
        assert_eq!(split(&[0, 0, 0, 1]), None, "too short");
        assert_eq!(split(b"{\"a\":1}"), None, "not framed");
        assert_eq!(split(&[0, 0, 0, 0, 7]), Some((7, &[][..])));
    }

    #[test]
    fn message_indexes_as_the_confluent_serializers_write_them() {
        // [0] is one 0 byte; [1] is count 1 (zigzag 2) then 1 (zigzag 2); [0, 2] is 4, 0, 4.
        assert_eq!(frame(1, Some(&[0]), b"m")[5..], [0, b'm']);
        assert_eq!(frame(1, Some(&[1]), b"m")[5..], [2, 2, b'm']);
        assert_eq!(frame(1, Some(&[0, 2]), b"m")[5..], [4, 0, 4, b'm']);
        for indexes in [vec![0], vec![1], vec![0, 2], vec![3, 70, 0]] {
            let framed = frame(9, Some(&indexes), b"rest");
            let (id, payload) = split(&framed).unwrap();
            assert_eq!(id, 9);
            assert_eq!(
                message_indexes(payload).unwrap(),
                (indexes.clone(), &b"rest"[..])
            );
        }
    }

    #[test]
    fn corrupt_message_indexes_are_errors() {
        assert!(message_indexes(&[]).is_err());
        assert!(message_indexes(&[0x80]).is_err(), "cut varint");
        assert!(message_indexes(&[0xff; 11]).is_err(), "too long");
        assert!(message_indexes(&[200, 1]).is_err(), "count past the bytes");
        assert!(message_indexes(&[1]).is_err(), "negative count");
        assert!(message_indexes(&[2, 1]).is_err(), "negative index");
    }
}
