//! A create whose url is live under another name: the plan names that server (a likely typo).

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

#[test]
fn a_create_with_a_live_url_names_the_live_server() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11", "name": "githb",
                            "url": "https://mcp.example.com/github", "transport": "SSE"}]}),
    );
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
",
    )]));

    snapshot!(work.run(&["plan"]), @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be created
      + pais/servers/github
          + name      = "github"
          + transport = "SSE"
          + url       = "https://mcp.example.com/github"
              # a live server with the same url is named `githb` (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11): if that is this server, fix the name or pin its `id`

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    "#);
    snapshot!(work.run(&["plan", "--format", "markdown"]), @r#"
    ----- stdout -----
    <!-- mcpform:plan: pais (127.0.0.1:[PORT]) -->
    ### mcpform plan · pais (127.0.0.1:[PORT])

    **1 to create, 0 to update, 0 to delete, 0 unchanged**

    | Platform | Address | Action | Changes |
    |---|---|---|---|
    | pais | `pais/servers/github` | create | `name: "github"`<br>`transport: "SSE"`<br>`url: "https://mcp.example.com/github"` |

    <details><summary><code>pais/servers/github</code>: create (3 fields)</summary>

    | Field | Before | After |
    |---|---|---|
    | `name` | _(unset)_ | `"github"` |
    | `transport` | _(unset)_ | `"SSE"` |
    | `url` | _(unset)_ | `"https://mcp.example.com/github"` |

    > **Note** (`url`): a live server with the same url is named `githb` (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11): if that is this server, fix the name or pin its `id`

    Request: `POST /api/v1/control/mcp-servers`

    ```json
    {
      "name": "github",
      "url": "https://mcp.example.com/github",
      "transport": "SSE"
    }
    ```

    </details>

    [exit status: 0]
    "#);
}
