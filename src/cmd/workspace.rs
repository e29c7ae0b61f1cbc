//! What plan and apply share: the loaded config, one provider per block, the state file,
//! and computing the plan (fetch every provider concurrently, then diff).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use miette::Diagnostic;

use crate::cli::GlobalArgs;
use crate::config::model::ProviderConfig;
use crate::config::{self, LoadedConfig};
use crate::diff::DesiredResource;
use crate::http::{ClientSettings, RetryPolicy};
use crate::plan::{Account, Accounts, Planner};
use crate::provider;
use crate::selection::Selection;
use crate::state::{self, State};

pub struct Workspace {
    pub config: LoadedConfig,
    pub accounts: Accounts,
    pub state: State,
    pub state_path: PathBuf,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`--endpoint-override {name}=…` names no provider in the config")]
#[diagnostic(
    code(mcpform::cli::unknown_provider),
    help("providers in the config: {known}")
)]
struct UnknownOverride {
    name: String,
    known: String,
}

/// What the run may do and cover, beyond the config itself.
pub struct RunOptions<'a> {
    pub selection: &'a Selection,
    /// Refuse every write at the HTTP layer (`drift`).
    pub read_only: bool,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Workspace {
    /// Loads and validates the config, then builds every provider. Sends nothing.
    pub fn open(global: &GlobalArgs, options: &RunOptions) -> miette::Result<Workspace> {
        let config = load_config(global, options.env)?;
        let known: Vec<&str> = config.providers.iter().map(|p| p.name()).collect();
        for (name, _) in &global.endpoint_override {
            if !known.contains(&name.as_str()) {
                return Err(UnknownOverride {
                    name: name.clone(),
                    known: known.join(", "),
                }
                .into());
            }
        }
        let settings = ClientSettings {
            timeout: Duration::from_secs_f64(global.timeout.max(0.1)),
            retry: RetryPolicy {
                max_retries: global.retries,
                ..RetryPolicy::default()
            },
            verbose: global.verbose,
            read_only: options.read_only,
        };
        let mut accounts = Accounts::new();
        for block in &config.providers {
            let endpoint = global
                .endpoint_override
                .iter()
                .rev()
                .find(|(n, _)| n == block.name())
                .map(|(_, u)| u.as_str());
            let provider = provider::connect(block, endpoint, &settings, &config.secrets)?;
            let account = Account {
                provider: Arc::from(provider),
                desired: selected(block, options.selection),
            };
            accounts.insert(block.name().to_owned(), account);
        }
        let state_path = global.state.clone().unwrap_or_else(|| {
            let first = config.files.first().cloned().unwrap_or_default();
            first
                .parent()
                .map(|dir| dir.join(state::DEFAULT_FILE_NAME))
                .unwrap_or_else(|| state::DEFAULT_FILE_NAME.into())
        });
        let state = State::load(&state_path)?;
        Ok(Workspace {
            config,
            accounts,
            state,
            state_path,
        })
    }

    /// The plan stage over this workspace's providers, state and secrets.
    pub fn planner(&self) -> Planner<'_> {
        Planner {
            accounts: &self.accounts,
            state: &self.state,
            secrets: &self.config.secrets,
        }
    }
}

/// The resources of one config block that the selection covers.
fn selected(block: &ProviderConfig, selection: &Selection) -> Arc<[DesiredResource]> {
    provider::desired_resources(block)
        .into_iter()
        .filter(|d| selection.includes(&d.address))
        .collect()
}

pub fn load_config(
    global: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> miette::Result<LoadedConfig> {
    let paths = if global.config.is_empty() {
        vec![PathBuf::from("mcpform.yaml")]
    } else {
        global.config.clone()
    };
    Ok(config::load(&paths, env)?)
}

/// The process environment, for `${VAR}` interpolation.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_selection_keeps_other_resources_out_of_the_run() {
        let block: ProviderConfig = serde_json::from_value(
            json!({"platform": "pais", "name": "pais", "endpoint": "https://p.example", "servers": [
                {"name": "a", "url": "https://a.example", "transport": "SSE"},
                {"name": "b", "url": "https://b.example", "transport": "SSE"}
            ]}),
        )
        .unwrap();
        let selection = Selection {
            targets: vec!["pais/servers/b".into()],
            excludes: Vec::new(),
        };
        let desired = selected(&block, &selection);
        let addresses: Vec<&str> = desired.iter().map(|d| d.address.as_str()).collect();
        assert_eq!(addresses, ["pais/servers/b"]);
    }
}
