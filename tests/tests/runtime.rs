//! scythe inside the runtimes people use (issue #6): podman (as ENTRYPOINT,
//! as `--init`, stopped with `podman stop`, interactive with `-it`, and a
//! Kubernetes pod spec with `podman kube play`), crun with a hand-written
//! OCI bundle, and bubblewrap. (Docker and containerd: `docker.rs`.) Every root filesystem is
//! built here from Debian's static busybox; nothing comes from a registry.
//! Every container and image a test makes is removed, also on failure.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use scythe_tests::*;

/// The containers.conf of tests/runtime/setup-host.sh, which also applies
/// the host fixes this machine needs (once per test run). Every test calls
/// it before it starts a runtime, so that each works whichever runs first,
/// alone or with the others.
fn containers_conf() -> &'static str {
    static CONF: OnceLock<String> = OnceLock::new();
    CONF.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/setup-host.sh");
        let output = Command::new("sh").arg(script).output().expect("setup-host.sh");
        assert!(output.status.success(), "setup-host.sh: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    })
}

fn podman() -> Command {
    let mut command = Command::new("podman");
    command.env("CONTAINERS_CONF", containers_conf());
    command
}

/// A fresh root filesystem in `scratch` (podman writes into it): busybox as
/// the shell and tools, and scythe as `/scythe`.
fn rootfs(scratch: &Scratch) -> PathBuf {
    let root = scratch.0.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("out")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static");
    for tool in ["sh", "sleep", "ps", "cat", "tr", "echo", "true", "kill", "setsid"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(tool)).unwrap();
    }
    std::fs::copy(scythe_path(), root.join("scythe")).unwrap();
    root
}

/// A named container, force-removed when dropped.
struct Container(String);

impl Container {
    fn named(what: &str) -> Container {
        Container(format!("scythe-test-{}-{what}", std::process::id()))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman().args(["rm", "-f", "-t", "0", &self.0]).output();
    }
}

fn exit_code_of(container: &Container) -> i32 {
    let output = run(podman().args(["inspect", &container.0, "--format", "{{.State.ExitCode}}"]));
    String::from_utf8_lossy(&output.stdout).trim().parse().expect("an exit code")
}

/// What PID 1 is and the command's parent, then exit 3.
const WHO: &str = "echo ppid=$PPID; tr '\\0' ' ' < /proc/1/cmdline; echo; exit 3";

#[test]
fn podman_with_scythe_as_entrypoint() {
    let scratch = Scratch::new("entrypoint");
    let rootfs = rootfs(&scratch);
    let output = run(podman()
        .args(["run", "--rm", "--rootfs"])
        .arg(&rootfs)
        .args(["/scythe", "--", "sh", "-c", WHO]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(stdout.contains("ppid=1\n"), "{stdout}");
    assert!(stdout.contains("/scythe -- sh -c"), "{stdout}");
}

#[test]
fn podman_with_scythe_as_its_init() {
    let scratch = Scratch::new("init");
    let rootfs = rootfs(&scratch);
    std::fs::remove_file(rootfs.join("scythe")).unwrap();
    let output = run(podman()
        .args(["run", "--rm", "--init", "--init-path"])
        .arg(scythe_path())
        .arg("--rootfs")
        .arg(&rootfs)
        .args(["sh", "-c", WHO]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(stdout.contains("ppid=1\n"), "{stdout}");
    assert!(stdout.contains("/run/podman-init -- sh -c"), "{stdout}");
}

#[test]
fn podman_stop_reaches_the_grandchild_and_does_not_wait_out_the_timeout() {
    let scratch = Scratch::new("stop");
    let rootfs = rootfs(&scratch);
    let out = rootfs.join("out");
    // (a) sh -c whose grandchild traps TERM and writes a file.
    let worker = "trap 'echo TERM > /out/got; exit 5' TERM; echo > /out/ready; \
                  while :; do sleep 1; done";
    let script = format!("sh -c \"{worker}\" & wait");
    let trapping = Container::named("trap");
    // (b) a plain sleep, with scythe and without any init.
    let sleeping = Container::named("sleep");
    let bare = Container::named("bare");
    for (container, command) in [
        (&trapping, vec!["/scythe", "--", "sh", "-c", &script]),
        (&sleeping, vec!["/scythe", "--", "sleep", "1000"]),
        (&bare, vec!["sleep", "1000"]),
    ] {
        let started = run(podman()
            .args(["run", "-d", "--name", &container.0, "--rootfs"])
            .arg(&rootfs)
            .args(command));
        assert!(started.status.success(), "{started:?}");
    }
    wait_for_file(&out.join("ready"));
    let stop = |container: &Container| {
        let started = Instant::now();
        run(podman().args(["stop", "-t", "10", &container.0]));
        (exit_code_of(container), started.elapsed())
    };
    let (code, took) = stop(&trapping);
    assert!(code == 143 || code == 5, "trap case ended {code}");
    assert!(took < Duration::from_secs(10), "trap case took {took:?}");
    assert_eq!(std::fs::read_to_string(out.join("got")).unwrap(), "TERM\n");
    let (code, took) = stop(&sleeping);
    assert_eq!(code, 143);
    assert!(took < Duration::from_secs(10), "sleep under scythe took {took:?}");
    // Without an init, sleep is PID 1: SIGTERM is dropped, the timeout runs
    // out, and podman SIGKILLs it.
    let (code, _) = stop(&bare);
    assert_eq!(code, 137);
}

#[test]
fn podman_exec_ps_shows_no_zombies() {
    let scratch = Scratch::new("zombies");
    let rootfs = rootfs(&scratch);
    let container = Container::named("zombies");
    let script = "for i in 1 2 3 4 5; do (true &); done; sleep 1000";
    let started = run(podman()
        .args(["run", "-d", "--name", &container.0, "--rootfs"])
        .arg(&rootfs)
        .args(["/scythe", "-vv", "--", "sh", "-c", script]));
    assert!(started.status.success(), "{started:?}");
    // scythe says when it has reaped each orphan (on stderr, in the logs).
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let logs = run(podman().args(["logs", &container.0]));
        let reaped = String::from_utf8_lossy(&logs.stderr).matches("reaped orphan").count();
        if reaped >= 5 {
            break;
        }
        assert!(Instant::now() < deadline, "only {reaped} orphans reaped: {logs:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ps = run(podman().args(["exec", &container.0, "ps", "-o", "stat,args"]));
    let table = String::from_utf8_lossy(&ps.stdout);
    assert!(table.contains("sleep 1000"), "{table}");
    assert!(!table.lines().any(|line| line.trim_start().starts_with('Z')), "zombies:\n{table}");
}

/// A minimal OCI runtime configuration, written by hand: scythe as the
/// first argument, in new PID, mount, IPC and UTS namespaces.
fn oci_config(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
    format!(
        r#"{{
  "ociVersion": "1.0.2",
  "process": {{
    "terminal": false,
    "user": {{ "uid": 0, "gid": 0 }},
    "args": [{}],
    "env": ["PATH=/bin"],
    "cwd": "/"
  }},
  "root": {{ "path": "rootfs", "readonly": true }},
  "hostname": "scythe",
  "mounts": [
    {{ "destination": "/proc", "type": "proc", "source": "proc" }},
    {{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"] }}
  ],
  "linux": {{
    "namespaces": [{{ "type": "pid" }}, {{ "type": "mount" }}, {{ "type": "ipc" }}, {{ "type": "uts" }}]
  }}
}}"#,
        args.join(", ")
    )
}

#[test]
fn crun_runs_a_bundle_with_scythe_first_and_kill_term_stops_it() {
    let scratch = Scratch::new("crun");
    rootfs(&scratch);
    let script = "trap 'echo got TERM; exit 9' TERM; echo ready; while :; do sleep 1; done";
    std::fs::write(
        scratch.0.join("config.json"),
        oci_config(&["/scythe", "--", "sh", "-c", script]),
    )
    .unwrap();
    let id = format!("scythe-test-{}", std::process::id());
    struct Crun(String);
    impl Drop for Crun {
        fn drop(&mut self) {
            let _ = Command::new("crun").args(["delete", "-f", &self.0]).output();
        }
    }
    let _cleanup = Crun(id.clone());
    containers_conf();
    let mut run = scythe(Mode::Subreaper)
        .program("crun")
        .args(["run", "--bundle"])
        .arg(&scratch.0)
        .arg(&id)
        .spawn();
    run.expect_line("ready");
    // The container can print before `crun run` has written its state,
    // which `crun kill` reads (seen once, with the podman tests running).
    let running = || {
        let state = Command::new("crun").args(["state", &id]).output().unwrap();
        String::from_utf8_lossy(&state.stdout).contains("\"running\"")
    };
    wait_until(running, &format!("crun state {id}: running"));
    let killed = Command::new("crun").args(["kill", &id, "TERM"]).output().unwrap();
    assert!(killed.status.success(), "{killed:?}");
    run.expect_line("got TERM");
    assert_eq!(run.finish().code, 9);
}

#[test]
fn bubblewrap_runs_scythe_as_pid_1() {
    let (read_info, write_info) = pipe();
    let mut run = scythe(Mode::Subreaper)
        .program("bwrap")
        .args(["--as-pid-1", "--unshare-pid", "--die-with-parent", "--info-fd", "3"])
        .args(["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"])
        .arg(scythe_path())
        .args([
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 9' TERM; echo ready $$ $PPID; while :; do sleep 1; done",
        ])
        .configure(|c| {
            // SAFETY: dup2 is async-signal-safe; the write end becomes fd 3.
            unsafe {
                c.pre_exec(move || {
                    libc::dup2(write_info, 3);
                    Ok(())
                });
            }
        })
        .spawn();
    // SAFETY: the parent's copy of the write end is no longer needed.
    unsafe { libc::close(write_info) };
    run.expect_line("ready 2 1");
    // bwrap reports its child, scythe, on the info fd as JSON.
    let info = read_json(read_info);
    let pid: i32 = info
        .split("\"child-pid\":")
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no child-pid in {info:?}"));
    // SAFETY: kill takes no pointers.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    run.expect_line("got TERM");
    assert_eq!(run.finish().code, 9);
}

/// A pipe whose ends are closed on exec (dup2 makes an inheritable copy).
fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors it is given.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    (fds[0], fds[1])
}

/// Reads one JSON object from `fd` (bwrap may keep the pipe open).
fn read_json(fd: i32) -> String {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    // SAFETY: `fd` is ours alone, and closed when the file drops.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut text = Vec::new();
    let mut byte = [0u8];
    while !text.ends_with(b"}") && file.read(&mut byte).unwrap_or(0) == 1 {
        text.push(byte[0]);
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn podman_run_it_keeps_ctrl_c_and_ctrl_z_working() {
    let scratch = Scratch::new("tty");
    let rootfs = rootfs(&scratch);
    let container = Container::named("tty");
    let mut master = None;
    let mut run = scythe(Mode::Subreaper)
        .program("podman")
        .args(["run", "--rm", "-it", "--name", &container.0, "--rootfs"])
        .arg(&rootfs)
        .args(["/scythe", "--", "sh"])
        .configure(|c| {
            c.env("CONTAINERS_CONF", containers_conf());
            master = Some(on_pty(c));
        })
        .spawn();
    let master = master.unwrap();
    type_on(&master, b"echo ready\n");
    wait_for_output(&mut run, "ready");
    let processes = || {
        let ps = run_quietly(podman().args(["exec", &container.0, "ps", "-o", "stat,args"]));
        String::from_utf8_lossy(&ps.stdout).into_owned()
    };
    ctrl_c_and_ctrl_z_work_as_in_a_plain_shell(&mut run, &master, &processes);
    drop(container);
    run.finish();
}

#[test]
fn the_images_build_from_scratch_and_run() {
    let name = format!("localhost/scythe-test-{}", std::process::id());
    struct Images(String);
    impl Drop for Images {
        fn drop(&mut self) {
            let demo = format!("{}-demo", self.0);
            let _ = podman().args(["rmi", "-f", &self.0, &demo]).output();
        }
    }
    let _cleanup = Images(name.clone());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/build-images.sh");
    let built = run(Command::new("sh").arg(script).arg(&name).env("ENGINE", "podman"));
    assert!(built.status.success(), "{built:?}");
    // The plain image holds scythe alone: no shell to run.
    let alone = run(podman().args(["run", "--rm", &name, "sh"]));
    assert_eq!(alone.status.code(), Some(127), "{alone:?}");
    assert_eq!(String::from_utf8_lossy(&alone.stderr), "scythe: sh: No such file or directory\n");
    // The demo image runs its workload under scythe.
    let container = Container::named("demo");
    let demo = format!("{name}-demo");
    let started = run(podman().args(["run", "-d", "--name", &container.0, &demo]));
    assert!(started.status.success(), "{started:?}");
    let deadline = Instant::now() + TIMEOUT;
    while !String::from_utf8_lossy(&run(podman().args(["logs", &container.0])).stdout)
        .contains("] ready")
    {
        assert!(Instant::now() < deadline, "the demo never got ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    run(podman().args(["stop", "-t", "10", &container.0]));
    assert_eq!(exit_code_of(&container), 143);
    let logs =
        String::from_utf8_lossy(&run(podman().args(["logs", &container.0])).stdout).into_owned();
    assert!(logs.contains("got SIGTERM, finishing the transaction"), "{logs}");
}

/// The ids of podman's pause images (`localhost/podman-pause:VERSION`).
fn pause_images() -> Vec<String> {
    let listed = run_quietly(podman().args([
        "images",
        "--quiet",
        "--filter",
        "reference=localhost/podman-pause",
    ]));
    String::from_utf8_lossy(&listed.stdout).split_whitespace().map(str::to_string).collect()
}

/// A Kubernetes pod spec (`podman kube play`): scythe is the container's
/// `command`, with `--grace`, and the app leaves a worker in a session of
/// its own (no relayed signal reaches it) that needs 2 s to finish once
/// told. The pod is stopped as the kubelet stops it, SIGTERM and then
/// SIGKILL after `terminationGracePeriodSeconds`: scythe's drain lets the
/// worker finish (a file on a hostPath volume proves it) well within that.
/// `podman kube down` then removes the pod.
///
/// Why `podman pod stop -t` first: podman 4.3's `kube down` SIGKILLs the
/// containers at once whatever their stop timeout (podman issue #22397,
/// fixed in 5.1), and its `kube play` leaves the stop timeout at 10 s
/// whatever `terminationGracePeriodSeconds` says. The test passes the pod's
/// grace period itself, as a kubelet would.
#[test]
fn podman_kube_play_pod_stops_gracefully() {
    let scratch = Scratch::new("kube");
    let root = rootfs(&scratch);
    std::fs::write(root.join("Containerfile"), "FROM scratch\nCOPY . /\n").unwrap();
    let out = scratch.0.join("volume");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("worker.sh"),
        "trap 'sleep 2; echo done > /out/drained; exit 0' TERM\n\
         echo > /out/ready\n\
         while :; do sleep 1 & wait $!; done\n",
    )
    .unwrap();
    let id = format!("scythe-test-{}", std::process::id());
    let image = format!("localhost/{id}-kube");
    let pod = format!("{id}-pod");
    let grace = 10;
    let yaml = scratch.0.join("pod.yaml");
    std::fs::write(
        &yaml,
        format!(
            r#"apiVersion: v1
kind: Pod
metadata:
  name: {pod}
spec:
  terminationGracePeriodSeconds: {grace}
  restartPolicy: Never
  containers:
    - name: app
      image: {image}:latest
      command: ["/scythe", "--grace", "5s", "--"]
      args: ["sh", "-c", "setsid sh /out/worker.sh & wait"]
      volumeMounts:
        - name: out
          mountPath: /out
  volumes:
    - name: out
      hostPath:
        path: {}
        type: Directory
"#,
            out.display()
        ),
    )
    .unwrap();
    // podman builds its pause image the first time it plays a pod: if this
    // test made it, it goes too.
    struct Cleanup(PathBuf, String, String, bool);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let Cleanup(yaml, pod, image, remove_pause) = self;
            let _ = podman().args(["pod", "rm", "--force", "--time", "0", pod]).output();
            let _ = podman().args(["kube", "down"]).arg(yaml).output();
            let _ = podman().args(["rmi", "--force", image]).output();
            if *remove_pause {
                for id in pause_images() {
                    let _ = podman().args(["rmi", &id]).output();
                }
            }
        }
    }
    let _cleanup = Cleanup(yaml.clone(), pod.clone(), image.clone(), pause_images().is_empty());
    let built = run(podman()
        .args(["build", "--quiet", "--layers=false", "--tag", &image, "--file"])
        .arg(root.join("Containerfile"))
        .arg(&root));
    assert!(built.status.success(), "{built:?}");
    let played = run(podman().args(["kube", "play"]).arg(&yaml));
    assert!(played.status.success(), "{played:?}");
    wait_for_file(&out.join("ready"));
    let started = Instant::now();
    let stopped = run(podman().args(["pod", "stop", "--time", &grace.to_string(), &pod]));
    let took = started.elapsed();
    assert!(stopped.status.success(), "{stopped:?}");
    let drained = std::fs::read_to_string(out.join("drained")).unwrap_or_default();
    assert_eq!(drained, "done\n", "the worker did not finish its TERM handler");
    let app = format!("{pod}-app");
    let code = run(podman().args(["inspect", &app, "--format", "{{.State.ExitCode}}"]));
    assert_eq!(String::from_utf8_lossy(&code.stdout).trim(), "143", "{code:?}");
    let drained = Duration::from_secs(2)..Duration::from_secs(grace - 1);
    assert!(drained.contains(&took), "podman pod stop took {took:?}");
    let down = run(podman().args(["kube", "down"]).arg(&yaml));
    assert!(down.status.success(), "{down:?}");
    let exists = run_quietly(podman().args(["pod", "exists", &pod]));
    assert!(!exists.status.success(), "the pod is still there");
}
