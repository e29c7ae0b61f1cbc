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

fn three(url: &str, jira_extra: &str) -> String {
    config(&[pais_provider(
        url,
        &[
            entry("github", ""),
            entry("slack", ""),
            entry("jira", jira_extra),
        ]
        .concat(),
    )])
}

/// A workdir whose config manages github, slack and jira (applied once), then drops jira.
fn managed_then_dropped(pais: &Emulator, jira_extra: &str) -> Workdir {
    let work = Workdir::new(&three(&pais.url(), jira_extra));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    let managed = state["managed"]["pais"].as_object().unwrap();
    assert_eq!(managed.len(), 3, "a matched entry is managed: {state:#}");
    assert!(
        !managed.contains_key(HAND),
        "the console's server is not mcpform's"
    );
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
    snapshot!(kept, @"
    ----- stdout -----
    No changes. 2 configured resources match the live state.

      # pais/servers/jira is no longer in the config: kept, since provider `pais` does not prune
        pais/servers/jira (id 9b2f3c4d-5e6f-4a70-8b8c-9d0e1f2a3b4c)
              # `--prune` or `prune: true` on the provider deletes it; adding it back to the config keeps managing it
    [exit status: 0]
    ");
    let kept_json = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(
        kept_json["kept"],
        json!([{"address": "pais/servers/jira", "provider": "pais", "platform": "pais", "id": C,
                "reason": "no longer in the config; kept because pruning is off"}])
    );
    assert_eq!(kept_json["summary"]["delete"], 0);
    assert_plan_schema(&kept_json);

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
    assert_plan_schema(&plan);

    let text = work.run(&["plan", "--prune"]).expect_code(0).stdout.clone();
    assert!(
        text.contains("# pais/servers/jira will be destroyed"),
        "{text}"
    );
    assert!(
        text.contains(&format!("- pais/servers/jira (id {C})")),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to create, 0 to update, 1 to delete; 2 unchanged."),
        "{text}"
    );
    let markdown = work
        .run(&["plan", "--prune", "--format", "markdown"])
        .expect_code(0)
        .stdout
        .clone();
    assert!(
        markdown.contains("> [!WARNING]\n> This plan **deletes** 1 object: `pais/servers/jira`."),
        "{markdown}"
    );

    pais.clear_requests();
    let applied = work.run(&["apply", "--prune", "--auto-approve"]);
    applied.expect_code(0);
    assert!(
        applied
            .stdout
            .contains("✓ pais/servers/jira: delete applied"),
        "{}",
        applied.stdout
    );
    let writes = write_calls(&pais);
    assert_eq!(
        writes,
        [(
            "DELETE".to_owned(),
            format!("/api/v1/control/mcp-servers/{C}")
        )]
    );

    let left: Vec<Value> = stored(&pais).iter().map(|s| s["id"].clone()).collect();
    assert_eq!(
        left,
        [json!(A), json!(B), json!(HAND)],
        "the unmanaged server stays"
    );
    pais.clear_requests();
    let again = work.run(&["plan", "--prune", "--detailed-exitcode"]);
    again.expect_code(0);
    assert!(again.stdout.starts_with("No changes."), "{}", again.stdout);
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(
        !state.contains(C),
        "a deleted server is no longer managed: {state}"
    );
}

#[test]
fn an_unmanaged_live_server_is_never_deleted_even_with_prune() {
    let pais = seeded(&[]);
    // Nothing applied yet: nothing is managed, whatever the config leaves out.
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &entry("github", ""))]));
    let plan = work
        .run(&["plan", "--prune", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(plan["summary"]["delete"], 0, "{plan:#}");
    work.run(&["apply", "--prune", "--auto-approve"])
        .expect_code(0);
    work.write_config(
        &config(&[pais_provider(&pais.url(), "      []\n")])
            .replace("servers:\n      []", "prune: true\n    servers: []"),
    );
    pais.clear_requests();
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    let writes: Vec<String> = pais.writes().into_iter().map(|w| w.path).collect();
    assert_eq!(
        writes,
        [format!("/api/v1/control/mcp-servers/{A}")],
        "only the managed github: {}",
        run.stdout
    );
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
    work.run(&["apply", "--prune", "--auto-approve"])
        .expect_code(1);
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
        run.stdout
            .contains("✗ pais/servers/jira: delete failed, left untouched")
            && run
                .stdout
                .contains("a tool of this MCP server is still linked to an agent"),
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
    work.run(&["plan", "--prune", "--out", "plan.json"])
        .expect_code(0);
    let saved = std::fs::read_to_string(work.path().join("plan.json")).unwrap();
    assert!(saved.contains("\"action\": \"delete\""), "{saved}");
    // Someone edits jira in the console after the review.
    let mut state = pais.state();
    state["servers"][2]["description"] = json!("now used by the support team");
    pais.set_state(state);
    pais.clear_requests();
    let run = work.run(&["apply", "plan.json"]);
    run.expect_code(3);
    assert!(
        run.stderr
            .contains("`pais/servers/jira` changed on the platform since the plan"),
        "{}",
        run.stderr
    );
    assert!(pais.writes().is_empty());

    // Unchanged, the saved plan deletes exactly what it showed.
    work.run(&["plan", "--prune", "--out", "plan.json"])
        .expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    let writes: Vec<String> = pais.writes().into_iter().map(|w| w.method).collect();
    assert_eq!(writes, ["DELETE"]);
}

#[test]
fn hasmcp_deletes_are_confirmed_by_reading_the_server_afterwards() {
    let hasmcp = Emulator::start(
        Platform::Hasmcp,
        json!({"servers": [
            {"id": "sSuB9Gf6aD4", "name": "github1", "version": 1},
            {"id": "sSuB9Gf6aD5", "name": "jira1", "version": 1}
        ]}),
    );
    let work = Workdir::new(&config(&[hasmcp_provider(
        &hasmcp.url(),
        "      - name: github1\n      - name: jira1\n      - name: new1\n",
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let created = stored(&hasmcp)
        .into_iter()
        .find(|s| s["name"] == "new1")
        .expect("new1 created");
    let created_id = created["id"].as_str().unwrap().to_owned();
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(
        state.contains(&created_id),
        "a created server is managed: {state}"
    );
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
    assert!(
        hasmcp
            .writes()
            .iter()
            .any(|w| w.method == "DELETE" && w.path == format!("/servers/{created_id}")),
        "the server mcpform created is pruned too"
    );
    assert_eq!(stored(&hasmcp).len(), 1);
}

#[test]
fn idun_deletes_are_confirmed_from_its_envelope() {
    let mcp = |name: &str| json!({"name": name, "transport": "streamable_http", "url": format!("https://mcp.example.com/{name}")});
    let idun = Emulator::start(
        Platform::Idun,
        json!({"servers": [
            {"id": A, "name": "GitHub", "enabled": true, "mcpServer": mcp("github")},
            {"id": C, "name": "Jira", "enabled": true, "mcpServer": mcp("jira")}
        ]}),
    );
    let server = |name: &str| {
        format!(
            "      - name: {name}\n        mcp_server: {{ name: {lower}, url: \"https://mcp.example.com/{lower}\" }}\n",
            lower = name.to_lowercase()
        )
    };
    let work = Workdir::new(&config(&[idun_provider(
        &idun.url(),
        &[server("GitHub"), server("Jira")].concat(),
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.write_config(&config(&[idun_provider(&idun.url(), &server("GitHub"))]));
    idun.clear_requests();
    let run = work.run(&["apply", "--prune", "--auto-approve"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("✓ idun/servers/Jira: delete applied"),
        "{}",
        run.stdout
    );
    let writes = write_calls(&idun);
    assert_eq!(
        writes,
        [(
            "DELETE".to_owned(),
            format!("/admin/api/v1/mcp-servers/{C}")
        )]
    );
    assert_eq!(stored(&idun).len(), 1);
}

const USER: &str = "user-123";

fn klavis_by_key(url: &str, server_name: &str, read_only: bool) -> String {
    config(&[klavis_provider(
        url,
        &format!(
            "      - user_id: {USER}\n        server_name: {server_name}\n        read_only: {read_only}\n"
        ),
    )])
}

#[test]
fn a_klavis_instance_by_user_and_server_name_is_created_once_then_reused() {
    let klavis = Emulator::start(Platform::Klavis, json!({"instances": []}));
    let work = Workdir::new(&klavis_by_key(&klavis.url(), "Google Calendar", true));

    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    let change = &plan["changes"][0];
    assert_eq!(
        change["address"],
        "klavis/instances/user-123/Google Calendar"
    );
    assert_eq!(change["action"], "create");
    assert_eq!(
        change["request"],
        json!({"method": "POST", "path": "/mcp-server/instance/create",
               "body": {"userId": USER, "serverName": "Google Calendar", "isReadOnly": true}})
    );

    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    let writes = write_calls(&klavis);
    let instances = klavis.state()["instances"].as_array().unwrap().clone();
    assert_eq!(instances.len(), 1, "created once");
    let id = instances[0]["instanceId"].as_str().unwrap().to_owned();
    assert_eq!(instances[0]["isReadOnly"], true, "read_only applied");
    assert_eq!(
        writes,
        [
            ("POST".to_owned(), "/mcp-server/instance/create".to_owned()),
            ("PATCH".to_owned(), format!("/mcp-server/instance/{id}")),
        ],
        "the create, then `isReadOnly` for the instance it answered"
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    assert_eq!(
        state["managed"]["klavis"][&id]["address"], "klavis/instances/user-123/Google Calendar",
        "{state:#}"
    );

    // The next runs read the recorded id: no second create.
    klavis.clear_requests();
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(klavis.writes().is_empty(), "{:#?}", klavis.writes());
    assert!(
        klavis
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == format!("/mcp-server/instance/{id}")),
        "read by the recorded id"
    );

    // A change of `read_only` is a PATCH of that instance.
    work.write_config(&klavis_by_key(&klavis.url(), "Google Calendar", false));
    klavis.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    // Runs this close together can meet the platform's 2/s limit: a 429 changed nothing and
    // was retried, so only the answered writes count.
    let writes: Vec<(String, String)> = klavis
        .writes()
        .into_iter()
        .filter(|w| w.status != 429)
        .map(|w| (w.method, w.path))
        .collect();
    assert_eq!(
        writes,
        [("PATCH".to_owned(), format!("/mcp-server/instance/{id}"))]
    );
    assert_eq!(klavis.state()["instances"][0]["isReadOnly"], false);
}

#[test]
fn klavis_answers_a_known_pair_with_its_instance_whatever_the_case_and_separators() {
    const EXISTING: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let klavis = Emulator::start(
        Platform::Klavis,
        json!({"instances": [{"instanceId": EXISTING, "serverName": "Google Calendar",
                              "externalUserId": USER, "isReadOnly": false}]}),
    );
    // No state yet: mcpform plans a create; Klavis answers with the existing instance.
    let work = Workdir::new(&klavis_by_key(&klavis.url(), "GOOGLE_CALENDAR", true));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let instances = klavis.state()["instances"].as_array().unwrap().clone();
    assert_eq!(instances.len(), 1, "no second instance: {instances:#?}");
    assert_eq!(
        instances[0]["isReadOnly"], true,
        "read_only applied to the existing one"
    );
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(state.contains(EXISTING), "{state}");

    // Pruned once it leaves the config: `DELETE /mcp-server/instance/{id}`.
    work.write_config(
        &config(&[klavis_provider(&klavis.url(), "      []\n")])
            .replace("instances:\n      []", "instances: []"),
    );
    klavis.clear_requests();
    let run = work.run(&["apply", "--prune", "--auto-approve"]);
    run.expect_code(0);
    let writes = write_calls(&klavis);
    assert_eq!(
        writes,
        [(
            "DELETE".to_owned(),
            format!("/mcp-server/instance/{EXISTING}")
        )],
        "{}",
        run.stdout
    );
    assert_eq!(klavis.state()["instances"], json!([]));
}

#[test]
fn drift_reports_managed_servers_that_left_the_config() {
    let pais = seeded(&[]);
    let work = managed_then_dropped(&pais, "");
    let run = work.run(&["drift"]);
    snapshot!(run, @"
    ----- stdout -----
    No drift. 2 configured resources match the live state.

    Unmanaged: 1 live object that no config names:
      pais/servers/console

    No longer in the config: 1 live object mcpform manages, kept since pruning is off (`--prune` would delete them):
      pais/servers/jira (id 9b2f3c4d-5e6f-4a70-8b8c-9d0e1f2a3b4c)

    Coverage: 3 of 4 live objects are managed (75%).
    [exit status: 0]
    ");
    let pruning = work.run(&["drift", "--prune", "--format", "json"]);
    pruning.expect_code(2);
    let report = pruning.json();
    let jira: Vec<&Value> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["address"] == "pais/servers/jira")
        .collect();
    assert_eq!(jira.len(), 1, "{report:#}");
    assert_eq!(jira[0]["status"], "not-in-config");
    assert!(pais.writes().is_empty(), "drift never writes");
}

#[test]
fn a_managed_server_renamed_in_the_console_is_renamed_back_not_replaced() {
    let pais = seeded(&[]);
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        &[entry("github", ""), entry("jira", "")].concat(),
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let mut state = pais.state();
    state["servers"][2]["name"] = json!("jira-old");
    pais.set_state(state);
    pais.clear_requests();
    let plan = work
        .run(&["plan", "--prune", "--format", "json"])
        .expect_code(0)
        .json();
    let actions: Vec<(&str, &str)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("pais/servers/github", "no-op"),
            ("pais/servers/jira", "update")
        ],
        "matched by the id the state records: {plan:#}"
    );
    assert_eq!(
        plan["changes"][1]["request"]["body"],
        json!({"name": "jira"})
    );
}

#[test]
fn deletes_are_sent_after_every_update_of_the_provider_has_ended() {
    let names = ["aaa", "b1", "b2", "b3", "b4"];
    let ids = [A, B, C, HAND, "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"];
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": names.iter().zip(ids).map(|(n, id)| server(id, n)).collect::<Vec<_>>()}),
    );
    let all: String = names.iter().map(|n| entry(n, "")).collect();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &all)]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    // `aaa` leaves (its address sorts first); the others change.
    let changed: String = names[1..]
        .iter()
        .map(|n| entry(n, "        description: changed\n"))
        .collect();
    work.write_config(&config(&[pais_provider(&pais.url(), &changed)]));
    pais.set_latency(std::time::Duration::from_millis(150));
    pais.clear_requests();
    work.run(&["apply", "--prune", "--auto-approve"])
        .expect_code(0);
    let writes = pais.writes();
    let methods: Vec<&str> = writes.iter().map(|w| w.method.as_str()).collect();
    assert_eq!(methods, ["PATCH", "PATCH", "PATCH", "PATCH", "DELETE"]);
    assert!(
        writes[..4].iter().any(|w| w.in_flight > 0),
        "the updates overlap: {writes:#?}"
    );
    assert_eq!(
        writes[4].in_flight, 0,
        "the delete starts once every update has ended"
    );
}

#[test]
fn a_managed_server_deleted_by_hand_is_forgotten_at_the_next_apply() {
    let pais = seeded(&[]);
    let work = managed_then_dropped(&pais, "");
    let mut state = pais.state();
    state["servers"].as_array_mut().unwrap().remove(2);
    pais.set_state(state);
    let plan = work.run(&["plan", "--prune", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("jira"), "{}", plan.stdout);
    work.run(&["apply", "--prune", "--auto-approve"])
        .expect_code(0);
    assert!(pais.writes().is_empty());
    let state = std::fs::read_to_string(work.state_file()).unwrap();
    assert!(!state.contains(C), "no longer managed: {state}");
}

/// A format 2 state (before ownership) keeps its fingerprints: the plan stays clean, nothing is
/// managed (so nothing can be pruned) until the next apply records the matched servers.
#[test]
fn a_format_2_state_migrates_without_loss() {
    let pais = seeded(&[]);
    let headers = "        headers:\n          - { name: X-Team, value: platform }\n";
    let work = Workdir::new(&three(&pais.url(), headers));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    let fingerprint = state["resources"]["pais/servers/jira"]["headers"].clone();
    assert!(fingerprint.is_string(), "{state:#}");
    // As the previous release wrote it.
    state["format_version"] = json!("2");
    state.as_object_mut().unwrap().remove("managed");
    std::fs::write(work.state_file(), state.to_string()).unwrap();

    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    work.write_config(&config(&[pais_provider(
        &pais.url(),
        &[entry("github", ""), entry("slack", "")].concat(),
    )]));
    let plan = work
        .run(&["plan", "--prune", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(
        plan["summary"]["delete"], 0,
        "nothing is managed yet: {plan:#}"
    );

    work.write_config(&three(&pais.url(), headers));
    pais.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(pais.writes().is_empty(), "the fingerprints still match");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(work.state_file()).unwrap()).unwrap();
    assert_eq!(state["format_version"], "3");
    assert_eq!(
        state["resources"]["pais/servers/jira"]["headers"],
        fingerprint
    );
    assert_eq!(state["managed"]["pais"].as_object().unwrap().len(), 3);
}
