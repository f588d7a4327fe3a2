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
    Help,
    Version,
    License,
}

impl Action {
    pub fn takes_value(self) -> bool {
        matches!(self, Action::Rewrite | Action::ParentDeathSignal | Action::SuccessStatus)
    }
}

/// One option: the names that accept it, its action, and its line in the
/// help text, which is also where its spellings are read from (`  -c,
/// --single-child ...`), so that help and parser cannot disagree.
pub struct Opt {
    pub names: u8,
    pub action: Action,
    pub help: &'static str,
}

/// The width of the first column of help lines, where spellings are.
const SPELLING: usize = 25;

impl Opt {
    pub fn accepted_by(&self, convention: Convention) -> bool {
        self.names & convention.bit() != 0
    }

    /// Its short letter (`-c`), or 0 for none.
    pub fn short(&self) -> u8 {
        match self.help.as_bytes() {
            [b' ', b' ', b'-', letter, ..] if *letter != b'-' => *letter,
            _ => 0,
        }
    }

    /// Its long name without `--` (`single-child`), or empty for none.
    pub fn long(&self) -> &'static [u8] {
        let column = self.help.as_bytes().get(..SPELLING).unwrap_or_default();
        // The long name follows the first `--` and ends at a space.
        let mut words = column.split(|&b| b == b' ');
        words.find_map(|word| word.strip_prefix(b"--")).unwrap_or_default()
    }
}

/// Every option of every name, in help-text order.
pub const OPTIONS: &[Opt] = &[
    Opt {
        names: SC | DI,
        action: Action::SingleChild,
        help: "  -c, --single-child     signal COMMAND alone, not its process group\n",
    },
    Opt {
        names: SC | TI,
        action: Action::Group,
        help: "  -g                     signal COMMAND's whole process group\n",
    },
    Opt {
        names: SC | DI,
        action: Action::Rewrite,
        help: "  -r, --rewrite FROM:TO  relay FROM as TO (TO=0 drops it); repeatable\n",
    },
    Opt {
        names: SC | TI,
        action: Action::Subreaper,
        help: "  -s                     adopt orphans (child subreaper) if not PID 1\n",
    },
    Opt {
        names: SC | TI,
        action: Action::ParentDeathSignal,
        help: "  -p SIGNAL              relay SIGNAL when scythe's parent dies\n",
    },
    Opt {
        names: SC | TI,
        action: Action::SuccessStatus,
        help: "  -e CODE                exit 0 if COMMAND exits CODE; repeatable\n",
    },
    Opt {
        names: SC | TI,
        action: Action::WarnOnReap,
        help: "  -w                     log each orphan reaped\n",
    },
    Opt {
        names: SC | DI | TI,
        action: Action::Verbose,
        help: "  -v, --verbose          log more on stderr; repeatable\n",
    },
    Opt {
        names: SC | DI | TI,
        action: Action::Help,
        help: "  -h, --help             show this help\n",
    },
    Opt {
        names: SC | DI,
        action: Action::Version,
        help: "  -V, --version          show the version\n",
    },
    Opt { names: TI, action: Action::Version, help: "      --version          show the version\n" },
    Opt {
        names: TI,
        action: Action::License,
        help: "  -l                     show scythe's licence\n",
    },
];

/// What an environment variable does when it is set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EnvEffect {
    /// Its value is the verbosity, unless `-v` was given.
    Verbosity,
    /// `1` (exactly) means verbose.
    VerboseIfOne,
    /// `0` (exactly) means single-child mode.
    SingleChildIfZero,
    /// Set at all (even empty) means subreaper.
    SubreaperIfSet,
    /// Set at all means relay to the process group.
    GroupIfSet,
}

/// One environment variable: the names that read it, what it does, and its
/// help line, which begins with the variable's name.
pub struct EnvRule {
    pub names: u8,
    pub effect: EnvEffect,
    pub help: &'static str,
}

pub const ENVIRONMENT: &[EnvRule] = &[
    EnvRule {
        names: SC,
        effect: EnvEffect::Verbosity,
        help: "  SCYTHE_VERBOSE=N       as N times -v\n",
    },
    EnvRule {
        names: DI,
        effect: EnvEffect::SingleChildIfZero,
        help: "  DUMB_INIT_SETSID=0     as -c\n",
    },
    EnvRule {
        names: DI,
        effect: EnvEffect::VerboseIfOne,
        help: "  DUMB_INIT_DEBUG=1      as -v\n",
    },
    EnvRule {
        names: TI,
        effect: EnvEffect::SubreaperIfSet,
        help: "  TINI_SUBREAPER         as -s, if set\n",
    },
    EnvRule {
        names: TI,
        effect: EnvEffect::GroupIfSet,
        help: "  TINI_KILL_PROCESS_GROUP  as -g, if set\n",
    },
    EnvRule {
        names: TI,
        effect: EnvEffect::Verbosity,
        help: "  TINI_VERBOSITY=N       verbosity, 1 by default\n",
    },
];

impl EnvRule {
    pub fn read_by(&self, convention: Convention) -> bool {
        self.names & convention.bit() != 0
    }

    /// The variable's name (`SCYTHE_VERBOSE`): the first word, up to `=`.
    pub fn variable(&self) -> &'static [u8] {
        let mut words = self.help.as_bytes().split(|&b| b == b' ' || b == b'=');
        words.find(|word| !word.is_empty()).unwrap_or_default()
    }
}

/// scythe's own defaults: relay to the group, adopt orphans, clean child.
const BASE: Defaults = Defaults {
    target: Target::Group,
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
        let expected: [&[u8]; 6] = [
            b"SCYTHE_VERBOSE",
            b"DUMB_INIT_SETSID",
            b"DUMB_INIT_DEBUG",
            b"TINI_SUBREAPER",
            b"TINI_KILL_PROCESS_GROUP",
            b"TINI_VERBOSITY",
        ];
        assert_eq!(variables, expected);
    }

    #[test]
    fn help_lines_line_up() {
        for line in OPTIONS.iter().map(|o| o.help).chain(ENVIRONMENT.iter().map(|e| e.help)) {
            assert!(line.starts_with("  ") && line.ends_with('\n'), "{line:?}");
            assert!(line.len() <= 81, "too wide: {line:?}");
        }
    }
}
