//! When to retry a failed request, and how long to wait first.
//!
//! Retries only what is safe: a rejected request (429, refused connection) can always be
//! re-sent; server errors (503 included: a proxy may send it after the platform stored the
//! write) and timeouts only when the request is idempotent, because the platform may have
//! applied it. The platform's `Retry-After` wins over our own backoff.

use std::time::{Duration, SystemTime};

/// The longest `Retry-After` mcpform waits for; a platform asking for more gets an error instead.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// When and how long to wait before sending a request again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each one after.
    pub base_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The server refused the request without processing it (429).
    Rejected,
    /// A server error after which the request may or may not have been applied.
    ServerError,
    /// The connection could not be made; nothing was sent.
    ConnectFailed,
    /// Timed out or broke mid-flight; the request may have been applied.
    Interrupted,
}

impl RetryPolicy {
    /// Whether attempt number `attempt` may be followed by another.
    pub fn should_retry(&self, outcome: Outcome, idempotent: bool, attempt: u32) -> bool {
        attempt <= self.max_retries
            && match outcome {
                Outcome::Rejected | Outcome::ConnectFailed => true,
                Outcome::ServerError | Outcome::Interrupted => idempotent,
            }
    }

    /// Exponential backoff with jitter in [½, 1] of the step, so parallel clients spread out.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        step.min(self.max_delay)
            .mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Parses `Retry-After` as delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A random number in [0, 1) from the operating system.
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_and_unconnected_requests_retry_even_when_not_idempotent() {
        let policy = RetryPolicy::default();
        assert!(policy.should_retry(Outcome::Rejected, false, 1));
        assert!(policy.should_retry(Outcome::ConnectFailed, false, 1));
        assert!(!policy.should_retry(Outcome::ServerError, false, 1));
        assert!(!policy.should_retry(Outcome::Interrupted, false, 1));
        assert!(policy.should_retry(Outcome::ServerError, true, 1));
    }

    #[test]
    fn retries_stop_after_the_limit() {
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        assert!(policy.should_retry(Outcome::Rejected, true, 2));
        assert!(!policy.should_retry(Outcome::Rejected, true, 3));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_keeps_jitter_within_half() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(250));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(30, 1.0), Duration::from_secs(10));
        assert_eq!(policy.backoff(3, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
