//! `mcpform validate`: offline checks only; reads the config files and nothing else.
//! Never builds a provider or touches the network or the state file.

use clap::Args;

use super::workspace::{load_config_with, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::config::LoadOptions;
use crate::render::count;

/// `mcpform validate`'s arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Fail on an unset `${VAR}` as plan and apply do (without it, a warning: validate then
    /// runs without the run's secrets, e.g. in a pre-commit hook or a fork's pull request)
    #[arg(long)]
    strict: bool,
}

/// Loads and checks the config; `Success` when it is valid (warnings included).
pub fn run(settings: &Settings, args: &ValidateArgs) -> Result<ExitStatus, CommandError> {
    let options = LoadOptions {
        unset_variables_warn: !args.strict,
    };
    let config = load_config_with(settings, &process_env, options)?;
    println!(
        "The configuration is valid: {}, {} in {}.",
        count(config.counts.providers, "provider", "providers"),
        count(config.counts.resources, "resource", "resources"),
        count(config.files.len(), "file", "files")
    );
    Ok(ExitStatus::Success)
}
