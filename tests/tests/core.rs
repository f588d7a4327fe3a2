//! The core promises (issue #2): relay every signal, reap every zombie, exit
//! with the child's status, start the child clean, stay small and static.
//! Each runs the release binary, as PID 1 of a new PID namespace and as a
//! child subreaper where both apply.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

/// `sh -c` with a probe in the background (a grandchild of scythe once the
/// shell execs the second probe in its place) and a probe as main child.
fn probe_tree() -> Vec<String> {
    let script = format!("{PROBE} signals grand & exec {PROBE} signals child");
    vec!["sh".into(), "-c".into(), script]
}

fn start_tree(name: Name, mode: Mode, options: &[&str]) -> Running {
    let mut run = scythe_as(name, mode).args(options).arg("--").args(probe_tree()).spawn();
    let mut ready: Vec<String> = vec![run.next_line(), run.next_line()];
    ready.sort();
    assert!(
        ready[0].starts_with("ready child ") && ready[1].starts_with("ready grand "),
        "{ready:?}"
    );
    run
}

/// The signals a test can relay and see arrive under `name`: dumb-init's
/// conventions stop scythe itself after SIGTSTP, SIGTTIN and SIGTTOU (see
/// the job-control tests in names.rs).
fn relayed_under(name: Name) -> Vec<i32> {
    let job_control = [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];
    relayed_signals()
        .into_iter()
        .filter(|s| name != Name::DumbInit || !job_control.contains(s))
        .collect()
}

#[test]
fn every_signal_reaches_the_whole_group() {
    for name in NAMES {
        for mode in MODES {
            let mut run = start_tree(name, mode, name.group_options());
            for signal in relayed_under(name) {
                run.signal(signal);
                let extra =
                    run.expect_lines(&[format!("child {signal}"), format!("grand {signal}")]);
                assert!(extra.is_empty(), "{name:?} {mode:?} {signal}: unexpected {extra:?}");
            }
            // End the grandchild first: once the main child exits, scythe
            // exits, and as PID 1 takes the namespace down with it.
            stop_grandchild(&mut run);
            let finished = run.end("child");
            assert_eq!(finished.code, 0, "{name:?} {mode:?}: {finished:?}");
        }
    }
}

#[test]
fn single_child_mode_spares_the_rest_of_the_group() {
    let cases: &[(Name, &[&str])] = &[
        (Name::Scythe, &["-c"]),
        (Name::Scythe, &["--single-child"]),
        (Name::DumbInit, &["-c"]),
        (Name::DumbInit, &["--single-child"]),
        (Name::Tini, &[]),
    ];
    for &(name, options) in cases {
        for mode in MODES {
            let mut run = start_tree(name, mode, options);
            for signal in relayed_under(name) {
                run.signal(signal);
                run.expect_line(&format!("child {signal}"));
            }
            // Ask the grandchild itself what it got: anything relayed to it
            // would have been pending before the line above was printed.
            stop_grandchild(&mut run);
            assert_eq!(run.end("child").code, 0, "{name:?} {mode:?}");
        }
    }
}

/// Sends the grandchild probe its exit signal directly and sees it go,
/// with nothing else left pending for it.
fn stop_grandchild(run: &mut Running) {
    let child = children(run.scythe_pid());
    assert_eq!(child.len(), 1, "scythe has one child: {child:?}");
    let grand = children(child[0]);
    assert_eq!(grand.len(), 1, "the main child has one child: {grand:?}");
    // SAFETY: kill takes no pointers.
    assert_eq!(unsafe { libc::kill(grand[0], EXIT_SIGNAL) }, 0);
    run.expect_line(&format!("grand {EXIT_SIGNAL}"));
    run.expect_line("exit grand");
}

#[test]
fn rewrites_under_dumb_init_take_signals_1_to_31() {
    for mode in MODES {
        let options = ["-c", "-r", "15:10", "--rewrite", "1:0"];
        let mut run = scythe_as(Name::DumbInit, mode)
            .args(options)
            .args(["--", PROBE, "signals", "child"])
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        run.expect_line("child 10");
        run.signal(libc::SIGHUP);
        run.signal(libc::SIGUSR2);
        run.expect_line("child 12");
        assert_eq!(run.end("child").code, 0);
    }
}

#[test]
fn rewrites_by_name_and_number_and_drops() {
    for mode in MODES {
        let options =
            ["-r", "TERM:USR1", "--rewrite", "SIGHUP:0", "-r10:RTMIN+2", "--rewrite=35:RTMAX"];
        let mut run =
            scythe(mode).args(options).args(["-c", "--", PROBE, "signals", "child"]).spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        run.expect_line("child 10");
        run.signal(libc::SIGUSR1);
        run.expect_line("child 36");
        run.signal(35);
        run.expect_line("child 64");
        // A dropped signal leaves no trace: SIGHUP (1) would be taken by
        // scythe, and then by the probe, before the higher-numbered marker.
        run.signal(libc::SIGHUP);
        run.signal(40);
        run.expect_line("child 40");
        assert_eq!(run.end("child").code, 0);
    }
}

#[test]
fn exit_status_is_the_childs() {
    let cases: &[(&[&str], i32)] = &[
        (&["true"], 0),
        (&["sh", "-c", "exit 3"], 3),
        (&["sh", "-c", "exit 255"], 255),
        (&["sh", "-c", "kill -TERM $$"], 128 + 15),
        (&["sh", "-c", "kill -KILL $$"], 128 + 9),
        (&["sh", "-c", "kill -SEGV $$"], 128 + 11),
    ];
    for name in NAMES {
        for mode in MODES {
            for (command, code) in cases {
                let finished = quiet(name, mode).arg("--").args(*command).run();
                assert_eq!(finished.code, *code, "{name:?} {mode:?} {command:?}: {finished:?}");
                assert_eq!(finished.stderr, "", "{name:?} {mode:?} {command:?}");
            }
        }
    }
}

#[test]
fn exec_failures_are_127_and_126_with_one_line() {
    let dir = scratch("dir");
    let not_executable = dir.join("script");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let not_executable = not_executable.to_str().unwrap().to_string();
    for name in NAMES {
        for mode in MODES {
            let missing = quiet(name, mode).args(["--", "no-such-command-anywhere"]).run();
            assert_eq!(missing.code, 127, "{name:?} {missing:?}");
            assert_eq!(
                missing.stderr,
                "scythe: no-such-command-anywhere: No such file or directory\n"
            );
            let denied = quiet(name, mode).args(["--", &not_executable]).run();
            assert_eq!(denied.code, 126, "{name:?} {denied:?}");
            assert_eq!(denied.stderr, format!("scythe: {not_executable}: Permission denied\n"));
            let directory = quiet(name, mode).args(["--", "/"]).run();
            assert_eq!(directory.code, 126, "{name:?} {directory:?}");
        }
    }
}

#[test]
fn commands_are_found_on_path_or_the_default_path() {
    let dir = scratch("dir");
    let tool = dir.join("my-tool");
    std::fs::write(&tool, "#!/bin/sh\nexit 42\n").unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("/nonexistent:{}:/usr/bin:/bin", dir.display());
    let found = scythe(Mode::Subreaper).args(["my-tool"]).configure(|c| {
        c.env("PATH", &path);
    });
    assert_eq!(found.run().code, 42);
    // No PATH at all: execvp's default list still finds sh.
    let default = scythe(Mode::Subreaper).args(["sh", "-c", "exit 9"]).configure(|c| {
        c.env_clear();
    });
    assert_eq!(default.run().code, 9);
}

#[test]
fn usage_errors_are_one_line_and_the_names_status() {
    for name in NAMES {
        for args in [&[][..], &["-x", "true"], &["--bogus"], &["-e", "x", "true"], &["--"], &["-v"]]
        {
            let finished = scythe_as(name, Mode::Subreaper).args(args).run();
            assert_eq!(finished.code, name.usage_status(), "{name:?} {args:?}: {finished:?}");
            assert_eq!(finished.stderr.lines().count(), 1, "{name:?} {args:?}: {finished:?}");
            assert!(finished.stderr.starts_with("scythe: "), "{finished:?}");
            assert!(finished.stdout.is_empty());
        }
    }
}

#[test]
fn help_and_version_go_to_stdout() {
    for flag in ["-h", "--help"] {
        let finished = scythe(Mode::Subreaper).arg(flag).run();
        assert_eq!(finished.code, 0);
        let usage = format!("Usage: {} [OPTIONS] [--] COMMAND [ARG]...", scythe_path().display());
        assert_eq!(finished.stdout[0], usage);
        assert_eq!(finished.stderr, "");
    }
    for flag in ["-V", "--version"] {
        let finished = scythe(Mode::Subreaper).arg(flag).run();
        assert_eq!(finished.code, 0);
        assert_eq!(finished.stdout, [format!("scythe {}", env!("CARGO_PKG_VERSION"))]);
    }
}

#[test]
fn options_end_at_the_first_word_that_is_not_one() {
    for (name, posixly_correct) in NAMES.into_iter().flat_map(|n| [(n, false), (n, true)]) {
        let run = |args: &[&str]| {
            quiet(name, Mode::Subreaper)
                .args(args)
                .configure(|c| {
                    if posixly_correct {
                        c.env("POSIXLY_CORRECT", "1");
                    }
                })
                .run()
        };
        assert_eq!(run(&["sh", "-c", "exit 3"]).code, 3);
        assert_eq!(run(&["-vv", "sh", "-c", "exit 4"]).code, 4);
        // A second `--` is the command.
        let dashes = run(&["--", "--", "true"]);
        assert_eq!(dashes.code, 127);
        assert_eq!(dashes.stderr, "scythe: --: No such file or directory\n");
    }
}

#[test]
fn every_orphan_is_reaped_while_the_child_runs() {
    // (dumb-init's conventions make no subreaper: as such, its orphans go to
    // the real init, which reaps them too.)
    for name in NAMES {
        for mode in MODES {
            let finished =
                quiet(name, mode).args(["--", PROBE, "orphans", "1000", "--exit", "7"]).run();
            let expected = ["orphaned 1000", "reaped 1000"];
            assert_eq!(finished.stdout, expected, "{name:?} {mode:?}: {finished:?}");
            assert_eq!(finished.code, 7);
        }
    }
}

#[test]
fn exits_with_the_main_child_while_orphans_remain() {
    for name in NAMES {
        // As PID 1, scythe's exit ends the namespace and the orphans with it.
        let lingering = ["--", PROBE, "orphans", "1000", "--no-wait", "--linger", "--exit", "7"];
        let finished = scythe_as(name, Mode::Pid1).args(lingering).run();
        assert_eq!(finished.stdout, ["orphaned 1000"], "{name:?}: {finished:?}");
        assert_eq!(finished.code, 7, "{name:?}: {finished:?}");
        // With exited (not lingering) orphans, some are reaped, the rest die
        // with the namespace; scythe does not wait for them either way.
        let exited = ["--", PROBE, "orphans", "1000", "--no-wait", "--exit", "7"];
        let finished = scythe_as(name, Mode::Pid1).args(exited).run();
        assert_eq!(finished.code, 7, "{name:?}: {finished:?}");
    }
}

#[test]
fn the_child_starts_with_a_clean_signal_state_or_as_tini_the_inherited_one() {
    for name in NAMES {
        for mode in MODES {
            let (blocked, ignored) = child_signal_state(name, mode, |c| {
                start_dirty(c, &[libc::SIGINT, libc::SIGQUIT], &[libc::SIGUSR1, libc::SIGTERM])
            });
            if name == Name::Tini {
                // Tini's conventions pass the starting state on, transparently:
                // INT (2) and QUIT (3) ignored, USR1 (10) and TERM (15) blocked,
                // and whatever unshare ignores above them, as PID 1.
                assert_eq!(blocked, 0x4200, "{name:?} {mode:?}");
                assert_eq!(ignored & 0xffff, 0x6, "{name:?} {mode:?}");
            } else {
                assert_eq!((blocked, ignored), (0, 0), "{name:?} {mode:?}");
            }
            let group = quiet(name, mode).args(["--", PROBE, "report"]).run();
            assert!(group.stdout.contains(&"own group: true".to_string()), "{group:?}");
        }
    }
}

#[test]
fn an_inherited_ignored_sigchld_does_not_lose_the_status() {
    // SIGCHLD = SIG_IGN makes the kernel reap children itself: scythe must
    // undo it, or it would never see its child's status.
    for name in NAMES {
        for mode in MODES {
            let finished = quiet(name, mode)
                .args(["--", "sh", "-c", "exit 5"])
                .configure(|c| start_dirty(c, &[libc::SIGCHLD], &[libc::SIGCHLD]))
                .run();
            assert_eq!(finished.code, 5, "{name:?} {mode:?}: {finished:?}");
        }
    }
}

#[test]
fn a_signal_sent_during_start_up_is_relayed() {
    // A signal pending when scythe starts survives execve; scythe must take
    // it on its first turn and relay it. The probe either reports it or,
    // had it arrived before the probe blocked signals, died of it. Under
    // dumb-init's conventions the child may not lead its session yet: the
    // signal must reach it all the same.
    for name in NAMES {
        a_signal_pending_at_start_is_relayed_as(name);
    }
}

fn a_signal_pending_at_start_is_relayed_as(name: Name) {
    let mut run = quiet(name, Mode::Subreaper)
        .args(["--", PROBE, "signals", "child"])
        .configure(|c| {
            // SAFETY: async-signal-safe calls between fork and exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(c, || {
                    let mut set: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut set);
                    libc::sigaddset(&mut set, libc::SIGUSR1);
                    libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                    libc::raise(libc::SIGUSR1);
                    Ok(())
                });
            }
        })
        .spawn();
    match run.next_line_within(TIMEOUT) {
        Some(ready) if ready.starts_with("ready child") => {
            run.expect_line("child 10");
            assert_eq!(run.end("child").code, 0);
        }
        None => assert_eq!(run.finish().code, 128 + libc::SIGUSR1),
        Some(other) => run.fail(&format!("unexpected {other:?}")),
    }
}

#[test]
fn scythe_leaves_the_directory_and_the_child_keeps_it() {
    let dir = scratch("dir");
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let mut run = quiet(name, mode)
            .args(["--", "sh", "-c", &format!("{PROBE} report; exec {PROBE} signals child")])
            .configure(|c| {
                c.current_dir(&dir);
            })
            .spawn();
        run.expect_line(&format!("cwd: {}", dir.display()));
        run.expect_line("own group: false");
        run.ready("child");
        // scythe leaves once the child is forked, which may be after the
        // child's ready; waited for, bounded, and it fails if it never does.
        let cwd = format!("/proc/{}/cwd", run.scythe_pid());
        let at_root = || std::fs::read_link(&cwd).is_ok_and(|dir| dir == std::path::Path::new("/"));
        wait_until(at_root, &format!("{name:?} {mode:?}: scythe is in /"));
        // Ended through scythe: a SIGKILLed subreaper would leave the probe
        // to the machine's init, running for ever.
        assert_eq!(run.end("child").code, 0, "{name:?} {mode:?}");
    }
}

#[test]
fn an_idle_scythe_never_wakes_up() {
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let mut run = quiet(name, mode).args(["--", PROBE, "signals", "child"]).spawn();
        run.ready("child");
        assert_stays_asleep(
            run.scythe_pid(),
            Duration::from_secs(3),
            &format!("{name:?} {mode:?}"),
        );
        run.signal(EXIT_SIGNAL);
        run.expect_line(&format!("child {EXIT_SIGNAL}"));
        assert_eq!(run.finish().code, 0);
    }
}

#[test]
fn stdout_is_never_written_and_a_broken_stderr_hurts_nothing() {
    for name in NAMES {
        never_stdout_and_broken_stderr_as(name);
    }
}

fn never_stdout_and_broken_stderr_as(name: Name) {
    // Verbose, with stderr kept: logs there, nothing on stdout.
    let finished = quiet(name, Mode::Subreaper).args(["-vv", "--", "sh", "-c", "exit 3"]).run();
    assert_eq!(finished.code, 3);
    assert!(finished.stdout.is_empty(), "{finished:?}");
    assert!(finished.stderr.contains("exiting 3"), "{finished:?}");

    // stderr closed altogether.
    let closed = quiet(name, Mode::Subreaper)
        .args(["-vv", "--", "sh", "-c", "exit 4"])
        .configure(|c| {
            // SAFETY: close is async-signal-safe.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(c, || {
                    libc::close(2);
                    Ok(())
                });
            }
        })
        .run();
    assert_eq!(closed.code, 4);

    // stderr a pipe nobody reads any more: every log line gets EPIPE (and a
    // SIGPIPE, which must not be relayed to the child as if sent to scythe).
    let mut run = quiet(name, Mode::Subreaper)
        .args(["-vv", "--", PROBE, "signals", "child"])
        .configure(|c| {
            let mut fds = [0; 2];
            // SAFETY: pipe fills the array; the read end is closed at once.
            unsafe {
                libc::pipe(fds.as_mut_ptr());
                libc::close(fds[0]);
                use std::os::fd::FromRawFd;
                c.stderr(std::process::Stdio::from_raw_fd(fds[1]));
            }
        })
        .spawn();
    run.ready("child");
    run.signal(libc::SIGUSR2);
    run.expect_line("child 12");
    assert_eq!(run.end("child").code, 0);
}

#[test]
fn the_child_gets_the_terminal_and_ctrl_c_reaches_it_alone() {
    let cases: &[(Name, &[&str])] = &[
        (Name::Scythe, &[]),
        (Name::Scythe, &["-c"]),
        (Name::Tini, &["-s"]),
        // A session of the child's own, which takes the terminal along.
        (Name::DumbInit, &[]),
        (Name::DumbInit, &["-c"]),
    ];
    for &(name, options) in cases {
        for mode in MODES {
            let mut master = None;
            let mut run = scythe_as(name, mode)
                .session_leader()
                .args(options)
                .args(["-v", "--", PROBE, "signals", "child"])
                .configure(|c| master = Some(on_pty(c)))
                .spawn();
            let master = master.unwrap();
            run.ready("child");
            let child = children(run.scythe_pid())[0];
            let what = format!("{name:?} {options:?} {mode:?}");
            assert_eq!(foreground_group(&master), child, "{what}: the child's group is in front");
            type_on(&master, b"\x03");
            run.expect_line("child 2");
            run.signal(EXIT_SIGNAL);
            run.expect_line(&format!("child {EXIT_SIGNAL}"));
            let finished = run.finish();
            assert_eq!(finished.code, 0, "{what}");
            assert!(!finished.stderr.contains("SIGINT"), "{what}: scythe got ^C too: {finished:?}");
        }
    }
}

#[test]
fn the_terminal_is_handed_back_on_exit() {
    // A shell leads the session and waits for scythe in the foreground, as
    // in an interactive shell; after scythe it reads the terminal, which it
    // can only do (without being stopped) if the terminal was handed back.
    let script = format!(
        "{} -- {PROBE} signals child; echo back; read line; echo $line",
        scythe_path().display()
    );
    let mut master = None;
    let mut run = scythe(Mode::Subreaper)
        .program("/bin/sh")
        .args(["-c", &script])
        .configure(|c| master = Some(on_pty(c)))
        .spawn();
    let master = master.unwrap();
    run.ready("child");
    let shell = run.scythe_pid();
    let scythe = children(shell)[0];
    assert_eq!(foreground_group(&master), children(scythe)[0]);
    // SAFETY: kill takes no pointers.
    unsafe { libc::kill(scythe, EXIT_SIGNAL) };
    run.expect_line(&format!("child {EXIT_SIGNAL}"));
    run.expect_line("exit child");
    run.expect_line("back");
    assert_eq!(foreground_group(&master), shell, "the shell's group is in front again");
    type_on(&master, b"typed\n");
    run.expect_line("typed");
    assert_eq!(run.finish().code, 0);
}
