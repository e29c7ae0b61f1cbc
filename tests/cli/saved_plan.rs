//! `plan --out` then `apply FILE`: exactly what was reviewed, or nothing (exit 3).

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const SECRET: &str = "ghp_saved_plan_secret_333";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "SSE", "description": "old"}]}),
    )
}

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        description: GitHub tools
        headers:
          - { name: Authorization, value: \"Bearer ${GITHUB_TOKEN}\", secret: true }
";

fn workdir(pais: &Emulator) -> Workdir {
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("GITHUB_TOKEN", SECRET);
    work
}

#[test]
fn an_unchanged_saved_plan_sends_exactly_the_planned_requests() {
    let pais = seeded();
    let work = workdir(&pais);
    let plan = work
        .run(&["plan", "--out", "plan.json", "--format", "json"])
        .expect_code(0)
        .json();
    let saved = std::fs::read_to_string(work.path().join("plan.json")).unwrap();
    assert!(
        !saved.contains(SECRET) && !saved.contains(PAIS_TOKEN),
        "no secret in the plan file:\n{saved}"
    );

    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ description = "old" → "GitHub tools"
          ~ headers     = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it
          ~ transport   = "SSE" → "STREAMABLE_HTTP"

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    let writes = pais.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].path, plan["changes"][0]["request"]["path"]);
    let mut sent = writes[0].body.clone().unwrap();
    sent["headers"][0]["value"] = json!("(sensitive)");
    assert_eq!(
        sent, plan["changes"][0]["request"]["body"],
        "the planned body, secret re-resolved from the environment"
    );
    assert_eq!(
        writes[0].body.as_ref().unwrap()["headers"][0]["value"],
        format!("Bearer {SECRET}")
    );
}

#[test]
fn a_saved_plan_is_refused_when_the_live_object_changed_since() {
    let pais = seeded();
    let work = workdir(&pais);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let mut state = pais.state();
    state["servers"][0]["description"] = json!("edited in the console");
    pais.set_state(state);
    pais.clear_requests();

    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - `pais/servers/github` changed on the platform since the plan

    [exit status: 3]
    ");
    assert!(pais.writes().is_empty(), "nothing was sent");
}

#[test]
fn a_saved_plan_is_refused_when_the_config_or_a_secret_changed() {
    let pais = seeded();
    let mut work = workdir(&pais);
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);

    work.set_env("GITHUB_TOKEN", "ghp_rotated_value_444");
    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - `pais/servers/github` would now get a different request (a secret from the environment
            or the state file changed)

    [exit status: 3]
    ");
    run.assert_hides(&["ghp_rotated_value_444"]);

    work.set_env("GITHUB_TOKEN", SECRET);
    work.write_config(&config(&[pais_provider(
        &pais.url(),
        &SERVERS.replace("GitHub tools", "GitHub tools!"),
    )]));
    let run = work.run(&["apply", "plan.json"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::apply::stale_plan

      × the saved plan is stale; nothing was sent
      help: run `mcpform plan --out FILE` again, review it, and apply the new file
            - the config files changed since the plan
            - `pais/servers/github` would now get a different request (a secret from the environment
            or the state file changed)

    [exit status: 3]
    ");
    assert!(pais.writes().is_empty());
}
