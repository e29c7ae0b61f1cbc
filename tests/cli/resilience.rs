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
    let run = work.run(&["apply", "--auto-approve"]);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "waited for Retry-After"
    );
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/a will be updated in place
      ~ pais/servers/a (id 11111111-1111-4111-8111-111111111111)
          + description = "A"

      # pais/servers/b will be updated in place
      ~ pais/servers/b (id 22222222-2222-4222-8222-222222222222)
          + description = "B"

    Plan: 0 to create, 2 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/a: update applied
    ✓ pais/servers/b: update applied

    Apply complete: 2 applied, 0 failed.
    [exit status: 0]
    "#);
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
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/a will be updated in place
      ~ pais/servers/a (id 11111111-1111-4111-8111-111111111111)
          + description = "A"

      # pais/servers/b will be updated in place
      ~ pais/servers/b (id 22222222-2222-4222-8222-222222222222)
          + description = "B"

    Plan: 0 to create, 2 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/a: update applied
    ✗ pais/servers/b: update failed, not confirmed (run `mcpform plan` to see whether it took effect): PATCH http://127.0.0.1:[PORT]/api/v1/control/mcp-servers/22222222-2222-4222-8222-222222222222 answered HTTP 503 (after 3 attempts): Service Unavailable

    Apply incomplete: 1 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 2 resources failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    "#);
    let attempts = pais
        .writes()
        .iter()
        .filter(|w| w.path.ends_with("22222222-2222-4222-8222-222222222222"))
        .count();
    assert_eq!(attempts, 3, "one try and two retries");
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
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::transport
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers failed: error sending request: client
            │ error (Connect): tcp connect error: Connection refused (os error 111)
            help: check the provider's `endpoint` and your network
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
}

#[test]
fn a_wrong_token_names_the_provider_and_the_status() {
    let pais = two_servers_out_of_sync();
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("PAIS_TOKEN", "wrong-token-value");
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::status
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers answered HTTP 401: Not
            │ authenticated
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    // The promise itself, so that no re-accepted snapshot can lose it.
    assert!(
        run.stderr.contains("provider `pais`") && run.stderr.contains("HTTP 401"),
        "{run}"
    );
    run.assert_hides(&["wrong-token-value"]);
}

#[test]
fn a_platform_that_never_answers_times_out_with_a_clear_error() {
    // The kernel accepts the connection; nobody ever answers it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let work = Workdir::new(&config(&[pais_provider(&url, SERVERS)]));
    let started = std::time::Instant::now();
    let run = work.run(&["plan", "--timeout", "0.5", "--retries", "0"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::transport
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers failed: no response within 0.5s
            help: check the provider's `endpoint` and your network
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    drop(silent);
}

#[test]
fn an_endpoint_built_from_a_secret_never_shows_in_errors_or_logs() {
    let mut work = Workdir::new(&config(&[pais_provider("http://${PAIS_HOST}", SERVERS)]));
    work.set_env("PAIS_HOST", "127.0.0.1:9");
    let run = work.run(&["plan", "--retries", "1", "--verbose"]);
    snapshot!(run, @"
    ----- stderr -----
    GET (sensitive)/api/v1/control/mcp-servers → failed ([ELAPSED] ms)
    retrying GET (sensitive)/api/v1/control/mcp-servers in [DELAY]s
    GET (sensitive)/api/v1/control/mcp-servers → failed ([ELAPSED] ms)
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::transport
          
            × GET (sensitive)/api/v1/control/mcp-servers failed (after 2 attempts): error sending
            │ request: client error (Connect): tcp connect error: Connection refused (os error 111)
            help: check the provider's `endpoint` and your network
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    // The port filter would hide a leaked `127.0.0.1:9` in the snapshot: check the raw output.
    run.assert_hides(&["127.0.0.1:9"]);
}
