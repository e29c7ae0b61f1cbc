//! Apply: send the plan's requests, concurrently with a bound, and report per resource.
//!
//! Each resource is one planned request and its follow-ups (PAIS tool approvals); it counts as
//! applied only when the provider confirmed them from the platform's answers (a create whose
//! answer was lost is looked up first, never sent twice: `provider::create`). Retries and timeouts live in the HTTP client. A failure never stops
//! the other resources, and only confirmed writes are recorded in the state.
//!
//! Scheduling: each provider's requests form a queue in plan order, drained by as many workers
//! as the provider takes writes at once (`Provider::max_write_concurrency`, capped by
//! `parallelism`); one run-wide semaphore caps the requests in flight across providers at
//! `parallelism`. A worker waits for a permit only when it has a request to send, so a provider
//! that writes one at a time never holds permits the others could use. A provider's deletes
//! form a second queue, started once every create and update of that provider has ended.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::plan::{Accounts, Action, Method, Plan, ResourceChange};
use crate::provider::{Provider, WriteError};
use crate::state::{Managed, State};

/// How one resource's apply ended.
#[derive(Debug)]
pub struct ResourceResult {
    /// The planned change that was sent.
    pub change: ResourceChange,
    /// `Ok` once the platform confirmed the write, with the id of a created object.
    pub outcome: Result<Option<String>, WriteError>,
}

/// Sends every planned request, at most `parallelism` at a time and no more at once to a
/// provider than it takes; `on_done` sees each result as it arrives. Results come back in plan
/// order.
pub async fn execute(
    plan: &Plan,
    accounts: &Accounts,
    parallelism: usize,
    on_done: &(dyn Fn(&ResourceResult) + Sync),
) -> Vec<ResourceResult> {
    let parallelism = parallelism.max(1);
    let mut queues: BTreeMap<&str, VecDeque<(usize, ResourceChange)>> = BTreeMap::new();
    for (index, change) in plan.changes.iter().enumerate() {
        if change.sends() {
            queues
                .entry(change.provider.as_str())
                .or_default()
                .push_back((index, change.clone()));
        }
    }
    let permits = Arc::new(Semaphore::new(parallelism));
    let (done, mut arrived) = mpsc::unbounded_channel();
    let mut providers = JoinSet::new();
    for (name, queue) in queues {
        let provider = Arc::clone(&accounts[name].provider);
        let lanes = provider
            .max_write_concurrency()
            .unwrap_or(parallelism)
            .clamp(1, parallelism);
        let (writes, deletes): (VecDeque<_>, VecDeque<_>) =
            queue.into_iter().partition(|(_, change)| {
                change.request.as_ref().map(|r| r.method) != Some(Method::Delete)
            });
        let (permits, done) = (Arc::clone(&permits), done.clone());
        providers.spawn(async move {
            for phase in [writes, deletes] {
                drain(&provider, phase, lanes, &permits, &done).await;
            }
        });
    }
    drop(done);
    let mut results = Vec::new();
    while let Some((index, outcome)) = arrived.recv().await {
        let result = ResourceResult {
            change: plan.changes[index].clone(),
            outcome,
        };
        on_done(&result);
        results.push((index, result));
    }
    while let Some(joined) = providers.join_next().await {
        joined.expect("apply tasks do not panic");
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Sends one provider's `queue` on up to `lanes` workers, and returns when all have ended.
async fn drain(
    provider: &Arc<dyn Provider>,
    queue: VecDeque<(usize, ResourceChange)>,
    lanes: usize,
    permits: &Arc<Semaphore>,
    done: &Outcomes,
) {
    let lanes = lanes.min(queue.len());
    let queue = Arc::new(Mutex::new(queue));
    let mut workers = JoinSet::new();
    for _ in 0..lanes {
        let (provider, queue, permits, done) = (
            Arc::clone(provider),
            Arc::clone(&queue),
            Arc::clone(permits),
            done.clone(),
        );
        workers.spawn(async move {
            loop {
                let next = queue.lock().expect("never poisoned").pop_front();
                let Some((index, change)) = next else {
                    return;
                };
                let _permit = permits.acquire().await.expect("never closed");
                let outcome = provider.apply(&change).await;
                // The receiver lives until every worker is done.
                let _ = done.send((index, outcome));
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.expect("apply tasks do not panic");
    }
}

/// Where workers report each request's outcome, by its index in the plan.
type Outcomes = mpsc::UnboundedSender<(usize, Result<Option<String>, WriteError>)>;

/// Records what the applied resources leave in the state: the write-only fingerprints of each,
/// ownership of every object created or matched (the no-ops of `plan` too: an apply that
/// reached its end matched them), and the end of ownership of each deleted object and of each
/// managed object the plan found gone from the platform.
pub fn record_applied(state: &mut State, plan: &Plan, results: &[ResourceResult]) {
    for result in results.iter().filter(|r| r.outcome.is_ok()) {
        if let Some(record) = &result.change.state_after {
            state.set_record(&result.change.address, record.clone());
        }
    }
    // A change that created its object is the object's owner even when a later step failed.
    let created = results.iter().filter_map(|r| match &r.outcome {
        Ok(Some(id)) if !id.is_empty() => Some((&r.change, id.clone())),
        Err(error) => error.created().map(|id| (&r.change, id.to_owned())),
        _ => None,
    });
    let applied: HashSet<&str> = results
        .iter()
        .filter(|r| r.outcome.is_ok())
        .map(|r| r.change.address.as_str())
        .collect();
    let matched = plan.changes.iter().filter_map(|change| {
        let applied = change.request.is_none() || applied.contains(change.address.as_str());
        match (change.action, &change.remote_id) {
            (Action::Update | Action::NoOp, Some(id)) if applied => Some((change, id.clone())),
            _ => None,
        }
    });
    let mut owned: BTreeMap<&str, Vec<(String, Managed)>> = BTreeMap::new();
    for (change, id) in created.chain(matched) {
        let entry = Managed {
            address: change.address.clone(),
            prevent_destroy: change.prevent_destroy,
        };
        owned.entry(&change.provider).or_default().push((id, entry));
    }
    for (provider, ids) in owned {
        state.record_managed(provider, ids);
    }
    for result in results.iter().filter(|r| r.outcome.is_ok()) {
        if let (Action::Delete, Some(id)) = (result.change.action, &result.change.remote_id) {
            state.forget_managed(&result.change.provider, id);
        }
    }
    for (provider, id) in &plan.gone {
        state.forget_managed(provider, id);
    }
}
