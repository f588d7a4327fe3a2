//! The supervising loop: take each signal as it comes, relay it (through the
//! rewrite table), and on SIGCHLD reap every child that has ended, until the
//! main child is among them.

use rustix::io::Errno;
use rustix::process::{self, Pid, Signal, WaitOptions};
use scythe::config::{Config, Target};
use scythe::line::Line;
use scythe::signal::{SIGCHLD, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SigSet};
use scythe::status::Ended;

use crate::{log, sys};

/// Runs until the main child has ended; returns how it ended. The first of
/// each signal in `ignore_once` is dropped (see `main::let_go_of_terminal`).
pub fn supervise(main: Pid, config: &Config, mut ignore_once: SigSet) -> Ended {
    loop {
        // No timeout: an idle scythe never wakes up. Every signal is blocked,
        // so each one waits here, in the order the kernel hands them out.
        let Ok(signal) = sys::take_signal(SigSet::FULL, None) else { continue };
        if ignore_once.contains(signal) {
            ignore_once = ignore_once.without(signal);
            if config.verbosity >= 1 {
                log::line(Line::new().signal(signal).text(" from the terminal hand-off: ignored"));
            }
        } else if signal == SIGCHLD {
            if let Some(ended) = reap_all(main, config) {
                return ended;
            }
        } else {
            relay(signal, main, config);
            if config.stop_with_job_signals && matches!(signal, SIGTSTP | SIGTTIN | SIGTTOU) {
                // Stop with the child, so the shell that started scythe sees
                // its job stop; the SIGCONT that resumes scythe is relayed.
                // (As PID 1, the kernel ignores this.)
                let _ = process::kill_process(process::getpid(), Signal::STOP);
            }
        }
    }
}

/// Reaps every child that has ended: SIGCHLDs coalesce, and orphans handed to
/// scythe need reaping as much as its own child. Returns the main child's end
/// if it was among them.
fn reap_all(main: Pid, config: &Config) -> Option<Ended> {
    let mut main_ended = None;
    loop {
        match process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                let Some(ended) = Ended::from_wait_status(status.as_raw() as u32) else { continue };
                if pid == main {
                    main_ended = Some(ended);
                } else if config.verbosity >= 2 || (config.warn_on_reap && config.warnings) {
                    let mut line = Line::new();
                    line.text("reaped orphan ").number(pid_number(pid)).text(" (");
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

/// The SIGTERM some conventions send the main child's group once the child
/// has ended, so that helpers it left behind do not linger.
pub fn terminate_group(main: Pid, config: &Config) {
    let signal = config.rewrite.apply(SIGTERM);
    if signal != 0 {
        let result = send(main, Target::Group, signal);
        if config.verbosity >= 1 && result.is_ok() {
            log::line(
                Line::new()
                    .signal(signal)
                    .text(" -> what is left of group ")
                    .number(pid_number(main)),
            );
        }
    }
}

/// `kill` to the child or its group.
fn send(main: Pid, target: Target, signal: u8) -> rustix::io::Result<()> {
    // SAFETY: `signal` is from 1 to 64 (the rewrite table and the kernel
    // hold nothing else), a number the kernel accepts; rustix's named
    // constants lack the real-time ones, hence the unchecked form.
    let signal = unsafe { Signal::from_raw_unchecked(i32::from(signal)) };
    match target {
        Target::Group => process::kill_process_group(main, signal).or_else(|error| {
            // A child that is to lead a session of its own leads no group
            // until it has called setsid; until then it is reached directly.
            if error == Errno::SRCH { process::kill_process(main, signal) } else { Err(error) }
        }),
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
