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
    assert_plan_schema(&plan);
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
    snapshot!(run, @r#"
    ----- stdout -----
    <!-- mcpform:plan: pais (127.0.0.1:[PORT]) -->
    ### mcpform plan · pais (127.0.0.1:[PORT])

    **1 to create, 1 to update, 0 to delete, 1 unchanged**

    | Platform | Address | Action | Changes |
    |---|---|---|---|
    | pais | `pais/servers/new` | create | `name: "new"`<br>`transport: "SSE"`<br>`url: "https://mcp.example.com/new"` |
    | pais | `pais/servers/github` | update | `description: "x" → unset`<br>`headers` _(write-only)_<br>`transport: "SSE" → "STREAMABLE_HTTP"` |

    <details><summary><code>pais/servers/new</code>: create (3 fields)</summary>

    | Field | Before | After |
    |---|---|---|
    | `name` | _(unset)_ | `"new"` |
    | `transport` | _(unset)_ | `"SSE"` |
    | `url` | _(unset)_ | `"https://mcp.example.com/new"` |

    Request: `POST /api/v1/control/mcp-servers`

    ```json
    {
      "name": "new",
      "url": "https://mcp.example.com/new",
      "transport": "SSE"
    }
    ```

    </details>

    <details><summary><code>pais/servers/github</code>: update (3 fields)</summary>

    | Field | Before | After |
    |---|---|---|
    | `description` | `"x"` | _(unset)_ |
    | `headers` | _(write-only: not readable)_ | `[{"name":"Authorization","value":"(sensitive)","is_secret":true}]` |
    | `transport` | `"SSE"` | `"STREAMABLE_HTTP"` |

    Request: `PATCH /api/v1/control/mcp-servers/[UUID]`

    ```json
    {
      "description": null,
      "transport": "STREAMABLE_HTTP",
      "headers": [
        {
          "name": "Authorization",
          "value": "(sensitive)",
          "is_secret": true
        }
      ]
    }
    ```

    </details>

    [exit status: 0]
    "#);
    run.assert_hides(&["ghp_formats_secret_555"]);
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
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id [UUID])
          - description = "x" → null
          ~ headers     = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it
          ~ transport   = "SSE" → "STREAMABLE_HTTP"
          request: PATCH /api/v1/control/mcp-servers/[UUID]
            {
              "description": null,
              "transport": "STREAMABLE_HTTP",
              "headers": [
                {
                  "name": "Authorization",
                  "value": "(sensitive)",
                  "is_secret": true
                }
              ]
            }

      # pais/servers/new will be created
      + pais/servers/new
          + name      = "new"
          + transport = "SSE"
          + url       = "https://mcp.example.com/new"
          request: POST /api/v1/control/mcp-servers
            {
              "name": "new",
              "url": "https://mcp.example.com/new",
              "transport": "SSE"
            }

    Plan: 1 to create, 1 to update, 0 to delete; 1 unchanged.
    [exit status: 0]
    "#);
    run.assert_hides(&["ghp_formats_secret_555"]);
}

/// Staging and production plans on one pull request: each `--title` gets its own marker, so
/// each CI job finds and updates its own comment; a comment cut to fit points at the step
/// summary, which holds the plan uncut.
#[test]
fn titles_keep_one_comment_per_run_and_the_summary_holds_what_the_comment_cut() {
    let pais = seeded();
    let mut work = workdir_with_changes(&pais);
    let summary = work.path().join("summary.md");
    work.set_env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let first_line = |run: &Run| run.stdout.lines().next().unwrap_or_default().to_owned();
    let staging = work.run(&["plan", "--format", "markdown", "--title", "staging"]);
    let production = work.run(&["plan", "--format", "markdown", "--title", "production"]);
    assert_eq!(
        first_line(staging.expect_code(0)),
        "<!-- mcpform:plan: staging -->"
    );
    assert_eq!(
        first_line(production.expect_code(0)),
        "<!-- mcpform:plan: production -->"
    );

    let cut = work.run(&[
        "plan",
        "--format",
        "markdown",
        "--title",
        "production",
        "--max-bytes",
        "700",
        "--step-summary",
    ]);
    snapshot!(cut, @r#"
    ----- stdout -----
    <!-- mcpform:plan: production -->
    ### mcpform plan · production

    **1 to create, 1 to update, 0 to delete, 1 unchanged**

    | Platform | Address | Action | Changes |
    |---|---|---|---|
    | pais | `pais/servers/new` | create | `name: "new"`<br>`transport: "SSE"`<br>`url: "https://mcp.example.com/new"` |
    | pais | `pais/servers/github` | update | `description: "x" → unset`<br>`headers` _(write-only)_<br>`transport: "SSE" → "STREAMABLE_HTTP"` |

    > [!NOTE]
    > Shortened to fit 700 bytes: left out details of 2 resources. The complete plan is in the summary of the CI job that posted this (`--step-summary`), and in the plan file it saved (`--out`).
    [exit status: 0]
    "#);
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        !summary.contains("Shortened"),
        "the summary is not cut:\n{summary}"
    );
    assert_eq!(
        summary.matches("<details>").count(),
        2,
        "every detail kept:\n{summary}"
    );
    assert!(!summary.contains("ghp_formats_secret_555"));
}
