//! What scythe hands COMMAND and what it keeps (issue #14): it holds no
//! descriptor above 2 once COMMAND runs, it points socket activation's
//! `LISTEN_PID` at COMMAND, and it runs a script without `#!` with
//! `/bin/sh`, as `execvp` does.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

/// scythe under `name` in `mode`, exec'd by a shell that first runs
/// `exec REDIRECTIONS` (`3<"$1"` and the like, `$1`... being `paths`), so
/// that scythe inherits those descriptors and unshare above it does not.
fn started_with(
    name: Name,
    mode: Mode,
    redirections: &str,
    paths: &[&Path],
    command: &[&str],
) -> Launch {
    let script = format!("exec {redirections}; shift {}; exec \"$@\"", paths.len());
    scythe_as(name, mode)
        .program("sh")
        .args(["-c", &script, "sh"])
        .args(paths.iter().map(|p| p.as_os_str()))
        .arg(name.program())
        .args(name.subreaper_options())
        .arg("--")
        .args(command)
}

#[test]
fn the_child_keeps_fds_3_and_4_and_scythe_keeps_only_0_1_2() {
    let dir = scratch("fds");
    let (three, four) = (dir.join("three"), dir.join("four"));
    std::fs::write(&three, "3").unwrap();
    std::fs::write(&four, "4").unwrap();
    let child = format!("readlink /proc/self/fd/3 /proc/self/fd/4; exec {PROBE} signals child");
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let what = format!("{name:?} {mode:?}");
        let mut run =
            started_with(name, mode, "3<\"$1\" 4<\"$2\"", &[&three, &four], &["sh", "-c", &child])
                .spawn();
        // COMMAND was given both.
        let seen = [run.next_line(), run.next_line()];
        assert_eq!(seen, [three.display().to_string(), four.display().to_string()], "{what}");
        run.ready("child");
        // scythe closes its copies right after the spawn: bounded poll.
        let scythe = run.scythe_pid();
        let deadline = Instant::now() + TIMEOUT;
        while fds_of(scythe) != [0, 1, 2] {
            if Instant::now() > deadline {
                run.fail(&format!("{what}: scythe still holds {:?}", fds_of(scythe)));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(run.end("child").code, 0, "{what}");
    }
}

#[test]
fn a_pipe_the_child_closes_reaches_end_of_file_while_scythe_runs() {
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        let what = format!("{name:?} {mode:?}");
        // A named pipe: scythe gets its write end from the shell above it,
        // which unshare (in Pid1 mode) never holds.
        let (fifo, mut reader) = fifo("fifo");
        let child = format!("exec 3>&-; exec {PROBE} signals child");
        let mut run = started_with(name, mode, "3>\"$1\"", &[&fifo], &["sh", "-c", &child]).spawn();
        // By now scythe has had the write end, and the child closed its own.
        run.ready("child");
        if !writers_gone(&reader) {
            run.fail(&format!(
                "{what}: no end-of-file; scythe holds {:?}",
                fds_of(run.scythe_pid())
            ));
        }
        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0, "{what}: end-of-file");
        // While scythe and the child still run.
        let scythe = run.scythe_pid();
        assert!("RS".contains(state_of(scythe)), "{what}: scythe is gone");
        assert_eq!(children(scythe).len(), 1, "{what}: the child is gone");
        assert_eq!(run.end("child").code, 0, "{what}");
    }
}

#[test]
fn socket_activation_reaches_the_server_under_scythe() {
    // systemd-socket-activate listens, and on the first connection exec's
    // scythe with the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID=its pid,
    // which is scythe's. A unix socket: no port to pick.
    let socket = scratch("activation").join("socket");
    let run = scythe(Mode::Subreaper)
        .program("systemd-socket-activate")
        .args(["-l", socket.to_str().unwrap()])
        .arg(scythe_path())
        .args(["--", PROBE, "serve"])
        .spawn();
    let deadline = Instant::now() + TIMEOUT;
    while !run.stderr().contains("Listening on") {
        if Instant::now() > deadline {
            run.fail("systemd-socket-activate never listened");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut connection = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    connection.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut reply = String::new();
    let _ = connection.read_to_string(&mut reply);
    if !reply.starts_with("served by ") {
        run.fail(&format!("no reply from the server: {reply:?}"));
    }
    let finished = run.finish();
    assert_eq!(finished.code, 0, "{finished:?}");
}

/// scythe under `name` in `mode`, started by a shell that prints `scythe
/// PID` and exports `LISTEN_PID` as `value` (shell text: `$$` is scythe's
/// pid) or unsets it, with the neighbours `LISTEN_FDS`, `LISTEN_FDNAMES`,
/// `LISTEN_PIDS` and `XLISTEN_PID`. Returns scythe's pid, the child's
/// (as each saw its own), and the child's `*LISTEN*` variables.
fn listen_pid_seen(name: Name, mode: Mode, value: Option<&str>) -> (String, String, Vec<String>) {
    let set = match value {
        Some(value) => format!(
            "export LISTEN_PID={value} LISTEN_PIDS={value} XLISTEN_PID={value} \
             LISTEN_FDS=1 LISTEN_FDNAMES=web"
        ),
        None => "unset LISTEN_PID; export LISTEN_FDS=1".into(),
    };
    let script = format!("echo \"scythe $$\"; {set}; exec \"$@\"");
    let finished = scythe_as(name, mode)
        .program("sh")
        .args(["-c", &script, "sh"])
        .arg(name.program())
        .args(name.subreaper_options())
        .args(["--", "sh", "-c", "echo \"child $$\"; env | grep LISTEN"])
        .run();
    let what = format!("{name:?} {mode:?} {value:?}");
    assert_eq!(finished.code, 0, "{what}: {finished:?}");
    let mut lines = finished.stdout.into_iter();
    let mut pid_of = |who: &str| {
        let line = lines.next().unwrap_or_default();
        let pid = line.strip_prefix(&format!("{who} ")).map(str::to_string);
        pid.unwrap_or_else(|| panic!("{what}: expected `{who} PID`, got {line:?}"))
    };
    let (scythe, child) = (pid_of("scythe"), pid_of("child"));
    let mut variables: Vec<String> = lines.collect();
    variables.sort();
    (scythe, child, variables)
}

#[test]
fn listen_pid_becomes_the_childs_own_only_when_it_is_scythes() {
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        // Unset: the child has none.
        let (_, _, variables) = listen_pid_seen(name, mode, None);
        assert_eq!(variables, ["LISTEN_FDS=1"], "{name:?} {mode:?}");
        // Any other value (a longer number that starts with scythe's pid
        // too) stays as it is, and so does every other variable.
        for value in ["${$}0", "4194305", "abc", "''"] {
            let (scythe, _, variables) = listen_pid_seen(name, mode, Some(value));
            let expected = match value {
                "${$}0" => format!("{scythe}0"),
                "''" => String::new(),
                other => other.to_string(),
            };
            let mut wanted = vec![
                format!("LISTEN_PID={expected}"),
                format!("LISTEN_PIDS={expected}"),
                format!("XLISTEN_PID={expected}"),
                "LISTEN_FDS=1".to_string(),
                "LISTEN_FDNAMES=web".to_string(),
            ];
            wanted.sort();
            assert_eq!(variables, wanted, "{name:?} {mode:?} {value}");
        }
        // scythe's own pid (1 as PID 1): the child's own, and nothing else
        // changes.
        let (scythe, child, variables) = listen_pid_seen(name, mode, Some("$$"));
        assert!(mode == Mode::Subreaper || scythe == "1", "{name:?} {mode:?}: scythe is {scythe}");
        let mut wanted = vec![
            format!("LISTEN_PID={child}"),
            format!("LISTEN_PIDS={scythe}"),
            format!("XLISTEN_PID={scythe}"),
            "LISTEN_FDS=1".to_string(),
            "LISTEN_FDNAMES=web".to_string(),
        ];
        wanted.sort();
        assert_eq!(variables, wanted, "{name:?} {mode:?}: scythe {scythe}, child {child}");
    }
}

/// A script without a `#!` line, in a directory of its own, executable or
/// not; it prints `hi`, its arguments and `$0`, and exits 5.
fn script_without_hashbang(mode: u32) -> std::path::PathBuf {
    let file = scratch("script").join("no-hashbang");
    std::fs::write(
        &file,
        "echo hi\necho \"args:$(printf ' [%s]' \"$@\")\"\necho \"as $0\"\nexit 5\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    file
}

#[test]
fn a_script_without_hashbang_runs_with_bin_sh_by_path_and_on_path() {
    // Not executable: 126, as before.
    let denied = script_without_hashbang(0o644);
    let denied = denied.to_str().unwrap();
    for name in NAMES {
        let finished = quiet(name, Mode::Subreaper).args(["--", denied]).run();
        assert_eq!(finished.code, 126, "{name:?}: {finished:?}");
        assert_eq!(finished.stderr, format!("scythe: {denied}: Permission denied\n"));
    }
    let script = script_without_hashbang(0o755);
    let path = script.to_str().unwrap();
    let dir = script.parent().unwrap();
    let search = format!("/nonexistent:{}:/usr/bin:/bin", dir.display());
    for (name, mode) in NAMES.into_iter().flat_map(|n| MODES.map(|m| (n, m))) {
        for command in [path, "no-hashbang"] {
            let finished = quiet(name, mode)
                .args(["--", command, "one", "two words"])
                .configure(|c| {
                    c.env("PATH", &search);
                })
                .run();
            let what = format!("{name:?} {mode:?} {command}");
            assert_eq!(finished.code, 5, "{what}: {finished:?}");
            // /bin/sh FILE ARGS..., FILE as found on PATH.
            let wanted = ["hi".to_string(), "args: [one] [two words]".into(), format!("as {path}")];
            assert_eq!(finished.stdout, wanted, "{what}");
            assert_eq!(finished.stderr, "", "{what}");
        }
    }
}

#[test]
fn a_script_without_hashbang_and_no_bin_sh_is_127_with_one_line() {
    // A root with scythe, the script, /proc and /dev: no /bin/sh.
    let script = script_without_hashbang(0o755);
    let finished = scythe(Mode::Subreaper)
        .program("bwrap")
        .arg("--ro-bind")
        .arg(scythe_path())
        .args(["/scythe", "--ro-bind"])
        .arg(&script)
        .args(["/script", "--proc", "/proc", "--dev", "/dev", "/scythe", "/script", "one"])
        .run();
    assert_eq!(finished.code, 127, "{finished:?}");
    assert_eq!(finished.stderr.lines().count(), 1, "{finished:?}");
    assert!(finished.stderr.starts_with("scythe: /script: "), "{finished:?}");
    assert!(finished.stderr.contains("#!"), "{finished:?}");
    assert!(finished.stdout.is_empty(), "{finished:?}");
}
