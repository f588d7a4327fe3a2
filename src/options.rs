//! From argv and the environment to a [`Config`]: what scythe was asked to do.
//!
//! One parser for every name: the [`Personality`] says which options and
//! variables count and what they start from. Parsing stops at `--` or at the
//! first word that is not an option, whatever `POSIXLY_CORRECT` says: in
//! `scythe sh -c 'exit 3'` the `-c` belongs to `sh`.

use crate::config::{Config, Target};
use crate::line::Line;
use crate::personality::{Action, ENVIRONMENT, EnvEffect, OPTIONS, Opt, Personality, Verbosity};
use crate::rewrite::{self, Side, SpecError};
use crate::signal::{self, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU};

/// The outcome of a successful parse (the settings go to the caller's
/// [`Config`], which is large, so as not to copy it around).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Parsed {
    /// Run the command at this index of the arguments.
    Run {
        command: usize,
    },
    Help,
    Version,
    License,
}

/// Why the command line cannot be used; `culprit` is the offending text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UsageError<'a> {
    pub problem: Problem,
    pub culprit: &'a [u8],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Problem {
    UnknownOption,
    AmbiguousOption,
    MissingValue,
    UnexpectedValue,
    NoCommand,
    BadRewrite,
    BadSignal,
    BadStatus,
    /// `SCYTHE_VERBOSE` is not a number.
    BadVerbosity,
}

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
/// `config`; `env` looks up an environment variable by name.
pub fn parse<'a, A, E>(
    personality: &Personality,
    args: &A,
    env: E,
    config: &mut Config,
) -> Result<Parsed, UsageError<'a>>
where
    A: Args<'a> + ?Sized,
    E: Fn(&[u8]) -> Option<&'a [u8]>,
{
    *config = personality.defaults();
    let mut parser = Parser { personality, args, next: 0, config, verbose_flags: 0, culprit: b"" };
    match parser.run(env) {
        Ok(parsed) => Ok(parsed),
        Err(problem) => Err(UsageError { problem, culprit: parser.culprit }),
    }
}

/// The parse under way: what is read so far and where the next word is.
struct Parser<'p, 'a, A: Args<'a> + ?Sized> {
    personality: &'p Personality,
    args: &'p A,
    next: usize,
    config: &'p mut Config,
    verbose_flags: u32,
    /// The text at fault, once a step has failed.
    culprit: &'a [u8],
}

/// What one step of the parse gives: `Some` when an option ends the parse at
/// once (`--help`, `--version`). Problems carry no text, which the parser
/// keeps (`culprit`): small results keep the binary small.
type Step = Result<Option<Parsed>, Problem>;

impl<'a, A: Args<'a> + ?Sized> Parser<'_, 'a, A> {
    fn run<E>(&mut self, env: E) -> Result<Parsed, Problem>
    where
        E: Fn(&[u8]) -> Option<&'a [u8]>,
    {
        let command = loop {
            let Some(arg) = self.args.get(self.next) else { return Err(Problem::NoCommand) };
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
        if self.args.get(command).is_none() {
            return Err(Problem::NoCommand);
        }
        self.finish(env)?;
        Ok(Parsed::Run { command })
    }

    /// Records `culprit` as the text at fault and returns `problem`.
    fn blame(&mut self, problem: Problem, culprit: &'a [u8]) -> Problem {
        self.culprit = culprit;
        problem
    }

    /// `--name`, `--name=value` or `--name value`; `arg` is the whole word.
    /// A unique prefix of a name will do, as with `getopt_long`.
    fn long(&mut self, long: &'a [u8], arg: &'a [u8]) -> Step {
        let (name, inline_value) = match long.iter().position(|&b| b == b'=') {
            Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
            None => (long, None),
        };
        let culprit = &arg[..name.len() + 2];
        let opt = self.find_long(name).map_err(|problem| self.blame(problem, culprit))?;
        let value = match (opt.action.takes_value(), inline_value) {
            (true, Some(value)) => value,
            (true, None) => self.take_value(culprit)?,
            (false, Some(_)) => return Err(self.blame(Problem::UnexpectedValue, culprit)),
            (false, None) => b"",
        };
        self.apply(opt.action, value)
    }

    fn find_long(&self, name: &[u8]) -> Result<&'static Opt, Problem> {
        let mut found = None;
        for opt in self.accepted().filter(|opt| opt.long().starts_with(name)) {
            if opt.long().len() == name.len() {
                return Ok(opt);
            }
            if found.is_some() {
                return Err(Problem::AmbiguousOption);
            }
            found = Some(opt);
        }
        found.filter(|_| !name.is_empty()).ok_or(Problem::UnknownOption)
    }

    /// `-c`, `-vv`, `-r15:3`, `-r 15:3`, `-cr 15:3`.
    fn shorts(&mut self, shorts: &'a [u8]) -> Step {
        for (at, letter) in shorts.iter().enumerate() {
            let culprit = &shorts[at..at + 1];
            let Some(opt) = self.accepted().find(|opt| opt.short() == *letter) else {
                return Err(self.blame(Problem::UnknownOption, culprit));
            };
            if opt.action.takes_value() {
                let value = match &shorts[at + 1..] {
                    [] => self.take_value(culprit)?,
                    rest => rest,
                };
                return self.apply(opt.action, value);
            }
            if let Some(answer) = self.apply(opt.action, b"")? {
                return Ok(Some(answer));
            }
        }
        Ok(None)
    }

    /// The options this name accepts.
    fn accepted(&self) -> impl Iterator<Item = &'static Opt> + use<'a, A> {
        let convention = self.personality.convention;
        OPTIONS.iter().filter(move |opt| opt.accepted_by(convention))
    }

    fn take_value(&mut self, culprit: &'a [u8]) -> Result<&'a [u8], Problem> {
        let Some(value) = self.args.get(self.next) else {
            return Err(self.blame(Problem::MissingValue, culprit));
        };
        self.next += 1;
        Ok(value)
    }

    fn apply(&mut self, action: Action, value: &'a [u8]) -> Step {
        self.culprit = value;
        let config = &mut *self.config;
        match action {
            Action::SingleChild => {
                config.target = Target::Child;
                config.new_session = false;
            }
            Action::Group => config.target = Target::Group,
            Action::Verbose => self.verbose_flags = self.verbose_flags.saturating_add(1),
            Action::Subreaper => config.subreaper = true,
            Action::WarnOnReap => config.warn_on_reap = true,
            Action::Rewrite => {
                let (from, to) = rewrite::parse_spec(value, self.personality.rewrite_rules)
                    .map_err(|_| Problem::BadRewrite)?;
                config.rewrite.set(from, to);
            }
            Action::ParentDeathSignal => {
                config.parent_death_signal =
                    signal::parse(value).filter(|&s| s != 0).ok_or(Problem::BadSignal)?;
            }
            Action::SuccessStatus => {
                let status = signal::parse_number(value, 255).ok_or(Problem::BadStatus)?;
                config.success_statuses.insert(status as u8);
            }
            Action::Help => return Ok(Some(Parsed::Help)),
            Action::Version => return Ok(Some(Parsed::Version)),
            Action::License => return Ok(Some(Parsed::License)),
        }
        Ok(None)
    }

    /// Reads the environment (options win over it) and settles verbosity
    /// and the defaults that depend on other settings.
    fn finish<E>(&mut self, env: E) -> Result<(), Problem>
    where
        E: Fn(&[u8]) -> Option<&'a [u8]>,
    {
        let convention = self.personality.convention;
        let mut level = None;
        for rule in ENVIRONMENT.iter().filter(|rule| rule.read_by(convention)) {
            let Some(value) = env(rule.variable()) else { continue };
            match rule.effect {
                EnvEffect::Verbosity => level = Some(value),
                EnvEffect::VerboseIfOne if value == b"1" => level = Some(value),
                EnvEffect::SingleChildIfZero if value == b"0" => {
                    self.apply(Action::SingleChild, b"")?;
                }
                EnvEffect::SubreaperIfSet => self.config.subreaper = true,
                EnvEffect::GroupIfSet => self.config.target = Target::Group,
                EnvEffect::VerboseIfOne | EnvEffect::SingleChildIfZero => {}
            }
        }
        let config = &mut *self.config;
        let flags = self.verbose_flags;
        match self.personality.verbosity {
            Verbosity::Levels => {
                config.verbosity = match (flags, level) {
                    (0, Some(value)) => {
                        self.culprit = value;
                        signal::parse_number(value, u32::MAX).ok_or(Problem::BadVerbosity)?
                    }
                    (flags, _) => flags,
                };
            }
            Verbosity::OnOff => {
                let verbose = flags > 0 || level.is_some();
                config.verbosity = if verbose { 2 } else { 0 };
                config.warnings = verbose;
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
            for signal in [SIGTSTP, SIGTTIN, SIGTTOU] {
                config.rewrite.set_default(signal, SIGSTOP);
            }
        }
        Ok(())
    }
}

/// The number at the start of `text`, 0 if none, as C's `atoi` reads it.
fn leading_number(text: &[u8]) -> u32 {
    let digits = text.iter().position(|b| !b.is_ascii_digit()).unwrap_or(text.len());
    signal::parse_number(&text[..digits], u32::MAX).unwrap_or(0)
}

impl UsageError<'_> {
    /// The one-line message for this error, made under `personality`.
    pub fn describe<'l>(&self, personality: &Personality, line: &'l mut Line) -> &'l mut Line {
        let culprit = self.culprit;
        // Short options come as their bare letter.
        let short = culprit.len() == 1;
        let template = match self.problem {
            Problem::UnknownOption if short => "unknown option '-%'",
            Problem::UnknownOption => "unknown option '%'",
            Problem::AmbiguousOption => "ambiguous option '%'",
            Problem::MissingValue if short => "option '-%' needs a value",
            Problem::MissingValue => "option '%' needs a value",
            Problem::UnexpectedValue => "option '%' takes no value",
            Problem::NoCommand => "no COMMAND given",
            Problem::BadSignal => "'%' is not a signal",
            Problem::BadStatus => "'%' is not an exit status (0 to 255)",
            Problem::BadVerbosity => "SCYTHE_VERBOSE='%' is not a number",
            Problem::BadRewrite => {
                let error = rewrite::parse_spec(culprit, personality.rewrite_rules).err();
                describe_spec_error(line, culprit, error.unwrap_or(SpecError::NoColon));
                ""
            }
        };
        line.fill(template, culprit).text(" (try --help)")
    }
}

fn describe_spec_error(line: &mut Line, spec: &[u8], error: SpecError) {
    let (from, to) = rewrite::split_spec(spec).unwrap_or((spec, b""));
    line.fill("--rewrite '%': ", spec);
    match error {
        SpecError::NoColon => line.text("expected FROM:TO"),
        SpecError::NotASignal(Side::From) => line.fill("'%' is not a signal", from),
        SpecError::NotASignal(Side::To) => line.fill("'%' is not a signal", to),
        SpecError::OutOfRange(Side::From, highest) => {
            line.fill("'%' is not from 1 to ", from).number(highest.into())
        }
        SpecError::OutOfRange(Side::To, highest) => {
            line.fill("'%' is not from 0 to ", to).number(highest.into())
        }
        SpecError::NeverRelayed => line
            .fill("'%' cannot be rewritten (SIGKILL, SIGSTOP and SIGCHLD are never relayed)", from),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let env: Vec<(String, Vec<u8>)> =
            env.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
        let lookup =
            |name: &[u8]| env.iter().find(|(k, _)| k.as_bytes() == name).map(|(_, v)| v.as_slice());
        let mut config = SCYTHE.defaults();
        match parse(personality, args.as_slice(), lookup, &mut config) {
            Ok(parsed) => Ok((parsed, config)),
            Err(error) => {
                let mut line = Line::new();
                Err(String::from_utf8(error.describe(personality, &mut line).finish().to_vec())
                    .unwrap())
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
        assert_eq!(config_and_command(&["--single", "true"]).0.target, Target::Child);
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
            (&["--ver", "true"], "ambiguous option '--ver'"),
            (&["-r"], "option '-r' needs a value"),
            (&["--rewrite"], "option '--rewrite' needs a value"),
            (&["--verbose=2", "x"], "option '--verbose' takes no value"),
            (&["-r", "15", "x"], "--rewrite '15': expected FROM:TO"),
            (&["-r", "TERM:NOPE", "x"], "--rewrite 'TERM:NOPE': 'NOPE' is not a signal"),
            (&["-r", "NOPE:1", "x"], "--rewrite 'NOPE:1': 'NOPE' is not a signal"),
            (
                &["-r", "KILL:1", "x"],
                "--rewrite 'KILL:1': 'KILL' cannot be rewritten (SIGKILL, SIGSTOP and SIGCHLD are never relayed)",
            ),
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
            "scythe: SCYTHE_VERBOSE='lots' is not a number (try --help)\n"
        );
        assert_eq!(
            run_as(&DUMB_INIT, &["-r", "40:1", "x"], &[]).err().unwrap(),
            "scythe: --rewrite '40:1': '40' is not from 1 to 31 (try --help)\n"
        );
    }

    #[test]
    fn long_clusters_count_every_flag() {
        let cluster = format!("-{}", "v".repeat(100));
        let (config, _) = config_and_command(&[&cluster, "x"]);
        assert_eq!(config.verbosity, 100);
    }
}
