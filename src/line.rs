//! One line of text built on the stack: scythe's messages, with no heap
//! and without `core::fmt` (which would weigh more than the rest of it).

use crate::{signal, words};

/// Room for one message. A longer one is cut short (and marked with `...`):
/// a message must never fail, whatever a user passed as COMMAND.
const CAPACITY: usize = 256;

/// How much of a value (what a user typed) a message shows at most.
pub const SHOWN: usize = 64;

pub struct Line {
    buf: [u8; CAPACITY],
    len: usize,
    /// Some text did not fit.
    cut: bool,
}

impl Line {
    /// A line that starts with `scythe: `.
    #[inline(never)]
    pub fn new() -> Line {
        const PREFIX: &[u8; 8] = b"scythe: ";
        let mut buf = [0; CAPACITY];
        if let Some(start) = buf.first_chunk_mut() {
            *start = *PREFIX;
        }
        Line { buf, len: PREFIX.len(), cut: false }
    }

    pub const fn empty() -> Line {
        Line { buf: [0; CAPACITY], len: 0, cut: false }
    }

    /// Appends `bytes`, with control characters shown as `?` so that a
    /// message stays one line whatever a user passed.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Line {
        for &byte in bytes {
            let byte = if byte < b' ' || byte == 0x7f { b'?' } else { byte };
            // One byte stays free for the final newline.
            match self.buf.get_mut(self.len).filter(|_| self.len < CAPACITY - 1) {
                Some(slot) => {
                    *slot = byte;
                    self.len += 1;
                }
                None => self.cut = true,
            }
        }
        self
    }

    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub fn text(&mut self, text: &str) -> &mut Line {
        self.bytes(text.as_bytes())
    }

    /// Appends `template`, packed (see `words`), with its placeholders
    /// filled in: each `%` by `value`, each `#` by the next of `numbers` in
    /// decimal, each `$` by the next of `numbers` as a signal (`SIGTERM`);
    /// once `numbers` are used up, `#` and `$` stand for themselves (as in
    /// "no #! line"). One call per message rather than one per piece
    /// keeps the binary small. A value longer than [`SHOWN`] bytes is cut
    /// short, with `...`, so that the rest of the message is never lost.
    pub fn fill(&mut self, template: &[u8], value: &[u8], numbers: &[u32]) -> &mut Line {
        let mut numbers = numbers.iter();
        for byte in words::unpack(template, &mut words::room()) {
            match byte {
                b'%' => match value.get(..SHOWN - 3).filter(|_| value.len() > SHOWN) {
                    Some(start) => self.bytes(start).bytes(b"..."),
                    None => self.bytes(value),
                },
                b'#' | b'$' if !numbers.as_slice().is_empty() => {
                    let number = numbers.next().map_or(0, |&n| n);
                    match byte {
                        b'#' => self.number(number),
                        _ => self.signal(number as u8),
                    }
                }
                _ => self.bytes(core::slice::from_ref(byte)),
            };
        }
        self
    }

    /// A decimal number (u32: 32-bit targets have no 64-bit division).
    pub fn number(&mut self, value: u32) -> &mut Line {
        if value >= 10 {
            self.number(value / 10);
        }
        self.bytes(&[b'0' + (value % 10) as u8])
    }

    /// `SIGTERM`, or `SIG36` for the signals without a name.
    pub fn signal(&mut self, number: u8) -> &mut Line {
        self.text("SIG");
        match signal::name(number) {
            Some(name) => self.bytes(name),
            None => self.number(number.into()),
        }
    }

    /// The line so far as a C string, for a line that was only added to:
    /// the buffer starts zeroed, and a byte after the text always stays free.
    // tools/inline.py: smaller as cold (optimised for size).
    #[cold]
    pub fn c_string(&self) -> *const u8 {
        self.buf.as_ptr()
    }

    /// How many bytes the line holds so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The finished line, ending in a newline (and in `...` if cut short).
    pub fn finish(&mut self) -> &[u8] {
        if self.cut {
            self.len = CAPACITY - 4;
            self.bytes(b"...");
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b'\n';
            self.len += 1;
        }
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &mut Line) -> String {
        String::from_utf8(line.finish().to_vec()).unwrap()
    }

    #[test]
    fn builds_a_message() {
        let mut line = Line::new();
        line.text("reaped ").number(4242).text(" after ").signal(15);
        assert_eq!(text(&mut line), "scythe: reaped 4242 after SIGTERM\n");
    }

    #[test]
    fn names_every_kind_of_signal() {
        let mut line = Line::empty();
        line.signal(1).text(" ").signal(32).text(" ").signal(34).text(" ").signal(36);
        assert_eq!(text(&mut line), "SIGHUP SIG32 SIG34 SIG36\n");
    }

    #[test]
    fn fills_templates() {
        let mut line = Line::empty();
        line.fill(b"a '%' b '%'", b"x", &[]).fill(b"", b"y", &[9]).fill(b"plain", b"z", &[]);
        line.fill(b" #:$ # $ #!", b"", &[42, 15, 7]);
        assert_eq!(text(&mut line), "a 'x' b 'x'plain 42:SIGTERM 7 $ #!\n");
    }

    #[test]
    fn long_values_are_cut_and_the_message_kept() {
        let mut line = Line::new();
        line.fill(b"bad '%' here", &[b'x'; 100], &[]);
        let expected = format!("scythe: bad '{}...' here\n", "x".repeat(SHOWN - 3));
        assert_eq!(text(&mut line), expected);
    }

    #[test]
    fn control_characters_cannot_break_the_line() {
        let mut line = Line::new();
        line.bytes(b"a\nb\rc\x1b[2Jd\x7f");
        assert_eq!(text(&mut line), "scythe: a?b?c?[2Jd?\n");
    }

    #[test]
    fn numbers_at_the_edges() {
        let mut line = Line::empty();
        line.number(0).text(" ").number(u32::MAX);
        assert_eq!(text(&mut line), "0 4294967295\n");
    }

    #[test]
    fn overlong_lines_are_cut_not_lost() {
        let mut line = Line::new();
        line.bytes(&[b'x'; 1000]).text("tail");
        let out = text(&mut line);
        assert_eq!(out.len(), CAPACITY);
        assert!(out.starts_with("scythe: xxx"));
        assert!(out.ends_with("xx...\n"), "{out}");
    }
}
