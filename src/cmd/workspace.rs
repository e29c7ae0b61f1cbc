//! What plan and apply share: the loaded config, one provider per block, the state file,
//! and computing the plan (fetch every provider concurrently, then diff).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use miette::{Diagnostic, Report};
use tokio::task::JoinSet;

use crate::cli::GlobalArgs;
use crate::config::{self, LoadedConfig};
use crate::diff::{self, LiveObject, PlanScope};
use crate::http::{ClientSettings, HttpError, RetryPolicy};
use crate::plan::Plan;
use crate::provider::{self, Provider};
use crate::selection::Selection;
use crate::state::{self, State};

pub struct Workspace {
    pub config: LoadedConfig,
    pub providers: BTreeMap<String, Arc<dyn Provider>>,
    pub state: State,
    pub state_path: PathBuf,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{count} problem(s) stopped the plan; nothing was sent")]
#[diagnostic(code(mcpform::plan::failed))]
pub struct PlanFailed {
    count: usize,
    #[related]
    problems: Vec<Report>,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("provider `{provider}`: cannot read the live state")]
#[diagnostic(
    code(mcpform::plan::fetch_failed),
    help("check the provider's `endpoint` and `auth` (and the environment variables they use)")
)]
struct FetchFailed {
    provider: String,
    #[source]
    #[diagnostic_source]
    source: HttpError,
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

/// Every provider's live objects, by provider name.
pub type LiveState = BTreeMap<String, Vec<LiveObject>>;

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
        let mut providers: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
        for block in &config.providers {
            let endpoint = global
                .endpoint_override
                .iter()
                .rev()
                .find(|(n, _)| n == block.name())
                .map(|(_, u)| u.as_str());
            let built = provider::connect(
                block,
                endpoint,
                &settings,
                &config.secrets,
                options.selection,
            )?;
            providers.insert(block.name().to_owned(), Arc::from(built));
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
            providers,
            state,
            state_path,
        })
    }

    /// Fetches and diffs: the plan for this run.
    pub async fn plan(&self) -> miette::Result<Plan> {
        let live = self.fetch(false).await?;
        self.plan_from(&live)
    }

    /// Fetches every provider's live objects concurrently. Providers with nothing selected are
    /// skipped unless `everything` asks for their full listing (drift's unmanaged report).
    pub async fn fetch(&self, everything: bool) -> miette::Result<LiveState> {
        let mut fetches = JoinSet::new();
        for (name, provider) in &self.providers {
            if provider.desired().is_empty() && !(everything && provider.lists_everything()) {
                continue;
            }
            let (name, provider) = (name.clone(), Arc::clone(provider));
            fetches.spawn(async move { (name, provider.fetch_live().await) });
        }
        let mut live = LiveState::new();
        let mut problems: Vec<Report> = Vec::new();
        while let Some(joined) = fetches.join_next().await {
            match joined.expect("fetch tasks do not panic") {
                (name, Ok(objects)) => {
                    live.insert(name, objects);
                }
                (provider, Err(source)) => problems.push(FetchFailed { provider, source }.into()),
            }
        }
        if problems.is_empty() {
            Ok(live)
        } else {
            Err(failed(problems))
        }
    }

    /// Diffs the config against fetched live objects (pure).
    pub fn plan_from(&self, live: &LiveState) -> miette::Result<Plan> {
        let mut changes = Vec::new();
        let mut problems: Vec<Report> = Vec::new();
        for (name, provider) in &self.providers {
            let Some(objects) = live.get(name) else {
                continue;
            };
            let scope = PlanScope {
                provider: name,
                platform: provider.platform(),
                state: &self.state,
                secrets: &self.config.secrets,
            };
            match diff::plan_resources(provider.as_ref(), &scope, provider.desired(), objects) {
                Ok(planned) => changes.extend(planned),
                Err(errors) => problems.extend(errors.into_iter().map(Report::new)),
            }
        }
        if !problems.is_empty() {
            return Err(failed(problems));
        }
        changes.sort_by(|a, b| (&a.provider, &a.address).cmp(&(&b.provider, &b.address)));
        Ok(Plan { changes })
    }
}

fn failed(mut problems: Vec<Report>) -> Report {
    problems.sort_by_key(|p| p.to_string());
    PlanFailed {
        count: problems.len(),
        problems,
    }
    .into()
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
