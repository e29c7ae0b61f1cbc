//! A pull request that moves a provider's endpoint must not get the platform credentials sent
//! to the new host: the state pins each provider's endpoint origin at apply.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
";

fn pais() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [{"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE"}]}),
    )
}

#[test]
fn a_moved_endpoint_is_refused_before_any_request_unless_allowed() {
    let trusted = pais();
    let work = Workdir::new(&config(&[pais_provider(&trusted.url(), SERVERS)]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(
        state.contains(&trusted.url()),
        "the origin is recorded:\n{state}"
    );

    // The pull request points the provider at a host that records what it receives.
    let attacker = pais();
    work.write_config(&config(&[pais_provider(&attacker.url(), SERVERS)]));
    for command in [&["plan"][..], &["drift"], &["apply", "--auto-approve"]] {
        let run = work.run(command);
        run.expect_code(1);
        assert!(attacker.requests().is_empty(), "{command:?} sent a request");
    }
    snapshot!(work.run(&["plan"]), @"
    ----- stderr -----
    mcpform::state::endpoint_moved

      × provider `pais`: the config sends its credentials to http://127.0.0.1:[PORT], but the last
      │ apply sent them to http://127.0.0.1:[PORT]; nothing was sent
      help: a changed `endpoint:` (or `--endpoint-override`) would hand the platform's credentials to
            another host. If the move is intended, run with `--allow-endpoint-change`; apply then
            records the new endpoint. Otherwise restore the endpoint.

    [exit status: 1]
    ");
    assert!(attacker.requests().is_empty());

    // A deliberate move: allowed for one run, and apply records it.
    work.run(&["plan", "--allow-endpoint-change"])
        .expect_code(0);
    work.run(&["apply", "--auto-approve", "--allow-endpoint-change"])
        .expect_code(0);
    work.run(&["plan"]).expect_code(0);
    trusted.clear_requests();
    work.write_config(&config(&[pais_provider(&trusted.url(), SERVERS)]));
    work.run(&["plan"]).expect_code(1);
    assert!(
        trusted.requests().is_empty(),
        "the old host is now the moved one"
    );
}

#[test]
fn an_endpoint_from_a_variable_is_pinned_as_a_fingerprint() {
    let trusted = pais();
    let other = pais();
    let block = pais_provider("${PAIS_URL}", SERVERS);
    let mut work = Workdir::new(&config(&[block]));
    work.set_env("PAIS_URL", &trusted.url());
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    let port = trusted.url().rsplit(':').next().unwrap().to_owned();
    assert!(
        !state.contains(&port),
        "the secret origin is not in the state:\n{state}"
    );

    work.set_env("PAIS_URL", &other.url());
    snapshot!(work.run(&["plan"]), @"
    ----- stderr -----
    mcpform::state::endpoint_moved

      × provider `pais`: the config sends its credentials to (sensitive), but the last apply sent them
      │ to another origin (kept as a fingerprint: that endpoint came from a variable); nothing was
      │ sent
      help: a changed `endpoint:` (or `--endpoint-override`) would hand the platform's credentials to
            another host. If the move is intended, run with `--allow-endpoint-change`; apply then
            records the new endpoint. Otherwise restore the endpoint.

    [exit status: 1]
    ");
    assert!(other.requests().is_empty());
}
