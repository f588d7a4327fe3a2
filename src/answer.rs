//! What scythe answers without running anything: `--help`, `--version` and
//! the licence, each in the shape the name it runs under calls for, and
//! always in scythe's own words.

use scythe::packed;
use scythe::personality::{self, Personality};

use crate::log::{self, Stream};

/// The help text: usage under the name scythe was run as, then the options
/// and variables that name accepts.
pub fn help(personality: &Personality, name: &[u8]) {
    let fd = answers_stream(personality);
    let convention = personality.convention;
    log::write(fd, b"Usage: ");
    log::write(fd, name);
    log::write_packed(
        fd,
        packed!(
            b" [OPTIONS] [--] COMMAND [ARG]...\n\
            scythe runs COMMAND, relays signals, reaps zombies, exits with its status.\n\
            Signals: TERM, SIGTERM, 15, RTMIN+2.\n\nOptions:\n"
        ),
    );
    personality::find_option(convention, &mut |help| {
        indented(fd, help);
        false
    });
    log::write_packed(fd, packed!(b"\nEnvironment:\n"));
    personality::each_variable(convention, &mut |_, help| indented(fd, help));
    log::write_packed(
        fd,
        packed!(
            b"\nExit status: COMMAND's, 128+N if signal N killed it, 126 if it cannot run,\n\
            127 if not found, 1 if it cannot start; on bad usage, "
        ),
    );
    log::write(fd, if personality.usage_status == 2 { b"2.\n" } else { b"1.\n" });
}

/// Writes a help line, packed, indented (its tabs line the columns up).
fn indented(fd: Stream, help: &[u8]) {
    log::write(fd, b"  ");
    log::write_packed(fd, help);
    log::write(fd, b"\n");
}

/// The version line, where this name's convention puts it.
pub fn version(personality: &Personality) {
    log::write(answers_stream(personality), personality.version.as_bytes());
}

/// Where help and version go under this name.
fn answers_stream(personality: &Personality) -> Stream {
    if personality.answers_on_stderr { Stream::Stderr } else { Stream::Stdout }
}

/// A short statement of scythe's licence (the full text, in the LICENSE
/// file of its source, would double the size of the binary).
pub fn license() {
    log::write_packed(
        Stream::Stdout,
        packed!(b"scythe: MIT licence. Copyright (c) 2026 The scythe developers.\n"),
    );
}
