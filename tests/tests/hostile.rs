//! Hostile start conditions (issue #8): a careless parent, closed
//! descriptors, no room to fork, a sandbox with nothing in it, a child that
//! becomes root, is stopped, is traced, or dies under a flood of signals.
//! PID 1 must never die, hang or lose a child in any of them.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

/// Users of this file's own, one per test, so that their process counts
/// (RLIMIT_NPROC) never meet.
const NO_ROOM_USER: u32 = 54321;
const SETUID_USER: u32 = 54322;
const SANDBOX_USER: u32 = 54323;

/// scythe under `name`, started by `setpriv` as `uid` (with no
/// supplementary groups); `setpriv` execs it, so as PID 1 it stays PID 1.
fn as_user(name: Name, mode: Mode, uid: u32) -> Launch {
    scythe_as(name, mode)
        .program("setpriv")
        .args([format!("--reuid={uid}"), format!("--regid={uid}"), "--clear-groups".into()])
        .arg(name.program())
        .args(name.subreaper_options())
}

/// Whether scythe takes orphans under `name` in `mode`.
fn adopts(name: Name, mode: Mode) -> bool {
    mode == Mode::Pid1 || name != Name::DumbInit
}

/// Starts the process about to be exec'd with every signal blocked (the
/// raw mask: libc hides 32 and 33) and every catchable one ignored.
fn start_with_everything_blocked_and_ignored(command: &mut std::process::Command) {
    // SAFETY: between fork and exec, only async-signal-safe calls.
    unsafe {
        command.pre_exec(|| {
            let all: u64 = !0;
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &all,
                std::ptr::null_mut::<u64>(),
                8,
            );
            for signal in (1..=31).chain(34..=64) {
                if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                    libc::signal(signal, libc::SIG_IGN);
                }
            }
            Ok(())
        });
    }
}

/// The signals 1 to 64 but SIGKILL (9) and SIGSTOP (19), as a mask.
const ALL_BUT_KILL_AND_STOP: u64 = !((1 << 8) | (1 << 18));
/// Neither 32 nor 33 (glibc's own, which a glibc program such as
/// `unshare` unblocks at start and never lets be ignored).
const NOT_GLIBCS: u64 = !((1 << 31) | (1 << 32));

#[test]
fn everything_blocked_and_ignored_at_start_changes_nothing() {
    for name in NAMES {
        for mode in MODES {
            // The child's start: clean, or as tini, what scythe was given.
            let (blocked, ignored) =
                child_signal_state(name, mode, start_with_everything_blocked_and_ignored);
            if name == Name::Tini {
                let given = match mode {
                    Mode::Pid1 => ALL_BUT_KILL_AND_STOP & NOT_GLIBCS,
                    Mode::Subreaper => ALL_BUT_KILL_AND_STOP,
                };
                assert_eq!(blocked, given, "{name:?} {mode:?}");
                // The kernel here (6.18) puts an ignored SIGSEGV back to
                // its default at every execve (the real tini's child shows
                // the same); as PID 1, `unshare --fork` also resets SIGCHLD.
                let ignored_here = match mode {
                    Mode::Pid1 => ALL_BUT_KILL_AND_STOP & NOT_GLIBCS & !((1 << 10) | (1 << 16)),
                    Mode::Subreaper => ALL_BUT_KILL_AND_STOP & NOT_GLIBCS & !(1 << 10),
                };
                assert_eq!(ignored & ignored_here, ignored_here, "{name:?} {mode:?}");
            } else {
                assert_eq!((blocked, ignored), (0, 0), "{name:?} {mode:?}");
            }

            // Relaying, reaping (SIGCHLD was ignored too) and the status.
            let mut options = vec!["orphans", "20", "--hold"];
            if !adopts(name, mode) {
                options.push("--no-wait");
            }
            let mut run = quiet(name, mode)
                .args(["--", PROBE])
                .args(&options)
                .configure(start_with_everything_blocked_and_ignored)
                .spawn();
            run.expect_line("orphaned 20");
            if adopts(name, mode) {
                run.expect_line("reaped 20");
            }
            run.ready("child");
            for signal in [libc::SIGUSR1, libc::SIGTERM, 40] {
                run.signal(signal);
                run.expect_line(&format!("child {signal}"));
            }
            let finished = run.end("child");
            assert_eq!(finished.code, 0, "{name:?} {mode:?}: {finished:?}");
        }
    }
}

#[test]
fn closed_stdin_stdout_and_stderr_hurt_nothing() {
    let dir = scratch("closed");
    for name in NAMES {
        for mode in MODES {
            let proof = dir.join(format!("{name:?}-{mode:?}"));
            let verbose: &[&str] = if name == Name::Scythe { &["-vv"] } else { &[] };
            let script = format!("(true &); echo ran > {}; exit 6", proof.display());
            let finished = quiet(name, mode)
                .args(verbose)
                .args(["--", "sh", "-c", &script])
                .configure(|c| {
                    // SAFETY: close is async-signal-safe.
                    unsafe {
                        c.pre_exec(|| {
                            for fd in 0..3 {
                                libc::close(fd);
                            }
                            Ok(())
                        });
                    }
                })
                .run();
            assert_eq!(finished.code, 6, "{name:?} {mode:?}: {finished:?}");
            assert_eq!(std::fs::read_to_string(&proof).unwrap(), "ran\n", "{name:?} {mode:?}");
        }
    }
}

#[test]
fn no_room_to_fork_is_one_line_and_status_1() {
    // As an ordinary user already at its RLIMIT_NPROC, scythe's fork fails
    // with EAGAIN. (The limit is set for whatever runs first; root, above
    // it, is exempt.)
    for name in NAMES {
        for mode in MODES {
            let finished = as_user(name, mode, NO_ROOM_USER)
                .args(["--", PROBE, "idle"])
                .configure(|c| {
                    // SAFETY: setrlimit is async-signal-safe.
                    unsafe {
                        c.pre_exec(|| {
                            let one = libc::rlimit { rlim_cur: 1, rlim_max: 1 };
                            libc::setrlimit(libc::RLIMIT_NPROC, &one);
                            Ok(())
                        });
                    }
                })
                .run();
            assert_eq!(finished.code, 1, "{name:?} {mode:?}: {finished:?}");
            assert_eq!(
                finished.stderr,
                format!("scythe: cannot start {PROBE}: Resource temporarily unavailable\n"),
                "{name:?} {mode:?}"
            );
        }
    }
}

#[test]
fn a_sandbox_with_no_proc_no_dev_no_environment_a_read_only_root_and_no_root() {
    // bubblewrap: / read-only, empty /proc and /dev, no environment at all
    // (so no PATH: the default one must find `sh`), an ordinary user.
    for name in NAMES {
        for mode in MODES {
            let user = SANDBOX_USER.to_string();
            let mut sandbox = vec!["--unshare-user", "--uid", &user, "--gid", &user];
            sandbox.extend(["--ro-bind", "/", "/", "--tmpfs", "/proc", "--tmpfs", "/dev"]);
            sandbox.extend(["--clearenv", "--die-with-parent"]);
            if mode == Mode::Pid1 {
                sandbox.extend(["--unshare-pid", "--as-pid-1"]);
            }
            let wait = if adopts(name, mode) { "" } else { " --no-wait" };
            // (sh itself exports PWD.)
            let script = format!(
                "echo uid $(id -u) pid $$; echo $(ls -A /proc /dev) $(env) | wc -w; \
                 exec {PROBE} orphans 30 --exit 7{wait}"
            );
            let finished = scythe_as(name, Mode::Subreaper)
                .program("bwrap")
                .args(&sandbox)
                .arg(name.program())
                .args(name.subreaper_options())
                .args(["--", "sh", "-c", &script])
                .run();
            let context = format!("{name:?} {mode:?}: {finished:?}");
            assert_eq!(finished.code, 7, "{context}");
            let pid = if mode == Mode::Pid1 { " pid 2" } else { " pid " };
            assert!(
                finished.stdout[0].starts_with(&format!("uid {SANDBOX_USER}{pid}")),
                "{context}"
            );
            // `/proc:`, `/dev:` and `PWD=...`: no file, no other variable.
            assert_eq!(finished.stdout[1], "3", "{context}");
            assert_eq!(finished.stdout[2], "orphaned 30", "{context}");
            if adopts(name, mode) {
                assert_eq!(finished.stdout[3], "reaped 30", "{context}");
            }
            // Nothing is missed, so nothing is said.
            assert!(finished.stderr.is_empty(), "{context}");
        }
    }
}

/// A setuid-root copy of the probe, in a directory anyone may search.
fn setuid_probe() -> PathBuf {
    let dir = scratch("setuid");
    let copy = dir.join("probe");
    std::fs::copy(PROBE, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    copy
}

#[test]
fn a_child_that_became_root_is_warned_about_and_scythe_carries_on() {
    // The child's real user becomes root, so scythe (another user) may no
    // longer signal it: EPERM. scythe says so (when its name warns) and goes
    // on supervising; the child still ends, and scythe with it.
    let probe = setuid_probe();
    for name in NAMES {
        for mode in MODES {
            let mut run = as_user(name, mode, SETUID_USER)
                .args(["--", probe.to_str().unwrap(), "become-root"])
                .spawn();
            run.ready("root");
            let child = children(run.scythe_pid())[0];
            // One warning per signal, under the names that warn.
            let warns = name != Name::DumbInit;
            for (signal, lines) in [(libc::SIGTERM, 1), (libc::SIGUSR1, 2)] {
                run.signal(signal);
                if warns {
                    wait_until(|| run.stderr().lines().count() >= lines, "a warning");
                }
            }
            if warns {
                let expected = format!(
                    "scythe: SIGTERM -> {child_in_ns} failed: errno 1\n\
                     scythe: SIGUSR1 -> {child_in_ns} failed: errno 1\n",
                    child_in_ns = if mode == Mode::Pid1 { 2 } else { child }
                );
                assert_eq!(run.stderr(), expected, "{name:?} {mode:?}");
            }
            // The child's own end (by root, as it now is) ends scythe too.
            // SAFETY: kill takes no pointers.
            assert_eq!(unsafe { libc::kill(child, EXIT_SIGNAL) }, 0);
            run.expect_line(&format!("root {EXIT_SIGNAL}"));
            run.expect_line("exit root");
            let finished = run.finish();
            assert_eq!(finished.code, 0, "{name:?} {mode:?}: {finished:?}");
        }
    }
}

#[test]
fn a_stopped_child_gets_what_was_relayed_once_continued() {
    for name in NAMES {
        for mode in MODES {
            let mut run = quiet(name, mode).args(["--", PROBE, "signals", "child"]).spawn();
            run.ready("child");
            let child = children(run.scythe_pid())[0];
            // SAFETY: kill takes no pointers.
            assert_eq!(unsafe { libc::kill(child, libc::SIGSTOP) }, 0);
            wait_until(|| state_of(child) == 'T', "the child is stopped");
            run.signal(libc::SIGUSR1);
            run.signal(40);
            // SIGCONT through scythe resumes the child, which then takes
            // all three (lowest first).
            run.signal(libc::SIGCONT);
            run.expect_line("child 10");
            run.expect_line("child 18");
            run.expect_line("child 40");
            assert_eq!(run.end("child").code, 0, "{name:?} {mode:?}");
        }
    }
}

#[test]
fn a_traced_child_and_a_traced_scythe() {
    for mode in MODES {
        // The child, attached to by strace (PTRACE_SEIZE) mid-run: signals
        // pass through the tracer, and its end reaches scythe through it.
        let mut run = scythe(mode).args(["--", PROBE, "signals", "child"]).spawn();
        run.ready("child");
        let child = children(run.scythe_pid())[0];
        let mut strace = std::process::Command::new("strace")
            .args(["-qq", "-o", "/dev/null", "-p", &child.to_string()])
            .spawn()
            .unwrap();
        wait_until(|| tracer_of(child) != 0, "strace has attached");
        for signal in [libc::SIGUSR1, 40, libc::SIGTERM] {
            run.signal(signal);
            run.expect_line(&format!("child {signal}"));
        }
        assert_eq!(run.end("child").code, 0, "{mode:?}");
        assert!(strace.wait().unwrap().success());
    }
    // scythe itself under `strace -f`: every fork, signal and wait traced.
    let mut run = scythe(Mode::Subreaper)
        .program("strace")
        .args(["-f", "-qq", "-o", "/dev/null"])
        .arg(scythe_path())
        .args(["--", PROBE, "orphans", "20", "--hold"])
        .spawn();
    run.expect_line("orphaned 20");
    run.expect_line("reaped 20");
    let child_pid = run.ready("child");
    let scythe = children(run.outer_pid())[0];
    for signal in [libc::SIGUSR1, 40] {
        // SAFETY: kill takes no pointers.
        assert_eq!(unsafe { libc::kill(scythe, signal) }, 0);
        run.expect_line(&format!("child {signal}"));
    }
    // SAFETY: kill takes no pointers.
    assert_eq!(unsafe { libc::kill(child_pid, libc::SIGKILL) }, 0);
    assert_eq!(run.finish().code, 128 + libc::SIGKILL);
}

/// The pid tracing `pid`, 0 if none.
fn tracer_of(pid: i32) -> i32 {
    status_field(pid, "TracerPid").parse().unwrap_or(0)
}

#[test]
fn the_child_dies_while_thousands_of_signals_are_pending() {
    // scythe is stopped while 5,000 real-time signals (which queue) and as
    // many standard ones (which the kernel hands out before SIGCHLD) pile
    // up, and its child is killed meanwhile; once scythe continues, with a
    // flood still coming, it must see its child's end among them and exit
    // with 137 at once, not when the flood dries up.
    for name in NAMES {
        for mode in MODES {
            let mut run = quiet(name, mode).args(["--", PROBE, "signals", "child"]).spawn();
            run.ready("child");
            let child = children(run.scythe_pid())[0];
            let scythe = run.scythe_pid();
            let send = |signal| {
                // SAFETY: kill takes no pointers.
                unsafe { libc::kill(scythe, signal) == 0 }
            };
            assert!(send(libc::SIGSTOP));
            wait_until(|| state_of(scythe) == 'T', "scythe is stopped");
            for n in 0..5_000 {
                assert!(send(40) && send([libc::SIGUSR1, libc::SIGHUP, libc::SIGWINCH][n % 3]));
            }
            assert!(queued_signals(scythe) >= 5_000, "{name:?} {mode:?}: the queue");
            // SAFETY: kill takes no pointers.
            assert_eq!(unsafe { libc::kill(child, libc::SIGKILL) }, 0);
            wait_until(|| state_of(child) == 'Z', "the child is a zombie");
            let stop = Arc::new(AtomicBool::new(false));
            let flood = {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        // SAFETY: kill takes no pointers.
                        if unsafe { libc::kill(scythe, [libc::SIGUSR1, 41][n % 2]) } != 0 {
                            break;
                        }
                    }
                })
            };
            assert!(send(libc::SIGCONT));
            let code = run.exit_code();
            stop.store(true, Ordering::Relaxed);
            flood.join().unwrap();
            assert_eq!(code, 128 + libc::SIGKILL, "{name:?} {mode:?}");
        }
    }
}

/// The signals queued for `pid`'s user (SigQ in /proc: `queued/limit`),
/// real-time ones mostly.
fn queued_signals(pid: i32) -> usize {
    let queue = status_field(pid, "SigQ");
    queue.split('/').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn bad_input_end_to_end_is_one_short_line_and_the_usage_status() {
    // The parsers' property tests (src/properties.rs) cover the space; this
    // is the real binary with the extremes the kernel lets through: an
    // argument of 128 KiB less its NUL, bytes that are not UTF-8, numbers
    // too big for any type.
    use std::os::unix::ffi::OsStringExt;
    let huge = "x".repeat(128 * 1024 - 1);
    let bytes = |b: &[u8]| std::ffi::OsString::from_vec(b.to_vec());
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["-r".into(), huge.clone().into(), "true".into()],
        vec![format!("--{}", &huge[2..]).into(), "true".into()],
        vec!["-r".into(), bytes(b"\xff:\xfe"), "true".into()],
        vec!["-r".into(), "99999999999999999999999:1".into(), "true".into()],
        vec![bytes(b"-\xff"), "true".into()],
    ];
    for name in NAMES {
        for args in &cases {
            let finished = scythe_as(name, Mode::Subreaper).args(args.clone()).run();
            let context = format!("{name:?} {:.40?}: {:.300?}", args, finished);
            assert_eq!(finished.code, name.usage_status(), "{context}");
            assert_eq!(finished.stderr.lines().count(), 1, "{context}");
            assert!(finished.stderr.len() < 200, "{context}");
        }
    }
    let long = scythe(Mode::Subreaper).args(["--grace", "99999999999999999999999", "true"]).run();
    assert_eq!((long.code, long.stderr.lines().count()), (2, 1), "{long:?}");
    // 10,000 arguments through to the child, and 10,000 options.
    let many: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
    let through = scythe(Mode::Subreaper).args(["--", "sh", "-c", "echo $#", "sh"]).args(&many);
    assert_eq!(through.run().stdout, ["10000"]);
    let options = scythe(Mode::Subreaper).args(vec!["-c"; 10_000]).args(["sh", "-c", "exit 4"]);
    assert_eq!(options.run().code, 4);
}

#[test]
fn a_stderr_whose_reader_stalls_never_stops_supervision() {
    // stderr a pipe whose reader is there but reads nothing: once the pipe
    // is full, a plain write would wait for ever, and with it reaping and
    // relaying. Each relayed signal is a line; 6,000 are far more than the
    // pipe holds.
    let mut fds = [0; 2];
    // SAFETY: pipe fills the array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let [reader, writer] = fds;
    let mut run = scythe(Mode::Subreaper)
        .args(["-v", "-r", "40:0", "--", PROBE, "signals", "child"])
        .configure(|c| {
            // SAFETY: the write end is this test's, given to scythe as stderr.
            unsafe {
                use std::os::fd::FromRawFd;
                c.stderr(std::process::Stdio::from_raw_fd(libc::dup(writer)));
            }
        })
        .spawn();
    // SAFETY: closing this process's copy; scythe holds its own.
    unsafe { libc::close(writer) };
    run.ready("child");
    let pid = run.scythe_pid();
    for _ in 0..6000 {
        // SAFETY: kill takes no pointers.
        assert_eq!(unsafe { libc::kill(pid, 40) }, 0);
    }
    // Real-time signals are taken lowest first: once 41 has reached the
    // child, scythe is past every 40 (each dropped, each a line).
    run.signal(41);
    run.expect_line("child 41");
    // Once the reader reads again, the next line says how many were lost
    // (the line of 41, if scythe writes it while this drains, or of 42).
    let mut drained = drain(reader);
    assert!(drained.len() >= 60_000, "only {} bytes reached stderr", drained.len());
    run.signal(42);
    run.expect_line("child 42");
    drained.extend(drain(reader));
    let text = String::from_utf8_lossy(&drained);
    let count = text.lines().find(|line| line.ends_with(" lines dropped: stderr was full"));
    let count: u32 = count.and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
    // 6,000 lines of about 22 bytes, in a pipe of 64 KiB.
    assert!(count >= 1000, "{count} lines said dropped: {:?}", &text[text.len() - 200..]);
    assert_eq!(run.end("child").code, 0);
    // SAFETY: closing the read end.
    unsafe { libc::close(reader) };
}

/// Everything there is to read on `fd` now, without waiting.
fn drain(fd: i32) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buffer = [0u8; 65536];
    loop {
        let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: poll and read on live buffers.
        let ready = unsafe { libc::poll(&mut poll, 1, 200) };
        if ready <= 0 {
            return all;
        }
        // SAFETY: as above.
        let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        if n <= 0 {
            return all;
        }
        all.extend_from_slice(&buffer[..n as usize]);
    }
}
