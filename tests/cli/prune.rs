//! Ownership, delete and prune: mcpform deletes only what it manages, only when told to prune,
//! never past `prevent_destroy`, and confirms each delete from the platform's answer.

use mcpform_emulator::Platform;
use serde_json::{Value, json};

use crate::support::*;

const A: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const B: &str = "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const C: &str = "9b2f3c4d-5e6f-4a70-8b8c-9d0e1f2a3b4c";
const HAND: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

fn server(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "url": format!("https://mcp.example.com/{name}"), "transport": "SSE"})
}

/// Three servers for the config and one made by hand in the console.
fn seeded(jira_agents: &[&str]) -> Emulator {
    let mut jira = server(C, "jira");
    if !jira_agents.is_empty() {
        jira["linked_agents"] = json!(jira_agents);
    }
    Emulator::start(
        Platform::Pais,
        json!({"servers": [server(A, "github"), server(B, "slack"), jira, server(HAND, "console")]}),
    )
}

fn entry(name: &str, extra: &str) -> String {
    format!(
        "      - name: {name}\n        url: https://mcp.example.com/{name}\n        transport: SSE\n{extra}"
    )
}

fn three(jira_extra: &str) -> String {
    config(&[pais_provider(
        &String::new(),
        &[entry("github", ""), entry("slack", ""), entry("jira", jira_extra)].concat(),
    )])
}

/// A workdir whose config manages github, slack and jira (applied once), then drops jira.
fn managed_then_dropped(pais: &Emulator, jira_extra: &str) -> Workdir {
    let work = Workdir::new(&three(jira_extra).replace("endpoint: \n", &format!("endpoint: {}\n", pais.url())));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    let managed = state["managed"]["pais"].as_object().unwrap();
    assert_eq!(managed.len(), 3, "a matched entry is managed: {state:#}");
    assert!(!managed.contains_key(HAND), "the console's server is not mcpform's");
    work.write_config(&config(&[pais_provider(
        &pais.url(),
        &[entry("github", ""), entry("slack", "")].concat(),
    )]));
    pais.clear_requests();
    work
}

#[test]
fn a_managed_server_left_the_config_is_kept_without_prune_and_deleted_with_it() {
    let pais = seeded(&[]);
    let work = managed_then_dropped(&pais, "");

    let kept = work.run(&["plan", "--detailed-exitcode"]);
    kept.expect_code(0);
    assert!(
        kept.stdout.contains("# pais/servers/jira is no longer in the config: kept, since provider `pais` does not prune"),
        "{}",
        kept.stdout
    );
    assert!(!kept.stdout.contains("console"), "{}", kept.stdout);

    let plan = work
        .run(&["plan", "--prune", "--format", "json", "--detailed-exitcode"])
        .expect_code(2)
        .json();
    let deletes: Vec<&Value> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .collect();
    assert_eq!(deletes.len(), 1, "{plan:#}");
    assert_eq!(deletes[0]["address"], "pais/servers/jira");
    assert_eq!(
        deletes[0]["request"],
        json!({"method": "DELETE", "path": format!("/api/v1/control/mcp-servers/{C}"), "body": null})
    );
    assert_eq!(plan["summary"]["delete"], 1);

    let text = work.run(&["plan", "--prune"]).expect_code(0).stdout.clone();
    assert!(text.contains("# pais/servers/jira will be destroyed"), "{text}");
    assert!(text.contains(&format!("- pais/servers/jira (id {C})")), "{text}");
    assert!(text.contains("Plan: 0 to create, 0 to update, 1 to delete; 2 unchanged."), "{text}");
    let markdown = work.run(&["plan", "--prune", "--format", "markdown"]).expect_code(0).stdout.clone();
    assert!(markdown.contains("> [!WARNING]\n> This plan **deletes** 1 object: `pais/servers/jira`."), "{markdown}");

    pais.clear_requests();
    let applied = work.run(&["apply", "--prune", "--auto-approve"]);
    applied.expect_code(0);
    assert!(applied.stdout.contains("✓ pais/servers/jira: delete applied"), "{}", applied.stdout);
    let writes: Vec<(String, String)> = pais.writes().into_iter().map(|w| (w.method, w.path)).collect();
    assert_eq!(writes, [("DELETE".to_owned(), format!("/api/v1/control/mcp-servers/{C}"))]);

    let left: Vec<Value> = stored(&pais).iter().map(|s| s["id"].clone()).collect();
    assert_eq!(left, [json!(A), json!(B), json!(HAND)], "the unmanaged server stays");
    pais.clear_requests();
    let again = work.run(&["plan", "--prune", "--detailed-exitcode"]);
    again.expect_code(0);
    assert!(again.stdout.starts_with("No changes."), "{}", again.stdout);
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(!state.contains(C), "a deleted server is no longer managed: {state}");
}

#[test]
fn an_unmanaged_live_server_is_never_deleted_even_with_prune() {
    let pais = seeded(&[]);
    // Nothing applied yet: nothing is managed, whatever the config leaves out.
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &entry("github", ""))]));
    let plan = work.run(&["plan", "--prune", "--format", "json"]).expect_code(0).json();
    assert_eq!(plan["summary"]["delete"], 0, "{plan:#}");
    work.run(&["apply", "--prune", "--auto-approve"]).expect_code(0);
    work.write_config(&config(&[pais_provider(&pais.url(), "      []\n")]).replace("servers:\n      []", "prune: true\n    servers: []"));
    pais.clear_requests();
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    let writes: Vec<String> = pais.writes().into_iter().map(|w| w.path).collect();
    assert_eq!(writes, [format!("/api/v1/control/mcp-servers/{A}")], "only the managed github: {}", run.stdout);
    assert_eq!(stored(&pais).len(), 3, "slack, jira and console stay");
}

#[test]
fn prevent_destroy_fails_a_plan_that_would_delete_the_server() {
    let pais = seeded(&[]);
    let work = managed_then_dropped(&pais, "        lifecycle: { prevent_destroy: true }\n");
    let run = work.run(&["plan", "--prune"]);
    run.expect_code(1);
    let message = run.stderr.replace("\n  │ ", " ");
    assert!(
        message.contains(&format!("`pais/servers/jira` (id {C}) is no longer in the config, and its `lifecycle.prevent_destroy` forbids deleting it")),
        "{}",
        run.stderr
    );
    work.run(&["apply", "--prune", "--auto-approve"]).expect_code(1);
    assert!(pais.writes().is_empty());
    // Without prune nothing would be deleted, so nothing fails.
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_pais_409_is_reported_as_a_tool_linked_to_an_agent_and_the_server_stays() {
    let pais = seeded(&["support-bot"]);
    let work = managed_then_dropped(&pais, "");
    let run = work.run(&["apply", "--prune", "--auto-approve"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("✗ pais/servers/jira: delete failed, left untouched")
            && run.stdout.contains("a tool of this MCP server is still linked to an agent"),
        "{}",
        run.stdout
    );
    assert_eq!(stored(&pais).len(), 4, "PAIS kept the server");
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(state.contains(C), "still managed: {state}");
}

#[test]
fn a_saved_plan_with_a_delete_is_stale_when_the_server_changed_since() {
    let pais = seeded(&[]);
    let work = managed_then_dropped(&pais, "");
    work.run(&["plan", "--prune", "--out", "plan.json"]).expect_code(0);
    let saved = std::fs::read_to_string(work.path().join("plan.json")).unwrap();
    assert!(saved.contains("\"action\": \"delete\""), "{saved}");
    // Someone edits jira in the console after the review.
    let mut state = pais.state();
    state["servers"][2]["description"] = json!("now used by the support team");
    pais.set_state(state);
    pais.clear_requests();
    let run = work.run(&["apply", "plan.json"]);
    run.expect_code(3);
    assert!(run.stderr.contains("`pais/servers/jira` changed on the platform since the plan"), "{}", run.stderr);
    assert!(pais.writes().is_empty());

    // Unchanged, the saved plan deletes exactly what it showed.
    work.run(&["plan", "--prune", "--out", "plan.json"]).expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    let writes: Vec<String> = pais.writes().into_iter().map(|w| w.method).collect();
    assert_eq!(writes, ["DELETE"]);
}

#[test]
fn hasmcp_and_idun_deletes_are_confirmed_from_the_platform() {
    let hasmcp = Emulator::start(
        Platform::Hasmcp,
        json!({"servers": [
            {"id": "sSuB9Gf6aD4", "name": "github1", "version": 1},
            {"id": "sSuB9Gf6aD5", "name": "jira1", "version": 1}
        ]}),
    );
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        "      - name: github1\n      - name: jira1\n",
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let pruning = config(&[hasmcp_provider(&hasmcp.url(), "      - name: github1\n")])
        .replace("    servers:", "    prune: true\n    servers:");
    work.write_config(&pruning);
    hasmcp.clear_requests();
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    let requests: Vec<(String, String)> = hasmcp
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("sSuB9Gf6aD5"))
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        requests,
        [
            ("DELETE".to_owned(), "/servers/sSuB9Gf6aD5".to_owned()),
            ("GET".to_owned(), "/servers/sSuB9Gf6aD5".to_owned())
        ],
        "HasMCP answers 204 for any id, so the delete is confirmed by reading"
    );
    assert_eq!(stored(&hasmcp).len(), 1);
}
