//! The request log and the fault queue of one emulator, with its rate limit and latency.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Fault, RateLimit, lock};

/// One request the emulator received, in arrival order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if the request had one.
    pub query: Option<String>,
    /// The `Authorization` header(s), joined with `; ` when sent more than once.
    pub authorization: Option<String>,
    /// The `Cookie` header(s), joined with `; ` when sent more than once.
    pub cookie: Option<String>,
    /// The JSON body; a body that is not JSON is kept as a JSON string, an empty one as `None`.
    pub body: Option<Value>,
    /// The status the emulator answered with (0 while the request is still being handled, and
    /// for a request whose connection a fault dropped without an answer).
    pub status: u16,
    /// How many other requests the emulator was still handling when this one arrived: two
    /// requests overlapped when the later one shows more than 0.
    #[serde(default)]
    pub in_flight: u32,
}

/// The request log, the rate limit and the fault queue of one emulator.
#[derive(Default)]
pub(crate) struct Traffic {
    log: Mutex<Vec<(u64, RecordedRequest)>>,
    next_seq: AtomicU64,
    /// Requests being handled right now.
    pub(super) in_flight: AtomicU32,
    faults: Mutex<VecDeque<Fault>>,
    pub(super) limit: Option<RateLimit>,
    /// Milliseconds every platform request waits before it is handled (a slow platform).
    pub(super) latency_ms: AtomicU64,
}

impl Traffic {
    pub fn new(limit: Option<RateLimit>) -> Traffic {
        Traffic {
            limit,
            ..Traffic::default()
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).iter().map(|(_, r)| r.clone()).collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push_back(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub fn set_latency(&self, latency: std::time::Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    pub(super) fn begin(&self, request: RecordedRequest) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        lock(&self.log).push((seq, request));
        seq
    }

    pub(super) fn finish(&self, seq: u64, status: u16) {
        // The entry may be gone if the log was cleared while the request was in flight.
        if let Some((_, entry)) = lock(&self.log).iter_mut().find(|(s, _)| *s == seq) {
            entry.status = status;
        }
    }

    /// Takes the first queued fault matching the request, using up one of its `times`.
    pub(super) fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        faults.retain(|f| f.times != Some(0));
        let index = faults.iter().position(|f| f.matches(method, path))?;
        let fault = &mut faults[index];
        let answer = fault.clone();
        if let Some(times) = &mut fault.times {
            *times -= 1;
            if *times == 0 {
                faults.remove(index);
            }
        }
        Some(answer)
    }
}
