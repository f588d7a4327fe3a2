//! Durations as users write them: `0`, `250ms`, `5s`, `2m`, `1h`; a bare
//! number is seconds, as for `sleep` and `timeout`.

/// The longest duration accepted, in milliseconds: about 49 days.
pub const MAX_MS: u32 = u32::MAX;

/// Parses a duration into milliseconds; `None` if it is not one (a sign, an
/// unknown unit, a fraction, or more than [`MAX_MS`]).
pub fn parse_ms(text: &[u8]) -> Option<u32> {
    let digits = text.iter().position(|b| !b.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let scale: u32 = match unit {
        b"ms" => 1,
        b"" | b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => return None,
    };
    let count = crate::signal::parse_number(number, MAX_MS)?;
    count.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds() {
        assert_eq!(parse_ms(b"0"), Some(0));
        assert_eq!(parse_ms(b"0s"), Some(0));
        assert_eq!(parse_ms(b"250ms"), Some(250));
        assert_eq!(parse_ms(b"5s"), Some(5_000));
        assert_eq!(parse_ms(b"5"), Some(5_000));
        assert_eq!(parse_ms(b"2m"), Some(120_000));
        assert_eq!(parse_ms(b"1h"), Some(3_600_000));
        assert_eq!(parse_ms(b"4294967295ms"), Some(u32::MAX));
    }

    #[test]
    fn nonsense_and_overflow_are_refused() {
        for bad in [
            &b""[..],
            b"-1",
            b"+1",
            b"5x",
            b"1.5s",
            b"s",
            b"ms",
            b"5 s",
            b"5S",
            b"1200h",
            b"4294967296ms",
            b"4294968s",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_ms(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
