//! Starting COMMAND: fork, set the child up, and exec it, looked up on `PATH`
//! the way `execvp` does (a `FROM scratch` image has no shell to do it).

use core::mem::MaybeUninit;

use rustix::io::Errno;
use rustix::process::{self, Pid};
use rustix::process::{Gid, Uid};
use scythe::config::User;
use scythe::errno;
use scythe::line::Line;
use scythe::packed;
use scythe::signal::{self, SIGCHLD, SigSet};
use scythe::text;

use crate::{log, sys};

/// What to run: COMMAND's argv and the environment it inherits.
pub struct Command {
    /// COMMAND and its arguments, NULL-terminated, as `execve` takes them.
    /// The slot before COMMAND is scythe's own (its argv\[0\] at least),
    /// which the child may write to run a script with `/bin/sh`.
    pub argv: *const *const u8,
    pub envp: *const *const u8,
    /// COMMAND as written (argv\[0\] of the child).
    pub name: &'static [u8],
    /// The `PATH` to search when `name` has no `/`.
    pub path: &'static [u8],
    /// The value of `LISTEN_PID` in `envp`, if set.
    pub listen_pid: Option<&'static [u8]>,
}

/// The state the child starts COMMAND in.
pub struct ChildSetup {
    /// Its signal mask at `execve` (scythe's own is full).
    pub mask: SigSet,
    pub signals: Dispositions,
    pub leads: Leads,
    /// The ids it runs as, if not scythe's own.
    pub user: Option<User>,
    pub no_new_privs: bool,
}

/// What the child makes of the signal dispositions it inherits from scythe,
/// which are those scythe was started with, but for SIGCHLD's default.
/// (`execve` keeps only SIG_IGN; handlers it resets.)
#[derive(Clone, Copy)]
pub enum Dispositions {
    /// Every signal back to its default: a clean start.
    Default,
    /// As they are, SIGCHLD ignored again if it was, so that COMMAND starts
    /// as scythe did.
    Inherited { sigchld_ignored: bool },
}

/// What the child leads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Leads {
    /// A process group in scythe's session; with `take_terminal`, the group
    /// becomes the terminal's foreground group.
    Group { take_terminal: bool },
    /// A session of its own, taking stdin's terminal as its controlling
    /// terminal if scythe gave it up (`TIOCSCTTY`).
    Session,
}

/// Used when the environment has no `PATH`, as by `execvp`.
pub const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Forks and execs `command` as a group or session leader; returns its pid.
pub fn spawn(command: &Command, setup: &ChildSetup) -> Result<Pid, Errno> {
    let Some(child) = sys::fork()? else { become_command(command, setup) };
    if let Leads::Group { .. } = setup.leads {
        // The child makes the same call; making it here as well means the
        // group exists as soon as fork returns, so a signal relayed to it
        // before the child has run cannot fail with ESRCH. Whichever call
        // comes second fails harmlessly (EACCES once the child has exec'd).
        // (A session leader cannot be made from here: `setsid` fails in a
        // process that already leads a group.)
        let _ = process::setpgid(Some(child), Some(child));
    }
    Ok(child)
}

/// The child's side of the fork: set up, exec, and on failure report and exit.
fn become_command(command: &Command, setup: &ChildSetup) -> ! {
    match setup.leads {
        Leads::Group { take_terminal } => {
            let _ = process::setpgid(None, None);
            if take_terminal {
                // SIGTTOU is blocked here, so a background group may take
                // the terminal without being stopped for it.
                let _ = rustix::termios::tcsetpgrp(sys::stdin(), process::getpid());
            }
        }
        Leads::Session => {
            let _ = process::setsid();
            // Fails when stdin is no terminal or another session holds it.
            let _ = process::ioctl_tiocsctty(sys::stdin());
        }
    }
    match setup.signals {
        Dispositions::Default => {
            // (1..65, not 1..=64: an inclusive range costs a check per turn.
            // SIGKILL and SIGSTOP refuse; nothing else can fail.)
            for signal in 1..signal::MAX + 1 {
                let _ = sys::reset_disposition(signal);
            }
        }
        Dispositions::Inherited { sigchld_ignored: true } => {
            let _ = sys::ignore(SIGCHLD);
        }
        Dispositions::Inherited { sigchld_ignored: false } => {}
    }
    if let Err(error) = drop_privileges(setup) {
        // Never run COMMAND with more privilege than asked for.
        report_and_exit(packed!(b"cannot drop privileges: "), b"", error, errno::CANNOT_EXECUTE);
    }
    sys::set_signal_mask(setup.mask);
    let mut listen_pid = Line::empty();
    hand_over_sockets(command, &mut listen_pid);
    exec_failed(packed!(b"%: "), command, exec_search(command))
}

/// Socket activation (systemd, podman): `LISTEN_PID` names the process
/// meant to take the sockets passed from fd 3 on, and `sd_listen_fds()`
/// refuses them in any other. If it names scythe, it now names the child:
/// its entry in `envp` (the child's own copy) is pointed at `LISTEN_PID=`
/// and the child's pid, written in `entry`.
fn hand_over_sockets(command: &Command, entry: &mut Line) {
    let Some(value) = command.listen_pid else { return };
    let scythe = process::getppid().map(crate::supervise::pid_number);
    if signal::parse_number(value, u32::MAX) != scythe {
        return;
    }
    const NAME: &str = "LISTEN_PID=";
    let own = process::getpid();
    entry.text(NAME).number(crate::supervise::pid_number(own));
    // The entry is the name, `=` and then the value.
    let old = value.as_ptr().wrapping_sub(NAME.len());
    let mut slot = command.envp.cast_mut();
    // SAFETY: envp is the NULL-terminated array the kernel put on the stack,
    // of which the child has its own copy; the loop stops at the NULL.
    unsafe {
        while !(*slot).is_null() {
            if *slot == old {
                *slot = entry.c_string();
                return;
            }
            slot = slot.add(1);
        }
    }
}

/// `--no-new-privs`, then `--user`: supplementary groups cleared, then the
/// group, then the user, the order in which each step is still allowed.
fn drop_privileges(setup: &ChildSetup) -> Result<(), Errno> {
    if setup.no_new_privs {
        rustix::thread::set_no_new_privs(true)?;
    }
    if let Some(user) = setup.user {
        // scythe is single-threaded: the thread's ids are the process's.
        rustix::thread::set_thread_groups(&[])?;
        rustix::thread::set_thread_gid(Gid::from_raw(user.gid))?;
        rustix::thread::set_thread_uid(Uid::from_raw(user.uid))?;
    }
    Ok(())
}

/// Says that COMMAND could not be executed (`template`, filled in with its
/// name, then the error's words) and exits 127 if it was not found, else
/// 126, as shells do.
fn exec_failed(template: &[u8], command: &Command, error: Errno) -> ! {
    let status = errno::exec_failure_status(error.raw_os_error() as u32);
    report_and_exit(template, command.name, error, status)
}

/// Writes `template` (filled in with `value`) and the error's words, and
/// exits with `status`.
pub fn report_and_exit(template: &[u8], value: &[u8], error: Errno, status: u8) -> ! {
    let mut line = Line::new();
    line.fill(template, value, &[]);
    let code = error.raw_os_error() as u32;
    log::line(line.fill(errno::describe(code), b"", &[code]));
    sys::exit(status)
}

/// Execs `command`, searching `PATH` when its name has no `/`; returns the
/// error that ended the search, as `execvp` reports it.
// tools/inline.py: smaller inlined.
#[inline(always)]
fn exec_search(command: &Command) -> Errno {
    let name = command.name;
    if name.is_empty() {
        return Errno::NOENT;
    }
    // Not `contains`: core's memchr comes precompiled for speed, at 200 bytes.
    #[allow(clippy::manual_contains)]
    let has_slash = name.iter().any(|&b| b == b'/');
    if has_slash {
        // SAFETY: argv[0] is COMMAND's own NUL-terminated name.
        return unsafe { exec(*command.argv, command) };
    }
    // (Not zeroed first: `join` writes every byte it hands over.)
    let mut path_buffer = [MaybeUninit::uninit(); 4096];
    let mut denied = false;
    let mut rest = Some(command.path);
    while let Some(path) = rest {
        let (directory, next) = text::split_at_any(path, b":");
        rest = next;
        let Some(path) = join(&mut path_buffer, directory, name) else {
            continue;
        };
        // SAFETY: `join` NUL-terminates.
        let error = unsafe { exec(path, command) };
        if !errno::try_next_path_entry(error.raw_os_error() as u32) {
            return error;
        }
        denied |= error == Errno::ACCESS;
    }
    // As execvp: a file found but not executable beats one not found.
    if denied { Errno::ACCESS } else { Errno::NOENT }
}

/// Execs the file at `path` as COMMAND; for one the kernel cannot run, a
/// script without a `#!` line, execs `/bin/sh path ARGS...`, as `execvp`
/// does. Returns the error if it cannot, but exits if `/bin/sh` cannot run
/// it either, saying so: 127 if there is no `/bin/sh` (a `FROM scratch`
/// image), 126 otherwise.
///
/// # Safety
/// `path` must be a NUL-terminated string.
unsafe fn exec(path: *const u8, command: &Command) -> Errno {
    // SAFETY: the caller vouches for `path`; argv and envp are the kernel's
    // NULL-terminated arrays of NUL-terminated strings.
    let error = unsafe { sys::execve(path, command.argv, command.envp) };
    if error != Errno::NOEXEC {
        return error;
    }
    let argv = command.argv.cast_mut();
    // SAFETY: the slot before argv is scythe's own (see `Command::argv`),
    // on the child's copy of the stack; it and COMMAND's slot now hold
    // `/bin/sh` and `path`, which are NUL-terminated and outlive the call.
    let error = unsafe {
        *argv.sub(1) = SHELL.as_ptr().cast();
        *argv = path;
        sys::execve(SHELL.as_ptr().cast(), argv.sub(1), command.envp)
    };
    exec_failed(packed!(b"%: Exec format error (no #! line); /bin/sh: "), command, error)
}

/// What runs a file that has no `#!` line.
const SHELL: &core::ffi::CStr = c"/bin/sh";

/// Writes `directory/name` and a NUL into `buffer` (just `name` when
/// `directory` is empty: an empty `PATH` entry means the current
/// directory). `None` if it does not fit.
// tools/inline.py: smaller inlined.
#[inline(always)]
fn join(buffer: &mut [MaybeUninit<u8>], directory: &[u8], name: &[u8]) -> Option<*const u8> {
    let slash: &[u8] = if directory.is_empty() { b"" } else { b"/" };
    let mut slots = buffer.iter_mut();
    // Byte by byte, not `copy_from_slice`: its `memcpy`, called through a
    // register, would cost the binary a global offset table and a segment.
    for part in &[directory, slash, name, b"\0"] {
        for &byte in *part {
            slots.next()?.write(byte);
        }
    }
    Some(buffer.as_ptr().cast())
}
