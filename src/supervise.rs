//! The supervising loop: take each signal as it comes, relay it (through the
//! rewrite table), and on SIGCHLD reap every child that has ended, until the
//! main child is among them; then drain what it left behind.

use rustix::io::Errno;
use rustix::process::{self, Pid, Signal, WaitId, WaitIdOptions, WaitOptions};
use scythe::config::{Config, Target};
use scythe::line::Line;
use scythe::packed;
use scythe::signal::{
    SIGCHLD, SIGCONT, SIGINT, SIGKILL, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SigSet,
};
use scythe::status::Ended;

use crate::{log, sys};

/// What a round of reaping found.
pub struct Reaped {
    /// How the main child ended, if it was reaped this round.
    pub main: Option<Ended>,
    /// The main child stopped for a job-control signal (reported only with
    /// `stop_with_child`).
    main_stopped: bool,
    /// No child at all is left. As PID 1 or a subreaper, every descendant
    /// that outlives its parent becomes scythe's child, so this means no
    /// descendant is left either.
    pub none_left: bool,
}

/// The next signal, or `None` once `deadline` (on the monotonic clock) has
/// passed; with [`NO_DEADLINE`], the wait has no end. A failure that will
/// not go away (a kernel without a call scythe needs, a seccomp policy that
/// refuses it; see `sys`) is never retried: it is said, once, and scythe
/// exits with `status`, or, while the main child runs (`main`), waits for it
/// to end, relaying and reaping no more, and exits with its status.
fn next_signal(
    set: SigSet,
    deadline: u64,
    main: Option<Pid>,
    status: u8,
    config: &Config,
) -> Option<u8> {
    loop {
        match sys::take_signal(set, (deadline != NO_DEADLINE).then(|| until(deadline))) {
            Ok(signal) => return Some(signal),
            Err(Errno::AGAIN) => return None,
            // A stop and continue interrupted the wait.
            Err(Errno::INTR) => {}
            Err(error) => {
                let code = error.raw_os_error() as u32;
                log::say(packed!(b"cannot wait for signals (errno #): no more relaying"), &[code]);
                let ended = match main {
                    Some(_) => reap_all(main, config, WaitOptions::empty()).main,
                    None => None,
                };
                sys::exit(ended.map_or(status, |ended| config.exit_status(ended)))
            }
        }
    }
}

/// Runs until the main child has ended; returns the round of reaping that
/// found it. The first of each signal in `ignore_once` is dropped (see
/// `main::let_go_of_terminal`); `terminal` says the child was handed the
/// terminal. (Kept out of `main`, as is [`drain`]: inlined, they would grow
/// its stack frame, and with it the code that addresses it.)
#[inline(never)]
pub fn supervise(main: Pid, config: &Config, mut ignore_once: SigSet, terminal: bool) -> Reaped {
    // With --kill-after: when to SIGKILL the main child, once it was told to
    // stop. With --stop-delay, first: when to stop holding SIGTERM and
    // SIGINT back. (Never both: what the first waits for, the second holds
    // back.) Only while a deadline is pending does the wait have a timeout:
    // an idle scythe never wakes up.
    let mut deadline = NO_DEADLINE;
    let mut may_hold = config.stop_delay_ms != 0;
    let mut holding = false;
    loop {
        let taken = if holding { NOT_HELD } else { SigSet::FULL };
        let Some(signal) = next_signal(taken, deadline, Some(main), crate::FAILURE, config) else {
            deadline = NO_DEADLINE;
            if holding {
                // The delay is over: what was held is taken and relayed.
                holding = false;
                continue;
            }
            let _ = send(main, config.target, SIGKILL);
            if config.verbosity >= 1 {
                log::say(packed!(b"--kill-after: SIGKILL -> #"), &[pid_number(main)]);
            }
            continue;
        };
        if ignore_once.contains(signal) {
            ignore_once = ignore_once.without(signal);
            if config.verbosity >= 1 {
                log::say(packed!(b"$ from the terminal hand-off: ignored"), &[signal.into()]);
            }
        } else if signal == SIGCHLD {
            let reaped = reap_all(Some(main), config, WaitOptions::NOHANG);
            if reaped.main.is_some() {
                return reaped;
            }
            if reaped.main_stopped {
                // Ctrl-Z stopped the child's group, which holds the
                // terminal; scythe's own group is the shell's job, which
                // must stop too for the shell to take the terminal back.
                stop_scythe();
            }
        } else if may_hold && matches!(signal, SIGTERM | SIGINT) {
            // Raised again, it stays pending (blocked, it is queued even
            // for PID 1), as does any TERM or INT that follows, until the
            // wait takes them again.
            raise(named(signal));
            (may_hold, holding) = (false, true);
            let delay = config.stop_delay_ms;
            deadline = sys::now_ms() + u64::from(delay);
            if config.verbosity >= 1 {
                log::say(packed!(b"--stop-delay: $ held # ms"), &[signal.into(), delay]);
            }
        } else {
            if signal == SIGCONT && terminal && config.stop_with_child && sys::in_foreground() {
                // Continued in the foreground (`fg`): the shell handed the
                // terminal to scythe's group; the child's group had it.
                let _ = rustix::termios::tcsetpgrp(sys::stdin(), main);
            }
            let relayed = relay(signal, main, config);
            let stops = matches!(signal, SIGTERM | SIGINT);
            if relayed && stops && config.kill_after_ms != 0 && deadline == NO_DEADLINE {
                deadline = sys::now_ms() + u64::from(config.kill_after_ms);
            }
            if config.stop_with_job_signals && matches!(signal, SIGTSTP | SIGTTIN | SIGTTOU) {
                // Stop with the child, so the shell that started scythe sees
                // its job stop; the SIGCONT that resumes scythe is relayed.
                stop_scythe();
            }
        }
    }
}

/// What the wait takes while --stop-delay holds SIGTERM and SIGINT back.
const NOT_HELD: SigSet = SigSet::FULL.without(SIGTERM).without(SIGINT);

/// Stops scythe (as PID 1, the kernel ignores this).
// tools/inline.py: smaller inlined.
#[inline(always)]
fn stop_scythe() {
    raise(Signal::STOP);
}

/// Sends `signal` to scythe itself.
fn raise(signal: Signal) {
    let _ = process::kill_process(process::getpid(), signal);
}

/// After the main child has ended (scythe is to exit with `status`): asks
/// what it left behind to stop (SIGTERM, through the rewrite table, then
/// SIGCONT, so that a stopped process can act on it), reaps, and waits up to
/// the grace time; then SIGKILLs what is left and reaps that too. Without
/// it, those processes would die of the kernel's SIGKILL the moment PID 1
/// exits, mid-write.
#[inline(never)]
pub fn drain(main: Pid, status: u8, config: &Config) {
    let mut rest = Rest::new(main, config);
    let stop = config.rewrite.apply(SIGTERM);
    if stop != 0 {
        rest.signal(stop);
        rest.signal(SIGCONT);
    }
    if config.verbosity >= 1 {
        log::say(packed!(b"$ to the rest; grace ms: #"), &[stop.into(), config.grace_ms]);
    }
    if rest.wait(config.grace_ms, false, status) {
        return;
    }
    if config.verbosity >= 1 {
        log::say(packed!(b"grace time over: SIGKILL to what is left"), &[]);
    }
    rest.signal(SIGKILL);
    // Bounded: a process stuck in the kernel cannot be killed, and must not
    // keep PID 1 (and so the container) alive for ever.
    rest.wait(1000, true, status);
}

/// What the main child left behind: every process scythe can reach. As PID
/// 1 of a namespace, that is all of them (`kill(-1)`). Otherwise it is the
/// main child's process group (in group mode) and scythe's own children,
/// which as a subreaper include every orphan handed to it: those only
/// /proc can list (without it, they are not reached), and only a /proc of
/// scythe's own PID namespace numbers them as `kill` does. So each pid it
/// lists is signalled only if the kernel says it is scythe's child.
struct Rest<'c> {
    main: Pid,
    config: &'c Config,
    /// The main child's group is gone: never signalled again, since the
    /// kernel may then hand its id out anew. (It does not while the group
    /// lives, so a group found each time is still the same.)
    group_gone: bool,
}

impl<'c> Rest<'c> {
    fn new(main: Pid, config: &'c Config) -> Rest<'c> {
        Rest { main, config, group_gone: false }
    }

    /// `signal` to all of the rest.
    fn signal(&mut self, signal: u8) {
        if process::getpid().is_init() {
            let _ = sys::kill_everyone(signal);
            return;
        }
        if self.config.target == Target::Group && !self.group_gone {
            self.group_gone = signal_group(self.main, signal) == Err(Errno::SRCH);
        }
        // A list of decimal pids, separated by spaces. (Wrapping, not
        // saturating: the kernel writes pids below 2^22, and whatever a
        // number came to, it is signalled only if it is scythe's child.)
        let mut pid: i32 = 0;
        let to_child = |pid: i32| {
            let Some(child) = Pid::from_raw(pid) else { return };
            // Asks, without reaping: ECHILD for any process not scythe's child.
            let options = WaitIdOptions::NOHANG | WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
            if process::waitid(WaitId::Pid(child), options).is_ok() {
                let _ = send(child, Target::Child, signal);
            }
        };
        sys::read_file(c"/proc/thread-self/children", &mut |chunk| {
            for &byte in chunk {
                if byte.is_ascii_digit() {
                    pid = pid.wrapping_mul(10).wrapping_add(i32::from(byte - b'0'));
                } else {
                    to_child(core::mem::take(&mut pid));
                }
            }
        });
        to_child(pid);
    }

    /// Reaps until no child is left (true) or `limit_ms` has passed (false).
    /// Signals that come meanwhile go, through the rewrite table, to the
    /// rest. With `sweeping`, SIGKILL goes again to all there is after each
    /// reap and every 100 ms: an orphan is handed to scythe when its parent
    /// dies, with no signal to say so.
    fn wait(&mut self, limit_ms: u32, sweeping: bool, status: u8) -> bool {
        let deadline = sys::now_ms() + u64::from(limit_ms);
        loop {
            let wake = if sweeping { deadline.min(sys::now_ms() + 100) } else { deadline };
            match next_signal(SigSet::FULL, wake, None, status, self.config) {
                Some(SIGCHLD) => {
                    if reap_all(None, self.config, WaitOptions::NOHANG).none_left {
                        return true;
                    }
                    if sweeping {
                        self.signal(SIGKILL);
                    }
                }
                Some(received) => match self.config.rewrite.apply(received) {
                    0 => {}
                    signal => self.signal(signal),
                },
                None if sweeping && sys::now_ms() < deadline => self.signal(SIGKILL),
                None => return false,
            }
        }
    }
}

/// Pause mode: no child; reap whatever is handed to scythe; exit 0 on
/// SIGTERM or SIGINT and ignore every other signal.
// tools/inline.py: smaller inlined.
#[inline(always)]
pub fn pause(config: &Config) -> ! {
    loop {
        match next_signal(SigSet::FULL, NO_DEADLINE, None, crate::FAILURE, config) {
            Some(SIGCHLD) => {
                reap_all(None, config, WaitOptions::NOHANG);
            }
            Some(SIGTERM | SIGINT) => sys::exit(0),
            _ => {}
        }
    }
}

/// No deadline: a plain number, not an `Option`, which took every build 0
/// to 96 bytes more. Never a real one: each is now plus a delay, which
/// scythe sets only when it is not zero.
const NO_DEADLINE: u64 = 0;

/// Milliseconds left until `deadline` (on the monotonic clock), 0 if past.
fn until(deadline: u64) -> u32 {
    deadline.saturating_sub(sys::now_ms()).try_into().unwrap_or(u32::MAX)
}

/// Reaps every child that has ended: SIGCHLDs coalesce, and orphans handed to
/// scythe need reaping as much as its own child. Without `NOHANG` in
/// `options`, waits for children to end, until the main child has.
fn reap_all(main: Option<Pid>, config: &Config, mut options: WaitOptions) -> Reaped {
    let mut reaped = Reaped { main: None, main_stopped: false, none_left: false };
    // Stops are reported too where scythe stops with its child: each once.
    if config.stop_with_child {
        options |= WaitOptions::UNTRACED;
    }
    loop {
        match process::wait(options) {
            Ok(Some((pid, status))) => {
                let raw = status.as_raw() as u32;
                let Some(ended) = Ended::from_wait_status(raw) else {
                    let job_control = matches!((raw >> 8) as u8, SIGTSTP | SIGTTIN | SIGTTOU);
                    reaped.main_stopped |= Some(pid) == main && job_control;
                    continue;
                };
                if Some(pid) == main {
                    reaped.main = Some(ended);
                    if !options.contains(WaitOptions::NOHANG) {
                        return reaped;
                    }
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
// tools/inline.py: smaller as cold (optimised for size).
#[cold]
fn relay(received: u8, main: Pid, config: &Config) -> bool {
    let signal = config.rewrite.apply(received);
    let result = match signal {
        0 => Ok(()),
        _ if config.broadcast => {
            Rest::new(main, config).signal(signal);
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
