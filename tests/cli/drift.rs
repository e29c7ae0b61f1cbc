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
    // The same report, failing for the unmanaged object.
    let strict = work.run(&["drift", "--fail-on-unmanaged"]);
    strict.expect_code(2);
    assert_eq!(
        (&strict.stdout, &strict.stderr),
        (&clean.stdout, &clean.stderr),
        "--fail-on-unmanaged changes only the exit status"
    );

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
    assert_eq!(
        cleared.to_string(),
        clean.to_string(),
        "after the apply, drift reports as before the edit"
    );
}

/// A header rotated in the PAIS console and a Klavis instance made writable there: the
/// platforms never return either field, so drift cannot see the change, and says so rather
/// than a bare "No drift".
#[test]
fn drift_names_the_write_only_fields_it_could_not_check() {
    const KLAVIS_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let pais = seeded();
    let klavis = Emulator::start(
        Platform::Klavis,
        json!({"instances": [{"instanceId": KLAVIS_ID, "serverName": "GitHub", "externalUserId": "user-1", "isReadOnly": false}]}),
    );
    let servers = format!(
        "{SERVERS}        headers:\n          - {{ name: Authorization, value: \"Bearer ${{GH_TOKEN}}\", secret: true }}\n"
    );
    let mut work = Workdir::new(&config(&[
        pais_provider(&pais.url(), &servers),
        klavis_provider(
            &klavis.url(),
            &format!("      - id: {KLAVIS_ID}\n        read_only: true\n"),
        ),
    ]));
    work.set_env("GH_TOKEN", "ghp_drift_unchecked_777");
    work.run(&["apply", "--auto-approve"]).expect_code(0);

    // Behind mcpform's back: the instance made writable again (the header would be the same:
    // neither shows in any answer).
    let mut state = klavis.state();
    state["instances"][0]["isReadOnly"] = json!(false);
    klavis.set_state(state);

    let text = work.run(&["drift"]);
    snapshot!(text, @"
    ----- stdout -----
    No drift. 2 configured resources match the live state.

    Unmanaged: 1 live object that no config names:
      pais/servers/slack

    Not checked: 2 write-only fields the platforms never return (klavis: 1, pais: 1); a change made to them outside mcpform does not show here.

    Coverage: 1 of 2 live objects are managed (50%). Not listable, so not counted: klavis.
    [exit status: 0]
    ");
    let json = work.run(&["drift", "--format", "json"]);
    let report = json.expect_code(0).json();
    assert_eq!(
        report["unchecked"],
        json!({"count": 2, "providers": {"klavis": 1, "pais": 1}, "fields": [
            {"provider": "klavis", "address": format!("klavis/instances/{KLAVIS_ID}"), "field": "read_only"},
            {"provider": "pais", "address": "pais/servers/github", "field": "headers"}
        ]})
    );
    json.assert_hides(&["ghp_drift_unchecked_777"]);
}
