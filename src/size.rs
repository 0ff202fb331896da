//! Sizes as the command line and the config file give them: `--buffer 50000,128MiB`,
//! `256MiB`, `1GiB`. A leaf: the tail buffer, the CLI and the config file all read it.

/// Default bounds: about 100 000 records or 256 MiB, whichever comes first.
pub const DEFAULT_MAX_RECORDS: usize = 100_000;
pub const DEFAULT_MAX_BYTES: usize = 256 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub records: usize,
    pub bytes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            records: DEFAULT_MAX_RECORDS,
            bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Bounds {
    /// Parses `--buffer`: `N` records, or `N,SIZE` with SIZE like `128MiB`, `1GiB`, `500MB`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (count, size) = match text.split_once(',') {
            Some((c, s)) => (c.trim(), Some(s.trim())),
            None => (text.trim(), None),
        };
        let records = count
            .replace('_', "")
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!("--buffer: {count:?} is not a record count (e.g. 100000 or 50000,128MiB)")
            })?;
        let bytes = match size {
            None => DEFAULT_MAX_BYTES,
            Some(size) => parse_size(size)?,
        };
        Ok(Self { records, bytes })
    }
}

/// `128MiB`, `1GiB`, `500MB`, `64k`, or plain bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let n: usize = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 256MiB)"))?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => return Err(format!("{other:?} is not a size unit (use KiB, MiB, GiB)")),
    };
    n.checked_mul(multiplier)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_sizes_parse() {
        assert_eq!(
            Bounds::parse("1000").unwrap(),
            Bounds {
                records: 1000,
                bytes: DEFAULT_MAX_BYTES
            }
        );
        assert_eq!(
            Bounds::parse("50_000,128MiB").unwrap(),
            Bounds {
                records: 50_000,
                bytes: 128 << 20
            }
        );
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert!(Bounds::parse("0").is_err());
        assert!(Bounds::parse("10,5furlongs").is_err());
    }
}
