//! A client-side request-rate limit (per provider), so mcpform stays under a platform's quota
//! instead of discovering it through 429s.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `rate` requests a second with a burst of `ceil(rate)`, as the platforms' token
/// buckets allow (Klavis: 2 a second, 2 at once): the first request goes at once, the rest of
/// the burst a tenth of an interval later, then one every interval. That tenth is the margin
/// for a request reaching the platform sooner after the first than it was sent (the first one
/// also opened the connection): without it, the platform's bucket would be a hair short of a
/// token at every request after the burst. Shared by every request of one client; first come
/// first served.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of the steady rate the schedule may run: `(burst - 1)` intervals, less
    /// the margin.
    tolerance: Duration,
    /// When the next request would be due at the steady rate (the "theoretical arrival time"
    /// of the generic cell rate algorithm); `None` until the first request, so a client built
    /// long before it sends starts with a full burst.
    due: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `rate` requests a second.
    pub fn per_second(rate: f64) -> RateLimiter {
        let interval = Duration::from_secs_f64(1.0 / rate);
        let burst = rate.ceil().max(1.0);
        RateLimiter {
            interval,
            tolerance: interval.mul_f64((burst - 1.1).max(0.0)),
            due: Mutex::new(None),
        }
    }

    /// Waits for the request's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut due = self.due.lock().await;
            let now = Instant::now();
            let theoretical = due.map_or(now, |d| d.max(now));
            let slot = theoretical
                .checked_sub(self.tolerance)
                .map_or(now, |earliest| earliest.max(now));
            *due = Some(theoretical + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_slots_are_spaced_by_the_interval() {
        let limiter = RateLimiter::per_second(2.0);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..5 {
            limiter.acquire().await;
            sent.push(start.elapsed().as_millis());
        }
        assert_eq!(sent, [0, 50, 550, 1050, 1550]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_gets_its_burst_back_but_no_more() {
        let limiter = RateLimiter::per_second(2.0);
        for _ in 0..4 {
            limiter.acquire().await;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(550));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_below_one_a_second_has_no_burst() {
        let limiter = RateLimiter::per_second(0.5);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    }
}
