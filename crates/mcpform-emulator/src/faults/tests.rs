//! Tests of fault matching and queueing, the token bucket, delays, and fault checks.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::Platform;

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
    let fault: Fault = serde_json::from_value(json!({ "status": 200, "delay_ms": 2000 })).unwrap();
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
