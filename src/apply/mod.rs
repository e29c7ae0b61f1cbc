//! Apply: send the plan's requests, concurrently with a bound, and report per resource.
//!
//! Each resource is one planned request; it counts as applied only when the provider confirmed
//! it from the platform's answer (a create whose answer was lost is looked up first, never sent
//! twice: `provider::create`). Retries and timeouts live in the HTTP client. A failure never stops
//! the other resources, and only confirmed writes are recorded in the state.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::plan::{Accounts, Plan, ResourceChange};
use crate::provider::WriteError;
use crate::state::State;

/// How one resource's apply ended.
#[derive(Debug)]
pub struct ResourceResult {
    /// The planned change that was sent.
    pub change: ResourceChange,
    /// `Ok` once the platform confirmed the write.
    pub outcome: Result<(), WriteError>,
}

/// Sends every planned request, at most `parallelism` at a time; `on_done` sees each result as
/// it arrives. Results come back in plan order.
pub async fn execute(
    plan: &Plan,
    accounts: &Accounts,
    parallelism: usize,
    on_done: &(dyn Fn(&ResourceResult) + Sync),
) -> Vec<ResourceResult> {
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    for (index, change) in plan.changes.iter().enumerate() {
        let Some(request) = change.request.clone() else {
            continue;
        };
        let provider = Arc::clone(&accounts[&change.provider].provider);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (index, provider.send(&request).await)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, outcome) = joined.expect("apply tasks do not panic");
        let result = ResourceResult {
            change: plan.changes[index].clone(),
            outcome,
        };
        on_done(&result);
        results.push((index, result));
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Records the write-only fingerprints of every resource that was applied.
pub fn record_applied(state: &mut State, results: &[ResourceResult]) {
    for result in results.iter().filter(|r| r.outcome.is_ok()) {
        if let Some(record) = &result.change.state_after {
            state.set_record(&result.change.address, record.clone());
        }
    }
}
