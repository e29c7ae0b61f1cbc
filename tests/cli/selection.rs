//! `--target` / `--exclude`: plan and apply only the selected resources.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
        description: new
      - name: jira
        url: https://mcp.example.com/jira
        transport: SSE
        description: new
";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE"},
            {"name": "jira", "url": "https://mcp.example.com/jira", "transport": "SSE"}
        ]}),
    )
}

#[test]
fn a_target_plans_and_applies_that_resource_only() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let plan = work
        .run(&[
            "plan",
            "--format",
            "json",
            "--target",
            "pais/servers/github",
        ])
        .expect_code(0)
        .json();
    let addresses: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["pais/servers/github"]);

    work.run(&["apply", "--auto-approve", "--target", "pais/servers/github"])
        .expect_code(0);
    let writes = pais.writes();
    assert_eq!(writes.len(), 1);
    assert!(
        writes[0]
            .path
            .ends_with(pais.state()["servers"][0]["id"].as_str().unwrap())
    );
    assert!(
        pais.state()["servers"][1]
            .get("description")
            .is_none_or(|d| d.is_null()),
        "jira untouched"
    );
}

#[test]
fn globs_and_excludes_combine_and_a_saved_plan_keeps_its_selection() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let plan = work
        .run(&[
            "plan",
            "--format",
            "json",
            "--target",
            "pais/*",
            "--exclude",
            "*/github",
        ])
        .expect_code(0)
        .json();
    assert_eq!(plan["changes"].as_array().unwrap().len(), 1);
    assert_eq!(plan["changes"][0]["address"], "pais/servers/jira");

    work.run(&["plan", "--out", "jira.plan", "--exclude", "*/github"])
        .expect_code(0);
    work.run(&["apply", "jira.plan"]).expect_code(0);
    assert_eq!(pais.writes().len(), 1);
    assert_eq!(pais.state()["servers"][1]["description"], "new");
}
