//! scythe under Docker Engine and containerd (issue #12): `docker build` of
//! the FROM scratch images, scythe as `ENTRYPOINT` and as `docker run
//! --init` (`/sbin/docker-init`, tini's conventions), `docker stop`,
//! `docker kill`, `docker run -it`, `docker exec ps`, the drain of what the
//! command leaves behind, `ctr run` straight on containerd, and the classic
//! Java service behind a shell script that does not `exec`.
//!
//! The test starts a Docker daemon and a containerd of its own: own sockets,
//! data, state and cgroups, all under one scratch directory, in a mount
//! namespace of their own with a fresh `/run`, so that nothing they mount or
//! write lands on the host. It talks to them alone (`--host`, `--address`),
//! never to a daemon a user runs. One `#[test]` runs every case against that
//! one pair, then stops both by their pids and only then fails, naming the
//! cases that failed: the daemons never outlive the test. Every image is
//! built here FROM scratch from Debian's static busybox; nothing comes from a
//! registry.
//!
//! `SCYTHE_DOCKER_CASES=java,drain` runs only the cases whose names contain
//! one of those words.

use std::os::unix::process::CommandExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use scythe_tests::*;

/// The private Docker daemon and containerd, stopped when dropped.
struct Daemons {
    /// Everything of theirs: sockets, data, state, logs, the CLI's config.
    dir: PathBuf,
    /// `scythe-test-PID`: the containerd namespace and the cgroups' names.
    name: String,
    /// scythe above containerd (as a subreaper it reaps the shims that
    /// containerd starts and leaves), in the daemons' mount namespace.
    supervisor: Option<Child>,
    containerd: Option<i32>,
    dockerd: Option<Child>,
    /// The image the cases run: busybox, scythe, the Java demo.
    image: String,
}

/// The tools the daemons need, and where a fresh machine gets them.
const TOOLS: [(&str, &str); 6] = [
    ("dockerd", "docker.io"),
    ("docker", "docker.io"),
    ("containerd", "containerd"),
    ("ctr", "containerd"),
    ("runc", "runc"),
    ("nsenter", "util-linux"),
];

impl Daemons {
    fn start() -> Daemons {
        for (tool, package) in TOOLS {
            let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output();
            assert!(
                found.is_ok_and(|f| f.status.success()),
                "no {tool}: apt-get install {package} (.ci/run does)"
            );
        }
        sweep_stale_runs();
        let name = format!("scythe-test-{}", std::process::id());
        // Short: socket paths must fit in 108 bytes.
        let dir = PathBuf::from(format!("/tmp/{name}-docker"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cli")).unwrap();
        let image = format!("localhost/{name}-base");
        let mut daemons =
            Daemons { dir, name, supervisor: None, containerd: None, dockerd: None, image };
        daemons.start_containerd();
        daemons.start_dockerd();
        daemons.build_image();
        daemons
    }

    fn path(&self, what: &str) -> PathBuf {
        self.dir.join(what)
    }

    /// containerd with a configuration of its own (the CRI plugin off: this
    /// is containerd for Docker and `ctr`, not for a kubelet), under scythe,
    /// in a new mount namespace whose `/run` is a fresh tmpfs: containerd
    /// 1.6 puts shim sockets, FIFOs and runc's state in `/run/containerd`
    /// whatever its configuration says, and dockerd makes `/run/docker`.
    fn start_containerd(&mut self) {
        let d = self.dir.display();
        let config = format!(
            "version = 2\n\
             root = \"{d}/containerd/root\"\n\
             state = \"{d}/containerd/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{d}/containerd.sock\"\n\
             [plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"{d}/containerd/opt\"\n"
        );
        std::fs::write(self.path("containerd.toml"), config).unwrap();
        let log = std::fs::File::create(self.path("containerd.log")).unwrap();
        let supervisor = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount -t tmpfs -o mode=0755 scythe-run /run && exec \"$@\"")
            .arg("sh")
            .arg(scythe_path())
            // TERM to containerd should this test die first; a short drain
            // for shims still running when containerd has gone.
            .args(["-p", "TERM", "--grace", "2s", "--", "containerd", "--config"])
            .arg(self.path("containerd.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start containerd");
        self.supervisor = Some(supervisor);
        self.wait_until_ready("containerd", |d| {
            bounded(d.ctr_plain().arg("version")).status.success()
        });
        let scythe = self.supervisor.as_ref().unwrap().id() as i32;
        self.containerd = children(scythe).first().copied();
        assert!(self.containerd.is_some(), "no containerd under scythe {scythe}");
    }

    /// dockerd in containerd's mount namespace (it mounts each container's
    /// root filesystem where containerd's runc must see it), with nothing
    /// of the host's: no configuration file, no bridge, no iptables, no
    /// sysctl, its own cgroup parent, and scythe as `docker-init`.
    fn start_dockerd(&mut self) {
        // dockerd 20.10 writes its identity key to /etc/docker unless told.
        let key = self.path("docker/key.json");
        let config = format!("{{ \"deprecated-key-path\": \"{}\" }}\n", key.display());
        std::fs::write(self.path("daemon.json"), config).unwrap();
        let scythe = self.supervisor.as_ref().unwrap().id();
        let log = std::fs::File::create(self.path("dockerd.log")).unwrap();
        let mut command = Command::new("nsenter");
        command
            .arg(format!("--mount=/proc/{scythe}/ns/mnt"))
            .args(["--", "dockerd", "--config-file"])
            .arg(self.path("daemon.json"))
            .arg("--host")
            .arg(self.docker_host())
            .arg("--data-root")
            .arg(self.path("docker/data"))
            .arg("--exec-root")
            .arg(self.path("docker/exec"))
            .arg("--pidfile")
            .arg(self.path("docker/pid"))
            .arg("--containerd")
            .arg(self.path("containerd.sock"))
            .args(["--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none"])
            .args(["--userland-proxy=false", "--shutdown-timeout", "3"])
            .arg(format!("--cgroup-parent=/{}-docker", self.name))
            .arg("--init-path")
            .arg(scythe_path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe. dockerd gets SIGTERM should
        // this test die before it stops it.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        self.dockerd = Some(command.spawn().expect("start dockerd"));
        self.wait_until_ready("dockerd", |d| bounded(d.docker().arg("info")).status.success());
    }

    /// Polls (bounded) until `probe` succeeds, failing early, with the
    /// daemons' logs, if one of them has exited.
    fn wait_until_ready(&mut self, what: &str, probe: impl Fn(&Daemons) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if probe(self) {
                return;
            }
            let exited = [self.supervisor.as_mut(), self.dockerd.as_mut()]
                .into_iter()
                .flatten()
                .any(|child| !matches!(child.try_wait(), Ok(None)));
            if exited || Instant::now() > deadline {
                panic!("{what} did not start{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn logs(&self) -> String {
        let mut text = String::new();
        for log in ["containerd.log", "dockerd.log"] {
            let content = std::fs::read_to_string(self.path(log)).unwrap_or_default();
            let tail: Vec<&str> = content.lines().rev().take(15).collect();
            text += &format!("\n--- {log}, last lines:\n");
            for line in tail.into_iter().rev() {
                text += line;
                text.push('\n');
            }
        }
        text
    }

    fn docker_host(&self) -> String {
        format!("unix://{}", self.path("docker.sock").display())
    }

    /// The environment that points the docker CLI at this daemon alone
    /// (and keeps its configuration out of the user's home).
    fn docker_env(&self, command: &mut Command) {
        command
            .env("DOCKER_HOST", self.docker_host())
            .env("DOCKER_CONFIG", self.path("cli"))
            .env("DOCKER_BUILDKIT", "0")
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("DOCKER_CERT_PATH");
    }

    /// `docker --host OWN_SOCKET`.
    fn docker(&self) -> Command {
        let mut command = Command::new("docker");
        self.docker_env(&mut command);
        command.arg("--host").arg(self.docker_host());
        command
    }

    /// `docker run --network none` (the daemon has no bridge).
    fn docker_run(&self) -> Command {
        let mut command = self.docker();
        command.args(["run", "--network", "none"]);
        command
    }

    /// `ctr --address OWN_SOCKET`, in the default namespace.
    fn ctr_plain(&self) -> Command {
        let mut command = Command::new("ctr");
        command.arg("--address").arg(self.path("containerd.sock"));
        command
    }

    /// `ctr --address OWN_SOCKET --namespace scythe-test-PID`.
    fn ctr(&self) -> Command {
        let mut command = self.ctr_plain();
        command.args(["--namespace", &self.name]);
        command
    }

    /// The image the cases share: busybox for a shell and tools, scythe as
    /// `/scythe` and the `ENTRYPOINT`, and the Java demo in `/app`.
    fn build_image(&mut self) {
        let context = self.path("image");
        std::fs::create_dir_all(context.join("bin")).unwrap();
        std::fs::create_dir_all(context.join("app")).unwrap();
        std::fs::create_dir_all(context.join("out")).unwrap();
        std::fs::create_dir_all(context.join("tmp")).unwrap();
        std::fs::copy("/bin/busybox", context.join("bin/busybox")).expect("busybox-static");
        let tools = ["sh", "sleep", "ps", "cat", "tr", "echo", "true", "kill", "setsid", "ls"];
        for tool in tools {
            std::os::unix::fs::symlink("busybox", context.join("bin").join(tool)).unwrap();
        }
        std::fs::copy(scythe_path(), context.join("scythe")).unwrap();
        for file in ["Main.java", "run.sh"] {
            std::fs::copy(repo().join("demo/java").join(file), context.join("app").join(file))
                .unwrap();
        }
        std::fs::write(
            context.join("Dockerfile"),
            "FROM scratch\nCOPY . /\nENTRYPOINT [\"/scythe\", \"--\"]\n",
        )
        .unwrap();
        let built =
            bounded(self.docker().args(["build", "--quiet", "--tag", &self.image]).arg(&context));
        assert!(built.status.success(), "docker build: {built:?}{}", self.logs());
    }

    /// What the cases left behind: containers in Docker, containers and
    /// tasks in containerd.
    fn leftovers(&self) -> Vec<String> {
        let mut left = Vec::new();
        let listed = bounded(self.docker().args(["ps", "--all", "--quiet"]));
        left.extend(lines(&listed.stdout).map(|id| format!("docker container {id}")));
        let listed = bounded(self.ctr().args(["containers", "list", "--quiet"]));
        left.extend(lines(&listed.stdout).map(|id| format!("containerd container {id}")));
        left
    }

    /// dockerd, then containerd: SIGTERM to each by its pid, a bounded
    /// wait, then SIGKILL; then whatever is left in the cgroups they made
    /// for this test, and the cgroups themselves, and the scratch directory.
    fn stop(&mut self) {
        if self.dockerd.is_some() {
            let _ = within_limit(self.docker().args(["rmi", "--force", &self.image]));
        }
        if let Some(mut dockerd) = self.dockerd.take() {
            let pid = dockerd.id() as i32;
            stop_child(&mut dockerd, pid, Duration::from_secs(20));
        }
        if let Some(mut supervisor) = self.supervisor.take() {
            let target = self.containerd.take().unwrap_or(supervisor.id() as i32);
            stop_child(&mut supervisor, target, TIMEOUT);
        }
        for cgroup in self.cgroups() {
            kill_and_remove_cgroup(&cgroup);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The cgroups runc made for this test's containers: under Docker's
    /// cgroup parent and under the containerd namespace's name, in every
    /// hierarchy (cgroup v1, the unified one, or v2 alone).
    fn cgroups(&self) -> Vec<PathBuf> {
        let names = [format!("{}-docker", self.name), self.name.clone()];
        let root = Path::new("/sys/fs/cgroup");
        let mut hierarchies = vec![root.to_path_buf()];
        if let Ok(entries) = std::fs::read_dir(root) {
            hierarchies.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        let mut found = Vec::new();
        for hierarchy in hierarchies {
            for name in &names {
                let path = hierarchy.join(name);
                if path.is_dir() {
                    found.push(path);
                }
            }
        }
        found
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM to `target` (the child itself, or the daemon under it), then
/// waits at most `limit` for the child to exit; SIGKILL to the child's whole
/// tree, leaves first, if it has not.
fn stop_child(child: &mut Child, target: i32, limit: Duration) {
    // SAFETY: kill takes no pointers.
    unsafe { libc::kill(target, libc::SIGTERM) };
    let deadline = Instant::now() + limit;
    while matches!(child.try_wait(), Ok(None)) {
        if Instant::now() > deadline {
            let pid = child.id() as i32;
            for pid in descendants(pid).into_iter().rev().chain([pid]) {
                // SAFETY: kill takes no pointers.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL to every process still in `cgroup` or below (only this test's
/// containers can be there), then removes the (by then empty) cgroups,
/// deepest first.
fn kill_and_remove_cgroup(cgroup: &Path) {
    let dirs = cgroup_tree(cgroup);
    for dir in &dirs {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
            // SAFETY: kill takes no pointers.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    for dir in dirs.iter().rev() {
        let deadline = Instant::now() + Duration::from_secs(2);
        while std::fs::remove_dir(dir).is_err() && dir.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What an earlier run that was killed outright (no Drop ran) left: its
/// scratch directory, the directories its cases bind-mounted, and its
/// cgroups, empty once its daemons stopped (they get SIGTERM when the test
/// dies). Only names of this test's, only for pids that are gone; a cgroup
/// that still holds a process stays.
fn sweep_stale_runs() {
    // scythe-test-PID-docker (scratch), scythe-rt-PID-docker-WHAT (mounted
    // at /out), scythe-test-PID and scythe-test-PID-docker (cgroups).
    let stale_pid = |name: &str| -> Option<u32> {
        let rest = name.strip_prefix("scythe-test-").or_else(|| name.strip_prefix("scythe-rt-"))?;
        let (pid, what) = rest.split_once('-').unwrap_or((rest, ""));
        let ours = name.starts_with("scythe-test-") && (what.is_empty() || what == "docker")
            || what.starts_with("docker-");
        let pid = pid.parse().ok().filter(|_| ours)?;
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(pid)
    };
    let stale = |dir: &Path| -> Vec<PathBuf> {
        let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
        let paths = entries.map(|e| e.path());
        paths.filter(|p| stale_pid(&p.file_name().unwrap().to_string_lossy()).is_some()).collect()
    };
    for dir in stale(Path::new("/tmp")) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("-docker") || name.starts_with("scythe-rt-") {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let hierarchies = std::fs::read_dir("/sys/fs/cgroup").into_iter().flatten().flatten();
    for hierarchy in hierarchies.map(|e| e.path()).chain([PathBuf::from("/sys/fs/cgroup")]) {
        for cgroup in stale(&hierarchy) {
            for dir in cgroup_tree(&cgroup).iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

/// `cgroup` and every cgroup below it, parents first.
fn cgroup_tree(cgroup: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![cgroup.to_path_buf()];
    let mut next = 0;
    while let Some(dir) = dirs.get(next).cloned() {
        let entries = std::fs::read_dir(&dir).into_iter().flatten().flatten();
        dirs.extend(entries.map(|e| e.path()).filter(|p| p.is_dir()));
        next += 1;
    }
    dirs
}

/// The longest a docker or ctr command may take (`docker stop -t 10` fits).
const COMMAND_LIMIT: Duration = Duration::from_secs(30);

/// Runs `command` to the end and returns what it printed, as `run` does, but
/// kills it and fails after [`COMMAND_LIMIT`]: a container that never stops
/// (no init, a broken one) must fail the case, not hang the test.
fn bounded(command: &mut Command) -> Output {
    within_limit(command).unwrap_or_else(|why| panic!("{why}"))
}

/// [`bounded`] for the clean-ups in `Drop`, which must not panic: errors
/// and time-outs are returned.
fn within_limit(command: &mut Command) -> Result<Output, String> {
    use std::io::Read;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{command:?}: {e}"))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let read_out = drain(Box::new(child.stdout.take().unwrap()));
    let read_err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + COMMAND_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("{command:?}: {e}"))? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{command:?} still running after {COMMAND_LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = read_out.join().unwrap_or_default();
    Ok(Output { status, stdout, stderr: read_err.join().unwrap_or_default() })
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    std::str::from_utf8(bytes).unwrap_or("").lines().map(str::to_string)
}

/// A named container, force-removed when dropped.
struct Container<'a> {
    daemons: &'a Daemons,
    name: String,
}

impl<'a> Container<'a> {
    fn named(daemons: &'a Daemons, what: &str) -> Container<'a> {
        Container { daemons, name: format!("{}-{what}", daemons.name) }
    }

    /// `docker run --detach --name NAME` with `options`, `--volume OUT:/out`,
    /// the image, and `command`.
    fn start(&self, options: &[&str], out: &Path, command: &[&str]) {
        let started = bounded(
            self.daemons
                .docker_run()
                .args(["--detach", "--name", &self.name])
                .args(options)
                .arg("--volume")
                .arg(format!("{}:/out", out.display()))
                .arg(&self.daemons.image)
                .args(command),
        );
        assert!(started.status.success(), "{}: {started:?}", self.name);
    }

    /// `docker stop -t TIMEOUT`: how long it took.
    fn stop(&self, timeout: u32) -> Duration {
        let started = Instant::now();
        let stopped = bounded(
            self.daemons.docker().args(["stop", "-t", &timeout.to_string()]).arg(&self.name),
        );
        assert!(stopped.status.success(), "{}: {stopped:?}", self.name);
        started.elapsed()
    }

    fn running(&self) -> bool {
        let output = bounded(self.daemons.docker().args([
            "inspect",
            "--format",
            "{{.State.Running}}",
            &self.name,
        ]));
        String::from_utf8_lossy(&output.stdout).trim() == "true"
    }

    fn exit_code(&self) -> i32 {
        let output = bounded(self.daemons.docker().args([
            "inspect",
            "--format",
            "{{.State.ExitCode}}",
            &self.name,
        ]));
        String::from_utf8_lossy(&output.stdout).trim().parse().expect("an exit code")
    }

    fn logs(&self) -> String {
        let output = bounded(self.daemons.docker().args(["logs", &self.name]));
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr)
    }

    /// `docker exec NAME ps -o stat,args`.
    fn processes(&self) -> String {
        let ps = bounded(self.daemons.docker().args(["exec", &self.name, "ps", "-o", "stat,args"]));
        String::from_utf8_lossy(&ps.stdout).into_owned()
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = within_limit(self.daemons.docker().args(["rm", "--force", &self.name]));
    }
}

/// A directory to bind-mount at `/out`, where workloads leave their proof.
fn out_dir(what: &str) -> Scratch {
    Scratch::new(&format!("docker-{what}"))
}

/// Waits (bounded by `limit`) until `condition` holds.
fn wait_up_to(limit: Duration, what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What PID 1 is and the command's parent, then exit 3.
const WHO: &str = "echo ppid=$PPID; tr '\\0' ' ' < /proc/1/cmdline; echo; exit 3";

/// A case: its name and the function that runs it against the daemons.
type Case = (&'static str, fn(&Daemons));

/// The cases, each named by its function.
macro_rules! cases {
    ($($case:ident),* $(,)?) => { [$((stringify!($case), $case as fn(&Daemons))),*] as [Case; _] };
}

#[test]
fn docker_engine_and_containerd() {
    let cases = cases![
        the_images_build_from_scratch_with_docker,
        entrypoint_passes_exit_statuses_through,
        entrypoint_stop_reaches_the_grandchild_at_once,
        init_is_pid_1_and_the_commands_parent,
        init_stops_a_plain_sleep_at_once_and_no_init_waits_out_the_timeout,
        init_relays_docker_kill,
        run_it_keeps_ctrl_c_and_ctrl_z_working,
        exec_ps_shows_no_zombies,
        the_drain_lets_a_worker_finish_under_scythe_not_under_docker_init,
        containerd_runs_scythe_and_ctr_task_kill_reaches_the_command,
        java_shutdown_hook_completes_only_under_scythe,
    ];
    let only = std::env::var("SCYTHE_DOCKER_CASES").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|word| name.contains(word));
    let started = Instant::now();
    let daemons = Daemons::start();
    eprintln!("daemons up and image built in {:.1} s", started.elapsed().as_secs_f64());
    let mut failed = Vec::new();
    for (name, case) in cases.into_iter().filter(|(name, _)| wanted(name)) {
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| case(&daemons)));
        let took = started.elapsed().as_secs_f64();
        eprintln!("{name}: {} in {took:.1} s", if result.is_ok() { "ok" } else { "FAILED" });
        if result.is_err() {
            failed.push(name);
        }
    }
    let left = daemons.leftovers();
    let logs = if failed.is_empty() { String::new() } else { daemons.logs() };
    drop(daemons);
    assert!(failed.is_empty(), "failed: {failed:?}{logs}");
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// `make image` with `ENGINE=docker`: both images build with Docker's
/// legacy builder, the plain one holds scythe alone, the demo one stops
/// at once.
fn the_images_build_from_scratch_with_docker(d: &Daemons) {
    let name = format!("localhost/{}", d.name);
    let demo = format!("{name}-demo");
    struct Images<'a>(&'a Daemons, [String; 2]);
    impl Drop for Images<'_> {
        fn drop(&mut self) {
            let _ = within_limit(self.0.docker().args(["rmi", "--force"]).args(&self.1));
        }
    }
    let _cleanup = Images(d, [name.clone(), demo.clone()]);
    let mut build = Command::new("sh");
    build.arg(repo().join("tests/runtime/build-images.sh")).arg(&name).env("ENGINE", "docker");
    d.docker_env(&mut build);
    let built = bounded(&mut build);
    assert!(built.status.success(), "{built:?}");
    assert!(String::from_utf8_lossy(&built.stdout).contains("with docker"), "{built:?}");
    // The plain image holds scythe alone: no shell to run.
    let alone = bounded(d.docker_run().args(["--rm", &name, "sh"]));
    assert_eq!(alone.status.code(), Some(127), "{alone:?}");
    assert_eq!(String::from_utf8_lossy(&alone.stderr), "scythe: sh: No such file or directory\n");
    // The demo image runs its workload under scythe, and stops at once.
    let container = Container::named(d, "demo");
    let started = bounded(d.docker_run().args(["--detach", "--name", &container.name, &demo]));
    assert!(started.status.success(), "{started:?}");
    wait_up_to(TIMEOUT, "the demo is ready", || container.logs().contains("] ready"));
    let took = container.stop(10);
    assert_eq!(container.exit_code(), 143);
    assert!(took < Duration::from_secs(5), "docker stop took {took:?}");
    let logs = container.logs();
    assert!(logs.contains("got SIGTERM, finishing the transaction"), "{logs}");
}

/// scythe as `ENTRYPOINT`: PID 1, the command's parent, and the command's
/// status is the container's: its code, 128+N for death by signal N, 127
/// for a command that is not there.
fn entrypoint_passes_exit_statuses_through(d: &Daemons) {
    let who = bounded(d.docker_run().args(["--rm", &d.image, "sh", "-c", WHO]));
    let stdout = String::from_utf8_lossy(&who.stdout);
    assert_eq!(who.status.code(), Some(3), "{who:?}");
    assert!(stdout.contains("ppid=1\n"), "{stdout}");
    assert!(stdout.contains("/scythe -- sh -c"), "{stdout}");
    let killed = bounded(d.docker_run().args(["--rm", &d.image, "sh", "-c", "kill -TERM $$"]));
    assert_eq!(killed.status.code(), Some(143), "{killed:?}");
    let missing = bounded(d.docker_run().args(["--rm", &d.image, "no-such-command"]));
    assert_eq!(missing.status.code(), Some(127), "{missing:?}");
}

/// `docker stop` of `sh -c` whose grandchild traps TERM: the grandchild's
/// handler runs at once (its file proves it), and its status (5) becomes
/// the container's.
fn entrypoint_stop_reaches_the_grandchild_at_once(d: &Daemons) {
    let out = out_dir("grandchild");
    std::fs::write(
        out.0.join("worker.sh"),
        "trap 'echo TERM > /out/got; exit 5' TERM\n\
         echo > /out/ready\n\
         while :; do sleep 1 & wait $!; done\n",
    )
    .unwrap();
    // The shell waits for the worker and passes its status on.
    let app = "sh /out/worker.sh & worker=$!; trap 'wait $worker; exit $?' TERM; wait";
    let container = Container::named(d, "grandchild");
    container.start(&[], &out.0, &["sh", "-c", app]);
    wait_for_file(&out.0.join("ready"));
    let took = container.stop(10);
    assert!(took < Duration::from_secs(5), "docker stop took {took:?}");
    let got = std::fs::read_to_string(out.0.join("got")).unwrap_or_default();
    assert_eq!(got, "TERM\n", "the grandchild's TERM handler did not run");
    assert_eq!(container.exit_code(), 5);
}

/// `docker run --init`: the daemon's `--init-path` is scythe, which runs as
/// `/sbin/docker-init -- COMMAND`, PID 1 and the command's parent, and
/// exits with its status.
fn init_is_pid_1_and_the_commands_parent(d: &Daemons) {
    let who = bounded(
        d.docker_run()
            .args(["--rm", "--init", "--entrypoint", "", &d.image])
            .args(["sh", "-c", WHO]),
    );
    let stdout = String::from_utf8_lossy(&who.stdout);
    assert_eq!(who.status.code(), Some(3), "{who:?}");
    assert!(stdout.contains("ppid=1\n"), "{stdout}");
    assert!(stdout.contains("/sbin/docker-init -- sh -c"), "{stdout}");
}

/// `docker stop -t 3` of a plain `sleep`: with `--init` it ends at once
/// with 143; with no init, `sleep` is PID 1, the kernel drops the SIGTERM,
/// and Docker SIGKILLs it when the timeout has run out: 137.
fn init_stops_a_plain_sleep_at_once_and_no_init_waits_out_the_timeout(d: &Daemons) {
    let out = out_dir("sleep");
    let with_init = Container::named(d, "sleep-init");
    let bare = Container::named(d, "sleep-bare");
    with_init.start(&["--init", "--entrypoint", ""], &out.0, &["sleep", "1000"]);
    bare.start(&["--entrypoint", ""], &out.0, &["sleep", "1000"]);
    let (took_init, took_bare) = std::thread::scope(|s| {
        let init = s.spawn(|| with_init.stop(3));
        let bare = s.spawn(|| bare.stop(3));
        (init.join().unwrap(), bare.join().unwrap())
    });
    assert_eq!(with_init.exit_code(), 143);
    assert!(took_init < Duration::from_secs(2), "--init: docker stop took {took_init:?}");
    assert_eq!(bare.exit_code(), 137);
    assert!(took_bare >= Duration::from_secs(3), "no init: docker stop took {took_bare:?}");
}

/// `docker kill -s USR1` reaches the command under `--init` (tini's
/// conventions: the child alone), and a later SIGTERM ends it with 143.
fn init_relays_docker_kill(d: &Daemons) {
    let out = out_dir("kill");
    let script = "trap 'echo USR1 >> /out/got' USR1; echo > /out/ready; \
                  while :; do sleep 1 & wait $!; done";
    let container = Container::named(d, "kill");
    container.start(&["--init", "--entrypoint", ""], &out.0, &["sh", "-c", script]);
    wait_for_file(&out.0.join("ready"));
    let got = out.0.join("got");
    for count in 1..=2 {
        let killed = bounded(d.docker().args(["kill", "--signal", "USR1", &container.name]));
        assert!(killed.status.success(), "{killed:?}");
        let expected = "USR1\n".repeat(count);
        wait_up_to(TIMEOUT, "USR1 reaches the command", || {
            std::fs::read_to_string(&got).unwrap_or_default() == expected
        });
    }
    let killed = bounded(d.docker().args(["kill", "--signal", "TERM", &container.name]));
    assert!(killed.status.success(), "{killed:?}");
    wait_up_to(TIMEOUT, "the container has exited", || !container.running());
    assert_eq!(container.exit_code(), 143);
}

/// `docker run -it` through a pseudo-terminal, with scythe as `ENTRYPOINT`
/// and as `--init`: Ctrl-C ends the foreground program and Ctrl-Z stops
/// it, and the shell carries on, as in a plain shell.
fn run_it_keeps_ctrl_c_and_ctrl_z_working(d: &Daemons) {
    for (what, options) in [("entrypoint", &[][..]), ("init", &["--init", "--entrypoint", ""][..])]
    {
        let container = Container::named(d, &format!("tty-{what}"));
        let mut master = None;
        let mut run = scythe(Mode::Subreaper)
            .program("docker")
            .arg("--host")
            .arg(d.docker_host())
            .args(["run", "--rm", "-it", "--network", "none", "--name", &container.name])
            .args(options)
            .args([&d.image, "sh"])
            .configure(|c| {
                d.docker_env(c);
                master = Some(on_pty(c));
            })
            .spawn();
        let master = master.unwrap();
        type_on(&master, b"echo ready\n");
        wait_for_output(&mut run, "ready");
        ctrl_c_and_ctrl_z_work_as_in_a_plain_shell(&mut run, &master, &|| container.processes());
        drop(container);
        run.finish();
    }
}

/// The rows of `ps -o stat,args` whose command line is exactly `args`.
fn rows_running<'t>(table: &'t str, args: &str) -> Vec<&'t str> {
    let command = |row: &str| row.split_whitespace().skip(1).collect::<Vec<_>>().join(" ");
    table.lines().filter(|row| command(row) == args).collect()
}

/// The zombie rows of `ps -o stat,args`.
fn zombies(table: &str) -> Vec<&str> {
    table.lines().filter(|row| row.trim_start().starts_with('Z')).collect()
}

/// Orphans made in the container are reaped: `docker exec ps` lists no
/// zombie, with scythe as `ENTRYPOINT` (which says so with `-vv`) and as
/// `--init`.
fn exec_ps_shows_no_zombies(d: &Daemons) {
    let out = out_dir("zombies");
    let script = "for i in 1 2 3 4 5; do (sleep 0.1 &); done; echo > /out/orphaned; sleep 1000";
    let verbose = Container::named(d, "zombies");
    verbose.start(&["--entrypoint", "/scythe"], &out.0, &["-vv", "--", "sh", "-c", script]);
    wait_up_to(TIMEOUT, "scythe reaped 5 orphans", || {
        verbose.logs().matches("reaped orphan").count() >= 5
    });
    let table = verbose.processes();
    assert_eq!(rows_running(&table, "sleep 1000").len(), 1, "{table}");
    assert_eq!(zombies(&table), Vec::<&str>::new(), "{table}");
    drop(verbose);
    std::fs::remove_file(out.0.join("orphaned")).unwrap();
    let init = Container::named(d, "zombies-init");
    init.start(&["--init", "--entrypoint", ""], &out.0, &["sh", "-c", script]);
    wait_for_file(&out.0.join("orphaned"));
    // The orphans end 0.1 s after they are made; a zombie that stays makes
    // this wait time out.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let table = init.processes();
        let sleeping = rows_running(&table, "sleep 1000").len() == 1;
        if sleeping && rows_running(&table, "sleep 0.1").is_empty() && zombies(&table).is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "orphans or zombies left under --init:\n{table}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The app leaves a worker in a session of its own (no relayed signal
/// reaches it) that needs 2 s to finish once told to stop. `docker stop -t
/// 10`: under scythe's name, the drain sends it SIGTERM and waits (the
/// default 5 s grace), and its handler completes; under `docker-init` (no
/// grace, as tini), scythe exits with the app and the kernel kills the
/// worker mid-handler.
fn the_drain_lets_a_worker_finish_under_scythe_not_under_docker_init(d: &Daemons) {
    let (scythe_out, init_out) = (out_dir("drain-scythe"), out_dir("drain-init"));
    for out in [&scythe_out, &init_out] {
        std::fs::write(
            out.0.join("worker.sh"),
            "trap 'sleep 2; echo done > /out/drained; exit 0' TERM\n\
             echo > /out/ready\n\
             while :; do sleep 1 & wait $!; done\n",
        )
        .unwrap();
    }
    let app = "setsid sh /out/worker.sh & wait";
    let under_scythe = Container::named(d, "drain-scythe");
    let under_init = Container::named(d, "drain-init");
    under_scythe.start(&[], &scythe_out.0, &["sh", "-c", app]);
    under_init.start(&["--init", "--entrypoint", ""], &init_out.0, &["sh", "-c", app]);
    wait_for_file(&scythe_out.0.join("ready"));
    wait_for_file(&init_out.0.join("ready"));
    let (took_scythe, took_init) = std::thread::scope(|s| {
        let scythe = s.spawn(|| under_scythe.stop(10));
        let init = s.spawn(|| under_init.stop(10));
        (scythe.join().unwrap(), init.join().unwrap())
    });
    eprintln!("  drain: scythe {took_scythe:?}, docker-init {took_init:?}");
    let drained = std::fs::read_to_string(scythe_out.0.join("drained")).unwrap_or_default();
    assert_eq!(drained, "done\n", "under scythe, the worker did not finish its TERM handler");
    assert_eq!(under_scythe.exit_code(), 143);
    let drained = Duration::from_secs(2)..Duration::from_secs(9);
    assert!(drained.contains(&took_scythe), "scythe: docker stop took {took_scythe:?}");
    assert!(!init_out.0.join("drained").exists(), "the worker finished under docker-init");
    assert_eq!(under_init.exit_code(), 143);
    assert!(took_init < Duration::from_secs(2), "docker-init: docker stop took {took_init:?}");
}

/// containerd alone, as a kubelet drives it: the image Docker built is
/// saved, imported with `ctr image import`, and run with runc (`ctr run`);
/// `ctr task kill` relays USR1 and then TERM to the command through scythe
/// (PID 1, the command's parent), and the command's status (9) is the
/// task's. Tasks, containers, images and snapshots are removed, and the
/// namespace with them.
fn containerd_runs_scythe_and_ctr_task_kill_reaches_the_command(d: &Daemons) {
    let archive = d.path("image.tar");
    let saved = bounded(d.docker().args(["save", "--output"]).arg(&archive).arg(&d.image));
    assert!(saved.status.success(), "{saved:?}");
    let reference = format!("{}:latest", d.image);
    let id = format!("{}-ctr", d.name);
    struct Cleanup<'a>(&'a Daemons, String, String);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let Cleanup(d, id, reference) = self;
            let _ = within_limit(d.ctr().args(["tasks", "kill", "--signal", "KILL", id]));
            let _ = within_limit(d.ctr().args(["tasks", "delete", "--force", id]));
            let _ = within_limit(d.ctr().args(["containers", "delete", id]));
            let _ = within_limit(d.ctr().args(["images", "remove", "--sync", reference]));
            let _ = std::fs::remove_file(d.path("image.tar"));
        }
    }
    let cleanup = Cleanup(d, id.clone(), reference.clone());
    let imported = bounded(d.ctr().args(["images", "import"]).arg(&archive));
    assert!(imported.status.success(), "{imported:?}");
    let script = "trap 'echo got USR1' USR1; trap 'echo got TERM; exit 9' TERM; \
                  echo ready $PPID; while :; do sleep 1 & wait $!; done";
    let mut task = scythe(Mode::Subreaper)
        .program("ctr")
        .arg("--address")
        .arg(d.path("containerd.sock"))
        .args(["--namespace", &d.name, "run", "--rm", "--fifo-dir"])
        // ctr makes the FIFOs, the shim opens them: a path both can see.
        .arg(d.path("fifo"))
        // ctr run replaces the image's whole command line, ENTRYPOINT too.
        .args([&reference, &id, "/scythe", "--", "sh", "-c", script])
        .spawn();
    task.expect_line("ready 1");
    let listed = bounded(d.ctr().args(["tasks", "list"]));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("RUNNING"), "{listed:?}");
    for (signal, line) in [("USR1", "got USR1"), ("TERM", "got TERM")] {
        let killed = bounded(d.ctr().args(["tasks", "kill", "--signal", signal, &id]));
        assert!(killed.status.success(), "{killed:?}");
        task.expect_line(line);
    }
    assert_eq!(task.finish().code, 9);
    drop(cleanup);
    let snapshots = bounded(d.ctr().args(["snapshots", "list"]));
    assert_eq!(lines(&snapshots.stdout).count(), 1, "snapshots left: {snapshots:?}");
    let removed = bounded(d.ctr_plain().args(["namespaces", "remove", &d.name]));
    assert!(removed.status.success(), "the namespace is not empty: {removed:?}");
}

/// The JVM of Debian's openjdk-17-jre-headless, which the Java cases
/// bind-mount read-only into the scratch image.
fn java_home() -> PathBuf {
    let jvms =
        std::fs::read_dir("/usr/lib/jvm").expect("/usr/lib/jvm: install openjdk-17-jre-headless");
    jvms.flatten()
        .map(|entry| entry.path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("java-17-openjdk-") && path.join("bin/java").is_file()
        })
        .expect("no /usr/lib/jvm/java-17-openjdk-*: install openjdk-17-jre-headless")
}

/// How one Java service was started and how `docker stop` went.
struct JavaRun<'a> {
    what: &'static str,
    container: Container<'a>,
    out: Scratch,
    took: Duration,
}

/// The classic Java service: `run.sh` runs `java Main.java` without `exec`,
/// and the JVM's shutdown hook needs 1.5 s. `docker stop -t 5`, measured:
/// - no init: `sh` is PID 1 and drops SIGTERM; SIGKILL after 5 s, the hook
///   never runs;
/// - `--init` (scythe as `docker-init`, tini's conventions) and Debian's
///   own `docker-init` (tini): SIGTERM reaches `sh` alone, which dies; the
///   init exits with it and the kernel kills the JVM, never told;
/// - `--init` with `TINI_KILL_PROCESS_GROUP=1`: the JVM is told too, but
///   the init still exits with `sh`, and the JVM dies before its hook ends;
/// - scythe as `ENTRYPOINT`: SIGTERM reaches the JVM, `sh` dies, and scythe
///   waits (the drain) while the hook completes.
fn java_shutdown_hook_completes_only_under_scythe(d: &Daemons) {
    let java = java_home();
    let tini = Path::new("/usr/bin/tini-static");
    assert!(
        tini.is_file(),
        "no {}: apt-get install tini (docker.io depends on it)",
        tini.display()
    );
    let path = format!("PATH={}/bin:/bin", java.display());
    let mut jvm: Vec<&str> =
        vec!["--env", &path, "--volume", "/usr:/usr:ro", "--volume", "/lib:/lib:ro"];
    if Path::new("/lib64").exists() {
        jvm.extend(["--volume", "/lib64:/lib64:ro"]);
    }
    jvm.extend(["--volume", "/etc/java-17-openjdk:/etc/java-17-openjdk:ro"]);
    let shell: &[&str] = &["--entrypoint", "/bin/sh"];
    let service = ["/app/run.sh", "/out"];
    let in_sh = ["/bin/sh", "/app/run.sh", "/out"];
    let variants: [(&str, Vec<&str>, Vec<&str>); 5] = [
        ("no init", shell.to_vec(), service.to_vec()),
        ("docker-init (scythe)", [&["--init"][..], shell].concat(), service.to_vec()),
        (
            "docker-init, TINI_KILL_PROCESS_GROUP=1",
            [&["--init", "--env", "TINI_KILL_PROCESS_GROUP=1"][..], shell].concat(),
            service.to_vec(),
        ),
        (
            "Debian's docker-init (tini)",
            vec!["--entrypoint", "/usr/bin/tini-static"],
            [&["--"][..], &in_sh].concat(),
        ),
        ("scythe", vec![], in_sh.to_vec()),
    ];
    let mut runs = Vec::new();
    for (n, (what, options, command)) in variants.into_iter().enumerate() {
        let container = Container::named(d, &format!("java-{n}"));
        let out = out_dir(&format!("java-{n}"));
        container.start(&[&jvm[..], &options].concat(), &out.0, &command);
        runs.push(JavaRun { what, container, out, took: Duration::ZERO });
    }
    // Five JVMs compile Main.java at once on what may be two CPUs.
    for java in &runs {
        wait_up_to(TIMEOUT * 4, &format!("{}: the service is ready", java.what), || {
            java.container.logs().contains("[java] ready")
        });
    }
    let took: Vec<Duration> = std::thread::scope(|s| {
        let stops: Vec<_> = runs.iter().map(|java| s.spawn(|| java.container.stop(5))).collect();
        stops.into_iter().map(|stop| stop.join().unwrap()).collect()
    });
    for (java, took) in runs.iter_mut().zip(took) {
        java.took = took;
    }
    let mut report = String::new();
    for java in &runs {
        let hook =
            match (java.out.0.join("hook-started").exists(), java.out.0.join("hook-done").exists())
            {
                (_, true) => "completed",
                (true, false) => "killed mid-hook",
                (false, false) => "never ran",
            };
        report += &format!(
            "  java, {}: docker stop -t 5 took {:.2} s, exit {}, shutdown hook {hook}\n",
            java.what,
            java.took.as_secs_f64(),
            java.container.exit_code()
        );
    }
    eprint!("{report}");
    let [bare, init, group, tini, scythe] = &runs[..] else { unreachable!() };
    let done = |java: &JavaRun| java.out.0.join("hook-done").exists();
    let told = |java: &JavaRun| java.out.0.join("hook-started").exists();
    let five = Duration::from_secs(5);
    assert!(!told(bare) && bare.took >= five && bare.container.exit_code() == 137, "{report}");
    for never in [init, tini] {
        assert!(!told(never) && never.took < five, "{report}");
        assert_eq!(never.container.exit_code(), 143, "{report}");
    }
    assert!(!done(group) && group.took < five && group.container.exit_code() == 143, "{report}");
    assert!(done(scythe) && scythe.took < five, "{report}");
    assert_eq!(scythe.container.exit_code(), 143, "{report}");
    let logs = scythe.container.logs();
    assert!(logs.contains("shutdown hook: done"), "{logs}");
}
