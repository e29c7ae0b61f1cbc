//! Plan throughput: fetch and diff N live PAIS servers (all configured, a tenth of them
//! differing) against the emulator on loopback, end to end through the HTTP client; then the
//! cost of one Argon2id fingerprint and the diff of 1,000 servers with secret headers whose
//! fingerprints are all recorded (one shared secret value, then 1,000 distinct ones).
//! Run: `cargo bench --bench plan`. Prints wall time per phase and peak RSS.

use std::time::Instant;

use mcpform::config::model::{Platform, ProviderConfig};
use mcpform::diff::{PlanScope, plan_resources};
use mcpform::fingerprint::{Fingerprinter, KdfParams};
use mcpform::http::ClientSettings;
use mcpform::mask::Secrets;
use mcpform::state::State;
use mcpform_emulator::{EmulatorAuth, EmulatorOptions};
use serde_json::json;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for count in [100usize, 1_000, 5_000] {
        let live: Vec<_> = (0..count)
            .map(|i| json!({"name": format!("server{i:05}"), "url": format!("https://mcp.example.com/{i}"), "transport": "SSE"}))
            .collect();
        let servers: Vec<_> = (0..count)
            .map(|i| {
                let transport = if i % 10 == 0 { "STREAMABLE_HTTP" } else { "SSE" };
                json!({"name": format!("server{i:05}"), "url": format!("https://mcp.example.com/{i}"), "transport": transport})
            })
            .collect();
        runtime.block_on(async {
            let running = mcpform_emulator::start(EmulatorOptions {
                platform: mcpform_emulator::Platform::Pais,
                listen: "127.0.0.1:0".parse().unwrap(),
                data: None,
                seed: Some(json!({"servers": live})),
                auth: EmulatorAuth::None,
                rate_limit: None,
            })
            .await
            .unwrap();
            let config: ProviderConfig =
                serde_json::from_value(json!({"platform": "pais", "name": "pais", "endpoint": running.url(), "servers": servers}))
                    .unwrap();
            let secrets = Secrets::default();
            let settings = ClientSettings::default();
            let provider = mcpform::provider::connect(&config, None, &settings, &secrets).unwrap();
            let desired = mcpform::provider::desired_resources(&config);

            let started = Instant::now();
            let objects = provider.fetch_live(&desired).await.unwrap();
            let fetched = started.elapsed();
            let state = State::new();
            let scope = PlanScope { provider: "pais", platform: Platform::Pais, state: &state, secrets: &secrets };
            let started = Instant::now();
            let changes = plan_resources(provider.as_ref(), &scope, &desired, &objects).unwrap();
            let diffed = started.elapsed();
            let updates = changes.iter().filter(|c| c.request.is_some()).count();
            let requests = running.requests().len();
            println!(
                "{count:>5} servers: fetch {:>7.1} ms in {requests} request(s), diff {:>6.1} ms, {updates} updates; peak RSS {:.0} MiB",
                fetched.as_secs_f64() * 1e3,
                diffed.as_secs_f64() * 1e3,
                peak_rss_mib().unwrap_or(f64::NAN),
            );
            running.shutdown().await;
        });
    }
    fingerprint_cost();
    for distinct in [false, true] {
        secret_headers(&runtime, 1_000, distinct);
    }
}

/// Median wall time of one Argon2id derivation with the default parameters, over 20.
fn fingerprint_cost() {
    let kdf = Fingerprinter::new(KdfParams::new()).unwrap();
    let mut times: Vec<f64> = (0..20)
        .map(|i| {
            let started = Instant::now();
            kdf.token(&format!("{i:06}"));
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let params = kdf.params();
    println!(
        "argon2id m={} KiB t={} p={}: {:.1} ms per fingerprint (median of 20, min {:.1}, max {:.1})",
        params.m, params.t, params.p, times[10], times[0], times[19]
    );
}

/// `count` servers, each with a secret header (one value shared by all, or one each), all
/// recorded in the state: what a routine plan costs, fetch and diff.
fn secret_headers(runtime: &tokio::runtime::Runtime, count: usize, distinct: bool) {
    let live: Vec<_> = (0..count)
        .map(|i| json!({"name": format!("server{i:05}"), "url": format!("https://mcp.example.com/{i}"), "transport": "SSE"}))
        .collect();
    let servers: Vec<_> = (0..count)
        .map(|i| {
            let token = if distinct { format!("{i:06}") } else { "123456".into() };
            json!({"name": format!("server{i:05}"), "url": format!("https://mcp.example.com/{i}"), "transport": "SSE",
                   "headers": [{"name": "Authorization", "value": format!("Bearer {token}"), "secret": true}]})
        })
        .collect();
    runtime.block_on(async {
        let running = mcpform_emulator::start(EmulatorOptions {
            platform: mcpform_emulator::Platform::Pais,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: None,
            seed: Some(json!({"servers": live})),
            auth: EmulatorAuth::None,
            rate_limit: None,
        })
        .await
        .unwrap();
        let config: ProviderConfig =
            serde_json::from_value(json!({"platform": "pais", "name": "pais", "endpoint": running.url(), "servers": servers}))
                .unwrap();
        let secrets = Secrets::default();
        let settings = ClientSettings::default();
        let provider = mcpform::provider::connect(&config, None, &settings, &secrets).unwrap();
        let desired = mcpform::provider::desired_resources(&config);
        let objects = provider.fetch_live(&desired).await.unwrap();

        // Record every header as an apply would, then plan again with a fresh run's state.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut state = State::new();
        let scope = PlanScope { provider: "pais", platform: Platform::Pais, state: &state, secrets: &secrets };
        let first = plan_resources(provider.as_ref(), &scope, &desired, &objects).unwrap();
        for change in &first {
            state.set_record(&change.address, change.state_after.clone().unwrap());
        }
        state.save(&path).unwrap();

        let started = Instant::now();
        let objects = provider.fetch_live(&desired).await.unwrap();
        let fetched = started.elapsed();
        let state = State::load(&path).unwrap();
        let scope = PlanScope { provider: "pais", platform: Platform::Pais, state: &state, secrets: &secrets };
        let started = Instant::now();
        let changes = plan_resources(provider.as_ref(), &scope, &desired, &objects).unwrap();
        let diffed = started.elapsed();
        assert!(changes.iter().all(|c| c.request.is_none()), "every header recorded");
        println!(
            "{count:>5} servers with secret headers ({}): fetch {:>7.1} ms, diff {:>7.1} ms ({} Argon2id); peak RSS {:.0} MiB",
            if distinct { "all distinct" } else { "one shared value" },
            fetched.as_secs_f64() * 1e3,
            diffed.as_secs_f64() * 1e3,
            state.derivations(),
            peak_rss_mib().unwrap_or(f64::NAN),
        );
        running.shutdown().await;
    });
}
