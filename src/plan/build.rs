//! The plan stage: fetch every provider's live objects concurrently, then diff them against the
//! desired resources into one sorted `Plan`. Reads platforms, never writes to them, and prints
//! nothing; every problem is collected into one `PlanFailed` rather than stopping at the first.
//!
//! Deletes come from the state alone: a managed object (one mcpform created or applied a config
//! entry to) that no config entry matches any more is deleted when its provider prunes, and
//! kept (named in the plan, no request) otherwise. An object mcpform never managed is never
//! deleted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use miette::{Diagnostic, Report};
use tokio::task::JoinSet;

use super::{Action, Kept, LiveSnapshot, Plan, ResourceChange};
use crate::diff::{self, DesiredResource, LiveObject, PlanScope};
use crate::http::HttpError;
use crate::mask::Secrets;
use crate::provider::Provider;
use crate::selection::Selection;
use crate::state::State;

/// One provider block of a run: the connected provider and the configured resources the run
/// covers (already narrowed by `--target`/`--exclude`).
#[derive(Clone)]
pub struct Account {
    /// The platform account.
    pub provider: Arc<dyn Provider>,
    /// The resources to plan, normalized like the live side. Shared with the fetch tasks.
    pub desired: Arc<[DesiredResource]>,
    /// Delete the managed objects whose config entry is gone (`prune: true`, or `--prune`).
    pub prune: bool,
}

/// Every provider of a run, by provider name.
pub type Accounts = BTreeMap<String, Account>;

/// Every provider's live objects, by provider name.
pub type LiveState = BTreeMap<String, Vec<Arc<LiveObject>>>;

/// Which live objects a fetch reads, and how far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// What a plan compares (plan, apply): a platform whose read shows nothing a plan compares
    /// is not read for resources named by id (`Provider::plan_assumes_resources_named_by_id`).
    Plan,
    /// The configured ones the run covers, as they are live (a narrowed drift).
    Selected,
    /// Also every object a platform lists, so unmanaged ones can be reported (drift).
    Listed,
    /// Every object, each read whole (export).
    Complete,
}

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

/// A plan would delete a managed object whose config entry had `prevent_destroy`.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error(
    "`{address}` (id {id}) is no longer in the config, and its `lifecycle.prevent_destroy` forbids deleting it"
)]
#[diagnostic(
    code(mcpform::plan::prevent_destroy),
    help(
        "put the entry back in the config to keep it; to delete it, put it back with \
         `prevent_destroy: false`, apply, then remove it"
    )
)]
struct PreventDestroy {
    address: String,
    id: String,
}

/// What a plan is made from besides the live objects.
pub struct Planner<'a> {
    /// The providers and what each is to cover.
    pub accounts: &'a Accounts,
    /// `--target`/`--exclude`: a managed object that left the config is in the run when its
    /// recorded address is selected.
    pub selection: &'a Selection,
    /// Write-only fingerprints from earlier applies.
    pub state: &'a State,
    /// Values every output masks.
    pub secrets: &'a Secrets,
}

impl Planner<'_> {
    /// Fetches and diffs: the plan for this run.
    pub async fn plan(&self) -> Result<Plan, PlanFailed> {
        let live = self.fetch(Reading::Plan).await?;
        self.diff(&live)
    }

    /// Fetches every provider's live objects concurrently. Providers with nothing selected are
    /// skipped unless `reading` asks for every object they list.
    pub async fn fetch(&self, reading: Reading) -> Result<LiveState, PlanFailed> {
        let mut fetches = JoinSet::new();
        for (name, account) in self.accounts {
            let provider = &account.provider;
            let mut managed: Vec<String> = self
                .state
                .managed(name)
                .into_iter()
                .flatten()
                .filter(|(_, m)| self.selection.includes(&m.address))
                .map(|(id, _)| id.clone())
                .collect();
            let listed = matches!(reading, Reading::Listed | Reading::Complete)
                && provider.lists_everything();
            if account.desired.is_empty() && managed.is_empty() && !listed {
                continue;
            }
            let (name, provider) = (name.clone(), Arc::clone(provider));
            let mut desired = Arc::clone(&account.desired);
            let assumed = match reading {
                Reading::Plan if provider.plan_assumes_resources_named_by_id() => {
                    let (assumed, unread) = assume_named_by_id(&desired);
                    desired = unread.into();
                    // A managed object the config still names by id is assumed too; only those
                    // that left the config are read (to delete them, or to learn they are gone).
                    let assumed_ids: std::collections::HashSet<String> =
                        assumed.iter().map(|a| a.id.to_ascii_lowercase()).collect();
                    managed.retain(|id| !assumed_ids.contains(&id.to_ascii_lowercase()));
                    assumed
                }
                _ => Vec::new(),
            };
            fetches.spawn(async move {
                let live = match reading {
                    Reading::Complete => provider.fetch_complete(&desired, &managed).await,
                    Reading::Plan | Reading::Selected | Reading::Listed => {
                        provider.fetch_live(&desired, &managed).await
                    }
                };
                let live = live.map(|live| live.into_iter().chain(assumed).map(Arc::new).collect());
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
        let mut kept = Vec::new();
        let mut gone = Vec::new();
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
            let planned = match diff::plan_resources(provider, &scope, &account.desired, objects) {
                Ok(planned) => planned,
                Err(errors) => {
                    problems.extend(errors.into_iter().map(Report::new));
                    continue;
                }
            };
            for orphan in self.orphans(name, &planned, objects) {
                match orphan {
                    Orphan::Delete(change) => changes.push(*change),
                    Orphan::Kept(object) => kept.push(object),
                    Orphan::Gone(id) => gone.push((name.clone(), id)),
                    Orphan::Protected(error) => problems.push(error.into()),
                }
            }
            changes.extend(planned);
        }
        if !problems.is_empty() {
            return Err(failed(problems));
        }
        changes.sort_by(|a, b| (&a.provider, &a.address).cmp(&(&b.provider, &b.address)));
        kept.sort_by(|a: &Kept, b: &Kept| {
            (&a.provider, &a.address).cmp(&(&b.provider, &b.address))
        });
        Ok(Plan {
            changes,
            kept,
            gone,
        })
    }

    /// The managed objects of provider `name` that are live but that no configured resource
    /// matched (`planned`): each deleted, kept, or refused by its `prevent_destroy`.
    fn orphans(
        &self,
        name: &str,
        planned: &[ResourceChange],
        live: &[Arc<LiveObject>],
    ) -> Vec<Orphan> {
        let account = &self.accounts[name];
        let Some(managed) = self.state.managed(name) else {
            return Vec::new();
        };
        let matched: HashSet<String> = planned
            .iter()
            .filter_map(|c| c.remote_id.as_deref())
            .map(str::to_ascii_lowercase)
            .collect();
        let addresses: HashSet<&str> = planned.iter().map(|c| c.address.as_str()).collect();
        let live: HashMap<String, &Arc<LiveObject>> = live
            .iter()
            .map(|o| (o.id.to_ascii_lowercase(), o))
            .collect();
        let mut orphans = Vec::new();
        for (id, entry) in managed {
            let key = id.to_ascii_lowercase();
            if matched.contains(&key) || !self.selection.includes(&entry.address) {
                continue;
            }
            // Gone from the platform already (fetched: it was selected): nothing to delete.
            let Some(object) = live.get(&key) else {
                orphans.push(Orphan::Gone(id.clone()));
                continue;
            };
            // A new entry may have taken the address: then the old object goes by its id.
            let address = if addresses.contains(entry.address.as_str()) {
                let collection = entry.address.split('/').nth(1).unwrap_or("servers");
                format!("{name}/{collection}/{}", object.id)
            } else {
                entry.address.clone()
            };
            let provider = account.provider.as_ref();
            if !account.prune {
                orphans.push(Orphan::Kept(Kept {
                    address,
                    provider: name.to_owned(),
                    platform: provider.platform(),
                    remote_id: object.id.clone(),
                }));
            } else if entry.prevent_destroy {
                orphans.push(Orphan::Protected(PreventDestroy {
                    address,
                    id: object.id.clone(),
                }));
            } else {
                orphans.push(Orphan::Delete(Box::new(ResourceChange {
                    address,
                    provider: name.to_owned(),
                    platform: provider.platform(),
                    action: Action::Delete,
                    remote_id: Some(object.id.clone()),
                    prevent_destroy: false,
                    fields: Vec::new(),
                    request: Some(provider.delete_request(&object.id)),
                    follow_ups: Vec::new(),
                    state_after: None,
                    live: Some(LiveSnapshot {
                        object: Arc::clone(object),
                        secret_paths: provider.secret_paths(),
                    }),
                })));
            }
        }
        orphans
    }
}

/// What becomes of one managed object that no configured resource matched.
enum Orphan {
    Delete(Box<ResourceChange>),
    Kept(Kept),
    Protected(PreventDestroy),
    /// No longer on the platform.
    Gone(String),
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
