//! Graceful shutdown (issue #4): the drain with its grace time, --kill-after,
//! --all, pause mode, --user and --no-new-privs, and their variables; the
//! stop delay, and scythe's variables under every name (issue #14).

use std::path::Path;
use std::time::{Duration, Instant};

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

fn gone(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks that the pid exists.
    unsafe { libc::kill(pid, 0) != 0 }
}

/// Starts scythe over a main child that leaves a worker behind and exits 7
/// once the worker is ready; returns the run and the worker's pid.
fn leave_a_worker(
    mode: Mode,
    options: &[&str],
    env: &[(&str, &str)],
    file: &Path,
    worker: &[&str],
) -> (Running, i32) {
    leave_a_worker_as(Name::Scythe, mode, options, env, file, worker)
}

/// [`leave_a_worker`] under `name` (set up to adopt orphans where it can).
fn leave_a_worker_as(
    name: Name,
    mode: Mode,
    options: &[&str],
    env: &[(&str, &str)],
    file: &Path,
    worker: &[&str],
) -> (Running, i32) {
    let env: Vec<(String, String)> =
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut run = quiet(name, mode)
        .args(options)
        .args(["--", PROBE, "worker", file.to_str().unwrap(), "7"])
        .args(worker)
        .configure(|c| {
            c.envs(env.iter().map(|(k, v)| (k, v)));
        })
        .spawn();
    let line = run.next_line();
    let pid = line.strip_prefix("ready worker ").and_then(|p| p.parse().ok());
    let pid = pid.unwrap_or_else(|| run.fail(&format!("expected the worker, got {line:?}")));
    (run, pid)
}

#[test]
fn the_drain_lets_a_worker_finish_and_exits_with_the_main_childs_status() {
    for mode in MODES {
        let dir = scratch(&format!("drain-{mode:?}"));
        let file = dir.join("handled");
        let (mut run, _) = leave_a_worker(mode, &[], &[], &file, &[]);
        assert_eq!(run.exit_code(), 7, "{mode:?}");
        // scythe waited: the worker's handler has run and it has exited.
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), "TERM", "{mode:?}");
        run.finish();
    }
}

#[test]
fn no_grace_means_no_waiting() {
    type Case = (&'static [&'static str], &'static [(&'static str, &'static str)]);
    let cases: &[Case] =
        &[(&["--grace", "0"], &[]), (&["-t0"], &[]), (&[], &[("SCYTHE_GRACE", "0")])];
    for &(options, env) in cases {
        for mode in MODES {
            let dir = scratch(&format!("nograce-{mode:?}"));
            let file = dir.join("handled");
            let (mut run, worker) = leave_a_worker(mode, options, env, &file, &[]);
            assert_eq!(run.exit_code(), 7, "{mode:?} {options:?} {env:?}");
            assert!(!file.exists(), "{mode:?} {options:?} {env:?}: scythe waited for the worker");
            if mode == Mode::Subreaper {
                // Left running, untouched; clean it up.
                // SAFETY: kill takes no pointers.
                unsafe { libc::kill(worker, libc::SIGKILL) };
            }
            run.finish();
        }
    }
}

#[test]
fn options_win_over_the_environment() {
    let dir = scratch("flags-win");
    let file = dir.join("handled");
    let (mut run, _) =
        leave_a_worker(Mode::Subreaper, &["--grace", "5s"], &[("SCYTHE_GRACE", "0")], &file, &[]);
    assert_eq!(run.exit_code(), 7);
    assert!(file.exists(), "the option's grace time was not used");
    run.finish();
}

#[test]
fn a_worker_that_ignores_sigterm_is_killed_at_the_deadline() {
    for mode in MODES {
        let dir = scratch(&format!("deadline-{mode:?}"));
        let file = dir.join("handled");
        let started = Instant::now();
        let (mut run, worker) =
            leave_a_worker(mode, &["--grace", "1s"], &[], &file, &["--ignore-term"]);
        assert_eq!(run.exit_code(), 7, "{mode:?}");
        let elapsed = started.elapsed();
        // The one timing the issue asks for, with room to spare: no sooner
        // than the grace time, and well before grace + 2 s.
        assert!(elapsed >= Duration::from_secs(1), "{mode:?}: gave up after {elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{mode:?}: took {elapsed:?}");
        // (As PID 1 the worker's pid is the namespace's, and the namespace
        // is gone with scythe anyway.)
        assert!(mode == Mode::Pid1 || gone(worker), "{mode:?}: the worker survived");
        assert!(!file.exists());
        run.finish();
    }
}

#[test]
fn a_daemon_that_left_the_group_is_drained_too() {
    for mode in MODES {
        let dir = scratch(&format!("daemon-{mode:?}"));
        let file = dir.join("handled");
        let (mut run, worker) = leave_a_worker(mode, &[], &[], &file, &["--setsid"]);
        assert_eq!(run.exit_code(), 7, "{mode:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), "TERM", "{mode:?}");
        assert!(mode == Mode::Pid1 || gone(worker), "{mode:?}");
        run.finish();
    }
}

#[test]
fn all_reaches_a_daemon_outside_the_group() {
    // As PID 1 of a namespace, --all reaches every process in it.
    for (options, daemon_too) in [(&["--all"][..], true), (&["-a"], true), (&[], false)] {
        let mut run = scythe(Mode::Pid1).args(options).args(["--", PROBE, "daemon"]).spawn();
        let mut ready = [run.next_line(), run.next_line()];
        ready.sort();
        assert!(ready[0].starts_with("ready child") && ready[1].starts_with("ready daemon"));
        run.signal(libc::SIGUSR2);
        let mut wanted = vec!["child 12".to_string()];
        if daemon_too {
            wanted.push("daemon 12".into());
        }
        let extra = run.expect_lines(&wanted);
        assert!(extra.is_empty(), "{options:?}: {extra:?}");
        run.signal(EXIT_SIGNAL);
        let finished = run.finish();
        let daemon_lines = finished.stdout.iter().filter(|l| l.starts_with("daemon 12")).count();
        assert_eq!(daemon_lines, usize::from(daemon_too), "{options:?}: {finished:?}");
    }
}

#[test]
fn kill_after_escalates_only_when_the_child_lingers() {
    for mode in MODES {
        // The probe blocks SIGTERM: it lingers, and is SIGKILLed.
        let mut run =
            scythe(mode).args(["--kill-after", "300ms", "--", PROBE, "signals", "child"]).spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        run.expect_line("child 15");
        assert_eq!(run.finish().code, 128 + libc::SIGKILL, "{mode:?}");
        // Told to stop (SIGTERM relayed as its exit signal), it exits in
        // time: no SIGKILL, its own status.
        let mut run = scythe(mode)
            .args(["--kill-after", "300ms", "-r", &format!("TERM:{EXIT_SIGNAL}")])
            .args(["--", PROBE, "signals", "child"])
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        run.expect_line(&format!("child {EXIT_SIGNAL}"));
        assert_eq!(run.finish().code, 0, "{mode:?}");
    }
}

#[test]
fn pause_mode_reaps_what_it_is_handed_and_stops_on_term_or_int() {
    for (options, stop) in [(&["-P"][..], libc::SIGTERM), (&["--pause"], libc::SIGINT)] {
        let run = scythe(Mode::Pid1).args(options).spawn();
        // Wait for scythe to be there, then run a probe inside its namespace:
        // its orphans go to PID 1, scythe.
        let scythe_pid = wait_for_child_of_unshare(&run);
        let inside = std::process::Command::new("nsenter")
            .args(["--target", &scythe_pid.to_string(), "--pid", "--", PROBE, "orphans", "50"])
            .output()
            .expect("nsenter");
        assert_eq!(String::from_utf8_lossy(&inside.stdout), "orphaned 50\nreaped 50\n");
        // Other signals are ignored: still there, still reaping.
        run.signal(libc::SIGUSR1);
        let again = std::process::Command::new("nsenter")
            .args(["--target", &scythe_pid.to_string(), "--pid", "--", PROBE, "orphans", "5"])
            .output()
            .expect("nsenter");
        assert_eq!(String::from_utf8_lossy(&again.stdout), "orphaned 5\nreaped 5\n");
        run.signal(stop);
        assert_eq!(run.finish().code, 0, "{options:?}");
    }
    // No COMMAND with it, and a COMMAND without it, are usage errors.
    assert_eq!(scythe(Mode::Subreaper).args(["-P", "true"]).run().code, 2);
    assert_eq!(scythe(Mode::Subreaper).run().code, 2);
}

/// scythe's pid under unshare, once it is there (bounded).
fn wait_for_child_of_unshare(run: &Running) -> i32 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(&pid) = children(run.outer_pid()).first() {
            return pid;
        }
        assert!(Instant::now() < deadline, "scythe never started");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn user_drops_privileges_in_the_child_only() {
    for mode in MODES {
        let finished = scythe(mode)
            .args(["--user", "65534:65534", "--no-new-privs", "--"])
            .args(["grep", "-E", "^(Uid|Gid|Groups|NoNewPrivs):", "/proc/self/status"])
            .run();
        assert_eq!(finished.code, 0, "{mode:?}: {finished:?}");
        let status: Vec<String> = finished
            .stdout
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(
            status,
            [
                "Uid: 65534 65534 65534 65534",
                "Gid: 65534 65534 65534 65534",
                "Groups:",
                "NoNewPrivs: 1"
            ],
            "{mode:?}"
        );
    }
    // Without GID, the group is the user's number, not root's.
    let finished = scythe(Mode::Subreaper)
        .args(["--user", "1234", "grep", "^Gid:", "/proc/self/status"])
        .run();
    assert_eq!(finished.stdout[0].split_whitespace().nth(1), Some("1234"));
    // An impossible drop: a clear message, 126, and nothing left running.
    for mode in MODES {
        let finished = scythe(mode).args(["-u", "4294967295", "--", "sleep", "100"]).run();
        assert_eq!(finished.code, 126, "{mode:?}: {finished:?}");
        assert_eq!(finished.stderr, "scythe: cannot drop privileges: Invalid argument\n");
    }
}

#[test]
fn bad_durations_users_and_switches_are_usage_errors() {
    for args in [
        &["-t", "-1", "true"][..],
        &["--grace", "5x", "true"],
        &["--grace=99999999999", "true"],
        &["--kill-after", "1.5s", "true"],
        &["-u", "nobody", "true"],
        &["--user", "1:2:3", "true"],
    ] {
        let finished = scythe(Mode::Subreaper).args(args).run();
        assert_eq!(finished.code, 2, "{args:?}: {finished:?}");
        assert_eq!(finished.stderr.lines().count(), 1, "{finished:?}");
    }
    for (variable, value) in
        [("SCYTHE_GRACE", "5x"), ("SCYTHE_ALL", "yes"), ("SCYTHE_USER", "root")]
    {
        let finished = scythe(Mode::Subreaper)
            .arg("true")
            .configure(|c| {
                c.env(variable, value);
            })
            .run();
        assert_eq!(finished.code, 2, "{variable}={value}");
        assert!(
            finished.stderr.starts_with(&format!("scythe: {variable}: '{value}'")),
            "{finished:?}"
        );
    }
}

#[test]
fn a_stopped_worker_is_continued_so_that_it_can_stop() {
    // The worker stops itself before the main child exits: scythe's SIGTERM
    // alone would wait, pending, until the SIGKILL at the grace time.
    for mode in MODES {
        let dir = scratch(&format!("stopped-{mode:?}"));
        let file = dir.join("handled");
        let (mut run, _) = leave_a_worker(mode, &["--grace", "5s"], &[], &file, &["--stop"]);
        assert_eq!(run.exit_code(), 7, "{mode:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), "TERM", "{mode:?}");
        run.finish();
    }
}

#[test]
fn what_is_orphaned_by_the_sigkill_sweep_is_swept_too() {
    // A supervisor in a session of its own ignores SIGTERM; its worker is
    // not scythe's child until the SIGKILL at the grace time kills the
    // supervisor. (As PID 1, kill(-1) reaches both at once.)
    let dir = scratch("supervised");
    let file = dir.join("handled");
    let options = ["--grace", "300ms"];
    let (mut run, worker) =
        leave_a_worker(Mode::Subreaper, &options, &[], &file, &["--grandchild", "--ignore-term"]);
    assert_eq!(run.exit_code(), 7);
    let left = !gone(worker);
    if left {
        // SAFETY: kill takes no pointers.
        unsafe { libc::kill(worker, libc::SIGKILL) };
    }
    run.finish();
    assert!(!left, "the supervisor's worker outlived scythe");
}

/// Runs `script` with `sh` as PID 1 of a new PID namespace (and, with
/// `mount`, a mount namespace of its own); `$SCYTHE`, `$PROBE` and `$DIR`
/// (a scratch directory) are set. Returns its stdout lines.
fn in_a_namespace(script: &str, proc_of_its_own: bool) -> Finished {
    let dir = scratch("namespace");
    let mut flags = vec!["--pid", "--fork"];
    flags.extend(if proc_of_its_own { ["--mount-proc"] } else { ["--mount"] });
    scythe(Mode::Subreaper)
        .program("unshare")
        .args(flags)
        .args(["sh", "-c", script])
        .configure(|c| {
            c.env("SCYTHE", scythe_path()).env("PROBE", PROBE).env("DIR", &dir);
        })
        .run()
}

#[test]
fn a_group_id_handed_out_again_is_never_signalled() {
    // In a new PID namespace, with sh as PID 1: scythe's main child leaves a
    // worker in a session of its own that stays after SIGTERM. Once the
    // worker has had it (the main child's group is empty and gone by then),
    // a stranger takes the main child's pid and leads a group of that id.
    // scythe's SIGKILL at the grace time must not reach it.
    let script = r#"
        "$SCYTHE" -v --grace 500ms -- "$PROBE" worker "$DIR/handled" 7 --setsid --stay \
            > /dev/null 2> "$DIR/log" &
        scythe=$!
        until [ -s "$DIR/handled" ]; do sleep 0.01; done
        main=$(sed -n 's/^scythe: started .* as //p' "$DIR/log")
        echo $((main - 1)) > /proc/sys/kernel/ns_last_pid
        setsid sleep 100 &
        [ $! = "$main" ] || echo "the stranger is $!, not $main"
        wait $scythe
        echo "scythe $?"
        if kill -0 "$main"; then echo "stranger alive"; kill -KILL "$main"; fi
    "#;
    let finished = in_a_namespace(script, true);
    assert_eq!(finished.stdout, ["scythe 7", "stranger alive"], "{finished:?}");
}

#[test]
fn a_proc_of_another_namespace_is_never_trusted() {
    // scythe, not PID 1, in a new PID namespace whose /proc is still the
    // machine's: there the worker it adopts has its number outside. A
    // stranger given that number inside would get scythe's SIGKILL at the
    // grace time if scythe trusted that /proc.
    let script = r#"
        mkdir "$DIR/proc" && mount -t proc proc "$DIR/proc"
        "$SCYTHE" --grace 2s -- "$PROBE" worker "$DIR/handled" 7 --setsid --ignore-term \
            > "$DIR/out" &
        scythe=$!
        until [ -s "$DIR/out" ]; do sleep 0.01; done
        inside=$(sed -n 's/^ready worker //p' "$DIR/out")
        here=$(readlink /proc/self/ns/pid)
        for status in $(grep -l "^NSpid:[[:space:]]*[0-9]*[[:space:]]$inside$" /proc/[0-9]*/status); do
            pid=${status#/proc/}; pid=${pid%/status}
            [ "$(readlink /proc/$pid/ns/pid)" = "$here" ] && outside=$pid
        done
        # (The probe takes the next pid, its worker, the stranger, the one after.)
        echo $((outside - 2)) > "$DIR/proc/sys/kernel/ns_last_pid"
        "$PROBE" worker "$DIR/stranger" 0 > "$DIR/stranger-out"
        stranger=$(sed -n 's/^ready worker //p' "$DIR/stranger-out")
        [ "$stranger" = "$outside" ] || echo "the stranger is $stranger, not $outside"
        wait $scythe
        echo "scythe $?"
        kill -0 "$stranger" && echo "stranger alive"
        kill -KILL "$inside" "$stranger" 2>/dev/null
        true
    "#;
    let finished = in_a_namespace(script, false);
    assert_eq!(finished.stdout, ["scythe 7", "stranger alive"], "{finished:?}");
}

/// The names whose defaults differ from scythe's own.
const OTHER_NAMES: [Name; 2] = [Name::DumbInit, Name::Tini];

/// `(KEY, VALUE)` pairs as a `configure` closure sets them.
fn with_env<'a>(env: &'a [(&'a str, &'a str)]) -> impl FnOnce(&mut std::process::Command) + 'a {
    move |c| {
        c.envs(env.iter().copied());
    }
}

#[test]
fn scythe_grace_drains_under_dumb_init_and_tini_too() {
    // The worker needs half a second after SIGTERM to finish its job.
    // Without SCYTHE_GRACE, each name keeps its own default: no grace time,
    // no waiting.
    for (name, mode) in OTHER_NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let file = scratch(&format!("names-nograce-{name:?}-{mode:?}")).join("handled");
        let (mut run, worker) = leave_a_worker_as(name, mode, &[], &[], &file, &["--slow"]);
        assert_eq!(run.exit_code(), 7, "{name:?} {mode:?}");
        assert!(!file.exists(), "{name:?} {mode:?}: waited for the worker without SCYTHE_GRACE");
        if mode == Mode::Subreaper {
            // Left running; clean it up.
            // SAFETY: kill takes no pointers.
            unsafe { libc::kill(worker, libc::SIGKILL) };
        }
        run.finish();
    }
    // With it, the drain gives the worker its time, as under scythe's name.
    // (dumb-init never adopts orphans when not PID 1: as PID 1 only.)
    for (name, mode) in
        [(Name::DumbInit, Mode::Pid1), (Name::Tini, Mode::Pid1), (Name::Tini, Mode::Subreaper)]
    {
        let file = scratch(&format!("names-grace-{name:?}-{mode:?}")).join("handled");
        let (mut run, worker) =
            leave_a_worker_as(name, mode, &[], &[("SCYTHE_GRACE", "3s")], &file, &["--slow"]);
        let code = run.exit_code();
        let handled = std::fs::read_to_string(&file).unwrap_or_default();
        let left = mode == Mode::Subreaper && !gone(worker);
        if left {
            // SAFETY: kill takes no pointers.
            unsafe { libc::kill(worker, libc::SIGKILL) };
        }
        run.finish();
        assert_eq!(code, 7, "{name:?} {mode:?}");
        assert_eq!(handled, "TERM", "{name:?} {mode:?}: SCYTHE_GRACE=3s was not waited for");
        assert!(!left, "{name:?} {mode:?}: the worker outlived scythe");
    }
}

#[test]
fn scythe_user_and_no_new_privs_under_dumb_init_and_tini_too() {
    for (name, mode) in OTHER_NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let finished = quiet(name, mode)
            .args(["--", "sh", "-c", "id -u; id -g; grep ^NoNewPrivs: /proc/self/status"])
            .configure(with_env(&[("SCYTHE_USER", "65534"), ("SCYTHE_NO_NEW_PRIVS", "1")]))
            .run();
        assert_eq!(finished.code, 0, "{name:?} {mode:?}: {finished:?}");
        let lines: Vec<String> = finished
            .stdout
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(lines, ["65534", "65534", "NoNewPrivs: 1"], "{name:?} {mode:?}");
    }
}

#[test]
fn scythe_kill_after_under_dumb_init_and_tini_too() {
    for (name, mode) in OTHER_NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        // The probe blocks SIGTERM: it lingers, and is SIGKILLed.
        let mut run = quiet(name, mode)
            .args(["--", PROBE, "signals", "child"])
            .configure(with_env(&[("SCYTHE_KILL_AFTER", "300ms")]))
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        run.expect_line("child 15");
        assert_eq!(run.finish().code, 128 + libc::SIGKILL, "{name:?} {mode:?}");
    }
}

#[test]
fn scythe_stop_delay_under_dumb_init_and_tini_too() {
    for (name, mode) in OTHER_NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let mut run = quiet(name, mode)
            .args(["--", PROBE, "signals", "child"])
            .configure(with_env(&[("SCYTHE_STOP_DELAY", "2s"), ("SCYTHE_VERBOSE", "1")]))
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        wait_until_held(&run, "SIGTERM");
        // SIGTERM is held; SIGUSR1 overtakes it.
        run.signal(libc::SIGUSR1);
        run.expect_line("child 10");
        run.expect_line("child 15");
        assert_eq!(run.end("child").code, 0, "{name:?} {mode:?}");
    }
}

/// Waits until scythe (run with `-v`) says it holds `signal` for the stop
/// delay. (It holds it pending, blocked, so the kernel's pending set cannot
/// tell a held signal from one not yet taken.)
fn wait_until_held(run: &Running, signal: &str) {
    let line = format!("--stop-delay: {signal} held");
    wait_until(|| run.stderr().contains(&line), &format!("scythe to say {line:?}"));
}

/// Runs `probe signals child` under scythe with `options` and `env`, sends
/// `sent` to scythe, and returns how long after that `arriving` reached
/// the child (as the probe took it); nothing else may reach it first.
fn held(mode: Mode, options: &[&str], env: &[(&str, &str)], sent: i32, arriving: i32) -> Duration {
    let times = scratch("times").join("times");
    let mut run = scythe(mode)
        .args(options)
        .args(["--", PROBE, "signals", "child"])
        .configure(with_env(env))
        .configure(|c| {
            c.env("PROBE_TIMES", &times);
        })
        .spawn();
    run.ready("child");
    let sent_at = monotonic_ns();
    run.signal(sent);
    run.expect_line(&format!("child {arriving}"));
    let at = arrival(&times, arriving).unwrap_or_else(|| run.fail("not in PROBE_TIMES"));
    assert_eq!(run.end("child").code, 0, "{mode:?} {options:?} {env:?}");
    Duration::from_nanos((at - sent_at) as u64)
}

/// A hold of `delay`: no sooner (but for a few ms of clock rounding), and
/// no more than a generous 5 s later.
fn assert_held(held: Duration, delay: Duration, what: &str) {
    assert!(held >= delay - Duration::from_millis(5), "{what}: relayed after {held:?}");
    assert!(held < delay + Duration::from_secs(5), "{what}: relayed after {held:?}");
}

#[test]
fn stop_delay_holds_sigterm_and_sigint_before_relaying_them() {
    for mode in MODES {
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let options = ["--stop-delay", "1500ms"];
            let held = held(mode, &options, &[], signal, signal);
            assert_held(held, Duration::from_millis(1500), &format!("{mode:?} {signal}"));
        }
    }
}

#[test]
fn scythe_stop_delay_does_what_the_option_does() {
    for mode in MODES {
        let held = held(mode, &[], &[("SCYTHE_STOP_DELAY", "1s")], libc::SIGTERM, libc::SIGTERM);
        assert_held(held, Duration::from_secs(1), &format!("{mode:?}"));
    }
}

#[test]
fn a_held_sigterm_is_rewritten_when_it_is_relayed() {
    for mode in MODES {
        let options = ["--stop-delay", "1s", "-r", "15:10"];
        let held = held(mode, &options, &[], libc::SIGTERM, libc::SIGUSR1);
        assert_held(held, Duration::from_secs(1), &format!("{mode:?}"));
    }
}

#[test]
fn other_signals_are_relayed_at_once_during_the_stop_delay() {
    for mode in MODES {
        let mut run = scythe(mode)
            .args(["-v", "--stop-delay", "2s", "--", PROBE, "signals", "child"])
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        wait_until_held(&run, "SIGTERM");
        run.signal(libc::SIGUSR1);
        run.signal(libc::SIGHUP);
        let first = run.expect_lines(&["child 10".to_string(), "child 1".to_string()]);
        assert!(first.is_empty(), "{mode:?}: {first:?} came first");
        run.expect_line("child 15");
        assert_eq!(run.end("child").code, 0, "{mode:?}");
    }
}

#[test]
fn a_child_that_ends_during_the_stop_delay_ends_scythe_at_once() {
    // sh exits 5 on SIGUSR1 (relayed at once; the sleep it waits for dies
    // of it), while scythe holds SIGTERM for a minute.
    let script = "trap 'exit 5' USR1; echo ready; while :; do sleep 1; done";
    for mode in MODES {
        let mut run =
            scythe(mode).args(["-v", "--stop-delay", "60s", "--", "sh", "-c", script]).spawn();
        run.expect_line("ready");
        run.signal(libc::SIGTERM);
        wait_until_held(&run, "SIGTERM");
        let started = Instant::now();
        run.signal(libc::SIGUSR1);
        assert_eq!(run.exit_code(), 5, "{mode:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{mode:?}: {:?}", started.elapsed());
        run.finish();
    }
}

#[test]
fn verbose_logs_the_stop_delay() {
    for mode in MODES {
        let mut run = scythe(mode)
            .args(["-v", "--stop-delay", "60s", "--", PROBE, "signals", "child"])
            .spawn();
        run.ready("child");
        run.signal(libc::SIGTERM);
        let logged = || run.stderr().lines().any(|l| l.contains("stop-delay"));
        wait_until(logged, "a stop-delay line on stderr");
        // The child ends during the delay: scythe exits with it.
        assert_eq!(run.end("child").code, 0, "{mode:?}");
    }
}

#[test]
fn an_idle_scythe_with_a_stop_delay_never_wakes_up() {
    for mode in MODES {
        let mut run =
            scythe(mode).args(["--stop-delay", "1s", "--", PROBE, "signals", "child"]).spawn();
        run.ready("child");
        assert_stays_asleep(run.scythe_pid(), Duration::from_secs(3), &format!("{mode:?}"));
        assert_eq!(run.end("child").code, 0, "{mode:?}");
    }
}

#[test]
fn a_bad_stop_delay_is_a_usage_error() {
    for args in [&["--stop-delay", "1s", "true"][..], &["--stop-delay=500ms", "true"]] {
        let finished = scythe(Mode::Subreaper).args(args).run();
        assert_eq!(finished.code, 0, "{args:?}: {finished:?}");
    }
    let finished = scythe(Mode::Subreaper).args(["--stop-delay", "soon", "true"]).run();
    assert_eq!(finished.code, 2, "{finished:?}");
    assert_eq!(finished.stderr.lines().count(), 1, "{finished:?}");
    assert!(finished.stderr.contains("'soon'"), "{finished:?}");
    let finished = scythe(Mode::Subreaper)
        .arg("true")
        .configure(with_env(&[("SCYTHE_STOP_DELAY", "soon")]))
        .run();
    assert_eq!(finished.code, 2, "{finished:?}");
    assert!(finished.stderr.starts_with("scythe: SCYTHE_STOP_DELAY: 'soon'"), "{finished:?}");
}
