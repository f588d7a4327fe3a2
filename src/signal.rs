//! Signal numbers, their names, and sets of them.
//!
//! The numbering is Linux's generic one, shared by every architecture scythe
//! builds for (x86, arm, aarch64, riscv); MIPS, SPARC and Alpha differ and are
//! not targets.

pub const SIGHUP: u8 = 1;
pub const SIGINT: u8 = 2;
pub const SIGQUIT: u8 = 3;
pub const SIGKILL: u8 = 9;
pub const SIGUSR1: u8 = 10;
pub const SIGPIPE: u8 = 13;
pub const SIGTERM: u8 = 15;
pub const SIGCHLD: u8 = 17;
pub const SIGCONT: u8 = 18;
pub const SIGSTOP: u8 = 19;
pub const SIGTSTP: u8 = 20;
pub const SIGTTIN: u8 = 21;
pub const SIGTTOU: u8 = 22;

/// The highest signal number (the kernel's `_NSIG`).
pub const MAX: u8 = 64;

/// The first real-time signal *as programs see it*. The kernel starts at 32,
/// but glibc keeps 32 and 33 for itself and reports `SIGRTMIN` as 34, as do
/// `kill -l` and the programs scythe relays to; `RTMIN+2` means what they mean.
pub const RTMIN: u8 = 34;
pub const RTMAX: u8 = MAX;

/// Names of signals 1 to 31, without the `SIG` prefix, in fixed-width
/// slots of [`SLOT`] bytes padded with spaces (a table of `&str` would take
/// three times the room in the binary).
const NAMES: &[u8; 31 * SLOT] = b"\
HUP   INT   QUIT  ILL   TRAP  ABRT  BUS   FPE   KILL  USR1  SEGV  USR2  \
PIPE  ALRM  TERM  STKFLTCHLD  CONT  STOP  TSTP  TTIN  TTOU  URG   \
XCPU  XFSZ  VTALRMPROF  WINCH IO    PWR   SYS   ";
const SLOT: usize = 6;

/// The name of signal 1 to 31, without `SIG`.
fn plain_name(signal: u8) -> &'static [u8] {
    let start = usize::from(signal.wrapping_sub(1)) * SLOT;
    let slot = NAMES.get(start..start + SLOT).unwrap_or_default();
    crate::text::field(slot, b" ")
}

/// Parses a decimal number with no sign, as used for signals, exit codes and
/// counts. Leading zeros are fine; anything above `max` is `None`.
pub fn parse_number(text: &[u8], max: u32) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    // In 64 bits, which hold ten times `max` and a digit more.
    let mut value: u64 = 0;
    for &byte in text {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
        if value > u64::from(max) {
            return None;
        }
    }
    Some(value as u32)
}

/// Parses a signal given as a number (`15`, and `0` for "no signal") or a
/// name in any case, with or without `SIG` (`TERM`, `SIGTERM`, `sigterm`,
/// `RTMIN`, `RTMIN+2`, `SIGRTMAX`).
// tools/inline.py: smaller as cold (optimised for size).
#[cold]
pub fn parse(text: &[u8]) -> Option<u8> {
    let name = strip_prefix_ignore_case(text, b"SIG").unwrap_or(text);
    // A number, or `SIG36` as messages write signals without a name.
    if let Some(number) = parse_number(name, u32::from(MAX)) {
        return Some(number as u8);
    }
    for signal in 1..32 {
        if same_ignoring_case(name, plain_name(signal)) {
            return Some(signal);
        }
    }
    parse_realtime(name)
}

/// `RTMIN`, `RTMIN+N` and `RTMAX`, within the real-time range.
fn parse_realtime(name: &[u8]) -> Option<u8> {
    if same_ignoring_case(name, b"RTMAX") {
        return Some(RTMAX);
    }
    match strip_prefix_ignore_case(name, b"RTMIN")? {
        [] => Some(RTMIN),
        [b'+', offset @ ..] => Some(RTMIN + parse_number(offset, u32::from(RTMAX - RTMIN))? as u8),
        _ => None,
    }
}

// tools/inline.py: smaller inlined, and as cold (optimised for size).
#[cold]
#[inline(always)]
fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = text.split_at_checked(prefix.len())?;
    same_ignoring_case(head, prefix).then_some(rest)
}

/// `text` equals `upper` (in capitals) but for case. (core's
/// `eq_ignore_ascii_case` comes precompiled for speed, ten times the size.)
fn same_ignoring_case(text: &[u8], upper: &[u8]) -> bool {
    text.len() == upper.len() && text.iter().zip(upper).all(|(t, u)| t.to_ascii_uppercase() == *u)
}

/// The name of `signal` without `SIG` (`TERM`), for 1 to 31; messages
/// write the others as `SIG` and their number (`SIG36`).
// tools/inline.py: smaller inlined.
#[inline(always)]
pub fn name(signal: u8) -> Option<&'static [u8]> {
    (1..=31).contains(&signal).then(|| plain_name(signal))
}

/// A set of signals in the kernel's layout: bit `n - 1` stands for signal `n`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SigSet(u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);

    /// Every signal. The kernel quietly leaves SIGKILL and SIGSTOP out of
    /// any mask it is given.
    pub const FULL: SigSet = SigSet(u64::MAX);

    pub const fn from_bits(bits: u64) -> SigSet {
        SigSet(bits)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub const fn with(self, signal: u8) -> SigSet {
        SigSet(self.0 | bit(signal))
    }

    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub const fn without(self, signal: u8) -> SigSet {
        SigSet(self.0 & !bit(signal))
    }

    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub const fn contains(self, signal: u8) -> bool {
        self.0 & bit(signal) != 0
    }
}

// Not inlined on 32-bit targets, where a 64-bit shift takes many instructions.
#[cfg_attr(target_pointer_width = "32", inline(never))]
const fn bit(signal: u8) -> u64 {
    // Signal 0 wraps to a shift of 2^32 - 1, which is no bit, as is any above
    // MAX (64, the width of the set): one compare where a range check takes
    // two (aarch64 -44 bytes).
    match 1u64.checked_shl((signal as u32).wrapping_sub(1)) {
        Some(bit) => bit,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_parse_alike() {
        assert_eq!(parse(b"15"), Some(SIGTERM));
        assert_eq!(parse(b"015"), Some(SIGTERM));
        assert_eq!(parse(b"TERM"), Some(SIGTERM));
        assert_eq!(parse(b"SIGTERM"), Some(SIGTERM));
        assert_eq!(parse(b"sigterm"), Some(SIGTERM));
        assert_eq!(parse(b"SigHup"), Some(SIGHUP));
        assert_eq!(parse(b"SYS"), Some(31));
        assert_eq!(parse(b"0"), Some(0));
        assert_eq!(parse(b"64"), Some(64));
    }

    #[test]
    fn realtime_names_follow_the_c_library() {
        assert_eq!(parse(b"RTMIN"), Some(34));
        assert_eq!(parse(b"SIGRTMIN+2"), Some(36));
        assert_eq!(parse(b"rtmin+30"), Some(64));
        assert_eq!(parse(b"RTMAX"), Some(64));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            &b""[..],
            b"65",
            b"256",
            b"4294967296",
            b"-1",
            b"+1",
            b"TERMX",
            b"SIG",
            b"RTMIN+31",
            b"RTMIN-1",
            b"RTMAX+1",
            b"RTMAX-1",
            b"RTMIN+",
            b"1.5",
            b" 15",
            b"\xff",
        ] {
            assert_eq!(parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn every_name_round_trips() {
        for signal in 1..=MAX {
            let text = match name(signal) {
                Some(plain) => format!("SIG{}", String::from_utf8_lossy(plain)),
                None => format!("SIG{signal}"),
            };
            assert_eq!(parse(text.as_bytes()), Some(signal), "{text}");
        }
    }

    #[test]
    fn sets_use_the_kernel_layout() {
        let set = SigSet::EMPTY.with(SIGHUP).with(64);
        assert_eq!(set.bits(), 1 | 1 << 63);
        assert!(set.contains(64) && !set.contains(2));
        assert_eq!(set.without(SIGHUP).bits(), 1 << 63);
        assert_eq!(SigSet::EMPTY.with(0).with(65).with(255), SigSet::EMPTY);
    }
}
