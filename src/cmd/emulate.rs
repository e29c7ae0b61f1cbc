//! `mcpform emulate`: serve one platform's emulator until interrupted. The emulator itself is
//! its own crate (`mcpform-emulator`); this only turns the flags into its options.

use std::path::{Path, PathBuf};

use clap::Args;
use mcpform_emulator::{EmulatorAuth, EmulatorOptions, IdentityProvider, TlsIdentity};

use super::{CommandError, ExitStatus};
use crate::config::model::Platform;

/// `mcpform emulate`'s arguments.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Which platform's API to serve
    #[arg(long)]
    platform: Platform,
    /// Address to listen on [default: 127.0.0.1:8701 pais, :8702 idun, :8703 hasmcp, :8704 klavis;
    /// port 0 picks a free one]
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// JSON file that seeds the emulator's objects and keeps every change
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Require this bearer token (pais, hasmcp, klavis)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MCPFORM_EMULATOR_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Require a password login (idun; omit for auth mode `none`)
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "MCPFORM_EMULATOR_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Answer 429 beyond this many requests per second [default: 2 for klavis, none elsewhere]
    #[arg(long, value_name = "N", conflicts_with = "no_rate_limit")]
    rate_limit: Option<f64>,
    /// Serve every request, even on klavis
    #[arg(long)]
    no_rate_limit: bool,
    /// Wait this long before handling each request (`20ms`): a platform across a network
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    latency: std::time::Duration,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// pais: run an OIDC identity provider under /oidc with a client of this id, and require
    /// its tokens
    #[arg(long, value_name = "ID", conflicts_with_all = ["token", "password"])]
    oidc_client_id: Option<String>,
    /// The OIDC client's secret (a confidential client; allows client_credentials)
    #[arg(
        long,
        value_name = "SECRET",
        requires = "oidc_client_id",
        env = "MCPFORM_EMULATOR_OIDC_CLIENT_SECRET",
        hide_env_values = true
    )]
    oidc_client_secret: Option<String>,
    /// The user of the OIDC password grant (with --oidc-password)
    #[arg(long, value_name = "NAME", requires_all = ["oidc_client_id", "oidc_password"])]
    oidc_username: Option<String>,
    /// The password of --oidc-username
    #[arg(
        long,
        value_name = "PASSWORD",
        requires = "oidc_username",
        env = "MCPFORM_EMULATOR_OIDC_PASSWORD",
        hide_env_values = true
    )]
    oidc_password: Option<String>,
    /// How long the OIDC access tokens live
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = humantime::parse_duration)]
    oidc_token_lifetime: std::time::Duration,
}

/// Serves until Ctrl-C; `Success` once stopped.
pub async fn run(args: &EmulateArgs) -> Result<ExitStatus, CommandError> {
    let auth = match (&args.oidc_client_id, &args.token, &args.password) {
        (Some(client_id), _, _) => EmulatorAuth::Oidc(IdentityProvider::new(
            client_id.clone(),
            args.oidc_client_secret.clone(),
            args.oidc_username.clone().zip(args.oidc_password.clone()),
            args.oidc_token_lifetime,
        )),
        (None, Some(token), _) => EmulatorAuth::Bearer(token.clone()),
        (None, None, Some(password)) => EmulatorAuth::Password(password.clone()),
        (None, None, None) => EmulatorAuth::None,
    };
    let port = match args.platform {
        Platform::Pais => 8701,
        Platform::Idun => 8702,
        Platform::Hasmcp => 8703,
        Platform::Klavis => 8704,
    };
    let listen = args
        .listen
        .unwrap_or(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    let options = EmulatorOptions {
        platform: emulated(args.platform),
        listen,
        data: args.data.clone(),
        seed: None,
        auth,
        rate_limit: rate_limit(args),
    };
    let started = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let identity = read_identity(cert, key)?;
            mcpform_emulator::start_https(options, identity).await
        }
        _ => mcpform_emulator::start(options).await,
    };
    let running = started.map_err(|e| {
        CommandError::user(miette::miette!(
            help = "check `--listen`, `--data` and the auth flags for this platform",
            "cannot start the {} emulator on {listen}: {e}",
            args.platform
        ))
    })?;
    running.set_latency(args.latency);
    // The URL is the product (scripts read it); the rest is a log.
    println!("{}", running.url());
    eprintln!("{} emulator running; press Ctrl-C to stop", args.platform);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CommandError::local(miette::miette!("cannot wait for Ctrl-C: {e}")))?;
    running.shutdown().await;
    Ok(ExitStatus::Success)
}

/// The PEM files of `--tls-cert` and `--tls-key`.
fn read_identity(cert: &Path, key: &Path) -> Result<TlsIdentity, CommandError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| {
            CommandError::user(miette::miette!(
                help = "pass readable PEM files to `--tls-cert` and `--tls-key`",
                "cannot read `{}`: {e}",
                path.display()
            ))
        })
    };
    Ok(TlsIdentity {
        cert_chain_pem: read(cert)?,
        key_pem: read(key)?,
    })
}

/// The emulator crate names the platforms itself: it shares no code with mcpform.
fn emulated(platform: Platform) -> mcpform_emulator::Platform {
    match platform {
        Platform::Pais => mcpform_emulator::Platform::Pais,
        Platform::Idun => mcpform_emulator::Platform::Idun,
        Platform::Hasmcp => mcpform_emulator::Platform::Hasmcp,
        Platform::Klavis => mcpform_emulator::Platform::Klavis,
    }
}

/// Klavis's documented free-tier limit is 2 requests a second; the emulator enforces it
/// unless told otherwise.
fn rate_limit(args: &EmulateArgs) -> Option<f64> {
    match (args.no_rate_limit, args.rate_limit, args.platform) {
        (true, _, _) => None,
        (false, Some(rate), _) => Some(rate),
        (false, None, Platform::Klavis) => Some(2.0),
        (false, None, _) => None,
    }
}
