//! `mcpform state push --to TARGET`: copies the state from the configured backend to another
//! one, so a team can move from the committed file to a shared backend (or back).
//!
//! `TARGET` is a config file (`*.yaml`/`*.yml`) whose `state:` block names the backend, e.g.
//! one holding just `version: 1` and the new `state:` block, or a local state file path. Both
//! states are locked for the copy; a target that already holds a different state is left
//! alone unless `--force`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use miette::Diagnostic;

use super::workspace::{load_config, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::state::{Location, LockInfo, StateBackend, open_backend};

/// `mcpform state`'s arguments.
#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    command: StateCommand,
}

/// What to do with the state.
#[derive(Debug, Subcommand)]
enum StateCommand {
    /// Copy the state from the configured backend to another (config file with a `state:`
    /// block, or a local state file)
    Push(PushArgs),
}

#[derive(Debug, Args)]
struct PushArgs {
    /// Where to copy it: a config file (*.yaml, *.yml) whose `state:` block names the backend,
    /// or a local state file
    #[arg(long, value_name = "CONFIG_OR_FILE")]
    to: PathBuf,
    /// Overwrite a target that already holds a different state
    #[arg(long)]
    force: bool,
    /// Wait up to this long for another run's lock on either state
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    lock_timeout: Duration,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{target} already holds a different state ({records} resource records)")]
#[diagnostic(
    code(mcpform::state::target_not_empty),
    help("pass `--force` to overwrite it, or push to an empty state")
)]
struct TargetNotEmpty {
    target: String,
    records: usize,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("the source and the target are the same state: {0}")]
#[diagnostic(
    code(mcpform::state::same_backend),
    help("name another backend with `--to`")
)]
struct SameState(String);

/// Runs `mcpform state …`.
pub async fn run(settings: &Settings, args: &StateArgs) -> Result<ExitStatus, CommandError> {
    match &args.command {
        StateCommand::Push(push) => run_push(settings, push).await,
    }
}

async fn run_push(settings: &Settings, args: &PushArgs) -> Result<ExitStatus, CommandError> {
    let config = load_config(settings, &process_env)?;
    let from = settings.state_location(&config);
    let to = target_location(settings, &args.to)?;
    let source = open_backend(&from)?;
    let target = open_backend(&to)?;
    if from == to {
        return Err(CommandError::user(SameState(source.describe())));
    }
    let info = LockInfo::new("state push");
    let source_lock = source.lock(&info, args.lock_timeout).await?;
    let target_lock = match target.lock(&info, args.lock_timeout).await {
        Ok(lock) => lock,
        Err(error) => {
            // An s3 lock object would outlive this run: give it back before failing.
            let _ = source_lock.release().await;
            return Err(error.into());
        }
    };
    let copied = copy(source.as_ref(), target.as_ref(), args.force).await;
    let released_target = target_lock.release().await;
    let released_source = source_lock.release().await;
    let records = copied?;
    released_target?;
    released_source?;
    println!(
        "Copied the state ({} resource records) from {} to {}.",
        records,
        source.describe(),
        target.describe()
    );
    println!(
        "Point the config's `state:` block at the new backend; the old state is left as it was."
    );
    Ok(ExitStatus::Success)
}

/// Copies the state of `source` over `target` (both locked by the caller); the records copied.
async fn copy(
    source: &dyn StateBackend,
    target: &dyn StateBackend,
    force: bool,
) -> Result<usize, CommandError> {
    let loaded = source.load().await?;
    let existing = target.load().await?;
    if !force && !existing.state.is_empty() && existing.state != loaded.state {
        return Err(CommandError::user(TargetNotEmpty {
            target: target.describe(),
            records: existing.state.len(),
        }));
    }
    target.save(&loaded.state, &existing.version).await?;
    Ok(loaded.state.len())
}

/// `--to`: a config file's `state:` block, or a local state file.
fn target_location(settings: &Settings, to: &std::path::Path) -> Result<Location, CommandError> {
    let is_config = to
        .extension()
        .is_some_and(|ext| ext == "yaml" || ext == "yml");
    if !is_config {
        return Ok(Location::Local(to.to_owned()));
    }
    let target = Settings {
        config: vec![to.to_owned()],
        state: None,
        ..settings.clone()
    };
    let config = load_config(&target, &process_env)?;
    Ok(target.state_location(&config))
}
