//! One line of text built on the stack: scythe's messages, with no heap
//! and without `core::fmt` (which would weigh more than the rest of it).

use crate::signal::{self, Name};

/// Room for one message. A longer one is cut short (and marked with `...`):
/// a message must never fail, whatever a user passed as COMMAND.
const CAPACITY: usize = 256;

pub struct Line {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Line {
    /// A line that starts with `scythe: `.
    #[inline(never)]
    pub fn new() -> Line {
        let mut line = Line::empty();
        line.text("scythe: ");
        line
    }

    pub const fn empty() -> Line {
        Line { buf: [0; CAPACITY], len: 0 }
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Line {
        // Keep 4 bytes for "...\n" on overflow, 1 for the final newline.
        for &byte in bytes {
            if self.len >= CAPACITY - 4 {
                self.len = CAPACITY - 4;
                self.bytes_unchecked(b"...");
                return self;
            }
            self.bytes_unchecked(&[byte]);
        }
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Line {
        self.bytes(text.as_bytes())
    }

    /// Appends `template` with each `%` in it replaced by `value`: one call
    /// per message rather than one per piece keeps the binary small.
    pub fn fill(&mut self, template: &str, value: &[u8]) -> &mut Line {
        for piece in template.as_bytes().split_inclusive(|&b| b == b'%') {
            match piece.split_last() {
                Some((b'%', text)) => self.bytes(text).bytes(value),
                _ => self.bytes(piece),
            };
        }
        self
    }

    pub fn number(&mut self, mut value: u64) -> &mut Line {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.bytes(&digits[start..])
    }

    /// `SIGTERM`, `SIGRTMIN+2`, `SIG32`.
    pub fn signal(&mut self, number: u8) -> &mut Line {
        self.text("SIG");
        match signal::name(number) {
            Name::Plain(name) => self.bytes(name),
            Name::RealTime(0) => self.text("RTMIN"),
            Name::RealTime(offset) => self.text("RTMIN+").number(offset.into()),
            Name::Number(number) => self.number(number.into()),
        }
    }

    /// The finished line, ending in a newline.
    pub fn finish(&mut self) -> &[u8] {
        self.bytes_unchecked(b"\n");
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends within the room `bytes` keeps in reserve.
    fn bytes_unchecked(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = byte;
                self.len += 1;
            }
        }
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
        assert_eq!(text(&mut line), "SIGHUP SIG32 SIGRTMIN SIGRTMIN+2\n");
    }

    #[test]
    fn fills_templates() {
        let mut line = Line::empty();
        line.fill("a '%' b '%'", b"x").fill("", b"y").fill("plain", b"z");
        assert_eq!(text(&mut line), "a 'x' b 'x'plain\n");
    }

    #[test]
    fn numbers_at_the_edges() {
        let mut line = Line::empty();
        line.number(0).text(" ").number(u64::MAX);
        assert_eq!(text(&mut line), "0 18446744073709551615\n");
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
