//! Small details of what the binary prints (issue 14, items 11 and 12): where a tab is reported,
//! "did you mean" for close enum values, how drift words differences and lists unmanaged
//! objects, flags a command would ignore, and a reader that closes stdout early.

use std::io::Read;

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

fn validate(config: &str) -> Run {
    Workdir::new(config).run(&["validate"])
}

#[test]
fn a_tab_is_reported_at_its_own_line_with_the_fix() {
    let run = validate(
        "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n\ttransport: SSE\n",
    );
    snapshot!(run, @"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::yaml_syntax

      × invalid YAML: a tab
       ╭─[mcpform.yaml:9:1]
     8 │         url: https://a.example
     9 │     transport: SSE
       · ──┬─
       ·   ╰── a tab here
       ╰────
      help: indent with spaces: YAML does not allow tabs

    [exit status: 1]
    ");
}

#[test]
fn a_close_enum_value_gets_did_you_mean_before_the_default_help() {
    let idun = validate(
        "version: 1\nproviders:\n  - name: i\n    platform: idun\n    servers:\n      - name: a\n        mcp_server:\n          name: a\n          transport: ws\n          url: wss://m.example\n",
    );
    let pais = validate(
        "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: sse\n",
    );
    snapshot!(format!("{idun}\n{pais}"), @"
    ----- stderr -----
      × the config has 2 problems

    Error: mcpform::config::bad_value

      × invalid value `ws` for `transport`
        ╭─[mcpform.yaml:9:22]
      8 │           name: a
      9 │           transport: ws
        ·                      ─┬
        ·                       ╰── expected `stdio`, `sse`, `streamable_http` or `websocket`
     10 │           url: wss://m.example
        ╰────
      help: did you mean `websocket`? `transport`: default `streamable_http`

    Error: mcpform::config::invalid_url

      × invalid value `wss://m.example` for `url`
        ╭─[mcpform.yaml:10:16]
      9 │           transport: ws
     10 │           url: wss://m.example
        ·                ───────┬───────
        ·                       ╰── expected `http` or `https`
        ╰────
      help: mcpform and the platforms speak HTTP; use an `http://` or `https://` URL

    [exit status: 1]
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::bad_value

      × invalid value `sse` for `transport`
       ╭─[mcpform.yaml:9:20]
     8 │         url: https://a.example
     9 │         transport: sse
       ·                    ─┬─
       ·                     ╰── expected `STREAMABLE_HTTP` or `SSE`
       ╰────
      help: did you mean `SSE`? `transport`: transport protocol to the MCP server

    [exit status: 1]
    ");
}

#[test]
fn drift_describes_differences_and_lists_unmanaged_objects_as_addresses() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [
            {"id": "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11", "name": "github", "url": "https://mcp.example.com/github", "transport": "SSE", "description": "edited live"},
            {"id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "name": "slack", "url": "https://mcp.example.com/slack", "transport": "SSE"},
            {"id": "8b2f3c4d-5e6f-4a71-9b8c-0d1e2f3a4b5c", "name": "jira", "url": "https://mcp.example.com/jira", "transport": "SSE"},
            {"id": "9c3a4d5e-6f7a-4b82-8c9d-1e2f3a4b5c6d", "name": "jira", "url": "https://mcp.example.com/jira2", "transport": "SSE"}
        ]}),
    );
    let work = Workdir::new(&config(&[pais_provider(
        &pais.url(),
        "      - name: github\n        url: https://mcp.example.com/github\n        transport: SSE\n        description: GitHub tools\n      - name: notion\n        url: https://mcp.example.com/notion\n        transport: SSE\n",
    )]));
    let text = work.run(&["drift"]);
    assert!(!text.stdout.contains("will be"), "{}", text.stdout);
    snapshot!(text, @r#"
    ----- stdout -----
    Drift: 2 of 2 configured resources differ from the config (before = live, after = config).

      # pais/servers/github differs from the config
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ description = "edited live" → "GitHub tools"

      # pais/servers/notion is missing from the platform
      + pais/servers/notion
          + name      = "notion"
          + transport = "SSE"
          + url       = "https://mcp.example.com/notion"

    Unmanaged: 3 live objects that no config names:
      pais/servers/slack
      pais/servers/8b2f3c4d-5e6f-4a71-9b8c-0d1e2f3a4b5c
      pais/servers/9c3a4d5e-6f7a-4b82-8c9d-1e2f3a4b5c6d

    Coverage: 1 of 4 live objects are managed (25%).
    [exit status: 2]
    "#);
}

#[test]
fn demo_and_emulate_refuse_global_flags_they_would_ignore() {
    let work = Workdir::new("version: 1\nproviders: []\n");
    let runs: String = [
        vec!["demo", "--state", "s.json"],
        vec!["demo", "-c", "x.yaml"],
        vec!["demo", "--endpoint-override", "p=http://x"],
        vec!["emulate", "--platform", "pais", "-c", "x.yaml"],
        vec!["emulate", "--platform", "pais", "--timeout", "5"],
    ]
    .iter()
    .map(|args| format!("===== {}\n{}\n", args.join(" "), work.run(args)))
    .collect();
    snapshot!(runs, @"
    ===== demo --state s.json
    ----- stderr -----
    error: `mcpform demo` does not use `--state`; remove it

    Usage: mcpform demo [OPTIONS]

    For more information, try '--help'.
    [exit status: 1]
    ===== demo -c x.yaml
    ----- stderr -----
    error: `mcpform demo` does not use `--config`; remove it

    Usage: mcpform demo [OPTIONS]

    For more information, try '--help'.
    [exit status: 1]
    ===== demo --endpoint-override p=http://x
    ----- stderr -----
    error: `mcpform demo` does not use `--endpoint-override`; remove it

    Usage: mcpform demo [OPTIONS]

    For more information, try '--help'.
    [exit status: 1]
    ===== emulate --platform pais -c x.yaml
    ----- stderr -----
    error: `mcpform emulate` does not use `--config`; remove it

    Usage: mcpform emulate [OPTIONS] --platform <PLATFORM>

    For more information, try '--help'.
    [exit status: 1]
    ===== emulate --platform pais --timeout 5
    ----- stderr -----
    error: `mcpform emulate` does not use `--timeout`; remove it

    Usage: mcpform emulate [OPTIONS] --platform <PLATFORM>

    For more information, try '--help'.
    [exit status: 1]
    ");
}

#[test]
fn a_reader_that_closes_stdout_early_ends_the_run_quietly() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    let mut servers = String::new();
    for i in 0..200 {
        servers.push_str(&format!(
            "      - name: s{i}\n        url: https://mcp.example.com/s{i}\n        transport: SSE\n        description: {}\n",
            "x".repeat(200)
        ));
    }
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), &servers)]));
    let mut child = work
        .command(&["plan", "--format", "json"])
        .spawn()
        .expect("the binary starts");
    // `| head -c 100`: read a little, then close the pipe while the plan is still being written.
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).expect("the plan starts");
    drop(stdout);
    let output = child.wait_with_output().expect("the binary ends");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
