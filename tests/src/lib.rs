//! The harness for scythe's integration tests: run the release binary as a
//! real PID 1 (`unshare --pid --fork --mount-proc`) or as a child subreaper,
//! with `probe` (src/bin/probe.rs) as its workload, and watch what happens.
//!
//! Every wait is bounded ([`TIMEOUT`]): a broken build fails the test with
//! what was seen so far instead of hanging CI. Readiness always comes from
//! a line on a pipe, never from a sleep.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any single step may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// The signal that ends `probe signals` (see the probe).
pub const EXIT_SIGNAL: i32 = 63;

/// The release binary under test: `$SCYTHE_BIN`, or the default target's.
pub fn scythe_path() -> PathBuf {
    let path = match std::env::var_os("SCYTHE_BIN") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/x86_64-unknown-linux-musl/release/scythe"),
    };
    assert!(path.is_file(), "no scythe binary at {} (run `make` first)", path.display());
    path
}

/// The names scythe answers to, by the conventions each brings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    Scythe,
    DumbInit,
    Tini,
}

pub const NAMES: [Name; 3] = [Name::Scythe, Name::DumbInit, Name::Tini];

impl Name {
    /// The binary under this name: scythe itself, or a link to it.
    pub fn program(self) -> PathBuf {
        match self {
            Name::Scythe => scythe_path(),
            Name::DumbInit => linked_as("dumb-init"),
            Name::Tini => linked_as("tini"),
        }
    }

    /// Exit status for a usage error.
    pub fn usage_status(self) -> i32 {
        if self == Name::Scythe { 2 } else { 1 }
    }

    /// Options that make it relay to the child's process group.
    pub fn group_options(self) -> &'static [&'static str] {
        if self == Name::Tini { &["-g"] } else { &[] }
    }

    /// Options that make it relay to the child alone.
    pub fn single_child_options(self) -> &'static [&'static str] {
        if self == Name::Tini { &[] } else { &["-c"] }
    }

    /// Options that make it adopt orphans when not PID 1 (none for
    /// dumb-init, which never does).
    pub fn subreaper_options(self) -> &'static [&'static str] {
        if self == Name::Tini { &["-s"] } else { &[] }
    }
}

/// A link to the binary under test named `name`, in a directory of this
/// test process's own.
pub fn linked_as(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scythe-names-{}", std::process::id()));
    let link = dir.join(name);
    if !link.exists() {
        std::fs::create_dir_all(&dir).expect("link directory");
        // Another test thread may win the race; either link will do.
        let _ = std::os::unix::fs::symlink(scythe_path(), &link);
    }
    link
}

/// How scythe is started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of a fresh PID namespace.
    Pid1,
    /// An ordinary process, which makes itself a child subreaper.
    Subreaper,
}

pub const MODES: [Mode; 2] = [Mode::Pid1, Mode::Subreaper];

/// A scythe run being prepared.
pub struct Launch {
    mode: Mode,
    program: PathBuf,
    args: Vec<OsString>,
    command: Option<Command>,
    leader: bool,
}

/// Prepares a run of scythe in `mode`; add arguments, then `spawn` or `run`.
pub fn scythe(mode: Mode) -> Launch {
    scythe_as(Name::Scythe, mode)
}

/// Prepares a run of scythe under `name`, in `mode`.
pub fn scythe_as(name: Name, mode: Mode) -> Launch {
    Launch { mode, program: name.program(), args: Vec::new(), command: None, leader: false }
}

/// scythe under `name`, set up not to warn about being no subreaper.
pub fn quiet(name: Name, mode: Mode) -> Launch {
    scythe_as(name, mode).args(name.subreaper_options())
}

/// The signal mask and the ignored signals (`SigBlk`, `SigIgn`) COMMAND
/// starts with under scythe as `name` in `mode`, scythe itself started as
/// `start` sets it up.
pub fn child_signal_state(name: Name, mode: Mode, start: impl FnOnce(&mut Command)) -> (u64, u64) {
    let finished = quiet(name, mode)
        .args(["--", "grep", "^Sig[IB]", "/proc/self/status"])
        .configure(start)
        .run();
    assert_eq!(finished.code, 0, "{name:?} {mode:?}: {finished:?}");
    let mask = |field: &str| {
        let line = finished.stdout.iter().find(|l| l.starts_with(field)).unwrap();
        u64::from_str_radix(line.rsplit('\t').next().unwrap(), 16).unwrap()
    };
    (mask("SigBlk:"), mask("SigIgn:"))
}

impl Launch {
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs the binary under another path (a link named `dumb-init`, say).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Makes scythe lead a session whose controlling terminal is stdin's, as
    /// a container runtime does for `run -it` (with [`on_pty`]). As PID 1,
    /// `setsid --ctty` takes the terminal over inside the new namespace.
    pub fn session_leader(mut self) -> Self {
        assert!(self.command.is_none(), "call session_leader before configure");
        self.leader = true;
        self
    }

    /// Adjusts the underlying command (environment, directory, `pre_exec`).
    pub fn configure(mut self, adjust: impl FnOnce(&mut Command)) -> Self {
        adjust(self.command());
        self
    }

    fn command(&mut self) -> &mut Command {
        let (mode, program, args, leader) = (self.mode, &self.program, &self.args, self.leader);
        self.command.get_or_insert_with(|| {
            let mut command = match mode {
                Mode::Subreaper => Command::new(program),
                Mode::Pid1 => {
                    let mut unshare = Command::new("unshare");
                    // SAFETY: geteuid has no preconditions.
                    if unsafe { libc::geteuid() } != 0 {
                        unshare.args(["--user", "--map-root-user"]);
                    }
                    unshare.args(["--pid", "--fork", "--mount-proc"]);
                    if leader {
                        unshare.args(["setsid", "--ctty"]);
                    }
                    unshare.arg(program);
                    unshare
                }
            };
            command.args(args);
            command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
            command
        })
    }

    /// Starts it; stdout lines arrive on a channel, stderr is collected.
    pub fn spawn(mut self) -> Running {
        let mut child = self.command().spawn().expect("start scythe");
        let (line_tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line_tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (stderr_done_tx, stderr_done) = mpsc::channel();
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                    stderr.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
                let _ = stderr_done_tx.send(());
            });
        }
        let pid = child.id() as i32;
        let (exit_tx, exit) = mpsc::channel();
        thread::spawn(move || {
            let _ = exit_tx.send(child.wait());
        });
        Running {
            mode: self.mode,
            pid,
            exit,
            lines,
            stderr,
            stderr_done,
            status: None,
            seen: Vec::new(),
            finished: false,
        }
    }

    /// Runs it to the end (bounded) and returns what came out.
    pub fn run(self) -> Finished {
        self.spawn().finish()
    }
}

/// A scythe run under way.
pub struct Running {
    mode: Mode,
    /// The process started: scythe, or unshare above it.
    pid: i32,
    exit: Receiver<std::io::Result<ExitStatus>>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_done: Receiver<()>,
    status: Option<ExitStatus>,
    /// Every stdout line taken so far, for failure messages.
    pub seen: Vec<String>,
    finished: bool,
}

/// How a run ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit status as a shell reports it (128+N for death by signal N).
    pub code: i32,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Running {
    /// The next stdout line, waiting at most [`TIMEOUT`].
    pub fn next_line(&mut self) -> String {
        self.next_line_within(TIMEOUT).unwrap_or_else(|| self.fail("timed out waiting for a line"))
    }

    /// The next stdout line, or `None` after `limit` or at end of output.
    pub fn next_line_within(&mut self, limit: Duration) -> Option<String> {
        match self.lines.recv_timeout(limit) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for each of `wanted` (in any order) and returns the other lines
    /// that came first.
    pub fn expect_lines(&mut self, wanted: &[String]) -> Vec<String> {
        let mut missing: Vec<&String> = wanted.iter().collect();
        let mut others = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        while !missing.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(line) = self.next_line_within(left) else {
                self.fail(&format!("still waiting for {missing:?}"));
            };
            match missing.iter().position(|m| **m == line) {
                Some(at) => {
                    missing.remove(at);
                }
                None => others.push(line),
            }
        }
        others
    }

    /// Waits for one exact line and insists nothing else came first.
    pub fn expect_line(&mut self, wanted: &str) {
        let others = self.expect_lines(&[wanted.to_string()]);
        if !others.is_empty() {
            self.fail(&format!("expected {wanted:?} next, got {others:?} first"));
        }
    }

    /// Waits for `ready TAG PID` and returns the PID (as the probe sees it).
    pub fn ready(&mut self, tag: &str) -> i32 {
        let line = self.next_line();
        let prefix = format!("ready {tag} ");
        match line.strip_prefix(&prefix).and_then(|pid| pid.parse().ok()) {
            Some(pid) => pid,
            None => self.fail(&format!("expected {prefix:?}, got {line:?}")),
        }
    }

    /// The process started: scythe, or unshare above it.
    pub fn outer_pid(&self) -> i32 {
        self.pid
    }

    /// scythe's pid as this process sees it.
    pub fn scythe_pid(&self) -> i32 {
        match self.mode {
            Mode::Subreaper => self.pid,
            Mode::Pid1 => {
                self.pid_under_unshare().unwrap_or_else(|| self.fail("no scythe under unshare"))
            }
        }
    }

    /// unshare --fork has exactly one child: scythe.
    fn pid_under_unshare(&self) -> Option<i32> {
        children(self.pid).first().copied()
    }

    /// Sends `signal` to scythe.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill takes no pointers.
        let result = unsafe { libc::kill(self.scythe_pid(), signal) };
        assert_eq!(result, 0, "kill scythe with {signal}");
    }

    /// What scythe has written on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) for scythe (or unshare above it) to exit, and returns
    /// its status as a shell shows it; what it left behind may run on.
    pub fn exit_code(&mut self) -> i32 {
        shell_code(self.wait_exit())
    }

    fn wait_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        match self.exit.recv_timeout(TIMEOUT) {
            Ok(Ok(status)) => *self.status.insert(status),
            _ => self.fail("scythe did not exit in time"),
        }
    }

    /// Waits (bounded) for scythe to exit and for its output.
    pub fn finish(mut self) -> Finished {
        let status = self.wait_exit();
        self.finished = true;
        // What is left in the pipes arrives once the last writer is gone: at
        // once, unless an orphan outlives scythe and holds them open.
        let mut stdout = std::mem::take(&mut self.seen);
        while let Some(line) = self.next_line_within(Duration::from_secs(2)) {
            stdout.push(line);
        }
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(2));
        Finished { code: shell_code(status), stdout, stderr: self.stderr() }
    }

    /// Ends a `probe signals TAG` with [`EXIT_SIGNAL`] (sent to scythe,
    /// which relays it), sees it report it and exit, then finishes the run.
    pub fn end(mut self, tag: &str) -> Finished {
        self.signal(EXIT_SIGNAL);
        self.expect_line(&format!("{tag} {EXIT_SIGNAL}"));
        self.expect_line(&format!("exit {tag}"));
        self.finish()
    }

    /// Kills everything and fails the test with what was seen.
    pub fn fail(&self, why: &str) -> ! {
        self.kill_all();
        panic!("{why}\nstdout so far: {:?}\nstderr: {}", self.seen, self.stderr());
    }

    /// Kills the whole tree, leaves first, so nothing outlives a failed test.
    fn kill_all(&self) {
        for pid in descendants(self.pid).into_iter().rev().chain([self.pid]) {
            // SAFETY: kill takes no pointers.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.finished {
            self.kill_all();
            if self.status.is_none() {
                let _ = self.exit.recv_timeout(TIMEOUT);
            }
        }
    }
}

/// Every descendant of `pid`, parents before their children.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut found = children(pid);
    let mut next = 0;
    while let Some(&parent) = found.get(next) {
        found.extend(children(parent));
        next += 1;
    }
    found
}

/// The children of `pid` (empty if it is gone).
pub fn children(pid: i32) -> Vec<i32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
    text.unwrap_or_default().split_whitespace().filter_map(|p| p.parse().ok()).collect()
}

/// A fresh directory, unique to this test process, that anyone may read
/// and search (some tests run scythe as another user).
pub fn scratch(what: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("scythe-test-{}-{what}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// Polls (bounded) until `condition` holds: the kernel announces no change
/// of another process's state, nor "reaped by someone else".
pub fn wait_until(condition: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// A named pipe in a scratch directory of its own, and its read end, open
/// without blocking (so that it opens with no writer yet).
pub fn fifo(what: &str) -> (PathBuf, std::fs::File) {
    use std::os::unix::fs::OpenOptionsExt;
    let fifo = scratch(what).join("pipe");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a live C string.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
    let reader =
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo).unwrap();
    (fifo, reader)
}

/// Waits (bounded) until every write end of the pipe `reader` reads from
/// is closed: false if one is still open at the deadline.
pub fn writers_gone(reader: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd { fd: reader.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: polling one live descriptor.
    let ready = unsafe { libc::poll(&mut poll, 1, TIMEOUT.as_millis() as i32) };
    ready == 1 && poll.revents & libc::POLLHUP != 0
}

/// The descriptors `pid` holds open, in order (empty if it is gone).
pub fn fds_of(pid: i32) -> Vec<i32> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).into_iter().flatten();
    let mut fds: Vec<i32> =
        entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    fds.sort_unstable();
    fds
}

/// `CLOCK_MONOTONIC` in nanoseconds, the clock `PROBE_TIMES` records with.
pub fn monotonic_ns() -> i64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec * 1_000_000_000 + now.tv_nsec
}

/// When a probe with `PROBE_TIMES=times` first took `signal` (see the probe).
pub fn arrival(times: &Path, signal: i32) -> Option<i64> {
    let text = std::fs::read_to_string(times).unwrap_or_default();
    text.lines().find_map(|line| {
        let (number, at) = line.split_once(' ')?;
        if number.parse() == Ok(signal) { at.parse().ok() } else { None }
    })
}

/// The state letter of `pid` in /proc (R, S, T, Z...), `?` if it is gone.
pub fn state_of(pid: i32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    after_name.trim_start().chars().next().unwrap_or('?')
}

/// The value of `field` in /proc/PID/status (`VmRSS` gives `24 kB`),
/// empty if there is no such field or process.
pub fn status_field(pid: i32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.split(':').next() == Some(field)).unwrap_or_default();
    line.split_once(':').map(|(_, value)| value.trim().to_string()).unwrap_or_default()
}

/// `pid`'s context switches so far, voluntary and not: unchanged over a
/// window means it never woke up.
fn switches(pid: i32) -> [String; 2] {
    ["voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"].map(|f| status_field(pid, f))
}

/// True while `pid` is blocked in `rt_sigtimedwait`, where scythe idles.
fn waiting_for_signals(pid: i32) -> bool {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    syscall.split(' ').next() == Some(&libc::SYS_rt_sigtimedwait.to_string())
}

/// Asserts that scythe (`pid`), once it waits for signals, is not woken
/// over `window`. The child's "ready" can come before scythe's own first
/// wait, so counting starts only when it is there.
pub fn assert_stays_asleep(pid: i32, window: Duration, what: &str) {
    wait_until(|| waiting_for_signals(pid), "scythe waits for signals");
    let before = switches(pid);
    // A measurement window, not synchronisation.
    thread::sleep(window);
    assert_eq!(switches(pid), before, "{what}: scythe woke up while idle");
}

/// 128+N for a death by signal N, as a shell shows it.
fn shell_code(status: ExitStatus) -> i32 {
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// The path of the probe workload (pass `env!("CARGO_BIN_EXE_probe")`).
pub fn probe_command(probe: &str, args: &[&str]) -> Vec<String> {
    std::iter::once(probe.to_string()).chain(args.iter().map(|a| a.to_string())).collect()
}

/// Makes the process about to be exec'd start with `ignored` signals set to
/// SIG_IGN and `blocked` ones in its mask, like a careless parent would.
pub fn start_dirty(command: &mut Command, ignored: &'static [i32], blocked: &'static [i32]) {
    // SAFETY: between fork and exec, only async-signal-safe libc calls.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &signal in blocked {
                libc::sigaddset(&mut set, signal);
            }
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            for &signal in ignored {
                libc::signal(signal, libc::SIG_IGN);
            }
            Ok(())
        });
    }
}

/// Signals 1–31 that scythe relays (all but SIGKILL, SIGSTOP and SIGCHLD),
/// and a few real-time ones.
pub fn relayed_signals() -> Vec<i32> {
    let standard = (1..=31).filter(|s| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(s));
    standard.chain([34, 35, 50, 64]).collect()
}

/// Gives the process about to be exec'd a new session whose controlling
/// terminal is a fresh pseudo-terminal on its stdin, as a terminal emulator
/// or `docker run -it` would; returns the master side.
pub fn on_pty(command: &mut Command) -> std::os::fd::OwnedFd {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills the two descriptors; the other pointers may be null.
    let result = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(result, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    command.stdin(Stdio::from(slave));
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    master
}

/// The terminal's foreground process group, read from the master side.
pub fn foreground_group(master: &std::os::fd::OwnedFd) -> i32 {
    use std::os::fd::AsRawFd;
    // SAFETY: tcgetpgrp takes a descriptor only.
    unsafe { libc::tcgetpgrp(master.as_raw_fd()) }
}

/// Types `bytes` on the terminal.
pub fn type_on(master: &std::os::fd::OwnedFd, bytes: &[u8]) {
    use std::os::fd::AsRawFd;
    // SAFETY: writing a live buffer.
    let written = unsafe { libc::write(master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
    assert_eq!(written, bytes.len() as isize);
}

/// An architecture as seccomp names it (`AUDIT_ARCH_*`), with the numbers of
/// the system calls scythe waits for signals and reads the clock with there:
/// the plain ones and, on 32-bit targets, their `*_time64` twins.
#[derive(Clone, Copy, Debug)]
pub struct SyscallArch {
    pub audit: u32,
    pub plain: [u32; 2],
    pub time64: Option<[u32; 2]>,
}

/// The architecture of an ELF file by its `e_machine`, if a filter of this
/// machine's kernel sees its system calls (native: x86_64 and 32-bit x86;
/// under qemu-user the kernel sees qemu's own calls).
pub fn native_syscall_arch(elf: &[u8]) -> Option<SyscallArch> {
    match u16::from_le_bytes([elf[18], elf[19]]) {
        // rt_sigtimedwait, clock_gettime.
        62 => Some(SyscallArch { audit: 0xc000_003e, plain: [128, 228], time64: None }),
        // And rt_sigtimedwait_time64, clock_gettime64.
        3 => Some(SyscallArch { audit: 0x4000_0003, plain: [177, 265], time64: Some([421, 403]) }),
        _ => None,
    }
}

/// Makes the process about to be exec'd, and all it starts, run under a
/// seccomp filter that answers `errno` to the system calls `numbers` of
/// architecture `audit`, as an older kernel (ENOSYS) or a container's
/// policy (EPERM) would.
pub fn refuse_syscalls(command: &mut Command, audit: u32, numbers: &[u32], errno: i32) {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;
    let op = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    // struct seccomp_data: the call's number at 0, its architecture at 4.
    let skip_all = (2 * numbers.len() + 1) as u8;
    let mut filter =
        vec![op(LD_W_ABS, 0, 0, 4), op(JEQ_K, 0, skip_all, audit), op(LD_W_ABS, 0, 0, 0)];
    for &number in numbers {
        filter.push(op(JEQ_K, 0, 1, number));
        filter.push(op(RET_K, 0, 0, RET_ERRNO | errno as u32));
    }
    filter.push(op(RET_K, 0, 0, RET_ALLOW));
    // SAFETY: prctl is async-signal-safe; the filter outlives the call,
    // moved into the closure before the fork.
    unsafe {
        command.pre_exec(move || {
            let program =
                libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr().cast_mut() };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs `command` to the end and returns what it printed (for the runtimes'
/// own commands, which end by themselves).
pub fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// [`run`], with stderr thrown away (for commands polled in a loop).
pub fn run_quietly(command: &mut Command) -> Output {
    command.stderr(Stdio::null()).output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// A scratch directory of a test's own, removed with everything in it when
/// dropped, on failure too.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("scythe-rt-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits (bounded) until `path` exists: a workload's "ready".
pub fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + TIMEOUT;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a line of terminal output that is `wanted` (terminals end lines
/// with `\r\n`; the echo of what was typed comes too, and is skipped).
pub fn wait_for_output(run: &mut Running, wanted: &str) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match run.next_line_within(left) {
            Some(line)
                if line.trim_end_matches('\r').ends_with(wanted) && !line.contains("echo") =>
            {
                return;
            }
            Some(_) => {}
            None => run.fail(&format!("no {wanted:?} on the terminal")),
        }
    }
}

/// Drives the shell running on `master` (its output read from `run`)
/// through a foreground job ended by Ctrl-C and one stopped by Ctrl-Z,
/// checking both, and the shell after each, as in a plain shell.
/// `processes` lists the container's, as `ps -o stat,args` does.
pub fn ctrl_c_and_ctrl_z_work_as_in_a_plain_shell(
    run: &mut Running,
    master: &std::os::fd::OwnedFd,
    processes: &dyn Fn() -> String,
) {
    let until = |what: &str, condition: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + TIMEOUT;
        while !condition(&processes()) {
            assert!(Instant::now() < deadline, "{what}: {}", processes());
            thread::sleep(Duration::from_millis(50));
        }
    };
    // Ctrl-C ends the foreground program, and the shell carries on.
    type_on(master, b"sleep 100\n");
    until("sleep 100 running", &|ps| ps.contains("sleep 100"));
    type_on(master, b"\x03");
    until("sleep 100 gone", &|ps| !ps.contains("sleep 100"));
    type_on(master, b"echo after-interrupt\n");
    wait_for_output(run, "after-interrupt");
    // Ctrl-Z stops it, as in a plain shell.
    type_on(master, b"sleep 200\n");
    until("sleep 200 running", &|ps| ps.contains("sleep 200"));
    type_on(master, b"\x1a");
    until("sleep 200 stopped", &|ps| {
        ps.lines().any(|line| line.contains("sleep 200") && line.trim_start().starts_with('T'))
    });
    type_on(master, b"echo after-stop\n");
    wait_for_output(run, "after-stop");
}
