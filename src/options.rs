//! From argv and the environment to a [`Config`]: what scythe was asked to do.
//!
//! Options are described by a table ([`Opt`]) so that the parser is one loop
//! whatever the vocabulary. Parsing stops at `--` or at the first word that is
//! not an option, whatever `POSIXLY_CORRECT` says: in `scythe sh -c 'exit 3'`
//! the `-c` belongs to `sh`.

use core::marker::PhantomData;

use crate::line::Line;
use crate::rewrite::{self, RewriteTable, SpecError};
use crate::signal;

/// What an option does when it is given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    SingleChild,
    Rewrite,
    Verbose,
    Help,
    Version,
}

impl Action {
    fn takes_value(self) -> bool {
        matches!(self, Action::Rewrite)
    }
}

/// One accepted option: its short letter (0 for none), its long name
/// without `--` (empty for none) and its action.
pub struct Opt {
    pub short: u8,
    pub long: &'static str,
    pub action: Action,
}

pub const OPTIONS: &[Opt] = &[
    Opt { short: b'c', long: "single-child", action: Action::SingleChild },
    Opt { short: b'r', long: "rewrite", action: Action::Rewrite },
    Opt { short: b'v', long: "verbose", action: Action::Verbose },
    Opt { short: b'h', long: "help", action: Action::Help },
    Opt { short: b'V', long: "version", action: Action::Version },
];

pub const HELP: &str = "\
Usage: scythe [OPTIONS] [--] COMMAND [ARG]...

Run COMMAND as the only child of a tiny init: relay every signal to it,
reap every zombie, and exit with its status.

Options:
  -c, --single-child     relay signals to COMMAND alone, not to its process group
  -r, --rewrite FROM:TO  relay signal FROM as TO (names or numbers: TERM,
                         SIGTERM, 15, RTMIN+2); TO=0 drops FROM; repeatable
  -v, --verbose          log relayed signals, rewrites and exits on stderr;
                         twice, also every reaped orphan
  -h, --help             print this help and exit
  -V, --version          print the version and exit

Environment:
  SCYTHE_VERBOSE=N       verbosity when no -v is given

Exit status: COMMAND's own, or 128+N if signal N killed it; 126 if COMMAND
cannot be executed, 127 if it is not found, 1 if it cannot be started,
2 for a usage error.
";

/// Where relayed signals go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    /// The child's whole process group, so `sh -c 'java ...'` passes them on.
    Group,
    /// The child alone.
    Child,
}

/// What scythe was asked to do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    pub target: Target,
    pub rewrite: RewriteTable,
    /// 0 is silent but for errors; 1 logs signals and the main child's
    /// start and end; 2 also every reaped orphan.
    pub verbosity: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { target: Target::Group, rewrite: RewriteTable::identity(), verbosity: 0 }
    }
}

/// The outcome of a successful parse.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Parsed {
    /// Run the command at this index of the arguments.
    Run {
        config: Config,
        command: usize,
    },
    Help,
    Version,
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
    MissingValue,
    UnexpectedValue,
    NoCommand,
    BadRewrite(SpecError),
    /// The environment variable with this name has a value that is not a number.
    BadNumberIn(&'static str),
}

/// Exit status for a usage error.
pub const USAGE_ERROR: u8 = 2;

/// The arguments after argv\[0\], by index; `None` past the end.
pub trait Args<'a> {
    fn get(&self, index: usize) -> Option<&'a [u8]>;
}

impl<'a> Args<'a> for [&'a [u8]] {
    fn get(&self, index: usize) -> Option<&'a [u8]> {
        <[&[u8]]>::get(self, index).copied()
    }
}

/// Parses the arguments after argv\[0\]; `env` looks up an environment
/// variable by name.
pub fn parse<'a, A, E>(args: &A, env: E) -> Result<Parsed, UsageError<'a>>
where
    A: Args<'a> + ?Sized,
    E: Fn(&str) -> Option<&'a [u8]>,
{
    let mut parser =
        Parser { args, next: 0, config: Config::default(), verbose_flags: 0, words: PhantomData };
    let command = loop {
        let Some(arg) = parser.args.get(parser.next) else {
            return Err(UsageError { problem: Problem::NoCommand, culprit: b"" });
        };
        parser.next += 1;
        let early = match arg {
            b"--" => break parser.next,
            [b'-', b'-', long @ ..] => parser.long(long, arg)?,
            [b'-', shorts @ ..] if !shorts.is_empty() => parser.shorts(shorts)?,
            _ => break parser.next - 1,
        };
        match early {
            Some(Answer::Help) => return Ok(Parsed::Help),
            Some(Answer::Version) => return Ok(Parsed::Version),
            None => {}
        }
    };
    if args.get(command).is_none() {
        return Err(UsageError { problem: Problem::NoCommand, culprit: b"" });
    }
    let mut config = parser.config;
    config.verbosity = match (parser.verbose_flags, env("SCYTHE_VERBOSE")) {
        (0, Some(level)) => signal::parse_number(level, u32::MAX).ok_or(UsageError {
            problem: Problem::BadNumberIn("SCYTHE_VERBOSE"),
            culprit: level,
        })?,
        (flags, _) => flags,
    };
    Ok(Parsed::Run { config, command })
}

/// The parse under way: what is read so far and where the next word is.
struct Parser<'p, 'a, A: Args<'a> + ?Sized> {
    args: &'p A,
    next: usize,
    config: Config,
    verbose_flags: u32,
    words: PhantomData<&'a [u8]>,
}

/// `Some` when an option ends the parse at once (kept apart from
/// [`Parsed`], which carries a whole [`Config`], so that it stays small).
type Early = Option<Answer>;

/// Options answered without running anything.
#[derive(Clone, Copy)]
enum Answer {
    Help,
    Version,
}

impl<'a, A: Args<'a> + ?Sized> Parser<'_, 'a, A> {
    /// `--name`, `--name=value` or `--name value`; `arg` is the whole word.
    fn long(&mut self, long: &'a [u8], arg: &'a [u8]) -> Result<Early, UsageError<'a>> {
        let (name, inline_value) = match long.iter().position(|&b| b == b'=') {
            Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
            None => (long, None),
        };
        let culprit = &arg[..name.len() + 2];
        let opt = OPTIONS
            .iter()
            .find(|opt| !opt.long.is_empty() && opt.long.as_bytes() == name)
            .ok_or(UsageError { problem: Problem::UnknownOption, culprit })?;
        let value = match (opt.action.takes_value(), inline_value) {
            (true, Some(value)) => value,
            (true, None) => self.take_value(culprit)?,
            (false, Some(_)) => {
                return Err(UsageError { problem: Problem::UnexpectedValue, culprit });
            }
            (false, None) => b"",
        };
        self.apply(opt.action, value)
    }

    /// `-c`, `-vv`, `-r15:3`, `-r 15:3`, `-cr 15:3`.
    fn shorts(&mut self, shorts: &'a [u8]) -> Result<Early, UsageError<'a>> {
        for (at, letter) in shorts.iter().enumerate() {
            let culprit = &shorts[at..at + 1];
            let opt = OPTIONS
                .iter()
                .find(|opt| opt.short != 0 && opt.short == *letter)
                .ok_or(UsageError { problem: Problem::UnknownOption, culprit })?;
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

    fn take_value(&mut self, culprit: &'a [u8]) -> Result<&'a [u8], UsageError<'a>> {
        let value = self
            .args
            .get(self.next)
            .ok_or(UsageError { problem: Problem::MissingValue, culprit })?;
        self.next += 1;
        Ok(value)
    }

    fn apply(&mut self, action: Action, value: &'a [u8]) -> Result<Early, UsageError<'a>> {
        match action {
            Action::SingleChild => self.config.target = Target::Child,
            Action::Verbose => self.verbose_flags = self.verbose_flags.saturating_add(1),
            Action::Help => return Ok(Some(Answer::Help)),
            Action::Version => return Ok(Some(Answer::Version)),
            Action::Rewrite => {
                let (from, to) = rewrite::parse_spec(value).map_err(|error| UsageError {
                    problem: Problem::BadRewrite(error),
                    culprit: value,
                })?;
                self.config.rewrite.set(from, to);
            }
        }
        Ok(None)
    }
}

impl UsageError<'_> {
    /// The one-line message for this error.
    pub fn describe<'l>(&self, line: &'l mut Line) -> &'l mut Line {
        let culprit = self.culprit;
        // Short options come as their bare letter.
        let dash: &str = if culprit.len() == 1 { "-" } else { "" };
        match self.problem {
            Problem::UnknownOption => {
                line.text("unknown option '").text(dash).bytes(culprit).text("'")
            }
            Problem::MissingValue => {
                line.text("option '").text(dash).bytes(culprit).text("' needs a value")
            }
            Problem::UnexpectedValue => {
                line.text("option '").bytes(culprit).text("' takes no value")
            }
            Problem::NoCommand => line.text("no COMMAND given"),
            Problem::BadRewrite(error) => describe_spec_error(line, culprit, error),
            Problem::BadNumberIn(variable) => {
                line.text(variable).text("='").bytes(culprit).text("' is not a number")
            }
        };
        line.text(" (see 'scythe --help')")
    }
}

fn describe_spec_error<'l>(line: &'l mut Line, spec: &[u8], error: SpecError) -> &'l mut Line {
    let (from, to) = match spec.iter().position(|&b| b == b':') {
        Some(colon) => (&spec[..colon], &spec[colon + 1..]),
        None => (spec, &b""[..]),
    };
    line.text("--rewrite '").bytes(spec).text("': ");
    match error {
        SpecError::NoColon => line.text("expected FROM:TO"),
        SpecError::BadFrom if signal::parse(from).is_some() => line
            .text("'")
            .bytes(from)
            .text("' cannot be rewritten (SIGKILL, SIGSTOP and SIGCHLD are never relayed)"),
        SpecError::BadFrom => line.text("'").bytes(from).text("' is not a signal"),
        SpecError::BadTo => line.text("'").bytes(to).text("' is not a signal (or 0 to drop)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{SIGHUP, SIGQUIT, SIGTERM};

    fn run(args: &[&str]) -> Result<Parsed, String> {
        run_with_env(args, &[])
    }

    fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<Parsed, String> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let env: Vec<(String, Vec<u8>)> =
            env.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_slice());
        parse(args.as_slice(), lookup).map_err(|error| {
            let mut line = Line::new();
            String::from_utf8(error.describe(&mut line).finish().to_vec()).unwrap()
        })
    }

    fn config_and_command(args: &[&str]) -> (Config, usize) {
        match run(args) {
            Ok(Parsed::Run { config, command }) => (config, command),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_command() {
        let (config, command) = config_and_command(&["sleep", "1"]);
        assert_eq!(command, 0);
        assert_eq!(config, Config::default());
    }

    #[test]
    fn options_stop_at_the_first_word_that_is_not_one() {
        let (config, command) = config_and_command(&["sh", "-c", "exit 3"]);
        assert_eq!(command, 0);
        assert_eq!(config.target, Target::Group);
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
    fn help_and_version_win_where_they_stand() {
        assert_eq!(run(&["-h"]), Ok(Parsed::Help));
        assert_eq!(run(&["--help", "--bogus"]), Ok(Parsed::Help));
        assert_eq!(run(&["-V"]), Ok(Parsed::Version));
        assert_eq!(run(&["-vV"]), Ok(Parsed::Version));
    }

    #[test]
    fn verbosity_from_the_environment_unless_flags_say() {
        let env = [("SCYTHE_VERBOSE", "2")];
        match run_with_env(&["true"], &env) {
            Ok(Parsed::Run { config, .. }) => assert_eq!(config.verbosity, 2),
            other => panic!("{other:?}"),
        }
        match run_with_env(&["-v", "true"], &env) {
            Ok(Parsed::Run { config, .. }) => assert_eq!(config.verbosity, 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors_are_one_clear_line() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "scythe: no COMMAND given (see 'scythe --help')\n"),
            (&["-v"], "scythe: no COMMAND given (see 'scythe --help')\n"),
            (&["--"], "scythe: no COMMAND given (see 'scythe --help')\n"),
            (&["-x", "true"], "scythe: unknown option '-x' (see 'scythe --help')\n"),
            (&["-vx", "true"], "scythe: unknown option '-x' (see 'scythe --help')\n"),
            (&["--bogus=1", "true"], "scythe: unknown option '--bogus' (see 'scythe --help')\n"),
            (&["-r"], "scythe: option '-r' needs a value (see 'scythe --help')\n"),
            (&["--rewrite"], "scythe: option '--rewrite' needs a value (see 'scythe --help')\n"),
            (
                &["--verbose=2", "x"],
                "scythe: option '--verbose' takes no value (see 'scythe --help')\n",
            ),
            (
                &["-r", "15", "x"],
                "scythe: --rewrite '15': expected FROM:TO (see 'scythe --help')\n",
            ),
            (
                &["-r", "TERM:NOPE", "x"],
                "scythe: --rewrite 'TERM:NOPE': 'NOPE' is not a signal (or 0 to drop) (see 'scythe --help')\n",
            ),
            (
                &["-r", "NOPE:1", "x"],
                "scythe: --rewrite 'NOPE:1': 'NOPE' is not a signal (see 'scythe --help')\n",
            ),
            (
                &["-r", "KILL:1", "x"],
                "scythe: --rewrite 'KILL:1': 'KILL' cannot be rewritten (SIGKILL, SIGSTOP and SIGCHLD are never relayed) (see 'scythe --help')\n",
            ),
        ];
        for (args, message) in cases {
            assert_eq!(run(args).as_ref().err().map(String::as_str), Some(*message), "{args:?}");
        }
        assert_eq!(
            run_with_env(&["true"], &[("SCYTHE_VERBOSE", "lots")]).err().unwrap(),
            "scythe: SCYTHE_VERBOSE='lots' is not a number (see 'scythe --help')\n"
        );
    }

    #[test]
    fn long_clusters_count_every_flag() {
        let cluster = format!("-{}", "v".repeat(100));
        let (config, _) = config_and_command(&[&cluster, "x"]);
        assert_eq!(config.verbosity, 100);
    }
}
