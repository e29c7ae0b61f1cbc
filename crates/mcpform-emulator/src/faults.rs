//! What the emulator saw and what it was told to get wrong: the request log, the rate limit and
//! the fault queue.
//!
//! The middleware here wraps every platform route: it records the request (body included),
//! answers 429 when the optional rate limit is exhausted, answers with a queued fault instead of
//! the handler when one matches (or, for a fault that fires after the handler, replaces the
//! handler's answer once the write is stored), and records the final status. Control routes
//! (`/_emulator/...`) pass through untouched.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Platform;

/// Prefix of the emulator's own routes, which are never recorded, faulted or authenticated.
pub(crate) const CONTROL_PREFIX: &str = "/_emulator";

/// Requests larger than this are refused; no real client of these APIs sends anything close.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

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

/// A canned answer that replaces the normal handler's for matching requests.
///
/// By default the fault fires **before** the handler, which then never runs: a faulted write
/// changes nothing, which is how the emulators model a platform that refused it or rolled it back.
/// With `when: after` the handler runs first (the write is stored) and its answer is replaced:
/// how a platform, proxy or network loses the answer to a write that landed.
///
/// The answer is `status` with `body` (JSON) or `raw_body` (bytes as given) and `headers`: an
/// empty 200 is `{"status": 200}`, a redirect is a 3xx with a `Location` header
/// ([`Fault::redirect`]). With `drop_connection: true` there is no answer at all: the connection
/// is closed mid-response, as a reset or a killed server leaves it (`status` is then ignored).
/// With `delay_ms` the answer (or the dropped connection) comes only that long after the request
/// arrived (after the handler ran, for `when: after`): a silent server, for a client whose
/// timeout is shorter.
///
/// Over HTTP (`POST /_emulator/faults`) every field but `status` may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method to match, case-insensitive; `A|B` matches either; `None` matches any.
    pub method: Option<String>,
    /// Substring the request path must contain; `None` matches any path.
    pub path_contains: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// JSON body of the answer; `null` (the default over HTTP) sends an empty body.
    #[serde(default)]
    pub body: Value,
    /// The answer's body exactly as given (truncated JSON, an HTML error page), instead of `body`;
    /// sent as `text/plain` unless `headers` give a `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    /// Headers of the answer, as (name, value) pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// How many matching requests to answer; `None` = every matching request, forever.
    pub times: Option<u32>,
    /// Whether the fault replaces the handler (`before`, the default) or its answer (`after`).
    #[serde(default)]
    pub when: FaultTiming,
    /// Close the connection without an answer instead of answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// How long to wait, in milliseconds, before answering (0: at once).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// When a [`Fault`] fires, relative to the platform's handler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTiming {
    /// Instead of the handler: nothing the request asked for happens.
    #[default]
    Before,
    /// After the handler stored the request's effect: only the answer is lost or replaced.
    After,
}

impl Fault {
    /// One 429 with `Retry-After`, in the platform's error shape.
    pub fn rate_limited(platform: Platform, retry_after_secs: u64) -> Fault {
        let body = match platform {
            Platform::Pais => json!({ "detail": "Too Many Requests" }),
            Platform::Klavis => json!({ "detail": "Rate limit exceeded" }),
            Platform::Idun => json!({
                "error": { "code": "rate_limited", "message": "Too many requests." }
            }),
            Platform::Hasmcp => json!({ "error": { "message": "ratelimited", "code": 429 } }),
        };
        Fault {
            method: None,
            path_contains: None,
            status: 429,
            body,
            headers: vec![("Retry-After".to_owned(), retry_after_secs.to_string())],
            times: Some(1),
            ..Fault::answer(429)
        }
    }

    /// 503 on every request, forever, in the platform's error shape.
    pub fn unavailable(platform: Platform) -> Fault {
        let body = match platform {
            Platform::Pais | Platform::Klavis => json!({ "detail": "Service Unavailable" }),
            Platform::Idun => json!({
                "error": { "code": "internal_error", "message": "Service unavailable." }
            }),
            Platform::Hasmcp => {
                json!({ "error": { "message": "service unavailable", "code": 503 } })
            }
        };
        Fault {
            method: None,
            path_contains: None,
            body,
            ..Fault::answer(503)
        }
    }

    /// Idun's answer when the engine rejects a new config: 500, nothing saved. Once.
    pub fn idun_reload_failed() -> Fault {
        Fault {
            method: Some("PATCH|POST".to_owned()),
            path_contains: Some("/admin/api/v1/mcp-servers".to_owned()),
            body: json!({
                "error": {
                    "code": "reload_failed",
                    "message": "Engine reload failed; config not saved.",
                    "details": { "recovered": true }
                }
            }),
            times: Some(1),
            ..Fault::answer(500)
        }
    }

    /// `status` with an empty body and no headers, on every request, forever, before the
    /// handler: the base the other constructors fill in (`Fault { .., ..Fault::answer(200) }`).
    pub fn answer(status: u16) -> Fault {
        Fault {
            method: None,
            path_contains: None,
            status,
            body: Value::Null,
            raw_body: None,
            headers: Vec::new(),
            times: None,
            when: FaultTiming::Before,
            drop_connection: false,
            delay_ms: 0,
        }
    }

    /// No answer for `delay_ms` milliseconds, then an empty 200 (a client with a shorter timeout
    /// has given up by then), on every request, forever: a silent server.
    pub fn silent(delay_ms: u64) -> Fault {
        Fault {
            delay_ms,
            ..Fault::answer(200)
        }
    }

    /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`, on every request, forever.
    pub fn redirect(status: u16, location: &str) -> Fault {
        Fault {
            headers: vec![("Location".to_owned(), location.to_owned())],
            ..Fault::answer(status)
        }
    }

    /// The connection closed without an answer, on every request, forever.
    pub fn dropped_connection() -> Fault {
        Fault {
            drop_connection: true,
            ..Fault::answer(200)
        }
    }

    /// The same answer, given after the handler has stored the request's effect.
    pub fn after_handler(self) -> Fault {
        Fault {
            when: FaultTiming::After,
            ..self
        }
    }

    /// Only for requests with this method (`A|B` for either) and a path containing `path`.
    pub fn on(self, method: &str, path_contains: &str) -> Fault {
        Fault {
            method: Some(method.to_owned()),
            path_contains: Some(path_contains.to_owned()),
            ..self
        }
    }

    /// The same answer, `delay_ms` milliseconds late.
    pub fn delayed(self, delay_ms: u64) -> Fault {
        Fault { delay_ms, ..self }
    }

    /// Only `times` matching requests.
    pub fn times(self, times: u32) -> Fault {
        Fault {
            times: Some(times),
            ..self
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|wanted| {
            wanted
                .split('|')
                .any(|m| m.trim().eq_ignore_ascii_case(method))
        });
        let path_ok = self
            .path_contains
            .as_deref()
            .is_none_or(|needle| path.contains(needle));
        method_ok && path_ok && self.times != Some(0)
    }

    /// Checks what `IntoResponse` cannot report; used when a fault arrives over HTTP.
    pub(crate) fn check(&self) -> Result<(), String> {
        StatusCode::from_u16(self.status).map_err(|e| format!("status: {e}"))?;
        for (name, value) in &self.headers {
            HeaderName::try_from(name.as_str()).map_err(|e| format!("header `{name}`: {e}"))?;
            HeaderValue::try_from(value.as_str()).map_err(|e| format!("header `{name}`: {e}"))?;
        }
        Ok(())
    }
}

impl Fault {
    /// The answer, once `delay_ms` has passed. A client that gave up meanwhile closed its end;
    /// the answer then goes nowhere, and the log shows the status it would have had.
    async fn delayed_response(self) -> Response {
        if self.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        }
        self.into_response()
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        if self.drop_connection {
            // Headers may already be on their way; the failing body makes the server close the
            // connection, so the client never reads a complete answer.
            let mut response = Response::new(Body::new(BrokenBody));
            response.extensions_mut().insert(Dropped);
            return response;
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = if let Some(raw) = self.raw_body {
            (status, raw).into_response()
        } else if self.body.is_null() {
            status.into_response()
        } else {
            (status, axum::Json(self.body)).into_response()
        };
        if self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// A token bucket shared by all platform requests: it holds at most `burst = ceil(rate)` tokens,
/// starts full and refills continuously at `rate` tokens per second; each request takes one.
/// Rejected requests take nothing.
pub(crate) struct RateLimit {
    platform: Platform,
    rate: f64,
    burst: f64,
    /// Tokens left and when they were counted.
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimit {
    /// `rate` requests per second; it must be a positive, finite number.
    pub fn new(platform: Platform, rate: f64) -> Result<RateLimit, String> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!(
                "the rate limit must be a positive number of requests per second, not {rate}"
            ));
        }
        let burst = rate.ceil();
        Ok(RateLimit {
            platform,
            rate,
            burst,
            bucket: Mutex::new((burst, Instant::now())),
        })
    }

    /// Takes a token at `now`, or says how long until one is available.
    fn take_at(&self, now: Instant) -> Result<(), Duration> {
        let mut bucket = lock(&self.bucket);
        let (tokens, counted) = *bucket;
        let elapsed = now.saturating_duration_since(counted).as_secs_f64();
        let available = (tokens + elapsed * self.rate).min(self.burst);
        // A hair of tolerance, so that float rounding never refuses a request that arrives
        // exactly one interval after the previous one.
        if available >= 1.0 - 1e-9 {
            *bucket = ((available - 1.0).max(0.0), now);
            Ok(())
        } else {
            *bucket = (available, now);
            Err(Duration::from_secs_f64((1.0 - available) / self.rate))
        }
    }

    /// The platform's 429. HasMCP CE answers from its Fiber limiter with a literal body and no
    /// JSON content type, plus `Retry-After`; Klavis documents no `Retry-After`, so none is sent.
    fn rejection(&self, wait: Duration) -> Response {
        let retry_after_secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut fault = Fault::rate_limited(self.platform, retry_after_secs);
        match self.platform {
            Platform::Klavis => fault.headers.clear(),
            Platform::Hasmcp => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    HASMCP_RATELIMITED,
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            Platform::Pais | Platform::Idun => {}
        }
        fault.into_response()
    }
}

/// Marks a response that closes the connection instead of answering (logged with status 0).
#[derive(Clone, Copy)]
struct Dropped;

/// A response body that fails at once: the server closes the connection mid-response.
struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulator fault: connection dropped",
        ))))
    }
}

/// HasMCP CE's limiter answer, byte for byte.
const HASMCP_RATELIMITED: &str = r#"{"error": {"message":"ratelimited", "code":429}}"#;

/// The request log, the rate limit and the fault queue of one emulator.
#[derive(Default)]
pub(crate) struct Traffic {
    log: Mutex<Vec<(u64, RecordedRequest)>>,
    next_seq: AtomicU64,
    /// Requests being handled right now.
    in_flight: AtomicU32,
    faults: Mutex<VecDeque<Fault>>,
    limit: Option<RateLimit>,
    /// Milliseconds every platform request waits before it is handled (a slow platform).
    latency_ms: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    fn begin(&self, request: RecordedRequest) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        lock(&self.log).push((seq, request));
        seq
    }

    fn finish(&self, seq: u64, status: u16) {
        // The entry may be gone if the log was cleared while the request was in flight.
        if let Some((_, entry)) = lock(&self.log).iter_mut().find(|(s, _)| *s == seq) {
            entry.status = status;
        }
    }

    /// Takes the first queued fault matching the request, using up one of its `times`.
    fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_matching_by_method_alternatives_and_path() {
        let fault = Fault::idun_reload_failed();
        assert!(fault.matches("PATCH", "/admin/api/v1/mcp-servers/x"));
        assert!(fault.matches("post", "/admin/api/v1/mcp-servers"));
        assert!(!fault.matches("GET", "/admin/api/v1/mcp-servers"));
        assert!(!fault.matches("POST", "/admin/api/v1/auth/login"));
    }

    #[test]
    fn counted_faults_are_used_up_in_queue_order() {
        let traffic = Traffic::default();
        let mut first = Fault::unavailable(Platform::Pais);
        first.times = Some(2);
        traffic.inject(first);
        traffic.inject(Fault::rate_limited(Platform::Pais, 1));
        assert_eq!(traffic.take_fault("GET", "/").unwrap().status, 503);
        assert_eq!(traffic.take_fault("GET", "/").unwrap().status, 503);
        assert_eq!(traffic.take_fault("GET", "/").unwrap().status, 429);
        assert!(traffic.take_fault("GET", "/").is_none());
    }

    #[test]
    fn forever_faults_stay() {
        let traffic = Traffic::default();
        traffic.inject(Fault::unavailable(Platform::Idun));
        for _ in 0..5 {
            assert_eq!(traffic.take_fault("DELETE", "/x").unwrap().status, 503);
        }
    }

    #[test]
    fn zero_times_never_fires() {
        let traffic = Traffic::default();
        let mut fault = Fault::unavailable(Platform::Pais);
        fault.times = Some(0);
        traffic.inject(fault);
        assert!(traffic.take_fault("GET", "/").is_none());
    }

    #[test]
    fn bucket_allows_a_burst_of_ceil_rate_then_refills_at_rate() {
        let limit = RateLimit::new(Platform::Klavis, 2.0).unwrap();
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(limit.take_at(at(0)).is_ok());
        assert!(limit.take_at(at(0)).is_ok());
        let wait = limit.take_at(at(0)).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // A refused request takes nothing: a quarter second later half a token has come back.
        let wait = limit.take_at(at(250)).unwrap_err();
        assert!((wait.as_secs_f64() - 0.25).abs() < 1e-6, "{wait:?}");
        assert!(limit.take_at(at(500)).is_ok());
        // Evenly spaced at the rate, requests never run out, even with no burst left.
        for i in 1..=10 {
            assert!(limit.take_at(at(500 + i * 500)).is_ok(), "request {i}");
        }
        // A long pause refills only up to the burst.
        assert!(limit.take_at(at(60_000)).is_ok());
        assert!(limit.take_at(at(60_000)).is_ok());
        assert!(limit.take_at(at(60_000)).is_err());
    }

    #[test]
    fn fractional_rates_round_the_burst_up() {
        let limit = RateLimit::new(Platform::Pais, 0.5).unwrap();
        let t0 = Instant::now();
        assert!(limit.take_at(t0).is_ok());
        assert_eq!(limit.take_at(t0).unwrap_err(), Duration::from_secs(2));
        assert!(limit.take_at(t0 + Duration::from_secs(2)).is_ok());
        let limit = RateLimit::new(Platform::Pais, 2.5).unwrap();
        assert!((0..3).all(|_| limit.take_at(t0).is_ok()));
        assert!(limit.take_at(t0).is_err());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RateLimit::new(Platform::Pais, bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_delayed_fault_answers_only_after_its_delay() {
        let started = Instant::now();
        let response = Fault::silent(150).delayed_response().await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(started.elapsed() >= Duration::from_millis(150));
        let response = Fault::answer(503).delayed_response().await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn delay_is_optional_over_http_and_left_out_when_zero() {
        let fault: Fault = serde_json::from_value(json!({ "status": 200 })).unwrap();
        assert_eq!(fault.delay_ms, 0);
        assert!(
            !serde_json::to_value(&fault)
                .unwrap()
                .as_object()
                .unwrap()
                .contains_key("delay_ms")
        );
        let fault: Fault =
            serde_json::from_value(json!({ "status": 200, "delay_ms": 2000 })).unwrap();
        assert_eq!(fault, Fault::silent(2000));
    }

    #[test]
    fn check_rejects_bad_status_and_headers() {
        let mut fault = Fault::unavailable(Platform::Pais);
        assert!(fault.check().is_ok());
        fault.status = 42;
        assert!(fault.check().is_err());
        fault.status = 500;
        fault
            .headers
            .push(("bad header".to_owned(), "x".to_owned()));
        assert!(fault.check().is_err());
    }
}
