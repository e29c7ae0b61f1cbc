//! `mcpform validate`: offline checks only.

use std::process::ExitCode;

use crate::cli::GlobalArgs;
use crate::config::model::ProviderConfig;

pub fn run(global: &GlobalArgs) -> miette::Result<ExitCode> {
    let config = super::workspace::load_config(global, &super::workspace::process_env)?;
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
        "The configuration is valid: {} provider(s), {resources} resource(s) in {} file(s).",
        config.providers.len(),
        config.files.len()
    );
    Ok(ExitCode::SUCCESS)
}
