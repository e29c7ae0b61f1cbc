//! The binary against the real Idun standalone server (PyPI `idun-agent-engine` 0.6.4), and the
//! emulator held to the same answers.
//!
//! `.ci/run` installs the server with `tests/idun/setup.sh` and exports `MCPFORM_IDUN_BIN`. To
//! run this suite alone:
//!
//! ```text
//! bash tests/idun/setup.sh && cargo test --test cli idun_real -- --nocapture
//! ```
//!
//! (the tests find `target/idun-venv/bin/idun` themselves; set `MCPFORM_IDUN_BIN` to use another
//! install). Two servers are started once per test binary, on free loopback ports, each in a temp
//! dir with its own SQLite database and a `config.yaml` whose agent is a LangGraph graph with one
//! echo node (no LLM): one in auth mode `none`, one in `password`. Each is run under a small
//! `bash` guard that kills it when this process's end of its stdin pipe closes, so no server
//! outlives the test binary, however it ends. The tests take turns (one lock) and start from an
//! empty server. When the server cannot be installed or started, the tests are skipped with a
//! loud message, except under CI (`CI=true`) or with `MCPFORM_IDUN_BIN` set, where they fail.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use mcpform_emulator::{EmulatorAuth, Platform};
use serde_json::{Value, json};

use crate::support::*;

const BASE: &str = "/admin/api/v1/mcp-servers";
const LOGIN: &str = "/admin/api/v1/auth/login";
const LOGOUT: &str = "/admin/api/v1/auth/logout";

/// The agent: a LangGraph graph with one node that echoes its input, no LLM. The reload-failure
/// test appends a `raise` to it, as a broken deploy of the agent's code would.
const AGENT_PY: &str = "\
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    messages: list


def echo(state: State) -> State:
    return {\"messages\": state[\"messages\"]}


builder = StateGraph(State)
builder.add_node(\"echo\", echo)
builder.add_edge(START, \"echo\")
builder.add_edge(\"echo\", END)
graph = builder
";

const CONFIG_YAML: &str = "\
agent:
  type: LANGGRAPH
  config:
    name: conformance
    graph_definition: ./agent.py:graph
";

/// Runs `idun setup`, then `idun serve` in the background, and kills the server when stdin
/// reaches its end: when the test binary exits, whatever way.
const GUARD: &str = r#"
set -eu
if [ "$IDUN_ADMIN_AUTH_MODE" = password ]; then
    IDUN_ADMIN_PASSWORD_HASH=$("$IDUN_BIN" hash-password --password "$IDUN_TEST_PASSWORD" | tail -n 1)
    export IDUN_ADMIN_PASSWORD_HASH
fi
"$IDUN_BIN" setup >setup.log 2>&1
"$IDUN_BIN" serve >serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
read -r _ || true
"#;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    None,
    Password,
}

struct RealIdun {
    url: String,
    dir: tempfile::TempDir,
    /// The guard; its stdin is the pipe whose end stops the server.
    guard: Mutex<Child>,
}

impl RealIdun {
    fn spawn(bin: &Path, mode: Mode) -> Result<RealIdun, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("agent.py"), AGENT_PY).map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("config.yaml"), CONFIG_YAML).map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mode_name = match mode {
            Mode::None => "none",
            Mode::Password => "password",
        };
        let child = Command::new("bash")
            .args(["-c", GUARD])
            .current_dir(dir.path())
            .env("IDUN_BIN", bin)
            .env("IDUN_TEST_PASSWORD", IDUN_PASSWORD)
            .env("IDUN_CONFIG_PATH", dir.path().join("config.yaml"))
            .env(
                "DATABASE_URL",
                format!(
                    "sqlite+aiosqlite:///{}",
                    dir.path().join("idun.db").display()
                ),
            )
            .env("IDUN_HOST", "127.0.0.1")
            .env("IDUN_PORT", port.to_string())
            .env("IDUN_TELEMETRY_ENABLED", "false")
            .env("IDUN_ADMIN_AUTH_MODE", mode_name)
            .env(
                "IDUN_SESSION_SECRET",
                "mcpform-conformance-suite-session-secret-0123456789",
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        Ok(RealIdun {
            url: format!("http://127.0.0.1:{port}"),
            dir,
            guard: Mutex::new(child),
        })
    }

    fn log(&self) -> String {
        ["setup.log", "serve.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .map(|text| {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(30)..].join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the admin API answers; the server imports for a while (20–60 s here).
    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut guard = self.guard.lock().unwrap();
        loop {
            if let Ok(Some(status)) = guard.try_wait() {
                return Err(format!("the server exited ({status}):\n{}", self.log()));
            }
            if let Ok((200, _)) = http(
                "GET",
                &format!("{}/admin/api/v1/auth/me", self.url),
                None,
                None,
            ) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = guard.kill();
                return Err(format!("not ready after 300 s:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn agent_file(&self) -> PathBuf {
        self.dir.path().join("agent.py")
    }
}

struct Servers {
    none: RealIdun,
    password: RealIdun,
}

impl Servers {
    fn get(&self, mode: Mode) -> &RealIdun {
        match mode {
            Mode::None => &self.none,
            Mode::Password => &self.password,
        }
    }
}

fn idun_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("MCPFORM_IDUN_BIN") {
        return Ok(bin.into());
    }
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/idun-venv/bin/idun");
    if default.exists() {
        Ok(default)
    } else {
        Err(format!(
            "{} is not installed: run `bash tests/idun/setup.sh`",
            default.display()
        ))
    }
}

fn start_servers() -> Result<Servers, String> {
    let bin = idun_bin()?;
    let started = Instant::now();
    // Both import at once: start both before waiting for either.
    let none = RealIdun::spawn(&bin, Mode::None)?;
    let password = RealIdun::spawn(&bin, Mode::Password)?;
    none.wait_ready()?;
    password.wait_ready()?;
    announce(&format!(
        "idun_real: the real Idun server ({}) is running in modes none ({}) and password ({}), started in {:.0?}",
        bin.display(),
        none.url,
        password.url,
        started.elapsed()
    ));
    Ok(Servers { none, password })
}

/// A line on the test binary's own stderr, past libtest's capture: CI logs show whether the real
/// server ran.
fn announce(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();
static TURN: Mutex<()> = Mutex::new(());

/// The servers, emptied, and this test's turn; `None` (the test is skipped) when they cannot
/// start outside CI.
fn servers() -> Option<(MutexGuard<'static, ()>, &'static Servers)> {
    let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    match SERVERS.get_or_init(start_servers) {
        Ok(servers) => {
            for mode in [Mode::None, Mode::Password] {
                Admin::new(servers, mode).reset();
            }
            Some((turn, servers))
        }
        Err(why) => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true")
                || std::env::var_os("MCPFORM_IDUN_BIN").is_some();
            assert!(!required, "the real Idun server did not start: {why}");
            announce(&format!(
                "\n!!!!!!!!!! idun_real: SKIPPED, the real Idun server did not start: {why}\n"
            ));
            None
        }
    }
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
});

/// One HTTP request: (status, JSON body or the text as a JSON string), and the `Set-Cookie`
/// session when one was set.
fn http_full(
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value, Option<String>), String> {
    // reqwest is built without a TLS provider; mcpform installs ring at start-up, and so must
    // every other client in this process.
    mcpform::http::install_crypto_provider();
    RUNTIME.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("idun_session={cookie}"));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("idun_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .find(|v| !v.is_empty() && v != "\"\"");
        let text = response.text().await.map_err(|e| e.to_string())?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, body, session))
    })
}

fn http(
    method: &str,
    url: &str,
    cookie: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    http_full(method, url, cookie, body).map(|(status, body, _)| (status, body))
}

/// The admin API of one server, behind mcpform's back.
struct Admin {
    url: String,
    cookie: Option<String>,
}

impl Admin {
    fn at(url: &str, mode: Mode) -> Admin {
        let mut admin = Admin {
            url: url.to_owned(),
            cookie: None,
        };
        if mode == Mode::Password {
            admin.cookie = Some(admin.login());
        }
        admin
    }

    fn new(servers: &Servers, mode: Mode) -> Admin {
        Admin::at(&servers.get(mode).url, mode)
    }

    fn login(&self) -> String {
        let (status, body, session) = http_full(
            "POST",
            &format!("{}{LOGIN}", self.url),
            None,
            Some(&json!({"password": IDUN_PASSWORD})),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        session.expect("login sets the idun_session cookie")
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        http(
            method,
            &format!("{}{path}", self.url),
            self.cookie.as_deref(),
            body.as_ref(),
        )
        .unwrap()
    }

    fn list(&self) -> Vec<Value> {
        let (status, body) = self.call("GET", BASE, None);
        assert_eq!(status, 200, "{body}");
        body.as_array().unwrap().clone()
    }

    fn only(&self) -> Value {
        let rows = self.list();
        assert_eq!(rows.len(), 1, "{rows:#?}");
        rows[0].clone()
    }

    fn reset(&self) {
        for row in self.list() {
            let id = row["id"].as_str().unwrap();
            let (status, body) = self.call("DELETE", &format!("{BASE}/{id}"), None);
            assert_eq!(status, 200, "{body}");
        }
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        if let Some(cookie) = &self.cookie {
            let _ = http("POST", &format!("{}{LOGOUT}", self.url), Some(cookie), None);
        }
    }
}

fn provider(url: &str, mode: Mode, servers: &str) -> String {
    match mode {
        Mode::Password => config(&[idun_provider(url, servers)]),
        Mode::None => config(&[format!(
            "  - name: idun\n    platform: idun\n    endpoint: {url}\n    servers:\n{servers}"
        )]),
    }
}

/// A working directory for `config`, with the header secret in the environment as a user keeps it.
fn workdir(config: &str) -> Workdir {
    let mut work = Workdir::new(config);
    work.set_env("CONFORMANCE_TOKEN", "Bearer conformance-token");
    work
}

fn server(name: &str, id: Option<&str>, enabled: bool, timeout: u32) -> String {
    let id = id
        .map(|id| format!("        id: {id}\n"))
        .unwrap_or_default();
    format!(
        "      - name: {name}
{id}        enabled: {enabled}
        mcp_server:
          name: tools
          transport: streamable_http
          url: http://127.0.0.1:9/mcp
          headers: {{ Authorization: \"${{CONFORMANCE_TOKEN}}\" }}
          timeout_seconds: {timeout}
"
    )
}

/// Create, update, rename and disable, in one auth mode; each step checked on the server and by a
/// clean plan after it.
fn lifecycle(mode: Mode) {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let url = &servers.get(mode).url;
    let admin = Admin::new(servers, mode);
    let work = workdir(&provider(url, mode, &server("Conformance", None, true, 30)));

    let created = work.run(&["apply", "--auto-approve"]);
    snapshot!(created, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/Conformance will be created
      + idun/servers/Conformance
          + enabled                          = true
          + mcp_server.headers.Authorization = "(sensitive)"
          + mcp_server.name                  = "tools"
          + mcp_server.timeout_seconds       = 30
          + mcp_server.transport             = "streamable_http"
          + mcp_server.url                   = "http://127.0.0.1:[PORT]/mcp"
          + name                             = "Conformance"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ idun/servers/Conformance: create applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    let row = admin.only();
    assert_eq!(row["slug"], "conformance");
    assert_eq!(row["mcpServer"]["timeoutSeconds"], 30.0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    work.write_config(&provider(url, mode, &server("Conformance", None, true, 45)));
    let updated = work.run(&["apply", "--auto-approve"]);
    snapshot!(updated, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/Conformance will be updated in place
      ~ idun/servers/Conformance (id [UUID])
          ~ mcp_server.timeout_seconds = 30 → 45

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ idun/servers/Conformance: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    ");
    assert_eq!(admin.only()["mcpServer"]["timeoutSeconds"], 45.0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    let id = row["id"].as_str().unwrap().to_owned();
    work.write_config(&provider(
        url,
        mode,
        &server("Renamed", Some(&id), true, 45),
    ));
    let renamed = work.run(&["apply", "--auto-approve"]);
    renamed.expect_code(0);
    assert!(
        renamed
            .stdout
            .contains("~ name = \"Conformance\" → \"Renamed\""),
        "{}",
        renamed.stdout
    );
    let row = admin.only();
    assert_eq!(
        (row["name"].as_str(), row["slug"].as_str()),
        (Some("Renamed"), Some("conformance")),
        "the slug is sticky"
    );
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    work.write_config(&provider(
        url,
        mode,
        &server("Renamed", Some(&id), false, 45),
    ));
    let disabled = work.run(&["apply", "--auto-approve"]);
    disabled.expect_code(0);
    assert!(
        disabled.stdout.contains("~ enabled = true → false"),
        "{}",
        disabled.stdout
    );
    assert_eq!(admin.only()["enabled"], false);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    created.assert_hides(&["conformance-token"]);
    updated.assert_hides(&["conformance-token"]);
}

#[test]
fn create_update_rename_disable_in_auth_modes_none_and_password() {
    // The same runs and the same output in both modes.
    insta::allow_duplicates! {
        lifecycle(Mode::None);
        lifecycle(Mode::Password);
    }
}

#[test]
fn every_run_logs_in_again_after_a_logout() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let url = &servers.password.url;
    // A session of our own, ended: its cookie no longer opens the admin API.
    let admin = Admin::new(servers, Mode::Password);
    let cookie = admin.login();
    let (status, _) = http("POST", &format!("{url}{LOGOUT}"), Some(&cookie), None).unwrap();
    assert_eq!(status, 200);
    let (status, body) = http("GET", &format!("{url}{BASE}"), Some(&cookie), None).unwrap();
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authentication required."}))
    );

    // mcpform logs out at the end of every run, so each of these runs logs in anew.
    let work = workdir(&provider(
        url,
        Mode::Password,
        &server("Relogin", None, true, 30),
    ));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    assert_eq!(admin.only()["name"], "Relogin");

    let mut wrong = workdir(&provider(
        url,
        Mode::Password,
        &server("Relogin", None, true, 30),
    ));
    wrong.set_env("IDUN_PASSWORD", "not-the-password");
    let refused = wrong.run(&["plan"]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("401"), "{refused}");
}

#[test]
fn a_reload_failure_saves_nothing_and_says_so_once() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let mode = Mode::None;
    let real = servers.get(mode);
    let admin = Admin::new(servers, mode);
    let work = workdir(&provider(
        &real.url,
        mode,
        &server("Reloads", None, true, 30),
    ));
    work.run(&["apply", "--auto-approve"]).expect_code(0);

    // The agent's code breaks on disk: the next reload re-runs it and fails.
    let agent = std::fs::read_to_string(real.agent_file()).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(real.agent_file())
        .and_then(|mut f| f.write_all(b"raise RuntimeError('the agent is broken')\n"))
        .unwrap();
    work.write_config(&provider(
        &real.url,
        mode,
        &server("Reloads", None, true, 60),
    ));
    let failed = work.run(&["apply", "--auto-approve"]);
    std::fs::write(real.agent_file(), agent).unwrap();
    snapshot!(failed, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # idun/servers/Reloads will be updated in place
      ~ idun/servers/Reloads (id [UUID])
          ~ mcp_server.timeout_seconds = 30 → 60

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✗ idun/servers/Reloads: update failed, left untouched: PATCH http://127.0.0.1:[PORT]/admin/api/v1/mcp-servers/[UUID] answered HTTP 500: reload_failed: Engine reload failed; config not saved (the platform rolled the change back)

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    ");
    assert!(!failed.stdout.contains(".;"), "{}", failed.stdout);
    assert_eq!(
        admin.only()["mcpServer"]["timeoutSeconds"],
        30.0,
        "rolled back"
    );

    // The agent fixed, the same apply converges.
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(admin.only()["mcpServer"]["timeoutSeconds"], 60.0);
    work.run(&["plan", "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn a_change_behind_mcpforms_back_is_drift() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let mode = Mode::Password;
    let url = &servers.get(mode).url;
    let admin = Admin::new(servers, mode);
    let work = workdir(&provider(url, mode, &server("Drifts", None, true, 30)));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.run(&["drift"]).expect_code(0);

    let id = admin.only()["id"].as_str().unwrap().to_owned();
    let (status, body) = admin.call(
        "PATCH",
        &format!("{BASE}/{id}"),
        Some(json!({"enabled": false})),
    );
    assert_eq!(status, 200, "{body}");
    let drifted = work.run(&["drift"]);
    snapshot!(drifted, @"
    ----- stdout -----
    Drift: 1 of 1 configured resource differs from the config (before = live, after = config).

      # idun/servers/Drifts differs from the config
      ~ idun/servers/Drifts (id [UUID])
          ~ enabled = false → true

    Coverage: 1 of 1 live objects are managed (100%).
    [exit status: 2]
    ");

    work.run(&["apply", "--auto-approve"]).expect_code(0);
    work.run(&["drift"]).expect_code(0);
    assert_eq!(admin.only()["enabled"], true);
}

#[test]
fn a_saved_plan_applies_and_a_stale_one_is_refused() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let mode = Mode::None;
    let url = &servers.get(mode).url;
    let admin = Admin::new(servers, mode);
    let work = workdir(&provider(url, mode, &server("Saved", None, true, 30)));
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    assert_eq!(admin.only()["name"], "Saved");

    work.write_config(&provider(url, mode, &server("Saved", None, true, 45)));
    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let id = admin.only()["id"].as_str().unwrap().to_owned();
    let (status, body) = admin.call(
        "PATCH",
        &format!("{BASE}/{id}"),
        Some(json!({"name": "Saved", "enabled": false})),
    );
    assert_eq!(status, 200, "{body}");
    let stale = work.run(&["apply", "plan.json"]);
    stale.expect_code(3);
    assert_eq!(
        admin.only()["mcpServer"]["timeoutSeconds"],
        30.0,
        "nothing applied"
    );

    work.run(&["plan", "--out", "plan.json"]).expect_code(0);
    work.run(&["apply", "plan.json"]).expect_code(0);
    assert_eq!(admin.only()["mcpServer"]["timeoutSeconds"], 45.0);
}

/// One request of the parity check: `{id}`, `{id2}` and `{missing}` stand for the ids of the
/// target at hand; `cookie` says whether it carries the session.
struct Step {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    cookie: bool,
}

fn step(method: &'static str, path: &'static str, body: Option<Value>) -> Step {
    Step {
        method,
        path,
        body,
        cookie: true,
    }
}

fn parity_server(timeout: u32) -> Value {
    json!({"name": "tools", "transport": "streamable_http", "url": "http://127.0.0.1:9/mcp",
           "headers": {"Authorization": "Bearer conformance-token"}, "timeoutSeconds": timeout})
}

/// Every request the suite sends (mcpform's and the admin calls behind its back), and the edge
/// cases where the emulator used to differ.
fn parity_steps(mode: Mode) -> Vec<Step> {
    let mut steps = Vec::new();
    if mode == Mode::Password {
        for path in [BASE, "/admin/api/v1/mcp-servers/", "/admin/api/v1/nope"] {
            steps.push(Step {
                cookie: false,
                ..step("GET", path, None)
            });
        }
        steps.push(Step {
            cookie: false,
            ..step("POST", LOGIN, Some(json!({"password": "not-the-password"})))
        });
    } else {
        steps.push(step("POST", LOGIN, Some(json!({"password": "x"}))));
    }
    let create =
        |name: &str| json!({"name": name, "enabled": true, "mcpServer": parity_server(30)});
    steps.extend([
        step("GET", "/admin/api/v1/auth/me", None),
        step("GET", BASE, None),
        step("POST", BASE, Some(create("Parity ①"))),
        step("POST", BASE, Some(create("Parity ①"))),
        step("GET", BASE, None),
        step("GET", "{BASE}/{id}", None),
        step(
            "PATCH",
            "{BASE}/{id}",
            Some(json!({"mcpServer": parity_server(45)})),
        ),
        step("PATCH", "{BASE}/{id}", Some(json!({"enabled": false}))),
        step("PATCH", "{BASE}/{id}", Some(json!({"name": "Renamed"}))),
        step(
            "PATCH",
            "{BASE}/{id}",
            Some(json!({"name": "Renamed", "enabled": true})),
        ),
        step("PATCH", "{BASE}/{id}", Some(json!({}))),
        step("PATCH", "{BASE}/{id}", Some(json!({"name": null}))),
        step(
            "POST",
            BASE,
            Some(json!({"name": "x", "mcpServer": {"name": "x", "transport": "stdio"}})),
        ),
        step("POST", BASE, Some(create("!!!"))),
        step("POST", "{BASE}/{id}/tools", None),
        step("POST", "{BASE}/{missing}/tools", None),
        step("GET", "{BASE}/", None),
        step("PUT", BASE, None),
        step("PUT", "{BASE}/{id}", None),
        step("GET", "/admin/api/v1/nope", None),
        step("GET", LOGIN, None),
        step("GET", "{BASE}/not-a-uuid", None),
        step("GET", "{BASE}/{missing}", None),
        step("DELETE", "{BASE}/{id2}", None),
        step("DELETE", "{BASE}/{id}", None),
        step("DELETE", "{BASE}/{id}", None),
        step("GET", BASE, None),
    ]);
    if mode == Mode::Password {
        steps.push(step("POST", LOGOUT, None));
        steps.push(step("GET", BASE, None));
    }
    steps
}

static TIMESTAMP: LazyLock<regex_lite::Regex> =
    LazyLock::new(|| regex_lite::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$").unwrap());
static ANY_UUID: LazyLock<regex_lite::Regex> = LazyLock::new(|| {
    regex_lite::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap()
});

/// The body's shape: keys, value types and the values a client acts on; ids and timestamps
/// replaced, and the connection check's free text (it names the failure) reduced to its type.
fn shape(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), shape(v, k)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| shape(v, key)).collect()),
        Value::String(_) if key == "error" => json!("<text>"),
        Value::String(s) if TIMESTAMP.is_match(s) => json!("<timestamp>"),
        Value::String(s) => json!(ANY_UUID.replace_all(s, "<id>")),
        Value::Number(n) => json!(n.as_f64()),
        other => other.clone(),
    }
}

/// Runs the steps against one target: (request, status, shape of the body).
fn run_steps(url: &str, mode: Mode) -> Vec<(String, u16, Value)> {
    let mut cookie = None;
    if mode == Mode::Password {
        let (status, body, session) = http_full(
            "POST",
            &format!("{url}{LOGIN}"),
            None,
            Some(&json!({"password": IDUN_PASSWORD})),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        cookie = session;
    }
    let missing = "00000000-0000-4000-8000-000000000000";
    let (mut id, mut id2) = (String::new(), String::new());
    let mut seen = Vec::new();
    for step in parity_steps(mode) {
        let path = step
            .path
            .replace("{BASE}", BASE)
            .replace("{id}", &id)
            .replace("{id2}", &id2)
            .replace("{missing}", missing);
        let (status, body) = http(
            step.method,
            &format!("{url}{path}"),
            cookie.as_deref().filter(|_| step.cookie),
            step.body.as_ref(),
        )
        .unwrap();
        if step.method == "POST" && path == BASE && status == 201 {
            let created = body["data"]["id"].as_str().unwrap().to_owned();
            if id.is_empty() {
                id = created;
            } else {
                id2 = created;
            }
        }
        let label = format!("{} {}", step.method, step.path);
        seen.push((label, status, shape(&body, "")));
    }
    seen
}

#[test]
fn the_emulator_answers_every_request_as_the_real_server_does() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let mut differences = Vec::new();
    let mut count = 0;
    for mode in [Mode::None, Mode::Password] {
        let auth = match mode {
            Mode::None => EmulatorAuth::None,
            Mode::Password => EmulatorAuth::Password(IDUN_PASSWORD.into()),
        };
        let emulator = Emulator::start_with_auth(Platform::Idun, json!({"servers": []}), auth);
        let real = run_steps(&servers.get(mode).url, mode);
        let emulated = run_steps(&emulator.url(), mode);
        count += real.len();
        for (real, emulated) in real.iter().zip(&emulated) {
            if real != emulated {
                differences.push(format!(
                    "{mode:?} {}\n  real:     {} {}\n  emulator: {} {}",
                    real.0, real.1, real.2, emulated.1, emulated.2
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {count} answers differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    announce(&format!(
        "idun_real: the emulator answered all {count} requests as the real server did"
    ));
}
