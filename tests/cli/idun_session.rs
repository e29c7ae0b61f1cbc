//! Idun: one login per run shared by every request, writes one at a time, a logout at the end
//! of every run, and a login refused for good (`unsupported_mode`) tried once.

use mcpform_emulator::{EmulatorAuth, Fault, Interleave, Platform, RecordedRequest};
use serde_json::{Value, json};

use crate::support::*;

const LOGIN: &str = "/admin/api/v1/auth/login";
const LOGOUT: &str = "/admin/api/v1/auth/logout";

/// Ten names that fold to the one slug `tools` on the platform.
const ONE_SLUG: [&str; 10] = [
    "Tools", "tools", "TOOLS", "Tools!", "tools?", "Tóols", "(tools)", "tools.", "_tools_", "ToOlS",
];

fn servers(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| {
            format!(
                "      - name: \"{name}\"
        mcp_server:
          name: tools
          transport: streamable_http
          url: https://mcp.example.com/tools
"
            )
        })
        .collect()
}

fn count(requests: &[RecordedRequest], path: &str) -> usize {
    requests.iter().filter(|r| r.path == path).count()
}

fn slugs(idun: &Emulator) -> Vec<String> {
    let mut slugs: Vec<String> = idun.state()["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_owned())
        .collect();
    slugs.sort();
    slugs
}

#[test]
fn ten_creates_of_one_slug_go_one_at_a_time_with_one_login_and_a_logout() {
    let idun = Emulator::start(Platform::Idun, json!({"servers": []}));
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(&ONE_SLUG))]));
    let run = work.run(&["apply", "--auto-approve", "--parallelism", "8"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("Apply complete: 10 applied, 0 failed."),
        "{}",
        run.stdout
    );

    let requests = idun.requests();
    assert_eq!(
        count(&requests, LOGIN),
        1,
        "one login for the run: {requests:#?}"
    );
    assert_eq!(
        requests.last().map(|r| (r.path.as_str(), r.status)),
        Some((LOGOUT, 200)),
        "the run ends with a logout"
    );
    assert_eq!(count(&requests, LOGOUT), 1);
    let writes = idun.writes();
    assert_eq!(writes.len(), 10);
    assert!(writes.iter().all(|w| w.status == 201), "{writes:#?}");
    // No request ever arrived while another was being handled: the writes went one at a time.
    let overlapping: Vec<_> = requests.iter().filter(|r| r.in_flight > 0).collect();
    assert!(overlapping.is_empty(), "{overlapping:#?}");
    let mut expected = vec!["tools".to_owned()];
    expected.extend((2..=10).map(|n| format!("tools-{n}")));
    expected.sort();
    assert_eq!(slugs(&idun), expected);

    idun.clear_requests();
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let paths: Vec<String> = idun.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [LOGIN, "/admin/api/v1/mcp-servers", LOGOUT]);
}

#[test]
fn a_session_ended_mid_apply_is_renewed_once() {
    let idun = Emulator::start(Platform::Idun, json!({"servers": []}));
    let names: Vec<String> = (1..=10).map(|n| format!("server{n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(&names))]));
    // Every session ends right after the first create passed auth, as a platform restart with a
    // new session secret would do.
    idun.interleave(Interleave {
        before_method: "POST".into(),
        before_path_contains: "/admin/api/v1/mcp-servers".into(),
        method: "DELETE".into(),
        path: "/_emulator/sessions".into(),
        body: Value::Null,
    });
    let run = work.run(&["apply", "--auto-approve"]);
    run.expect_code(0);
    let requests = idun.requests();
    let refused = requests.iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 1, "{requests:#?}");
    assert_eq!(
        count(&requests, LOGIN),
        2,
        "one login, one renewal: {requests:#?}"
    );
    assert_eq!(requests.last().unwrap().path, LOGOUT);
    assert_eq!(slugs(&idun).len(), 10);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn every_run_logs_out_even_when_it_fails() {
    let idun = Emulator::start(
        Platform::Idun,
        json!({"servers": [{"name": "Tools", "mcpServer": {"name": "tools", "url": "https://mcp.example.com/old"}}]}),
    );
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(&["Tools"]))]));
    idun.inject(Fault::idun_reload_failed());
    work.run(&["apply", "--auto-approve"]).expect_code(1);
    work.run(&["drift"]).expect_code(2);
    work.run(&["plan"]).expect_code(0);
    let requests = idun.requests();
    let sessions: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.contains("/auth/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(sessions, [LOGIN, LOGOUT, LOGIN, LOGOUT, LOGIN, LOGOUT]);
    // The logout carried the session it ends.
    let logout = requests.iter().find(|r| r.path == LOGOUT).unwrap();
    assert!(
        logout
            .cookie
            .as_deref()
            .is_some_and(|c| c.contains("idun_session="))
    );
}

#[test]
fn a_platform_without_login_is_told_once_with_what_to_change() {
    let idun =
        Emulator::start_with_auth(Platform::Idun, json!({"servers": []}), EmulatorAuth::None);
    let work = Workdir::new(&config(&[idun_provider(&idun.url(), &servers(&["Tools"]))]));
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `idun`: cannot read the live state
      ╰─▶ mcpform::http::status
          
            × POST http://127.0.0.1:[PORT]/admin/api/v1/auth/login answered HTTP 503: unsupported_mode:
            │ Login is not available — IDUN_ADMIN_AUTH_MODE is not 'password'.
            help: the platform runs without login (auth mode `none`): remove `auth: password` from the
                  provider block, or switch the platform to password mode
                  (`IDUN_ADMIN_AUTH_MODE=password`)
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    let paths: Vec<String> = idun.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [LOGIN], "one login attempt, nothing else");
}
