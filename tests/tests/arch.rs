//! The checks every build must pass, whatever its architecture (issue #5):
//! run against `$SCYTHE_BIN`, which `make test` points at each file of
//! `make dist` in turn (foreign ones run under qemu-user through
//! binfmt_misc; see tests/with-qemu.sh). scythe runs as PID 1 of a new PID
//! namespace; its children are native programs.

use scythe_tests::*;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

#[test]
fn statuses_pass_through() {
    let cases: &[(&[&str], i32)] = &[
        (&["true"], 0),
        (&["sh", "-c", "exit 3"], 3),
        (&["sh", "-c", "kill -TERM $$"], 128 + 15),
        (&["sh", "-c", "kill -KILL $$"], 128 + 9),
        (&["no-such-command-anywhere"], 127),
    ];
    for (command, code) in cases {
        let finished = scythe(Mode::Pid1).arg("--").args(*command).run();
        assert_eq!(finished.code, *code, "{command:?}: {finished:?}");
    }
}

#[test]
fn signals_are_relayed_and_rewritten() {
    let mut run =
        scythe(Mode::Pid1).args(["-r", "USR1:USR2", "--", PROBE, "signals", "child"]).spawn();
    run.ready("child");
    run.signal(libc::SIGTERM);
    run.expect_line("child 15");
    run.signal(libc::SIGUSR1);
    run.expect_line("child 12");
    assert_eq!(run.end("child").code, 0);
}

#[test]
fn orphans_are_reaped() {
    let finished = scythe(Mode::Pid1).args(["--", PROBE, "orphans", "200", "--exit", "7"]).run();
    assert_eq!(finished.stdout, ["orphaned 200", "reaped 200"], "{finished:?}");
    assert_eq!(finished.code, 7);
}

#[test]
fn the_binary_is_static_and_within_budget() {
    let path = scythe_path();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    let elf = Elf::new(&bytes);
    // The same budget on every architecture, 32-bit x86 included, where
    // rustix's vDSO lookup adds about 2 KiB.
    let budget = 16 * 1024;
    let size = bytes.len();
    assert!(size <= budget, "{} is {size} bytes, over its {budget}-byte budget", path.display());
    assert_eq!(elf.half(16), 2, "ET_EXEC: static, not PIE");
    for kind in elf.program_header_types() {
        assert_ne!(kind, 3, "PT_INTERP: needs a dynamic loader");
        assert_ne!(kind, 2, "PT_DYNAMIC: dynamically linked");
    }
}

/// A little-endian ELF file, 32- or 64-bit.
struct Elf<'a> {
    bytes: &'a [u8],
    wide: bool,
}

impl<'a> Elf<'a> {
    fn new(bytes: &'a [u8]) -> Elf<'a> {
        assert_eq!(bytes[5], 1, "little-endian");
        Elf { bytes, wide: bytes[4] == 2 }
    }

    fn half(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes[at..at + 2].try_into().unwrap())
    }

    fn word(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }

    fn program_header_types(&self) -> Vec<u32> {
        // e_phoff, e_phentsize and e_phnum sit at different offsets in the
        // two classes; p_type is the first word of each entry in both.
        let (phoff, phentsize, phnum) = if self.wide {
            (self.word(32) as usize, self.half(54), self.half(56))
        } else {
            (self.word(28) as usize, self.half(42), self.half(44))
        };
        (0..usize::from(phnum)).map(|i| self.word(phoff + i * usize::from(phentsize))).collect()
    }
}
