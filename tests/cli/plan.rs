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
    snapshot!(text, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ mcp_server.args         = ["serve"] → ["serve","--read-only"]
          ~ mcp_server.env.GH_TOKEN = (sensitive, changed)

      # pais/servers/confluence will be created
      + pais/servers/confluence
          + description = "Confluence tools.\nRead-only.\n"
          + name        = "confluence"
          + transport   = "SSE"
          + url         = "https://mcp.example.com/confluence"

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ description       = "old" → "GitHub tools"
          - documentation_url = "https://docs.example.com/github" → null
          ~ headers           = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it
          ~ transport         = "SSE" → "STREAMABLE_HTTP"

    Plan: 1 to create, 2 to update, 0 to delete; 1 unchanged.
    [exit status: 0]
    "#);

    let json = work.run(&["plan", "--format", "json"]);
    snapshot!(json, @r#"
    ----- stdout -----
    {
      "format_version": "1",
      "changes": [
        {
          "address": "idun/servers/GitHub",
          "provider": "idun",
          "platform": "idun",
          "action": "update",
          "fields": [
            {
              "path": "mcp_server.args",
              "before": [
                "serve"
              ],
              "after": [
                "serve",
                "--read-only"
              ]
            },
            {
              "path": "mcp_server.env.GH_TOKEN",
              "before": "(sensitive)",
              "after": "(sensitive)",
              "sensitive": true
            }
          ],
          "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
          "request": {
            "method": "PATCH",
            "path": "/admin/api/v1/mcp-servers/3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "body": {
              "mcpServer": {
                "name": "github",
                "transport": "stdio",
                "command": "gh-mcp",
                "args": [
                  "serve",
                  "--read-only"
                ],
                "env": {
                  "GH_TOKEN": "(sensitive)"
                },
                "timeoutSeconds": 30
              }
            }
          }
        },
        {
          "address": "pais/servers/confluence",
          "provider": "pais",
          "platform": "pais",
          "action": "create",
          "fields": [
            {
              "path": "description",
              "before": null,
              "after": "Confluence tools.\nRead-only.\n"
            },
            {
              "path": "name",
              "before": null,
              "after": "confluence"
            },
            {
              "path": "transport",
              "before": null,
              "after": "SSE"
            },
            {
              "path": "url",
              "before": null,
              "after": "https://mcp.example.com/confluence"
            }
          ],
          "request": {
            "method": "POST",
            "path": "/api/v1/control/mcp-servers",
            "body": {
              "name": "confluence",
              "url": "https://mcp.example.com/confluence",
              "transport": "SSE",
              "description": "Confluence tools.\nRead-only.\n"
            }
          }
        },
        {
          "address": "pais/servers/github",
          "provider": "pais",
          "platform": "pais",
          "action": "update",
          "fields": [
            {
              "path": "description",
              "before": "old",
              "after": "GitHub tools"
            },
            {
              "path": "documentation_url",
              "before": "https://docs.example.com/github",
              "after": null
            },
            {
              "path": "headers",
              "before": null,
              "after": [
                {
                  "name": "Authorization",
                  "value": "(sensitive)",
                  "is_secret": true
                }
              ],
              "write_only": true,
              "note": "not readable from the platform; the state file has no record of it"
            },
            {
              "path": "transport",
              "before": "SSE",
              "after": "STREAMABLE_HTTP"
            }
          ],
          "id": "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11",
          "request": {
            "method": "PATCH",
            "path": "/api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11",
            "body": {
              "description": "GitHub tools",
              "documentation_url": null,
              "transport": "STREAMABLE_HTTP",
              "headers": [
                {
                  "name": "Authorization",
                  "value": "(sensitive)",
                  "is_secret": true
                }
              ]
            }
          }
        },
        {
          "address": "pais/servers/jira",
          "provider": "pais",
          "platform": "pais",
          "action": "no-op",
          "fields": [],
          "id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
        }
      ],
      "summary": {
        "create": 1,
        "update": 2,
        "delete": 0,
        "no_op": 1
      }
    }
    [exit status: 0]
    "#);
    assert!(json.json().is_object(), "stdout is one JSON document");
    for run in [&text, &json] {
        run.assert_hides(&["ghp_snapshot_secret_000", "token-from-the-console"]);
    }
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
    snapshot!(run, @"
    ----- stdout -----
    No changes. 1 configured resource matches the live state.
    [exit status: 0]
    ");
}
