//! The supervising loop: take each signal as it comes, relay it (through the
//! rewrite table), and on SIGCHLD reap every child that has ended, until the
//! main child is among them.

use rustix::io::Errno;
use rustix::process::{self, Pid, Signal, WaitOptions};
use scythe::line::Line;
use scythe::options::{Config, Target};
use scythe::signal::{SIGCHLD, SigSet};
use scythe::status::Ended;

use crate::{log, sys};

/// Runs until the main child has ended; returns how it ended.
pub fn supervise(main: Pid, config: &Config) -> Ended {
    loop {
        // No timeout: an idle scythe never wakes up. Every signal is blocked,
        // so each one waits here, in the order the kernel hands them out.
        let Ok(signal) = sys::take_signal(SigSet::FULL, None) else {
            continue;
        };
        if signal == SIGCHLD {
            if let Some(ended) = reap_all(main, config.verbosity) {
                return ended;
            }
        } else {
            relay(signal, main, config);
        }
    }
}

/// Reaps every child that has ended: SIGCHLDs coalesce, and orphans handed to
/// scythe need reaping as much as its own child. Returns the main child's end
/// if it was among them.
fn reap_all(main: Pid, verbosity: u32) -> Option<Ended> {
    let mut main_ended = None;
    loop {
        match process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                let Some(ended) = Ended::from_wait_status(status.as_raw() as u32) else {
                    continue;
                };
                if pid == main {
                    main_ended = Some(ended);
                } else if verbosity >= 2 {
                    let mut line = Line::new();
                    line.text("reaped ").number(pid_number(pid)).text(" (");
                    describe_end(&mut line, ended);
                    log::line(line.text(")"));
                }
            }
            Err(Errno::INTR) => {}
            // None ended yet (Ok(None)), or no children left at all (ECHILD).
            _ => return main_ended,
        }
    }
}

/// Passes `received` on to the child or its group, as the rewrite table says.
fn relay(received: u8, main: Pid, config: &Config) {
    let signal = config.rewrite.apply(received);
    let mut line = Line::new();
    line.signal(received);
    if signal != received {
        line.text(" as ");
        if signal == 0 {
            line.text("nothing: dropped");
        } else {
            line.signal(signal);
        }
    }
    if signal != 0 {
        let result = send(main, config.target, signal);
        line.text(match config.target {
            Target::Group => " -> group ",
            Target::Child => " -> child ",
        });
        line.number(pid_number(main));
        if let Err(error) = result {
            // ESRCH: the child has just ended; its SIGCHLD is on its way.
            if error != Errno::SRCH {
                line.text(": failed, errno ").number(error.raw_os_error() as u64);
            }
        }
    }
    if config.verbosity >= 1 {
        log::line(&mut line);
    }
}

/// `kill` to the child or its group.
fn send(main: Pid, target: Target, signal: u8) -> rustix::io::Result<()> {
    // SAFETY: `signal` is from 1 to 64 (the rewrite table and the kernel
    // hold nothing else), a number the kernel accepts; rustix's named
    // constants lack the real-time ones, hence the unchecked form.
    let signal = unsafe { Signal::from_raw_unchecked(i32::from(signal)) };
    match target {
        Target::Group => process::kill_process_group(main, signal),
        Target::Child => process::kill_process(main, signal),
    }
}

/// `exit 3` or `killed by SIGTERM`.
pub fn describe_end(line: &mut Line, ended: Ended) {
    match ended {
        Ended::Exited(code) => line.text("exit ").number(code.into()),
        Ended::Killed(signal) => line.text("killed by ").signal(signal),
    };
}

/// A pid as a number for messages (pids are positive).
pub fn pid_number(pid: Pid) -> u64 {
    pid.as_raw_nonzero().get() as u64
}
