//! PAIS: apply sends one top-level JSON Merge Patch per differing server and nothing else.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const GITHUB_ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const JIRA_ID: &str = "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"id": GITHUB_ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "SSE",
             "description": "old", "documentation_url": "https://docs.example.com/github"},
            {"id": JIRA_ID, "name": "jira", "url": "https://mcp.example.com/jira", "transport": "SSE"}
        ]}),
    )
}

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        description: GitHub tools
      - name: jira
        url: https://mcp.example.com/jira
        transport: SSE
";

#[test]
fn only_the_differing_server_gets_exactly_the_merge_patch() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));

    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ description       = "old" → "GitHub tools"
          - documentation_url = "https://docs.example.com/github" → null
          ~ transport         = "SSE" → "STREAMABLE_HTTP"

    Plan: 0 to create, 1 to update, 0 to delete; 1 unchanged.

    ✓ pais/servers/github: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);

    let writes = pais.writes();
    assert_eq!(
        writes.len(),
        1,
        "one PATCH, none for the server in sync: {writes:#?}"
    );
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].path,
        format!("/api/v1/control/mcp-servers/{GITHUB_ID}")
    );
    assert_eq!(
        writes[0].body,
        Some(
            json!({"transport": "STREAMABLE_HTTP", "description": "GitHub tools", "documentation_url": null})
        )
    );
    assert_eq!(
        writes[0].authorization.as_deref(),
        Some(format!("Bearer {PAIS_TOKEN}").as_str())
    );

    let stored = &pais.state()["servers"][0];
    assert_eq!(stored["description"], "GitHub tools");
    assert!(stored.get("documentation_url").is_none_or(|v| v.is_null()));

    pais.clear_requests();
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(pais.writes().is_empty());
}

#[test]
fn plan_shows_the_changes_and_exits_2_with_detailed_exitcode() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let run = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ description       = "old" → "GitHub tools"
          - documentation_url = "https://docs.example.com/github" → null
          ~ transport         = "SSE" → "STREAMABLE_HTTP"

    Plan: 0 to create, 1 to update, 0 to delete; 1 unchanged.
    [exit status: 2]
    "#);
    assert!(pais.writes().is_empty(), "plan never writes");

    work.run(&["plan"]).expect_code(0);
}

#[test]
fn a_server_missing_live_is_created_with_post() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be created
      + pais/servers/github
          + description = "GitHub tools"
          + name        = "github"
          + transport   = "STREAMABLE_HTTP"
          + url         = "https://mcp.example.com/github"

      # pais/servers/jira will be created
      + pais/servers/jira
          + name      = "jira"
          + transport = "SSE"
          + url       = "https://mcp.example.com/jira"

    Plan: 2 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: create applied
    ✓ pais/servers/jira: create applied

    Apply complete: 2 applied, 0 failed.
    [exit status: 0]
    "#);
    let writes = pais.writes();
    assert_eq!(writes.len(), 2);
    assert!(
        writes
            .iter()
            .all(|w| w.method == "POST" && w.path == "/api/v1/control/mcp-servers")
    );
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn plan_with_250_live_servers_reads_them_in_a_handful_of_requests() {
    let servers: Vec<_> = (0..250)
        .map(|i| json!({"name": format!("server{i:03}"), "url": format!("https://mcp.example.com/{i}"), "transport": "SSE"}))
        .collect();
    let pais = Emulator::start(Platform::Pais, json!({"servers": servers}));
    let wanted = "      - name: server007
        url: https://mcp.example.com/7
        transport: SSE
      - name: server150
        url: https://mcp.example.com/150
        transport: SSE
      - name: server249
        url: https://mcp.example.com/249
        transport: STREAMABLE_HTTP
";
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), wanted)]));
    let run = work.run(&["plan", "--format", "json"]);
    run.expect_code(0);
    let requests = pais.requests();
    assert!(
        requests.len() <= 3,
        "at most a handful of GETs, got {}: {requests:#?}",
        requests.len()
    );
    assert!(requests.iter().all(|r| r.method == "GET"));
    assert_eq!(
        run.json()["summary"],
        json!({"create": 0, "update": 1, "delete": 0, "no_op": 2})
    );
}

#[test]
fn the_json_plan_has_the_documented_shape() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["format_version"], "1");
    let change = &plan["changes"][0];
    assert_eq!(change["address"], "pais/servers/github");
    assert_eq!(change["provider"], "pais");
    assert_eq!(change["platform"], "pais");
    assert_eq!(change["action"], "update");
    assert_eq!(
        change["fields"][0],
        json!({"path": "description", "before": "old", "after": "GitHub tools"})
    );
    assert_eq!(change["request"]["method"], "PATCH");
    assert_eq!(
        change["request"]["path"],
        format!("/api/v1/control/mcp-servers/{GITHUB_ID}")
    );
    assert_eq!(plan["changes"][1]["action"], "no-op");
    assert!(plan["changes"][1].get("request").is_none());
}

#[test]
fn apply_without_a_terminal_refuses_unless_auto_approved() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let run = work.run(&["apply"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::needs_approval

      × refusing to apply without confirmation: stdin is not a terminal
      help: review the changes with `mcpform plan`, then run `mcpform apply --auto-approve`

    [exit status: 1]
    ");
    assert!(pais.requests().is_empty(), "nothing was even read");
}
