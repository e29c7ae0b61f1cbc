//! The middleware around every platform route: records the request, applies the rate limit and
//! latency, answers with a matching fault or the handler, and records the final status.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::answer::Dropped;
use super::{FaultTiming, RecordedRequest, Traffic};

/// Prefix of the emulator's own routes, which are never recorded, faulted or authenticated.
pub(crate) const CONTROL_PREFIX: &str = "/_emulator";

/// Requests larger than this are refused; no real client of these APIs sends anything close.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Counts a request as in flight until it is answered or dropped.
struct InFlight<'a>(&'a AtomicU32);

impl<'a> InFlight<'a> {
    /// Counts one more; returns the guard and how many were in flight before.
    fn enter(counter: &'a AtomicU32) -> (InFlight<'a>, u32) {
        let before = counter.fetch_add(1, Ordering::SeqCst);
        (InFlight(counter), before)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn header_text(request: &axum::http::request::Parts, name: header::HeaderName) -> Option<String> {
    let values: Vec<&str> = request
        .headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join("; "))
}

/// Records the request, then answers 429 when the rate limit is exhausted (before auth, as
/// HasMCP CE's limiter does), else with a matching fault, else with the real handler.
pub(crate) async fn record_and_fault(
    State(traffic): State<Arc<Traffic>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with(CONTROL_PREFIX) {
        return next.run(request).await;
    }
    let (_in_flight, others) = InFlight::enter(&traffic.in_flight);
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let recorded_body = if bytes.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    };
    let seq = traffic.begin(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        authorization: header_text(&parts, header::AUTHORIZATION),
        cookie: header_text(&parts, header::COOKIE),
        body: recorded_body,
        status: 0,
        in_flight: others,
    });
    let limited = traffic.limit.as_ref().and_then(|limit| {
        limit
            .take_at(Instant::now())
            .err()
            .map(|w| limit.rejection(w))
    });
    let latency = traffic.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let response = match limited {
        Some(rejection) => rejection,
        None => match traffic.take_fault(&method, &path) {
            Some(fault) if fault.when == FaultTiming::Before => fault.delayed_response().await,
            fault => {
                let handled = next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
                match fault {
                    // The handler's answer is dropped: what it stored stays stored.
                    Some(fault) => fault.delayed_response().await,
                    None => handled,
                }
            }
        },
    };
    if response.extensions().get::<Dropped>().is_some() {
        traffic.finish(seq, 0);
        return response;
    }
    traffic.finish(seq, response.status().as_u16());
    response
}
