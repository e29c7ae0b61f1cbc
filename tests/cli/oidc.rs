//! PAIS with OIDC tokens (`auth.oidc`): short-lived tokens renewed before they expire, one
//! token request per expiry however many requests run at once, a wrong password told once.
//!
//! Two identity providers: the emulator's own (`EmulatorAuth::Oidc`, which counts and records
//! token requests), and a third-party one, npm `oauth2-mock-server` (pinned), installed by
//! `tests/oidc/setup.sh` and started by `tests/oidc/serve.mjs`; the PAIS API is then the
//! emulator checking that provider's JWTs against its JWK set. To run these alone:
//!
//! ```text
//! bash tests/oidc/setup.sh && cargo test --test cli oidc -- --nocapture
//! ```
//!
//! (the tests find `target/oidc-mock` themselves; `MCPFORM_OIDC_MOCK_DIR` names another
//! install). Without it the third-party test is skipped with a loud message, except under
//! `CI=true` or with `MCPFORM_OIDC_MOCK_DIR` set, where it fails.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpform_emulator::{EmulatorAuth, IdentityProvider, OIDC_TOKEN_PATH, Platform};
use serde_json::{Value, json};

use crate::support::*;
use crate::tls::TestCa;

const CLIENT_ID: &str = "mcpform-cli";
const CLIENT_SECRET: &str = "oidc-client-secret-4711";
const USERNAME: &str = "pais-admin";
const PASSWORD: &str = "oidc-user-password-0815";

/// How long a token lives in the renewal tests, and when mcpform renews it (a quarter early).
const TOKEN_LIFE: Duration = Duration::from_secs(2);
const RENEWED_AFTER: Duration = Duration::from_millis(1500);

/// `count` PAIS servers described `old`, and the config that describes them `new`.
fn fifty_changes(count: usize) -> (Value, String) {
    let ids: Vec<String> = (0..count)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let seed = json!({"servers": ids.iter().enumerate().map(|(i, id)| json!({
        "id": id, "name": format!("srv{i:02}"), "url": format!("https://mcp.example.com/{i}"),
        "transport": "SSE", "description": "old"
    })).collect::<Vec<_>>()});
    let servers = (0..count)
        .map(|i| {
            format!(
                "      - name: srv{i:02}\n        url: https://mcp.example.com/{i}\n        transport: SSE\n        description: new\n"
            )
        })
        .collect();
    (seed, servers)
}

/// A PAIS block authenticating with `oidc` (a flow mapping's inside).
fn pais_oidc(url: &str, oidc: &str, servers: &str) -> String {
    format!(
        "  - name: pais\n    platform: pais\n    endpoint: {url}\n    auth:\n      oidc: {{ {oidc} }}\n    servers:\n{servers}"
    )
}

fn emulator_idp(lifetime: Duration) -> EmulatorAuth {
    EmulatorAuth::Oidc(IdentityProvider::new(
        CLIENT_ID,
        Some(CLIENT_SECRET.into()),
        Some((USERNAME.into(), PASSWORD.into())),
        lifetime,
    ))
}

fn password_grant(issuer: &str) -> String {
    format!(
        "issuer: \"{issuer}\", client_id: {CLIENT_ID}, client_secret: \"${{OIDC_SECRET}}\", username: {USERNAME}, password: \"${{OIDC_PASSWORD}}\""
    )
}

fn workdir(config_text: &str) -> Workdir {
    let mut work = Workdir::new(config_text);
    work.set_env("OIDC_SECRET", CLIENT_SECRET);
    work.set_env("OIDC_PASSWORD", PASSWORD);
    work
}

/// The grant type of each token request the emulator's identity provider received.
fn grants(pais: &Emulator) -> Vec<String> {
    pais.requests()
        .iter()
        .filter(|r| r.path == OIDC_TOKEN_PATH)
        .map(|r| {
            let form = r.body.as_ref().and_then(Value::as_str).unwrap_or_default();
            url::form_urlencoded::parse(form.as_bytes())
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// What the renewal tests assert about a run that took `elapsed` and asked for `tokens`:
/// it outlived several tokens, and tokens were fetched at most once per renewal period (more
/// would mean concurrent requests each fetched their own).
fn assert_one_token_per_expiry(tokens: usize, elapsed: Duration) {
    let periods = (elapsed.as_secs_f64() / RENEWED_AFTER.as_secs_f64()).floor() as usize + 1;
    eprintln!(
        "oidc: {tokens} token requests in {elapsed:.1?} with {TOKEN_LIFE:?} tokens (at most {periods} renewal periods)"
    );
    assert!(
        elapsed > TOKEN_LIFE * 2,
        "the apply must outlive two tokens to prove renewal: it took {elapsed:?}"
    );
    assert!(tokens >= 2, "a token was renewed: {tokens}");
    assert!(
        tokens <= periods,
        "{tokens} token requests in {elapsed:?}: more than one per expiry"
    );
}

#[test]
fn an_apply_outlasting_several_tokens_fetches_one_token_per_expiry() {
    let (seed, servers) = fifty_changes(50);
    let pais = Emulator::start_with_auth(Platform::Pais, seed, emulator_idp(TOKEN_LIFE));
    // 50 PATCHes, 2 at a time, 250 ms each: over 6 s, past two tokens' lives. The emulator
    // checks a token after the latency, so the latency stays well under the renewal margin.
    pais.set_latency(Duration::from_millis(250));
    let issuer = format!("{}/oidc", pais.url());
    let work = workdir(&config(&[pais_oidc(
        &pais.url(),
        &password_grant(&issuer),
        &servers,
    )]));

    let started = Instant::now();
    let run = work.run(&["apply", "--auto-approve", "--parallelism", "2"]);
    let elapsed = started.elapsed();
    run.expect_code(0);
    assert!(run.stdout.contains("Apply complete: 50 applied, 0 failed."));
    run.assert_hides(&[CLIENT_SECRET, PASSWORD]);

    let requests = pais.requests();
    let api: Vec<_> = requests
        .iter()
        .filter(|r| r.path.starts_with(PAIS_PATH))
        .collect();
    assert_eq!(api.iter().filter(|r| r.method == "PATCH").count(), 50);
    assert!(
        api.iter().all(|r| r.status < 300),
        "no request was refused: every token was renewed before it expired"
    );
    let grants = grants(&pais);
    assert_eq!(grants[0], "password", "{grants:?}");
    assert!(
        grants[1..].iter().all(|g| g == "refresh_token"),
        "renewed with the refresh token: {grants:?}"
    );
    assert_one_token_per_expiry(grants.len(), elapsed);
    // One discovery for the whole run.
    let discoveries = requests
        .iter()
        .filter(|r| r.path.ends_with("/.well-known/openid-configuration"))
        .count();
    assert_eq!(discoveries, 1);
}

#[test]
fn a_wrong_password_is_one_clear_error_naming_the_fields_to_fix() {
    let (seed, servers) = fifty_changes(3);
    let pais = Emulator::start_with_auth(Platform::Pais, seed, emulator_idp(TOKEN_LIFE));
    let token_url = format!("{}{OIDC_TOKEN_PATH}", pais.url());
    let mut work = workdir(&config(&[pais_oidc(
        &pais.url(),
        &format!(
            "token_url: \"{token_url}\", client_id: {CLIENT_ID}, client_secret: \"${{OIDC_SECRET}}\", username: {USERNAME}, password: \"${{OIDC_PASSWORD}}\""
        ),
        &servers,
    )]));
    work.set_env("OIDC_PASSWORD", "not-the-password-42");
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::oidc
          
            × provider `pais`: the identity provider refused the password grant: invalid_grant
            │ (Invalid user credentials)
            help: check `auth.oidc.username` and `auth.oidc.password` (and the environment variables
                  they come from)
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    run.assert_hides(&["not-the-password-42", CLIENT_SECRET]);
    assert_eq!(grants(&pais), ["password"], "asked once");
    assert!(
        pais.requests()
            .iter()
            .all(|r| !r.path.starts_with(PAIS_PATH)),
        "nothing sent to the API without a token"
    );

    // A wrong client secret names the client fields.
    work.set_env("OIDC_PASSWORD", PASSWORD);
    work.set_env("OIDC_SECRET", "not-the-client-secret");
    let run = work.run(&["plan"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("invalid_client")
            && run
                .stderr
                .contains("`auth.oidc.client_id` and `auth.oidc.client_secret`"),
        "{}",
        run.stderr
    );
    run.assert_hides(&["not-the-client-secret"]);
}

#[test]
fn client_credentials_and_a_401_fetch_a_new_token_once() {
    let (seed, servers) = fifty_changes(2);
    let pais = Emulator::start_with_auth(
        Platform::Pais,
        seed,
        // Tokens outlive the run: only the platform's 401 can make mcpform fetch another.
        emulator_idp(Duration::from_secs(300)),
    );
    let issuer = format!("{}/oidc", pais.url());
    let work = workdir(&config(&[pais_oidc(
        &pais.url(),
        &format!(
            "issuer: \"{issuer}\", client_id: {CLIENT_ID}, client_secret: \"${{OIDC_SECRET}}\""
        ),
        &servers,
    )]));
    // The platform refuses the first listing as if the token had been revoked.
    pais.inject(
        serde_json::from_value(json!({
            "method": "GET", "path_contains": PAIS_PATH, "status": 401,
            "body": {"detail": "Not authenticated"}, "times": 1
        }))
        .unwrap(),
    );
    let run = work.run(&["plan"]);
    run.expect_code(0);
    assert_eq!(grants(&pais), ["client_credentials", "client_credentials"]);
    // Basic, as the discovery document allows: the secret is not in the form.
    let token_request = pais
        .requests()
        .into_iter()
        .find(|r| r.path == OIDC_TOKEN_PATH)
        .unwrap();
    assert!(
        token_request
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "{token_request:?}"
    );
    let form = token_request.body.unwrap().to_string();
    assert!(
        !form.contains(CLIENT_SECRET) && !form.contains("client_id"),
        "{form}"
    );
}

#[test]
fn the_token_request_is_checked_against_the_provider_tls_settings_too() {
    let ca = TestCa::new();
    let pais = Emulator::start_https(
        Platform::Pais,
        json!({"servers": []}),
        emulator_idp(Duration::from_secs(300)),
        ca.identity.clone(),
    );
    let issuer = format!("{}/oidc", pais.url());
    let (_, servers) = fifty_changes(1);
    let block = pais_oidc(&pais.url(), &password_grant(&issuer), &servers);
    let work = workdir(&config(std::slice::from_ref(&block)));
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::oidc
          
            × provider `pais`: cannot reach the identity provider: error sending request: client error
            │ (Connect): invalid peer certificate: UnknownIssuer
            help: if the identity provider uses an internal or self-signed CA, set the provider's
                  `tls.ca_file` to a PEM file of that CA's certificate
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");

    std::fs::write(work.path().join("ca.pem"), &ca.ca_pem).unwrap();
    work.write_config(&config(&[block.replacen(
        "    auth:",
        "    tls: { ca_file: ca.pem }\n    auth:",
        1,
    )]));
    work.run(&["plan"]).expect_code(0);
    assert_eq!(grants(&pais), ["password"]);
}

#[test]
fn oidc_credentials_over_plain_http_to_another_host_are_warned_about() {
    let work = workdir(&config(&[pais_oidc(
        "https://pais.example",
        &password_grant("http://idp.mcpform-test.invalid/realms/pais"),
        "      []\n",
    )]));
    snapshot!(work.run(&["validate"]), @"
    ----- stdout -----
    The configuration is valid: 1 provider, 0 resources in 1 file.
    ----- stderr -----
    mcpform::http::plain_http_credentials

      ⚠ provider `pais` sends its OIDC client credentials over plain `http://` to `idp.mcpform-
      │ test.invalid`
      help: anyone on the network path can read it; use an `https://` endpoint

    [exit status: 0]
    ");
}

/// The third-party identity provider, stopped when its stdin closes (when this is dropped or
/// the test binary exits).
struct MockIdp {
    child: Child,
    issuer: String,
    jwks: Value,
    /// `token <grant_type>` lines it printed, one per token answered.
    grants: Arc<Mutex<Vec<String>>>,
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn mock_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("MCPFORM_OIDC_MOCK_DIR") {
        return Ok(dir.into());
    }
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oidc-mock");
    if default.join("node_modules/oauth2-mock-server").exists() {
        Ok(default)
    } else {
        Err(format!(
            "{} is not installed: run `bash tests/oidc/setup.sh`",
            default.display()
        ))
    }
}

impl MockIdp {
    fn start(ttl: Duration) -> Result<MockIdp, String> {
        let dir = mock_dir()?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc/serve.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("MCPFORM_OIDC_MOCK_DIR", &dir)
            .env("TOKEN_TTL", ttl.as_secs().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run node: {e}"))?;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .and_then(Result::ok)
            .ok_or("oauth2-mock-server printed nothing and exited")?;
        let started: Value = serde_json::from_str(&first)
            .map_err(|e| format!("oauth2-mock-server printed `{first}`: {e}"))?;
        let grants = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&grants);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(grant) = line.strip_prefix("token ") {
                    seen.lock().unwrap().push(grant.to_owned());
                }
            }
        });
        Ok(MockIdp {
            child,
            issuer: started["issuer"].as_str().unwrap_or_default().to_owned(),
            jwks: started["jwks"].clone(),
            grants,
        })
    }
}

/// The third-party server, or `None` (skipped, loudly) when it is not installed outside CI.
fn mock_idp(ttl: Duration) -> Option<MockIdp> {
    match MockIdp::start(ttl) {
        Ok(idp) => Some(idp),
        Err(why) => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true")
                || std::env::var_os("MCPFORM_OIDC_MOCK_DIR").is_some();
            assert!(!required, "oauth2-mock-server did not start: {why}");
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!!!! oidc: SKIPPED, oauth2-mock-server did not start: {why}\n"
            );
            None
        }
    }
}

#[test]
fn the_same_apply_passes_against_a_third_party_identity_provider() {
    let Some(idp) = mock_idp(TOKEN_LIFE) else {
        return;
    };
    let (seed, servers) = fifty_changes(50);
    let pais = Emulator::start_with_auth(
        Platform::Pais,
        seed,
        EmulatorAuth::Jwt {
            issuer: idp.issuer.clone(),
            jwks: idp.jwks.clone(),
        },
    );
    pais.set_latency(Duration::from_millis(250));
    let work = workdir(&config(&[pais_oidc(
        &pais.url(),
        &format!(
            "issuer: \"{}\", client_id: {CLIENT_ID}, username: {USERNAME}, password: \"${{OIDC_PASSWORD}}\"",
            idp.issuer
        ),
        &servers,
    )]));

    let started = Instant::now();
    let run = work.run(&["apply", "--auto-approve", "--parallelism", "2"]);
    let elapsed = started.elapsed();
    run.expect_code(0);
    assert!(run.stdout.contains("Apply complete: 50 applied, 0 failed."));
    run.assert_hides(&[PASSWORD]);

    let api: Vec<_> = pais.requests();
    assert_eq!(api.iter().filter(|r| r.method == "PATCH").count(), 50);
    assert!(
        api.iter().all(|r| r.status < 300),
        "the emulator accepted every JWT of the third-party provider"
    );
    let grants = idp.grants.lock().unwrap().clone();
    assert_eq!(grants[0], "password", "{grants:?}");
    assert!(
        grants[1..].iter().all(|g| g == "refresh_token"),
        "{grants:?}"
    );
    assert_one_token_per_expiry(grants.len(), elapsed);
}

#[test]
fn the_emulate_command_serves_pais_over_https_behind_its_identity_provider() {
    let ca = TestCa::new();
    let (_, servers) = fifty_changes(1);
    let mut work = workdir("version: 1\n");
    std::fs::write(work.path().join("ca.pem"), &ca.ca_pem).unwrap();
    std::fs::write(work.path().join("server.pem"), &ca.identity.cert_chain_pem).unwrap();
    std::fs::write(work.path().join("server.key"), &ca.identity.key_pem).unwrap();
    work.set_env("MCPFORM_EMULATOR_OIDC_PASSWORD", PASSWORD);
    let mut emulator = work
        .command(&[
            "emulate",
            "--platform",
            "pais",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-username",
            USERNAME,
            "--oidc-token-lifetime",
            "2s",
        ])
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_owned();

    let block = pais_oidc(
        &url,
        &format!(
            "issuer: \"{url}/oidc\", client_id: {CLIENT_ID}, username: {USERNAME}, password: \"${{OIDC_PASSWORD}}\""
        ),
        &servers,
    )
    .replacen("    auth:", "    tls: { ca_file: ca.pem }\n    auth:", 1);
    work.write_config(&config(&[block]));
    let applied = work.run(&["apply", "--auto-approve"]);
    let _ = emulator.kill();
    let _ = emulator.wait();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    applied.expect_code(0);
    assert!(
        applied
            .stdout
            .contains("Apply complete: 1 applied, 0 failed.")
    );
}

#[test]
fn an_oidc_block_is_checked_offline() {
    let work = workdir(&format!(
        "version: 1\nproviders:\n{}\n{}",
        pais_oidc(
            "https://pais.example",
            "client_id: cli, username: admin",
            "      []\n"
        ),
        "  - name: other\n    platform: pais\n    endpoint: https://pais2.example\n    auth:\n      bearer: \"${OIDC_SECRET}\"\n      oidc: { token_url: \"https://idp.example/token\", client_id: cli }\n"
    ));
    snapshot!(work.run(&["validate"]), @r#"
    ----- stderr -----
      × the config has 3 problems

    Error: mcpform::config::missing_field

      × provider `pais`: `auth.oidc` needs `token_url` or `issuer`
       ╭─[mcpform.yaml:7:13]
     6 │     auth:
     7 │       oidc: { client_id: ***, username: ***** }
       ·             ─────────────────┬─────────────────
       ·                              ╰── neither `token_url` nor `issuer`
     8 │     servers:
       ╰────
      help: add `token_url` or `issuer`

    Error: mcpform::config::missing_field

      × provider `pais`: `auth.oidc.username` without `password`
       ╭─[mcpform.yaml:7:31]
     6 │     auth:
     7 │       oidc: { client_id: ***, username: ***** }
       ·                               ────┬───
       ·                                   ╰── no `password` beside it
     8 │     servers:
       ╰────
      help: the password grant needs both `username` and `password`; remove `username` to use the
            `client_credentials` grant

    Error: mcpform::config::invalid

      × provider `other`: `bearer` and `oidc` both given; `auth` takes one
        ╭─[mcpform.yaml:16:7]
     15 │       bearer: "${OIDC_SECRET}"
     16 │       oidc: { token_url: "*************************", client_id: *** }
        ·       ──┬─
        ·         ╰── the second one
        ╰────
      help: keep either `bearer` or `oidc`

    [exit status: 1]
    "#);
}

#[test]
fn an_unreachable_identity_provider_names_the_field_to_check() {
    let (seed, servers) = fifty_changes(1);
    let pais = Emulator::start_with_auth(Platform::Pais, seed, emulator_idp(TOKEN_LIFE));
    let work = workdir(&config(&[pais_oidc(
        &pais.url(),
        &format!(
            "token_url: \"http://127.0.0.1:9/token\", client_id: {CLIENT_ID}, client_secret: \"${{OIDC_SECRET}}\""
        ),
        &servers,
    )]));
    snapshot!(work.run(&["plan", "--retries", "0"]), @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::oidc
          
            × provider `pais`: cannot reach the identity provider: error sending request: client error
            │ (Connect): tcp connect error: Connection refused (os error 111)
            help: check `auth.oidc.token_url` and your network (and the proxy variables, if you need a
                  proxy)
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert!(pais.requests().is_empty());
}
