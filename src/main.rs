//! scythe: the smallest correct PID 1 for containers.
//!
//! It runs COMMAND as its child, relays every signal it receives to it (or
//! its process group), reaps every zombie handed to it, and exits with the
//! child's status. No libc, no heap: `start` is the entry point, `sys` the
//! few raw system calls rustix does not offer, and `main` below reads from
//! argv to exit: parse → prepare signals → spawn → supervise → exit.

#![no_std]
#![no_main]

mod log;
mod spawn;
mod start;
mod supervise;
mod sys;

use rustix::process;
use scythe::line::Line;
use scythe::options::{self, Args, Config, Parsed};
use scythe::signal::{self, SigSet};
use scythe::status::Ended;

use crate::spawn::{ChildSetup, Command};
use crate::start::Process;

/// Exit status when COMMAND cannot be started at all (`fork` failed).
pub const FAILURE: u8 = 1;

fn main(process: Process) -> ! {
    // First of all, block every signal: one sent during start-up then waits,
    // pending, and is relayed on the first turn of the loop instead of
    // killing scythe or being lost.
    sys::set_signal_mask(SigSet::FULL);
    let (config, command_at) = parse(&process);
    prepare_signals();
    become_subreaper();
    let command = Command {
        argv: process.argv_from(command_at),
        envp: process.envp(),
        name: process.args().get(command_at).unwrap_or_default(),
        path: process.env("PATH").unwrap_or(spawn::DEFAULT_PATH),
    };
    let group = sys::process_group();
    let take_terminal = owns_terminal(group);
    let setup = ChildSetup { mask: SigSet::EMPTY, take_terminal };
    let child = match spawn::spawn(&command, &setup) {
        Ok(child) => child,
        Err(error) => fail(Line::new().text("cannot start ").bytes(command.name), error),
    };
    // Never pin the caller's directory, mount or volume; the child has
    // already inherited it.
    let _ = process::chdir(c"/");
    if config.verbosity >= 1 {
        let mut line = Line::new();
        line.text("started ").bytes(command.name).text(" as ").number(supervise::pid_number(child));
        log::line(&mut line);
    }
    let ended = supervise::supervise(child, &config);
    if let Some(group) = process::Pid::from_raw(group).filter(|_| take_terminal) {
        // Hand the terminal back, or whoever started scythe finds its
        // foreground group gone. (A group outside scythe's PID namespace
        // cannot be named from inside it; the namespace's end settles it.)
        let _ = rustix::termios::tcsetpgrp(sys::stdin(), group);
    }
    exit(ended, &config)
}

/// Reads the options; answers `--help` and `--version` and usage errors here.
fn parse(process: &Process) -> (Config, usize) {
    match options::parse(&process.args(), |name| process.env(name)) {
        Ok(Parsed::Run { config, command }) => (config, command),
        Ok(Parsed::Help) => {
            log::stdout(options::HELP.as_bytes());
            sys::exit(0)
        }
        Ok(Parsed::Version) => {
            log::stdout(concat!("scythe ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
            sys::exit(0)
        }
        Err(error) => {
            log::line(error.describe(&mut Line::new()));
            sys::exit(options::USAGE_ERROR)
        }
    }
}

/// Puts every signal back to its default disposition. An inherited SIG_IGN
/// for SIGCHLD would make the kernel reap children on its own and lose the
/// main child's status; the others would pass on to the child through
/// `execve`, which keeps ignored signals ignored.
fn prepare_signals() {
    for signal in 1..=signal::MAX {
        // SIGKILL and SIGSTOP refuse; nothing else can fail.
        let _ = sys::reset_disposition(signal);
    }
}

/// Outside a PID namespace of its own, scythe is not PID 1, and orphans would
/// go to the real init; as a child subreaper they come to scythe instead.
fn become_subreaper() {
    let me = process::getpid();
    if me.is_init() {
        return;
    }
    if let Err(error) = process::set_child_subreaper(Some(me)) {
        // Some sandboxes refuse (AWS Lambda: EPERM); scythe still relays and
        // reaps its own child, so it says so once and carries on.
        let mut line = Line::new();
        line.text("warning: not PID 1 and cannot become a child subreaper (errno ");
        line.number(error.raw_os_error() as u64).text("): orphans will not be reaped");
        log::line(&mut line);
    }
}

/// Whether scythe's process `group` is the foreground group of the terminal
/// on stdin, so the child may take the terminal over. A scythe started in
/// the background of a shell must not steal the terminal from that shell.
/// (When both groups lie outside scythe's PID namespace, both read as 0:
/// taken as the same group, the common case of `unshare --fork` run in the
/// foreground.)
fn owns_terminal(group: i32) -> bool {
    sys::foreground_group(sys::stdin()) == Ok(group)
}

fn exit(ended: Ended, config: &Config) -> ! {
    let code = ended.exit_code();
    if config.verbosity >= 1 {
        let mut line = Line::new();
        line.text("child ended (");
        supervise::describe_end(&mut line, ended);
        line.text("), exiting ").number(code.into());
        log::line(&mut line);
    }
    sys::exit(code)
}

/// Reports `what` failed with `error` and exits with [`FAILURE`].
fn fail(what: &mut Line, error: rustix::io::Errno) -> ! {
    let errno = error.raw_os_error() as u32;
    what.text(": ").text(scythe::errno::describe(errno).unwrap_or("error"));
    log::line(what);
    sys::exit(FAILURE)
}
