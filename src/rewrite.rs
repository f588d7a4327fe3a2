//! The rewrite table: which signal to relay when a given one arrives.
//!
//! `--rewrite 15:3` relays SIGQUIT when SIGTERM arrives (for programs that
//! shut down gracefully on something other than SIGTERM), and `--rewrite 1:0`
//! drops SIGHUP instead of relaying it.

use crate::signal::{self, SIGCHLD, SIGKILL, SIGSTOP};

/// A signal-to-signal map; every signal maps to itself until rewritten.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RewriteTable {
    /// `to[n]` is what signal `n` becomes; 0 means "drop it".
    to: [u8; signal::MAX as usize + 1],
}

impl RewriteTable {
    pub const fn identity() -> RewriteTable {
        let mut to = [0; signal::MAX as usize + 1];
        let mut n = 0;
        while n < to.len() {
            to[n] = n as u8;
            n += 1;
        }
        RewriteTable { to }
    }

    /// Makes `from` arrive as `to` (0 drops it); out-of-range numbers are
    /// ignored, since parsing has already refused them.
    pub fn set(&mut self, from: u8, to: u8) {
        if let Some(slot) = self.to.get_mut(usize::from(from)) {
            *slot = to;
        }
    }

    /// The signal to relay in place of `signal`, or 0 to relay nothing.
    pub fn apply(&self, signal: u8) -> u8 {
        self.to.get(usize::from(signal)).copied().unwrap_or(0)
    }
}

impl Default for RewriteTable {
    fn default() -> Self {
        Self::identity()
    }
}

/// What is wrong with a `FROM:TO` rewrite spec.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SpecError {
    /// No `:` between the two signals.
    NoColon,
    /// FROM is not a signal, or not one that scythe ever receives.
    BadFrom,
    /// TO is not a signal number or name (0 is allowed: it drops).
    BadTo,
}

/// Parses `FROM:TO`, with FROM and TO as numbers or names (`TERM`, `SIGTERM`,
/// `15`, `RTMIN+2`); TO may be 0. FROM cannot be SIGKILL or SIGSTOP (no
/// process can receive them) nor SIGCHLD (scythe keeps it for reaping).
pub fn parse_spec(spec: &[u8]) -> Result<(u8, u8), SpecError> {
    let colon = spec.iter().position(|&b| b == b':').ok_or(SpecError::NoColon)?;
    let (from, to) = (&spec[..colon], &spec[colon + 1..]);
    let from = match signal::parse(from) {
        Some(0 | SIGKILL | SIGSTOP | SIGCHLD) | None => return Err(SpecError::BadFrom),
        Some(from) => from,
    };
    let to = signal::parse(to).ok_or(SpecError::BadTo)?;
    Ok((from, to))
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
    fn specs_take_names_and_numbers() {
        assert_eq!(parse_spec(b"15:3"), Ok((SIGTERM, SIGQUIT)));
        assert_eq!(parse_spec(b"TERM:SIGQUIT"), Ok((SIGTERM, SIGQUIT)));
        assert_eq!(parse_spec(b"SIGHUP:0"), Ok((SIGHUP, 0)));
        assert_eq!(parse_spec(b"USR1:RTMIN+2"), Ok((SIGUSR1, 36)));
        assert_eq!(parse_spec(b"TERM:KILL"), Ok((SIGTERM, SIGKILL)));
    }

    #[test]
    fn bad_specs_name_the_bad_part() {
        assert_eq!(parse_spec(b"15"), Err(SpecError::NoColon));
        assert_eq!(parse_spec(b""), Err(SpecError::NoColon));
        assert_eq!(parse_spec(b":3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"0:3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"KILL:3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"STOP:3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"CHLD:3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"99:3"), Err(SpecError::BadFrom));
        assert_eq!(parse_spec(b"15:"), Err(SpecError::BadTo));
        assert_eq!(parse_spec(b"15:65"), Err(SpecError::BadTo));
        assert_eq!(parse_spec(b"15:3:4"), Err(SpecError::BadTo));
        assert_eq!(parse_spec(b"15:99999999999999999999"), Err(SpecError::BadTo));
    }
}
