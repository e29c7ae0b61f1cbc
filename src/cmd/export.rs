//! `mcpform export`: writes the live objects of the configured providers as a config file
//! (stdout, or `--out FILE`), and lists on stderr the variables it refers to, never their values.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use miette::Diagnostic;

use super::workspace::{RunOptions, Workspace, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::config::suggest;
use crate::export::{ProviderExport, export};
use crate::plan::{Accounts, Planner, Reading};
use crate::selection::Selection;

/// `mcpform export`'s arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this provider of the config (repeatable; default: every provider)
    #[arg(long = "provider", value_name = "NAME")]
    providers: Vec<String>,
    /// Write the YAML to this file (replaced whole) instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`--provider {name}` names no provider in the config")]
#[diagnostic(code(mcpform::cli::unknown_provider), help("{help}"))]
struct UnknownProvider {
    name: String,
    help: String,
}

/// Reads every selected provider's live objects and writes them as config.
pub async fn run(settings: &Settings, args: &ExportArgs) -> Result<ExitStatus, CommandError> {
    let workspace = Workspace::open(
        settings,
        &RunOptions {
            selection: &Selection::default(),
            read_only: true,
            env: &process_env,
            check_selection: false,
            lock: None,
        },
    )
    .await?;
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
    };
    let live = planner.fetch(Reading::Complete).await;
    workspace.close().await;
    let live = live?;

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

    match &args.out {
        Some(path) => write_file(path, &exported.text)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(exported.text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(CommandError::stdout(e)),
            }
        }
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
        providers.len(),
        if providers.len() == 1 { "" } else { "s" },
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
