//! Writes you can trust: "applied" only when the platform's answer shows the write, redirects
//! never followed by a write, and a create whose outcome is unknown never sent twice.

use mcpform_emulator::{Fault, Platform};
use serde_json::json;

use crate::support::*;

const PAIS_ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
const IDUN_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const SECRET: &str = "ghp_header_secret_value_42";

const PAIS_SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: Authorization, value: \"Bearer ${GITHUB_TOKEN}\", secret: true }
";

fn pais_seeded() -> Emulator {
    Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": PAIS_ID, "name": "github", "url": "https://mcp.example.com/github",
                            "transport": "STREAMABLE_HTTP"}]}),
    )
}

fn pais_workdir(url: &str) -> Workdir {
    let mut work = Workdir::new(&config(&[pais_provider(url, PAIS_SERVERS)]));
    work.set_env("GITHUB_TOKEN", SECRET);
    work
}

#[test]
fn an_empty_200_to_a_pais_patch_is_not_confirmed_and_the_headers_stay_planned() {
    let pais = pais_seeded();
    pais.inject(Fault::answer(200).on("PATCH", PAIS_PATH).times(1));
    let work = pais_workdir(&pais.url());
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be updated in place
      ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
          ~ headers = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
              # not readable from the platform; the state file has no record of it

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✗ pais/servers/github: update failed, not confirmed (run `mcpform plan` to see whether it took effect): PAIS answered without a body, so nothing shows the write took effect

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    "#);
    run.expect_code(1);
    run.assert_hides(&[SECRET]);
    assert!(
        run.stdout
            .contains("✗ pais/servers/github: update failed, not confirmed"),
        "{run}"
    );
    assert_eq!(
        state_record(&work, "pais/servers/github"),
        None,
        "nothing is recorded for a write the platform did not confirm"
    );
    let plan = work.run(&["plan", "--format", "json", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert_eq!(plan.json()["changes"][0]["fields"][0]["path"], "headers");
}

#[test]
fn a_redirect_answering_a_write_is_an_error_naming_the_location_and_is_never_followed() {
    for status in [301, 302, 303, 307] {
        let pais = pais_seeded();
        let elsewhere = Emulator::start(Platform::Pais, json!({"servers": []}));
        // Same origin for 301 and 302, another origin for 303 and 307: neither is followed.
        let location = if status < 303 {
            format!("{}/moved{PAIS_PATH}/{PAIS_ID}", pais.url())
        } else {
            format!("{}{PAIS_PATH}/{PAIS_ID}", elsewhere.url())
        };
        pais.inject(
            Fault::redirect(status, &location)
                .on("PATCH", PAIS_PATH)
                .times(1),
        );
        let work = pais_workdir(&pais.url());
        let run = work.run(&["apply", "--auto-approve"]);
        if status == 303 {
            snapshot!(run, @r#"
            ----- stdout -----
            mcpform will perform the following actions:

              # pais/servers/github will be updated in place
              ~ pais/servers/github (id 5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11)
                  ~ headers = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
                      # not readable from the platform; the state file has no record of it

            Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

            ✗ pais/servers/github: update failed, not confirmed (run `mcpform plan` to see whether it took effect): PATCH http://127.0.0.1:[PORT]/api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11 answered HTTP 303, a redirect to `http://127.0.0.1:[PORT]/api/v1/control/mcp-servers/5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11`; mcpform never follows a redirect on a write

            Apply incomplete: 0 applied, 1 failed.
            ----- stderr -----
            mcpform::apply::failed

              × 1 of 1 resource failed to apply
              help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

            [exit status: 1]
            "#);
        }
        run.expect_code(1);
        run.assert_hides(&[SECRET]);
        assert!(run.stdout.contains(&location), "HTTP {status}: {run}");
        assert!(
            run.stdout.contains("update failed, not confirmed"),
            "HTTP {status}: {run}"
        );
        let moved: Vec<_> = pais
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/moved"))
            .collect();
        assert_eq!(moved, [], "HTTP {status}: the redirect was followed");
        assert_eq!(
            elsewhere.requests(),
            [],
            "HTTP {status}: a request went to another origin"
        );
        assert_eq!(pais.writes().len(), 1, "HTTP {status}: sent once");
        assert_eq!(state_record(&work, "pais/servers/github"), None);
    }
}

#[test]
fn a_read_redirect_is_followed_within_the_origin_and_refused_across_origins() {
    let pais = pais_seeded();
    let listing = format!("{}{PAIS_PATH}?limit=999&order=asc", pais.url());
    pais.inject(
        Fault::redirect(302, &listing.replace(PAIS_PATH, "/v2/servers"))
            .on("GET", PAIS_PATH)
            .times(1),
    );
    pais.inject(
        Fault::redirect(307, &listing)
            .on("GET", "/v2/servers")
            .times(1),
    );
    let work = pais_workdir(&pais.url());
    let run = work.run(&["plan", "--detailed-exitcode"]);
    run.expect_code(2);
    let paths: Vec<String> = pais.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [PAIS_PATH, "/v2/servers", PAIS_PATH],
        "followed twice"
    );

    let elsewhere = Emulator::start(Platform::Pais, json!({"servers": []}));
    let location = format!("{}{PAIS_PATH}?limit=999&order=asc", elsewhere.url());
    pais.inject(
        Fault::redirect(302, &location)
            .on("GET", PAIS_PATH)
            .times(1),
    );
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::redirect
          
            × GET http://127.0.0.1:[PORT]/api/v1/control/mcp-servers answered HTTP 302, a redirect to
            │ `http://127.0.0.1:[PORT]/api/v1/control/mcp-servers?limit=999&order=asc`; mcpform follows
            │ redirects only within the endpoint's origin
            help: point the provider's `endpoint` at the address the platform really serves
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    run.expect_code(1);
    assert!(run.stderr.contains(&location), "{run}");
    assert_eq!(elsewhere.requests(), [], "the token went to another origin");
}

/// Starts an empty `platform` whose first create (POST to `path`) is stored, then answered with
/// `fault` instead of the platform's answer, and applies the config `workdir` writes for it.
fn apply_when_a_create_answer_is_lost(
    platform: Platform,
    path: &str,
    fault: Fault,
    workdir: impl FnOnce(&str) -> Workdir,
) -> (Emulator, Workdir, Run) {
    let emulator = Emulator::start(platform, json!({"servers": []}));
    emulator.inject(fault.on("POST", path).times(1).after_handler());
    let work = workdir(&emulator.url());
    let run = work.run(&["apply", "--auto-approve"]);
    (emulator, work, run)
}

/// The create was found after its answer was lost: one object, and the next runs change nothing.
#[track_caller]
fn assert_created_once_and_settled(emulator: &Emulator, work: &Workdir) {
    assert_eq!(
        stored(emulator).len(),
        1,
        "created once: {:#?}",
        stored(emulator)
    );
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(stored(emulator).len(), 1);
}

/// A PAIS create stored, then answered with `fault`: one object, confirmed, recorded.
fn a_pais_create_whose_answer_was_lost_is_created_once(fault: Fault) {
    let (pais, work, run) =
        apply_when_a_create_answer_is_lost(Platform::Pais, PAIS_PATH, fault, pais_workdir);
    // Each fault's test asserts this one snapshot: insta allows that only when told.
    insta::allow_duplicates! {
        snapshot!(run, @r#"
        ----- stdout -----
        mcpform will perform the following actions:

          # pais/servers/github will be created
          + pais/servers/github
              ~ headers   = (write-only) → [{"name":"Authorization","value":"(sensitive)","is_secret":true}]
                  # not readable from the platform; the state file has no record of it
              + name      = "github"
              + transport = "STREAMABLE_HTTP"
              + url       = "https://mcp.example.com/github"

        Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

        ✓ pais/servers/github: create applied

        Apply complete: 1 applied, 0 failed.
        [exit status: 0]
        "#);
    }
    run.expect_code(0);
    let servers = stored(&pais);
    assert_eq!(servers.len(), 1, "created once: {servers:#?}");
    assert_eq!(
        servers[0]["headers"][0]["value"],
        format!("Bearer {SECRET}")
    );
    let posts = pais.writes().iter().filter(|w| w.method == "POST").count();
    assert_eq!(posts, 1, "never re-sent once it was found");
    assert!(state_record(&work, "pais/servers/github").is_some());
    assert_created_once_and_settled(&pais, &work);
}

#[test]
fn a_pais_create_answered_503_after_it_landed_is_created_once() {
    a_pais_create_whose_answer_was_lost_is_created_once(Fault::unavailable(Platform::Pais));
}

#[test]
fn a_pais_create_whose_connection_broke_after_it_landed_is_created_once() {
    a_pais_create_whose_answer_was_lost_is_created_once(Fault::dropped_connection());
}

#[test]
fn a_pais_create_refused_before_it_landed_is_sent_again_after_the_lookup() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    pais.inject(
        Fault::unavailable(Platform::Pais)
            .on("POST", PAIS_PATH)
            .times(2),
    );
    let work = pais_workdir(&pais.url());
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("✓ pais/servers/github: create applied"),
        "{run}"
    );
    assert_eq!(stored(&pais).len(), 1);
    let methods: Vec<String> = pais.requests().into_iter().map(|r| r.method).collect();
    // The plan's listing, then each 503 followed by a lookup before the next POST.
    assert_eq!(methods, ["GET", "POST", "GET", "POST", "GET", "POST"]);
}

#[test]
fn a_rerun_after_a_killed_create_updates_what_it_left_instead_of_creating_again() {
    // What a create killed after the platform stored it leaves: the server, no state record.
    let pais = pais_seeded();
    let work = pais_workdir(&pais.url());
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("pais/servers/github: update applied"),
        "{run}"
    );
    let writes = pais.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "PATCH", "no second create: {writes:#?}");
    assert_eq!(stored(&pais).len(), 1);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

const IDUN_SERVERS: &str = "      - name: GitHub
        mcp_server:
          name: github
          url: https://mcp.example.com/github
          timeout_seconds: 60
";

#[test]
fn an_idun_create_answered_503_after_it_landed_is_created_once() {
    let (idun, work, run) = apply_when_a_create_answer_is_lost(
        Platform::Idun,
        IDUN_PATH,
        Fault::unavailable(Platform::Idun),
        |url| Workdir::new(&config(&[idun_provider(url, IDUN_SERVERS)])),
    );
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be created
      + idun/servers/GitHub
          + enabled                    = true
          + mcp_server.name            = "github"
          + mcp_server.timeout_seconds = 60
          + mcp_server.transport       = "streamable_http"
          + mcp_server.url             = "https://mcp.example.com/github"
          + name                       = "GitHub"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ idun/servers/GitHub: create applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    run.expect_code(0);
    assert_created_once_and_settled(&idun, &work);
}

#[test]
fn an_idun_answer_whose_data_does_not_show_the_write_is_not_applied() {
    let seeded = json!({
        "id": IDUN_ID, "name": "GitHub", "enabled": true,
        "mcpServer": {"name": "github", "transport": "streamable_http",
                      "url": "https://mcp.example.com/github", "timeoutSeconds": 30}
    });
    let idun = Emulator::start(Platform::Idun, json!({"servers": [seeded]}));
    // A 200 whose `data` still shows the old timeout: the platform did not take the write.
    let old = json!({
        "data": {"id": IDUN_ID, "slug": "github", "name": "GitHub", "enabled": true,
                 "mcpServer": {"name": "github", "transport": "streamable_http",
                               "url": "https://mcp.example.com/github", "timeoutSeconds": 30.0},
                 "createdAt": "2026-11-30T17:28:39", "updatedAt": "2026-11-30T17:28:39"},
        "reload": {"status": "reloaded", "message": "Saved and reloaded."}
    });
    idun.inject(Fault {
        body: old,
        ..Fault::answer(200).on("PATCH", IDUN_PATH).times(1)
    });
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), IDUN_SERVERS)]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/GitHub will be updated in place
      ~ idun/servers/GitHub (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ mcp_server.timeout_seconds = 30 → 60

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✗ idun/servers/GitHub: update failed, not applied as planned (run `mcpform plan` to see the live state): Idun answered with other values than were sent for `mcpServer`

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    ");
    run.expect_code(1);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(2);
}

#[test]
fn a_hasmcp_create_answered_503_after_it_landed_is_created_once() {
    let servers = "      - name: github1\n        instructions: Use for GitHub work.\n";
    let (hasmcp, work, run) = apply_when_a_create_answer_is_lost(
        Platform::Hasmcp,
        "/servers",
        Fault::unavailable(Platform::Hasmcp),
        |url| Workdir::new(&config(&[hasmcp_provider(url, servers)])),
    );
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # hasmcp/servers/github1 will be created
      + hasmcp/servers/github1
          + instructions                  = "Use for GitHub work."
          + name                          = "github1"
          + prompts                       = []
          + providers                     = []
          + request_headers_proxy_enabled = false
          + resources                     = []

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ hasmcp/servers/github1: create applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    run.expect_code(0);
    assert_created_once_and_settled(&hasmcp, &work);
}
