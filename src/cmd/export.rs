//! `mcpform export`: writes the live objects of the configured providers as a config file
//! (stdout, or `--out FILE`), and lists on stderr the variables it refers to, never their values.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use miette::Diagnostic;

use super::workspace::{RunOptions, Workspace, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::config::suggest;
use crate::export::{ProviderExport, export};
use crate::plan::{Accounts, Planner, Reading};
use crate::selection::Selection;
use crate::state::Managed;

/// `mcpform export`'s arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this provider of the config (repeatable; default: every provider)
    #[arg(long = "provider", value_name = "NAME")]
    providers: Vec<String>,
    /// Write the YAML to this file (replaced whole) instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also record the exported objects as managed in the state (taking its lock), so that
    /// `--prune` may later delete those that leave the config
    #[arg(long)]
    adopt: bool,
    /// Send credentials to an endpoint other than the one the last apply recorded in the state
    #[arg(long)]
    allow_endpoint_change: bool,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`--provider {name}` names no provider in the config")]
#[diagnostic(code(mcpform::cli::unknown_provider), help("{help}"))]
struct UnknownProvider {
    name: String,
    help: String,
}

/// Reads every selected provider's live objects and writes them as config; with `--adopt`,
/// records them as managed.
pub async fn run(settings: &Settings, args: &ExportArgs) -> Result<ExitStatus, CommandError> {
    let everything = Selection::default();
    let mut workspace = Workspace::open(
        settings,
        &RunOptions {
            selection: &everything,
            read_only: true,
            env: &process_env,
            check_selection: false,
            // Adopting writes the state: it takes the lock as apply does (and fails at once
            // while another run holds it).
            lock: args.adopt.then_some(("export --adopt", Duration::ZERO)),
            allow_endpoint_change: args.allow_endpoint_change,
            tool_discovery_timeout: None,
            prune: false,
            parallelism: crate::http::DEFAULT_PARALLELISM,
        },
    )
    .await?;
    let result = export_and_adopt(args, &mut workspace).await;
    workspace.close().await;
    let released = workspace.release().await;
    result.and_then(|status| released.map(|()| status))
}

/// Everything after the workspace is open; `run` closes it and releases the lock.
async fn export_and_adopt(
    args: &ExportArgs,
    workspace: &mut Workspace,
) -> Result<ExitStatus, CommandError> {
    let known: Vec<&str> = workspace
        .config
        .providers
        .iter()
        .map(|p| p.name())
        .collect();
    for name in &args.providers {
        if !known.contains(&name.as_str()) {
            let help = match suggest::closest(name, known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("providers in the config: {}", known.join(", ")),
            };
            return Err(CommandError::user(UnknownProvider {
                name: name.clone(),
                help,
            }));
        }
    }
    let chosen = |name: &str| args.providers.is_empty() || args.providers.iter().any(|p| p == name);
    let accounts: Accounts = workspace
        .accounts
        .iter()
        .filter(|(name, _)| chosen(name))
        .map(|(name, account)| (name.clone(), account.clone()))
        .collect();
    let planner = Planner {
        accounts: &accounts,
        state: &workspace.state,
        secrets: &workspace.config.secrets,
        selection: &Selection::default(),
    };
    let live = planner.fetch(Reading::Complete).await?;

    let config = &workspace.config;
    let providers: Vec<ProviderExport> = config
        .providers
        .iter()
        .zip(&config.written)
        .filter(|(block, _)| chosen(block.name()))
        .map(|(block, written)| ProviderExport {
            block,
            written,
            live: live.get(block.name()).map_or(&[], Vec::as_slice),
        })
        .collect();
    let exported = export(&providers, &config.secrets);
    // The exported providers borrow the config; adopting below writes the state.
    let provider_count = providers.len();
    drop(providers);

    match &args.out {
        Some(path) => write_file(path, &exported.text)?,
        None => super::output::to_stdout(|stdout| stdout.write_all(exported.text.as_bytes()))?,
    }
    let mut stderr = std::io::stderr().lock();
    let to = args
        .out
        .as_ref()
        .map_or_else(String::new, |p| format!(" to {}", p.display()));
    let _ = writeln!(
        stderr,
        "Exported {} live object{} of {} provider{}{to}.",
        exported.objects.len(),
        if exported.objects.len() == 1 { "" } else { "s" },
        provider_count,
        if provider_count == 1 { "" } else { "s" },
    );
    if !exported.variables.is_empty() {
        let width = exported
            .variables
            .iter()
            .map(|v| v.name.len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            stderr,
            "It refers to these variables; set each to the value now live before `mcpform plan`:"
        );
        for variable in &exported.variables {
            let _ = writeln!(stderr, "  {:width$}  {}", variable.name, variable.place);
        }
    }
    if args.adopt {
        let mut adopted: BTreeMap<&str, Vec<(String, Managed)>> = BTreeMap::new();
        for object in &exported.objects {
            let managed = Managed {
                address: object.address.clone(),
                prevent_destroy: false,
            };
            let ids = adopted.entry(&object.provider).or_default();
            ids.push((object.id.clone(), managed));
        }
        for (provider, ids) in adopted {
            workspace.state.record_managed(provider, ids);
        }
        workspace.save_state().await?;
        let _ = writeln!(
            stderr,
            "Adopted them: the state records them as managed, so `--prune` may delete those that leave the config."
        );
    }
    Ok(ExitStatus::Success)
}

/// Replaces `path` whole: written beside it, then renamed over it, so a failed write leaves
/// the old file.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            CommandError::local(miette::miette!("cannot write `{}`: {e}", path.display()))
        })
}
