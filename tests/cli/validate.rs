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
    run.expect_code(0);
    assert!(run.stdout.contains("valid"), "{}", run.stdout);
}

#[test]
fn each_kind_of_mistake_points_at_its_file_line_and_column() {
    let cases = [
        (
            "YAML syntax",
            "version: 1\nproviders:\n  - name: p\n    platform: pais: x\n",
            "mcpform.yaml:4:19",
        ),
        (
            "wrong type",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers: yes\n",
            "mcpform.yaml:6:",
        ),
        (
            "unknown field",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: SSE\n        descripton: x\n",
            "mcpform.yaml:10:",
        ),
        (
            "bad enum value",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: HTTP\n",
            "mcpform.yaml:9:",
        ),
        (
            "invalid URL",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: not a url\n",
            "mcpform.yaml:5:",
        ),
        (
            "duplicate provider",
            "version: 1\nproviders:\n  - name: p\n    platform: idun\n  - name: p\n    platform: idun\n",
            "mcpform.yaml:5:",
        ),
        (
            "hasmcp server name",
            "version: 1\nproviders:\n  - name: h\n    platform: hasmcp\n    servers:\n      - name: github-tools\n",
            "mcpform.yaml:6:15",
        ),
        (
            "klavis instance id",
            "version: 1\nproviders:\n  - name: k\n    platform: klavis\n    instances:\n      - id: not-a-uuid\n        read_only: true\n",
            "mcpform.yaml:6:13",
        ),
        (
            "unset variable",
            "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    auth: { bearer: \"${NOT_SET_ANYWHERE}\" }\n",
            "mcpform.yaml:6:",
        ),
    ];
    for (what, config, location) in cases {
        let run = validate(config);
        assert_eq!(run.code, 1, "{what}: exit status\n{}", run.stderr);
        assert!(
            run.stderr.contains(location),
            "{what}: expected `{location}` in\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    }
}

#[test]
fn the_unknown_field_error_suggests_the_right_name() {
    let run = validate(
        "version: 1\nproviders:\n  - name: p\n    platform: pais\n    endpoint: https://x.example\n    servers:\n      - name: a\n        url: https://a.example\n        transport: SSE\n        descripton: x\n",
    );
    assert!(run.stderr.contains("description"), "{}", run.stderr);
}

#[test]
fn a_missing_config_file_says_so() {
    let work = Workdir::new("");
    std::fs::remove_file(work.path().join("mcpform.yaml")).unwrap();
    let run = work.run(&["validate"]);
    run.expect_code(1);
    assert!(run.stderr.contains("mcpform.yaml"), "{}", run.stderr);
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
