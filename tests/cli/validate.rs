//! `mcpform validate` and `mcpform schema` as a user meets them.

use crate::support::*;

fn validate(config: &str) -> Run {
    Workdir::new(config).run(&["validate"])
}

#[test]
fn a_valid_config_passes() {
    let run = validate(&config(&[pais_provider(
        "https://pais.example.internal",
        "      - name: github\n        url: https://mcp.example.com/github\n        transport: SSE\n",
    )]));
    snapshot!(run, @"
    ----- stdout -----
    The configuration is valid: 1 provider, 1 resource in 1 file.
    [exit status: 0]
    ");
}

/// A server with a misspelt `description`.
const UNKNOWN_FIELD: &str = "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: SSE\n        descripton: x\n";

#[test]
fn each_kind_of_mistake_points_at_its_file_line_and_column() {
    let cases = [
        (
            "YAML syntax",
            "version: 1\nproviders:\n  - name: p\n    platform: pais: x\n",
        ),
        (
            "wrong type",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers: yes\n",
        ),
        ("unknown field", UNKNOWN_FIELD),
        (
            "bad enum value",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: HTTP\n",
        ),
        (
            "invalid URL",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: not a url\n",
        ),
        (
            "duplicate provider",
            "version: 1\nproviders:\n  - name: p\n    platform: idun\n  - name: p\n    platform: idun\n",
        ),
        (
            "hasmcp server name",
            "version: 1\nproviders:\n  - name: h\n    platform: hasmcp\n    servers:\n      - name: github-tools\n",
        ),
        (
            "klavis instance id",
            "version: 1\nproviders:\n  - name: k\n    platform: klavis\n    instances:\n      - id: not-a-uuid\n        read_only: true\n",
        ),
        (
            "unset variable",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    auth: { bearer: \"${NOT_SET_ANYWHERE}\" }\n",
        ),
    ];
    let runs: String = cases
        .iter()
        .map(|(what, config)| format!("===== {what}\n{}\n", validate(config)))
        .collect();
    snapshot!(runs, @r#"
    ===== YAML syntax
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::yaml_syntax

      × invalid YAML
       ╭─[mcpform.yaml:4:19]
     3 │   - name: p
     4 │     platform: pais: x
       ·                   ▲
       ·                   ╰── mapping values are not allowed in this context
       ╰────
      help: check the indentation, colons and quotes around this point

    [exit status: 1]
    ===== wrong type
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::wrong_type

      × `servers` must be a list, found a string
       ╭─[mcpform.yaml:6:14]
     5 │     endpoint: https://x.example
     6 │     servers: yes
       ·              ─┬─
       ·               ╰── a string
       ╰────
      help: write a list: `- item` lines, or `[a, b]`

    [exit status: 1]
    ===== unknown field
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::unknown_field

      × unknown field `descripton`
        ╭─[mcpform.yaml:10:9]
      9 │         transport: SSE
     10 │         descripton: x
        ·         ─────┬────
        ·              ╰── not a field of `servers[0]`
        ╰────
      help: did you mean `description`?

    [exit status: 1]
    ===== bad enum value
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::bad_value

      × invalid value `HTTP` for `transport`
       ╭─[mcpform.yaml:9:20]
     8 │         url: https://a.example
     9 │         transport: HTTP
       ·                    ──┬─
       ·                      ╰── expected `STREAMABLE_HTTP` or `SSE`
       ╰────
      help: did you mean `STREAMABLE_HTTP`? `transport`: transport protocol to the MCP server

    [exit status: 1]
    ===== invalid URL
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::invalid_url

      × invalid value `not a url` for `endpoint`
       ╭─[mcpform.yaml:5:15]
     4 │     platform: pais
     5 │     endpoint: not a url
       ·               ────┬────
       ·                   ╰── relative URL without a base
       ╰────
      help: write an absolute URL, like `https://mcp.example.com/github`

    [exit status: 1]
    ===== duplicate provider
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::duplicate_provider

      × duplicate provider name `p`
       ╭─[mcpform.yaml:5:11]
     2 │ providers:
     3 │   - name: p
       ·           ┬
       ·           ╰── first defined here
     4 │     platform: idun
     5 │   - name: p
       ·           ┬
       ·           ╰── defined again here
     6 │     platform: idun
       ╰────
      help: provider names start every resource address; rename one of them

    [exit status: 1]
    ===== hasmcp server name
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::pattern_mismatch

      × invalid value `github-tools` for `name`
       ╭─[mcpform.yaml:6:15]
     5 │     servers:
     6 │       - name: github-tools
       ·               ──────┬─────
       ·                     ╰── does not match `^[A-Za-z0-9]{1,16}$`
       ╰────
      help: `name`: 1 to 16 letters or digits

    [exit status: 1]
    ===== klavis instance id
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::invalid_uuid

      × invalid value `not-a-uuid` for `id`
       ╭─[mcpform.yaml:6:13]
     5 │     instances:
     6 │       - id: not-a-uuid
       ·             ─────┬────
       ·                  ╰── not a UUID
     7 │         read_only: true
       ╰────
      help: a UUID looks like `3c90c3cc-0d44-4b50-8888-8dd25736052a`

    [exit status: 1]
    ===== unset variable
    ----- stdout -----
    The configuration is valid: 1 provider, 0 resources in 1 file.
    ----- stderr -----
    mcpform::config::unset_variable

      ⚠ environment variable `NOT_SET_ANYWHERE` is not set
       ╭─[mcpform.yaml:6:22]
     5 │     endpoint: https://x.example
     6 │     auth: { bearer: "${NOT_SET_ANYWHERE}" }
       ·                      ─────────┬─────────
       ·                               ╰── used here
       ╰────
      help: `plan`, `apply` and `drift` will need it: set `NOT_SET_ANYWHERE` before running them

    [exit status: 0]
    "#);
}

#[test]
fn the_unknown_field_error_suggests_the_right_name() {
    // The whole error is the "unknown field" case of
    // `each_kind_of_mistake_points_at_its_file_line_and_column`'s snapshot.
    let run = validate(UNKNOWN_FIELD);
    run.expect_code(1);
    // The promise itself, apart from the "expected one of …" list, which names every field.
    assert!(run.stderr.contains("did you mean `description`?"), "{run}");
}

#[test]
fn a_missing_config_file_says_so() {
    let work = Workdir::new("");
    std::fs::remove_file(work.path().join("mcpform.yaml")).unwrap();
    let run = work.run(&["validate"]);
    snapshot!(run, @"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::file_not_found

      × config file `mcpform.yaml` not found
      help: check the path, or create the file; without `-c/--config`, mcpform reads `mcpform.yaml`

    [exit status: 1]
    ");
}

#[test]
fn schema_prints_the_committed_schema_and_the_examples_validate() {
    let work = Workdir::new("");
    let run = work.run(&["schema"]);
    run.expect_code(0);
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/mcpform.schema.json"
    ))
    .unwrap();
    assert_eq!(
        run.stdout, committed,
        "regenerate with `cargo run -- schema > schemas/mcpform.schema.json`"
    );

    let examples = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"));
    let mut work = Workdir::new("");
    for (name, value) in [
        ("PAIS_TOKEN", "t"),
        ("GITHUB_TOKEN", "g"),
        ("IDUN_ADMIN_PASSWORD", "p"),
        ("KLAVIS_API_KEY", "k"),
        ("HASMCP_ACCESS_TOKEN", "h"),
    ] {
        work.set_env(name, value);
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let run = work.run(&["validate", "-c", path.to_str().unwrap()]);
            assert_eq!(
                run.code,
                0,
                "{} is invalid:\n{}",
                path.display(),
                run.stderr
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "examples/ holds the demo and the full example"
    );
}
