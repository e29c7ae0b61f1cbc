//! `mcpform demo`: what a new user sees first.

use crate::support::*;

#[test]
fn the_demo_plans_applies_and_ends_clean() {
    let work = Workdir::new("");
    let run = work.run(&["demo"]);
    snapshot!(run, @r#"
    ----- stdout -----
    == 1. mcpform plan: examples/demo.yaml against the emulators' live state

    mcpform will perform the following actions:

      # hasmcp/servers/github1 will be updated in place
      ~ hasmcp/servers/github1 (id sSuB9Gf6aD4)
          ~ instructions = "Use for GitHub work." → "Use for GitHub issues and pull requests."

      # idun/servers/Filesystem will be updated in place
      ~ idun/servers/Filesystem (id [UUID])
          ~ enabled = true → false

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id [UUID])
          ~ mcp_server.headers.Authorization = (sensitive, changed)
          ~ mcp_server.timeout_seconds       = 10 → 30

      # klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a will be updated in place
      ~ klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ read_only = (write-only) → true
              # not readable from the platform; the state file has no record of it

      # pais/servers/confluence will be created
      + pais/servers/confluence
          + description = "Confluence tools"
          + name        = "confluence"
          + transport   = "STREAMABLE_HTTP"
          + url         = "https://mcp.example.com/confluence"

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id [UUID])
          ~ description       = "GitHub tools" → "GitHub tools for the platform team"
          - documentation_url = "https://old-docs.example.com/github" → null
          ~ headers           = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it
          ~ transport         = "SSE" → "STREAMABLE_HTTP"

    Plan: 1 to create, 5 to update, 0 to delete; 1 unchanged.

    == 2. mcpform apply --auto-approve: only the requests needed

      PATCH /servers/sSuB9Gf6aD4 {"server":{"name":"github1","instructions":"Use for GitHub issues and pull requests.","requestHeadersProxyEnabled":false,"providers":[{"id":"kSuB9Gf6aD4","tools":[{"id":"tGhIssues01"},{"id":"tGhPulls002"}]}],"resources":[{"id":"rSuB9Gf6aD4"}],"prompts":[],"version":4}}
      PATCH /admin/api/v1/mcp-servers/[UUID] {"enabled":false}
      PATCH /admin/api/v1/mcp-servers/[UUID] {"mcpServer":{"name":"github","transport":"streamable_http","url":"https://mcp.example.com/github","headers":{"Authorization":"(sensitive)"},"timeoutSeconds":30}}
      PATCH /mcp-server/instance/3c90c3cc-0d44-4b50-8888-8dd25736052a {"isReadOnly":true}
      POST /api/v1/control/mcp-servers {"name":"confluence","url":"https://mcp.example.com/confluence","transport":"STREAMABLE_HTTP","description":"Confluence tools"}
      PATCH /api/v1/control/mcp-servers/[UUID] {"description":"GitHub tools for the platform team","documentation_url":null,"transport":"STREAMABLE_HTTP","headers":[{"name":"Authorization","value":"(sensitive)","is_secret":true}]}

      6 applied, 0 failed.

    == 3. mcpform plan again: the live state now matches

    No changes. 7 configured resources match the live state.

    == 4. jira leaves the config; mcpform plan --prune deletes what mcpform manages only

    mcpform will perform the following actions:

      # pais/servers/jira will be destroyed
      - pais/servers/jira (id [UUID])

    Plan: 0 to create, 0 to update, 1 to delete; 6 unchanged.

    == 5. mcpform apply --prune --auto-approve

      DELETE /api/v1/control/mcp-servers/[UUID]

      1 applied, 0 failed.

    == 6. mcpform plan --prune again: clean (slack, made by hand, is not mcpform's)

    No changes. 6 configured resources match the live state.
    ----- stderr -----
    Started emulators: pais at http://127.0.0.1:[PORT], idun at http://127.0.0.1:[PORT], hasmcp at http://127.0.0.1:[PORT], klavis at http://127.0.0.1:[PORT]
    [exit status: 0]
    "#);
    run.assert_hides(&[
        "ghp_demo_0123456789abcdef",
        "ghp_old_token_from_the_console",
    ]);
}
