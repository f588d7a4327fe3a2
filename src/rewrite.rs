//! The rewrite table: which signal to relay when a given one arrives.
//!
//! `--rewrite 15:3` relays SIGQUIT when SIGTERM arrives (for programs that
//! shut down gracefully on something other than SIGTERM), and `--rewrite 1:0`
//! drops SIGHUP instead of relaying it.

use crate::signal::{self, SIGCHLD, SIGKILL, SIGSTOP, SigSet};
use crate::text;

/// A signal-to-signal map; every signal maps to itself until rewritten.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RewriteTable {
    /// Signal `n` becomes `to[n] ^ n` (0: dropped). Stored so, the identity
    /// is all zeros, which costs nothing to set up.
    to: [u8; signal::MAX as usize + 1],
    /// The signals a user rewrote, which defaults must not touch.
    chosen: SigSet,
}

impl RewriteTable {
    pub const fn identity() -> RewriteTable {
        RewriteTable { to: [0; signal::MAX as usize + 1], chosen: SigSet::EMPTY }
    }

    /// Makes `from` arrive as `to` (0 drops it), as the user chose;
    /// out-of-range numbers are ignored, since parsing has refused them.
    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub fn set(&mut self, from: u8, to: u8) {
        if let Some(slot) = self.to.get_mut(usize::from(from)) {
            *slot = to ^ from;
            self.chosen = self.chosen.with(from);
        }
    }

    /// Makes `from` arrive as `to` unless the user chose otherwise.
    pub fn set_default(&mut self, from: u8, to: u8) {
        if !self.chosen.contains(from) {
            self.set(from, to);
            self.chosen = self.chosen.without(from);
        }
    }

    /// The signal to relay in place of `signal`, or 0 to relay nothing.
    pub fn apply(&self, signal: u8) -> u8 {
        self.to.get(usize::from(signal)).map_or(0, |to| to ^ signal)
    }
}

impl Default for RewriteTable {
    fn default() -> Self {
        Self::identity()
    }
}

/// Which signals a name accepts in a rewrite spec.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SpecRules {
    /// The highest signal number accepted on either side.
    pub highest: u8,
    /// Refuse SIGKILL, SIGSTOP and SIGCHLD as FROM: no process can receive
    /// the first two, and scythe keeps SIGCHLD for reaping.
    pub refuse_unrelayed: bool,
}

impl SpecRules {
    pub const ALL: SpecRules = SpecRules { highest: signal::MAX, refuse_unrelayed: true };
}

/// What is wrong with a `FROM:TO` rewrite spec; each error comes with the
/// part of the spec at fault. (In the order of the parser's problems they
/// become, which lets the compiler map one to the other by adding.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SpecError {
    /// No `:` between the two signals.
    NoColon,
    /// A signal, but above the highest accepted (or 0 as FROM).
    OutOfRange,
    /// FROM is a signal scythe never relays.
    NeverRelayed,
    /// Not a signal name or number.
    NotASignal,
}

/// Parses `FROM:TO`, with FROM and TO as numbers or names (`TERM`, `SIGTERM`,
/// `15`, `RTMIN+2`); TO may be 0, which drops FROM.
pub fn parse_spec(spec: &[u8], rules: SpecRules) -> Result<(u8, u8), (SpecError, &[u8])> {
    let (from_text, to_text) = split_spec(spec).ok_or((SpecError::NoColon, spec))?;
    let from = signal::parse(from_text).ok_or((SpecError::NotASignal, from_text))?;
    let to = signal::parse(to_text).ok_or((SpecError::NotASignal, to_text))?;
    if from == 0 || from > rules.highest {
        return Err((SpecError::OutOfRange, from_text));
    }
    if to > rules.highest {
        return Err((SpecError::OutOfRange, to_text));
    }
    if rules.refuse_unrelayed && matches!(from, SIGKILL | SIGSTOP | SIGCHLD) {
        return Err((SpecError::NeverRelayed, from_text));
    }
    Ok((from, to))
}

/// FROM and TO, split at the first colon.
// tools/inline.py: smaller inlined.
#[inline(always)]
pub fn split_spec(spec: &[u8]) -> Option<(&[u8], &[u8])> {
    match text::split_at_any(spec, b":") {
        (from, Some(to)) => Some((from, to)),
        (_, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{SIGHUP, SIGQUIT, SIGTERM, SIGUSR1};

    #[test]
    fn identity_until_rewritten() {
        let mut table = RewriteTable::identity();
        for n in 1..=signal::MAX {
            assert_eq!(table.apply(n), n);
        }
        table.set(SIGTERM, SIGQUIT);
        table.set(SIGHUP, 0);
        assert_eq!(table.apply(SIGTERM), SIGQUIT);
        assert_eq!(table.apply(SIGHUP), 0);
        assert_eq!(table.apply(SIGUSR1), SIGUSR1);
    }

    #[test]
    fn later_rewrites_win() {
        let mut table = RewriteTable::identity();
        table.set(SIGTERM, SIGQUIT);
        table.set(SIGTERM, SIGUSR1);
        assert_eq!(table.apply(SIGTERM), SIGUSR1);
    }

    #[test]
    fn out_of_range_is_harmless() {
        let mut table = RewriteTable::identity();
        table.set(200, 1);
        assert_eq!(table.apply(200), 0);
        assert_eq!(table, RewriteTable::identity());
    }

    #[test]
    fn defaults_yield_to_choices() {
        let mut table = RewriteTable::identity();
        table.set(SIGTERM, SIGQUIT);
        table.set_default(SIGTERM, SIGSTOP);
        table.set_default(SIGHUP, SIGSTOP);
        assert_eq!(table.apply(SIGTERM), SIGQUIT);
        assert_eq!(table.apply(SIGHUP), SIGSTOP);
        // A default is no choice: a later default still applies.
        table.set_default(SIGHUP, SIGUSR1);
        assert_eq!(table.apply(SIGHUP), SIGUSR1);
    }

    #[test]
    fn specs_take_names_and_numbers() {
        let all = SpecRules::ALL;
        assert_eq!(parse_spec(b"15:3", all), Ok((SIGTERM, SIGQUIT)));
        assert_eq!(parse_spec(b"TERM:SIGQUIT", all), Ok((SIGTERM, SIGQUIT)));
        assert_eq!(parse_spec(b"SIGHUP:0", all), Ok((SIGHUP, 0)));
        assert_eq!(parse_spec(b"USR1:RTMIN+2", all), Ok((SIGUSR1, 36)));
        assert_eq!(parse_spec(b"TERM:KILL", all), Ok((SIGTERM, SIGKILL)));
    }

    #[test]
    fn bad_specs_name_the_bad_part() {
        use SpecError::*;
        let all = SpecRules::ALL;
        let cases: &[(&[u8], SpecError, &[u8])] = &[
            (b"15", NoColon, b"15"),
            (b"", NoColon, b""),
            (b":3", NotASignal, b""),
            (b"0:3", OutOfRange, b"0"),
            (b"KILL:3", NeverRelayed, b"KILL"),
            (b"STOP:3", NeverRelayed, b"STOP"),
            (b"CHLD:3", NeverRelayed, b"CHLD"),
            (b"99:3", NotASignal, b"99"),
            (b"15:", NotASignal, b""),
            (b"15:65", NotASignal, b"65"),
            (b"15:3:4", NotASignal, b"3:4"),
            (b"15:99999999999999999999", NotASignal, b"99999999999999999999"),
        ];
        for &(spec, error, part) in cases {
            assert_eq!(parse_spec(spec, all), Err((error, part)), "{spec:?}");
        }
    }

    #[test]
    fn narrower_rules_for_names_that_want_them() {
        let classic = SpecRules { highest: 31, refuse_unrelayed: false };
        assert_eq!(parse_spec(b"31:0", classic), Ok((31, 0)));
        assert_eq!(parse_spec(b"9:1", classic), Ok((SIGKILL, SIGHUP)));
        assert_eq!(parse_spec(b"32:1", classic), Err((SpecError::OutOfRange, &b"32"[..])));
        assert_eq!(parse_spec(b"1:RTMIN", classic), Err((SpecError::OutOfRange, &b"RTMIN"[..])));
    }
}
