//! Property tests of everything scythe parses: options and environment under
//! every name, signal names, rewrite specs, durations, user ids, and the
//! message line. Arbitrary bytes (non-UTF-8, empty, huge numbers, control
//! characters) must never panic and always give either a setting or one
//! clear line. `make test` runs the default number of cases; `make fuzz`
//! runs many more (PROPTEST_CASES).

use proptest::collection::vec;
use proptest::prelude::*;

use crate::config::User;
use crate::duration;
use crate::environment::Environment;
use crate::line::Line;
use crate::options::{self, Parsed};
use crate::personality::{self, Convention, DUMB_INIT, Personality, SCYTHE, TINI};
use crate::rewrite::{self, SpecRules};
use crate::signal;
use crate::text;

/// Words an attacker or a confused user might pass: option-like ones,
/// plausible values, and arbitrary bytes.
fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"--".to_vec()),
        Just(b"-".to_vec()),
        prop::sample::select(vec![
            "-c",
            "-g",
            "-r",
            "-s",
            "-p",
            "-e",
            "-w",
            "-t",
            "-a",
            "-P",
            "-u",
            "-v",
            "-h",
            "-V",
            "-l",
            "--rewrite",
            "--grace",
            "--kill-after",
            "--user",
            "--all",
            "--pause",
            "--no-new-privs",
            "--single-child",
            "--verbose",
            "--version",
            "--help",
            "-vvv",
            "-cr",
            "--rewrite=",
            "TERM:QUIT",
            "15:0",
            "RTMIN+2:1",
            "99999999999999999999:1",
            "1:",
            ":",
            "5s",
            "250ms",
            "-1",
            "1h",
            "65534:65534",
            "4294967296",
            "sh",
            "true",
        ])
        .prop_map(|w| w.as_bytes().to_vec()),
        vec(any::<u8>(), 0..40),
        "-[a-zA-Z-]{1,12}(=.{0,8})?".prop_map(String::into_bytes),
    ]
}

fn convention() -> impl Strategy<Value = Convention> {
    prop::sample::select(vec![Convention::Scythe, Convention::DumbInit, Convention::Tini])
}

fn environment() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let names = prop::sample::select(vec![
        "SCYTHE_VERBOSE",
        "SCYTHE_GRACE",
        "SCYTHE_KILL_AFTER",
        "SCYTHE_STOP_DELAY",
        "SCYTHE_ALL",
        "SCYTHE_PAUSE",
        "SCYTHE_USER",
        "SCYTHE_NO_NEW_PRIVS",
        "DUMB_INIT_SETSID",
        "DUMB_INIT_DEBUG",
        "TINI_SUBREAPER",
        "TINI_KILL_PROCESS_GROUP",
        "TINI_VERBOSITY",
    ]);
    vec((names, prop_oneof![word(), vec(any::<u8>(), 0..12)]), 0..6)
}

/// Every name scythe reads, in the order [`Environment`] keeps them.
fn known_names() -> Vec<&'static [u8]> {
    let names = personality::ENVIRONMENT_HELP.split(|&b| b == b'\n').map(personality::variable);
    names.chain([&b"PATH"[..], b"LISTEN_PID"]).collect()
}

/// Environment entries as a process may get them: scythe's names with and
/// without `=`, given twice, cut short or run on, in the wrong case, and
/// arbitrary bytes (but NUL, which ends a C string).
fn entries() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let name = prop::sample::select(known_names());
    let value = vec(1u8..=255, 0..6);
    let entry = prop_oneof![
        (name.clone(), value.clone()).prop_map(|(n, v)| [n, b"=", &v].concat()),
        (name.clone(), 0..30usize, value.clone()).prop_map(|(n, cut, v)| {
            let n = &n[..cut.min(n.len())];
            [n, &v].concat()
        }),
        (name, value.clone()).prop_map(|(n, v)| [&n.to_ascii_lowercase(), &b"="[..], &v].concat()),
        vec(1u8..=255, 0..24),
        "[A-Z_]{1,12}=[a-z0-9]{0,4}".prop_map(String::into_bytes),
    ];
    vec(entry, 0..24)
}

/// Parses and checks what any parse must give.
fn check_parse(personality: &Personality, args: &[Vec<u8>], env: &[(&str, Vec<u8>)]) {
    let words: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    let entries: Vec<Vec<u8>> = env.iter().map(|(k, v)| [k.as_bytes(), b"=", v].concat()).collect();
    let mut environment = Environment::new();
    environment.read(entries.iter().map(Vec::as_slice));
    let mut config = personality.defaults();
    match options::parse(personality, words.as_slice(), &environment, &mut config) {
        Ok(Parsed::Run { command }) => {
            assert!(command < words.len(), "COMMAND past the end");
            assert!(!config.pause, "a COMMAND with pause mode");
            assert!(config.parent_death_signal <= signal::MAX);
        }
        Ok(Parsed::Pause) => assert!(config.pause),
        Ok(Parsed::Help | Parsed::Version | Parsed::License) => {}
        Err(error) => {
            let mut line = Line::new();
            let message = error.describe(&mut line).finish();
            assert!(message.starts_with(b"scythe: "), "{message:?}");
            assert_eq!(message.iter().filter(|&&b| b == b'\n').count(), 1, "{message:?}");
            assert!(message.ends_with(b" (try --help)\n"), "{message:?}");
        }
    }
}

proptest! {
    #[test]
    fn any_command_line_parses_or_says_why_in_one_line(
        convention in convention(),
        args in vec(word(), 0..12),
        env in environment(),
    ) {
        check_parse(convention.personality(), &args, &env);
    }

    #[test]
    fn one_pass_gives_what_getenv_gives(entries in entries()) {
        let mut environment = Environment::new();
        environment.read(entries.iter().map(Vec::as_slice));
        for (index, name) in known_names().into_iter().enumerate() {
            let getenv = entries.iter().find_map(|entry| {
                entry.strip_prefix(name)?.strip_prefix(b"=")
            });
            prop_assert_eq!(environment.variable(index), getenv, "{:?}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn signal_names_never_panic(text in vec(any::<u8>(), 0..16)) {
        if let Some(number) = signal::parse(&text) {
            prop_assert!(number <= signal::MAX);
        }
    }

    #[test]
    fn rewrite_specs_stay_in_range(text in vec(any::<u8>(), 0..24), narrow in any::<bool>()) {
        let rules = if narrow {
            SpecRules { highest: 31, refuse_unrelayed: false }
        } else {
            SpecRules::ALL
        };
        match rewrite::parse_spec(&text, rules) {
            Ok((from, to)) => {
                prop_assert!((1..=rules.highest).contains(&from));
                prop_assert!(to <= rules.highest);
            }
            // The part at fault is a part of the spec.
            Err((_, part)) => prop_assert!(part.len() <= text.len()),
        }
    }

    #[test]
    fn durations_are_what_they_say(count in 0u32..100_000, unit in 0usize..4) {
        let (suffix, scale) = [("ms", 1u64), ("s", 1_000), ("m", 60_000), ("", 1_000)][unit];
        let text = format!("{count}{suffix}");
        let expected = u64::from(count) * scale;
        prop_assert_eq!(duration::parse_ms(text.as_bytes()).map(u64::from), u32::try_from(expected).ok().map(u64::from));
    }

    #[test]
    fn durations_and_users_never_panic(text in vec(any::<u8>(), 0..24)) {
        let _ = duration::parse_ms(&text);
        if let Some(user) = User::parse(&text) {
            prop_assert!(text.contains(&b':') || user.gid == user.uid);
        }
    }

    #[test]
    fn splitting_agrees_with_core(text in vec(0u8..4, 0..40), ends in vec(0u8..4, 0..3)) {
        let mut parts = text.splitn(2, |b| ends.contains(b));
        let expected = (parts.next().unwrap_or_default(), parts.next());
        prop_assert_eq!(text::split_at_any(&text, &ends), expected);
    }

    #[test]
    fn a_line_never_overflows_or_breaks(pieces in vec(vec(any::<u8>(), 0..300), 0..8)) {
        let mut line = Line::new();
        for piece in &pieces {
            line.bytes(piece).number(u32::MAX).signal(64);
            // Any bytes as a template, placeholders and all.
            line.fill(piece, piece, &[u32::MAX, 64]);
        }
        let finished = line.finish();
        prop_assert!(finished.len() <= 256);
        prop_assert_eq!(finished.iter().filter(|&&b| b == b'\n').count(), 1);
        prop_assert!(finished.ends_with(b"\n"));
    }
}

#[test]
fn ten_thousand_arguments_and_a_128_kib_one() {
    let mut args: Vec<Vec<u8>> =
        (0..10_000).map(|i| format!("-v{}", "v".repeat(i % 3)).into_bytes()).collect();
    args.push(b"true".to_vec());
    for personality in [&SCYTHE, &DUMB_INIT, &TINI] {
        check_parse(personality, &args, &[]);
    }
    let huge = vec![b'x'; 128 * 1024];
    for personality in [&SCYTHE, &DUMB_INIT, &TINI] {
        let rewrite = [b"-r".to_vec(), huge.clone(), b"true".to_vec()];
        check_parse(personality, &rewrite, &[]);
        let unknown = [[b"--".as_slice(), &huge].concat(), b"true".to_vec()];
        check_parse(personality, &unknown, &[]);
        check_parse(personality, std::slice::from_ref(&huge), &[("SCYTHE_GRACE", huge.clone())]);
    }
}
