//! scythe: the smallest correct PID 1 for containers.
//!
//! It runs COMMAND as its child, relays every signal it receives to it (or
//! its process group), reaps every zombie handed to it, and exits with the
//! child's status. No libc, no heap: `start` is the entry point, `sys` the
//! few raw system calls rustix does not offer, and `main` below reads from
//! argv to exit: parse → prepare signals → spawn → supervise → exit.
//!
//! Run as `dumb-init`, `tini` or `docker-init`, it follows those tools'
//! conventions (`scythe::personality`): same engine, other settings.

#![no_std]
#![no_main]

mod answer;
mod log;
mod spawn;
mod start;
mod supervise;
mod sys;

use rustix::process::{self, Pid};
use scythe::config::{Config, Target};
use scythe::environment::Environment;
use scythe::line::Line;
use scythe::options::{self, Args, Parsed};
use scythe::packed;
use scythe::personality::{Convention, Personality};
use scythe::signal::{SIGCHLD, SIGCONT, SIGHUP, SigSet};
use scythe::status::Ended;

use crate::spawn::{ChildSetup, Command, Dispositions, Leads};
use crate::start::Process;

/// Exit status when COMMAND cannot be started at all (`fork` failed).
pub const FAILURE: u8 = 1;

// tools/inline.py: smaller inlined.
#[inline(always)]
fn main(process: Process) -> ! {
    // First of all, block every signal: one sent during start-up then waits,
    // pending, and is relayed on the first turn of the loop instead of
    // killing scythe or being lost.
    let inherited_mask = sys::set_signal_mask(SigSet::FULL);
    let personality = Convention::for_argv0(process.name()).personality();
    let mut config = personality.defaults();
    let mut environment = Environment::new();
    process.read_environment(&mut environment);
    let command_at = parse(personality, &process, &environment, &mut config);
    let sigchld_ignored = prepare_signals(&config);
    adopt_orphans(&config);
    if config.pause {
        supervise::pause(&config);
    }
    let command = Command {
        argv: process.argv_from(command_at),
        envp: process.envp(),
        name: process.args().get(command_at).unwrap_or_default(),
        path: environment.path().unwrap_or(spawn::DEFAULT_PATH),
        listen_pid: environment.listen_pid(),
    };
    let group = sys::process_group();
    let (leads, ignore_once) = if config.new_session {
        (Leads::Session, let_go_of_terminal())
    } else {
        // A scythe started in the background of a shell must not steal the
        // terminal from that shell.
        (Leads::Group { take_terminal: sys::in_foreground() }, SigSet::EMPTY)
    };
    let inherits = config.child_inherits_signals;
    let setup = ChildSetup {
        mask: if inherits { inherited_mask } else { SigSet::EMPTY },
        signals: match inherits {
            true => Dispositions::Inherited { sigchld_ignored },
            false => Dispositions::Default,
        },
        leads,
        user: config.user,
        no_new_privs: config.no_new_privs,
    };
    let child = match spawn::spawn(&command, &setup) {
        Ok(child) => child,
        Err(error) => {
            spawn::report_and_exit(packed!(b"cannot start %: "), command.name, error, FAILURE)
        }
    };
    // Never pin the caller's directory, mount or volume, nor hold what it
    // handed over: the child has already inherited them.
    let _ = process::chdir(c"/");
    sys::close_above_stderr();
    if config.verbosity >= 1 {
        let mut line = Line::new();
        log::line(line.fill(
            packed!(b"started % as #"),
            command.name,
            &[supervise::pid_number(child)],
        ));
    }
    let terminal = leads == Leads::Group { take_terminal: true };
    let reaped = supervise::supervise(child, &config, ignore_once, terminal);
    let ended = reaped.main.unwrap_or(Ended::Exited(0));
    if config.grace_ms > 0 {
        if !reaped.none_left {
            supervise::drain(child, config.exit_status(ended), &config);
        }
    } else if config.term_group_on_exit && config.target == Target::Group {
        supervise::terminate_group(child, &config);
    }
    if let (true, Some(group)) = (terminal, Pid::from_raw(group)) {
        // Hand the terminal back, or whoever started scythe finds its
        // foreground group gone. (A group outside scythe's PID namespace
        // cannot be named from inside it; the namespace's end settles it.)
        let _ = rustix::termios::tcsetpgrp(sys::stdin(), group);
    }
    exit(ended, &config)
}

/// Reads the options as the personality says into `config`; answers
/// `--help`, `--version`, the licence and usage errors here. Returns where
/// COMMAND is among the arguments.
fn parse(
    personality: &Personality,
    process: &Process,
    environment: &Environment<'static>,
    config: &mut Config,
) -> usize {
    match options::parse(personality, &process.args(), environment, config) {
        Ok(Parsed::Run { command }) => return command,
        Ok(Parsed::Pause) => return 0,
        Ok(Parsed::Help) => answer::help(personality, process.name()),
        Ok(Parsed::Version) => answer::version(personality),
        Ok(Parsed::License) => answer::license(),
        Err(error) => {
            log::line(error.describe(&mut Line::new()));
            sys::exit(personality.usage_status)
        }
    }
    sys::exit(0)
}

/// Puts SIGCHLD back to its default disposition and returns whether it was
/// ignored; also asks for the parent-death signal, if any.
///
/// An inherited SIG_IGN for SIGCHLD makes the kernel reap children on its
/// own, and the main child's status would be lost. No other disposition
/// changes what scythe sees: it installs no handlers (and `execve` removed
/// any), and a blocked signal is queued for `sigtimedwait` even when it is
/// ignored. The child, which does care, sets its own (see `spawn`).
// tools/inline.py: smaller inlined.
#[inline(always)]
fn prepare_signals(config: &Config) -> bool {
    let sigchld_ignored = sys::reset_disposition(SIGCHLD) == Ok(true);
    if config.parent_death_signal != 0 {
        // SAFETY: the option parser only accepts signals 1 to 64.
        let signal =
            unsafe { process::Signal::from_raw_unchecked(config.parent_death_signal.into()) };
        let _ = process::set_parent_process_death_signal(Some(signal));
    }
    sigchld_ignored
}

/// Outside a PID namespace of its own, scythe is not PID 1, and orphans would
/// go to the real init; as a child subreaper they come to scythe instead.
/// Whoever started scythe may have made it one already (the bit survives
/// `execve`).
fn adopt_orphans(config: &Config) {
    let me = process::getpid();
    if me.is_init() {
        return;
    }
    // Some sandboxes refuse (AWS Lambda: EPERM); scythe still relays and
    // reaps its own child, so it says so and carries on.
    let adopted = (config.subreaper && process::set_child_subreaper(Some(me)).is_ok())
        || process::child_subreaper().is_ok_and(|reaper| reaper.is_some());
    if !adopted && config.warnings {
        log::say(packed!(b"warning: not PID 1 nor a subreaper: orphans will not be reaped"), &[]);
    }
}

/// Gives up stdin's terminal so the child can make it the controlling
/// terminal of its new session. If scythe led the session, the kernel now
/// sends its foreground group SIGHUP and SIGCONT: returns those two, for the
/// loop to drop once rather than relay to a child that would take the
/// hang-up for its own.
fn let_go_of_terminal() -> SigSet {
    let released = sys::give_up_terminal(sys::stdin()).is_ok();
    if released && sys::session() == process::getpid().as_raw_nonzero().get() {
        SigSet::EMPTY.with(SIGHUP).with(SIGCONT)
    } else {
        SigSet::EMPTY
    }
}

// tools/inline.py: smaller inlined.
#[inline(always)]
fn exit(ended: Ended, config: &Config) -> ! {
    let code = config.exit_status(ended);
    if config.verbosity >= 1 {
        log::say(packed!(b"exiting #"), &[code.into()]);
    }
    sys::exit(code)
}
