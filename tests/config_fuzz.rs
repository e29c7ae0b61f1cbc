//! Fuzzing the config loader: arbitrary bytes, mutations of the configs in `examples/`, and
//! hostile YAML go through `config::load` and are rendered exactly as the binary renders
//! them (miette's graphical handler, unicode, 100 columns, no colour). No input may panic or
//! hang, and every problem names `file:line:col` inside the file.
//!
//! `MCPFORM_FUZZ_SCALE=N` runs N times the cases (the suite runs several thousand).
//! The inputs that once panicked or hung live in `tests/fixtures/hostile/` and run every time.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mcpform::config::{self, ConfigErrors};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Generous: a case takes milliseconds; this only turns a hang into a failure.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

fn scale() -> u32 {
    std::env::var("MCPFORM_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn env(name: &str) -> Option<String> {
    (name == "SET").then(|| "value".to_owned())
}

/// Renders like `main.rs` does: the hook's handler, printed with `{:?}`.
struct AsBinary<'a>(&'a ConfigErrors);

impl fmt::Debug for AsBinary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let handler = miette::MietteHandlerOpts::new()
            .color(false)
            .unicode(true)
            .terminal_links(false)
            .width(100)
            .build();
        miette::ReportHandler::debug(&handler, self.0, f)
    }
}

/// Loads `bytes` as `dir/fuzz.yaml`, renders the report, and checks every location.
fn check_in(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join("fuzz.yaml");
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    let bytes = bytes.to_vec();
    let started = std::time::Instant::now();
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
    let size = bytes.len();
    let _slow = Guard(Box::new(move || {
        let elapsed = started.elapsed();
        if elapsed > Duration::from_secs(2) {
            eprintln!("slow case: {elapsed:?} for {size} bytes starting {head:?}");
        }
    }));
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(|| load_and_render(&path, &bytes));
        let _ = send.send(outcome);
    });
    match receive.recv_timeout(CASE_TIMEOUT) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("the loader or the renderer panicked".to_owned()),
        Err(_) => Err(format!("no answer within {CASE_TIMEOUT:?}")),
    }
}

/// Runs its closure when dropped: reports slow cases however the check ends.
struct Guard(Box<dyn Fn()>);

impl Drop for Guard {
    fn drop(&mut self) {
        (self.0)();
    }
}

fn load_and_render(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let Err(errors) = config::load(&[path.to_path_buf()], &env) else {
        return Ok(());
    };
    let report = format!("{:?}", AsBinary(&errors));
    let text = String::from_utf8_lossy(bytes);
    // Line breaks as YAML and miette count them.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut located = 0;
    for header in report.split("╭─[").skip(1) {
        let place = header.split(']').next().unwrap_or_default();
        let Some(rest) = place.strip_prefix(&format!("{}:", path.display())) else {
            return Err(format!("snippet header `{place}` does not name the file"));
        };
        let numbers: Vec<usize> = rest.split(':').filter_map(|n| n.parse().ok()).collect();
        let [line, column] = numbers[..] else {
            return Err(format!("snippet header `{place}` has no line:col"));
        };
        let Some(shown) = lines.get(line.wrapping_sub(1)) else {
            return Err(format!("line {line} is past the end of the file"));
        };
        if column == 0 || column > shown.len() + 3 {
            return Err(format!("column {column} is outside line {line}"));
        }
        located += 1;
    }
    // Each problem has at least one snippet (notes and secondary labels may add more).
    if located < errors.len() {
        return Err(format!(
            "{} problems but {located} located snippets:\n{report}",
            errors.len()
        ));
    }
    if report.len() > 64 * 1024 + errors.len() * 4096 {
        return Err(format!("a report of {} bytes", report.len()));
    }
    Ok(())
}

fn examples() -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut dirs = vec![PathBuf::from("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("examples/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no example configs");
    found
}

/// Snippets that break YAML, interpolation or the schema in interesting ways.
const TOKENS: &[&str] = &[
    "${",
    "$${",
    "${}",
    "${A${B}}",
    "${SET}",
    "${UNSET}",
    "${1A}",
    "}",
    "$",
    "&a ",
    "*a",
    "<<: *a",
    "&b [*a, *a] ",
    "\t",
    "\u{feff}",
    "\r",
    "\r\n",
    "\n",
    "\n  ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "? ",
    "'",
    "\"",
    "\\",
    "!!str ",
    "!custom ",
    "!!map ",
    "---\n",
    "...\n",
    "# c",
    "|\n  ",
    ">-\n  ",
    "%YAML 1.2\n",
    "ü",
    "😀",
    "\u{0}",
    "version: 1\n",
    "platform: pais",
    "name: x",
    "url: ",
    "http://",
    "0x",
    ".inf",
    "~",
    "null",
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, usize),
    InsertByte(usize, u8),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len().max(1);
        match *mutation {
            Mutation::Insert(at, token) => {
                let at = at % (bytes.len() + 1);
                let token = TOKENS[token % TOKENS.len()].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            Mutation::InsertByte(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 64).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Mutation::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n % 256).min(bytes.len());
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::InsertByte(a, b)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Delete(a, n)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
    ]
}

/// Hostile YAML built to size: deep nesting, alias chains, huge scalars, long lines.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let deep = (1usize..400, any::<bool>()).prop_map(|(n, flow)| {
        if flow {
            format!(
                "version: 1\nproviders: {}x{}\n",
                "[".repeat(n),
                "]".repeat(n)
            )
        } else {
            let mut s = String::from("version: 1\nproviders:\n");
            for i in 0..n {
                s.push_str(&format!("{}- a:\n", "  ".repeat(i + 1)));
            }
            s
        }
    });
    let aliases = (1usize..12, 1usize..12, 1usize..5000).prop_map(|(levels, width, size)| {
        let mut s = format!("version: 1\na0: &a0 \"{}\"\n", "s".repeat(size));
        for i in 1..levels {
            let items = vec![format!("*a{}", i - 1); width].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        s
    });
    let huge = (1usize..100_000, 0usize..TOKENS.len(), any::<bool>()).prop_map(
        |(size, token, flow)| {
            let filler = TOKENS[token].repeat(size / TOKENS[token].len().max(1) + 1);
            if flow {
                format!("{{version: 1, providers: [{{name: p, platform: pais, endpoint: \"{filler}\"}}], x: 1}}")
            } else {
                format!("version: 1\n{filler}: 1\nproviders: [{{name: p, platform: nope}}]\n")
            }
        },
    );
    let long_names = (1usize..100_000, 0usize..4).prop_map(|(n, shape)| {
        let name = "N".repeat(n);
        match shape {
            0 => format!("version: 1\nproviders: [{{name: p, platform: pais, endpoint: \"${{{name}}} ${{U}}\"}}]\n"),
            1 => format!("version: 1\nv: \"{}\"\n", "${A${B}}".repeat(n / 8 + 1)),
            2 => format!("version: 1\nv: {}\n", "$${".repeat(n / 3 + 1)),
            _ => format!("\u{feff}version: 1\n\tv: ${{{name}\n"),
        }
    });
    let duplicates = (1usize..3000, any::<bool>()).prop_map(|(n, flow)| {
        if flow {
            format!("{{{}}}", vec!["a: 1"; n].join(", "))
        } else {
            "version: 1\n".repeat(n)
        }
    });
    prop_oneof![deep, aliases, huge, long_names, duplicates].prop_map(String::into_bytes)
}

fn run(cases: u32, strategy: impl Strategy<Value = Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        cases: cases * scale(),
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&strategy, |bytes| {
            check_in(dir.path(), &bytes).map_err(TestCaseError::fail)
        })
        .unwrap();
}

#[test]
fn arbitrary_bytes_never_panic() {
    run(1_500, proptest::collection::vec(any::<u8>(), 0..1024));
}

#[test]
fn mutated_examples_never_panic() {
    let examples = examples();
    let strategy = (
        0..examples.len(),
        proptest::collection::vec(mutation(), 1..12),
    )
        .prop_map(move |(i, mutations)| mutate(examples[i].clone(), &mutations));
    run(1_500, strategy);
}

#[test]
fn hostile_yaml_never_panics() {
    run(300, hostile());
}

/// Inputs that once panicked, hung or blew up memory.
#[test]
fn the_regression_corpus_loads_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let mut corpus: Vec<(String, Vec<u8>)> = std::fs::read_dir("tests/fixtures/hostile")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    corpus.sort();
    assert!(!corpus.is_empty());
    // Too big to keep as files: generated the way they were found.
    let alias_bomb = format!(
        "version: 1\nbig: &big \"{}\"\nbomb: [{}]\n",
        "b".repeat(20_000),
        vec!["*big"; 99_000].join(", ")
    );
    let ten_megabytes = format!(
        "{{version: 1, providers: [{{name: p, platform: nope, endpoint: \"{}\"}}]}}",
        "x".repeat(10_000_000)
    );
    let many_keys = format!(
        "{{version: 1, {}}}",
        (0..10_000)
            .map(|i| format!("k{i}: 1"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Each duplicate's report once showed every line back to the first `version`.
    let duplicates = "version: 1\n".repeat(5_000);
    corpus.push(("5,000 duplicate keys".into(), duplicates.into_bytes()));
    corpus.push(("alias bomb".into(), alias_bomb.into_bytes()));
    corpus.push(("10 MB line".into(), ten_megabytes.into_bytes()));
    corpus.push(("10,000 unknown keys".into(), many_keys.into_bytes()));
    for (name, bytes) in corpus {
        if let Err(problem) = check_in(dir.path(), &bytes) {
            panic!("{name}: {problem}");
        }
    }
}
