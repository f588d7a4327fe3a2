//! Writing scythe's few words: messages on stderr, help and version on stdout.
//!
//! A closed, broken or stalled stderr must never hurt: a line that cannot be
//! written at once is dropped (and counted), a failed write is dropped, and
//! the SIGPIPE a broken pipe raises (blocked, so it waits) is taken back at
//! once, so it is not mistaken for a signal to relay.

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use scythe::line::Line;
use scythe::packed;
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

/// Lines not written since the last one that was. (scythe has one thread:
/// plain loads and stores, no read-modify-write, which on aarch64 would
/// bring in a C library's `getauxval` to choose its instructions.)
static DROPPED: AtomicU32 = AtomicU32::new(0);

/// Writes a finished line to stderr, if it can be written at once: a reader
/// that stops reading (a full pipe, a log driver behind) must not stop
/// scythe from reaping and relaying. A line dropped so is counted, and the
/// count said before the next line that gets through.
#[inline(never)]
pub fn line(line: &mut Line) {
    let stderr = sys::standard_fd(Stream::Stderr as i32);
    let mut poll = [PollFd::new(&stderr, PollFlags::OUT)];
    let now = Timespec { tv_sec: 0, tv_nsec: 0 };
    // (A line is far shorter than the page a pipe that polls writable has
    // free, so the write does not wait either.)
    let writable = rustix::event::poll(&mut poll, Some(&now)) == Ok(1)
        && poll[0].revents().contains(PollFlags::OUT);
    let dropped = DROPPED.load(Relaxed);
    if !writable {
        DROPPED.store(dropped.saturating_add(1), Relaxed);
        return;
    }
    if dropped > 0 {
        DROPPED.store(0, Relaxed);
        let mut count = Line::new();
        count.fill(packed!(b"# lines dropped: stderr was full"), b"", &[dropped]);
        write(Stream::Stderr, count.finish());
    }
    write(Stream::Stderr, line.finish());
}

/// Writes `text`, packed (see `scythe::words`), to `stream`, unpacked.
pub fn write_packed(stream: Stream, text: &[u8]) {
    write(stream, words::unpack(text, &mut words::room()));
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
