//! Secrets in every form they take (raw, JSON-escaped, URL-encoded, base64), URL credentials,
//! secrets too short to mask, and credentials over plain http (issue 8, items 7, 8, 10, 11).

use mcpform_emulator::{Fault, Platform};
use serde_json::json;

use crate::support::*;

const ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";
/// Every character some encoding changes: `"`, `\`, space, `/`, `+`, `&`, `=`, non-ASCII.
const HEADER_SECRET: &str = "ghp \"quoted\" back\\slash/a+b&c=d é€ tail";
const ENDPOINT_SECRET: &str = "tenant \"x\"/a+b&c é€";

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: Authorization, value: \"Bearer ${HEADER_SECRET}\", secret: true }
";

fn json_escaped(secret: &str) -> String {
    let quoted = serde_json::to_string(secret).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Every byte but the unreserved ones as `%XX`; spaces as `space`.
fn percent(secret: &str, space: &str, lower: bool) -> String {
    let mut out = String::new();
    for &b in secret.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push_str(space),
            _ if lower => out.push_str(&format!("%{b:02x}")),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn base64(bytes: &[u8], url_safe: bool) -> String {
    let alphabet: &[u8] = if url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The forms of `secret` that must never be shown.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned(), json_escaped(secret)];
    for (space, lower) in [("%20", false), ("%20", true), ("+", false), ("+", true)] {
        forms.push(percent(secret, space, lower));
    }
    // As the `url` crate (and so reqwest) writes it in a path and in a query.
    let mut url = url::Url::parse("http://h/").unwrap();
    url.set_path(secret);
    forms.push(url.path()[1..].to_owned());
    url.set_query(Some(secret));
    forms.push(url.query().unwrap().to_owned());
    for url_safe in [false, true] {
        let encoded = base64(secret.as_bytes(), url_safe);
        forms.push(encoded.trim_end_matches('=').to_owned());
        forms.push(encoded);
    }
    forms
}

fn all_forms() -> Vec<String> {
    let mut all = forms(HEADER_SECRET);
    all.extend(forms(ENDPOINT_SECRET));
    all
}

/// The text without whitespace and miette's frame: a form that the report wrapped over two
/// lines is still found.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

#[track_caller]
fn assert_hidden(run: &Run) {
    let all = all_forms();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run.assert_hides(&all);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert_text_hides(text, stream);
    }
}

#[track_caller]
fn assert_text_hides(text: &str, what: &str) {
    let squashed = squash(text);
    for form in all_forms() {
        assert!(
            !squashed.contains(&squash(&form)),
            "{what} shows `{form}` (maybe wrapped):\n{text}"
        );
    }
}

#[track_caller]
fn assert_file_hides(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_text_hides(&text, &path.display().to_string());
}

/// A platform error that repeats the secret in every form: escaped in JSON, URL-encoded and
/// base64-encoded in its message, and raw inside the body.
fn echoing_fault(status: u16, secret: &str) -> Fault {
    let detail = format!(
        "header rejected: {{\"value\": \"Bearer {}\"}} see https://x.example/?v={}&w={} auth={} b64url={}",
        json_escaped(secret),
        percent(secret, "%20", false),
        percent(secret, "+", true),
        base64(secret.as_bytes(), false),
        base64(secret.as_bytes(), true).trim_end_matches('='),
    );
    Fault {
        method: Some("PATCH".into()),
        body: json!({ "detail": detail }),
        times: Some(1),
        ..Fault::answer(status)
    }
}

#[test]
fn no_form_of_a_secret_reaches_any_output() {
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "STREAMABLE_HTTP"}]}),
    );
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    work.set_env("HEADER_SECRET", HEADER_SECRET);
    let summary = work.path().join("summary.md");
    work.set_env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());

    let validate = work.run(&["validate", "--verbose"]);
    validate.expect_code(0);
    assert_hidden(&validate);
    for format in ["text", "json", "markdown"] {
        let plan = work.run(&[
            "plan",
            "--verbose",
            "--format",
            format,
            "--out",
            "plan.json",
            "--step-summary",
        ]);
        plan.expect_code(0);
        assert_hidden(&plan);
        assert_file_hides(&work.path().join("plan.json"));
    }
    assert_file_hides(&summary);

    // The platform refuses the write and repeats the header in every form.
    pais.inject(echoing_fault(422, HEADER_SECRET));
    let refused = work.run(&["apply", "--auto-approve", "--verbose", "--retries", "0"]);
    refused.expect_code(1);
    assert!(refused.to_string().contains("header rejected"), "{refused}");
    assert_hidden(&refused);
    pais.inject(echoing_fault(500, HEADER_SECRET));
    let failed = work.run(&["apply", "--auto-approve", "--verbose", "--retries", "0"]);
    failed.expect_code(1);
    assert_hidden(&failed);

    let applied = work.run(&["apply", "--auto-approve", "--verbose"]);
    applied.expect_code(0);
    assert_hidden(&applied);
    assert_file_hides(&work.state_file());
    let drift = work.run(&["drift", "--verbose"]);
    assert_hidden(&drift);
}

#[test]
fn an_endpoint_secret_stays_hidden_when_the_connection_fails() {
    let provider = format!(
        "  - name: pais\n    platform: pais\n    endpoint: \"http://127.0.0.1:9/base/${{ENDPOINT_SECRET}}\"\n    auth: {{ bearer: \"${{PAIS_TOKEN}}\" }}\n    servers:\n{SERVERS}"
    );
    let mut work = Workdir::new(&config(&[provider]));
    work.set_env("ENDPOINT_SECRET", ENDPOINT_SECRET);
    work.set_env("HEADER_SECRET", HEADER_SECRET);
    for command in ["plan", "drift"] {
        let run = work.run(&[command, "--verbose", "--retries", "0", "--timeout", "2"]);
        run.expect_code(1);
        assert!(run.to_string().contains("(sensitive)"), "{run}");
        assert_hidden(&run);
    }
}

#[test]
fn credentials_in_an_endpoint_are_rejected_without_being_shown() {
    let provider = "  - name: pais\n    platform: pais\n    endpoint: https://admin:url-pass-123@pais.example\n    auth: { bearer: \"${PAIS_TOKEN}\" }\n    servers: []\n";
    let work = Workdir::new(&config(&[provider.to_owned()]));
    let run = work.run(&["validate"]);
    run.assert_hides(&["url-pass-123", "admin:"]);
    snapshot!(run, @r#"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::url_credentials

      × the `endpoint` of provider `pais` has credentials in it
       ╭─[mcpform.yaml:5:15]
     4 │     platform: pais
     5 │     endpoint: https://******************@pais.example
       ·               ───────────────────┬───────────────────
       ·                                  ╰── a user name or password before `@`
     6 │     auth: { bearer: "${PAIS_TOKEN}" }
       ╰────
      help: mcpform would print them and send them in place of the token; remove them from the URL and
            give the credential under `auth`, e.g. `auth: { bearer: "${API_TOKEN}" }`

    [exit status: 1]
    "#);
}

#[test]
fn endpoint_overrides_with_credentials_or_garbage_are_refused_without_being_shown() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), "      []\n")]));
    let with_credentials = format!(
        "pais={}",
        pais.url()
            .replace("http://", "http://admin:override-pass-1@")
    );
    let run = work.run(&["plan", "--endpoint-override", &with_credentials]);
    run.assert_hides(&["override-pass-1", "admin:"]);
    snapshot!(run, @"
    ----- stderr -----
    error: invalid value for '--endpoint-override <NAME=URL>': the URL for provider `pais` has credentials in it (`user:pass@`); give the credential under the provider's `auth` in the config instead

    Usage: mcpform plan [OPTIONS]

    For more information, try '--help'.
    [exit status: 1]
    ");
    assert!(pais.requests().is_empty(), "nothing was sent");

    let run = work.run(&[
        "plan",
        "--endpoint-override",
        "pais=::not a url override-pass-1",
    ]);
    run.assert_hides(&["override-pass-1"]);
    snapshot!(run, @"
    ----- stderr -----
    error: invalid value for '--endpoint-override <NAME=URL>': the URL for provider `pais` is not a URL (relative URL without a base)

    Usage: mcpform plan [OPTIONS]

    For more information, try '--help'.
    [exit status: 1]
    ");
}

#[test]
fn a_secret_marked_literal_is_blanked_out_of_error_snippets() {
    let servers = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: Authorization, value: \"literal-hunter2\", secret: true, bogus: 1 }
";
    let work = Workdir::new(&config(&[pais_provider("https://pais.example", servers)]));
    let run = work.run(&["validate"]);
    run.assert_hides(&["literal-hunter2"]);
    snapshot!(run, @r#"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::unknown_field

      × unknown field `bogus`
        ╭─[mcpform.yaml:12:76]
     11 │         headers:
     12 │           - { name: Authorization, value: "***************", secret: true, bogus: 1 }
        ·                                                                            ──┬──
        ·                                                                              ╰── not a field of `headers[0]`
        ╰────
      help: expected `name`, `value` or `secret`

    [exit status: 1]
    "#);
}

#[test]
fn secrets_too_short_to_mask_are_warned_about_by_validate_and_plan() {
    let servers = "      - name: github
        url: https://mcp.example.com/github
        transport: STREAMABLE_HTTP
        headers:
          - { name: X-Pin, value: \"${PIN}\", secret: true }
";
    let pais = Emulator::start(
        Platform::Pais,
        json!({"servers": [{"id": ID, "name": "github", "url": "https://mcp.example.com/github", "transport": "STREAMABLE_HTTP"}]}),
    );
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), servers)]));
    work.set_env("PIN", "42");
    let validate = work.run(&["validate"]);
    snapshot!(validate, @r#"
    ----- stdout -----
    The configuration is valid: 1 provider, 1 resource in 1 file.
    ----- stderr -----
    mcpform::config::short_secret

      ⚠ the value of `${PIN}` is too short to be masked reliably
        ╭─[mcpform.yaml:12:36]
     11 │         headers:
     12 │           - { name: X-Pin, value: "${PIN}", secret: true }
        ·                                    ───┬──
        ·                                       ╰── shorter than 4 characters
        ╰────
      help: mcpform hides it where it stands as a whole value, but cannot find it inside a platform's
            error message or a URL without hiding ordinary words too; use a longer secret

    [exit status: 0]
    "#);
    let plan = work.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stderr
            .contains("the value of `${PIN}` is too short to be masked reliably"),
        "{}",
        plan.stderr
    );
}

#[test]
fn credentials_over_plain_http_to_another_host_are_warned_about_before_any_request() {
    let provider = "  - name: pais\n    platform: pais\n    endpoint: http://mcpform-test.invalid\n    auth: { bearer: \"${PAIS_TOKEN}\" }\n    servers: []\n";
    let work = Workdir::new(&config(&[provider.to_owned()]));
    let validate = work.run(&["validate"]);
    snapshot!(validate, @"
    ----- stdout -----
    The configuration is valid: 1 provider, 0 resources in 1 file.
    ----- stderr -----
    mcpform::http::plain_http_credentials

      ⚠ provider `pais` sends its bearer token over plain `http://` to `mcpform-test.invalid`
      help: anyone on the network path can read it; use an `https://` endpoint

    [exit status: 0]
    ");
    // An unknown override stops the run after loading the config and before any request.
    let plan = work.run(&["plan", "--endpoint-override", "other=http://127.0.0.1:9"]);
    plan.expect_code(1);
    assert!(
        plan.stderr.contains(
            "provider `pais` sends its bearer token over plain `http://` to `mcpform-test.invalid`"
        ),
        "{}",
        plan.stderr
    );
    // Loopback is fine.
    let local = provider.replace("mcpform-test.invalid", "127.0.0.1:9");
    work.write_config(&config(&[local]));
    let validate = work.run(&["validate"]);
    assert!(
        !validate.stderr.contains("plain `http://`"),
        "{}",
        validate.stderr
    );
}
