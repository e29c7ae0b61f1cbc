//! Helpers for the emulator's own tests: start one on an ephemeral port, send, read JSON.

use serde_json::Value;

use crate::{EmulatorAuth, EmulatorOptions, Platform, RunningEmulator, start};

pub async fn start_emulator(
    platform: Platform,
    seed: Option<Value>,
    auth: EmulatorAuth,
) -> RunningEmulator {
    start(EmulatorOptions {
        platform,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: None,
        seed,
        auth,
        rate_limit: None,
    })
    .await
    .expect("emulator starts")
}

/// Like [`start_emulator`], with a rate limit in requests per second.
pub async fn start_limited(
    platform: Platform,
    seed: Option<Value>,
    auth: EmulatorAuth,
    rate: f64,
) -> RunningEmulator {
    start(EmulatorOptions {
        platform,
        listen: "127.0.0.1:0".parse().unwrap(),
        data: None,
        seed,
        auth,
        rate_limit: Some(rate),
    })
    .await
    .expect("emulator starts")
}

/// A client builder. The workspace builds reqwest without a TLS provider of its own
/// (`rustls-no-provider`), so ring's is installed first, as mcpform does at startup.
pub fn client_builder() -> reqwest::ClientBuilder {
    // Err: already installed (by an earlier test).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

pub fn client() -> reqwest::Client {
    client_builder().cookie_store(true).build().unwrap()
}

/// Status and JSON body (`Null` when the body is empty).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}
