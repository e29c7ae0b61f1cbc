//! Plan throughput: fetch and diff N live PAIS servers (all configured, a tenth of them
//! differing) against the emulator on loopback, end to end through the HTTP client.
//! Run: `cargo bench --bench plan`. Prints wall time per phase and peak RSS.

use std::time::Instant;

use mcpform::config::model::{Platform, ProviderConfig};
use mcpform::diff::{PlanScope, plan_resources};
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
}
