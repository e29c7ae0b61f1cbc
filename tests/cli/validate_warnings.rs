//! What `validate` warns about without failing: unset variables (a pre-commit hook or a fork's
//! pull request has no secrets), and configs that would fail later or leak (issue 14).

use mcpform_emulator::Platform;

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
    let lenient = run_without_variables(&work, &["validate"]);
    let strict = run_without_variables(&work, &["validate", "--strict"]);
    snapshot!(format!("===== validate\n{lenient}\n===== validate --strict\n{strict}"), @r#"
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
    "#);
    // `plan` and `drift` refuse just as `validate --strict` does, word for word.
    for command in ["plan", "drift"] {
        let run = run_without_variables(&work, &[command]);
        assert_eq!(
            run.to_string(),
            strict.to_string(),
            "`{command}` differs from `validate --strict`"
        );
    }
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

#[test]
fn a_provider_without_auth_warns_in_validate_and_plan() {
    let work = Workdir::new(
        "version: 1
providers:
  - name: pais
    platform: pais
    endpoint: http://127.0.0.1:9
    servers: []
  - name: klavis
    platform: klavis
    instances: []
  - name: hasmcp
    platform: hasmcp
    servers: []
",
    );
    snapshot!(work.run(&["validate"]), @r#"
    ----- stdout -----
    The configuration is valid: 3 providers, 0 resources in 1 file.
    ----- stderr -----
    mcpform::config::missing_auth

      ⚠ provider `pais` has no `auth`
       ╭─[mcpform.yaml:3:11]
     2 │ providers:
     3 │   - name: pais
       ·           ──┬─
       ·             ╰── PAIS needs a token
     4 │     platform: pais
       ╰────
      help: PAIS answers 401 to every request without one; add `auth: { bearer: "${PAIS_TOKEN}" }` to
            this provider

    mcpform::config::missing_auth

      ⚠ provider `klavis` has no `auth`
       ╭─[mcpform.yaml:7:11]
     6 │     servers: []
     7 │   - name: klavis
       ·           ───┬──
       ·              ╰── Klavis needs a token
     8 │     platform: klavis
       ╰────
      help: Klavis answers 401 to every request without one; add `auth: { bearer:
            "${KLAVIS_API_KEY}" }` to this provider

    mcpform::config::missing_auth

      ⚠ provider `hasmcp` has no `auth`
        ╭─[mcpform.yaml:10:11]
      9 │     instances: []
     10 │   - name: hasmcp
        ·           ───┬──
        ·              ╰── HasMCP needs a token
     11 │     platform: hasmcp
        ╰────
      help: HasMCP answers 401 to every request without one; add `auth: { bearer:
            "${HASMCP_ACCESS_TOKEN}" }` to this provider

    [exit status: 0]
    "#);
}

#[test]
fn an_endpoint_with_the_api_path_warns_and_its_404_says_use_the_base_url() {
    let pais = Emulator::start(Platform::Pais, serde_json::json!({"servers": []}));
    let idun = Emulator::start(
        Platform::Idun,
        serde_json::json!({"agent": false, "servers": []}),
    );
    let work = Workdir::new(&config(&[
        pais_provider(
            &format!("{}/api/v1/", pais.url()),
            "      - { name: github, url: https://mcp.example.com/github, transport: SSE }\n",
        ),
        idun_provider(
            &format!("{}/admin/api/v1", idun.url()),
            "      - name: jira\n        mcp_server: { name: jira, transport: stdio, command: npx, args: [jira] }\n",
        ),
    ]));
    let validate = work.run(&["validate"]);
    let plan = work.run(&["plan", "--retries", "0"]);
    snapshot!(format!("===== validate\n{validate}\n===== plan\n{plan}"), @r#"
    ===== validate
    ----- stdout -----
    The configuration is valid: 2 providers, 2 resources in 1 file.
    ----- stderr -----
    mcpform::config::endpoint_path

      ⚠ the `endpoint` of provider `pais` ends in the API path `/api/v1`
       ╭─[mcpform.yaml:5:15]
     4 │     platform: pais
     5 │     endpoint: http://127.0.0.1:[PORT]/api/v1/
       ·               ───────────────┬──────────────
       ·                              ╰── mcpform adds `/api/v1/control` to this
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ╰────
      help: the platform would answer 404 to the doubled path; use the base URL, e.g.
            `http://127.0.0.1:[PORT]`

    mcpform::config::endpoint_path

      ⚠ the `endpoint` of provider `idun` ends in the API path `/admin/api/v1`
        ╭─[mcpform.yaml:12:15]
     11 │     platform: idun
     12 │     endpoint: http://127.0.0.1:[PORT]/admin/api/v1
        ·               ─────────────────┬─────────────────
        ·                                ╰── mcpform adds `/admin/api/v1` to this
     13 │     auth: { password: "${IDUN_PASSWORD}" }
        ╰────
      help: the platform would answer 404 to the doubled path; use the base URL, e.g.
            `http://127.0.0.1:[PORT]`

    [exit status: 0]
    ===== plan
    ----- stderr -----
    mcpform::config::endpoint_path

      ⚠ the `endpoint` of provider `pais` ends in the API path `/api/v1`
       ╭─[mcpform.yaml:5:15]
     4 │     platform: pais
     5 │     endpoint: http://127.0.0.1:[PORT]/api/v1/
       ·               ───────────────┬──────────────
       ·                              ╰── mcpform adds `/api/v1/control` to this
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ╰────
      help: the platform would answer 404 to the doubled path; use the base URL, e.g.
            `http://127.0.0.1:[PORT]`

    mcpform::config::endpoint_path

      ⚠ the `endpoint` of provider `idun` ends in the API path `/admin/api/v1`
        ╭─[mcpform.yaml:12:15]
     11 │     platform: idun
     12 │     endpoint: http://127.0.0.1:[PORT]/admin/api/v1
        ·               ─────────────────┬─────────────────
        ·                                ╰── mcpform adds `/admin/api/v1` to this
     13 │     auth: { password: "${IDUN_PASSWORD}" }
        ╰────
      help: the platform would answer 404 to the doubled path; use the base URL, e.g.
            `http://127.0.0.1:[PORT]`

    mcpform::plan::failed

      × 2 problems stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `idun`: cannot read the live state
      ╰─▶ mcpform::http::status
          
            × POST http://127.0.0.1:[PORT]/admin/api/v1/admin/api/v1/auth/login answered HTTP 401:
            │ Authentication required.
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::status
          
            × GET http://127.0.0.1:[PORT]/api/v1/api/v1/control/mcp-servers answered HTTP 404: Not
            │ Found
            help: the provider's `endpoint` should be the platform's base URL (e.g. `https://host`):
                  mcpform adds `/api/v1/control/…` to it
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    "#);
}

#[test]
fn inline_secrets_warn_and_suggest_a_variable_without_showing_the_value() {
    let work = Workdir::new(&config(&[
        pais_provider(
            "https://pais.example.internal",
            "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
        headers:
          - { name: X-Api-Key, value: inline-pais-secret-1, secret: true }
          - { name: Authorization, value: \"Bearer ${PAIS_TOKEN}\", secret: true }
          - { name: X-Team, value: platform }
",
        ),
        idun_provider(
            "https://idun.example.internal",
            "      - name: jira
        mcp_server:
          name: jira
          transport: streamable_http
          url: https://mcp.example.com/jira
          headers: { Authorization: \"Bearer inline-idun-secret-2\" }
          env: { JIRA_TOKEN: \"${PAIS_TOKEN}\" }
",
        ),
    ]));
    let run = work.run(&["validate"]);
    run.assert_hides(&["inline-pais-secret-1", "inline-idun-secret-2"]);
    snapshot!(run, @r#"
    ----- stdout -----
    The configuration is valid: 2 providers, 2 resources in 1 file.
    ----- stderr -----
    mcpform::config::inline_secret

      ⚠ the secret `X-Api-Key` is written in the config
        ╭─[mcpform.yaml:12:39]
     11 │         headers:
     12 │           - { name: X-Api-Key, value: ********************, secret: true }
        ·                                       ──────────┬─────────
        ·                                                 ╰── masked in output, but committed to git
     13 │           - { name: Authorization, value: "Bearer ${PAIS_TOKEN}", secret: true }
        ╰────
      help: read it from the environment instead: `value: "${X_API_KEY}"`, and set `X_API_KEY` where
            mcpform runs

    mcpform::config::inline_secret

      ⚠ the secret `Authorization` is written in the config
        ╭─[mcpform.yaml:26:37]
     25 │           url: https://mcp.example.com/jira
     26 │           headers: { Authorization: "***************************" }
        ·                                     ──────────────┬──────────────
        ·                                                   ╰── masked in output, but committed to git
     27 │           env: { JIRA_TOKEN: "${PAIS_TOKEN}" }
        ╰────
      help: read it from the environment instead: `Authorization: "${AUTHORIZATION}"`, and set
            `AUTHORIZATION` where mcpform runs

    [exit status: 0]
    "#);
}
