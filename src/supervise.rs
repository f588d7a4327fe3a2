//! The supervising loop: take each signal as it comes, relay it (through the
//! rewrite table), and on SIGCHLD reap every child that has ended, until the
//! main child is among them; then drain what it left behind.

use rustix::io::Errno;
use rustix::process::{self, Pid, Signal, WaitOptions};
use scythe::config::{Config, Target};
use scythe::line::Line;
use scythe::packed;
use scythe::signal::{SIGCHLD, SIGINT, SIGKILL, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SigSet};
use scythe::status::Ended;

use crate::{log, sys};

/// What a round of reaping found.
pub struct Reaped {
    /// How the main child ended, if it was reaped this round.
    pub main: Option<Ended>,
    /// No child at all is left. As PID 1 or a subreaper, every descendant
    /// that outlives its parent becomes scythe's child, so this means no
    /// descendant is left either.
    pub none_left: bool,
}

/// Runs until the main child has ended; returns the round of reaping that
/// found it. The first of each signal in `ignore_once` is dropped (see
/// `main::let_go_of_terminal`). (Kept out of `main`, as is [`drain`]: inlined,
/// they would grow its stack frame, and with it the code that addresses it.)
#[inline(never)]
pub fn supervise(main: Pid, config: &Config, mut ignore_once: SigSet) -> Reaped {
    // With --kill-after: when to SIGKILL the main child, once it was told to
    // stop. Only while this deadline is pending does the wait have a timeout:
    // an idle scythe never wakes up.
    let mut kill_at = None;
    loop {
        let signal = match sys::take_signal(SigSet::FULL, kill_at.map(until)) {
            Ok(signal) => signal,
            Err(Errno::AGAIN) => {
                kill_at = None;
                let _ = send(main, config.target, SIGKILL);
                if config.verbosity >= 1 {
                    log::say(packed!(b"--kill-after: SIGKILL -> #"), &[pid_number(main)]);
                }
                continue;
            }
            Err(_) => continue,
        };
        if ignore_once.contains(signal) {
            ignore_once = ignore_once.without(signal);
            if config.verbosity >= 1 {
                log::say(packed!(b"$ from the terminal hand-off: ignored"), &[signal.into()]);
            }
        } else if signal == SIGCHLD {
            let reaped = reap_all(Some(main), config);
            if reaped.main.is_some() {
                return reaped;
            }
        } else {
            let relayed = relay(signal, main, config);
            let stops = matches!(signal, SIGTERM | SIGINT);
            if relayed && stops && config.kill_after_ms != 0 && kill_at.is_none() {
                kill_at = Some(sys::now_ms() + u64::from(config.kill_after_ms));
            }
            if config.stop_with_job_signals && matches!(signal, SIGTSTP | SIGTTIN | SIGTTOU) {
                // Stop with the child, so the shell that started scythe sees
                // its job stop; the SIGCONT that resumes scythe is relayed.
                // (As PID 1, the kernel ignores this.)
                let _ = process::kill_process(process::getpid(), Signal::STOP);
            }
        }
    }
}

/// After the main child has ended: asks what it left behind to stop (SIGTERM,
/// through the rewrite table), reaps, and waits up to the grace time; then
/// SIGKILLs what is left and reaps that too. Without it, those processes
/// would die of the kernel's SIGKILL the moment PID 1 exits, mid-write.
#[inline(never)]
pub fn drain(main: Pid, config: &Config) {
    let stop = config.rewrite.apply(SIGTERM);
    if stop != 0 {
        reach_all(main, config, stop);
    }
    if config.verbosity >= 1 {
        log::say(packed!(b"$ to the rest; grace ms: #"), &[stop.into(), config.grace_ms]);
    }
    if wait_for_the_rest(main, config, config.grace_ms) {
        return;
    }
    if config.verbosity >= 1 {
        log::say(packed!(b"grace time over: SIGKILL to what is left"), &[]);
    }
    reach_all(main, config, SIGKILL);
    // Bounded: a process stuck in the kernel cannot be killed, and must not
    // keep PID 1 (and so the container) alive for ever.
    wait_for_the_rest(main, config, 1000);
}

/// Reaps until no child is left (true) or `limit_ms` has passed (false).
/// Signals that come meanwhile go, through the rewrite table, to the rest.
fn wait_for_the_rest(main: Pid, config: &Config, limit_ms: u32) -> bool {
    let deadline = sys::now_ms() + u64::from(limit_ms);
    loop {
        match sys::take_signal(SigSet::FULL, Some(until(deadline))) {
            Ok(SIGCHLD) => {
                if reap_all(None, config).none_left {
                    return true;
                }
            }
            Ok(received) => match config.rewrite.apply(received) {
                0 => {}
                signal => reach_all(main, config, signal),
            },
            Err(Errno::AGAIN) => return false,
            Err(_) => {}
        }
    }
}

/// Pause mode: no child; reap whatever is handed to scythe; exit 0 on
/// SIGTERM or SIGINT and ignore every other signal.
pub fn pause(config: &Config) -> ! {
    loop {
        match sys::take_signal(SigSet::FULL, None) {
            Ok(SIGCHLD) => {
                reap_all(None, config);
            }
            Ok(SIGTERM | SIGINT) => sys::exit(0),
            _ => {}
        }
    }
}

/// Milliseconds left until `deadline` (on the monotonic clock), 0 if past.
fn until(deadline: u64) -> u32 {
    deadline.saturating_sub(sys::now_ms()).try_into().unwrap_or(u32::MAX)
}

/// Reaps every child that has ended: SIGCHLDs coalesce, and orphans handed to
/// scythe need reaping as much as its own child.
fn reap_all(main: Option<Pid>, config: &Config) -> Reaped {
    let mut reaped = Reaped { main: None, none_left: false };
    loop {
        match process::wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                let Some(ended) = Ended::from_wait_status(status.as_raw() as u32) else { continue };
                if Some(pid) == main {
                    reaped.main = Some(ended);
                } else if config.verbosity >= 2 || (config.warn_on_reap && config.warnings) {
                    let (template, detail) = match ended {
                        Ended::Exited(code) => (packed!(b"reaped orphan #: exit #"), code.into()),
                        Ended::Killed(signal) => (packed!(b"reaped orphan #: $"), signal.into()),
                    };
                    log::say(template, &[pid_number(pid), detail]);
                }
            }
            Err(Errno::INTR) => {}
            Err(Errno::CHILD) => {
                reaped.none_left = true;
                return reaped;
            }
            // Some children left, none of them ended yet.
            _ => return reaped,
        }
    }
}

/// Passes `received` on, as the rewrite table says; false if it was dropped.
fn relay(received: u8, main: Pid, config: &Config) -> bool {
    let signal = config.rewrite.apply(received);
    let result = match signal {
        0 => Ok(()),
        _ if config.broadcast => {
            reach_all(main, config, signal);
            Ok(())
        }
        _ => send(main, config.target, signal),
    };
    // ESRCH: the child has just ended; its SIGCHLD is on its way. Any other
    // failure (EPERM from a child that became another user) is said, and
    // scythe carries on: the child may yet end by itself.
    let failed = result.err().filter(|error| *error != Errno::SRCH);
    if config.verbosity >= 1 || (failed.is_some() && config.warnings) {
        let (received, pid) = (received.into(), pid_number(main));
        let (template, numbers): (&[u8], [u32; 3]) = match signal {
            0 => (packed!(b"$ dropped"), [received, 0, 0]),
            _ if u32::from(signal) != received => {
                (packed!(b"$ as $ -> #"), [received, signal.into(), pid])
            }
            _ => (packed!(b"$ -> #"), [received, pid, 0]),
        };
        let mut line = Line::new();
        line.fill(template, b"", &numbers);
        if let Some(error) = failed {
            line.fill(packed!(b" failed: errno #"), b"", &[error.raw_os_error() as u32]);
        }
        log::line(&mut line);
    }
    signal != 0
}

/// The SIGTERM some conventions send the main child's group once the child
/// has ended, so that helpers it left behind do not linger.
pub fn terminate_group(main: Pid, config: &Config) {
    let signal = config.rewrite.apply(SIGTERM);
    if signal != 0 {
        let result = signal_group(main, signal);
        if config.verbosity >= 1 && result.is_ok() {
            log::say(packed!(b"$ -> what is left of group #"), &[signal.into(), pid_number(main)]);
        }
    }
}

/// `signal` to every process scythe can reach. As PID 1 of a namespace, that
/// is all of them (`kill(-1)`). Otherwise it is the main child's process
/// group (in group mode) and scythe's own children, which as a subreaper
/// include every orphan handed to it: those only /proc can list.
fn reach_all(main: Pid, config: &Config, signal: u8) {
    if process::getpid().is_init() {
        let _ = sys::kill_everyone(signal);
        return;
    }
    if config.target == Target::Group {
        let _ = signal_group(main, signal);
    }
    // A list of decimal pids, separated by spaces.
    let mut pid: i32 = 0;
    sys::read_file(c"/proc/thread-self/children", &mut |chunk| {
        for &byte in chunk {
            if byte.is_ascii_digit() {
                pid = pid.saturating_mul(10).saturating_add(i32::from(byte - b'0'));
            } else if let Some(child) = Pid::from_raw(core::mem::take(&mut pid)) {
                let _ = send(child, Target::Child, signal);
            }
        }
    });
    if let Some(child) = Pid::from_raw(pid) {
        let _ = send(child, Target::Child, signal);
    }
}

/// `kill` to the (living) main child or its group.
fn send(main: Pid, target: Target, signal: u8) -> rustix::io::Result<()> {
    match target {
        Target::Group => signal_group(main, signal).or_else(|error| {
            // A child that is to lead a session of its own leads no group
            // until it has called setsid; until then it is reached directly.
            if error == Errno::SRCH {
                process::kill_process(main, named(signal))
            } else {
                Err(error)
            }
        }),
        Target::Child => process::kill_process(main, named(signal)),
    }
}

/// `kill` to the group `main` led, which may outlive it (so this never falls
/// back on the pid itself, which the kernel may have handed out again).
fn signal_group(main: Pid, signal: u8) -> rustix::io::Result<()> {
    process::kill_process_group(main, named(signal))
}

fn named(signal: u8) -> Signal {
    // SAFETY: `signal` is from 1 to 64 (the rewrite table and the kernel
    // hold nothing else), a number the kernel accepts; rustix's named
    // constants lack the real-time ones, hence the unchecked form.
    unsafe { Signal::from_raw_unchecked(i32::from(signal)) }
}

/// A pid as a number for messages (pids are positive).
pub fn pid_number(pid: Pid) -> u32 {
    pid.as_raw_nonzero().get() as u32
}
