//! Writing scythe's few words: messages on stderr, help and version on stdout.
//!
//! A closed or broken stderr must never hurt: a failed write is dropped, and
//! the SIGPIPE a broken pipe raises (blocked, so it waits) is taken back at
//! once, so it is not mistaken for a signal to relay.

use rustix::io::Errno;
use scythe::line::Line;
use scythe::signal::{SIGPIPE, SigSet};
use scythe::words;

use crate::sys;

/// Where scythe writes. (An enum, not a number: the descriptor is then
/// known not to be -1, which rustix asserts.)
#[derive(Clone, Copy)]
pub enum Stream {
    Stdout = 1,
    Stderr = 2,
}

/// Writes `scythe: ` and `template`, filled in as [`Line::fill`] does, to
/// stderr.
#[inline(never)]
pub fn say(template: &[u8], numbers: &[u32]) {
    line(Line::new().fill(template, b"", numbers));
}

/// Writes a finished line to stderr.
#[inline(never)]
pub fn line(line: &mut Line) {
    write(Stream::Stderr, line.finish());
}

/// Writes `text`, packed (see `scythe::words`), to `stream`, unpacked.
pub fn write_packed(stream: Stream, text: &[u8]) {
    write(stream, words::unpack(text, &mut [0; words::ROOM]));
}

/// Writes `bytes` to `stream`, as much as it takes.
pub fn write(stream: Stream, mut bytes: &[u8]) {
    let fd = sys::standard_fd(stream as i32);
    while !bytes.is_empty() {
        match rustix::io::write(fd, bytes) {
            Ok(0) => return,
            Ok(written) => bytes = bytes.get(written..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(Errno::PIPE) => {
                // The write raised SIGPIPE at this thread: take it back.
                let _ = sys::take_signal(SigSet::EMPTY.with(SIGPIPE), Some(0));
                return;
            }
            Err(_) => return,
        }
    }
}
