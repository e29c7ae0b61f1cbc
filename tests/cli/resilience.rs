//! Rate limits, outages and partial failure.

use mcpform_emulator::{Fault, Platform};
use serde_json::json;

use crate::support::*;

fn two_servers_out_of_sync() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"id": "11111111-1111-4111-8111-111111111111", "name": "a", "url": "https://mcp.example.com/a", "transport": "SSE"},
            {"id": "22222222-2222-4222-8222-222222222222", "name": "b", "url": "https://mcp.example.com/b", "transport": "SSE"}
        ]}),
    )
}

const SERVERS: &str = "      - name: a
        url: https://mcp.example.com/a
        transport: SSE
        description: A
      - name: b
        url: https://mcp.example.com/b
        transport: SSE
        description: B
";

#[test]
fn a_429_with_retry_after_is_waited_out() {
    let pais = two_servers_out_of_sync();
    let mut fault = Fault::rate_limited(Platform::Pais, 1);
    fault.method = Some("PATCH".into());
    fault.times = Some(1);
    pais.inject(fault);
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let started = std::time::Instant::now();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After"
    );
    let patches: Vec<u16> = pais.writes().iter().map(|w| w.status).collect();
    assert_eq!(patches.iter().filter(|s| **s == 429).count(), 1);
    assert_eq!(patches.iter().filter(|s| **s == 200).count(), 2);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_persistent_503_fails_that_resource_and_still_applies_the_others() {
    let pais = two_servers_out_of_sync();
    pais.inject(Fault {
        method: Some("PATCH".into()),
        path_contains: Some("22222222-2222-4222-8222-222222222222".into()),
        ..Fault::unavailable(Platform::Pais)
    });
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let run = work.run(&["apply", "--auto-approve", "--retries", "2"]);
    run.expect_code(1);
    assert!(run.stdout.contains("✓ pais/servers/a"), "{}", run.stdout);
    let failure = run
        .stdout
        .lines()
        .find(|l| l.starts_with("✗ pais/servers/b"))
        .expect("b is reported");
    assert!(failure.contains("503"), "{failure}");
    assert!(failure.contains("after 3 attempts"), "{failure}");
    assert!(failure.contains("left untouched"), "{failure}");
    assert!(
        run.stderr.contains("1 of 2 resource(s) failed to apply"),
        "{}",
        run.stderr
    );
    assert_eq!(pais.state()["servers"][0]["description"], "A");
    assert!(
        pais.state()["servers"][1]
            .get("description")
            .is_none_or(|d| d.is_null())
    );
}

#[test]
fn an_unreachable_platform_is_a_clear_error() {
    let work = Workdir::new(&config(&[pais_provider("http://127.0.0.1:9", SERVERS)]));
    let run = work.run(&["plan", "--retries", "0"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("provider `pais`: cannot read the live state"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_wrong_token_names_the_provider_and_the_status() {
    let pais = two_servers_out_of_sync();
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("PAIS_TOKEN", "wrong-token-value");
    let run = work.run(&["plan"]);
    run.expect_code(1);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-token-value"));
}

#[test]
fn a_platform_that_never_answers_times_out_with_a_clear_error() {
    // The kernel accepts the connection; nobody ever answers it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let work = Workdir::new(&config(&[pais_provider(&url, SERVERS)]));
    let started = std::time::Instant::now();
    let run = work.run(&["plan", "--timeout", "0.5", "--retries", "0"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("no response within 0.5s"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(silent);
}

#[test]
fn an_endpoint_built_from_a_secret_never_shows_in_errors_or_logs() {
    let mut work = Workdir::new(&config(&[pais_provider("http://${PAIS_HOST}", SERVERS)]));
    work.set_env("PAIS_HOST", "127.0.0.1:9");
    let run = work.run(&["plan", "--retries", "1", "--verbose"]);
    run.expect_code(1);
    assert!(!run.stderr.contains("127.0.0.1:9"), "{}", run.stderr);
    assert!(run.stderr.contains("(sensitive)"), "{}", run.stderr);
}
