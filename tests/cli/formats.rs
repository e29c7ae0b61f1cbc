//! Machine-facing outputs: the JSON plan validates against its published schema; Markdown
//! and the GitHub step summary come out of the real binary.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

fn workdir_with_changes(pais: &Emulator) -> Workdir {
    let servers = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: Authorization, value: \"Bearer ${GITHUB_TOKEN}\", secret: true }
      - name: new
        url: https://mcp.example.com/new
        transport: SSE
      - name: same
        url: https://mcp.example.com/same
        transport: SSE
";
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), servers)]));
    work.set_env("GITHUB_TOKEN", "ghp_formats_secret_555");
    work
}

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE", "description": "x"},
            {"name": "same", "url": "https://mcp.example.com/same", "transport": "SSE"}
        ]}),
    )
}

#[test]
fn the_json_plan_validates_against_schemas_plan_schema_json() {
    let pais = seeded();
    let work = workdir_with_changes(&pais);
    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    let schema: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/plan.schema.json"
    )))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{plan:#}");
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["update", "create", "no-op"]);
}

#[test]
fn markdown_and_the_step_summary() {
    let pais = seeded();
    let mut work = workdir_with_changes(&pais);
    let summary = work.path().join("summary.md");
    work.set_env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let run = work.run(&["plan", "--format", "markdown", "--step-summary"]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("<!-- mcpform:plan -->\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| pais | `pais/servers/github` | update |"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("ghp_formats_secret_555"));
    assert_eq!(
        std::fs::read_to_string(summary).unwrap().trim_end(),
        run.stdout.trim_end()
    );
}

#[test]
fn show_requests_prints_each_request_in_the_text_plan() {
    let pais = seeded();
    let work = workdir_with_changes(&pais);
    let run = work.run(&["plan", "--show-requests"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("request: POST /api/v1/control/mcp-servers"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"value\": \"(sensitive)\""),
        "{}",
        run.stdout
    );
}
