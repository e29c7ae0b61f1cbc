//! TLS per provider: a PAIS emulator served over HTTPS with a certificate from a CA made here.
//! Without `tls.ca_file` it is refused with a hint; with it (relative to the config file) and
//! with `insecure_skip_verify` (warned about on every run) plan and apply go through.

use mcpform_emulator::{EmulatorAuth, Platform, TlsIdentity};
use serde_json::json;

use crate::support::*;

/// A CA made for one test and a server certificate it signed for `localhost` and `127.0.0.1`.
pub struct TestCa {
    /// The CA's certificate, PEM: what `tls.ca_file` names.
    pub ca_pem: String,
    /// What the emulator serves.
    pub identity: TlsIdentity,
}

impl TestCa {
    pub fn new() -> TestCa {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mcpform test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
        TestCa {
            ca_pem: ca.pem(),
            identity: TlsIdentity {
                cert_chain_pem: server.pem().into_bytes(),
                key_pem: server_key.serialize_pem().into_bytes(),
            },
        }
    }
}

const SERVERS: &str = "      - name: github
        url: https://mcp.example.com/github
        transport: SSE
";

fn https_pais(ca: &TestCa) -> Emulator {
    Emulator::start_https(
        Platform::Pais,
        json!({"servers": []}),
        EmulatorAuth::Bearer(PAIS_TOKEN.into()),
        ca.identity.clone(),
    )
}

/// The PAIS block with `tls` inserted after `endpoint`.
fn pais_with_tls(url: &str, tls: &str) -> String {
    pais_provider(url, SERVERS).replacen("    auth:", &format!("    tls: {tls}\n    auth:"), 1)
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused_with_a_hint_to_set_ca_file() {
    let ca = TestCa::new();
    let pais = https_pais(&ca);
    let work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    let run = work.run(&["plan"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::fetch_failed

      × provider `pais`: cannot read the live state
      ╰─▶ mcpform::http::untrusted_certificate
          
            × GET https://127.0.0.1:[PORT]/api/v1/control/mcp-servers failed: the server's TLS
            │ certificate is not trusted: error sending request: client error (Connect): invalid peer
            │ certificate: UnknownIssuer
            help: if the server uses an internal or self-signed CA, set the provider's `tls.ca_file`
                  to a PEM file of that CA's certificate (relative to the config file)
          
      help: check the provider's `endpoint` and `auth` (and the environment variables they use)

    [exit status: 1]
    ");
    assert!(
        pais.requests().is_empty(),
        "no request got through the handshake"
    );
}

#[test]
fn ca_file_relative_to_the_config_file_makes_the_certificate_trusted() {
    let ca = TestCa::new();
    let pais = https_pais(&ca);
    let work = Workdir::new(&config(&[pais_with_tls(
        &pais.url(),
        "{ ca_file: certs/internal-ca.pem }",
    )]));
    std::fs::create_dir(work.path().join("certs")).unwrap();
    std::fs::write(work.path().join("certs/internal-ca.pem"), &ca.ca_pem).unwrap();
    // Run from another directory: the path is relative to the config file, not to the cwd.
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let output = work
        .command(&["apply", "--auto-approve", "-c", "../mcpform.yaml"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    let run = Run::new(output, work.path());
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be created
      + pais/servers/github
          + name      = "github"
          + transport = "SSE"
          + url       = "https://mcp.example.com/github"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: create applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    "#);
    assert_eq!(stored(&pais).len(), 1, "the server was created over HTTPS");
}

#[test]
fn insecure_skip_verify_is_accepted_with_a_warning_on_every_run() {
    let ca = TestCa::new();
    let pais = https_pais(&ca);
    let work = Workdir::new(&config(&[pais_with_tls(
        &pais.url(),
        "{ insecure_skip_verify: true }",
    )]));
    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @r#"
    ----- stdout -----
    mcpform will perform the following actions:

      # pais/servers/github will be created
      + pais/servers/github
          + name      = "github"
          + transport = "SSE"
          + url       = "https://mcp.example.com/github"

    Plan: 1 to create, 0 to update, 0 to delete; 0 unchanged.

    ✓ pais/servers/github: create applied

    Apply complete: 1 applied, 0 failed.
    ----- stderr -----
    mcpform::http::insecure_skip_verify

      ⚠ provider `pais` does not check TLS certificates (`tls.insecure_skip_verify: true`)
      help: anyone on the network path can pose as the platform and read its credentials; set
            `tls.ca_file` to the CA that signed its certificate instead

    [exit status: 0]
    "#);
    assert_eq!(stored(&pais).len(), 1);
    let again = work.run(&["plan", "--detailed-exitcode"]);
    again.expect_code(0);
    assert!(
        again.stderr.contains("does not check TLS certificates"),
        "warned on the second run too: {}",
        again.stderr
    );
}

#[test]
fn a_ca_file_that_is_missing_or_not_pem_is_a_clear_error_before_any_request() {
    let ca = TestCa::new();
    let pais = https_pais(&ca);
    let work = Workdir::new(&config(&[pais_with_tls(
        &pais.url(),
        "{ ca_file: missing.pem }",
    )]));
    snapshot!(work.run(&["plan"]), @"
    ----- stderr -----
    mcpform::provider::tls

      × provider `pais`: cannot use `tls.ca_file`
      ├─▶ cannot read `missing.pem`
      ╰─▶ No such file or directory (os error 2)
      help: set `tls.ca_file` to a PEM file of CA certificates (a path relative to the config file)

    [exit status: 1]
    ");
    std::fs::write(work.path().join("missing.pem"), "not a certificate\n").unwrap();
    snapshot!(work.run(&["plan"]), @"
    ----- stderr -----
    mcpform::provider::tls

      × provider `pais`: cannot use `tls.ca_file`
      ╰─▶ `missing.pem` holds no usable PEM certificate
      help: set `tls.ca_file` to a PEM file of CA certificates (a path relative to the config file)

    [exit status: 1]
    ");
    assert!(pais.requests().is_empty());
}

#[test]
fn ca_file_and_insecure_skip_verify_together_are_a_config_error() {
    let work = Workdir::new(&config(&[pais_with_tls(
        "https://pais.example",
        "{ ca_file: ca.pem, insecure_skip_verify: true }",
    )]));
    snapshot!(work.run(&["validate"]), @r#"
    ----- stderr -----
      × the config has 1 problem

    Error: mcpform::config::invalid

      × provider `pais` sets both `tls.ca_file` and `tls.insecure_skip_verify`
       ╭─[mcpform.yaml:6:29]
     5 │     endpoint: https://pais.example
     6 │     tls: { ca_file: ca.pem, insecure_skip_verify: true }
       ·                             ──────────┬─────────
       ·                                       ╰── turns off the check `ca_file` is for
     7 │     auth: { bearer: "${PAIS_TOKEN}" }
       ╰────
      help: keep `ca_file` (the certificate is then checked against that CA) and remove
            `insecure_skip_verify`

    [exit status: 1]
    "#);
}

#[test]
fn ssl_cert_file_replaces_the_system_roots() {
    let ca = TestCa::new();
    let pais = https_pais(&ca);
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    std::fs::write(work.path().join("bundle.pem"), &ca.ca_pem).unwrap();
    let bundle = work.path().join("bundle.pem");
    work.set_env("SSL_CERT_FILE", bundle.to_str().unwrap());
    work.run(&["plan"]).expect_code(0);
    assert_eq!(pais.requests().len(), 1, "the listing went through");
}

#[test]
fn the_proxy_variables_are_honoured() {
    let pais = Emulator::start(Platform::Pais, json!({"servers": []}));
    let mut work = Workdir::new(&config(&[pais_provider(&pais.url(), SERVERS)]));
    // A proxy nothing listens on: every request through it fails.
    work.set_env("HTTP_PROXY", "http://127.0.0.1:9");
    let run = work.run(&["plan", "--retries", "0"]);
    run.expect_code(1);
    assert!(pais.requests().is_empty(), "{}", run.stderr);
    work.set_env("NO_PROXY", "127.0.0.1");
    work.run(&["plan"]).expect_code(0);
    assert_eq!(pais.requests().len(), 1);
}
