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
use crate::text;

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
        let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
        // dumb-init's name first, then tini's three, each after its length:
        // one string, not a table with a pointer and a length for each, and
        // a name of another length is passed over without reading it.
        const NAMES: &[u8] = b"\x09dumb-init\x04tini\x0btini-static\x0bdocker-init";
        let mut at = 0;
        while let Some(&length) = NAMES.get(at) {
            let start = at + 1;
            at = start + usize::from(length);
            if NAMES.get(start..at) == Some(name) {
                return if start == 1 { Convention::DumbInit } else { Convention::Tini };
            }
        }
        Convention::Scythe
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
/// scythe's own variables count under every name: the other tools read no
/// `SCYTHE_*` variable, so a deployment can opt in without a new image.
const ALL: u8 = SC | DI | TI;

/// Everything that differs between the names.
pub struct Personality {
    pub convention: Convention,
    pub defaults: Defaults,
    /// Exit status for a usage error.
    pub usage_status: u8,
    /// How `-v` and the verbosity variable count.
    pub verbosity: Verbosity,
    pub rewrite_rules: SpecRules,
    /// The `--version` line, which always names scythe.
    pub version: &'static str,
    /// Help and version go to stderr rather than stdout.
    pub answers_on_stderr: bool,
}

/// The settings in which the names differ, as each starts out. (Stored
/// apart from [`Config`], whose tables would take room three times over.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct Defaults {
    pub grace_ms: u32,
    pub target: Target,
    pub new_session: bool,
    pub warnings: bool,
    pub subreaper: bool,
    pub child_inherits_signals: bool,
    pub term_group_on_exit: bool,
    pub stop_with_job_signals: bool,
    pub stop_with_child: bool,
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
            stop_with_child: d.stop_with_child,
            success_statuses: StatusSet::EMPTY,
            parent_death_signal: 0,
            grace_ms: d.grace_ms,
            kill_after_ms: 0,
            stop_delay_ms: 0,
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
    StopDelay,
    Broadcast,
    Pause,
    User,
    NoNewPrivs,
    /// From the environment only: a verbosity level (`TINI_VERBOSITY`).
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
                | Action::StopDelay
                | Action::User
                | Action::Verbosity
        )
    }

    /// This action's bit, to record which were given.
    pub const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// One option: the names that accept it and its action. Its spellings are
/// read from its help line (`-c, --single-child\tsignal ...`), so that help
/// and parser cannot disagree.
pub struct Opt {
    pub names: u8,
    pub action: Action,
}

/// The first option `convention` accepts whose help line satisfies
/// `wanted` (every one, if it never does, for the help text).
pub fn find_option(
    convention: Convention,
    wanted: &mut dyn FnMut(&[u8]) -> bool,
) -> Option<&'static Opt> {
    scan(OPTIONS, OPTION_HELP, convention, &|opt| opt.names, &mut |_, help| wanted(help))
}

/// Offers `each` every variable `convention` reads, with its help line.
pub fn each_variable(convention: Convention, each: &mut dyn FnMut(&EnvRule, &'static [u8])) {
    scan(ENVIRONMENT, ENVIRONMENT_HELP, convention, &|rule| rule.names, &mut |rule, help| {
        each(rule, help);
        false
    });
}

/// Walks `table` and its `help` lines side by side (line `n` belongs to
/// entry `n`), offering `wanted` the lines of the entries `convention`
/// knows, until it takes one.
fn scan<T>(
    table: &'static [T],
    help: &'static [u8],
    convention: Convention,
    names: &dyn Fn(&T) -> u8,
    wanted: &mut dyn FnMut(&T, &'static [u8]) -> bool,
) -> Option<&'static T> {
    let mut rest = help;
    for entry in table {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let (line, next) = rest.split_at(end);
        rest = next.get(1..).unwrap_or_default();
        if names(entry) & convention.bit() != 0 && wanted(entry, line) {
            return Some(entry);
        }
    }
    None
}

/// The short letter a help line spells (`-c`), or 0 for none.
pub fn short(help: &[u8]) -> u8 {
    match help {
        [b'-', letter, ..] if *letter != b'-' => *letter,
        _ => 0,
    }
}

/// The long name a help line spells, without `--` (`single-child`), or empty.
pub fn long(help: &[u8]) -> &[u8] {
    // `--name ...` or `-c, --name ...`; the name ends at a space or tab.
    let name = match help {
        [b'-', b'-', name @ ..] | [_, _, b',', b' ', b'-', b'-', name @ ..] => name,
        _ => return b"",
    };
    text::field(name, b" \t")
}

/// Every option of every name, in help-text order; [`OPTION_HELP`] has
/// their lines, in the same order.
pub const OPTIONS: &[Opt] = &[
    Opt { names: SC | DI, action: Action::SingleChild },
    Opt { names: SC | TI, action: Action::Group },
    Opt { names: SC | DI, action: Action::Rewrite },
    Opt { names: SC | TI, action: Action::Subreaper },
    Opt { names: SC | TI, action: Action::ParentDeathSignal },
    Opt { names: SC | TI, action: Action::SuccessStatus },
    Opt { names: SC | TI, action: Action::WarnOnReap },
    Opt { names: SC, action: Action::Grace },
    Opt { names: SC, action: Action::KillAfter },
    Opt { names: SC, action: Action::StopDelay },
    Opt { names: SC, action: Action::Broadcast },
    Opt { names: SC, action: Action::Pause },
    Opt { names: SC, action: Action::User },
    Opt { names: SC, action: Action::NoNewPrivs },
    Opt { names: SC | DI | TI, action: Action::Verbose },
    Opt { names: SC | DI | TI, action: Action::Help },
    Opt { names: SC | DI, action: Action::Version },
    Opt { names: TI, action: Action::Version },
    Opt { names: TI, action: Action::License },
];

/// One help line per entry of [`OPTIONS`], in its order: spellings, tabs up
/// to column 24 once indented by two, what the option does. (One string
/// rather than one per option saves a pointer and a length each; packed but
/// for the spellings, see `words`.)
pub const OPTION_HELP: &[u8] = crate::packed!(
    b"\
-c, --single-child\tsignal COMMAND alone, not its group\n\
-g\t\t\tsignal COMMAND's whole process group\n\
-r, --rewrite FROM:TO\trelay FROM as TO (0 drops it)\n\
-s\t\t\tadopt orphans if not PID 1\n\
-p SIGNAL\t\trelay SIGNAL when scythe's parent dies\n\
-e CODE\t\texit 0 if COMMAND exits CODE\n\
-w\t\t\tlog each orphan reaped\n\
-t, --grace DURATION\tthen give the rest this long (5s)\n\
--kill-after DURATION\tSIGKILL COMMAND this long after TERM\n\
--stop-delay DURATION\trelay TERM and INT this much later\n\
-a, --all\t\trelay to every process\n\
-P, --pause\t\tno COMMAND: reap until TERM or INT\n\
-u, --user UID[:GID]\trun COMMAND as these ids\n\
--no-new-privs\tset no_new_privs for COMMAND\n\
-v, --verbose\t\tlog more on stderr\n\
-h, --help\t\tshow this help\n\
-V, --version\t\tshow the version\n\
--version\t\tshow the version\n\
-l\t\t\tshow scythe's licence",
    true
);

/// When an environment variable takes effect, and with what value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum When {
    /// Whenever set, with its value.
    Set,
    /// Whenever set, even empty, as a flag.
    Present,
    /// When its value is exactly `0`, as a flag; other values are ignored.
    Is0,
    /// When its value is exactly `1`, as a flag; other values are ignored.
    Is1,
    /// `1` as a flag, `0` not; anything else is a usage error.
    Switch,
}

/// One environment variable: the names that read it, the option action it
/// stands for (unless that option was given: options win), and when it
/// takes effect. Its name begins its help line.
pub struct EnvRule {
    pub names: u8,
    pub action: Action,
    pub when: When,
}

pub const ENVIRONMENT: &[EnvRule] = &[
    EnvRule { names: ALL, action: Action::Verbose, when: When::Set },
    EnvRule { names: ALL, action: Action::Grace, when: When::Set },
    EnvRule { names: ALL, action: Action::KillAfter, when: When::Set },
    EnvRule { names: ALL, action: Action::StopDelay, when: When::Set },
    EnvRule { names: ALL, action: Action::Broadcast, when: When::Switch },
    EnvRule { names: ALL, action: Action::Pause, when: When::Switch },
    EnvRule { names: ALL, action: Action::User, when: When::Set },
    EnvRule { names: ALL, action: Action::NoNewPrivs, when: When::Switch },
    EnvRule { names: DI, action: Action::SingleChild, when: When::Is0 },
    EnvRule { names: DI, action: Action::Verbose, when: When::Is1 },
    EnvRule { names: TI, action: Action::Subreaper, when: When::Present },
    EnvRule { names: TI, action: Action::Group, when: When::Present },
    EnvRule { names: TI, action: Action::Verbosity, when: When::Set },
];

/// One help line per entry of [`ENVIRONMENT`], in its order: the variable
/// (with its value, if it takes one), tabs as in [`OPTION_HELP`], what it
/// does.
pub const ENVIRONMENT_HELP: &[u8] = crate::packed!(
    b"\
SCYTHE_VERBOSE=N\tas N times -v\n\
SCYTHE_GRACE\t\tas --grace\n\
SCYTHE_KILL_AFTER\tas --kill-after\n\
SCYTHE_STOP_DELAY\tas --stop-delay\n\
SCYTHE_ALL=1\t\tas --all\n\
SCYTHE_PAUSE=1\tas --pause\n\
SCYTHE_USER\t\tas --user\n\
SCYTHE_NO_NEW_PRIVS=1\tas --no-new-privs\n\
DUMB_INIT_SETSID=0\tas -c\n\
DUMB_INIT_DEBUG=1\tas -v\n\
TINI_SUBREAPER\tas -s, if set\n\
TINI_KILL_PROCESS_GROUP\tas -g, if set\n\
TINI_VERBOSITY=N\tverbosity, 1 by default",
    true
);

/// The variable a help line names (`SCYTHE_VERBOSE`): up to `=` or tab.
pub fn variable(help: &'static [u8]) -> &'static [u8] {
    let end = help.iter().position(|&b| b == b'=' || b == b'\t').unwrap_or(help.len());
    help.get(..end).unwrap_or_default()
}

/// scythe's own defaults: relay to the group, adopt orphans, clean child,
/// give what the main child leaves behind 5 s to stop, and stop with the
/// child on Ctrl-Z.
const BASE: Defaults = Defaults {
    target: Target::Group,
    grace_ms: 5_000,
    new_session: false,
    warnings: true,
    subreaper: true,
    child_inherits_signals: false,
    term_group_on_exit: false,
    stop_with_job_signals: false,
    stop_with_child: true,
};

pub static SCYTHE: Personality = Personality {
    convention: Convention::Scythe,
    defaults: BASE,
    usage_status: 2,
    verbosity: Verbosity::Levels,
    rewrite_rules: SpecRules::ALL,
    version: concat!("scythe ", env!("CARGO_PKG_VERSION"), "\n"),
    answers_on_stderr: false,
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
        stop_with_child: false,
        ..BASE
    },
    usage_status: 1,
    verbosity: Verbosity::OnOff,
    rewrite_rules: SpecRules { highest: 31, refuse_unrelayed: false },
    version: concat!("scythe v", env!("CARGO_PKG_VERSION"), "\n"),
    answers_on_stderr: true,
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
        stop_with_child: false,
        ..BASE
    },
    usage_status: 1,
    verbosity: Verbosity::FromOne,
    rewrite_rules: SpecRules::ALL,
    // The shape tools that read a version out of this name's line expect.
    version: concat!(
        "scythe version ",
        env!("CARGO_PKG_VERSION"),
        " - git.",
        env!("SCYTHE_COMMIT"),
        "\n"
    ),
    answers_on_stderr: false,
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
            (b"dumb-ini", Convention::Scythe),
            (b"tinitini", Convention::Scythe),
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
            let mut accepted: Vec<Vec<u8>> = Vec::new();
            find_option(convention, &mut |help| {
                accepted.push(help.to_vec());
                false
            });
            for (i, a) in accepted.iter().enumerate() {
                for b in &accepted[i + 1..] {
                    assert!(short(a) == 0 || short(a) != short(b), "{convention:?}: {a:?}");
                    assert!(long(a).is_empty() || long(a) != long(b), "{convention:?}: {a:?}");
                }
            }
        }
    }

    #[test]
    fn scythe_takes_the_other_vocabularies_where_they_do_not_clash() {
        let mut scythe: Vec<u8> = Vec::new();
        find_option(Convention::Scythe, &mut |help| {
            scythe.push(short(help));
            false
        });
        for letter in b"cgrspewvhV" {
            assert!(scythe.contains(letter), "-{}", *letter as char);
        }
    }

    fn lines(packed: &[u8]) -> Vec<String> {
        crate::words::unpacked(packed).lines().map(String::from).collect()
    }

    #[test]
    fn every_entry_has_its_help_line() {
        assert_eq!(lines(OPTION_HELP).len(), OPTIONS.len());
        assert_eq!(lines(ENVIRONMENT_HELP).len(), ENVIRONMENT.len());
    }

    #[test]
    fn spellings_come_from_the_help_lines() {
        let help = lines(OPTION_HELP);
        let spelled: Vec<(u8, &[u8])> =
            help.iter().map(|help| (short(help.as_bytes()), long(help.as_bytes()))).collect();
        assert!(spelled.contains(&(b'c', b"single-child")));
        assert!(spelled.contains(&(b'r', b"rewrite")));
        assert!(spelled.contains(&(b'p', b"")));
        assert!(spelled.contains(&(0, b"version")));
        let variables: Vec<&[u8]> = ENVIRONMENT_HELP.split(|&b| b == b'\n').map(variable).collect();
        let expected: [&[u8]; 13] = [
            b"SCYTHE_VERBOSE",
            b"SCYTHE_GRACE",
            b"SCYTHE_KILL_AFTER",
            b"SCYTHE_STOP_DELAY",
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
        for line in lines(OPTION_HELP).iter().chain(&lines(ENVIRONMENT_HELP)) {
            let (spelling, rest) = line.split_once('\t').expect(line);
            let what = rest.trim_start_matches('\t');
            let tabs = rest.len() - what.len() + 1;
            // Indented by two, tab stops every 8: the second column at 24.
            let column = ((2 + spelling.len()) / 8 + tabs) * 8;
            assert!(column == 24 || (column > 24 && tabs == 1), "{line:?}");
            assert!(column + what.len() <= 80, "too wide: {line:?}");
        }
    }
}
