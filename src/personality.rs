//! The names scythe answers to, as data: per name, the options it accepts,
//! the environment it reads, its defaults and how it reports.
//!
//! Images that say `ENTRYPOINT ["/usr/bin/dumb-init", "--"]` or `["/tini",
//! "--"]`, and Docker's `docker-init`, can have scythe copied in under that
//! name and change nothing else. The name is the basename of argv\[0\]. The
//! behaviour of those tools is followed; their words are not: every message,
//! help text and version line is scythe's own.

use crate::config::{Config, StatusSet, Target};
use crate::rewrite::{RewriteTable, SpecRules};

/// The conventions scythe follows: one per family of names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Convention {
    /// scythe's own (any name not listed below).
    Scythe,
    /// `dumb-init`.
    DumbInit,
    /// `tini`, `tini-static`, `docker-init`.
    Tini,
}

impl Convention {
    /// The convention for argv\[0\] (a path, of which the basename counts).
    pub fn for_argv0(argv0: &[u8]) -> Convention {
        let name = match argv0.iter().rposition(|&b| b == b'/') {
            Some(slash) => &argv0[slash + 1..],
            None => argv0,
        };
        const NAMES: [(&[u8], Convention); 4] = [
            (b"dumb-init", Convention::DumbInit),
            (b"tini", Convention::Tini),
            (b"tini-static", Convention::Tini),
            (b"docker-init", Convention::Tini),
        ];
        NAMES.iter().find(|(known, _)| *known == name).map_or(Convention::Scythe, |&(_, c)| c)
    }

    pub fn personality(self) -> &'static Personality {
        match self {
            Convention::Scythe => &SCYTHE,
            Convention::DumbInit => &DUMB_INIT,
            Convention::Tini => &TINI,
        }
    }

    /// This convention's bit in [`Opt::names`] and [`EnvRule::names`].
    pub const fn bit(self) -> u8 {
        1 << self as u8
    }
}

const SC: u8 = Convention::Scythe.bit();
const DI: u8 = Convention::DumbInit.bit();
const TI: u8 = Convention::Tini.bit();

/// Everything that differs between the names.
pub struct Personality {
    pub convention: Convention,
    pub defaults: Defaults,
    /// Exit status for a usage error.
    pub usage_status: u8,
    /// How `-v` and the verbosity variable count.
    pub verbosity: Verbosity,
    pub rewrite_rules: SpecRules,
    pub version: VersionStyle,
    /// Help goes to stderr rather than stdout.
    pub help_on_stderr: bool,
}

/// The settings in which the names differ, as each starts out. (Stored
/// apart from [`Config`], whose tables would take room three times over.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Defaults {
    pub target: Target,
    pub grace_ms: u32,
    pub new_session: bool,
    pub warnings: bool,
    pub subreaper: bool,
    pub child_inherits_signals: bool,
    pub term_group_on_exit: bool,
    pub stop_with_job_signals: bool,
}

impl Personality {
    /// The settings this name starts from, before options and environment.
    pub fn defaults(&self) -> Config {
        let d = self.defaults;
        Config {
            target: d.target,
            new_session: d.new_session,
            rewrite: RewriteTable::identity(),
            verbosity: 0,
            warnings: d.warnings,
            warn_on_reap: false,
            subreaper: d.subreaper,
            child_inherits_signals: d.child_inherits_signals,
            term_group_on_exit: d.term_group_on_exit,
            stop_with_job_signals: d.stop_with_job_signals,
            success_statuses: StatusSet::EMPTY,
            parent_death_signal: 0,
            grace_ms: d.grace_ms,
            kill_after_ms: 0,
            broadcast: false,
            pause: false,
            user: None,
            no_new_privs: false,
        }
    }
}

/// How verbosity is counted under a name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verbosity {
    /// Each `-v` is a level (0 is quiet but for warnings).
    Levels,
    /// Verbose or not: `-v` shows everything; warnings only when verbose.
    OnOff,
    /// Levels counted from 1, the default, which shows warnings only; 0
    /// silences them; each level above shows more.
    FromOne,
}

/// The shape of the `--version` line; it always names scythe.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VersionStyle {
    /// `scythe 0.1.0` on stdout.
    Plain,
    /// `scythe v0.1.0` on stderr.
    Prefixed,
    /// `scythe version 0.1.0 - git.COMMIT` on stdout, a shape that tools
    /// which read a version out of that line understand.
    Dashed,
}

/// What an option does when it is given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    SingleChild,
    Group,
    Rewrite,
    Verbose,
    Subreaper,
    ParentDeathSignal,
    SuccessStatus,
    WarnOnReap,
    Grace,
    KillAfter,
    Broadcast,
    Pause,
    User,
    NoNewPrivs,
    /// From the environment only: a verbosity level.
    Verbosity,
    Help,
    Version,
    License,
}

impl Action {
    pub fn takes_value(self) -> bool {
        matches!(
            self,
            Action::Rewrite
                | Action::ParentDeathSignal
                | Action::SuccessStatus
                | Action::Grace
                | Action::KillAfter
                | Action::User
                | Action::Verbosity
        )
    }

    /// This action's bit, to record which were given.
    pub const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// One option: the names that accept it, its action, and its help line:
/// its spellings, a tab, what it does (`-c, --single-child\tsignal ...`).
/// The parser reads the spellings there too, so help and parser cannot
/// disagree.
pub struct Opt {
    pub names: u8,
    pub action: Action,
    pub help: &'static str,
}

impl Opt {
    pub fn accepted_by(&self, convention: Convention) -> bool {
        self.names & convention.bit() != 0
    }

    /// Its short letter (`-c`), or 0 for none.
    pub fn short(&self) -> u8 {
        match self.help.as_bytes() {
            [b'-', letter, ..] if *letter != b'-' => *letter,
            _ => 0,
        }
    }

    /// Its long name without `--` (`single-child`), or empty for none.
    pub fn long(&self) -> &'static [u8] {
        // The long name follows the first `--` and ends at a space or tab.
        let mut words = self.help.as_bytes().split(|&b| b == b' ' || b == b'\t');
        words.find_map(|word| word.strip_prefix(b"--")).unwrap_or_default()
    }
}

/// Every option of every name, in help-text order.
pub const OPTIONS: &[Opt] = &[
    Opt {
        names: SC | DI,
        action: Action::SingleChild,
        help: "-c, --single-child\tsignal COMMAND alone, not its group",
    },
    Opt { names: SC | TI, action: Action::Group, help: "-g\tsignal COMMAND's whole process group" },
    Opt {
        names: SC | DI,
        action: Action::Rewrite,
        help: "-r, --rewrite FROM:TO\trelay FROM as TO (0 drops it)",
    },
    Opt { names: SC | TI, action: Action::Subreaper, help: "-s\tadopt orphans if not PID 1" },
    Opt {
        names: SC | TI,
        action: Action::ParentDeathSignal,
        help: "-p SIGNAL\trelay SIGNAL when scythe's parent dies",
    },
    Opt {
        names: SC | TI,
        action: Action::SuccessStatus,
        help: "-e CODE\texit 0 if COMMAND exits CODE",
    },
    Opt { names: SC | TI, action: Action::WarnOnReap, help: "-w\tlog each orphan reaped" },
    Opt {
        names: SC,
        action: Action::Grace,
        help: "-t, --grace DURATION\tthen give the rest this long (5s)",
    },
    Opt {
        names: SC,
        action: Action::KillAfter,
        help: "--kill-after DURATION\tSIGKILL COMMAND this long after TERM",
    },
    Opt { names: SC, action: Action::Broadcast, help: "-a, --all\trelay to every process" },
    Opt {
        names: SC,
        action: Action::Pause,
        help: "-P, --pause\tno COMMAND: reap until TERM or INT",
    },
    Opt { names: SC, action: Action::User, help: "-u, --user UID[:GID]\trun COMMAND as these ids" },
    Opt {
        names: SC,
        action: Action::NoNewPrivs,
        help: "--no-new-privs\tset no_new_privs for COMMAND",
    },
    Opt { names: SC | DI | TI, action: Action::Verbose, help: "-v, --verbose\tlog more on stderr" },
    Opt { names: SC | DI | TI, action: Action::Help, help: "-h, --help\tshow this help" },
    Opt { names: SC | DI, action: Action::Version, help: "-V, --version\tshow the version" },
    Opt { names: TI, action: Action::Version, help: "--version\tshow the version" },
    Opt { names: TI, action: Action::License, help: "-l\tshow scythe's licence" },
];

/// When an environment variable takes effect, and with what value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum When {
    /// Whenever set, with its value.
    Set,
    /// Whenever set, even empty, as a flag.
    Present,
    /// When its value is exactly this, as a flag; other values are ignored.
    Is(&'static [u8]),
    /// `1` as a flag, `0` not; anything else is a usage error.
    Switch,
}

/// One environment variable: the names that read it, the option action it
/// stands for (unless that option was given: options win), when it takes
/// effect, and its help line, which begins with the variable's name, then a
/// tab.
pub struct EnvRule {
    pub names: u8,
    pub action: Action,
    pub when: When,
    pub help: &'static str,
}

pub const ENVIRONMENT: &[EnvRule] = &[
    EnvRule {
        names: SC,
        action: Action::Verbosity,
        when: When::Set,
        help: "SCYTHE_VERBOSE=N\tas N times -v",
    },
    EnvRule { names: SC, action: Action::Grace, when: When::Set, help: "SCYTHE_GRACE\tas --grace" },
    EnvRule {
        names: SC,
        action: Action::KillAfter,
        when: When::Set,
        help: "SCYTHE_KILL_AFTER\tas --kill-after",
    },
    EnvRule {
        names: SC,
        action: Action::Broadcast,
        when: When::Switch,
        help: "SCYTHE_ALL=1\tas --all",
    },
    EnvRule {
        names: SC,
        action: Action::Pause,
        when: When::Switch,
        help: "SCYTHE_PAUSE=1\tas --pause",
    },
    EnvRule { names: SC, action: Action::User, when: When::Set, help: "SCYTHE_USER\tas --user" },
    EnvRule {
        names: SC,
        action: Action::NoNewPrivs,
        when: When::Switch,
        help: "SCYTHE_NO_NEW_PRIVS=1\tas --no-new-privs",
    },
    EnvRule {
        names: DI,
        action: Action::SingleChild,
        when: When::Is(b"0"),
        help: "DUMB_INIT_SETSID=0\tas -c",
    },
    EnvRule {
        names: DI,
        action: Action::Verbose,
        when: When::Is(b"1"),
        help: "DUMB_INIT_DEBUG=1\tas -v",
    },
    EnvRule {
        names: TI,
        action: Action::Subreaper,
        when: When::Present,
        help: "TINI_SUBREAPER\tas -s, if set",
    },
    EnvRule {
        names: TI,
        action: Action::Group,
        when: When::Present,
        help: "TINI_KILL_PROCESS_GROUP\tas -g, if set",
    },
    EnvRule {
        names: TI,
        action: Action::Verbosity,
        when: When::Set,
        help: "TINI_VERBOSITY=N\tverbosity, 1 by default",
    },
];

impl EnvRule {
    pub fn read_by(&self, convention: Convention) -> bool {
        self.names & convention.bit() != 0
    }

    /// The variable's name (`SCYTHE_VERBOSE`): its help line up to `=` or tab.
    pub fn variable(&self) -> &'static [u8] {
        let help = self.help.as_bytes();
        &help[..help.iter().position(|&b| b == b'=' || b == b'\t').unwrap_or(help.len())]
    }
}

/// scythe's own defaults: relay to the group, adopt orphans, clean child,
/// and give what the main child leaves behind 5 s to stop.
const BASE: Defaults = Defaults {
    target: Target::Group,
    grace_ms: 5_000,
    new_session: false,
    warnings: true,
    subreaper: true,
    child_inherits_signals: false,
    term_group_on_exit: false,
    stop_with_job_signals: false,
};

pub static SCYTHE: Personality = Personality {
    convention: Convention::Scythe,
    defaults: BASE,
    usage_status: 2,
    verbosity: Verbosity::Levels,
    rewrite_rules: SpecRules::ALL,
    version: VersionStyle::Plain,
    help_on_stderr: false,
};

/// Its child leads a new session with the terminal; job-control signals stop
/// the child's group and then scythe; SIGTERM to the group at the end; no
/// subreaper, no warnings.
pub static DUMB_INIT: Personality = Personality {
    convention: Convention::DumbInit,
    defaults: Defaults {
        grace_ms: 0,
        new_session: true,
        warnings: false,
        subreaper: false,
        term_group_on_exit: true,
        stop_with_job_signals: true,
        ..BASE
    },
    usage_status: 1,
    verbosity: Verbosity::OnOff,
    rewrite_rules: SpecRules { highest: 31, refuse_unrelayed: false },
    version: VersionStyle::Prefixed,
    help_on_stderr: true,
};

/// Relays to the child alone; a subreaper only when asked; the child keeps
/// the signal state scythe was started with.
pub static TINI: Personality = Personality {
    convention: Convention::Tini,
    defaults: Defaults {
        grace_ms: 0,
        target: Target::Child,
        subreaper: false,
        child_inherits_signals: true,
        ..BASE
    },
    usage_status: 1,
    verbosity: Verbosity::FromOne,
    rewrite_rules: SpecRules::ALL,
    version: VersionStyle::Dashed,
    help_on_stderr: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pick_conventions_by_basename() {
        let cases: &[(&[u8], Convention)] = &[
            (b"scythe", Convention::Scythe),
            (b"/scythe", Convention::Scythe),
            (b"/usr/bin/dumb-init", Convention::DumbInit),
            (b"dumb-init", Convention::DumbInit),
            (b"/tini", Convention::Tini),
            (b"tini-static", Convention::Tini),
            (b"/usr/libexec/docker/docker-init", Convention::Tini),
            (b"/run/podman-init", Convention::Scythe),
            (b"tini.old", Convention::Scythe),
            (b"", Convention::Scythe),
            (b"/usr/bin/", Convention::Scythe),
        ];
        for (argv0, convention) in cases {
            assert_eq!(Convention::for_argv0(argv0), *convention, "{argv0:?}");
        }
    }

    #[test]
    fn each_letter_means_one_thing_per_name() {
        for convention in [Convention::Scythe, Convention::DumbInit, Convention::Tini] {
            let accepted: Vec<&Opt> =
                OPTIONS.iter().filter(|o| o.accepted_by(convention)).collect();
            for (i, a) in accepted.iter().enumerate() {
                for b in &accepted[i + 1..] {
                    assert!(
                        a.short() == 0 || a.short() != b.short(),
                        "{convention:?}: -{}",
                        a.short() as char
                    );
                    assert!(
                        a.long().is_empty() || a.long() != b.long(),
                        "{convention:?}: {:?}",
                        a.long()
                    );
                }
            }
        }
    }

    #[test]
    fn scythe_takes_the_other_vocabularies_where_they_do_not_clash() {
        let scythe: Vec<u8> = OPTIONS
            .iter()
            .filter(|o| o.accepted_by(Convention::Scythe))
            .map(|o| o.short())
            .collect();
        for letter in b"cgrspewvhV" {
            assert!(scythe.contains(letter), "-{}", *letter as char);
        }
    }

    #[test]
    fn spellings_come_from_the_help_lines() {
        let spelled: Vec<(u8, &[u8])> = OPTIONS.iter().map(|o| (o.short(), o.long())).collect();
        assert!(spelled.contains(&(b'c', b"single-child")));
        assert!(spelled.contains(&(b'r', b"rewrite")));
        assert!(spelled.contains(&(b'p', b"")));
        assert!(spelled.contains(&(0, b"version")));
        let variables: Vec<&[u8]> = ENVIRONMENT.iter().map(EnvRule::variable).collect();
        let expected: [&[u8]; 12] = [
            b"SCYTHE_VERBOSE",
            b"SCYTHE_GRACE",
            b"SCYTHE_KILL_AFTER",
            b"SCYTHE_ALL",
            b"SCYTHE_PAUSE",
            b"SCYTHE_USER",
            b"SCYTHE_NO_NEW_PRIVS",
            b"DUMB_INIT_SETSID",
            b"DUMB_INIT_DEBUG",
            b"TINI_SUBREAPER",
            b"TINI_KILL_PROCESS_GROUP",
            b"TINI_VERBOSITY",
        ];
        assert_eq!(variables, expected);
    }

    #[test]
    fn help_lines_have_two_columns() {
        for line in OPTIONS.iter().map(|o| o.help).chain(ENVIRONMENT.iter().map(|e| e.help)) {
            let (spelling, what) = line.split_once('\t').expect(line);
            assert!(!spelling.is_empty() && !what.contains('\t'), "{line:?}");
            assert!(2 + spelling.len().max(23) + 2 + what.len() <= 80, "too wide: {line:?}");
        }
    }
}
