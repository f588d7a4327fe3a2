//! scythe's own words, packed at compile time: in a packed text, a byte from
//! 0x80 up stands for a pair of [`PAIRS`] (`th`, `s `, ...), whose halves
//! are bytes or pairs again. scythe's text is ASCII, so those bytes are
//! free; packed, the text takes a third less room, and still an eighth of
//! the binary. What users pass (values, names, commands) is never packed,
//! and never unpacked.
//!
//! `packed!(b"...")` packs a text where it is written; [`unpack`] gives it
//! back, a message or a help line at a time, for `Line::fill` and the help.

use core::mem::MaybeUninit;

/// The pairs; byte `0x80 + n` stands for the `n`-th, which holds only
/// bytes below it. The packer takes them in this order, each wherever it
/// is used, left to right. Written by `tools/pairs.py` from the texts in
/// `src/` (run it again when they change: the tests hold any table to what
/// packing needs, but only a fresh one packs the texts well).
const PAIRS: [[u8; 2]; 128] = as_pairs(
    b"\
s t noer ire: the \x82\x81a\x80n orOM, aledC\x8d\x91M\x92A\x93N\x94Dop'%\
\x97'--lastsitian # \x95\x9ay\x98\x84\xa2\x80n\x8filo\x8bne$ \x87\x88un\
\x85\xa1g\xa4\x85a\xadpesxiro\x84f\x83r\x8a\x99\x9c\xace\xb0\x9bausena \
\xa3\x89v\x83i\x80\xa0 sc\xbfyTE\xc1R\xc2MSI\xc4G\x8e1onc\x9e\xc8\x89li\
\x9d\xa6o \x8cp\xcdhivhot\x83..\xd2.t\x80\xb2 \xa5l\x87ede f\x8c a\x81dr\
\xdc\x96ID\xae\x90 t\xbb\xbaa\x8brag \x87\xbds\xd0\xe6w\xe7 \x8a-->r\xaa\
s\x8e\xb7tINk\xd6\xb7r; d \xc0\xd7 \xcaceelmichc\x88ary lev\x8fum w",
);

/// The bytes of a pairs table, two at a time.
const fn as_pairs<const N: usize>(bytes: &[u8]) -> [[u8; 2]; N] {
    assert!(bytes.len() == 2 * N, "a pairs table holds N pairs");
    let mut pairs = [[0; 2]; N];
    let mut n = 0;
    while n < N {
        pairs[n] = [bytes[2 * n], bytes[2 * n + 1]];
        n += 1;
    }
    pairs
}

/// The byte that stands for the first pair.
const FIRST: u8 = 0x80;

/// The longest text `packed!` takes.
const MAX_TEXT: usize = 2048;

/// How long `text` is once packed (see [`pack`]).
pub const fn packed_len(text: &[u8], plain_heads: bool) -> usize {
    pack_into(text, plain_heads, &mut [])
}

/// `text` packed: each pair of [`PAIRS`] in turn stands in wherever it is
/// used. With `plain_heads`, each line stays as it is up to its first tab
/// (help lines, whose spellings and names are read from them).
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
    assert!(text.len() <= MAX_TEXT, "packed texts are at most MAX_TEXT bytes");
    // A byte of a head is marked (0x100) so that no pair matches it.
    let mut symbols = [0u16; MAX_TEXT];
    let mut in_head = plain_heads;
    let mut len = 0;
    while len < text.len() {
        let byte = text[len];
        assert!(byte < FIRST, "packed texts are ASCII");
        symbols[len] = if in_head { byte as u16 | 0x100 } else { byte as u16 };
        if plain_heads {
            in_head = match byte {
                b'\n' => true,
                b'\t' => false,
                _ => in_head,
            };
        }
        len += 1;
    }
    let mut pair = 0;
    while pair < PAIRS.len() {
        let [first, second] = PAIRS[pair];
        let (mut read, mut written) = (0, 0);
        while read < len {
            let used = read + 1 < len
                && symbols[read] == first as u16
                && symbols[read + 1] == second as u16;
            symbols[written] = if used { FIRST as u16 + pair as u16 } else { symbols[read] };
            read += if used { 2 } else { 1 };
            written += 1;
        }
        len = written;
        pair += 1;
    }
    let mut at = 0;
    while at < len && at < out.len() {
        out[at] = symbols[at] as u8;
        at += 1;
    }
    len
}

/// The longest piece of text scythe unpacks at once (a message, a help
/// line); a longer one is cut short there.
pub const ROOM: usize = 256;

/// Room to unpack a text into, as [`unpack`] takes it: it writes every
/// byte it hands back, so the room need not be cleared first.
pub type Room = [MaybeUninit<u8>; ROOM];

/// Room for [`unpack`].
pub const fn room() -> Room {
    [MaybeUninit::uninit(); ROOM]
}

/// Unpacks `packed` into `room`, as far as it goes; returns what it holds.
#[inline(never)]
pub fn unpack<'r>(packed: &[u8], room: &'r mut Room) -> &'r [u8] {
    let mut len = 0;
    for &byte in packed {
        put(byte, room, &mut len);
    }
    // SAFETY: `put` wrote the first `len` bytes, and `len` stays within.
    unsafe { core::slice::from_raw_parts(room.as_ptr().cast(), len) }
}

/// The pair `byte` stands for; `None` for a plain byte, which is below
/// FIRST, so that its index is past the table.
fn pair(byte: u8) -> Option<[u8; 2]> {
    PAIRS.get(usize::from(byte.wrapping_sub(FIRST))).copied()
}

/// Puts what `byte` stands for into `room` at `len`, as far as it goes.
fn put(byte: u8, room: &mut Room, len: &mut usize) {
    match pair(byte) {
        Some([first, second]) => {
            put(first, room, len);
            put(second, room, len);
        }
        None => {
            if let Some(slot) = room.get_mut(*len) {
                slot.write(byte);
                *len += 1;
            }
        }
    }
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
    fn extend(text: &mut Vec<u8>, byte: u8) {
        match pair(byte) {
            Some([first, second]) => {
                extend(text, first);
                extend(text, second);
            }
            None => text.push(byte),
        }
    }
    let mut text = Vec::new();
    packed.iter().for_each(|&byte| extend(&mut text, byte));
    String::from_utf8(text).expect("scythe's text is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How deep pairs may nest, which is how deep [`unpack`] recurses (as
    /// `tools/pairs.py` chooses them).
    const MAX_DEPTH: usize = 8;

    /// How deep `byte` nests: 0 for a plain byte.
    fn depth(byte: u8) -> usize {
        match pair(byte) {
            Some([first, second]) => 1 + depth(first).max(depth(second)),
            None => 0,
        }
    }

    #[test]
    fn the_table_is_what_packing_needs() {
        assert!(!PAIRS.is_empty() && PAIRS.len() <= usize::from(u8::MAX - FIRST) + 1);
        for (n, pair) in PAIRS.iter().enumerate() {
            for &half in pair {
                // Only earlier pairs (so unpacking ends), and no line ends
                // or NULs (texts are split at those), no tabs (help lines'
                // heads end at one), nothing that is not ASCII.
                match half.checked_sub(FIRST) {
                    Some(earlier) => assert!(usize::from(earlier) < n, "{n}: {pair:?}"),
                    None => assert!((b' '..=b'~').contains(&half), "{n}: {pair:?}"),
                }
            }
            assert!(depth(FIRST + n as u8) <= MAX_DEPTH, "{n}: {pair:?}");
        }
    }

    #[test]
    fn packing_round_trips() {
        let texts: [&[u8]; 6] = [
            b"",
            b"no COMMAND given",
            b"'%' is not a signal\0'%' is not FROM:TO",
            b" COMMAND COMMAND  COMMAN",
            b"-c, --single-child\tsignal COMMAND alone\n-h\t\tshow this help",
            b"eeeee thththt",
        ];
        for text in texts {
            for heads in [false, true] {
                let mut packed = vec![0; packed_len(text, heads)];
                pack_into(text, heads, &mut packed);
                assert_eq!(unpacked(&packed).as_bytes(), text);
            }
        }
        let packed = packed!(b" COMMAND");
        assert!(packed.len() < 3, "{packed:?}");
        assert_eq!(unpack(packed!(b"a COMMAND b"), &mut room()), b"a COMMAND b");
        let long = [b'x'; ROOM + 10];
        assert_eq!(unpack(&long, &mut room()).len(), ROOM);
        // Cut short inside a pair, too.
        let long = [packed!(b"COMMAND")[0]; ROOM];
        assert_eq!(unpack(&long, &mut room()).len(), ROOM);
    }

    #[test]
    fn heads_stay_plain() {
        let packed = packed!(b"-x COMMAND\t COMMAND\n COMMAND\t COMMAND", true);
        assert!(packed.starts_with(b"-x COMMAND\t"));
        let second = packed.iter().position(|&b| b == b'\n').unwrap() + 1;
        assert!(packed[second..].starts_with(b" COMMAND\t"), "{packed:?}");
        assert!(packed.iter().any(|&b| b >= FIRST), "{packed:?}");
    }

    proptest::proptest! {
        /// Any text round-trips, and with `plain_heads` each line keeps its
        /// head: texts made mostly of the letters the pairs hold, so that
        /// the pairs are used, nested, and cut short at line ends and tabs.
        #[test]
        fn any_text_packs_and_unpacks_as_it_was(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"ethsoanri CMOD-:'%#$".to_vec()),
                    1 => 0u8..FIRST,
                ],
                0..400,
            ),
            heads: bool,
        ) {
            let mut packed = vec![0; packed_len(&text, heads)];
            pack_into(&text, heads, &mut packed);
            proptest::prop_assert_eq!(unpacked(&packed).into_bytes(), text.clone());
            if heads {
                for (line, packed_line) in text.split(|&b| b == b'\n').zip(packed.split(|&b| b == b'\n')) {
                    let head = line.iter().position(|&b| b == b'\t').map_or(line, |tab| &line[..=tab]);
                    proptest::prop_assert!(packed_line.starts_with(head));
                }
            }
        }
    }
}
