//! `mcpform emulate`: serve one platform's emulator until interrupted.

use std::process::ExitCode;

use mcpform_emulator::{EmulatorAuth, EmulatorOptions};

use crate::cli::EmulateArgs;
use crate::config::model::Platform;

pub async fn run(args: &EmulateArgs) -> miette::Result<ExitCode> {
    let auth = match (&args.token, &args.password) {
        (Some(token), _) => EmulatorAuth::Bearer(token.clone()),
        (None, Some(password)) => EmulatorAuth::Password(password.clone()),
        (None, None) => EmulatorAuth::None,
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
    let running = mcpform_emulator::start(options).await.map_err(|e| {
        miette::miette!(
            help = "check `--listen`, `--data` and the auth flags for this platform",
            "cannot start the {} emulator on {listen}: {e}",
            args.platform
        )
    })?;
    // The URL is the product (scripts read it); the rest is a log.
    println!("{}", running.url());
    eprintln!("{} emulator running; press Ctrl-C to stop", args.platform);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| miette::miette!("cannot wait for Ctrl-C: {e}"))?;
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
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
