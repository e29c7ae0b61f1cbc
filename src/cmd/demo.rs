//! `mcpform demo`: the whole loop against in-process emulators, no account needed.
//! Seeds live state that differs from `examples/demo.yaml`, plans and applies (creates and
//! updates), plans again; then removes a server from the config and prunes it.

use mcpform_emulator::{EmulatorAuth, EmulatorOptions, Platform, RunningEmulator};
use serde_json::Value;

use super::workspace::{RunOptions, Workspace};
use super::{CommandError, ExitStatus, Settings};
use crate::apply;
use crate::render::{self, TextStyle};
use crate::selection::Selection;

const CONFIG: &str = include_str!("../../examples/demo.yaml");
const PAIS_SEED: &str = include_str!("../../examples/demo/pais.json");
const IDUN_SEED: &str = include_str!("../../examples/demo/idun.json");
const HASMCP_SEED: &str = include_str!("../../examples/demo/hasmcp.json");
const KLAVIS_SEED: &str = include_str!("../../examples/demo/klavis.json");
const IDUN_PASSWORD: &str = "demo-password";
/// The server the demo removes from the config before pruning.
const PRUNED: &str = "      - name: jira
        url: https://mcp.example.com/jira
        transport: SSE
        description: Jira tools
        documentation_url: https://docs.example.com/jira
";

/// The demo's environment: made-up credentials, masked in the output like real ones.
fn demo_env(name: &str) -> Option<String> {
    match name {
        "PAIS_TOKEN" => Some("demo-pais-token".into()),
        "GITHUB_TOKEN" => Some("ghp_demo_0123456789abcdef".into()),
        "IDUN_ADMIN_PASSWORD" => Some(IDUN_PASSWORD.into()),
        "HASMCP_ACCESS_TOKEN" => Some("demo-hasmcp-token".into()),
        "KLAVIS_API_KEY" => Some("demo-klavis-key".into()),
        _ => None,
    }
}

/// Runs the demo in a temporary directory, removed afterwards; `Success` when the apply went
/// through and the second plan is clean.
pub async fn run(settings: &Settings) -> Result<ExitStatus, CommandError> {
    let dir = std::env::temp_dir().join(format!("mcpform-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| {
        CommandError::local(miette::miette!("cannot create `{}`: {e}", dir.display()))
    })?;
    let result = run_in(settings, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(settings: &Settings, dir: &std::path::Path) -> Result<ExitStatus, CommandError> {
    let config_path = dir.join("demo.yaml");
    std::fs::write(&config_path, CONFIG).map_err(|e| {
        CommandError::local(miette::miette!(
            "cannot write `{}`: {e}",
            config_path.display()
        ))
    })?;
    let emulators = [
        (
            "pais",
            start(
                Platform::Pais,
                PAIS_SEED,
                EmulatorAuth::Bearer("demo-pais-token".into()),
            )
            .await?,
        ),
        (
            "idun",
            start(
                Platform::Idun,
                IDUN_SEED,
                EmulatorAuth::Password(IDUN_PASSWORD.into()),
            )
            .await?,
        ),
        (
            "hasmcp",
            start(
                Platform::Hasmcp,
                HASMCP_SEED,
                EmulatorAuth::Bearer("demo-hasmcp-token".into()),
            )
            .await?,
        ),
        (
            "klavis",
            start(
                Platform::Klavis,
                KLAVIS_SEED,
                EmulatorAuth::Bearer("demo-klavis-key".into()),
            )
            .await?,
        ),
    ];
    let started: Vec<String> = emulators
        .iter()
        .map(|(name, e)| format!("{name} at {}", e.url()))
        .collect();
    eprintln!("Started emulators: {}", started.join(", "));

    let demo = Settings {
        config: vec![config_path.clone()],
        endpoint_overrides: emulators
            .iter()
            .map(|(name, e)| ((*name).to_owned(), e.url()))
            .collect(),
        state: Some(dir.join("mcpform.state.json")),
        ..settings.clone()
    };
    let style = TextStyle {
        color: settings.color_stdout,
        show_requests: false,
    };
    let everything = Selection::default();
    let options = RunOptions {
        selection: &everything,
        read_only: false,
        check_selection: true,
        env: &demo_env,
        lock: None,
        allow_endpoint_change: false,
        tool_discovery_timeout: None,
        prune: false,
        parallelism: crate::http::DEFAULT_PARALLELISM,
    };
    let mut out = std::io::stdout().lock();
    let write_err = CommandError::stdout;

    println!("== 1. mcpform plan: examples/demo.yaml against the emulators' live state\n");
    let mut workspace = Workspace::open(&demo, &options).await?;
    let plan = workspace.planner(&everything).plan().await?;
    render::render_text(&plan, &workspace.config.secrets, style, &mut out).map_err(write_err)?;

    println!("\n== 2. mcpform apply --auto-approve: only the requests needed\n");
    let mut failed = apply_and_show(&mut workspace, &plan, &emulators).await?;

    println!("\n== 3. mcpform plan again: the live state now matches\n");
    let workspace = Workspace::open(&demo, &options).await?;
    let second = workspace.planner(&everything).plan().await;
    workspace.close().await;
    let second = second?;
    render::render_text(&second, &workspace.config.secrets, style, &mut out).map_err(write_err)?;

    println!(
        "\n== 4. jira leaves the config; mcpform plan --prune deletes what mcpform manages only\n"
    );
    std::fs::write(&config_path, CONFIG.replacen(PRUNED, "", 1)).map_err(|e| {
        CommandError::local(miette::miette!(
            "cannot write `{}`: {e}",
            config_path.display()
        ))
    })?;
    let pruning = RunOptions {
        prune: true,
        ..options
    };
    let mut workspace = Workspace::open(&demo, &pruning).await?;
    let prune = workspace.planner(&everything).plan().await?;
    render::render_text(&prune, &workspace.config.secrets, style, &mut out).map_err(write_err)?;
    println!("\n== 5. mcpform apply --prune --auto-approve\n");
    failed += apply_and_show(&mut workspace, &prune, &emulators).await?;

    println!("\n== 6. mcpform plan --prune again: clean (slack, made by hand, is not mcpform's)\n");
    let workspace = Workspace::open(&demo, &pruning).await?;
    let last = workspace.planner(&everything).plan().await;
    workspace.close().await;
    let last = last?;
    render::render_text(&last, &workspace.config.secrets, style, &mut out).map_err(write_err)?;

    for (_, emulator) in emulators {
        emulator.shutdown().await;
    }
    Ok(
        if failed == 0 && !second.has_changes() && !last.has_changes() {
            ExitStatus::Success
        } else {
            ExitStatus::Failure
        },
    )
}

/// Applies `plan`, prints the writes the emulators received, records the state; returns how
/// many resources failed.
async fn apply_and_show(
    workspace: &mut Workspace,
    plan: &crate::plan::Plan,
    emulators: &[(&str, RunningEmulator)],
) -> Result<usize, CommandError> {
    for (_, emulator) in emulators {
        emulator.clear_requests();
    }
    let results = apply::execute(plan, &workspace.accounts, 8, &|_| {}).await;
    // Writes only: not the reads, nor Idun's login and logout. Apply sends concurrently, so the
    // order in which the emulators record the writes varies: list them in the plan's order, so
    // the demo prints the same every time.
    workspace.close().await;
    let planned = |path: &str| {
        plan.changes
            .iter()
            .position(|c| c.request.as_ref().is_some_and(|r| r.path == path))
    };
    let mut sent: Vec<_> = emulators
        .iter()
        .flat_map(|(_, e)| e.requests())
        .filter(|r| r.method != "GET" && !r.path.contains("/auth/"))
        .collect();
    sent.sort_by_key(|r| planned(&r.path).unwrap_or(usize::MAX));
    for request in sent {
        match &request.body {
            Some(body) => {
                let body = workspace.config.secrets.mask_json(body);
                println!("  {} {} {body}", request.method, request.path);
            }
            None => println!("  {} {}", request.method, request.path),
        }
    }
    let failed = results.iter().filter(|r| r.outcome.is_err()).count();
    apply::record_applied(&mut workspace.state, plan, &results);
    workspace.save_state().await?;
    println!("\n  {} applied, {failed} failed.", results.len() - failed);
    Ok(failed)
}

async fn start(
    platform: Platform,
    seed: &str,
    auth: EmulatorAuth,
) -> Result<RunningEmulator, CommandError> {
    let seed: Value = serde_json::from_str(seed).map_err(|e| {
        CommandError::local(miette::miette!("the {platform} demo seed is invalid: {e}"))
    })?;
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    mcpform_emulator::start(EmulatorOptions {
        platform,
        listen,
        data: None,
        seed: Some(seed),
        auth,
        rate_limit: None,
    })
    .await
    .map_err(|e| CommandError::local(miette::miette!("cannot start the {platform} emulator: {e}")))
}
