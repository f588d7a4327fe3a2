//! What scythe was asked to do: the settings every run is driven by, whatever
//! name it was started under. Each name starts from its own defaults (see
//! `personality`); options and environment adjust them (see `options`).

use crate::rewrite::RewriteTable;
use crate::status::Ended;

/// Where relayed signals go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    /// The child's whole process group, so `sh -c 'java ...'` passes them on.
    Group,
    /// The child alone.
    Child,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    pub target: Target,
    /// The child leads a session of its own and takes the terminal with it
    /// (`setsid` and `TIOCSCTTY`), after scythe let go of it (`TIOCNOTTY`).
    /// Otherwise the child leads a process group in scythe's session.
    pub new_session: bool,
    pub rewrite: RewriteTable,
    /// 0: nothing but errors and warnings; 1: also relayed signals and the
    /// main child's start and end; 2: also every reaped orphan.
    pub verbosity: u32,
    /// Whether warnings are printed (some names are silent unless verbose).
    pub warnings: bool,
    /// A line on stderr for every orphan reaped (with `warnings`).
    pub warn_on_reap: bool,
    /// Become a child subreaper when not PID 1.
    pub subreaper: bool,
    /// The child starts with the signal mask and ignored signals scythe
    /// inherited, rather than with a clean state.
    pub child_inherits_signals: bool,
    /// When the main child ends, relay SIGTERM (through the rewrite table)
    /// to its process group, which may still hold its helpers.
    pub term_group_on_exit: bool,
    /// After relaying SIGTSTP, SIGTTIN or SIGTTOU, stop scythe too, so the
    /// shell that started it sees the job stop; SIGCONT wakes both.
    pub stop_with_job_signals: bool,
    /// Child exit statuses that scythe reports as 0.
    pub success_statuses: StatusSet,
    /// The signal scythe asks to get when its parent dies (0: none).
    pub parent_death_signal: u8,
}

impl Config {
    /// scythe's exit status for how the main child ended: its own code, or
    /// 128+N for a death by signal N, and 0 for any of `success_statuses`.
    pub fn exit_status(&self, ended: Ended) -> u8 {
        let status = ended.exit_code();
        if self.success_statuses.contains(status) { 0 } else { status }
    }
}

/// A set of exit statuses, 0 to 255.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatusSet([u64; 4]);

impl StatusSet {
    pub const EMPTY: StatusSet = StatusSet([0; 4]);

    pub fn insert(&mut self, status: u8) {
        if let Some(word) = self.0.get_mut(usize::from(status / 64)) {
            *word |= 1 << (status % 64);
        }
    }

    pub fn contains(&self, status: u8) -> bool {
        self.0.get(usize::from(status / 64)).is_some_and(|word| word & (1 << (status % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_statuses_become_zero() {
        let mut config = crate::personality::SCYTHE.defaults();
        config.success_statuses.insert(3);
        config.success_statuses.insert(143);
        assert_eq!(config.exit_status(Ended::Exited(3)), 0);
        assert_eq!(config.exit_status(Ended::Exited(4)), 4);
        assert_eq!(config.exit_status(Ended::Killed(15)), 0);
        assert_eq!(config.exit_status(Ended::Killed(9)), 137);
    }

    #[test]
    fn status_sets_hold_all_256() {
        let mut set = StatusSet::default();
        for status in (0..=255).step_by(3) {
            set.insert(status);
        }
        for status in 0..=255u8 {
            assert_eq!(set.contains(status), status % 3 == 0, "{status}");
        }
    }
}
