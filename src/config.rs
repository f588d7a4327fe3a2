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
#[repr(C)]
pub struct Config {
    /// How long, once the main child has ended, the processes it leaves
    /// behind get to stop after SIGTERM before they are SIGKILLed (0: no
    /// waiting at all).
    pub grace_ms: u32,
    pub target: Target,
    /// The child leads a session of its own and takes the terminal with it
    /// (`setsid` and `TIOCSCTTY`), after scythe let go of it (`TIOCNOTTY`).
    /// Otherwise the child leads a process group in scythe's session.
    pub new_session: bool,
    /// Whether warnings are printed (some names are silent unless verbose).
    pub warnings: bool,
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
    /// When the main child stops for a job-control signal (Ctrl-Z), stop
    /// scythe too, so the shell that started it sees its job stop; once
    /// continued, scythe hands the terminal back to the child if it has it.
    pub stop_with_child: bool,
    pub rewrite: RewriteTable,
    /// 0: nothing but errors and warnings; 1: also relayed signals and the
    /// main child's start and end; 2: also every reaped orphan.
    pub verbosity: u32,
    /// A line on stderr for every orphan reaped (with `warnings`).
    pub warn_on_reap: bool,
    /// Child exit statuses that scythe reports as 0.
    pub success_statuses: StatusSet,
    /// The signal scythe asks to get when its parent dies (0: none).
    pub parent_death_signal: u8,
    /// How long after relaying SIGTERM or SIGINT the main child gets before
    /// it is SIGKILLed (0: never).
    pub kill_after_ms: u32,
    /// How long SIGTERM and SIGINT are held before they are relayed, while
    /// load balancers stop sending the child work (0: not at all).
    pub stop_delay_ms: u32,
    /// Relay signals to every process scythe can reach, not just its child.
    pub broadcast: bool,
    /// No child: only reap what is handed to scythe, until SIGTERM or SIGINT.
    pub pause: bool,
    /// The user and group COMMAND runs as.
    pub user: Option<User>,
    /// Start COMMAND with `PR_SET_NO_NEW_PRIVS`.
    pub no_new_privs: bool,
}

/// Numeric ids: a scratch image has no /etc/passwd to look names up in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

impl User {
    /// Parses `UID[:GID]`; without GID, the group id is the user id (never
    /// root's group by default).
    // tools/inline.py: smaller inlined, and as cold (optimised for size).
    #[cold]
    #[inline(always)]
    pub fn parse(text: &[u8]) -> Option<User> {
        let number = |text| crate::signal::parse_number(text, u32::MAX);
        match crate::rewrite::split_spec(text) {
            Some((uid, gid)) => Some(User { uid: number(uid)?, gid: number(gid)? }),
            None => number(text).map(|uid| User { uid, gid: uid }),
        }
    }
}

impl Config {
    /// scythe's exit status for how the main child ended: its own code, or
    /// 128+N for a death by signal N, and 0 for any of `success_statuses`.
    // tools/inline.py: smaller as cold (optimised for size).
    #[cold]
    pub fn exit_status(&self, ended: Ended) -> u8 {
        let status = ended.exit_code();
        if self.success_statuses.contains(status) { 0 } else { status }
    }
}

/// A set of exit statuses, 0 to 255 (in 32-bit words, which 32-bit targets
/// handle in one instruction).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatusSet([u32; 8]);

impl StatusSet {
    pub const EMPTY: StatusSet = StatusSet([0; 8]);

    pub fn insert(&mut self, status: u8) {
        if let Some(word) = self.0.get_mut(usize::from(status / 32)) {
            *word |= 1 << (status % 32);
        }
    }

    pub fn contains(&self, status: u8) -> bool {
        self.0.get(usize::from(status / 32)).is_some_and(|word| word & (1 << (status % 32)) != 0)
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
    fn users_are_numbers() {
        assert_eq!(User::parse(b"65534:65534"), Some(User { uid: 65534, gid: 65534 }));
        assert_eq!(User::parse(b"1000"), Some(User { uid: 1000, gid: 1000 }));
        assert_eq!(User::parse(b"0:5"), Some(User { uid: 0, gid: 5 }));
        for bad in [&b"nobody"[..], b"", b":", b"1:", b":1", b"-1", b"1:2:3", b"4294967296"] {
            assert_eq!(User::parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
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
