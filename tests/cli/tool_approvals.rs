//! PAIS tool approvals (`approve_tools`): planned as field changes, applied with one approval
//! request per tool, a new server's tools approved once PAIS discovers them.

use std::fs;

use mcpform_emulator::{Fault, FaultTiming, Platform};
use serde_json::{Value, json};

use crate::support::*;

const SERVER_ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const TOOL_A: &str = "0a0a0a0a-0000-4000-8000-00000000000a";
const TOOL_B: &str = "0b0b0b0b-0000-4000-8000-00000000000b";
const TOOL_C: &str = "0c0c0c0c-0000-4000-8000-00000000000c";

/// A server whose live tools are a, b (named only by `origin_name`) and c; `a_approved` says
/// whether a is approved, c always is.
fn live_tools(a_approved: bool) -> Value {
    json!({"servers": [
        {"id": SERVER_ID, "name": "github", "url": "https://mcp.example.com/github",
         "transport": "SSE", "tools": [
            {"id": TOOL_A, "name": "a", "is_approved": a_approved},
            {"id": TOOL_B, "origin_name": "b"},
            {"id": TOOL_C, "name": "c", "is_approved": true}
         ]}
    ]})
}

fn seeded() -> Emulator {
    Emulator::start(Platform::Pais, live_tools(false))
}

fn github(approve_tools: &str) -> String {
    format!(
        "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
{approve_tools}"
    )
}

fn approvals(pais: &Emulator) -> Vec<(String, Option<Value>)> {
    pais.writes()
        .into_iter()
        .filter(|w| w.path.ends_with("/approval"))
        .map(|w| (w.path, w.body))
        .collect()
}

fn approval_path(tool: &str) -> String {
    format!("{PAIS_PATH}/{SERVER_ID}/tools/{tool}/approval")
}

#[test]
fn exactly_the_listed_tools_get_approved_with_one_request_each() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        &github("        approve_tools: [a, b]\n"),
    )]));

    let plan = work.run(&["plan", "--show-requests"]);
    snapshot!(plan, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ approve_tools.a = false → true
          ~ approve_tools.b = false → true
          ~ approve_tools.c = true → false
          request: POST /api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11/tools/0a0a0a0a-0000-4000-8000-00000000000a/approval
            {
              "is_approved": true
            }
          request: POST /api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11/tools/0b0b0b0b-0000-4000-8000-00000000000b/approval
            {
              "is_approved": true
            }
          request: POST /api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11/tools/0c0c0c0c-0000-4000-8000-00000000000c/approval
            {
              "is_approved": false
            }

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    "#);

    let json = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert_plan_schema(&json);
    let change = &json["changes"][0];
    assert!(
        change.get("request").is_none(),
        "no PATCH for approvals alone: {change}"
    );
    let follow_ups = change["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 3, "{change}");
    assert_eq!(follow_ups[2]["field"], "approve_tools.c");
    assert_eq!(follow_ups[2]["method"], "POST");
    assert_eq!(follow_ups[2]["path"], approval_path(TOOL_C));
    assert_eq!(follow_ups[2]["body"], json!({"is_approved": false}));

    let markdown = work.run(&["plan", "--format", "markdown"]);
    markdown.expect_code(0);
    assert!(
        markdown.stdout.contains(&format!(
            "- `POST {}` `{{\"is_approved\":false}}`",
            approval_path(TOOL_C)
        )),
        "{}",
        markdown.stdout
    );

    pais.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        approvals(&pais),
        vec![
            (approval_path(TOOL_A), Some(json!({"is_approved": true}))),
            (approval_path(TOOL_B), Some(json!({"is_approved": true}))),
            (approval_path(TOOL_C), Some(json!({"is_approved": false}))),
        ]
    );
    assert_eq!(pais.writes().len(), 3, "nothing but the approvals");
    let tools = &pais.state()["servers"][0]["tools"];
    let approved: Vec<bool> = (0..3)
        .map(|i| tools[i]["is_approved"].as_bool().unwrap())
        .collect();
    assert_eq!(approved, [true, true, false]);

    let again = work.run(&["plan", "--detailed-exitcode"]);
    snapshot!(again, @"
    ----- stdout -----
    No changes. 1 configured resource matches the live state.
    [exit status: 0]
    ");
}

#[test]
fn omitting_approve_tools_reads_no_tools_and_leaves_approvals_alone() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &github(""))]));
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let paths: Vec<String> = pais.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().all(|p| !p.contains("/tools")),
        "no tools read: {paths:?}"
    );
    assert!(pais.writes().is_empty());
}

#[test]
fn an_empty_list_unapproves_every_tool() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        &github("        approve_tools: []\n"),
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(
        approvals(&pais),
        vec![(approval_path(TOOL_C), Some(json!({"is_approved": false})))]
    );
}

/// An empty PAIS that discovers a created server's tools (named in its URL) after `delay_ms`.
fn discovering(delay_ms: u64) -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"tool_discovery_delay_ms": delay_ms, "servers": []}),
    )
}

const NEW_SERVER: &str = "      - name: new
        url: https://mcp.example.com/new?tools=search,create,delete
        transport: SSE
";

#[test]
fn a_new_servers_tools_are_approved_once_discovered() {
    let pais = discovering(700);
    let servers = format!("{NEW_SERVER}        approve_tools: [search, create]\n");
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &servers)]));

    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert_plan_schema(&plan);
    let follow_ups = &plan["changes"][0]["follow_ups"];
    assert_eq!(
        follow_ups[0]["path"],
        format!("{PAIS_PATH}/{{server_id}}/tools/{{tool_id}}/approval"),
        "ids apply must find: {follow_ups}"
    );

    let run = work.run(&["apply", "--auto-approve", "--discovery-timeout", "20s"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/new will be created
      + pais/servers/new
          + approve_tools.create = true
          + approve_tools.search = true
          + name                 = "new"
          + transport            = "SSE"
          + url                  = "https://mcp.example.com/new?tools=search,create,delete"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/new: create applied

    Apply complete: 1 applied, 0 failed.
    ----- stderr -----
    pais/servers/new: waiting up to 20s for PAIS to discover tools `create` and `search`
    [exit status: 0]
    "#);
    let writes = pais.writes();
    assert_eq!(writes.len(), 3, "the create and two approvals: {writes:#?}");
    assert_eq!(writes[0].path, PAIS_PATH);
    assert!(
        writes[0]
            .body
            .as_ref()
            .unwrap()
            .get("approve_tools")
            .is_none(),
        "approvals are not part of the create: {:?}",
        writes[0].body
    );
    let tools = pais.state()["servers"][0]["tools"].clone();
    let approved: Vec<(&str, bool)> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["is_approved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        approved,
        [("search", true), ("create", true), ("delete", false)]
    );

    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_listed_tool_that_never_appears_fails_its_server_naming_it() {
    let pais = discovering(100);
    let servers = format!("{NEW_SERVER}        approve_tools: [search, missing]\n");
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &servers)]));

    let run = work.run(&["apply", "--auto-approve", "--discovery-timeout", "1s"]);
    run.expect_code(1);
    let id = stored(&pais)
        .iter()
        .find(|s| s["name"] == "new")
        .and_then(|s| s["id"].as_str())
        .expect("the server was created")
        .to_owned();
    assert!(
        run.stdout.contains(&format!(
            "✗ pais/servers/new: create failed, not applied as planned (run `mcpform plan` to see \
             the live state): the server was created (id {id}), but its tools were not approved: \
             PAIS did not discover tool `missing` within 1s (it lists tools \
             `create`, `delete` and `search`), so no tool of this server was approved"
        )),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "pais/servers/new: waiting up to 1s for PAIS to discover tools `missing` and `search`"
        ),
        "{run}"
    );
    let approvals = approvals(&pais);
    assert!(approvals.is_empty(), "nothing approved: {approvals:?}");

    // The server exists now; the next plan still wants `search` approved, and `missing` stays
    // a change apply cannot make.
    let plan = work.run(&["plan"]);
    snapshot!(plan, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/new will be updated in place
      ~ pais/servers/new (id [UUID])
          + approve_tools.missing = true
          ~ approve_tools.search  = false → true

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    ");

    // mcpform created it, so mcpform manages it: once the entry leaves the config, `--prune`
    // deletes it like any server it created.
    let state: Value =
        serde_json::from_str(&fs::read_to_string(work.state_file()).unwrap()).unwrap();
    assert_eq!(
        state["managed"]["pais"][&id],
        json!({"address": "pais/servers/new"}),
        "{state:#}"
    );
    work.write_config(&config(&[
        pais_provider(&pais.url(), "").replace("servers:\n", "servers: []\n")
    ]));
    let pruned = work.run(&["plan", "--prune"]);
    snapshot!(pruned, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/new will be destroyed
      - pais/servers/new (id [UUID])

    Plan: 0 to create, 0 to update, 1 to delete; 0 unchanged.
    [exit status: 0]
    ");
}

#[test]
fn drift_and_saved_plans_see_an_approval_changed_in_the_console() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        &github("        approve_tools: [c]\n"),
    )]));
    work.run(&["drift"]).expect_code(0);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);

    // Someone approves `a` in the console.
    pais.set_state(live_tools(true));

    let drift = work.run(&["drift"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("approve_tools.a"), "{drift}");

    pais.clear_requests();
    let stale = work.run(&["apply", "plan.json"]);
    stale.expect_code(3);
    assert!(
        stale
            .stdout
            .contains("`pais/servers/github` changed on the platform since the plan")
            || stale
                .stderr
                .contains("`pais/servers/github` changed on the platform since the plan"),
        "{stale}"
    );
    assert!(pais.writes().is_empty());

    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    assert_eq!(
        approvals(&pais),
        vec![(approval_path(TOOL_A), Some(json!({"is_approved": false})))]
    );
}

/// An answer to the approval that shows no tool: `when` says whether PAIS stored it anyway.
fn empty_approval_answer(when: FaultTiming) -> Fault {
    Fault {
        method: Some("POST".into()),
        path_contains: Some("/approval".into()),
        status: 200,
        body: json!({}),
        raw_body: None,
        headers: Vec::new(),
        times: Some(1),
        when,
        drop_connection: false,
        delay_ms: 0,
    }
}

#[test]
fn an_approval_counts_only_when_pais_shows_it() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        &github("        approve_tools: [a, c]\n"),
    )]));

    // PAIS answers 200 without the tool and without storing anything: its tools listing, read
    // afterwards, shows `a` still unapproved.
    pais.inject(empty_approval_answer(FaultTiming::Before));
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains(
            "✗ pais/servers/github: update failed, not applied as planned (run `mcpform plan` to \
             see the live state): approving tool `a`: PAIS answered, but its tools listing shows \
             the approval unchanged"
        ),
        "{run}"
    );

    // This time PAIS stores it and only the answer shows nothing: the listing confirms it.
    pais.inject(empty_approval_answer(FaultTiming::After));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(pais.state()["servers"][0]["tools"][0]["is_approved"], true);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}
