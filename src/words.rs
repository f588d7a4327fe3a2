//! scythe's own words, packed at compile time: in a packed text, a byte from
//! 0x80 up stands for a fragment of [`FRAGMENTS`] (` COMMAND`, `'%' is not
//! `, ...). scythe's text is ASCII, so those bytes are free; they are a
//! third of its binary, and packed they take a fifth less room. What users
//! pass (values, names, commands) is never packed, and never unpacked.
//!
//! `packed!(b"...")` packs a text where it is written; [`unpack`] gives it
//! back, a message or a help line at a time, for `Line::fill` and the help.

/// The fragments, each after its length; byte `0x80 + n` stands for the
/// `n`-th. The packer tries them in this order, at each byte of a text.
/// Written by `tools/fragments.py` from the texts in `src/` (run it again
/// when they change: the tests hold any table to what packing needs, but
/// only a fresh one packs the texts well).
const FRAGMENTS: &[u8] = b"\
\x08 COMMAND\x0b'%' is not \x02s \x04not \x03the\x07 orphan\x02er\x05ignal\
\x04reap\x0aoption '%'\x02 i\x05relay\x04exit\x02, \x02: \x02ed\x07SIGKILL\
\x05show \x02on\x02e \x02or\x03sta\x02t \x04TERM\x02il\x02 #\x04 to \x02--\
\x03scy\x02ro\x02un\x02es\x02en\x02 a\x02no\x03...\x02f \x02an\x02 d\x04priv\
\x04grac\x03 ->\x02us\x06 value\x02it\x02ti\x02 n\x05PID 1\x03'%'\x03thi\
\x05l-aft\x02li\x02 s\x02 f\x04 giv\x04FROM\x02ne\x02wh\x04log \x02se";

/// The byte that stands for the first fragment.
const FIRST: u8 = 0x80;

/// How long `text` is once packed (see [`pack`]).
pub const fn packed_len(text: &[u8], plain_heads: bool) -> usize {
    pack_into(text, plain_heads, &mut [])
}

/// `text` packed: at each byte, the first fragment that matches there
/// stands in for it. With `plain_heads`, each line stays as it is up to its
/// first tab (help lines, whose spellings and names are read from them).
/// `N` must be [`packed_len`]; the `packed!` macro sees to both.
pub const fn pack<const N: usize>(text: &[u8], plain_heads: bool) -> [u8; N] {
    let mut packed = [0; N];
    let written = pack_into(text, plain_heads, &mut packed);
    assert!(written == N, "pack: N is not packed_len");
    packed
}

/// Packs `text` into `out` as far as it has room, and returns the packed
/// length (all of it, whatever fits).
const fn pack_into(text: &[u8], plain_heads: bool, out: &mut [u8]) -> usize {
    let (mut at, mut written) = (0, 0);
    let mut in_head = plain_heads;
    while at < text.len() {
        let byte = text[at];
        assert!(byte < FIRST, "packed texts are ASCII");
        let (stand_in, taken) = match in_head {
            true => (byte, 1),
            false => fragment_at(text, at),
        };
        if written < out.len() {
            out[written] = stand_in;
        }
        written += 1;
        at += taken;
        if plain_heads {
            in_head = match byte {
                b'\n' => true,
                b'\t' => false,
                _ => in_head,
            };
        }
    }
    written
}

/// The byte that stands for what begins at `text[at]`, and how many bytes
/// of `text` it stands for: the first fragment that matches, or the byte.
const fn fragment_at(text: &[u8], at: usize) -> (u8, usize) {
    let (mut start, mut token) = (0, FIRST);
    while start < FRAGMENTS.len() {
        let len = FRAGMENTS[start] as usize;
        let mut same = at + len <= text.len();
        let mut i = 0;
        while same && i < len {
            same = text[at + i] == FRAGMENTS[start + 1 + i];
            i += 1;
        }
        if same {
            return (token, len);
        }
        start += 1 + len;
        token += 1;
    }
    (text[at], 1)
}

/// The fragment `byte` stands for, `None` for a plain byte.
fn fragment(byte: u8) -> Option<&'static [u8]> {
    let mut skip = byte.checked_sub(FIRST)?;
    let mut rest = FRAGMENTS;
    loop {
        let (&len, tail) = rest.split_first()?;
        let (fragment, next) = tail.split_at_checked(usize::from(len))?;
        if skip == 0 {
            return Some(fragment);
        }
        (rest, skip) = (next, skip - 1);
    }
}

/// The longest piece of text scythe unpacks at once (a message, a help
/// line); a longer one is cut short there.
pub const ROOM: usize = 256;

/// Unpacks `packed` into `room`, as far as it goes; returns what it holds.
#[inline(never)]
pub fn unpack<'r>(packed: &[u8], room: &'r mut [u8; ROOM]) -> &'r [u8] {
    let mut len = 0;
    for &byte in packed {
        let plain = [byte];
        for &byte in fragment(byte).unwrap_or(&plain) {
            if let Some(slot) = room.get_mut(len) {
                *slot = byte;
                len += 1;
            }
        }
    }
    room.get(..len).unwrap_or_default()
}

/// A text packed where it is written: `packed!(b"...")`, or
/// `packed!(b"...", true)` to leave each line's head up to its first tab
/// as it is. Gives a `&'static [u8]`.
#[macro_export]
macro_rules! packed {
    ($text:expr) => {
        $crate::packed!($text, false)
    };
    ($text:expr, $plain_heads:expr) => {{
        const TEXT: &[u8] = $text;
        const PACKED: [u8; $crate::words::packed_len(TEXT, $plain_heads)] =
            $crate::words::pack(TEXT, $plain_heads);
        &PACKED as &'static [u8]
    }};
}

/// `packed` unpacked, however long, as a string (for tests).
#[cfg(test)]
pub fn unpacked(packed: &[u8]) -> String {
    let text = packed.iter().flat_map(|&byte| fragment(byte).unwrap_or(&[byte]).to_vec());
    String::from_utf8(text.collect()).expect("scythe's text is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragments() -> Vec<&'static [u8]> {
        (0..=u8::MAX - FIRST).map_while(|n| fragment(FIRST + n)).collect()
    }

    #[test]
    fn the_table_is_what_packing_needs() {
        let fragments = fragments();
        assert!(!fragments.is_empty() && fragments.len() <= usize::from(u8::MAX - FIRST) + 1);
        // Every byte of the table is a fragment's length or a fragment's.
        let total: usize = fragments.iter().map(|f| f.len() + 1).sum();
        assert_eq!(total, FRAGMENTS.len());
        for fragment in fragments {
            assert!(fragment.len() >= 2, "{fragment:?}");
            // No line ends or NULs (texts are split at those), no tabs
            // (help lines' heads end at one), nothing that is not ASCII.
            assert!(fragment.iter().all(|b| (b' '..=b'~').contains(b)), "{fragment:?}");
        }
    }

    #[test]
    fn packing_round_trips() {
        let texts: [&[u8]; 5] = [
            b"",
            b"no COMMAND given",
            b"'%' is not a signal\0'%' is not FROM:TO",
            b" COMMAND COMMAND  COMMAN",
            b"-c, --single-child\tsignal COMMAND alone\n-h\t\tshow this help",
        ];
        for text in texts {
            for heads in [false, true] {
                let mut packed = vec![0; packed_len(text, heads)];
                pack_into(text, heads, &mut packed);
                assert_eq!(unpacked(&packed).as_bytes(), text);
            }
        }
        let packed = packed!(b" COMMAND");
        assert_eq!(packed.len(), 1);
        assert_eq!(unpack(packed!(b"a COMMAND b"), &mut [0; ROOM]), b"a COMMAND b");
        let long = [b'x'; ROOM + 10];
        assert_eq!(unpack(&long, &mut [0; ROOM]).len(), ROOM);
    }

    #[test]
    fn heads_stay_plain() {
        let packed = packed!(b"-x COMMAND\t COMMAND\n COMMAND\t COMMAND", true);
        let plain = packed.iter().filter(|&&b| b < FIRST).count();
        assert_eq!(packed.len() - plain, 2, "{packed:?}");
        assert!(packed.starts_with(b"-x COMMAND\t"));
    }
}
