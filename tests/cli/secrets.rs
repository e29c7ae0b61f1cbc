//! Write-only secret headers: sent when needed, tracked by fingerprint, never shown.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const SECRET_V1: &str = "ghp_first_secret_value_111";
const SECRET_V2: &str = "ghp_second_secret_value_222";

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: Authorization, value: \"Bearer ${GITHUB_TOKEN}\", secret: true }
";

const SECRETS: &[&str] = &[SECRET_V1, SECRET_V2, PAIS_TOKEN];

/// For files mcpform writes (the state file); runs use `Run::assert_hides`.
fn assert_no_secret(text: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} contains a secret:\n{text}");
    }
}

#[test]
fn a_secret_header_is_sent_once_then_again_only_when_its_value_changes() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "STREAMABLE_HTTP"}]}),
    );
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("GITHUB_TOKEN", SECRET_V1);

    let plan = work.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    plan.assert_hides(SECRETS);
    let field = &plan.json()["changes"][0]["fields"][0];
    assert_eq!(field["path"], "headers");
    assert_eq!(field["write_only"], true);
    assert_eq!(
        field["note"],
        "not readable from the platform; the state file has no record of it"
    );

    let first = work.run(&["apply", "--auto-approve"]);
    snapshot!(first, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ headers = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    first.assert_hides(SECRETS);
    let writes = pais.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].body,
        Some(
            json!({"headers": [{"name": "Authorization", "value": format!("Bearer {SECRET_V1}"), "is_secret": true}]})
        )
    );
    assert_eq!(
        pais.state()["servers"][0]["headers"][0]["value"],
        format!("Bearer {SECRET_V1}")
    );
    let state = std::fs::read_to_string(work.state_file()).expect("apply wrote the state file");
    assert_no_secret(&state, "the state file");

    pais.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(pais.writes().is_empty(), "second apply sends nothing");

    work.set_env("GITHUB_TOKEN", SECRET_V2);
    let plan = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(plan, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ headers = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; differs from what mcpform last applied

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 2]
    "#);
    plan.assert_hides(SECRETS);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);
    assert_eq!(
        pais.state()["servers"][0]["headers"][0]["value"],
        format!("Bearer {SECRET_V2}")
    );
    assert_no_secret(
        &std::fs::read_to_string(work.state_file()).unwrap(),
        "the state file",
    );
}

#[test]
fn headers_dropped_from_the_config_are_reset_only_if_mcpform_set_them() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "STREAMABLE_HTTP",
                            "headers": [{"name": "X-Console", "value": "set-by-hand", "is_secret": false}]}]}),
    );
    let without_headers = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
";
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), without_headers)]));
    work.set_env("GITHUB_TOKEN", SECRET_V1);
    // Never set by mcpform: left alone.
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(pais.writes().is_empty());

    work.write_config(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    pais.clear_requests();

    // Set by mcpform, then dropped: reset with null.
    work.write_config(&config(&[pais_provider(&pais.url(), without_headers)]));
    let reset = work.run(&["apply", "--auto-approve"]);
    snapshot!(reset, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ headers = (write-only) → (reset to the platform default)
              # not readable from the platform; mcpform set it before and the config no longer does

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    ");
    assert_eq!(pais.writes()[0].body, Some(json!({"headers": null})));
    pais.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(pais.writes().is_empty(), "the reset is recorded");
}
