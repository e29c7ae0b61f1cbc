//! The optional rate limit: a token bucket, and each platform's 429.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Fault, lock};
use crate::Platform;

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
    pub(super) fn take_at(&self, now: Instant) -> Result<(), Duration> {
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
    pub(super) fn rejection(&self, wait: Duration) -> Response {
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

/// HasMCP CE's limiter answer, byte for byte.
const HASMCP_RATELIMITED: &str = r#"{"error": {"message":"ratelimited", "code":429}}"#;
