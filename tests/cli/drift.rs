//! `mcpform drift`: read-only, exit 2 on drift, unmanaged objects and coverage.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
        description: GitHub tools
";

fn seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"id": "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11", "name": "github", "url": "https://mcp.example.com/github", "transport": "SSE", "description": "GitHub tools"},
            {"id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "name": "slack", "url": "https://mcp.example.com/slack", "transport": "SSE"}
        ]}),
    )
}

#[test]
fn drift_is_detected_reported_and_cleared_by_apply() {
    let pais = seeded();
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));

    let clean = work.run(&["drift"]);
    snapshot!(clean, @"
    ----- stdout -----
    No drift. 1 configured resource matches the live state.

    Unmanaged: 1 live object that no config names:
      pais/servers/slack

    Coverage: 1 of 2 live objects are managed (50%).
    [exit status: 0]
    ");
    let strict = work.run(&["drift", "--fail-on-unmanaged"]);
    snapshot!(strict, @"
    ----- stdout -----
    No drift. 1 configured resource matches the live state.

    Unmanaged: 1 live object that no config names:
      pais/servers/slack

    Coverage: 1 of 2 live objects are managed (50%).
    [exit status: 2]
    ");

    let mut state = pais.state();
    state["servers"][0]["description"] = json!("edited behind mcpform's back");
    pais.set_state(state);
    pais.clear_requests();

    let drifted = work.run(&["drift", "--format", "json"]);
    drifted.expect_code(2);
    let report = drifted.json();
    assert_eq!(report["drifted"], 1);
    assert_eq!(report["resources"][0]["status"], "differs");
    assert_eq!(
        report["resources"][0]["fields"][0]["live"],
        "edited behind mcpform's back"
    );
    assert_eq!(report["unmanaged"][0]["name"], "slack");
    assert!(
        pais.requests().iter().all(|r| r.method == "GET"),
        "drift only reads"
    );

    let markdown = work.run(&["drift", "--format", "markdown"]);
    snapshot!(markdown, @r#"
    ----- stdout -----
    <!-- mcpform:drift: pais (127.0.0.1:[PORT]) -->
    ### mcpform drift · pais (127.0.0.1:[PORT])

    **1 of 1 configured resource differs, 1 unmanaged**

    | Address | Status | Fields (live → config) |
    |---|---|---|
    | `pais/servers/github` | differs | `description: "edited behind mcpform's back" → "GitHub tools"` |

    <details><summary>Unmanaged live objects</summary>

    | Address | Id |
    |---|---|
    | `pais/servers/slack` | `7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b` |

    </details>

    Coverage: 1 of 2 live objects are managed (50%).
    [exit status: 2]
    "#);

    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let cleared = work.run(&["drift"]);
    snapshot!(cleared, @"
    ----- stdout -----
    No drift. 1 configured resource matches the live state.

    Unmanaged: 1 live object that no config names:
      pais/servers/slack

    Coverage: 1 of 2 live objects are managed (50%).
    [exit status: 0]
    ");
}
