//! The workload the integration tests run under scythe: a program that
//! reports, on stdout, what happened to it.
//!
//! - `probe signals TAG`: prints `ready TAG PID`, then `TAG N` for every
//!   signal N it receives, in the order it takes them. On [`EXIT_SIGNAL`] it
//!   reports whatever else is still pending, prints `exit TAG` and exits 0.
//!   Every signal is blocked and taken with `sigwaitinfo`, so none can stop
//!   or kill it and each is reported exactly as often as it arrives. With
//!   `PROBE_TIMES=FILE` in its environment, it first appends `N NS` to FILE
//!   for each, NS being when it took it (`CLOCK_MONOTONIC`, in nanoseconds).
//! - `probe report`: prints its directory and whether it leads its process
//!   group. (Its signal state would say little: Rust's runtime ignores
//!   SIGPIPE; the tests read that state with `grep` instead.)
//! - `probe orphans N [--no-wait] [--linger] [--exit CODE]`: forks a child
//!   that forks N grandchildren and exits without waiting, leaving them to
//!   scythe as orphans. The grandchildren exit at once, or with `--linger`
//!   block until killed. Unless `--no-wait`, it then waits until every one
//!   of them has been reaped (or 20 s have passed) and prints `reaped N` or
//!   `zombies K`. Exits with CODE (default 0).
//!   `--print` also prints `orphan PID` for each; `--hold` then carries on
//!   as `probe signals child` instead of exiting.
//! - `probe leave TAG CODE`: forks a `probe signals TAG` and exits with CODE
//!   once that one is ready, leaving it behind in its process group.
//! - `probe worker FILE CODE [--ignore-term] [--setsid] [--stay] [--stop]
//!   [--grandchild] [--slow]`: forks a worker that writes `TERM` to FILE and
//!   exits 0 when SIGTERM arrives (with `--slow`, half a second after it
//!   arrives, as a worker that finishes its job first would; with
//!   `--ignore-term`, it ignores it; with
//!   `--stay`, writes FILE and stays; with `--setsid`, first leaves the
//!   process group for a session of its own, as daemons do); prints `ready
//!   worker PID`, and exits with CODE once the worker is ready (with
//!   `--stop`, once the worker has also stopped itself with SIGSTOP). With
//!   `--grandchild`, the worker is the child of a supervisor that leads a
//!   session of its own and ignores SIGTERM: orphaned only when the
//!   supervisor dies.
//! - `probe daemon`: forks a `probe signals daemon` that leads a session of
//!   its own, then, once it is ready, carries on as `probe signals child`.
//! - `probe idle`: blocks until a signal kills it.
//! - `probe serve`: a socket-activated server, as `sd_listen_fds()` sees it:
//!   unless `LISTEN_PID` is its own pid and `LISTEN_FDS` is `1`, it says so
//!   on stderr and exits 3; otherwise it accepts one connection on fd 3,
//!   writes `served by PID` to it and exits 0.
//! - `probe become-root`: makes every one of its user ids root (it must be
//!   a setuid-root copy), so that its old user may no longer signal it, then
//!   carries on as `probe signals root`.
//! - `probe count`: blocks every signal and counts them. On [`MARKER`] it
//!   prints `batch ORDER N:COUNT ...` (the signals taken since the last
//!   batch, by number; ORDER is `sorted` if the real-time ones came in
//!   non-decreasing order, else `unsorted`) and starts a new batch; on
//!   [`EXIT_SIGNAL`] it prints `exit count` and exits 0.
//! - `probe orphan-waves TOTAL WAVE`: with every signal blocked, forks one
//!   wave of WAVE orphans (as `orphans --no-wait` does), prints `ready waves
//!   PID`, waits for SIGUSR2, then forks waves until TOTAL orphans have been
//!   handed to scythe (waiting out EAGAIN, when the zombies not yet reaped
//!   fill the PID table), prints `orphaned TOTAL`, and carries on as `probe
//!   signals child` (reporting first the signals that came meanwhile).

use std::time::{Duration, Instant};

/// The signal that ends `probe signals` (SIGRTMAX-1): the tests never send it
/// for any other purpose.
pub const EXIT_SIGNAL: i32 = 63;

/// The signal that closes a batch of `probe count` (SIGRTMAX-2).
pub const MARKER: i32 = 62;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["signals", tag] => signals(tag, None),
        ["leave", tag, code] => leave(tag, code.parse().expect("an exit code")),
        ["worker", file, code, options @ ..] => {
            worker(file, code.parse().expect("an exit code"), options)
        }
        ["daemon"] => {
            fork_ready(|ready| {
                // SAFETY: setsid has no preconditions.
                unsafe { libc::setsid() };
                signals("daemon", Some(ready))
            });
            signals("child", None)
        }
        ["report"] => report(),
        ["orphans", count, options @ ..] => orphans(count.parse().expect("a count"), options),
        ["become-root"] => {
            // SAFETY: setresuid takes no pointers.
            if unsafe { libc::setresuid(0, 0, 0) } != 0 {
                eprintln!("probe: cannot become root (not a setuid-root copy?)");
                std::process::exit(70);
            }
            signals("root", None)
        }
        ["count"] => count(),
        ["orphan-waves", total, wave] => {
            orphan_waves(total.parse().expect("a total"), wave.parse().expect("a wave size"))
        }
        ["serve"] => serve(),
        ["idle"] => loop {
            // SAFETY: pause has no preconditions.
            unsafe { libc::pause() };
        },
        _ => {
            eprintln!("probe: unknown arguments {words:?}");
            std::process::exit(64);
        }
    }
}

/// One line on stdout in a single write, so lines from several probes
/// sharing a pipe never interleave.
fn say(line: &str) {
    let line = format!("{line}\n");
    // SAFETY: writing a live buffer to fd 1.
    let written = unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
    assert_eq!(written, line.len() as isize, "stdout write");
}

fn full_set() -> libc::sigset_t {
    // SAFETY: sigfillset initialises the set it is given.
    unsafe {
        let mut set = std::mem::zeroed();
        libc::sigfillset(&mut set);
        set
    }
}

/// Blocks every signal, and returns the full set for `sigwaitinfo`.
fn block_all() -> libc::sigset_t {
    let all = full_set();
    // SAFETY: `all` is an initialised set.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &all, std::ptr::null_mut()) };
    all
}

/// Reports signals as `TAG N` lines; `ready_pipe`, if any, is closed once
/// the probe is ready, for a parent that waits on it.
fn signals(tag: &str, ready_pipe: Option<i32>) -> ! {
    let all = block_all();
    // SAFETY: plain libc calls on live, initialised arguments.
    unsafe {
        // An inherited SIG_IGN (a background job of sh ignores INT and
        // QUIT) must not hide a signal from this report.
        for signal in 1..=64 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
    // SIGCHLD stays blocked but unreported: the kernel sends it when a child
    // of the probe ends, and scythe never relays it.
    let mut waited = all;
    // SAFETY: `waited` is an initialised set.
    unsafe { libc::sigdelset(&mut waited, libc::SIGCHLD) };
    let all = waited;
    let mut times = std::env::var_os("PROBE_TIMES").map(|path| {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
        file.unwrap_or_else(|e| panic!("PROBE_TIMES {}: {e}", path.to_string_lossy()))
    });
    let mut took = |signal: i32| {
        if let Some(file) = times.as_mut() {
            use std::io::Write;
            let line = format!("{signal} {}\n", monotonic_ns());
            file.write_all(line.as_bytes()).expect("PROBE_TIMES write");
        }
        say(&format!("{tag} {signal}"));
    };
    say(&format!("ready {tag} {}", std::process::id()));
    if let Some(fd) = ready_pipe {
        // SAFETY: closing a descriptor this process owns.
        unsafe { libc::close(fd) };
    }
    loop {
        // SAFETY: `all` is an initialised set.
        let signal = unsafe { libc::sigwaitinfo(&all, std::ptr::null_mut()) };
        if signal < 0 {
            continue;
        }
        took(signal);
        if signal == EXIT_SIGNAL {
            let now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: as above, with a zero timeout: take what is pending.
            while let s @ 1.. = unsafe { libc::sigtimedwait(&all, std::ptr::null_mut(), &now) } {
                took(s);
            }
            say(&format!("exit {tag}"));
            std::process::exit(0);
        }
    }
}

fn leave(tag: &str, code: i32) -> ! {
    fork_ready(|ready| signals(tag, Some(ready)));
    std::process::exit(code);
}

/// Forks `child`, which gets the write end of a pipe to close once it is
/// ready, and returns when it has.
fn fork_ready(child: impl FnOnce(i32)) {
    let mut pipe = [0; 2];
    // SAFETY: pipe fills the two descriptors it is given.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    // SAFETY: the probe is single-threaded.
    if unsafe { libc::fork() } == 0 {
        // SAFETY: closing the end the child does not use.
        unsafe { libc::close(pipe[0]) };
        child(pipe[1]);
        std::process::exit(0);
    }
    let mut byte = 0u8;
    // SAFETY: closing our write end, then reading until the child closes its.
    unsafe {
        libc::close(pipe[1]);
        libc::read(pipe[0], (&raw mut byte).cast(), 1);
        libc::close(pipe[0]);
    }
}

/// Where the worker's SIGTERM handler writes (set before it is installed).
static WORKER_FILE: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();
/// The worker stays once it has written the file (`--stay`).
static WORKER_STAYS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The worker takes half a second before it writes the file (`--slow`).
static WORKER_SLOW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn worker_on_term(_: libc::c_int) {
    if let Some(path) = WORKER_FILE.get() {
        // SAFETY: nanosleep, open, write, close and _exit are async-signal-safe.
        unsafe {
            if WORKER_SLOW.load(std::sync::atomic::Ordering::Relaxed) {
                let moment = libc::timespec { tv_sec: 0, tv_nsec: 500_000_000 };
                libc::nanosleep(&moment, std::ptr::null_mut());
            }
            let fd =
                libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o644);
            libc::write(fd, b"TERM".as_ptr().cast(), 4);
            libc::close(fd);
            if !WORKER_STAYS.load(std::sync::atomic::Ordering::Relaxed) {
                libc::_exit(0);
            }
        }
    }
}

fn worker(file: &str, code: i32, options: &[&str]) -> ! {
    let ignore_term = options.contains(&"--ignore-term");
    let own_session = options.contains(&"--setsid");
    let stop = options.contains(&"--stop");
    WORKER_STAYS.store(options.contains(&"--stay"), std::sync::atomic::Ordering::Relaxed);
    WORKER_SLOW.store(options.contains(&"--slow"), std::sync::atomic::Ordering::Relaxed);
    WORKER_FILE.set(std::ffi::CString::new(file).expect("a path")).expect("set once");
    let work = |ready: i32| {
        // SAFETY: plain libc calls; the handlers only use async-signal-safe ones.
        unsafe {
            if own_session {
                libc::setsid();
            }
            let handler = if ignore_term {
                libc::SIG_IGN
            } else {
                worker_on_term as extern "C" fn(libc::c_int) as libc::sighandler_t
            };
            libc::signal(libc::SIGTERM, handler);
        }
        say(&format!("ready worker {}", std::process::id()));
        // SAFETY: closing the ready pipe, stopping, then waiting for signals.
        unsafe {
            libc::close(ready);
            if stop {
                libc::raise(libc::SIGSTOP);
            }
        }
        loop {
            // SAFETY: pause has no preconditions.
            unsafe { libc::pause() };
        }
    };
    if options.contains(&"--grandchild") {
        fork_ready(|ready| {
            // SAFETY: plain libc calls.
            unsafe {
                libc::setsid();
                libc::signal(libc::SIGTERM, libc::SIG_IGN);
            }
            fork_ready(|inner| {
                // SAFETY: the worker's copy of the supervisor's ready pipe
                // would keep the main child waiting.
                unsafe { libc::close(ready) };
                work(inner)
            });
            // SAFETY: closing the ready pipe, then waiting for signals.
            unsafe { libc::close(ready) };
            loop {
                // SAFETY: pause has no preconditions.
                unsafe { libc::pause() };
            }
        });
    } else if stop {
        // SAFETY: the probe is single-threaded; the worker runs `work`.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            work(-1);
        }
        // SAFETY: waiting for our own child to stop.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WUNTRACED) };
    } else {
        fork_ready(work);
    }
    std::process::exit(code);
}

/// `CLOCK_MONOTONIC` in nanoseconds: the clock the tests read too.
fn monotonic_ns() -> i64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec * 1_000_000_000 + now.tv_nsec
}

fn serve() -> ! {
    let own = std::process::id().to_string();
    let listen_pid = std::env::var("LISTEN_PID").ok();
    let listen_fds = std::env::var("LISTEN_FDS").ok();
    if listen_pid.as_deref() != Some(own.as_str()) || listen_fds.as_deref() != Some("1") {
        eprintln!(
            "probe: sd_listen_fds would refuse: LISTEN_PID={listen_pid:?} (own pid {own}), \
             LISTEN_FDS={listen_fds:?}"
        );
        std::process::exit(3);
    }
    // SAFETY: accept on the passed socket, write to the connection.
    unsafe {
        let connection = libc::accept(3, std::ptr::null_mut(), std::ptr::null_mut());
        if connection < 0 {
            eprintln!("probe: accept on fd 3: {}", std::io::Error::last_os_error());
            std::process::exit(4);
        }
        let reply = format!("served by {own}\n");
        libc::write(connection, reply.as_ptr().cast(), reply.len());
        libc::close(connection);
    }
    std::process::exit(0);
}

fn report() {
    let cwd = std::env::current_dir().expect("cwd");
    say(&format!("cwd: {}", cwd.display()));
    // SAFETY: getpid and getpgrp have no preconditions.
    let (pid, group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    say(&format!("own group: {}", pid == group));
}

fn orphans(count: usize, options: &[&str]) {
    let wait = !options.contains(&"--no-wait");
    let linger = options.contains(&"--linger");
    let print = options.contains(&"--print");
    let hold = options.contains(&"--hold");
    let code: i32 = match options.iter().position(|o| *o == "--exit") {
        Some(at) => options[at + 1].parse().expect("an exit code"),
        None => 0,
    };
    let mut pipe = [0; 2];
    // SAFETY: pipe fills the two descriptors it is given.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let [read_end, write_end] = pipe;
    // SAFETY: the probe is single-threaded; the child only forks and writes.
    let middle = unsafe { libc::fork() };
    if middle == 0 {
        // SAFETY: as above; each grandchild either exits or blocks reading a
        // pipe whose write end nobody closes.
        unsafe {
            libc::close(read_end);
            let mut block = [0; 2];
            libc::pipe(block.as_mut_ptr());
            for _ in 0..count {
                let pid = libc::fork();
                if pid == 0 {
                    // The pid pipe must reach end-of-file when `middle` exits.
                    libc::close(write_end);
                    if linger {
                        let mut byte = 0u8;
                        libc::read(block[0], (&raw mut byte).cast(), 1);
                    }
                    libc::_exit(0);
                }
                libc::write(write_end, (&raw const pid).cast(), std::mem::size_of::<i32>());
            }
            libc::_exit(0);
        }
    }
    // SAFETY: closing our copy of the write end, reading pid-sized records.
    let mut pids = Vec::with_capacity(count);
    unsafe {
        libc::close(write_end);
        let mut pid: i32 = 0;
        while libc::read(read_end, (&raw mut pid).cast(), 4) == 4 {
            pids.push(pid);
        }
        libc::waitpid(middle, std::ptr::null_mut(), 0);
    }
    assert_eq!(pids.len(), count, "forked grandchildren");
    if print {
        for pid in &pids {
            say(&format!("orphan {pid}"));
        }
    }
    say(&format!("orphaned {count}"));
    if wait {
        // Nothing signals "reaped by someone else", so this polls, bounded.
        let deadline = Instant::now() + Duration::from_secs(20);
        let alive = |pid: &i32| {
            // SAFETY: kill with signal 0 only checks that the pid exists; a
            // zombie still does, a reaped process does not.
            unsafe { libc::kill(*pid, 0) == 0 }
        };
        while pids.iter().any(alive) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        match pids.iter().filter(|p| alive(p)).count() {
            0 => say(&format!("reaped {count}")),
            left => say(&format!("zombies {left}")),
        }
    }
    if hold {
        signals("child", None);
    }
    std::process::exit(code);
}

fn count() -> ! {
    let all = block_all();
    let mut counts = [0u32; 65];
    let mut last_realtime = 0;
    let mut sorted = true;
    say(&format!("ready count {}", std::process::id()));
    loop {
        // SAFETY: `all` is an initialised set.
        let signal = unsafe { libc::sigwaitinfo(&all, std::ptr::null_mut()) };
        match signal {
            EXIT_SIGNAL => {
                say("exit count");
                std::process::exit(0);
            }
            MARKER => {
                let order = if sorted { "sorted" } else { "unsorted" };
                let mut line = format!("batch {order}");
                for (number, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                    line.push_str(&format!(" {number}:{n}"));
                }
                say(&line);
                counts = [0; 65];
                (last_realtime, sorted) = (0, true);
            }
            1..=64 => {
                counts[signal as usize] += 1;
                if signal >= libc::SIGRTMIN() {
                    sorted &= signal >= last_realtime;
                    last_realtime = signal;
                }
            }
            _ => {}
        }
    }
}

/// Forks a child that forks `count` grandchildren, which exit at once, and
/// exits without waiting for them: they become scythe's. Returns once the
/// child has been reaped here. A full PID table (EAGAIN) is waited out.
fn orphan_wave(count: usize) {
    // SAFETY: the probe is single-threaded; the child only forks and exits.
    let middle = unsafe { libc::fork() };
    if middle == 0 {
        let mut left = count;
        while left > 0 {
            // SAFETY: as above.
            match unsafe { libc::fork() } {
                0 => unsafe { libc::_exit(0) },
                -1 => std::thread::sleep(Duration::from_millis(1)),
                _ => left -= 1,
            }
        }
        // SAFETY: _exit has no preconditions.
        unsafe { libc::_exit(0) };
    }
    assert!(middle > 0, "fork: {}", std::io::Error::last_os_error());
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(middle, std::ptr::null_mut(), 0) };
}

fn orphan_waves(total: usize, wave: usize) -> ! {
    block_all();
    orphan_wave(wave);
    say(&format!("ready waves {}", std::process::id()));
    // SAFETY: sigemptyset initialises `start` before it is used.
    unsafe {
        let mut start = std::mem::zeroed();
        libc::sigemptyset(&mut start);
        libc::sigaddset(&mut start, libc::SIGUSR2);
        libc::sigwaitinfo(&start, std::ptr::null_mut());
    }
    let mut done = wave;
    while done < total {
        let next = wave.min(total - done);
        orphan_wave(next);
        done += next;
    }
    say(&format!("orphaned {total}"));
    signals("child", None)
}
