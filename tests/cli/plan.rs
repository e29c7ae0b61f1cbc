//! The rendered plan a reviewer reads, as snapshots.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

#[test]
fn text_and_json_plans_across_two_platforms() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"id": "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11", "name": "github", "url": "https://mcp.example.com/github",
             "transport": "SSE", "description": "old", "documentation_url": "https://docs.example.com/github"},
            {"id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "name": "jira", "url": "https://mcp.example.com/jira", "transport": "SSE"}
        ]}),
    );
    let idun = Emulator::start(
        Platform::Idun,
        json!({"servers": [{
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "name": "GitHub", "enabled": true,
            "mcpServer": {"name": "github", "transport": "stdio", "command": "gh-mcp", "args": ["serve"],
                          "env": {"GH_TOKEN": "token-from-the-console"}, "timeoutSeconds": 30}
        }]}),
    );
    let pais_servers = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        description: GitHub tools
        headers:
          - { name: Authorization, value: \"Bearer ${GITHUB_TOKEN}\", secret: true }
      - name: jira
        url: https://mcp.example.com/jira
        transport: SSE
      - name: confluence
        url: https://mcp.example.com/confluence
        transport: SSE
        description: |
          Confluence tools.
          Read-only.
";
    let idun_servers = "      - name: GitHub
        mcp_server:
          name: github
          transport: stdio
          command: gh-mcp
          args: [serve, --read-only]
          env: { GH_TOKEN: \"${GITHUB_TOKEN}\" }
          timeout_seconds: 30
";
    let mut work = Workdir::new(&config(&[
        pais_provider(&pais.url(), pais_servers),
        idun_provider(&idun.url(), idun_servers),
    ]));
    work.set_env("GITHUB_TOKEN", "ghp_snapshot_secret_000");

    let text = work.run(&["plan"]);
    text.expect_code(0);
    insta::assert_snapshot!("plan_text", text.stdout);

    let json = work.run(&["plan", "--format", "json"]);
    json.expect_code(0);
    insta::assert_json_snapshot!("plan_json", json.json());
    assert!(
        !json.stdout.contains("ghp_snapshot_secret_000")
            && !json.stdout.contains("token-from-the-console")
    );
}

#[test]
fn a_plan_in_sync_is_one_line() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"name": "jira", "url": "https://mcp.example.com/jira", "transport": "SSE"}]}),
    );
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        "      - name: jira\n        url: https://mcp.example.com/jira\n        transport: SSE\n",
    )]));
    let run = work.run(&["plan"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "No changes. 1 configured resource matches the live state.\n"
    );
}
