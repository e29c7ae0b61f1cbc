//! `cargo bench --bench plan`: the fleet-scale targets (issue #12), each measured once and
//! printed as one Markdown table beside its bound and the ratio to it. The `mcpform` binary runs
//! as a user runs it (config load, state, fetch, diff, render: CPU and peak RSS are the child's
//! own, from `wait4`) against emulators started in this process, with 20 ms of latency where a
//! target says so; the bound of a PAIS plan is a minimal client in this process that sends the
//! same list requests and only parses the answers.
//!
//! `-- render`: only the Markdown/JSON rendering costs at 1,000 / 5,000 / 10,000 changes.
//! `-- details`: fetch and diff per phase in-process, one Argon2id fingerprint, and plans of
//! 1,000 servers with recorded secret headers.

use std::time::Instant;

use mcpform::config::model::{Platform, ProviderConfig};
use mcpform::diff::{PlanScope, plan_resources};
use mcpform::fingerprint::{Fingerprinter, KdfParams};
use mcpform::http::ClientSettings;
use mcpform::mask::Secrets;
use mcpform::plan::{Action, FieldChange, Method, Plan, Request, ResourceChange};
use mcpform::render;
use mcpform::state::State;
use mcpform_emulator::{EmulatorAuth, EmulatorOptions};
use serde_json::json;

mod targets;

/// A PAIS emulator seeded with `live`, and the PAIS provider configured with `servers` against
/// it (with the desired resources). Keep the emulator alive while the provider is used.
async fn pais_against_emulator(
    live: Vec<serde_json::Value>,
    servers: Vec<serde_json::Value>,
) -> (
    mcpform_emulator::RunningEmulator,
    Box<dyn mcpform::provider::Provider>,
    Vec<mcpform::diff::DesiredResource>,
) {
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
    let config: ProviderConfig = serde_json::from_value(
        json!({"platform": "pais", "name": "pais", "endpoint": running.url(), "servers": servers}),
    )
    .unwrap();
    let provider = mcpform::provider::connect(
        &config,
        None,
        &ClientSettings::default(),
        &Secrets::default(),
    )
    .unwrap();
    let desired = mcpform::provider::desired_resources(&config);
    (running, provider, desired)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    if std::env::args().any(|a| a == "render") {
        render_costs();
        return;
    }
    if std::env::args().any(|a| a == "details") {
        details();
        return;
    }
    targets::run();
}

/// Fetch and diff per phase, in-process, then fingerprints and secret headers.
fn details() {
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
            let (running, provider, desired) = pais_against_emulator(live, servers).await;
            let secrets = Secrets::default();

            let started = Instant::now();
            let objects = provider.fetch_live(&desired, &[]).await.unwrap();
        let objects: Vec<_> = objects.into_iter().map(std::sync::Arc::new).collect();
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

/// `count` updates, each of one field with a body of a few hundred bytes (a size that varies,
/// so the cut has an order to follow), as the render tests make them.
pub(crate) fn plan_of(count: usize) -> Plan {
    let changes = (0..count)
        .map(|i| {
            let description = format!("description number {i} {}", "x".repeat(200 + i % 200));
            let id = format!("5d0c7b3e-1f7a-4c1e-9d2b-{i:012}");
            ResourceChange {
                address: format!("pais/servers/server{i:05}"),
                provider: "pais".into(),
                platform: Platform::Pais,
                action: if i % 10 == 0 {
                    Action::Create
                } else {
                    Action::Update
                },
                remote_id: Some(id.clone()),
                prevent_destroy: false,
                fields: vec![FieldChange {
                    path: "description".into(),
                    before: Some(json!("old")),
                    after: Some(json!(description)),
                    sensitive: false,
                    write_only: false,
                    note: None,
                }],
                request: Some(Request {
                    method: Method::Patch,
                    path: format!("/api/v1/control/mcp-servers/{id}"),
                    body: json!({"description": description}),
                    sensitive: Vec::new(),
                }),
                follow_ups: Vec::new(),
                state_after: None,
                live: None,
            }
        })
        .collect();
    Plan {
        kept: Vec::new(),
        gone: Vec::new(),
        changes,
    }
}

/// Least wall time of `runs` calls of `f` (single-threaded, so about its CPU time), in ms,
/// and the bytes it wrote.
pub(crate) fn best_of(runs: usize, mut f: impl FnMut(&mut Vec<u8>)) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..runs {
        let mut out = Vec::new();
        let started = Instant::now();
        f(&mut out);
        best = best.min(started.elapsed().as_secs_f64() * 1e3);
        bytes = out.len();
    }
    (best, bytes)
}

/// Markdown uncut and cut to the default budget, and JSON, of 1,000 / 5,000 / 10,000 changes.
fn render_costs() {
    let secrets = Secrets::default();
    for count in [1_000usize, 5_000, 10_000] {
        let plan = plan_of(count);
        let (uncut, uncut_bytes) = best_of(3, |out| {
            render::render_markdown(&plan, &secrets, "bench", usize::MAX, out).unwrap()
        });
        let (cut, cut_bytes) = best_of(3, |out| {
            render::render_markdown(&plan, &secrets, "bench", render::DEFAULT_MAX_BYTES, out)
                .unwrap()
        });
        let (json, json_bytes) =
            best_of(3, |out| render::render_json(&plan, &secrets, out).unwrap());
        println!(
            "{count:>6} changes: markdown uncut {uncut:>8.1} ms ({:.1} MB), cut {cut:>8.1} ms ({cut_bytes} B), \
             cut/uncut {:.2}× (target ≤ 1.5×); json {json:>7.1} ms ({:.1} MB, target < 1000 ms)",
            uncut_bytes as f64 / 1e6,
            cut / uncut,
            json_bytes as f64 / 1e6,
        );
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
        let (running, provider, desired) = pais_against_emulator(live, servers).await;
        let secrets = Secrets::default();
        let objects = provider.fetch_live(&desired, &[]).await.unwrap();
        let objects: Vec<_> = objects.into_iter().map(std::sync::Arc::new).collect();

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
        let objects = provider.fetch_live(&desired, &[]).await.unwrap();
        let objects: Vec<_> = objects.into_iter().map(std::sync::Arc::new).collect();
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
