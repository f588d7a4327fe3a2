//! The drop-in promises (issue #3): run as `dumb-init` or `tini` (and
//! `docker-init`, `tini-static`), scythe follows those tools' conventions,
//! in scythe's own words. The core tests (core.rs) run under every name too.

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn the_name_is_argv0s_basename() {
    let cases = [
        ("docker-init", Name::Tini),
        ("tini-static", Name::Tini),
        ("tini", Name::Tini),
        ("dumb-init", Name::DumbInit),
        ("podman-init", Name::Scythe),
        ("init", Name::Scythe),
    ];
    for (link, name) in cases {
        let finished = scythe(Mode::Subreaper).program(linked_as(link)).arg("--version").run();
        let (stdout, stderr) = (finished.stdout.join("\n"), finished.stderr.trim_end().to_string());
        match name {
            Name::Tini => assert!(
                stdout.starts_with(&format!("scythe version {VERSION} - git.")),
                "{link}: {stdout}"
            ),
            Name::DumbInit => assert_eq!(
                (stdout, stderr),
                (String::new(), format!("scythe v{VERSION}")),
                "{link}"
            ),
            Name::Scythe => assert_eq!(stdout, format!("scythe {VERSION}"), "{link}"),
        }
        assert_eq!(finished.code, 0);
    }
}

#[test]
fn help_and_licence_speak_for_scythe_under_every_name() {
    for name in NAMES {
        let help = scythe_as(name, Mode::Subreaper).arg("-h").run();
        assert_eq!(help.code, 0);
        // dumb-init's conventions print everything on stderr.
        let text = if name == Name::DumbInit {
            assert!(help.stdout.is_empty());
            help.stderr
        } else {
            assert_eq!(help.stderr, "");
            help.stdout.join("\n")
        };
        assert!(text.contains("scythe"), "{name:?}: {text}");
        // Beyond the usage line (which shows the path it was run as), no
        // other project's name.
        let rest: Vec<&str> = text.lines().skip(1).collect();
        for line in rest {
            assert!(!line.contains("tini") && !line.contains("dumb-init"), "{name:?}: {line}");
        }
    }
    let licence = scythe_as(Name::Tini, Mode::Subreaper).arg("-l").run();
    assert_eq!(licence.code, 0);
    assert!(licence.stdout.join("\n").contains("scythe: MIT licence"));
}

#[test]
fn unknown_options_and_missing_programs_per_name() {
    let cases: &[(Name, &[&str], i32)] = &[
        (Name::Scythe, &["-l", "true"], 2),
        (Name::DumbInit, &["-g", "true"], 1),
        (Name::DumbInit, &["-r", "32:1", "true"], 1),
        (Name::DumbInit, &["-V", "x"], 0),
        (Name::Tini, &["-c", "true"], 1),
        (Name::Tini, &["-V"], 1),
        (Name::Tini, &["-e", "256", "true"], 1),
        (Name::Tini, &["-p", "SIGNOPE", "true"], 1),
    ];
    for &(name, args, code) in cases {
        let finished = scythe_as(name, Mode::Subreaper).args(args).run();
        assert_eq!(finished.code, code, "{name:?} {args:?}: {finished:?}");
    }
    for name in NAMES {
        let dashes = scythe_as(name, Mode::Pid1).args(["--", "--", "true"]).run();
        assert_eq!(dashes.code, 127, "{name:?}");
        assert_eq!(dashes.stderr, "scythe: --: No such file or directory\n");
    }
}

#[test]
fn dumb_init_hands_the_terminal_to_the_childs_session() {
    for mode in MODES {
        let mut master = None;
        let mut run = scythe_as(Name::DumbInit, mode)
            .session_leader()
            .args(["-v", "--", PROBE, "signals", "child"])
            .configure(|c| master = Some(on_pty(c)))
            .spawn();
        let master = master.unwrap();
        run.ready("child");
        // The SIGHUP and SIGCONT of the hand-off were dropped, not relayed:
        // the next signal the child sees is the one sent now.
        run.signal(libc::SIGUSR2);
        run.expect_line("child 12");
        let host_child = children(run.scythe_pid())[0];
        assert_eq!(session_of(host_child), host_child, "{mode:?}: the child leads a session");
        assert_eq!(foreground_group(&master), host_child, "{mode:?}: and has the terminal");
        // Later ones are relayed.
        for signal in [libc::SIGHUP, libc::SIGCONT] {
            run.signal(signal);
            run.expect_line(&format!("child {signal}"));
        }
        run.signal(EXIT_SIGNAL);
        run.expect_line(&format!("child {EXIT_SIGNAL}"));
        let finished = run.finish();
        assert_eq!(finished.code, 0);
        assert!(
            finished.stderr.contains("SIGHUP from the terminal hand-off: ignored"),
            "{finished:?}"
        );
    }
}

fn session_of(pid: i32) -> i32 {
    // SAFETY: getsid takes no pointers.
    unsafe { libc::getsid(pid) }
}

/// Waits (bounded) until `pid` is in one of `states`.
fn wait_for_state(pid: i32, states: &str) {
    wait_until(|| states.contains(state_of(pid)), &format!("{pid} is in one of {states}"));
}

#[test]
fn dumb_init_job_control_stops_and_continues_scythe_and_the_child() {
    for mode in MODES {
        for single_child in [false, true] {
            let options: &[&str] = if single_child { &["-c"] } else { &[] };
            let mut run = scythe_as(Name::DumbInit, mode)
                .args(options)
                .args(["--", PROBE, "signals", "child"])
                .spawn();
            run.ready("child");
            let scythe = run.scythe_pid();
            let child = children(scythe)[0];
            run.signal(libc::SIGTSTP);
            if single_child {
                // Relayed as it is: the probe blocks it and says so.
                run.expect_line("child 20");
            } else {
                // Relayed as SIGSTOP, which stops any process.
                wait_for_state(child, "T");
            }
            // scythe stops itself too, unless it is PID 1, which cannot be
            // stopped from inside its namespace.
            if mode == Mode::Subreaper {
                wait_for_state(scythe, "T");
            }
            run.signal(libc::SIGCONT);
            run.expect_line("child 18");
            wait_for_state(scythe, "RS");
            wait_for_state(child, "RS");
            run.signal(EXIT_SIGNAL);
            run.expect_line(&format!("child {EXIT_SIGNAL}"));
            assert_eq!(run.finish().code, 0, "{mode:?} {options:?}");
        }
    }
}

#[test]
fn dumb_init_terminates_the_group_the_child_leaves_behind() {
    for name in NAMES {
        for single_child in [false, true] {
            // (scythe's own name drains instead: see shutdown.rs; here, with
            // no grace time, it does what the others do.)
            let options = match (name, single_child) {
                (Name::Tini, false) => &["-g"][..],
                (Name::Tini, true) => &[],
                (Name::Scythe, true) => &["-c", "-t", "0"],
                (Name::Scythe, false) => &["-t", "0"],
                (Name::DumbInit, true) => &["-c"],
                (Name::DumbInit, false) => &[],
            };
            let what = format!("{name:?} {options:?}");
            let mut run = scythe_as(name, Mode::Subreaper)
                .args(name.subreaper_options())
                .args(options)
                .args(["--", PROBE, "leave", "grand", "3"])
                .spawn();
            let grand = run.ready("grand");
            if name == Name::DumbInit && !single_child {
                run.expect_line("grand 15");
            }
            // scythe does not wait for what its child left behind.
            assert_eq!(run.exit_code(), 3, "{what}");
            // Nothing else reached the one left behind.
            // SAFETY: kill takes no pointers.
            assert_eq!(unsafe { libc::kill(grand, EXIT_SIGNAL) }, 0);
            run.expect_line(&format!("grand {EXIT_SIGNAL}"));
            run.expect_line("exit grand");
            assert_eq!(run.finish().code, 3, "{what}");
        }
    }
}

#[test]
fn bash_keeps_job_control_under_every_name() {
    let cases: &[(Name, &[&str])] = &[
        (Name::Scythe, &[]),
        (Name::Tini, &["-s"]),
        (Name::DumbInit, &[]),
        (Name::DumbInit, &["-c"]),
    ];
    for &(name, options) in cases {
        for mode in MODES {
            let what = format!("{name:?} {options:?} {mode:?}");
            let mut master = None;
            let mut run = scythe_as(name, mode)
                .session_leader()
                .args(options)
                .args(["--", "bash", "--norc", "--noprofile", "--noediting", "-i"])
                .configure(|c| master = Some(on_pty(c)))
                .spawn();
            let master = master.unwrap();
            type_on(&master, b"echo ready\n");
            run.expect_line("ready");
            let bash = children(run.scythe_pid())[0];
            assert_eq!(foreground_group(&master), bash, "{what}: bash has the terminal");
            // A foreground job takes the terminal; Ctrl-Z stops it and gives
            // the terminal back to bash, as in any terminal.
            type_on(&master, b"sleep 100\n");
            wait_until(|| foreground_group(&master) != bash, &what);
            let job = foreground_group(&master);
            // Until it has exec'd sleep, the job may still ignore SIGTSTP
            // as the interactive shell does.
            let comm = || std::fs::read_to_string(format!("/proc/{job}/comm")).unwrap_or_default();
            wait_until(|| comm() == "sleep\n", &what);
            type_on(&master, b"\x1a");
            wait_for_state(job, "T");
            wait_until(|| foreground_group(&master) == bash, &what);
            type_on(&master, b"jobs; echo after\n");
            let lines = run.expect_lines(&["after".to_string()]);
            let stopped = lines.iter().any(|l| l.contains("Stopped") && l.contains("sleep 100"));
            assert!(stopped, "{what}: {lines:?}");
            // `fg` resumes it in front; Ctrl-C ends it.
            type_on(&master, b"fg\n");
            wait_until(|| foreground_group(&master) == job && state_of(job) != 'T', &what);
            type_on(&master, b"\x03");
            wait_until(|| foreground_group(&master) == bash, &what);
            type_on(&master, b"exit 7\n");
            let finished = run.finish();
            assert_eq!(finished.code, 7, "{what}: {finished:?}");
            assert!(!finished.stderr.contains("no job control"), "{what}: {}", finished.stderr);
        }
    }
}

#[test]
fn success_statuses_for_all_256_codes() {
    for name in [Name::Tini, Name::Scythe] {
        for code in 0..=255u32 {
            let other = (code + 1) % 256;
            let script = |status: u32| format!("exit {status}");
            let mapped = quiet(name, Mode::Subreaper)
                .args(["-e", &code.to_string(), "--", "sh", "-c", &script(code)])
                .run();
            assert_eq!(mapped.code, 0, "{name:?} -e {code}");
            let kept = quiet(name, Mode::Subreaper)
                .args(["-e", &code.to_string(), "--", "sh", "-c", &script(other)])
                .run();
            assert_eq!(kept.code, other as i32, "{name:?} -e {code}, exit {other}");
        }
    }
}

#[test]
fn parent_death_signal_is_relayed() {
    for name in [Name::Tini, Name::Scythe] {
        // A shell starts scythe and stays its parent, until SIGKILLed.
        let script =
            format!("{} -s -p SIGUSR1 -- {PROBE} signals child; :", name.program().display());
        let mut run = scythe(Mode::Subreaper).program("/bin/sh").args(["-c", &script]).spawn();
        run.ready("child");
        let shell = run.scythe_pid();
        let scythe_pid = children(shell)[0];
        // SAFETY: kill takes no pointers.
        unsafe { libc::kill(shell, libc::SIGKILL) };
        run.expect_line("child 10");
        // SAFETY: as above.
        unsafe { libc::kill(scythe_pid, EXIT_SIGNAL) };
        run.expect_line(&format!("child {EXIT_SIGNAL}"));
        run.expect_line("exit child");
        assert_eq!(run.finish().code, 128 + libc::SIGKILL, "{name:?}: the shell's end");
    }
}

/// Starts `name` with `options` (as a subreaper-mode process) over a probe
/// that leaves one lingering orphan behind; returns the orphan's parent and
/// what scythe said on stderr.
fn orphan_parent(
    name: Name,
    options: &[&str],
    env: &[(&str, &str)],
    inherited_bit: bool,
) -> (bool, String) {
    let env: Vec<(String, String)> =
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut run = scythe_as(name, Mode::Subreaper)
        .args(options)
        .args(["--", PROBE, "orphans", "1", "--linger", "--no-wait", "--print", "--hold"])
        .configure(|c| {
            c.envs(env.iter().map(|(k, v)| (k, v)));
            if inherited_bit {
                // SAFETY: prctl is async-signal-safe.
                unsafe {
                    std::os::unix::process::CommandExt::pre_exec(c, || {
                        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
                        Ok(())
                    });
                }
            }
        })
        .spawn();
    let orphan: i32 = run.next_line().strip_prefix("orphan ").unwrap().parse().unwrap();
    run.expect_line("orphaned 1");
    run.ready("child");
    let status = std::fs::read_to_string(format!("/proc/{orphan}/status")).unwrap();
    let parent: i32 =
        status.lines().find_map(|l| l.strip_prefix("PPid:")).unwrap().trim().parse().unwrap();
    let adopted = parent == run.scythe_pid();
    // SAFETY: kill takes no pointers.
    unsafe { libc::kill(orphan, libc::SIGKILL) };
    run.signal(EXIT_SIGNAL);
    let finished = run.finish();
    (adopted, finished.stderr)
}

/// One start of scythe and who should adopt its orphans.
struct Adoption {
    name: Name,
    options: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// The subreaper bit set before scythe starts.
    inherited_bit: bool,
    adopted: bool,
    stderr: &'static str,
}

#[test]
fn who_adopts_orphans_under_each_name() {
    const WARNING: &str =
        "scythe: warning: not PID 1 nor a subreaper: orphans will not be reaped\n";
    let case = |name, options, env, inherited_bit, adopted, stderr| Adoption {
        name,
        options,
        env,
        inherited_bit,
        adopted,
        stderr,
    };
    let cases = [
        case(Name::Scythe, &[], &[], false, true, ""),
        case(Name::DumbInit, &[], &[], false, false, ""),
        // Tini's conventions: only when asked, or when already one; and a
        // warning otherwise, unless silenced.
        case(Name::Tini, &[], &[], false, false, WARNING),
        case(Name::Tini, &[], &[("TINI_VERBOSITY", "0")], false, false, ""),
        case(Name::Tini, &["-s"], &[], false, true, ""),
        case(Name::Tini, &[], &[("TINI_SUBREAPER", "")], false, true, ""),
        case(Name::Tini, &[], &[], true, true, ""),
    ];
    for c in cases {
        let (was_adopted, said) = orphan_parent(c.name, c.options, c.env, c.inherited_bit);
        let what =
            format!("{:?} {:?} {:?} inherited bit: {}", c.name, c.options, c.env, c.inherited_bit);
        assert_eq!(was_adopted, c.adopted, "{what}");
        assert_eq!(said, c.stderr, "{what}");
    }
}

#[test]
fn reaped_orphans_are_reported_only_with_w() {
    for (options, env, lines) in [
        (&["-s", "-w"][..], &[][..], 3),
        (&["-s"], &[], 0),
        (&["-s", "-w"], &[("TINI_VERBOSITY", "0")], 0),
    ] {
        let env: Vec<(String, String)> =
            env.iter().map(|&(k, v): &(&str, &str)| (k.into(), v.into())).collect();
        let finished = scythe_as(Name::Tini, Mode::Subreaper)
            .args(options)
            .args(["--", PROBE, "orphans", "3"])
            .configure(|c| {
                c.envs(env.iter().map(|(k, v)| (k, v)));
            })
            .run();
        assert_eq!(finished.code, 0);
        let reported =
            finished.stderr.lines().filter(|l| l.starts_with("scythe: reaped orphan ")).count();
        assert_eq!(reported, lines, "{options:?} {env:?}: {}", finished.stderr);
    }
}

/// An interactive bash on a fresh terminal, started by this test (not
/// under scythe), and the terminal's master side.
fn interactive_bash() -> (Running, std::os::fd::OwnedFd) {
    let mut master = None;
    let run = scythe(Mode::Subreaper)
        .program("bash")
        .args(["--norc", "--noprofile", "--noediting", "-i"])
        .configure(|c| {
            c.env("SCYTHE", scythe_path());
            master = Some(on_pty(c));
        })
        .spawn();
    (run, master.unwrap())
}

#[test]
fn in_the_background_of_a_shell_scythe_leaves_it_the_terminal() {
    // Both groups lie outside scythe's PID namespace, and read as 0 there.
    let (mut run, master) = interactive_bash();
    let bash = run.outer_pid();
    type_on(&master, b"unshare --pid --fork --mount-proc \"$SCYTHE\" -- sleep 100 &\n");
    let sleeping =
        || descendants(bash).into_iter().find(|&p| state_of(p) != 'Z' && comm(p) == "sleep");
    wait_until(|| sleeping().is_some(), "sleep runs under scythe");
    assert_eq!(foreground_group(&master), bash, "bash lost the terminal");
    type_on(&master, b"echo still-here\n");
    // (The terminal echoes what was typed: the answer is a line of its own.)
    let deadline = std::time::Instant::now() + TIMEOUT;
    while run.next_line_within(TIMEOUT).is_some_and(|l| l.trim_end() != "still-here") {
        assert!(std::time::Instant::now() < deadline, "bash never answered");
    }
    assert!(run.seen.iter().any(|l| l.trim_end() == "still-here"), "bash is gone: {:?}", run.seen);
    type_on(&master, b"kill %1; wait; exit 7\n");
    assert_eq!(run.finish().code, 7);
}

/// A process's command name.
fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string()
}

#[test]
fn ctrl_z_stops_scythe_with_its_child_and_fg_hands_the_terminal_back() {
    // Under scythe's own name, not PID 1: the child's group has the
    // terminal; when Ctrl-Z stops it, scythe (the shell's job) stops too.
    let (mut run, master) = interactive_bash();
    let bash = run.outer_pid();
    type_on(&master, b"\"$SCYTHE\" -- sleep 100\n");
    let sleeping = || descendants(bash).into_iter().find(|&p| comm(p) == "sleep");
    wait_until(|| sleeping().is_some_and(|p| foreground_group(&master) == p), "sleep in front");
    let sleep = sleeping().unwrap();
    type_on(&master, b"\x1a");
    wait_until(|| foreground_group(&master) == bash, "bash has the terminal back");
    type_on(&master, b"jobs; echo after\n");
    let lines = run.expect_lines(&["after".to_string()]);
    assert!(lines.iter().any(|l| l.contains("Stopped")), "{lines:?}");
    // `fg`: scythe continues, hands the terminal to the child's group, and
    // relays SIGCONT; Ctrl-C then reaches sleep.
    type_on(&master, b"fg\n");
    wait_until(
        || foreground_group(&master) == sleep && state_of(sleep) != 'T',
        "sleep in front again",
    );
    type_on(&master, b"\x03");
    wait_until(|| foreground_group(&master) == bash, "bash in front after Ctrl-C");
    type_on(&master, b"exit 7\n");
    assert_eq!(run.finish().code, 7);
}
