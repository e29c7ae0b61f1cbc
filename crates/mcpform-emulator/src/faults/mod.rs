//! What the emulator saw and what it was told to get wrong: the request log, the rate limit and
//! the fault queue.
//!
//! The middleware here wraps every platform route: it records the request (body included),
//! answers 429 when the optional rate limit is exhausted, answers with a queued fault instead of
//! the handler when one matches (or, for a fault that fires after the handler, replaces the
//! handler's answer once the write is stored), and records the final status. Control routes
//! (`/_emulator/...`) pass through untouched.

mod answer;
mod fault;
mod middleware;
mod rate_limit;
#[cfg(test)]
mod tests;
mod traffic;

use std::sync::{Mutex, MutexGuard};

pub use fault::{Fault, FaultTiming};
pub(crate) use middleware::record_and_fault;
pub(crate) use rate_limit::RateLimit;
pub use traffic::RecordedRequest;
pub(crate) use traffic::Traffic;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
