//! `make bench`: scythe against the inits people use today (tini, the static
//! tini Docker ships as docker-init, dumb-init, catatonit), measured in one
//! run, interleaved (A B C ... A B C ...), with medians of many rounds. It
//! prints one markdown table, writes it to bench/RESULTS.md with the
//! machine, kernel and date, and draws bench/chart.svg.
//!
//!     bench SCYTHE OUT_DIR
//!
//! The same program is also the workload some measurements need:
//! `bench helper latency` and `bench helper reap N` (see below).

use std::ffi::{CString, OsStr};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One init under test: its name and its binary; every one is started as
/// `INIT -- COMMAND...`.
struct Init {
    name: &'static str,
    path: PathBuf,
}

const ROUNDS_START: usize = 500;
const ROUNDS_LATENCY: usize = 300;
const ROUNDS_REAP: usize = 3;
const ORPHANS: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [_, "helper", "latency"] => helper_latency(),
        [_, "helper", "reap", count] => helper_reap(count.parse().expect("a count")),
        [_, scythe, out] => run(Path::new(scythe), Path::new(out)),
        _ => {
            eprintln!("usage: bench SCYTHE OUT_DIR");
            std::process::exit(2);
        }
    }
}

fn run(scythe: &Path, out: &Path) {
    let inits = vec![
        Init { name: "scythe", path: scythe.to_path_buf() },
        Init { name: "tini", path: "/usr/bin/tini".into() },
        Init { name: "tini-static", path: "/usr/bin/tini-static".into() },
        Init { name: "dumb-init", path: "/usr/bin/dumb-init".into() },
        Init { name: "catatonit", path: "/usr/bin/catatonit".into() },
    ];
    for init in &inits {
        assert!(init.path.is_file(), "missing {}", init.path.display());
    }
    let me = std::env::current_exe().expect("own path");
    let mut table = Table::new(&inits);

    eprintln!("size...");
    table.row(
        "size, bytes",
        "file size; `static` if it has no ELF interpreter",
        inits
            .iter()
            .map(|i| Cell::with_note(file_size(&i.path) as f64, static_or_not(&i.path)))
            .collect(),
    );
    eprintln!("memory...");
    let memory: Vec<(f64, f64)> = inits.iter().map(memory).collect();
    table.row(
        "memory: VmRSS, kB",
        "the init process while its child sleeps (/proc/PID/status), median of 15 (the stack's random start makes it one page more or less from run to run)",
        memory.iter().map(|m| Cell::new(m.0)).collect(),
    );
    table.row(
        "memory: Pss, kB",
        "the same process's proportional set size (/proc/PID/smaps_rollup)",
        memory.iter().map(|m| Cell::new(m.1)).collect(),
    );
    eprintln!("start-up...");
    for new_namespace in [false, true] {
        let (bare, with) = start_up(&inits, new_namespace);
        let (what, how) = if new_namespace {
            (
                "start-up as PID 1, ratio",
                "`INIT -- /bin/true` as PID 1 of a new PID namespace against `/bin/true` there alone; median wall time of 500 runs each, interleaved",
            )
        } else {
            (
                "start-up, ratio",
                "`INIT -- /bin/true` against `/bin/true` alone, spawned from this harness; median wall time of 500 runs each, interleaved",
            )
        };
        table.row(what, how, with.iter().map(|t| Cell::ratio(t / bare)).collect());
    }
    eprintln!("instructions...");
    table.row(
        "user-space instructions",
        "of the init process for one `INIT -- /bin/true` lifecycle, dynamic loader included (valgrind --tool=callgrind); environment: `PATH` alone",
        inits.iter().map(|i| Cell::new(instructions(i, &environment(false, 0)) as f64)).collect(),
    );
    table.row(
        "user-space instructions, 30 variables",
        "the same, in an environment of 30 variables as a container gets them (`PATH`, `HOME`, `HOSTNAME`, the app's own, Kubernetes' for its API server)",
        inits.iter().map(|i| Cell::new(instructions(i, &environment(true, 0)) as f64)).collect(),
    );
    table.row(
        "user-space instructions, 3,530 variables",
        "the same 30, and Kubernetes' service links for 500 Services (7 variables each: `AUTH_3_SERVICE_HOST`, `AUTH_3_PORT_80_TCP_ADDR`, ...)",
        inits.iter().map(|i| Cell::new(instructions(i, &environment(true, 500)) as f64)).collect(),
    );
    eprintln!("signal latency...");
    table.row(
        "signal latency, µs",
        "from `kill(INIT, SIGTERM)` to the child's handler running, all on one CPU; median of 300",
        signal_latency(&inits, &me).iter().map(|&us| Cell::new(us)).collect(),
    );
    eprintln!("reaping...");
    // How long reaping takes is left out: for the same init, one round
    // takes 40 ms of CPU and the next 1.3 s (waitpid walks the init's list
    // of children, and where the zombies sit in it depends on the order
    // the kernel ran their exits), for every init; no figure would hold
    // from one run to the next. What holds is whether zombies are left.
    let reaping = reaping(&inits, &me);
    table.row(
        "reaping 10,000 orphans: zombies left",
        "a child orphans 10,000 grandchildren that then exit at once, init as PID 1 of a new PID namespace, all on one CPU: still unreaped after 10 s, in the worst of 3 rounds (0 is the only right answer)",
        reaping.iter().map(|r| Cell::new(r.iter().copied().fold(0.0, f64::max))).collect(),
    );
    eprintln!("idle wake-ups (10 s)...");
    table.row(
        "idle wake-ups in 10 s",
        "context switches of the init while its child sleeps (/proc/PID/status)",
        idle_wakeups(&inits).iter().map(|&n| Cell::new(n as f64)).collect(),
    );

    let markdown = table.markdown();
    println!("{markdown}");
    let header = machine_header();
    std::fs::write(out.join("RESULTS.md"), format!("{header}\n{markdown}")).expect("RESULTS.md");
    std::fs::write(out.join("chart.svg"), chart(&inits, &memory)).expect("chart.svg");
    eprintln!("wrote {} and {}", out.join("RESULTS.md").display(), out.join("chart.svg").display());
}

// ---- the table ----

struct Cell {
    value: f64,
    note: String,
    is_ratio: bool,
}

impl Cell {
    fn new(value: f64) -> Cell {
        Cell { value, note: String::new(), is_ratio: false }
    }
    fn with_note(value: f64, note: &str) -> Cell {
        Cell { value, note: note.into(), is_ratio: false }
    }
    fn ratio(value: f64) -> Cell {
        Cell { value, note: String::new(), is_ratio: true }
    }
}

struct Table {
    names: Vec<&'static str>,
    rows: Vec<(String, String, Vec<Cell>)>,
}

impl Table {
    fn new(inits: &[Init]) -> Table {
        Table { names: inits.iter().map(|i| i.name).collect(), rows: Vec::new() }
    }

    fn row(&mut self, what: &str, how: &str, cells: Vec<Cell>) {
        self.rows.push((what.into(), how.into(), cells));
    }

    /// One row per measurement; each other init's figure also as a multiple
    /// of scythe's (the figure to quote).
    fn markdown(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "| measurement | {} | how |", self.names.join(" | "));
        let _ = writeln!(text, "|---|{}---|", "---:|".repeat(self.names.len()));
        for (what, how, cells) in &self.rows {
            let base = cells[0].value;
            let shown: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let mut shown = if cell.is_ratio {
                        format!("{:.2}×", cell.value)
                    } else {
                        number(cell.value)
                    };
                    if !cell.note.is_empty() {
                        shown = format!("{shown} {}", cell.note);
                    }
                    if i > 0 && base > 0.0 && !cell.is_ratio {
                        shown = format!("{shown} ({:.1}×)", cell.value / base);
                    }
                    shown
                })
                .collect();
            let _ = writeln!(text, "| {what} | {} | {how} |", shown.join(" | "));
        }
        text
    }
}

fn number(value: f64) -> String {
    if value >= 100.0 || value.fract() == 0.0 {
        let whole = value.round() as u64;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        grouped
    } else {
        format!("{value:.1}")
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn machine_header() -> String {
    let text = |command: &str, args: &[&str]| {
        std::process::Command::new(command)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    format!(
        "# scythe against the other inits\n\nMeasured by `make bench` on {} ({} CPUs, {}), Linux {}, {}.\n",
        cpu,
        text("nproc", &["--all"]),
        text("uname", &["-m"]),
        text("uname", &["-r"]),
        text("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    )
}

// ---- starting processes ----

fn cstring(text: &OsStr) -> CString {
    CString::new(text.as_bytes()).expect("no NUL")
}

/// `INIT -- COMMAND...` as C strings.
fn argv(init: &Init, command: &[&OsStr]) -> Vec<CString> {
    let mut argv = vec![cstring(init.path.as_os_str()), cstring(OsStr::new("--"))];
    argv.extend(command.iter().map(|a| cstring(a)));
    argv
}

/// Forks (into a new PID namespace if asked) and execs `argv`, with
/// `stdout` as fd 1 and stderr silenced; returns the pid.
fn spawn(argv: &[CString], new_namespace: bool, stdout: Option<i32>) -> i32 {
    let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    pointers.push(std::ptr::null());
    let devnull = c"/dev/null";
    let flags = if new_namespace { libc::CLONE_NEWPID } else { 0 } | libc::SIGCHLD;
    // SAFETY: between fork and exec the child calls only async-signal-safe
    // functions on memory prepared before the fork.
    unsafe {
        let pid = libc::syscall(libc::SYS_clone, flags, 0, 0, 0, 0) as i32;
        assert!(pid >= 0, "clone failed");
        if pid == 0 {
            let null = libc::open(devnull.as_ptr(), libc::O_RDWR);
            libc::dup2(null, 2);
            libc::dup2(null, 0);
            if let Some(fd) = stdout {
                libc::dup2(fd, 1);
            } else {
                libc::dup2(null, 1);
            }
            libc::execv(pointers[0], pointers.as_ptr());
            libc::_exit(127);
        }
        pid
    }
}

/// Waits for `pid`; returns its status and its resource usage.
fn wait(pid: i32) -> (i32, libc::rusage) {
    // SAFETY: wait4 fills the status and rusage it is given.
    unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        (status, usage)
    }
}

fn kill(pid: i32, signal: i32) {
    // SAFETY: kill takes no pointers.
    unsafe { libc::kill(pid, signal) };
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Starts `INIT -- sleep 1000` and waits (bounded) until the sleep runs.
fn start_sleeping(init: &Init) -> i32 {
    let pid = spawn(&argv(init, &[OsStr::new("/bin/sleep"), OsStr::new("1000")]), false, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let sleeping = children(pid).iter().any(|child| {
            std::fs::read_to_string(format!("/proc/{child}/comm")).is_ok_and(|c| c == "sleep\n")
        });
        if sleeping {
            return pid;
        }
        assert!(Instant::now() < deadline, "{} never started its child", init.name);
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Ends an init started by `start_sleeping`, child and all.
fn stop_sleeping(pid: i32) {
    for child in children(pid) {
        kill(child, libc::SIGKILL);
    }
    kill(pid, libc::SIGKILL);
    wait(pid);
}

fn status_field(pid: i32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN)
}

// ---- the measurements ----

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// "static" unless the ELF file has a PT_INTERP program header.
fn static_or_not(path: &Path) -> &'static str {
    let bytes = std::fs::read(path).unwrap_or_default();
    let wide = bytes.get(4) == Some(&2);
    let word = |at: usize, size: usize| -> usize {
        let mut value = 0usize;
        for i in (0..size).rev() {
            value = value << 8 | usize::from(*bytes.get(at + i).unwrap_or(&0));
        }
        value
    };
    let (phoff, phentsize, phnum) = if wide {
        (word(32, 8), word(54, 2), word(56, 2))
    } else {
        (word(28, 4), word(42, 2), word(44, 2))
    };
    let interp = (0..phnum).any(|i| word(phoff + i * phentsize, 4) == 3);
    if interp { "dynamic" } else { "static" }
}

/// VmRSS and Pss of the init, in kB, while its child sleeps. (Medians of 15:
/// where the randomised stack starts within a page decides whether its top
/// spans one page more, and 3 rounds gave 24 or 28 kB for one binary.)
fn memory(init: &Init) -> (f64, f64) {
    let mut rss = Vec::new();
    let mut pss = Vec::new();
    for _ in 0..15 {
        let pid = start_sleeping(init);
        rss.push(status_field(pid, "VmRSS:"));
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        pss.push(
            rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(f64::NAN),
        );
        stop_sleeping(pid);
    }
    (median(rss), median(pss))
}

/// Median wall times of `/bin/true` alone and under each init.
fn start_up(inits: &[Init], new_namespace: bool) -> (f64, Vec<f64>) {
    let truth = OsStr::new("/bin/true");
    let bare = vec![cstring(truth)];
    let runs: Vec<Vec<CString>> = inits.iter().map(|i| argv(i, &[truth])).collect();
    let mut bare_times = Vec::new();
    let mut times = vec![Vec::new(); inits.len()];
    let timed = |argv: &[CString]| {
        let started = Instant::now();
        let (status, _) = wait(spawn(argv, new_namespace, None));
        assert_eq!(status, 0, "{argv:?}");
        started.elapsed().as_secs_f64() * 1e6
    };
    for _ in 0..ROUNDS_START {
        bare_times.push(timed(&bare));
        for (i, argv) in runs.iter().enumerate() {
            times[i].push(timed(argv));
        }
    }
    (median(bare_times), times.into_iter().map(median).collect())
}

/// A container's environment: `PATH` alone, or (`pod`) 30 variables as a
/// Kubernetes pod gets them, and then the service links of `services`
/// Services (7 variables each), named after services of many kinds.
fn environment(pod: bool, services: usize) -> Vec<(String, String)> {
    let mut env = vec![("PATH".to_string(), "/usr/local/bin:/usr/bin:/bin".to_string())];
    if !pod {
        return env;
    }
    for (name, value) in [
        ("HOSTNAME", "api-7d9f8b6c5-x2kqp"),
        ("HOME", "/root"),
        ("TERM", "xterm"),
        ("LANG", "C.UTF-8"),
        ("TZ", "UTC"),
        ("JAVA_OPTS", "-Xmx512m"),
        ("APP_ENV", "production"),
        ("APP_PORT", "8080"),
        ("LOG_LEVEL", "info"),
        ("DATABASE_URL", "postgres://db:5432/app"),
        ("REDIS_URL", "redis://cache:6379"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4317"),
        ("OTEL_SERVICE_NAME", "api"),
        ("FEATURE_FLAGS", "new-checkout,dark-mode"),
        ("SECRET_KEY_FILE", "/run/secrets/key"),
        ("POD_NAME", "api-7d9f8b6c5-x2kqp"),
        ("POD_NAMESPACE", "shop"),
        ("POD_IP", "10.42.3.17"),
        ("NODE_NAME", "worker-3"),
        ("SERVICE_ACCOUNT", "api"),
        ("KUBERNETES_SERVICE_HOST", "10.43.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
        ("KUBERNETES_PORT", "tcp://10.43.0.1:443"),
        ("KUBERNETES_PORT_443_TCP", "tcp://10.43.0.1:443"),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
        ("KUBERNETES_PORT_443_TCP_PORT", "443"),
        ("KUBERNETES_PORT_443_TCP_ADDR", "10.43.0.1"),
        ("GOMAXPROCS", "2"),
    ] {
        env.push((name.into(), value.into()));
    }
    const KINDS: [&str; 24] = [
        "auth",
        "billing",
        "cart",
        "catalog",
        "checkout",
        "db",
        "email",
        "events",
        "frontend",
        "gateway",
        "inventory",
        "kafka",
        "ledger",
        "metrics",
        "orders",
        "payments",
        "postgres",
        "queue",
        "redis",
        "search",
        "session",
        "shipping",
        "users",
        "web",
    ];
    for n in 0..services {
        let name = format!("{}_{}", KINDS[n % KINDS.len()], n / KINDS.len()).to_uppercase();
        let ip = format!("10.43.{}.{}", n / 250, n % 250 + 2);
        for (suffix, value) in [
            ("SERVICE_HOST", ip.clone()),
            ("SERVICE_PORT", "80".into()),
            ("PORT", format!("tcp://{ip}:80")),
            ("PORT_80_TCP", format!("tcp://{ip}:80")),
            ("PORT_80_TCP_PROTO", "tcp".into()),
            ("PORT_80_TCP_PORT", "80".into()),
            ("PORT_80_TCP_ADDR", ip.clone()),
        ] {
            env.push((format!("{name}_{suffix}"), value));
        }
    }
    env
}

fn instructions(init: &Init, env: &[(String, String)]) -> u64 {
    let output = std::process::Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(&init.path)
        .args(["--", "/bin/true"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("valgrind");
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count from valgrind for {}: {stderr}", init.name))
}

/// Pins this process (and so everything it starts) to one CPU.
fn pin_to_one_cpu() {
    // SAFETY: the set is initialised before use.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn now_ns() -> i64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec * 1_000_000_000 + now.tv_nsec
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors.
    unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    (fds[0], fds[1])
}

fn read_exact(fd: i32, buffer: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buffer.len() {
        // SAFETY: reading into the rest of a live buffer.
        let n = unsafe { libc::read(fd, buffer[done..].as_mut_ptr().cast(), buffer.len() - done) };
        if n <= 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

/// Median microseconds from `kill(init, SIGTERM)` to the child's handler.
fn signal_latency(inits: &[Init], me: &Path) -> Vec<f64> {
    pin_to_one_cpu();
    let helper = [me.as_os_str(), OsStr::new("helper"), OsStr::new("latency")];
    let mut samples = vec![Vec::new(); inits.len()];
    for _ in 0..ROUNDS_LATENCY {
        for (i, init) in inits.iter().enumerate() {
            let (read, write) = pipe();
            let pid = spawn(&argv(init, &helper), false, Some(write));
            // SAFETY: our copy of the write end is no longer needed.
            unsafe { libc::close(write) };
            let mut ready = [0u8; 1];
            assert!(read_exact(read, &mut ready), "{}: the helper never got ready", init.name);
            let sent = now_ns();
            kill(pid, libc::SIGTERM);
            let mut stamp = [0u8; 8];
            assert!(read_exact(read, &mut stamp), "{}: no signal arrived", init.name);
            samples[i].push((i64::from_ne_bytes(stamp) - sent) as f64 / 1000.0);
            // SAFETY: closing the read end.
            unsafe { libc::close(read) };
            wait(pid);
        }
    }
    samples.into_iter().map(median).collect()
}

/// The latency helper: installs a SIGTERM handler that writes the time it
/// ran, says it is ready, and waits.
fn helper_latency() {
    extern "C" fn on_term(_: libc::c_int) {
        let stamp = now_ns().to_ne_bytes();
        // SAFETY: write and _exit are async-signal-safe.
        unsafe {
            libc::write(1, stamp.as_ptr().cast(), 8);
            libc::_exit(0);
        }
    }
    // SAFETY: installing a handler, then writing one byte, then waiting.
    unsafe {
        libc::signal(libc::SIGTERM, on_term as extern "C" fn(libc::c_int) as libc::sighandler_t);
        libc::write(1, b"R".as_ptr().cast(), 1);
        loop {
            libc::pause();
        }
    }
}

/// How many zombies each round of the reaping measurement left, per init;
/// all of it, the init, its child and the orphans, on one CPU.
fn reaping(inits: &[Init], me: &Path) -> Vec<Vec<f64>> {
    pin_to_one_cpu();
    let count = ORPHANS.to_string();
    let helper = [me.as_os_str(), OsStr::new("helper"), OsStr::new("reap"), OsStr::new(&count)];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); inits.len()];
    for _ in 0..ROUNDS_REAP {
        for (i, init) in inits.iter().enumerate() {
            let (read, write) = pipe();
            let pid = spawn(&argv(init, &helper), true, Some(write));
            // SAFETY: our copy of the write end is no longer needed.
            unsafe { libc::close(write) };
            let mut report = [0u8; 16];
            assert!(
                read_exact(read, &mut report),
                "{}: no report from the reaping helper",
                init.name
            );
            // SAFETY: closing the read end.
            unsafe { libc::close(read) };
            wait(pid);
            let left = u64::from_ne_bytes(report[8..].try_into().unwrap());
            samples[i].push(left as f64);
        }
    }
    samples
}

/// The reaping helper, the init's main child: forks a process that forks
/// `count` children and exits, leaving them to the init; then releases them
/// all at once and waits until none is left (or 10 s pass). Writes the time
/// that took, in ns, and how many were left, as two u64s.
fn helper_reap(count: usize) {
    let (block_read, block_write) = pipe();
    let (pids_read, pids_write) = pipe();
    // SAFETY: the helper is single-threaded; the children only read and exit.
    unsafe {
        if libc::fork() == 0 {
            libc::close(pids_read);
            for _ in 0..count {
                let pid = libc::fork();
                if pid == 0 {
                    libc::close(block_write);
                    libc::close(pids_write);
                    let mut byte = 0u8;
                    libc::read(block_read, (&raw mut byte).cast(), 1);
                    libc::_exit(0);
                }
                libc::write(pids_write, (&raw const pid).cast(), 4);
            }
            libc::_exit(0);
        }
        libc::close(pids_write);
    }
    let mut pids = Vec::with_capacity(count);
    let mut pid = [0u8; 4];
    while read_exact(pids_read, &mut pid) {
        pids.push(i32::from_ne_bytes(pid));
    }
    // SAFETY: reaping the middle process, then releasing its children.
    unsafe {
        libc::wait(std::ptr::null_mut());
        let started = now_ns();
        libc::close(block_write);
        let deadline = Instant::now() + Duration::from_secs(10);
        let alive = |pid: &i32| libc::kill(*pid, 0) == 0;
        // Every 2 ms, and from the first one still there (a pid found gone
        // stays gone: nothing else forks in the namespace): on the one CPU
        // they share, a tighter poll would take time from the init.
        let mut first = 0;
        while Instant::now() < deadline {
            while pids.get(first).is_some_and(|pid| !alive(pid)) {
                first += 1;
            }
            if first == pids.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let took = (now_ns() - started) as u64;
        let left = pids.iter().filter(|p| alive(p)).count() as u64;
        let mut report = [0u8; 16];
        report[..8].copy_from_slice(&took.to_ne_bytes());
        report[8..].copy_from_slice(&left.to_ne_bytes());
        libc::write(1, report.as_ptr().cast(), 16);
    }
}

/// Context switches of each init over 10 s with a sleeping child, all
/// measured over the same 10 s.
fn idle_wakeups(inits: &[Init]) -> Vec<u64> {
    let pids: Vec<i32> = inits.iter().map(start_sleeping).collect();
    let switches = |pid: i32| {
        status_field(pid, "voluntary_ctxt_switches:")
            + status_field(pid, "nonvoluntary_ctxt_switches:")
    };
    let before: Vec<f64> = pids.iter().map(|&p| switches(p)).collect();
    std::thread::sleep(Duration::from_secs(10));
    let after: Vec<f64> = pids.iter().map(|&p| switches(p)).collect();
    for pid in pids {
        stop_sleeping(pid);
    }
    before.iter().zip(after).map(|(b, a)| (a - b) as u64).collect()
}

// ---- the chart ----

/// Two bar charts side by side: file size and VmRSS per init, plain SVG.
fn chart(inits: &[Init], memory: &[(f64, f64)]) -> String {
    let sizes: Vec<f64> = inits.iter().map(|i| file_size(&i.path) as f64 / 1024.0).collect();
    let rss: Vec<f64> = memory.iter().map(|m| m.0).collect();
    let mut svg = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"260\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"760\" height=\"260\" fill=\"white\"/>\n",
    );
    for (panel, (title, values, unit)) in
        [("file size", &sizes, "KiB"), ("memory (VmRSS)", &rss, "kB")].into_iter().enumerate()
    {
        let left = 20.0 + panel as f64 * 380.0;
        let _ = writeln!(
            svg,
            "<text x=\"{left}\" y=\"20\" font-weight=\"bold\">{title}, {unit}</text>"
        );
        let top = values.iter().cloned().fold(0.0, f64::max);
        for (i, (init, value)) in inits.iter().zip(values.iter()).enumerate() {
            let y = 40.0 + i as f64 * 42.0;
            let width = if top > 0.0 { 200.0 * value / top } else { 0.0 };
            let colour = if i == 0 { "#2e7d32" } else { "#9e9e9e" };
            let _ = writeln!(svg, "<text x=\"{left}\" y=\"{}\">{}</text>", y + 16.0, init.name);
            let _ = writeln!(
                svg,
                "<rect x=\"{}\" y=\"{y}\" width=\"{:.1}\" height=\"24\" fill=\"{colour}\"/>",
                left + 80.0,
                width.max(1.0)
            );
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                left + 86.0 + width,
                y + 16.0,
                number(*value)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
