//! What `validate` warns about without failing: unset variables (a pre-commit hook or a fork's
//! pull request has no secrets), and configs that would fail later or leak (issue 14).

use crate::support::*;

/// The example configs the repository ships, each copied into a workdir of its own.
const EXAMPLES: [(&str, &str); 2] = [
    (
        "all-platforms.yaml",
        include_str!("../../examples/all-platforms.yaml"),
    ),
    ("demo.yaml", include_str!("../../examples/demo.yaml")),
];

/// The variables `Workdir` sets for the emulators, none of which the examples use.
const WORKDIR_VARS: [&str; 4] = [
    "PAIS_TOKEN",
    "IDUN_PASSWORD",
    "HASMCP_TOKEN",
    "KLAVIS_TOKEN",
];

/// Runs `mcpform ARGS` in `work` with no variable set but `PATH`, `CI` and `NO_COLOR`.
fn run_without_variables(work: &Workdir, args: &[&str]) -> Run {
    let mut command = work.command(args);
    for name in WORKDIR_VARS {
        command.env_remove(name);
    }
    Run::new(command.output().expect("the binary runs"), work.path())
}

const UNSET: &str = "version: 1
providers:
  - name: pais
    platform: pais
    endpoint: https://pais.example.internal
    auth: { bearer: \"${PAIS_TOKEN}\" }
    servers:
      - name: github
        url: https://mcp.example.com/github
        transport: SSE
";

#[test]
fn validate_warns_about_an_unset_variable_and_strict_fails() {
    let work = Workdir::new(UNSET);
    let runs: String = [
        &["validate"][..],
        &["validate", "--strict"],
        &["plan"],
        &["drift"],
    ]
    .iter()
    .map(|args| {
        format!(
            "===== {}\n{}\n",
            args.join(" "),
            run_without_variables(&work, args)
        )
    })
    .collect();
    snapshot!(runs, @r#"
    ===== validate
    ----- stdout -----
    The configuration is valid: 1 provider, 1 resource in 1 file.
    ----- stderr -----
    mcpform::config::unset_variable

      ⚠ environment variable `PAIS_TOKEN` is not set
       ╭─[mcpform.yaml:6:22]
     5 │     endpoint: https://pais.example.internal
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ·                      ──────┬──────
       ·                            ╰── used here
     7 │     servers:
       ╰────
      help: `plan`, `apply` and `drift` will need it: set `PAIS_TOKEN` before running them

    [exit status: 0]
    ===== validate --strict
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::unset_variable

      × environment variable `PAIS_TOKEN` is not set
       ╭─[mcpform.yaml:6:22]
     5 │     endpoint: https://pais.example.internal
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ·                      ──────┬──────
       ·                            ╰── used here
     7 │     servers:
       ╰────
      help: set `PAIS_TOKEN` before running mcpform; write `$${` for a literal `${`

    [exit status: 1]
    ===== plan
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::unset_variable

      × environment variable `PAIS_TOKEN` is not set
       ╭─[mcpform.yaml:6:22]
     5 │     endpoint: https://pais.example.internal
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ·                      ──────┬──────
       ·                            ╰── used here
     7 │     servers:
       ╰────
      help: set `PAIS_TOKEN` before running mcpform; write `$${` for a literal `${`

    [exit status: 1]
    ===== drift
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::unset_variable

      × environment variable `PAIS_TOKEN` is not set
       ╭─[mcpform.yaml:6:22]
     5 │     endpoint: https://pais.example.internal
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ·                      ──────┬──────
       ·                            ╰── used here
     7 │     servers:
       ╰────
      help: set `PAIS_TOKEN` before running mcpform; write `$${` for a literal `${`

    [exit status: 1]
    "#);
}

#[test]
fn the_examples_validate_without_secrets_and_fail_strictly() {
    for (name, text) in EXAMPLES {
        let work = Workdir::new("");
        std::fs::write(work.path().join(name), text).unwrap();
        let lenient = run_without_variables(&work, &["validate", "-c", name]);
        assert_eq!(lenient.code, 0, "{name}:\n{lenient}");
        assert!(
            lenient.stderr.contains("⚠ environment variable"),
            "{name}:\n{lenient}"
        );
        assert!(!lenient.stderr.contains("×"), "{name}:\n{lenient}");
        let strict = run_without_variables(&work, &["validate", "--strict", "-c", name]);
        assert_eq!(strict.code, 1, "{name}:\n{strict}");
        assert!(
            strict.stderr.contains("× environment variable"),
            "{name}:\n{strict}"
        );
    }
}

#[test]
fn the_all_platforms_example_without_secrets() {
    let (name, text) = EXAMPLES[0];
    let work = Workdir::new("");
    std::fs::write(work.path().join(name), text).unwrap();
    let lenient = run_without_variables(&work, &["validate", "-c", name]);
    let strict = run_without_variables(&work, &["validate", "--strict", "-c", name]);
    snapshot!(format!("===== validate\n{lenient}\n===== validate --strict\n{strict}"), @r#"
    ===== validate
    ----- stdout -----
    The configuration is valid: 4 providers, 4 resources in 1 file.
    ----- stderr -----
    mcpform::config::unset_variable

      ⚠ environment variable `KLAVIS_API_KEY` is not set
        ╭─[all-platforms.yaml:9:22]
      8 │     endpoint: https://api.klavis.ai          # EU: https://api.eu.klavis.ai
      9 │     auth: { bearer: "${KLAVIS_API_KEY}" }
        ·                      ────────┬────────
        ·                              ╰── used here
     10 │     instances:
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `KLAVIS_API_KEY` before running them

    mcpform::config::unset_variable

      ⚠ environment variable `PAIS_TOKEN` is not set
        ╭─[all-platforms.yaml:17:22]
     16 │     endpoint: https://pais.example.internal
     17 │     auth: { bearer: "${PAIS_TOKEN}" }
        ·                      ──────┬──────
        ·                            ╰── used here
     18 │     servers:
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `PAIS_TOKEN` before running them

    mcpform::config::unset_variable

      ⚠ environment variable `GITHUB_TOKEN` is not set
        ╭─[all-platforms.yaml:25:51]
     24 │         headers:
     25 │           - { name: Authorization, value: "Bearer ${GITHUB_TOKEN}", secret: true }
        ·                                                   ───────┬───────
        ·                                                          ╰── used here
     26 │ 
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `GITHUB_TOKEN` before running them

    mcpform::config::unset_variable

      ⚠ environment variable `IDUN_ADMIN_PASSWORD` is not set
        ╭─[all-platforms.yaml:30:24]
     29 │     endpoint: http://127.0.0.1:[PORT]
     30 │     auth: { password: "${IDUN_ADMIN_PASSWORD}" }
        ·                        ───────────┬──────────
        ·                                   ╰── used here
     31 │     servers:
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `IDUN_ADMIN_PASSWORD` before running them

    mcpform::config::unset_variable

      ⚠ environment variable `GITHUB_TOKEN` is not set
        ╭─[all-platforms.yaml:38:45]
     37 │           url: https://mcp.example.com/github
     38 │           headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }
        ·                                             ───────┬───────
        ·                                                    ╰── used here
     39 │           timeout_seconds: 30
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `GITHUB_TOKEN` before running them

    mcpform::config::unset_variable

      ⚠ environment variable `HASMCP_ACCESS_TOKEN` is not set
        ╭─[all-platforms.yaml:44:22]
     43 │     endpoint: https://app.hasmcp.com/api/v1
     44 │     auth: { bearer: "${HASMCP_ACCESS_TOKEN}" }
        ·                      ───────────┬──────────
        ·                                 ╰── used here
     45 │     servers:
        ╰────
      help: `plan`, `apply` and `drift` will need it: set `HASMCP_ACCESS_TOKEN` before running them

    [exit status: 0]
    ===== validate --strict
    ----- stderr -----
      × the config has 6 problems

    Error: mcpform::config::unset_variable

      × environment variable `KLAVIS_API_KEY` is not set
        ╭─[all-platforms.yaml:9:22]
      8 │     endpoint: https://api.klavis.ai          # EU: https://api.eu.klavis.ai
      9 │     auth: { bearer: "${KLAVIS_API_KEY}" }
        ·                      ────────┬────────
        ·                              ╰── used here
     10 │     instances:
        ╰────
      help: set `KLAVIS_API_KEY` before running mcpform; write `$${` for a literal `${`

    Error: mcpform::config::unset_variable

      × environment variable `PAIS_TOKEN` is not set
        ╭─[all-platforms.yaml:17:22]
     16 │     endpoint: https://pais.example.internal
     17 │     auth: { bearer: "${PAIS_TOKEN}" }
        ·                      ──────┬──────
        ·                            ╰── used here
     18 │     servers:
        ╰────
      help: set `PAIS_TOKEN` before running mcpform; write `$${` for a literal `${`

    Error: mcpform::config::unset_variable

      × environment variable `GITHUB_TOKEN` is not set
        ╭─[all-platforms.yaml:25:51]
     24 │         headers:
     25 │           - { name: Authorization, value: "Bearer ${GITHUB_TOKEN}", secret: true }
        ·                                                   ───────┬───────
        ·                                                          ╰── used here
     26 │ 
        ╰────
      help: set `GITHUB_TOKEN` before running mcpform; write `$${` for a literal `${`

    Error: mcpform::config::unset_variable

      × environment variable `IDUN_ADMIN_PASSWORD` is not set
        ╭─[all-platforms.yaml:30:24]
     29 │     endpoint: http://127.0.0.1:[PORT]
     30 │     auth: { password: "${IDUN_ADMIN_PASSWORD}" }
        ·                        ───────────┬──────────
        ·                                   ╰── used here
     31 │     servers:
        ╰────
      help: set `IDUN_ADMIN_PASSWORD` before running mcpform; write `$${` for a literal `${`

    Error: mcpform::config::unset_variable

      × environment variable `GITHUB_TOKEN` is not set
        ╭─[all-platforms.yaml:38:45]
     37 │           url: https://mcp.example.com/github
     38 │           headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }
        ·                                             ───────┬───────
        ·                                                    ╰── used here
     39 │           timeout_seconds: 30
        ╰────
      help: set `GITHUB_TOKEN` before running mcpform; write `$${` for a literal `${`

    Error: mcpform::config::unset_variable

      × environment variable `HASMCP_ACCESS_TOKEN` is not set
        ╭─[all-platforms.yaml:44:22]
     43 │     endpoint: https://app.hasmcp.com/api/v1
     44 │     auth: { bearer: "${HASMCP_ACCESS_TOKEN}" }
        ·                      ───────────┬──────────
        ·                                 ╰── used here
     45 │     servers:
        ╰────
      help: set `HASMCP_ACCESS_TOKEN` before running mcpform; write `$${` for a literal `${`

    [exit status: 1]
    "#);
}

const TWO_SERVERS: &str = "version: 1
providers:
  - name: pais
    platform: pais
    endpoint: http://127.0.0.1:9
    auth: { bearer: \"${PAIS_TOKEN}\" }
    servers:
      - name: github
        url: https://mcp.example.com/github
        transport: SSE
      - name: jira
        url: https://mcp.example.com/jira
        transport: SSE
";

#[test]
fn a_target_or_exclude_that_matches_nothing_is_an_error() {
    let work = Workdir::new(TWO_SERVERS);
    let runs: String = [
        &["plan", "--target", "pais/servers/gihtub"][..],
        &["plan", "--target", "pais/servers/*", "--target", "klavis/*"],
        &["drift", "--exclude", "pais/servers/confluence"],
        &["apply", "--auto-approve", "--target", "idun/*"],
    ]
    .iter()
    .map(|args| format!("===== {}\n{}\n", args.join(" "), work.run(args)))
    .collect();
    snapshot!(runs, @"
    ===== plan --target pais/servers/gihtub
    ----- stderr -----
    mcpform::cli::selection_matches_nothing

      × `--target pais/servers/gihtub` matches no resource in the config
      help: did you mean `pais/servers/github`?

    [exit status: 1]
    ===== plan --target pais/servers/* --target klavis/*
    ----- stderr -----
    mcpform::cli::selection_matches_nothing

      × `--target klavis/*` matches no resource in the config
      help: the config's resources: `pais/servers/github` and `pais/servers/jira`

    [exit status: 1]
    ===== drift --exclude pais/servers/confluence
    ----- stderr -----
    mcpform::cli::selection_matches_nothing

      × `--exclude pais/servers/confluence` matches no resource in the config
      help: the config's resources: `pais/servers/github` and `pais/servers/jira`

    [exit status: 1]
    ===== apply --auto-approve --target idun/*
    ----- stderr -----
    mcpform::cli::selection_matches_nothing

      × `--target idun/*` matches no resource in the config
      help: the config's resources: `pais/servers/github` and `pais/servers/jira`

    [exit status: 1]
    ");
}
