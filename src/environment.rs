//! The environment, read once: at start-up scythe picks out, in one pass,
//! every variable it may use, and the parser asks that result.
//!
//! Kubernetes gives every container seven variables per Service (service
//! links), thousands of them in a large cluster, and scythe reads none of
//! those: each is turned away on its first byte or two, so start-up costs a
//! few instructions per variable, however many names scythe knows. When a
//! variable is given twice, the first counts, as for `getenv`.

use core::mem::MaybeUninit;

use crate::personality::{self, ENVIRONMENT};
use crate::text;

/// An environment entry, `NAME=value`, read a byte at a time: entries come
/// from the kernel as C strings, and most are never read past their first
/// byte or two, so they are never measured either.
pub trait Entry<'a>: Copy {
    /// The byte at `at`, 0 at the end of the entry.
    ///
    /// # Safety
    /// No byte before `at` may be the end (0): the entry is never read past
    /// its end.
    unsafe fn byte(self, at: usize) -> u8;

    /// The bytes from `at` to the end (`at` at most the entry's length).
    ///
    /// # Safety
    /// As for [`Entry::byte`].
    unsafe fn rest(self, at: usize) -> &'a [u8];
}

/// An entry held as a slice (its end is the slice's end), as tests hold them.
impl<'a> Entry<'a> for &'a [u8] {
    unsafe fn byte(self, at: usize) -> u8 {
        self.get(at).copied().unwrap_or(0)
    }

    unsafe fn rest(self, at: usize) -> &'a [u8] {
        self.get(at..).unwrap_or_default()
    }
}

/// Bit `b % 32` of `PREFIXES[at]` is set for the byte `b` at `at` of each
/// name scythe reads: a test per byte turns away most entries on their first
/// byte or two, and nearly all by their fourth. (`%` and not a range check:
/// among capitals, digits and `_`, which names are made of, few bytes share
/// a bit.)
const PREFIXES: [u32; 4] = {
    let mut masks = [0; 4];
    let help = personality::ENVIRONMENT_HELP;
    let mut start = 0;
    while start < help.len() {
        let mut at = 0;
        while at < masks.len() {
            masks[at] |= 1 << (help[start + at] % 32);
            at += 1;
        }
        while start < help.len() && help[start] != b'\n' {
            start += 1;
        }
        start += 1;
    }
    let mut name = 0;
    while name < FOR_COMMAND.len() {
        let mut at = 0;
        while at < masks.len() {
            masks[at] |= 1 << (FOR_COMMAND[name][at] % 32);
            at += 1;
        }
        name += 1;
    }
    masks
};
// The end of an entry (0) has bit 0, which no name's byte may have: the
// tests stop there, and never read past the end.
const _: () = assert!(PREFIXES[0] & 1 == 0 && PREFIXES[1] & 1 == 0);
const _: () = assert!(PREFIXES[2] & 1 == 0 && PREFIXES[3] & 1 == 0);
/// The variables starting COMMAND takes: `PATH`, to find it, and socket
/// activation's `LISTEN_PID`, to point at it. They are kept after the
/// variables of [`ENVIRONMENT`], in this order.
const FOR_COMMAND: [&[u8]; 2] = [b"PATH", b"LISTEN_PID"];
const PATH: usize = ENVIRONMENT.len();
const LISTEN_PID: usize = PATH + 1;

/// The values of the variables scythe may use, each as first given.
#[derive(Clone, Copy)]
pub struct Environment<'a> {
    /// Bit `n` is set once `values[n]` holds a value. (A mask, and no
    /// `Option` per value, so that an environment starts out as one zero
    /// rather than a table of them.)
    found: u32,
    values: [MaybeUninit<&'a [u8]>; LISTEN_PID + 1],
}

impl<'a> Environment<'a> {
    /// An environment that sets nothing, to [`read`](Environment::read) into.
    // tools/inline.py: smaller out of line.
    #[inline(never)]
    pub const fn new() -> Environment<'a> {
        Environment { found: 0, values: [MaybeUninit::uninit(); LISTEN_PID + 1] }
    }

    /// Picks scythe's variables out of `entries`, in one pass.
    pub fn read<E: Entry<'a>>(&mut self, entries: impl Iterator<Item = E>) {
        for entry in entries {
            let Some((index, value_at)) = known(entry) else { continue };
            let bit = 1 << index;
            if let Some(slot) = self.values.get_mut(index)
                && self.found & bit == 0
            {
                // SAFETY: `known` found the name and its `=` before the end.
                slot.write(unsafe { entry.rest(value_at) });
                self.found |= bit;
            }
        }
    }

    /// Whether any variable of [`ENVIRONMENT`] is set.
    pub fn any_of_its_own(&self) -> bool {
        self.found & ((1 << PATH) - 1) != 0
    }

    /// The value of the variable of `ENVIRONMENT[index]`, if set.
    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub fn variable(&self, index: usize) -> Option<&'a [u8]> {
        let slot = self.values.get(index)?;
        // SAFETY: the bit is set only once the slot has been written.
        (self.found >> index & 1 != 0).then(|| unsafe { slot.assume_init() })
    }

    /// The value of `PATH`, if set.
    pub fn path(&self) -> Option<&'a [u8]> {
        self.variable(PATH)
    }

    /// The value of `LISTEN_PID`, if set.
    pub fn listen_pid(&self) -> Option<&'a [u8]> {
        self.variable(LISTEN_PID)
    }
}

impl Default for Environment<'_> {
    fn default() -> Self {
        Self::new()
    }
}

// One bit each in `found`.
const _: () = assert!(LISTEN_PID < 32);

/// Which variable `entry` sets (its index, as in [`Environment::values`]),
/// and where its value starts; `None` for a variable scythe does not read.
// (A counter of its own for the names for COMMAND: `enumerate` or `zip`
// costs 16 bytes more there.)
#[allow(clippy::explicit_counter_loop)]
fn known<'a>(entry: impl Entry<'a>) -> Option<(usize, usize)> {
    // SAFETY: each byte before `at` passed its test, which the end (0)
    // never does.
    let passes = |at: usize| PREFIXES[at] >> (unsafe { entry.byte(at) } % 32) & 1 != 0;
    // (Written out: a loop would cost every entry more, and the first two
    // tests turn away nearly all of them.)
    if !passes(0) || !passes(1) || !passes(2) || !passes(3) {
        return None;
    }
    // Most likely a name scythe reads. PATH, which nearly every process
    // has, first; then the help lines, where the other names are written.
    let mut index = PATH;
    for name in &FOR_COMMAND {
        if sets(entry, name) {
            return Some((index, name.len() + 1));
        }
        index += 1;
    }
    let mut lines = Some(personality::ENVIRONMENT_HELP);
    let mut index = 0;
    while let Some(rest) = lines {
        let (line, next) = text::split_at_any(rest, b"\n");
        let name = personality::variable(line);
        if sets(entry, name) {
            return Some((index, name.len() + 1));
        }
        (lines, index) = (next, index + 1);
    }
    None
}

/// Whether `entry` sets the variable `name` (which holds no 0): begins with
/// `name=`. The comparison stops at the first byte that differs, at the
/// entry's end at the latest.
fn sets<'a>(entry: impl Entry<'a>, name: &[u8]) -> bool {
    // SAFETY: every byte read before `at` equalled a byte of `name`, so none
    // of them was the end.
    let prefix = name.iter().enumerate().all(|(at, &byte)| unsafe { entry.byte(at) } == byte);
    // SAFETY: as above, for every byte of `name`.
    prefix && unsafe { entry.byte(name.len()) } == b'='
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<'a>(entries: &[&'a [u8]]) -> Environment<'a> {
        let mut environment = Environment::new();
        environment.read(entries.iter().copied());
        environment
    }

    fn index_of(name: &[u8]) -> usize {
        personality::ENVIRONMENT_HELP
            .split(|&b| b == b'\n')
            .position(|line| personality::variable(line) == name)
            .unwrap()
    }

    #[test]
    fn picks_its_own_and_passes_over_the_rest() {
        let env = read(&[
            b"HOME=/root",
            b"SCYTHE_GRACE=3s",
            b"KUBERNETES_SERVICE_HOST=10.0.0.1",
            b"PATH=/bin",
            b"TINI_SUBREAPER=",
            b"SCYTHE_GRACEFUL=1",
            b"SCYTHE=1",
            b"S",
            b"",
        ]);
        assert_eq!(env.variable(index_of(b"SCYTHE_GRACE")), Some(&b"3s"[..]));
        assert_eq!(env.variable(index_of(b"TINI_SUBREAPER")), Some(&b""[..]));
        assert_eq!(env.variable(index_of(b"SCYTHE_VERBOSE")), None);
        assert_eq!(env.path(), Some(&b"/bin"[..]));
        assert!(env.any_of_its_own());
        assert!(!read(&[b"PATH=/bin", b"HOME=/"]).any_of_its_own());
    }

    #[test]
    fn the_first_of_two_wins_as_for_getenv() {
        let env = read(&[b"SCYTHE_USER=1", b"PATH=/a", b"SCYTHE_USER=2", b"PATH=/b"]);
        assert_eq!(env.variable(index_of(b"SCYTHE_USER")), Some(&b"1"[..]));
        assert_eq!(env.path(), Some(&b"/a"[..]));
    }

    #[test]
    fn names_are_whole_and_exact() {
        let env = read(&[b"PATH", b"PATHS=/x", b"path=/y", b"SCYTHE_ALL", b"scythe_all=1"]);
        assert!((0..=LISTEN_PID).all(|index| env.variable(index).is_none()));
        assert!(!env.any_of_its_own());
    }

    #[test]
    fn every_name_is_long_enough_for_the_prefix_tests() {
        for line in personality::ENVIRONMENT_HELP.split(|&b| b == b'\n') {
            assert!(personality::variable(line).len() >= PREFIXES.len(), "{line:?}");
        }
        assert_eq!(personality::ENVIRONMENT_HELP.split(|&b| b == b'\n').count(), PATH);
    }
}
