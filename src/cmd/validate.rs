//! `mcpform validate`: offline checks only; reads the config files and nothing else.
//! Never builds a provider or touches the network or the state file.

use super::workspace::{load_config, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::config::model::ProviderConfig;
use crate::render::count;

/// Loads and checks the config; `Success` when it is valid.
pub fn run(settings: &Settings) -> Result<ExitStatus, CommandError> {
    let config = load_config(settings, &process_env)?;
    let resources: usize = config
        .providers
        .iter()
        .map(|p| match p {
            ProviderConfig::Pais(p) => p.servers.len(),
            ProviderConfig::Idun(p) => p.servers.len(),
            ProviderConfig::Hasmcp(p) => p.servers.len(),
            ProviderConfig::Klavis(p) => p.instances.len(),
        })
        .sum();
    println!(
        "The configuration is valid: {}, {} in {}.",
        count(config.providers.len(), "provider", "providers"),
        count(resources, "resource", "resources"),
        count(config.files.len(), "file", "files")
    );
    Ok(ExitStatus::Success)
}
