//! Load (issue #8): a storm of 100,000 signals, a storm of 100,000 orphans
//! with signals arriving throughout, and (`make soak`, ignored by default)
//! both at once for minutes on end. scythe runs as PID 1 in each.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

/// Closes a batch of `probe count` (see the probe).
const MARKER: i32 = 62;

/// Standard signals the storms send: they coalesce while pending.
const STANDARD: [i32; 10] = [1, 2, 3, 10, 12, 13, 14, 15, 23, 28];
/// Real-time signals the storms send: they queue. (62 is the marker, 63
/// the probe's exit signal.)
const REALTIME: std::ops::RangeInclusive<i32> = 34..=61;

/// A small deterministic generator (xorshift): the same storm every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

/// `size` signals, 4 in 10 standard; with `sorted`, the real-time ones in
/// non-decreasing order (the standard ones stay where they fell).
fn batch(dice: &mut Dice, size: usize, sorted: bool) -> Vec<i32> {
    let realtime: Vec<i32> = REALTIME.collect();
    let mut signals: Vec<i32> = (0..size)
        .map(|_| match dice.roll(10) {
            0..4 => STANDARD[dice.roll(STANDARD.len())],
            _ => realtime[dice.roll(realtime.len())],
        })
        .collect();
    if sorted {
        let mut ordered: Vec<i32> = signals.iter().copied().filter(|s| *s > 31).collect();
        ordered.sort();
        let mut next = ordered.into_iter();
        for signal in signals.iter_mut().filter(|s| **s > 31) {
            *signal = next.next().unwrap();
        }
    }
    signals
}

/// Sends `signals` to `pid`, then the marker, and checks the batch the
/// probe reports: every real-time signal exactly as often as sent (and in
/// order, if they were sent in order), every standard one at least once
/// and at most as often as sent.
fn storm_batch(run: &mut Running, pid: i32, signals: &[i32], sorted: bool) {
    let mut sent = [0u32; 65];
    for &signal in signals {
        // SAFETY: kill takes no pointers.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {signal}");
        sent[signal as usize] += 1;
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, MARKER) }, 0);
    let line = run.next_line();
    let mut words = line.split(' ');
    assert_eq!(words.next(), Some("batch"), "{line}");
    let order = words.next().unwrap();
    let mut got = [0u32; 65];
    for word in words {
        let (signal, count) = word.split_once(':').unwrap();
        got[signal.parse::<usize>().unwrap()] = count.parse().unwrap();
    }
    for signal in 1..=64 {
        let (sent, got) = (sent[signal], got[signal]);
        if signal > 31 {
            assert_eq!(got, sent, "signal {signal}: {line}");
        } else {
            assert!(got <= sent && (sent == 0 || got >= 1), "signal {signal}: sent {sent}, {line}");
        }
    }
    if sorted {
        assert_eq!(order, "sorted", "{line}");
    }
}

#[test]
fn a_storm_of_100_000_signals() {
    let mut run = scythe(Mode::Pid1).args(["-c", "--", PROBE, "count"]).spawn();
    run.ready("count");
    let scythe = run.scythe_pid();
    let mut dice = Dice(0x5c97e);
    // In batches of 1,000 (each checked before the next is sent), so the
    // queues stay far below RLIMIT_SIGPENDING, which would make the kernel
    // drop real-time signals silently. Every other batch sends its
    // real-time signals in order.
    for number in 0..100 {
        let sorted = number % 2 == 0;
        let signals = batch(&mut dice, 1_000, sorted);
        storm_batch(&mut run, scythe, &signals, sorted);
    }
    // The last of a run of one standard signal is never swallowed.
    storm_batch(&mut run, scythe, &[libc::SIGHUP; 500], false);
    run.signal(EXIT_SIGNAL);
    run.expect_line("exit count");
    assert_eq!(run.finish().code, 0);
}

/// scythe's resident memory (VmRSS), as /proc says it: `24 kB`.
fn resident(pid: i32) -> String {
    status_field(pid, "VmRSS")
}

/// Waits (bounded) until every process in scythe's namespace but scythe is
/// one of `expected` (in order of pid): no zombie is left.
fn wait_for_only(scythe: i32, expected: &[i32]) {
    let only_expected = || {
        let mut left = descendants(scythe);
        left.sort();
        left == expected
    };
    wait_until(only_expected, &format!("only {expected:?} are left under scythe"));
}

/// Sends a mix of signals to `pid` every millisecond until told to stop;
/// returns how many of the real-time one (40) it sent.
fn keep_signalling(pid: i32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut realtime = 0;
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let signal = [libc::SIGUSR1, 40, libc::SIGHUP, libc::SIGWINCH][n % 4];
            // SAFETY: kill takes no pointers.
            assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "scythe is gone");
            realtime += usize::from(signal == 40);
            n += 1;
            // Pacing, not synchronisation: a steady trickle, not a flood.
            std::thread::sleep(Duration::from_millis(1));
        }
        realtime
    })
}

#[test]
fn a_storm_of_100_000_orphans_under_signals() {
    let total = 100_000;
    let mut run = scythe(Mode::Pid1)
        .args(["-c", "--", PROBE, "orphan-waves", &total.to_string(), "1000"])
        .spawn();
    run.ready("waves");
    let scythe = run.scythe_pid();
    let main = children(scythe)[0];
    // The first wave, handed over before `ready`, is reaped: scythe has
    // been down every path once, so its memory is what it will stay.
    wait_for_only(scythe, &[main]);
    let memory = resident(scythe);

    let stop = Arc::new(AtomicBool::new(false));
    let signalling = keep_signalling(scythe, Arc::clone(&stop));
    run.signal(libc::SIGUSR2);
    let started = Instant::now();
    match run.next_line_within(Duration::from_secs(300)) {
        Some(line) if line == format!("orphaned {total}") => {}
        other => run.fail(&format!("expected `orphaned {total}`, got {other:?}")),
    }
    stop.store(true, Ordering::Relaxed);
    let realtime_sent = signalling.join().unwrap();
    wait_for_only(scythe, &[main]);
    eprintln!("{total} orphans in {:?}; {realtime_sent} of signal 40 relayed", started.elapsed());

    assert_eq!(resident(scythe), memory, "scythe's memory grew");
    assert_stays_asleep(scythe, Duration::from_secs(1), "after the storm");

    // Every real-time signal sent meanwhile reached the child, once.
    run.signal(EXIT_SIGNAL);
    let mut realtime_got = 0;
    loop {
        let line = run.next_line();
        if line == "exit child" {
            break;
        }
        realtime_got += usize::from(line == "child 40");
    }
    assert_eq!(realtime_got, realtime_sent);
    assert_eq!(run.finish().code, 0);
}

/// Forks on the whole machine so far (`processes` in /proc/stat).
fn forks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    let line = stat.lines().find(|l| l.starts_with("processes ")).unwrap();
    line[10..].trim().parse().unwrap()
}

/// `make soak`: both storms at once, for $SOAK_SECONDS (180 by default).
#[test]
#[ignore]
fn soak() {
    let seconds = std::env::var("SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(180);
    // The orphan maker is handed to scythe at once (its parent, a subshell,
    // exits) and waits for SIGUSR2 to start; `-c` keeps the storm's signals
    // for the counting probe alone.
    let script = format!("({PROBE} orphan-waves 1000000000000 500 &); exec {PROBE} count");
    let mut run = scythe(Mode::Pid1).args(["-c", "--", "sh", "-c", &script]).spawn();
    let mut ready: Vec<String> = vec![run.next_line(), run.next_line()];
    ready.sort();
    assert!(
        ready[0].starts_with("ready count") && ready[1].starts_with("ready waves"),
        "{ready:?}"
    );
    let scythe = run.scythe_pid();
    let is_maker = |pid: &i32| {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        String::from_utf8_lossy(&cmdline).contains("orphan-waves")
    };
    let deadline = Instant::now() + TIMEOUT;
    let (main, maker) = loop {
        let mut found = children(scythe);
        found.sort();
        if let [a, b] = found[..] {
            break if is_maker(&b) { (a, b) } else { (b, a) };
        }
        assert!(Instant::now() < deadline, "scythe's children: {found:?}");
        std::thread::sleep(Duration::from_millis(10));
    };
    wait_for_only(scythe, &[main.min(maker), main.max(maker)]);
    let memory = resident(scythe);
    let forks_before = forks();
    // SAFETY: kill takes no pointers.
    assert_eq!(unsafe { libc::kill(maker, libc::SIGUSR2) }, 0);

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut dice = Dice(0x50a6);
    let (mut batches, mut signals) = (0, 0);
    while Instant::now() < deadline {
        let sorted = batches % 2 == 0;
        let batch = batch(&mut dice, 1_000, sorted);
        storm_batch(&mut run, scythe, &batch, sorted);
        batches += 1;
        signals += batch.len();
    }
    // SAFETY: kill takes no pointers.
    assert_eq!(unsafe { libc::kill(maker, libc::SIGKILL) }, 0);
    wait_for_only(scythe, &[main]);
    let forked = forks() - forks_before;
    eprintln!("soak: {seconds} s: {signals} signals in {batches} batches; {forked} forks");
    assert!(forked > 0 && batches > 0);
    assert_eq!(resident(scythe), memory, "scythe's memory grew");
    run.signal(EXIT_SIGNAL);
    run.expect_line("exit count");
    assert_eq!(run.finish().code, 0);
}
