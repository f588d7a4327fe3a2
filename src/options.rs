//! From argv and the environment to a [`Config`]: what scythe was asked to do.
//!
//! One parser for every name: the [`Personality`] says which options and
//! variables count and what they start from. Parsing stops at `--` or at the
//! first word that is not an option, whatever `POSIXLY_CORRECT` says: in
//! `scythe sh -c 'exit 3'` the `-c` belongs to `sh`.

use crate::config::{Config, Target, User};
use crate::duration;
use crate::environment::Environment;
use crate::line::Line;
use crate::personality::{
    self, Action, ENVIRONMENT, ENVIRONMENT_HELP, Opt, Personality, Verbosity, When,
};
use crate::rewrite::{self, SpecError};
use crate::signal::{self, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU};
use crate::text;

/// The outcome of a successful parse (the settings go to the caller's
/// [`Config`], which is large, so as not to copy it around).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Parsed {
    /// Run the command at this index of the arguments.
    Run {
        command: usize,
    },
    /// No child: pause mode.
    Pause,
    Help,
    Version,
    License,
}

/// Why the command line cannot be used; `culprit` is the offending text,
/// and `source` the environment variable or `--rewrite` it came from, if
/// either (messages name it first).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UsageError<'a> {
    pub problem: Problem,
    pub culprit: &'a [u8],
    pub source: &'static [u8],
}

/// What is wrong; each has its message, in this order, in [`MESSAGES`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Problem {
    UnknownOption,
    MissingValue,
    UnexpectedValue,
    NoCommand,
    /// A `--rewrite` spec with no colon.
    NotFromTo,
    /// A signal above the highest a rewrite accepts (or 0 as FROM).
    OutOfRange,
    NeverRelayed,
    BadSignal,
    BadStatus,
    BadDuration,
    BadUser,
    /// A variable that should be 1 or 0 is neither.
    BadSwitch,
    /// `SCYTHE_VERBOSE` is not a number.
    BadVerbosity,
    PauseWithCommand,
}

/// The messages of [`Problem`], in its order, each ending in a NUL; `%`
/// stands for the text at fault. (One string rather than a table of them
/// saves a pointer and a length per message; packed, see `words`.)
const MESSAGES: &[u8] = crate::packed!(
    b"unknown option '%'\0\
    option '%' needs a value\0\
    option '%' takes no value\0\
    no COMMAND given\0\
    '%' is not FROM:TO\0\
    '%' is out of range\0\
    '%' is never relayed\0\
    '%' is not a signal\0\
    '%' is not an exit status (0 to 255)\0\
    '%' is not a duration (like 500ms, 5s, 2m)\0\
    '%' is not a numeric UID[:GID]\0\
    '%' is neither 1 nor 0\0\
    '%' is not a number\0\
    --pause runs no COMMAND\0"
);

/// The arguments after argv\[0\], by index; `None` past the end.
pub trait Args<'a> {
    fn get(&self, index: usize) -> Option<&'a [u8]>;
}

impl<'a> Args<'a> for [&'a [u8]] {
    fn get(&self, index: usize) -> Option<&'a [u8]> {
        <[&[u8]]>::get(self, index).copied()
    }
}

/// Parses the arguments after argv\[0\] as `personality` reads them into
/// `config`, which holds that personality's defaults; `environment` holds the
/// variables that may count.
pub fn parse<'a, A>(
    personality: &Personality,
    args: &A,
    environment: &Environment<'a>,
    config: &mut Config,
) -> Result<Parsed, UsageError<'a>>
where
    A: Args<'a> + ?Sized,
{
    let mut parser = Parser {
        personality,
        args,
        next: 0,
        config,
        verbose_flags: 0,
        given: 0,
        level: None,
        culprit: b"",
        source: b"",
    };
    match parser.run(environment) {
        Ok(parsed) => Ok(parsed),
        Err(problem) => Err(UsageError { problem, culprit: parser.culprit, source: parser.source }),
    }
}

/// The parse under way: what is read so far and where the next word is.
struct Parser<'p, 'a, A: Args<'a> + ?Sized> {
    personality: &'p Personality,
    args: &'p A,
    next: usize,
    config: &'p mut Config,
    verbose_flags: u32,
    /// The actions given as options, by [`Action::bit`].
    given: u32,
    /// The verbosity level a name's own variable asks for.
    level: Option<&'a [u8]>,
    /// The text at fault, once a step has failed, and the variable or
    /// option it came from, if messages name it.
    culprit: &'a [u8],
    source: &'static [u8],
}

/// What one step of the parse gives: `Some` when an option ends the parse at
/// once (`--help`, `--version`). Problems carry no text, which the parser
/// keeps (`culprit`): small results keep the binary small.
type Step = Result<Option<Parsed>, Problem>;

impl<'a, A: Args<'a> + ?Sized> Parser<'_, 'a, A> {
    fn run(&mut self, environment: &Environment<'a>) -> Result<Parsed, Problem> {
        let command = loop {
            let Some(arg) = self.args.get(self.next) else { break self.next };
            self.next += 1;
            let early = match arg {
                b"--" => break self.next,
                [b'-', b'-', long @ ..] => self.long(long, arg)?,
                [b'-', shorts @ ..] if !shorts.is_empty() => self.shorts(shorts)?,
                _ => break self.next - 1,
            };
            if let Some(answer) = early {
                return Ok(answer);
            }
        };
        self.finish(environment)?;
        match (self.args.get(command).is_some(), self.config.pause) {
            (true, false) => Ok(Parsed::Run { command }),
            (false, true) => Ok(Parsed::Pause),
            (false, false) => Err(Problem::NoCommand),
            (true, true) => Err(Problem::PauseWithCommand),
        }
    }

    /// Records `culprit` as the text at fault and returns `problem`.
    fn blame(&mut self, problem: Problem, culprit: &'a [u8]) -> Problem {
        self.culprit = culprit;
        problem
    }

    /// `--name`, `--name=value` or `--name value`; `arg` is the whole word.
    fn long(&mut self, long: &'a [u8], arg: &'a [u8]) -> Step {
        let (name, inline_value) = text::split_at_any(long, b"=");
        let culprit = arg.get(..name.len() + 2).unwrap_or(arg);
        let opt = self.find_long(name).map_err(|problem| self.blame(problem, culprit))?;
        let value = match (opt.action.takes_value(), inline_value) {
            (true, given) => self.take_value(given, culprit)?,
            (false, Some(_)) => return Err(self.blame(Problem::UnexpectedValue, culprit)),
            (false, None) => b"",
        };
        self.apply(opt.action, value)
    }

    fn find_long(&self, name: &[u8]) -> Result<&'static Opt, Problem> {
        // (`--=1` names no option, not the first one without a long name.)
        personality::find_option(self.personality.convention, &mut |help| {
            !name.is_empty() && personality::long(help) == name
        })
        .ok_or(Problem::UnknownOption)
    }

    /// `-c`, `-vv`, `-r15:3`, `-r 15:3`, `-cr 15:3`.
    fn shorts(&mut self, shorts: &'a [u8]) -> Step {
        for (at, letter) in shorts.iter().enumerate() {
            let culprit = shorts.get(at..at + 1).unwrap_or_default();
            let opt = personality::find_option(self.personality.convention, &mut |help| {
                personality::short(help) == *letter
            });
            let Some(opt) = opt else {
                return Err(self.blame(Problem::UnknownOption, culprit));
            };
            if opt.action.takes_value() {
                let given = shorts.get(at + 1..).filter(|rest| !rest.is_empty());
                let value = self.take_value(given, culprit)?;
                return self.apply(opt.action, value);
            }
            if let Some(answer) = self.apply(opt.action, b"")? {
                return Ok(Some(answer));
            }
        }
        Ok(None)
    }

    /// The value of the option `culprit` names: `given` with it
    /// (`--grace=5s`, `-t5s`), or else the next argument.
    fn take_value(
        &mut self,
        given: Option<&'a [u8]>,
        culprit: &'a [u8],
    ) -> Result<&'a [u8], Problem> {
        if let Some(value) = given {
            return Ok(value);
        }
        let Some(value) = self.args.get(self.next) else {
            return Err(self.blame(Problem::MissingValue, culprit));
        };
        self.next += 1;
        Ok(value)
    }

    fn apply(&mut self, action: Action, value: &'a [u8]) -> Step {
        self.culprit = value;
        self.given |= action.bit();
        let config = &mut *self.config;
        match action {
            Action::SingleChild => {
                config.target = Target::Child;
                config.new_session = false;
            }
            Action::Group => config.target = Target::Group,
            // `-v` once more, or (from `SCYTHE_VERBOSE=N`) N times.
            Action::Verbose => {
                self.verbose_flags = match value {
                    b"" => self.verbose_flags.saturating_add(1),
                    times => signal::parse_number(times, u32::MAX).ok_or(Problem::BadVerbosity)?,
                }
            }
            Action::Subreaper => config.subreaper = true,
            Action::WarnOnReap => config.warn_on_reap = true,
            Action::Rewrite => match rewrite::parse_spec(value, self.personality.rewrite_rules) {
                Ok((from, to)) => config.rewrite.set(from, to),
                Err((error, part)) => {
                    self.source = b"--rewrite";
                    let problem = match error {
                        SpecError::NoColon => Problem::NotFromTo,
                        SpecError::NotASignal => Problem::BadSignal,
                        SpecError::OutOfRange => Problem::OutOfRange,
                        SpecError::NeverRelayed => Problem::NeverRelayed,
                    };
                    return Err(self.blame(problem, part));
                }
            },
            Action::ParentDeathSignal => {
                config.parent_death_signal =
                    signal::parse(value).filter(|&s| s != 0).ok_or(Problem::BadSignal)?;
            }
            Action::SuccessStatus => {
                let status = signal::parse_number(value, 255).ok_or(Problem::BadStatus)?;
                config.success_statuses.insert(status as u8);
            }
            Action::Grace => {
                config.grace_ms = duration::parse_ms(value).ok_or(Problem::BadDuration)?
            }
            Action::KillAfter => {
                config.kill_after_ms = duration::parse_ms(value).ok_or(Problem::BadDuration)?;
            }
            Action::StopDelay => {
                config.stop_delay_ms = duration::parse_ms(value).ok_or(Problem::BadDuration)?;
            }
            Action::Broadcast => config.broadcast = true,
            Action::Pause => config.pause = true,
            Action::User => config.user = Some(User::parse(value).ok_or(Problem::BadUser)?),
            Action::NoNewPrivs => config.no_new_privs = true,
            Action::Verbosity => self.level = Some(value),
            Action::Help => return Ok(Some(Parsed::Help)),
            Action::Version => return Ok(Some(Parsed::Version)),
            Action::License => return Ok(Some(Parsed::License)),
        }
        Ok(None)
    }

    /// Reads the environment (options win over it) and settles verbosity
    /// and the defaults that depend on other settings.
    // tools/inline.py: smaller as cold (optimised for size).
    #[cold]
    fn finish(&mut self, environment: &Environment<'a>) -> Result<(), Problem> {
        let convention = self.personality.convention;
        // Options win: a variable counts only if its option was not given.
        let given = self.given;
        let variables = if environment.any_of_its_own() { ENVIRONMENT } else { &[] };
        for (index, rule) in variables.iter().enumerate() {
            if rule.names & convention.bit() == 0 || given & rule.action.bit() != 0 {
                continue;
            }
            let Some(value) = environment.variable(index) else { continue };
            let step = match (rule.when, value) {
                (When::Set, _) => self.apply(rule.action, value),
                (When::Present, _) | (When::Is1 | When::Switch, b"1") | (When::Is0, b"0") => {
                    self.apply(rule.action, b"")
                }
                (When::Switch, b"0") | (When::Is0 | When::Is1, _) => Ok(None),
                (When::Switch, _) => Err(self.blame(Problem::BadSwitch, value)),
            };
            if let Err(problem) = step {
                // Messages name the variable, found where names are written.
                self.source = personality::variable(text::nth(ENVIRONMENT_HELP, b'\n', index));
                return Err(problem);
            }
        }
        let level = self.level;
        let config = &mut *self.config;
        let flags = self.verbose_flags;
        match self.personality.verbosity {
            Verbosity::Levels => config.verbosity = flags,
            Verbosity::OnOff => {
                config.verbosity = if flags > 0 { 2 } else { 0 };
                config.warnings = flags > 0;
            }
            Verbosity::FromOne => {
                let level = match (flags, level) {
                    (0, Some(value)) => leading_number(value),
                    (flags, _) => flags.saturating_add(1),
                };
                config.verbosity = level.saturating_sub(1);
                config.warnings = level >= 1;
            }
        }
        if config.new_session {
            // A child leading its own session leads an orphaned process
            // group, which the kernel lets no job-control signal stop; so
            // that Ctrl-Z and `kill -TSTP` still stop it, they are relayed as
            // SIGSTOP unless the user chose otherwise.
            for signal in &[SIGTSTP, SIGTTIN, SIGTTOU] {
                config.rewrite.set_default(*signal, SIGSTOP);
            }
        }
        Ok(())
    }
}

/// The number at the start of `text`, 0 if none, as C's `atoi` reads it.
fn leading_number(text: &[u8]) -> u32 {
    let digits = text.split(|b| !b.is_ascii_digit()).next().unwrap_or_default();
    signal::parse_number(digits, u32::MAX).unwrap_or(0)
}

impl UsageError<'_> {
    /// The one-line message for this error.
    // tools/inline.py: smaller inlined.
    #[inline(always)]
    pub fn describe<'l>(&self, line: &'l mut Line) -> &'l mut Line {
        if !self.source.is_empty() {
            line.fill(b"%: ", self.source, &[]);
        }
        let index = self.problem as usize;
        let message = text::nth(MESSAGES, 0, index);
        // Short options are kept as their bare letter.
        let mut dashed = [b'-', 0];
        let culprit = match self.culprit {
            [letter] if index <= Problem::MissingValue as usize => {
                dashed[1] = *letter;
                &dashed[..]
            }
            culprit => culprit,
        };
        line.fill(message, culprit, &[]).text(" (try --help)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::User;
    use crate::personality::{DUMB_INIT, SCYTHE, TINI};
    use crate::signal::{SIGHUP, SIGQUIT, SIGTERM};

    fn run(args: &[&str]) -> Result<Parsed, String> {
        run_as(&SCYTHE, args, &[])
    }

    fn run_as(
        personality: &Personality,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Parsed, String> {
        parse_as(personality, args, env).map(|(parsed, _)| parsed)
    }

    fn parse_as(
        personality: &Personality,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(Parsed, Config), String> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let entries: Vec<Vec<u8>> = env.iter().map(|(k, v)| format!("{k}={v}").into()).collect();
        let mut environment = Environment::new();
        environment.read(entries.iter().map(Vec::as_slice));
        let mut config = personality.defaults();
        match parse(personality, args.as_slice(), &environment, &mut config) {
            Ok(parsed) => Ok((parsed, config)),
            Err(error) => {
                let mut line = Line::new();
                Err(String::from_utf8(error.describe(&mut line).finish().to_vec()).unwrap())
            }
        }
    }

    fn config_as(
        personality: &Personality,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Config, usize) {
        match parse_as(personality, args, env) {
            Ok((Parsed::Run { command }, config)) => (config, command),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn config_and_command(args: &[&str]) -> (Config, usize) {
        config_as(&SCYTHE, args, &[])
    }

    #[test]
    fn plain_command() {
        let (config, command) = config_and_command(&["sleep", "1"]);
        assert_eq!(command, 0);
        assert_eq!(config, SCYTHE.defaults());
    }

    #[test]
    fn options_stop_at_the_first_word_that_is_not_one() {
        for personality in [&SCYTHE, &DUMB_INIT, &TINI] {
            let (config, command) = config_as(personality, &["sh", "-c", "exit 3"], &[]);
            assert_eq!(command, 0);
            assert_eq!(config.target, personality.defaults.target);
        }
    }

    #[test]
    fn double_dash_ends_options_even_twice() {
        assert_eq!(config_and_command(&["--", "-c"]).1, 1);
        // Podman runs `/run/podman-init -- CMD`; `init -- -- true` runs `--`.
        assert_eq!(config_and_command(&["-c", "--", "--", "true"]).1, 2);
    }

    #[test]
    fn lone_dash_is_a_command() {
        assert_eq!(config_and_command(&["-", "x"]).1, 0);
    }

    #[test]
    fn flags_short_long_and_grouped() {
        let (config, command) = config_and_command(&["-cvv", "--verbose", "true"]);
        assert_eq!(config.target, Target::Child);
        assert_eq!(config.verbosity, 3);
        assert_eq!(command, 2);
        assert_eq!(config_and_command(&["--single-child", "true"]).0.target, Target::Child);
        assert_eq!(config_and_command(&["-c", "-g", "true"]).0.target, Target::Group);
    }

    #[test]
    fn rewrite_values_in_every_spelling() {
        let (config, command) = config_and_command(&[
            "-r",
            "TERM:QUIT",
            "-r1:0",
            "--rewrite",
            "USR1:RTMIN",
            "--rewrite=USR2:3",
            "-cr",
            "PIPE:0",
            "x",
        ]);
        assert_eq!(command, 8);
        assert_eq!(config.rewrite.apply(SIGTERM), SIGQUIT);
        assert_eq!(config.rewrite.apply(SIGHUP), 0);
        assert_eq!(config.rewrite.apply(10), 34);
        assert_eq!(config.rewrite.apply(12), 3);
        assert_eq!(config.rewrite.apply(13), 0);
        assert_eq!(config.target, Target::Child);
    }

    #[test]
    fn help_version_and_licence_win_where_they_stand() {
        assert_eq!(run(&["-h"]), Ok(Parsed::Help));
        assert_eq!(run(&["--help", "--bogus"]), Ok(Parsed::Help));
        assert_eq!(run(&["-V"]), Ok(Parsed::Version));
        assert_eq!(run(&["-vV"]), Ok(Parsed::Version));
        assert_eq!(run_as(&TINI, &["--version"], &[]), Ok(Parsed::Version));
        assert_eq!(run_as(&TINI, &["-l"], &[]), Ok(Parsed::License));
        assert!(run_as(&TINI, &["-V"], &[]).is_err());
        assert!(run(&["-l"]).is_err());
    }

    #[test]
    fn scythe_verbosity_from_the_environment_unless_flags_say() {
        let env = [("SCYTHE_VERBOSE", "2")];
        assert_eq!(config_as(&SCYTHE, &["true"], &env).0.verbosity, 2);
        assert_eq!(config_as(&SCYTHE, &["-v", "true"], &env).0.verbosity, 1);
    }

    #[test]
    fn the_other_vocabularies_under_scythe() {
        let (config, _) =
            config_and_command(&["-g", "-s", "-w", "-e", "3", "-e4", "-p", "SIGUSR1", "x"]);
        assert_eq!(config.target, Target::Group);
        assert!(config.subreaper && config.warn_on_reap);
        assert!(config.success_statuses.contains(3) && config.success_statuses.contains(4));
        assert!(!config.success_statuses.contains(5));
        assert_eq!(config.parent_death_signal, 10);
    }

    #[test]
    fn dumb_init_conventions() {
        let (config, _) = config_as(&DUMB_INIT, &["x"], &[]);
        assert!(config.new_session && config.term_group_on_exit && config.stop_with_job_signals);
        assert_eq!(config.target, Target::Group);
        assert!(!config.subreaper && !config.warnings);
        assert_eq!(config.verbosity, 0);
        // Job-control signals stop the new session's group, unless rewritten.
        assert_eq!(config.rewrite.apply(SIGTSTP), SIGSTOP);
        let (config, _) = config_as(&DUMB_INIT, &["-r", "20:10", "x"], &[]);
        assert_eq!(config.rewrite.apply(SIGTSTP), 10);
        assert_eq!(config.rewrite.apply(SIGTTIN), SIGSTOP);
        // Single-child mode: no session, job-control signals unchanged.
        for (args, env) in [(&["-c", "x"][..], &[][..]), (&["x"], &[("DUMB_INIT_SETSID", "0")])] {
            let (config, _) = config_as(&DUMB_INIT, args, env);
            assert!(!config.new_session);
            assert_eq!(config.target, Target::Child);
            assert_eq!(config.rewrite.apply(SIGTSTP), SIGTSTP);
        }
        // Only the exact values count.
        for value in ["1", "", "false", "00"] {
            assert!(config_as(&DUMB_INIT, &["x"], &[("DUMB_INIT_SETSID", value)]).0.new_session);
        }
        for (args, env) in [(&["-v", "x"][..], &[][..]), (&["x"], &[("DUMB_INIT_DEBUG", "1")])] {
            let (config, _) = config_as(&DUMB_INIT, args, env);
            assert_eq!((config.verbosity, config.warnings), (2, true));
        }
        assert_eq!(config_as(&DUMB_INIT, &["x"], &[("DUMB_INIT_DEBUG", "yes")]).0.verbosity, 0);
    }

    #[test]
    fn dumb_init_rewrites_stay_within_1_to_31() {
        assert!(config_as(&DUMB_INIT, &["-r", "9:0", "x"], &[]).0.rewrite.apply(9) == 0);
        for bad in ["32:1", "1:32", "0:1", "15"] {
            assert!(run_as(&DUMB_INIT, &["-r", bad, "x"], &[]).is_err(), "{bad}");
        }
        assert!(run_as(&DUMB_INIT, &["-g", "x"], &[]).is_err());
        assert!(run_as(&DUMB_INIT, &["-s", "x"], &[]).is_err());
    }

    #[test]
    fn tini_conventions() {
        let (config, _) = config_as(&TINI, &["x"], &[]);
        assert_eq!(config.target, Target::Child);
        assert!(!config.subreaper && config.child_inherits_signals && !config.new_session);
        assert_eq!((config.verbosity, config.warnings), (0, true));
        let (config, _) = config_as(&TINI, &["-vv", "x"], &[]);
        assert_eq!(config.verbosity, 2);
        let env =
            [("TINI_SUBREAPER", ""), ("TINI_KILL_PROCESS_GROUP", ""), ("TINI_VERBOSITY", "0")];
        let (config, _) = config_as(&TINI, &["x"], &env);
        assert!(config.subreaper);
        assert_eq!(config.target, Target::Group);
        assert_eq!((config.verbosity, config.warnings), (0, false));
        assert_eq!(config_as(&TINI, &["x"], &[("TINI_VERBOSITY", "3x")]).0.verbosity, 2);
        assert!(!config_as(&TINI, &["x"], &[("TINI_VERBOSITY", "x")]).0.warnings);
        assert!(run_as(&TINI, &["-c", "x"], &[]).is_err());
        assert!(run_as(&TINI, &["-r", "1:2", "x"], &[]).is_err());
    }

    #[test]
    fn usage_errors_are_one_clear_line() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "no COMMAND given"),
            (&["-v"], "no COMMAND given"),
            (&["--"], "no COMMAND given"),
            (&["-x", "true"], "unknown option '-x'"),
            (&["-vx", "true"], "unknown option '-x'"),
            (&["--bogus=1", "true"], "unknown option '--bogus'"),
            (&["--ver", "true"], "unknown option '--ver'"),
            (&["--=1", "true"], "unknown option '--'"),
            (&["-r"], "option '-r' needs a value"),
            (&["--rewrite"], "option '--rewrite' needs a value"),
            (&["--verbose=2", "x"], "option '--verbose' takes no value"),
            (&["-r", "15", "x"], "--rewrite: '15' is not FROM:TO"),
            (&["-r", "TERM:NOPE", "x"], "--rewrite: 'NOPE' is not a signal"),
            (&["-r", "NOPE:1", "x"], "--rewrite: 'NOPE' is not a signal"),
            (&["-r", "KILL:1", "x"], "--rewrite: 'KILL' is never relayed"),
            (&["-e", "256", "x"], "'256' is not an exit status (0 to 255)"),
            (&["-p", "SIGNOPE", "x"], "'SIGNOPE' is not a signal"),
            (&["-p", "0", "x"], "'0' is not a signal"),
        ];
        for (args, message) in cases {
            let expected = format!("scythe: {message} (try --help)\n");
            assert_eq!(run(args).err(), Some(expected), "{args:?}");
        }
        assert_eq!(
            run_as(&SCYTHE, &["true"], &[("SCYTHE_VERBOSE", "lots")]).err().unwrap(),
            "scythe: SCYTHE_VERBOSE: 'lots' is not a number (try --help)\n"
        );
        assert_eq!(
            run_as(&DUMB_INIT, &["-r", "40:1", "x"], &[]).err().unwrap(),
            "scythe: --rewrite: '40' is out of range (try --help)\n"
        );
    }

    #[test]
    fn shutdown_options_and_their_variables() {
        let (config, _) = config_as(
            &SCYTHE,
            &["-t", "250ms", "--kill-after=2m", "-a", "-u", "1:2", "--no-new-privs", "x"],
            &[],
        );
        assert_eq!((config.grace_ms, config.kill_after_ms), (250, 120_000));
        assert!(config.broadcast && config.no_new_privs);
        assert_eq!(config.user, Some(User { uid: 1, gid: 2 }));
        assert_eq!(config_as(&SCYTHE, &["x"], &[]).0.grace_ms, 5_000);
        let env = [
            ("SCYTHE_GRACE", "0"),
            ("SCYTHE_KILL_AFTER", "1s"),
            ("SCYTHE_ALL", "1"),
            ("SCYTHE_USER", "7"),
            ("SCYTHE_NO_NEW_PRIVS", "0"),
        ];
        let (config, _) = config_as(&SCYTHE, &["x"], &env);
        assert_eq!((config.grace_ms, config.kill_after_ms), (0, 1_000));
        assert!(config.broadcast && !config.no_new_privs);
        assert_eq!(config.user, Some(User { uid: 7, gid: 7 }));
        // Options win over variables.
        assert_eq!(config_as(&SCYTHE, &["--grace", "3s", "x"], &env).0.grace_ms, 3_000);
        // Other names take none of these options and do not wait by
        // default, but read the variables as scythe's own name does.
        let env = [("SCYTHE_GRACE", "2s"), ("SCYTHE_STOP_DELAY", "3s"), ("SCYTHE_USER", "7")];
        for personality in [&DUMB_INIT, &TINI] {
            assert!(run_as(personality, &["--grace", "1s", "x"], &[]).is_err());
            assert_eq!(personality.defaults().grace_ms, 0);
            let (config, _) = config_as(personality, &["x"], &env);
            assert_eq!((config.grace_ms, config.stop_delay_ms), (2_000, 3_000));
            assert_eq!(config.user, Some(User { uid: 7, gid: 7 }));
            // Their own defaults stay where no SCYTHE_* variable says otherwise.
            let (bare, _) = config_as(personality, &["x"], &[]);
            assert_eq!(Config { grace_ms: 0, stop_delay_ms: 0, user: None, ..config }, bare);
        }
    }

    #[test]
    fn scythe_verbose_counts_as_so_many_v_under_every_name() {
        let env = [("SCYTHE_VERBOSE", "1")];
        assert_eq!(config_as(&SCYTHE, &["x"], &env).0.verbosity, 1);
        // dumb-init is verbose or not; tini counts from 1.
        assert_eq!(config_as(&DUMB_INIT, &["x"], &env).0.verbosity, 2);
        assert_eq!(config_as(&TINI, &["x"], &env).0.verbosity, 1);
        let quiet = [("SCYTHE_VERBOSE", "0")];
        assert_eq!(config_as(&DUMB_INIT, &["x"], &quiet).0.verbosity, 0);
        assert_eq!(config_as(&TINI, &["x"], &quiet).0.verbosity, 0);
        // -v wins over it; the name's own variable adds its -v.
        assert_eq!(config_as(&SCYTHE, &["-vvv", "x"], &env).0.verbosity, 3);
        let both = [("SCYTHE_VERBOSE", "0"), ("DUMB_INIT_DEBUG", "1")];
        assert_eq!(config_as(&DUMB_INIT, &["x"], &both).0.verbosity, 2);
        assert_eq!(
            run_as(&TINI, &["x"], &[("SCYTHE_VERBOSE", "x")]).err().unwrap(),
            "scythe: SCYTHE_VERBOSE: 'x' is not a number (try --help)\n"
        );
    }

    #[test]
    fn stop_delay_option_and_variable() {
        assert_eq!(config_and_command(&["--stop-delay", "1500ms", "x"]).0.stop_delay_ms, 1_500);
        assert_eq!(config_and_command(&["--stop-delay=2s", "x"]).0.stop_delay_ms, 2_000);
        let env = [("SCYTHE_STOP_DELAY", "1s")];
        assert_eq!(config_as(&SCYTHE, &["x"], &env).0.stop_delay_ms, 1_000);
        assert_eq!(config_as(&SCYTHE, &["--stop-delay", "0", "x"], &env).0.stop_delay_ms, 0);
        assert_eq!(
            run(&["--stop-delay", "soon", "x"]).err().unwrap(),
            "scythe: 'soon' is not a duration (like 500ms, 5s, 2m) (try --help)\n"
        );
    }

    #[test]
    fn pause_runs_no_command() {
        assert_eq!(run(&["-P"]), Ok(Parsed::Pause));
        assert_eq!(run(&["--pause", "--"]), Ok(Parsed::Pause));
        assert_eq!(run_as(&SCYTHE, &[], &[("SCYTHE_PAUSE", "1")]), Ok(Parsed::Pause));
        assert_eq!(
            run(&["-P", "x"]).err().unwrap(),
            "scythe: --pause runs no COMMAND (try --help)\n"
        );
        assert!(run_as(&SCYTHE, &[], &[("SCYTHE_PAUSE", "0")]).is_err());
    }

    #[test]
    fn bad_shutdown_values_say_what_and_where() {
        type Case =
            (&'static [&'static str], &'static [(&'static str, &'static str)], &'static str);
        let cases: &[Case] = &[
            (&["-t", "-1", "x"], &[], "'-1' is not a duration (like 500ms, 5s, 2m)"),
            (&["--kill-after", "5x", "x"], &[], "'5x' is not a duration (like 500ms, 5s, 2m)"),
            (&["-u", "nobody", "x"], &[], "'nobody' is not a numeric UID[:GID]"),
            (&["x"], &[("SCYTHE_ALL", "yes")], "SCYTHE_ALL: 'yes' is neither 1 nor 0"),
            (
                &["x"],
                &[("SCYTHE_GRACE", "soon")],
                "SCYTHE_GRACE: 'soon' is not a duration (like 500ms, 5s, 2m)",
            ),
        ];
        for (args, env, message) in cases {
            let expected = format!("scythe: {message} (try --help)\n");
            assert_eq!(run_as(&SCYTHE, args, env).err(), Some(expected), "{args:?} {env:?}");
        }
    }

    #[test]
    fn long_clusters_count_every_flag() {
        let cluster = format!("-{}", "v".repeat(100));
        let (config, _) = config_and_command(&[&cluster, "x"]);
        assert_eq!(config.verbosity, 100);
    }
}
