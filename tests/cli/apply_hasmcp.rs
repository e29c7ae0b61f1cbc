//! HasMCP: the full object with the plan-time version; a silently dropped write is a failure.

use mcpform_emulator::{Interleave, Platform};
use serde_json::json;

use crate::support::*;

const ID: &str = "sSuB9Gf6aD4";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Hasmcp,
        json!({"servers": [{
            "id": ID, "name": "github1", "instructions": "Old instructions.", "requestHeadersProxyEnabled": false,
            "version": 3,
            "providers": [{"id": "kSuB9Gf6aD4", "tools": [{"id": "tAAAAAAAAA1"}, {"id": "tBBBBBBBBB2"}]}],
            "resources": [{"id": "rSuB9Gf6aD4"}], "prompts": [{"id": "pSuB9Gf6aD4"}]
        }]}),
    )
}

fn servers(instructions: &str, tools: &str) -> String {
    format!(
        "      - name: github1
        instructions: {instructions}
        providers: [ {{ id: kSuB9Gf6aD4, tools: [ {tools} ] }} ]
        resources: [ rSuB9Gf6aD4 ]
        prompts: [ pSuB9Gf6aD4 ]
"
    )
}

#[test]
fn changed_instructions_send_the_full_object_with_the_live_version() {
    let hasmcp = seeded();
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        &servers("New instructions.", "tAAAAAAAAA1, tBBBBBBBBB2"),
    )]));
    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    let fields: Vec<&str> = plan["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["instructions"], "only what really differs");

    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # hasmcp/servers/github1 will be updated in place
      ~ hasmcp/servers/github1 (id sSuB9Gf6aD4)
          ~ instructions = "Old instructions." → "New instructions."

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ hasmcp/servers/github1: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    let writes = hasmcp.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(writes[0].path, format!("/servers/{ID}"));
    assert_eq!(
        writes[0].body,
        Some(json!({"server": {
            "name": "github1", "instructions": "New instructions.", "requestHeadersProxyEnabled": false,
            "providers": [{"id": "kSuB9Gf6aD4", "tools": [{"id": "tAAAAAAAAA1"}, {"id": "tBBBBBBBBB2"}]}],
            "resources": [{"id": "rSuB9Gf6aD4"}], "prompts": [{"id": "pSuB9Gf6aD4"}], "version": 3
        }}))
    );
    let stored = &hasmcp.state()["servers"][0];
    assert_eq!(stored["instructions"], "New instructions.");
    assert_eq!(stored["version"], 4);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn reordered_tools_are_no_change() {
    let hasmcp = seeded();
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        &servers("Old instructions.", "tBBBBBBBBB2, tAAAAAAAAA1"),
    )]));
    let run = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(run, @"
    ----- stdout -----
    No changes. 1 configured resource matches the live state.
    [exit status: 0]
    ");
}

#[test]
fn reads_the_list_once_and_only_the_configured_servers_in_full() {
    let mut servers = vec![json!({"id": ID, "name": "github1", "version": 1})];
    servers
        .extend((0..20).map(
            |i| json!({"id": format!("x{i:010}"), "name": format!("other{i}"), "version": 1}),
        ));
    let hasmcp = Emulator::start(Platform::Hasmcp, json!({"servers": servers}));
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        "      - name: github1\n",
    )]));
    work.run(&["plan"]).expect_code(0);
    let paths: Vec<String> = hasmcp.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/servers".to_owned(), format!("/servers/{ID}")]);
}

#[test]
fn a_concurrent_writer_between_plan_and_apply_fails_the_apply() {
    let hasmcp = seeded();
    // Another client bumps the version (changing nothing else) just before mcpform's PATCH.
    hasmcp.interleave(Interleave {
        before_method: "PATCH".into(),
        before_path_contains: ID.into(),
        method: "PATCH".into(),
        path: format!("/servers/{ID}"),
        body: json!({"server": {
            "name": "github1", "instructions": "Old instructions.", "version": 3,
            "providers": [{"id": "kSuB9Gf6aD4", "tools": [{"id": "tAAAAAAAAA1"}, {"id": "tBBBBBBBBB2"}]}],
            "resources": [{"id": "rSuB9Gf6aD4"}], "prompts": [{"id": "pSuB9Gf6aD4"}]
        }}),
    });
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        &servers("New instructions.", "tAAAAAAAAA1"),
    )]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # hasmcp/servers/github1 will be updated in place
      ~ hasmcp/servers/github1 (id sSuB9Gf6aD4)
          ~ instructions = "Old instructions." → "New instructions."
          ~ providers    = [{"id":"kSuB9Gf6aD4","tools":["tAAAAAAAAA1","tBBBBBBBBB2"]}] → [{"id":"kSuB9Gf6aD4","tools":["tAAAAAAAAA1"]}]

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✗ hasmcp/servers/github1: update failed, conflict with another writer (run `mcpform plan` to see the live state): the server was changed by someone else since the plan (sent version 3, the platform now has version 4 with other values); HasMCP may have replaced its links but dropped the name/instructions update

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    "#);
    assert_eq!(
        hasmcp.state()["servers"][0]["instructions"],
        "Old instructions."
    );
}
