//! The text forms of Avro's bytes, decimals and uuids, as the JSON gives them.

use std::str::FromStr as _;

use num_bigint::BigInt;

/// Text of code points U+0000–U+00FF as bytes (Avro's JSON for bytes and fixed).
pub(super) fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Decimal text (`-12.30`, `5`, `1e3` is refused) as its unscaled integer at `scale`.
pub(super) fn unscaled(text: &str, scale: usize, precision: usize) -> Result<BigInt, String> {
    if scale > super::super::decode::MAX_DECIMAL_SCALE {
        return Err(format!(
            "the schema's decimal scale {scale} is more than ktui writes"
        ));
    }
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(format!("{text:?} is not a decimal number"));
    }
    let kept = fraction.trim_end_matches('0');
    if kept.len() > scale {
        return Err(format!(
            "{text} has {} digits after the point; the schema's scale is {scale}",
            kept.len()
        ));
    }
    let mut all = format!("{whole}{fraction}");
    if fraction.len() < scale {
        all.push_str(&"0".repeat(scale - fraction.len()));
    } else {
        all.truncate(all.len() - (fraction.len() - scale));
    }
    let all = all.trim_start_matches('0');
    if all.len() > precision {
        return Err(format!(
            "{text} has {} digits; the schema's precision is {precision}",
            all.len()
        ));
    }
    let n = if all.is_empty() {
        BigInt::from(0)
    } else {
        BigInt::from_str(all).map_err(|e| e.to_string())?
    };
    Ok(if negative { -n } else { n })
}

/// Two's complement big-endian bytes of `n`, sign-extended to `size` when given.
pub(super) fn decimal_bytes(n: &BigInt, size: Option<usize>) -> Result<Vec<u8>, String> {
    let raw = n.to_signed_bytes_be();
    let Some(size) = size else {
        return Ok(raw);
    };
    if raw.len() > size {
        return Err(format!("{n} does not fit in the schema's {size} bytes"));
    }
    let fill = if n.sign() == num_bigint::Sign::Minus {
        0xff
    } else {
        0
    };
    let mut out = vec![fill; size - raw.len()];
    out.extend_from_slice(&raw);
    Ok(out)
}

pub(super) fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_to_unscaled() {
        assert_eq!(unscaled("12.3", 2, 9).unwrap(), BigInt::from(1230));
        assert_eq!(unscaled("-0.05", 2, 9).unwrap(), BigInt::from(-5));
        assert_eq!(unscaled("7", 0, 9).unwrap(), BigInt::from(7));
        assert_eq!(unscaled("1.500", 1, 9).unwrap(), BigInt::from(15));
        assert!(unscaled("1.234", 2, 9).unwrap_err().contains("scale is 2"));
        assert!(
            unscaled("123456", 0, 5)
                .unwrap_err()
                .contains("precision is 5")
        );
        assert!(unscaled("1e3", 0, 9).is_err());
        assert!(unscaled("", 0, 9).is_err());
        assert_eq!(
            decimal_bytes(&BigInt::from(-105), Some(4)).unwrap(),
            [0xff, 0xff, 0xff, 0x97]
        );
        assert!(decimal_bytes(&BigInt::from(70000), Some(2)).is_err());
    }
}
