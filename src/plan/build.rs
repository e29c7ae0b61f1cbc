//! The plan stage: fetch every provider's live objects concurrently, then diff them against the
//! desired resources into one sorted `Plan`. Reads platforms, never writes to them, and prints
//! nothing; every problem is collected into one `PlanFailed` rather than stopping at the first.

use std::collections::BTreeMap;
use std::sync::Arc;

use miette::{Diagnostic, Report};
use tokio::task::JoinSet;

use super::Plan;
use crate::diff::{self, DesiredResource, LiveObject, PlanScope};
use crate::http::HttpError;
use crate::mask::Secrets;
use crate::provider::Provider;
use crate::state::State;

/// One provider block of a run: the connected provider and the configured resources the run
/// covers (already narrowed by `--target`/`--exclude`).
pub struct Account {
    /// The platform account.
    pub provider: Arc<dyn Provider>,
    /// The resources to plan, normalized like the live side. Shared with the fetch tasks.
    pub desired: Arc<[DesiredResource]>,
}

/// Every provider of a run, by provider name.
pub type Accounts = BTreeMap<String, Account>;

/// Every provider's live objects, by provider name.
pub type LiveState = BTreeMap<String, Vec<LiveObject>>;

/// Why no plan could be made: every problem found, sorted by message.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{}", problems_headline(*.count))]
#[diagnostic(code(mcpform::plan::failed))]
pub struct PlanFailed {
    count: usize,
    #[related]
    problems: Vec<Report>,
}

fn problems_headline(count: usize) -> String {
    match count {
        1 => "1 problem stopped the plan; nothing was sent".to_owned(),
        n => format!("{n} problems stopped the plan; nothing was sent"),
    }
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

/// What a fetch reads: what the plan needs (`Provider::fetch_for_plan`), or the live objects
/// as they are (drift).
#[derive(Clone, Copy)]
enum Reads {
    Plan,
    Live { everything: bool },
}

/// What a plan is made from besides the live objects.
pub struct Planner<'a> {
    /// The providers and what each is to cover.
    pub accounts: &'a Accounts,
    /// Write-only fingerprints from earlier applies.
    pub state: &'a State,
    /// Values every output masks.
    pub secrets: &'a Secrets,
}

impl Planner<'_> {
    /// Fetches and diffs: the plan for this run.
    pub async fn plan(&self) -> Result<Plan, PlanFailed> {
        let live = self.fetch_with(Reads::Plan).await?;
        self.diff(&live)
    }

    /// Fetches every provider's live objects concurrently. Providers with nothing selected are
    /// skipped unless `everything` asks for their full listing (drift's unmanaged report).
    pub async fn fetch(&self, everything: bool) -> Result<LiveState, PlanFailed> {
        self.fetch_with(Reads::Live { everything }).await
    }

    async fn fetch_with(&self, reads: Reads) -> Result<LiveState, PlanFailed> {
        let mut fetches = JoinSet::new();
        for (name, account) in self.accounts {
            let provider = &account.provider;
            let everything = matches!(reads, Reads::Live { everything: true });
            if account.desired.is_empty() && !(everything && provider.lists_everything()) {
                continue;
            }
            let (name, provider) = (name.clone(), Arc::clone(provider));
            let mut desired = Arc::clone(&account.desired);
            let assumed = match reads {
                Reads::Plan if provider.plan_assumes_resources_named_by_id() => {
                    let (assumed, unread) = assume_named_by_id(&desired);
                    desired = unread.into();
                    assumed
                }
                _ => Vec::new(),
            };
            fetches.spawn(async move {
                let live = provider.fetch_live(&desired).await.map(|mut live| {
                    live.extend(assumed);
                    live
                });
                (name, live)
            });
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

    /// Diffs the desired resources against fetched live objects (pure), sorted by provider
    /// then address.
    pub fn diff(&self, live: &LiveState) -> Result<Plan, PlanFailed> {
        let mut changes = Vec::new();
        let mut problems: Vec<Report> = Vec::new();
        for (name, account) in self.accounts {
            let Some(objects) = live.get(name) else {
                continue;
            };
            let provider = account.provider.as_ref();
            let scope = PlanScope {
                provider: name,
                platform: provider.platform(),
                state: self.state,
                secrets: self.secrets,
            };
            match diff::plan_resources(provider, &scope, &account.desired, objects) {
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

/// Splits `desired` into the live objects a plan takes as existing, unread (the resources
/// named by id), and the resources still to read.
fn assume_named_by_id(desired: &[DesiredResource]) -> (Vec<LiveObject>, Vec<DesiredResource>) {
    let mut assumed = Vec::new();
    let mut unread = Vec::new();
    for resource in desired {
        match &resource.id {
            Some(id) => assumed.push(LiveObject {
                id: id.clone(),
                name: resource.name.clone(),
                document: serde_json::Map::new(),
                meta: serde_json::Map::new(),
            }),
            None => unread.push(resource.clone()),
        }
    }
    (assumed, unread)
}

fn failed(mut problems: Vec<Report>) -> PlanFailed {
    problems.sort_by_key(|p| p.to_string());
    PlanFailed {
        count: problems.len(),
        problems,
    }
}
