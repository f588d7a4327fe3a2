//! Splitting byte strings: one small function for every parser, where
//! core's `split` and `splitn` would add a copy of themselves per caller.

/// `text` up to the first byte that is one of `ends`, and what follows that
/// byte (`None` when no byte of `ends` occurs: the first part is then all
/// of `text`).
// tools/inline.py: smaller out of line, and as cold (optimised for size).
#[inline(never)]
#[cold]
pub fn split_at_any<'a>(text: &'a [u8], ends: &[u8]) -> (&'a [u8], Option<&'a [u8]>) {
    let mut at = 0;
    while let Some(byte) = text.get(at) {
        // Not `contains`: core's memchr comes precompiled for speed, at 200
        // bytes.
        #[allow(clippy::manual_contains)]
        if ends.iter().any(|end| end == byte) {
            return (text.get(..at).unwrap_or_default(), text.get(at + 1..));
        }
        at += 1;
    }
    (text, None)
}

/// Entry `index` of `list`, whose entries each end with `end` (a NUL, a line
/// end; the last may go without), or empty past the last.
#[inline(never)]
pub fn nth(list: &[u8], end: u8, index: usize) -> &[u8] {
    let mut rest = list;
    for _ in 0..index {
        rest = split_at_any(rest, &[end]).1.unwrap_or_default();
    }
    field(rest, &[end])
}

/// `text` up to the first byte that is one of `ends` (all of it if none).
// tools/inline.py: smaller inlined.
#[inline(always)]
pub fn field<'a>(text: &'a [u8], ends: &[u8]) -> &'a [u8] {
    split_at_any(text, ends).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_end_only() {
        assert_eq!(split_at_any(b"a:b:c", b":"), (&b"a"[..], Some(&b"b:c"[..])));
        assert_eq!(split_at_any(b"a=b\tc", b"\t="), (&b"a"[..], Some(&b"b\tc"[..])));
        assert_eq!(split_at_any(b":", b":"), (&b""[..], Some(&b""[..])));
        assert_eq!(split_at_any(b"abc", b":"), (&b"abc"[..], None));
        assert_eq!(split_at_any(b"", b":"), (&b""[..], None));
        assert_eq!(field(b"name value", b" \t"), b"name");
        assert_eq!(field(b"name", b" \t"), b"name");
        assert_eq!(nth(b"a\0bc\0", 0, 1), b"bc");
        assert_eq!(nth(b"a\nbc\nd", b'\n', 2), b"d");
        assert_eq!(nth(b"a\nbc", b'\n', 5), b"");
    }
}
