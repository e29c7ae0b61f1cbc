//! Idun: only the changed top-level fields, `mcpServer` always whole, never `null`.

use mcpform_emulator::{Fault, Platform};
use serde_json::json;

use crate::support::*;

const GITHUB_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Idun,
        json!({"servers": [{
            "id": GITHUB_ID, "name": "GitHub", "enabled": true,
            "mcpServer": {"name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github",
                          "headers": {"Authorization": "Bearer live-token-value"}, "timeoutSeconds": 30}
        }]}),
    )
}

fn servers(enabled: bool, timeout: u32) -> String {
    format!(
        "      - name: GitHub
        enabled: {enabled}
        mcp_server:
          name: github
          transport: streamable_http
          url: https://mcp.example.com/github
          headers: {{ Authorization: \"Bearer live-token-value\" }}
          timeout_seconds: {timeout}
"
    )
}

#[test]
fn a_changed_mcp_server_field_sends_the_whole_mcp_server_only() {
    let idun = seeded();
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(true, 60))]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ mcp_server.timeout_seconds = 30 → 60

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ idun/servers/GitHub: update applied

    Apply complete: 1 applied, 0 failed.
    ----- stderr -----
    mcpform::config::inline_secret

      ⚠ the secret `Authorization` is written in the config
        ╭─[mcpform.yaml:14:37]
     13 │           url: https://mcp.example.com/github
     14 │           headers: { Authorization: "***********************" }
        ·                                     ────────────┬────────────
        ·                                                 ╰── masked in output, but committed to git
     15 │           timeout_seconds: 60
        ╰────
      help: read it from the environment instead: `Authorization: "${AUTHORIZATION}"`, and set
            `AUTHORIZATION` where mcpform runs

    [exit status: 0]
    "#);
    let writes = idun.writes();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].path,
        format!("/admin/api/v1/mcp-servers/{GITHUB_ID}")
    );
    assert_eq!(
        writes[0].body,
        Some(json!({"mcpServer": {
            "name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github",
            "headers": {"Authorization": "Bearer live-token-value"}, "timeoutSeconds": 60
        }}))
    );
    assert!(
        writes[0]
            .cookie
            .as_deref()
            .is_some_and(|c| c.contains("idun_session=")),
        "logged in with the session cookie"
    );
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_change_of_enabled_alone_sends_only_enabled() {
    let idun = seeded();
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(false, 30))]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ enabled = true → false

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ idun/servers/GitHub: update applied

    Apply complete: 1 applied, 0 failed.
    ----- stderr -----
    mcpform::config::inline_secret

      ⚠ the secret `Authorization` is written in the config
        ╭─[mcpform.yaml:14:37]
     13 │           url: https://mcp.example.com/github
     14 │           headers: { Authorization: "***********************" }
        ·                                     ────────────┬────────────
        ·                                                 ╰── masked in output, but committed to git
     15 │           timeout_seconds: 30
        ╰────
      help: read it from the environment instead: `Authorization: "${AUTHORIZATION}"`, and set
            `AUTHORIZATION` where mcpform runs

    [exit status: 0]
    "#);
    let writes = idun.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].body, Some(json!({"enabled": false})));
    assert_eq!(idun.state()["servers"][0]["enabled"], false);
}

#[test]
fn logs_in_once_per_run() {
    let idun = seeded();
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(false, 60))]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let logins = idun
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/auth/login"))
        .count();
    assert_eq!(logins, 1);
}

#[test]
fn a_reload_failure_fails_the_apply_and_says_it_was_rolled_back() {
    let idun = seeded();
    idun.inject(Fault::idun_reload_failed());
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(true, 60))]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ mcp_server.timeout_seconds = 30 → 60

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✗ idun/servers/GitHub: update failed, left untouched: PATCH http://127.0.0.1:[PORT]/admin/api/v1/mcp-servers/3c90c3cc-0d44-4b50-8888-8dd25736052a answered HTTP 500: reload_failed: Engine reload failed; config not saved (the platform rolled the change back)

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::config::inline_secret

      ⚠ the secret `Authorization` is written in the config
        ╭─[mcpform.yaml:14:37]
     13 │           url: https://mcp.example.com/github
     14 │           headers: { Authorization: "***********************" }
        ·                                     ────────────┬────────────
        ·                                                 ╰── masked in output, but committed to git
     15 │           timeout_seconds: 60
        ╰────
      help: read it from the environment instead: `Authorization: "${AUTHORIZATION}"`, and set
            `AUTHORIZATION` where mcpform runs

    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    "#);
    assert_eq!(
        idun.state()["servers"][0]["mcpServer"]["timeoutSeconds"].as_f64(),
        Some(30.0),
        "the platform kept the old value"
    );

    // The failure was one request, not retried: re-running converges.
    assert_eq!(idun.writes().len(), 1);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn header_values_read_from_the_platform_never_show_in_the_plan() {
    let idun = seeded();
    let new_servers = servers(true, 30).replace("Bearer live-token-value", "Bearer ${NEW_TOKEN}");
    let mut work = Workdir::new(&config(&[idun_provider(&idun.url(), &new_servers)]));
    work.set_env("NEW_TOKEN", "brand-new-token-456");
    let text = work.run(&["plan"]);
    snapshot!(text, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ mcp_server.headers.Authorization = (sensitive, changed)

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    ");
    let json = work.run(&["plan", "--format", "json"]);
    json.expect_code(0);
    assert_eq!(
        json.json()["changes"][0]["fields"],
        json!([{"path": "mcp_server.headers.Authorization",
                "before": "(sensitive)", "after": "(sensitive)", "sensitive": true}])
    );
    for run in [&text, &json] {
        run.assert_hides(&["live-token-value", "brand-new-token-456"]);
    }
}

#[test]
fn a_server_with_no_agent_refuses_the_write_and_the_error_says_to_configure_one() {
    let idun = Emulator::start(Platform::Idun, json!({"agent": false, "servers": []}));
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(true, 30))]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be created
      + idun/servers/GitHub
          + enabled                          = true
          + mcp_server.headers.Authorization = "(sensitive)"
          + mcp_server.name                  = "github"
          + mcp_server.timeout_seconds       = 30
          + mcp_server.transport             = "streamable_http"
          + mcp_server.url                   = "https://mcp.example.com/github"
          + name                             = "GitHub"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✗ idun/servers/GitHub: create failed, left untouched: POST http://127.0.0.1:[PORT]/admin/api/v1/mcp-servers answered HTTP 422: validation_failed: Assembled config failed validation. help: Idun accepts no MCP server until an agent is configured; configure the agent first (the `agent:` block of the server's config.yaml, or the admin UI's onboarding), then re-run

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::config::inline_secret

      ⚠ the secret `Authorization` is written in the config
        ╭─[mcpform.yaml:14:37]
     13 │           url: https://mcp.example.com/github
     14 │           headers: { Authorization: "***********************" }
        ·                                     ────────────┬────────────
        ·                                                 ╰── masked in output, but committed to git
     15 │           timeout_seconds: 30
        ╰────
      help: read it from the environment instead: `Authorization: "${AUTHORIZATION}"`, and set
            `AUTHORIZATION` where mcpform runs

    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    "#);
    assert_eq!(idun.state()["servers"], json!([]));
}
