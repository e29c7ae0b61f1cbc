//! Issue 8's fault matrix at full scale: one `apply` of 20 PAIS changes and 10 Idun changes
//! (creates and updates, some PAIS servers with secret headers), once for every fault a proxy,
//! a network or a platform can give a write, before or after the write landed.
//!
//! Each fault hits a few writes of each kind on both platforms (`times`), so some resources are
//! affected and the others not. For every fault:
//! - the first apply reports every resource exactly once, applied or failed with its verdict,
//!   with a summary and an exit status that agree with the lines;
//! - what it reports applied is on the platform with the desired values, and a secret-header
//!   server is recorded in the state exactly when it was applied;
//! - no object is ever duplicated (counted by name in the emulator), not after the first apply
//!   and not after the second;
//! - a second apply exits 0 and leaves every configured object with its desired values (nothing
//!   lost), and `plan --detailed-exitcode` then exits 0.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime};

use mcpform_emulator::{Fault, Platform};
use serde_json::{Value, json};

use crate::support::*;

const SECRET: &str = "ghp_matrix_secret_value_77";
/// PAIS: `pais00`–`pais09` are created, `pais10`–`pais19` exist with another URL and are updated;
/// every even one has a secret header.
const PAIS_COUNT: usize = 20;
const PAIS_CREATES: usize = 10;
/// Idun: `idun0`–`idun4` are created, `idun5`–`idun9` exist with a 30 s timeout (60 s wanted).
const IDUN_COUNT: usize = 10;
const IDUN_CREATES: usize = 5;

fn pais_name(i: usize) -> String {
    format!("pais{i:02}")
}

fn idun_name(i: usize) -> String {
    format!("idun{i}")
}

fn pais_url(i: usize) -> String {
    format!("https://mcp.example.com/pais/{i}")
}

fn has_secret(i: usize) -> bool {
    i.is_multiple_of(2)
}

fn seeded_id(platform: u8, i: usize) -> String {
    format!("00000000-0000-4000-8{platform:03}-{i:012}")
}

fn pais_seed() -> Value {
    let servers: Vec<Value> = (PAIS_CREATES..PAIS_COUNT)
        .map(|i| {
            json!({"id": seeded_id(1, i), "name": pais_name(i),
                   "url": format!("https://old.example.com/{i}"), "transport": "SSE"})
        })
        .collect();
    json!({ "servers": servers })
}

fn idun_seed() -> Value {
    let servers: Vec<Value> = (IDUN_CREATES..IDUN_COUNT)
        .map(|i| {
            json!({"id": seeded_id(2, i), "name": idun_name(i), "enabled": true,
                   "mcpServer": {"name": format!("srv{i}"), "transport": "streamable_http",
                                 "url": format!("https://mcp.example.com/idun/{i}"),
                                 "timeoutSeconds": 30}})
        })
        .collect();
    json!({ "servers": servers })
}

fn matrix_config(pais: &str, idun: &str) -> String {
    let pais_servers: String = (0..PAIS_COUNT)
        .map(|i| {
            let mut server = format!(
                "      - name: {}\n        url: {}\n        transport: STREAMABLE_HTTP\n",
                pais_name(i),
                pais_url(i)
            );
            if has_secret(i) {
                server.push_str(
                    "        headers:\n          - { name: Authorization, value: \"Bearer ${MATRIX_TOKEN}\", secret: true }\n",
                );
            }
            server
        })
        .collect();
    let idun_servers: String = (0..IDUN_COUNT)
        .map(|i| {
            format!(
                "      - name: {}\n        mcp_server:\n          name: srv{i}\n          url: https://mcp.example.com/idun/{i}\n          timeout_seconds: 60\n",
                idun_name(i)
            )
        })
        .collect();
    config(&[
        pais_provider(pais, &pais_servers),
        idun_provider(idun, &idun_servers),
    ])
}

/// Every planned resource: its address, whether it is created (else updated).
fn planned() -> Vec<(String, bool)> {
    let pais =
        (0..PAIS_COUNT).map(|i| (format!("pais/servers/{}", pais_name(i)), i < PAIS_CREATES));
    let idun =
        (0..IDUN_COUNT).map(|i| (format!("idun/servers/{}", idun_name(i)), i < IDUN_CREATES));
    pais.chain(idun).collect()
}

/// Problems with what the emulators hold for `address` now, compared with the config.
fn live_mismatch(pais: &[Value], idun: &[Value], address: &str) -> Option<String> {
    let (platform, name) = address.split_once("/servers/").unwrap();
    let found: Vec<&Value> = match platform {
        "pais" => pais.iter().filter(|s| s["name"] == name).collect(),
        _ => idun.iter().filter(|s| s["name"] == name).collect(),
    };
    let [server] = found.as_slice() else {
        return Some(format!("{} objects named `{name}`", found.len()));
    };
    let i: usize = name
        .trim_start_matches(char::is_alphabetic)
        .parse()
        .unwrap();
    let ok = match platform {
        "pais" => {
            let headers = if has_secret(i) {
                json!([{"name": "Authorization", "value": format!("Bearer {SECRET}"), "is_secret": true}])
            } else {
                json!([])
            };
            server["url"] == pais_url(i)
                && server["transport"] == "STREAMABLE_HTTP"
                && server["headers"].as_array().map_or(json!([]), |h| json!(h)) == headers
        }
        _ => server["mcpServer"]["timeoutSeconds"].as_f64() == Some(60.0),
    };
    (!ok).then(|| format!("`{name}` is {server}"))
}

/// What one report line says about one resource.
#[derive(Debug, PartialEq)]
enum Reported {
    Applied,
    Failed(&'static str),
}

const VERDICTS: &[(&str, &str)] = &[
    ("left untouched", "left untouched"),
    ("not confirmed (", "not confirmed"),
    ("not applied as planned (", "not applied as planned"),
    ("conflict with another writer (", "conflict"),
];

/// The first apply's report, one entry per resource; panics unless every planned resource has
/// exactly one line that names the planned action, a known verdict for a failure, and a summary
/// and exit status that agree with the lines.
fn report(what: &str, run: &Run) -> BTreeMap<String, Reported> {
    let mut lines = BTreeMap::new();
    let actions: BTreeMap<String, bool> = planned().into_iter().collect();
    for line in run.stdout.lines() {
        let (applied, rest) = if let Some(rest) = line.strip_prefix("✓ ") {
            (true, rest)
        } else if let Some(rest) = line.strip_prefix("✗ ") {
            (false, rest)
        } else {
            continue;
        };
        let (address, said) = rest.split_once(": ").unwrap();
        let verb = if actions[address] { "create" } else { "update" };
        let reported = if applied {
            assert_eq!(said, format!("{verb} applied"), "{what}: {line}");
            Reported::Applied
        } else {
            let verdict = said
                .strip_prefix(&format!("{verb} failed, "))
                .and_then(|v| VERDICTS.iter().find(|(p, _)| v.starts_with(p)))
                .unwrap_or_else(|| panic!("{what}: no verdict: {line}"));
            Reported::Failed(verdict.1)
        };
        let twice = lines.insert(address.to_owned(), reported);
        assert!(twice.is_none(), "{what}: {address} reported twice:\n{run}");
    }
    let missing: Vec<&String> = actions.keys().filter(|a| !lines.contains_key(*a)).collect();
    assert!(
        missing.is_empty(),
        "{what}: no report for {missing:?}:\n{run}"
    );
    let failed = lines.values().filter(|r| **r != Reported::Applied).count();
    let summary = format!(
        "\nApply {}: {} applied, {failed} failed.\n",
        if failed == 0 {
            "complete"
        } else {
            "incomplete"
        },
        lines.len() - failed
    );
    assert!(
        run.stdout.contains(&summary),
        "{what}: no `{summary}`:\n{run}"
    );
    run.expect_code(if failed == 0 { 0 } else { 1 });
    lines
}

fn names(servers: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = servers
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[track_caller]
fn assert_no_duplicates(what: &str, when: &str, servers: &[Value]) {
    let names = names(servers);
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "{what}: duplicated {when}");
}

/// One row of the matrix: the fault (built per platform, in its error shape), how many writes
/// of each kind it hits, and whether the apply needs a short `--timeout` to give up on it.
struct Case {
    what: &'static str,
    fault: Box<dyn Fn(Platform) -> Fault>,
    times: u32,
    short_timeout: bool,
    /// The least time the first apply must take: what a `Retry-After` asks for.
    waits: Duration,
}

fn case(what: &'static str, times: u32, fault: impl Fn(Platform) -> Fault + 'static) -> Case {
    Case {
        what,
        fault: Box::new(fault),
        times,
        short_timeout: false,
        waits: Duration::ZERO,
    }
}

fn html_502() -> Fault {
    Fault {
        raw_body: Some(
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".into(),
        ),
        headers: vec![("Content-Type".into(), "text/html".into())],
        ..Fault::answer(502)
    }
}

fn json_body(raw: &str) -> Fault {
    Fault {
        raw_body: Some(raw.into()),
        headers: vec![("Content-Type".into(), "application/json".into())],
        ..Fault::answer(200)
    }
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            waits: Duration::from_secs(1),
            ..case("429 Retry-After: 1", 2, |p| Fault::rate_limited(p, 1))
        },
        // A date at least 2 s ahead (it has whole seconds) when the fault is queued, just before
        // the apply starts: the retry waits at least 1 s even if the apply is slow to start.
        Case {
            waits: Duration::from_secs(1),
            ..case("429 Retry-After: date", 2, |p| {
                let at = SystemTime::now() + Duration::from_secs(3);
                let mut fault = Fault::rate_limited(p, 0);
                fault.headers = vec![("Retry-After".into(), httpdate::fmt_http_date(at))];
                fault
            })
        },
        case("503 ×3 before", 3, Fault::unavailable),
        case("503 ×3 after", 3, |p| {
            Fault::unavailable(p).after_handler()
        }),
        case("500 before", 2, |_| Fault::answer(500)),
        case("500 after", 2, |_| Fault::answer(500).after_handler()),
        case("reset before", 2, |_| Fault::dropped_connection()),
        case("reset after", 2, |_| {
            Fault::dropped_connection().after_handler()
        }),
        Case {
            short_timeout: true,
            ..case("silent before", 1, |_| Fault::silent(2_000))
        },
        Case {
            short_timeout: true,
            ..case("silent after", 1, |_| Fault::silent(2_000).after_handler())
        },
        case("truncated JSON after", 2, |_| {
            json_body("{\"id\": \"5d0c7b3e-1f7a-4c1e").after_handler()
        }),
        case("garbage JSON after", 2, |_| {
            json_body("]}{\u{1}not json, at all").after_handler()
        }),
        case("HTML 502 before", 2, |_| html_502()),
        case("HTML 502 after", 2, |_| html_502().after_handler()),
        case("empty 200 before", 2, |_| Fault::answer(200)),
        case("empty 200 after", 2, |_| Fault::answer(200).after_handler()),
    ];
    for (status, before, after) in [
        (301, "301 before", "301 after"),
        (302, "302 before", "302 after"),
        (303, "303 before", "303 after"),
        (307, "307 before", "307 after"),
        (308, "308 before", "308 after"),
    ] {
        cases.push(case(before, 1, move |_| {
            Fault::redirect(status, "/elsewhere")
        }));
        cases.push(case(after, 1, move |_| {
            Fault::redirect(status, "/elsewhere").after_handler()
        }));
    }
    cases
}

/// Runs one row; returns its line of the summary.
fn run_case(case: &Case) -> String {
    let what = case.what;
    let pais = Emulator::start(Platform::Pais, pais_seed());
    let idun = Emulator::start(Platform::Idun, idun_seed());
    for (emulator, platform, path) in [
        (&pais, Platform::Pais, PAIS_PATH),
        (&idun, Platform::Idun, IDUN_PATH),
    ] {
        for method in ["POST", "PATCH"] {
            let fault = (case.fault)(platform).on(method, path).times(case.times);
            emulator.inject(fault);
        }
    }
    let mut work = Workdir::new(&matrix_config(&pais.url(), &idun.url()));
    work.set_env("MATRIX_TOKEN", SECRET);
    let mut args = vec!["apply", "--auto-approve", "--retries", "4"];
    if case.short_timeout {
        args.extend(["--timeout", "0.5"]);
    }
    let started = Instant::now();
    let first = work.run(&args);
    let took = started.elapsed();
    first.assert_hides(&[SECRET]);
    let reported = report(what, &first);
    assert!(
        took >= case.waits,
        "{what}: the first apply took {took:?}, less than the {:?} the fault asks to wait",
        case.waits
    );

    // The faults fired: each hit `times` writes of each kind on each platform.
    // Every fault changed something: a failure, or a write sent again.
    let writes = [&pais, &idun].iter().flat_map(|e| e.writes()).count();
    assert!(
        writes > PAIS_COUNT + IDUN_COUNT || reported.values().any(|r| *r != Reported::Applied),
        "{what}: the fault went unnoticed:\n{first}"
    );
    // (A fault answering 200 cannot be told from the platform's own answers in the log.)
    let fault = (case.fault)(Platform::Pais);
    let telling = fault.drop_connection || !(200..300).contains(&fault.status);
    for (emulator, name) in [(&pais, "PAIS"), (&idun, "Idun")]
        .into_iter()
        .filter(|_| telling)
    {
        let hit = emulator
            .requests()
            .iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/auth/"))
            .filter(|r| {
                if fault.drop_connection {
                    r.status == 0
                } else {
                    r.status == fault.status
                }
            })
            .count();
        assert!(
            hit >= 2 * case.times as usize,
            "{what}: the fault hit {hit} {name} writes:\n{first}"
        );
    }

    let (pais_now, idun_now) = (stored(&pais), stored(&idun));
    assert_no_duplicates(what, "by the first apply", &pais_now);
    assert_no_duplicates(what, "by the first apply", &idun_now);
    for (address, said) in &reported {
        let mismatch = live_mismatch(&pais_now, &idun_now, address);
        if *said == Reported::Applied {
            assert_eq!(
                mismatch, None,
                "{what}: {address} reported applied:\n{first}"
            );
        }
        let i: usize = address
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap();
        if address.starts_with("pais/") && has_secret(i) {
            assert_eq!(
                state_record(&work, address).is_some(),
                *said == Reported::Applied,
                "{what}: the state records {address} exactly when it was applied:\n{first}"
            );
        }
    }

    let second = work.run(&["apply", "--auto-approve"]);
    second.assert_hides(&[SECRET]);
    second.expect_code(0);
    let (pais_now, idun_now) = (stored(&pais), stored(&idun));
    assert_no_duplicates(what, "by the second apply", &pais_now);
    assert_no_duplicates(what, "by the second apply", &idun_now);
    assert_eq!(
        pais_now.len(),
        PAIS_COUNT,
        "{what}: {}",
        json!(names(&pais_now))
    );
    assert_eq!(
        idun_now.len(),
        IDUN_COUNT,
        "{what}: {}",
        json!(names(&idun_now))
    );
    for (address, _) in planned() {
        let mismatch = live_mismatch(&pais_now, &idun_now, &address);
        assert_eq!(mismatch, None, "{what}: lost:\n{first}\n{second}");
    }
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
    for said in reported.values() {
        if let Reported::Failed(verdict) = said {
            *verdicts.entry(verdict).or_default() += 1;
        }
    }
    let failed: usize = verdicts.values().sum();
    let mut line = format!("{what:<22} {:>2} applied", reported.len() - failed);
    for (verdict, count) in verdicts {
        write!(line, ", {count} {verdict}").unwrap();
    }
    line
}

/// Every fault against an apply of 30 changes: nothing lost, nothing duplicated, every resource
/// reported, and a second apply converges.
#[test]
fn every_write_fault_in_an_apply_of_30_changes_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let summary: Vec<String> = cases().iter().map(run_case).collect();
    eprintln!("fault matrix: {:.1}s", started.elapsed().as_secs_f64());
    snapshot!(summary.join("\n"), @"
    429 Retry-After: 1     30 applied
    429 Retry-After: date  30 applied
    503 ×3 before          30 applied
    503 ×3 after           30 applied
    500 before             30 applied
    500 after              30 applied
    reset before           30 applied
    reset after            30 applied
    silent before          28 applied, 2 not confirmed
    silent after           30 applied
    truncated JSON after   26 applied, 4 not confirmed
    garbage JSON after     26 applied, 4 not confirmed
    HTML 502 before        30 applied
    HTML 502 after         30 applied
    empty 200 before       22 applied, 4 left untouched, 4 not confirmed
    empty 200 after        26 applied, 4 not confirmed
    301 before             26 applied, 2 left untouched, 2 not confirmed
    301 after              28 applied, 2 not confirmed
    302 before             26 applied, 2 left untouched, 2 not confirmed
    302 after              28 applied, 2 not confirmed
    303 before             26 applied, 2 left untouched, 2 not confirmed
    303 after              28 applied, 2 not confirmed
    307 before             26 applied, 2 left untouched, 2 not confirmed
    307 after              28 applied, 2 not confirmed
    308 before             26 applied, 2 left untouched, 2 not confirmed
    308 after              28 applied, 2 not confirmed
    ");
}
