//! The issue #12 targets: each figure measured once, printed beside its bound.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcpform::mask::Secrets;
use mcpform::render;
use mcpform_emulator::{EmulatorAuth, EmulatorOptions, Platform, RunningEmulator};
use serde_json::{Value, json};

/// The latency a "with latency" target adds to every request.
const LATENCY: Duration = Duration::from_millis(20);

/// One row of the table: what was measured, the bound, and whether it holds.
struct Row {
    target: String,
    measured: String,
    bound: String,
    /// Measured over bound: at most 1 when the target holds.
    ratio: f64,
}

impl Row {
    fn new(target: impl Into<String>, measured: String, bound: String, ratio: f64) -> Row {
        Row {
            target: target.into(),
            measured,
            bound,
            ratio,
        }
    }
}

/// How one run of the binary went, from `wait4`.
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_mib: f64,
    code: i32,
}

/// Runs `mcpform ARGS` in `dir` (stdout discarded, as a pipe into a file would be), and
/// measures it.
// The child is reaped by `wait4`, which also gives its own CPU time and peak RSS.
#[allow(clippy::zombie_processes)]
fn mcpform(dir: &Path, args: &[&str]) -> Measured {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_mcpform"))
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .env("BENCH_TOKEN", "bench-token")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mcpform binary runs");
    let pid = child.id() as libc::pid_t;
    // stderr is small (warnings, an error); read it after the exit, into the report.
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet reaped; `status` and `usage` outlive the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 reaps the child");
    let wall = started.elapsed();
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    if code != 0 && code != 2 {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.unwrap(), &mut stderr).ok();
        eprintln!("mcpform {args:?} exited {code}:\n{stderr}");
    }
    Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        code,
    }
}

fn emulator(
    runtime: &tokio::runtime::Runtime,
    platform: Platform,
    seed: Value,
    rate_limit: Option<f64>,
) -> RunningEmulator {
    runtime
        .block_on(mcpform_emulator::start(EmulatorOptions {
            platform,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: None,
            seed: Some(seed),
            auth: EmulatorAuth::None,
            rate_limit,
        }))
        .expect("the emulator starts")
}

/// A working directory holding `mcpform.yaml` with one provider block.
fn workdir(provider: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcpform.yaml"),
        format!("version: 1\nproviders:\n{provider}"),
    )
    .unwrap();
    dir
}

/// `count` live PAIS servers.
fn pais_live(count: usize) -> Value {
    let live: Vec<_> = (0..count)
        .map(|i| json!({"name": format!("server{i:05}"), "url": format!("https://mcp.example.com/{i}"), "transport": "SSE", "description": format!("Server number {i}")}))
        .collect();
    json!({ "servers": live })
}

/// The config of `pais_live(count)` at `url`, where every `differ`-th server differs.
fn pais_config(url: &str, count: usize, differ: usize) -> String {
    let mut config = format!(
        "  - name: pais\n    platform: pais\n    endpoint: {url}\n    auth: {{ bearer: \"${{BENCH_TOKEN}}\" }}\n    servers:\n"
    );
    for i in 0..count {
        let transport = if i % differ == 0 {
            "STREAMABLE_HTTP"
        } else {
            "SSE"
        };
        config.push_str(&format!(
            "      - name: server{i:05}\n        url: https://mcp.example.com/{i}\n        transport: {transport}\n        description: Server number {i}\n"
        ));
    }
    config
}

/// What the PAIS list allows at best: the same pages mcpform reads, one after the other (each
/// needs the cursor of the one before), each parsed and nothing else done.
async fn minimal_pais_client(url: &str) -> usize {
    let client = reqwest::Client::new();
    let mut after: Option<String> = None;
    let mut servers = 0;
    loop {
        let mut request = client
            .get(format!("{url}/api/v1/control/mcp-servers"))
            .bearer_auth("bench-token")
            .query(&[("limit", "999"), ("order", "asc")]);
        if let Some(cursor) = &after {
            request = request.query(&[("after", cursor)]);
        }
        let body = request.send().await.unwrap().bytes().await.unwrap();
        let page: Value = serde_json::from_slice(&body).unwrap();
        servers += page["data"].as_array().map_or(0, Vec::len);
        match (page["has_more"].as_bool(), page["last_id"].as_str()) {
            (Some(true), Some(cursor)) => after = Some(cursor.to_owned()),
            _ => return servers,
        }
    }
}

/// The median of three runs of `f`.
fn median_of_3<T>(mut f: impl FnMut() -> T, key: impl Fn(&T) -> Duration) -> T {
    let mut runs: Vec<T> = (0..3).map(|_| f()).collect();
    runs.sort_by_key(&key);
    runs.swap_remove(1)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// PAIS plans at 100 / 1,000 / 10,000 servers with latency, against the minimal client; CPU per
/// resource and peak RSS of the 10,000.
fn pais_plans(runtime: &tokio::runtime::Runtime, rows: &mut Vec<Row>) -> Duration {
    let mut plan_of_100 = Duration::ZERO;
    for count in [100usize, 1_000, 10_000] {
        let running = emulator(runtime, Platform::Pais, pais_live(count), None);
        running.set_latency(LATENCY);
        let dir = workdir(&pais_config(&running.url(), count, 10));
        let plan = median_of_3(|| mcpform(dir.path(), &["plan"]), |m| m.wall);
        assert_eq!(plan.code, 0, "the plan of {count} succeeds");
        let minimal = median_of_3(
            || {
                let started = Instant::now();
                let read = runtime.block_on(minimal_pais_client(&running.url()));
                assert_eq!(read, count);
                started.elapsed()
            },
            |d| *d,
        );
        let pages = match count.div_ceil(999) {
            1 => "1 list request".to_owned(),
            n => format!("{n} list requests"),
        };
        let shown = match count {
            100 => "100",
            1_000 => "1,000",
            _ => "10,000",
        };
        rows.push(against_minimal(
            format!("PAIS plan, {shown} servers, 20 ms latency ({pages})"),
            &plan,
            minimal,
        ));
        if count == 100 {
            plan_of_100 = plan.wall;
        }
        if count == 10_000 {
            let per_resource = plan.cpu.as_secs_f64() * 1e6 / count as f64;
            rows.push(Row::new(
                "PAIS plan, 10,000 servers: CPU per resource, config load included",
                format!("{per_resource:.1} µs ({} CPU)", ms(plan.cpu)),
                "20 µs".into(),
                per_resource / 20.0,
            ));
            rows.push(Row::new(
                "PAIS plan, 10,000 servers: peak RSS",
                format!("{:.0} MiB", plan.peak_rss_mib),
                "100 MiB".into(),
                plan.peak_rss_mib / 100.0,
            ));
            managed_plan(dir.path(), minimal, rows);
        }
        runtime.block_on(running.shutdown());
    }
    plan_of_100
}

/// A plan's wall time against 1.5 × the minimal client's.
fn against_minimal(target: impl Into<String>, plan: &Measured, minimal: Duration) -> Row {
    let bound = minimal.mul_f64(1.5);
    Row::new(
        target,
        ms(plan.wall),
        format!("1.5 × minimal client {} = {}", ms(minimal), ms(bound)),
        plan.wall.as_secs_f64() / bound.as_secs_f64(),
    )
}

/// The plan of the 10,000 servers in `dir` once an apply has made every one managed: the
/// steady state of a fleet, whose state file names each server's id and address.
fn managed_plan(dir: &Path, minimal: Duration, rows: &mut Vec<Row>) {
    let apply = mcpform(dir, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "the apply of 1,000 changes succeeds");
    let plan = median_of_3(
        || mcpform(dir, &["plan", "--detailed-exitcode"]),
        |m| m.wall,
    );
    assert_eq!(plan.code, 0, "after the apply, the plan has nothing to do");
    rows.push(against_minimal(
        "PAIS plan, 10,000 servers all managed in the state (after an apply), 20 ms latency",
        &plan,
        minimal,
    ));
    let per_resource = plan.cpu.as_secs_f64() * 1e6 / 10_000.0;
    rows.push(Row::new(
        "PAIS plan, 10,000 servers all managed: CPU per resource, config load included",
        format!(
            "{per_resource:.1} µs ({} CPU, peak RSS {:.0} MiB)",
            ms(plan.cpu),
            plan.peak_rss_mib
        ),
        "20 µs".into(),
        per_resource / 20.0,
    ));
}

/// Markdown cut and uncut, and JSON, of 10,000 changes, in-process (single-threaded: wall time
/// is CPU time).
fn rendering(rows: &mut Vec<Row>) {
    let secrets = Secrets::default();
    let plan = super::plan_of(10_000);
    let (uncut, _) = super::best_of(3, |out| {
        render::render_markdown(&plan, &secrets, "bench", usize::MAX, out).unwrap()
    });
    let (cut, _) = super::best_of(3, |out| {
        render::render_markdown(&plan, &secrets, "bench", render::DEFAULT_MAX_BYTES, out).unwrap()
    });
    let (json, _) = super::best_of(3, |out| render::render_json(&plan, &secrets, out).unwrap());
    rows.push(Row::new(
        "Markdown of 10,000 changes, cut to 65,536 bytes: CPU against the uncut render",
        format!("{cut:.0} ms"),
        format!("1.5 × uncut {uncut:.0} ms = {:.0} ms", uncut * 1.5),
        cut / (uncut * 1.5),
    ));
    rows.push(Row::new(
        "Markdown of 10,000 changes (cut): CPU",
        format!("{cut:.0} ms"),
        "1,000 ms".into(),
        cut / 1000.0,
    ));
    rows.push(Row::new(
        "JSON of 10,000 changes: CPU",
        format!("{json:.0} ms"),
        "1,000 ms".into(),
        json / 1000.0,
    ));
}

/// A HasMCP plan of 1,000 servers against an emulator answering 429 beyond 100 requests a
/// second; mcpform as configured by default (no `rate_limit`).
fn hasmcp_plan(runtime: &tokio::runtime::Runtime, rows: &mut Vec<Row>) {
    const COUNT: usize = 1_000;
    let live: Vec<_> = (0..COUNT)
        .map(|i| json!({"id": format!("s{i:010}"), "name": format!("server{i}"), "version": 1}))
        .collect();
    let running = emulator(
        runtime,
        Platform::Hasmcp,
        json!({ "servers": live }),
        Some(100.0),
    );
    let mut config = format!(
        "  - name: hasmcp\n    platform: hasmcp\n    endpoint: {}\n    auth: {{ bearer: \"${{BENCH_TOKEN}}\" }}\n    servers:\n",
        running.url()
    );
    for i in 0..COUNT {
        config.push_str(&format!("      - name: server{i}\n"));
    }
    let dir = workdir(&config);
    let plan = mcpform(dir.path(), &["plan"]);
    let requests = running.requests();
    let rejected = requests.iter().filter(|r| r.status == 429).count();
    let unread = (0..COUNT)
        .filter(|i| {
            let path = format!("/servers/s{i:010}");
            !requests.iter().any(|r| r.path == path && r.status == 200)
        })
        .count();
    let bound = Duration::from_secs_f64(1.2 * COUNT as f64 / 100.0);
    rows.push(Row::new(
        format!(
            "HasMCP plan, 1,000 servers, platform limited to 100 requests/s (exit {}, {unread} servers unread, {rejected} answers 429 then retried)",
            plan.code
        ),
        secs(plan.wall),
        format!("1.2 × 1,000/100 s = {}", secs(bound)),
        if plan.code == 0 && unread == 0 {
            plan.wall.as_secs_f64() / bound.as_secs_f64()
        } else {
            f64::INFINITY
        },
    ));
    runtime.block_on(running.shutdown());
}

/// Klavis: an apply of 100 changes at the platform's 2 requests a second, then the plan of the
/// same 100 instances, now in sync.
fn klavis(runtime: &tokio::runtime::Runtime, rows: &mut Vec<Row>) {
    const COUNT: usize = 100;
    let ids: Vec<String> = (0..COUNT)
        .map(|i| format!("3c90c3cc-0d44-4b50-8888-{i:012}"))
        .collect();
    let live: Vec<_> = ids
        .iter()
        .map(|id| json!({"instanceId": id, "serverName": "GitHub", "externalUserId": "user-1", "isReadOnly": false}))
        .collect();
    let running = emulator(
        runtime,
        Platform::Klavis,
        json!({ "instances": live }),
        Some(2.0),
    );
    let mut config = format!(
        "  - name: klavis\n    platform: klavis\n    endpoint: {}\n    auth: {{ bearer: \"${{BENCH_TOKEN}}\" }}\n    instances:\n",
        running.url()
    );
    for id in &ids {
        config.push_str(&format!("      - id: {id}\n        read_only: true\n"));
    }
    let dir = workdir(&config);
    let apply = mcpform(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "the Klavis apply succeeds");
    // The platform's bucket: 2 at once, then one every half second.
    let patch_only = Duration::from_secs_f64((COUNT - 2) as f64 / 2.0);
    rows.push(Row::new(
        "Klavis apply, 100 changes, platform limited to 2 requests/s",
        secs(apply.wall),
        format!(
            "1.1 × PATCH-only limit {} = {}",
            secs(patch_only),
            secs(patch_only.mul_f64(1.1))
        ),
        apply.wall.as_secs_f64() / (1.1 * patch_only.as_secs_f64()),
    ));
    running.clear_requests();
    let plan = mcpform(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the Klavis instances are in sync");
    rows.push(Row::new(
        format!(
            "Klavis plan, 100 instances in sync ({} requests)",
            running.requests().len()
        ),
        ms(plan.wall),
        "2 s".into(),
        plan.wall.as_secs_f64() / 2.0,
    ));
    runtime.block_on(running.shutdown());
}

/// A PAIS apply of 100 changes at parallelism 8 with latency.
fn pais_apply(runtime: &tokio::runtime::Runtime, rows: &mut Vec<Row>, plan: Duration) {
    const COUNT: usize = 100;
    let running = emulator(runtime, Platform::Pais, pais_live(COUNT), None);
    running.set_latency(LATENCY);
    let dir = workdir(&pais_config(&running.url(), COUNT, 1));
    let apply = mcpform(
        dir.path(),
        &["apply", "--auto-approve", "--parallelism", "8"],
    );
    assert_eq!(apply.code, 0, "the PAIS apply succeeds");
    let writes = LATENCY * COUNT.div_ceil(8) as u32;
    let bound = writes.mul_f64(1.3) + plan;
    rows.push(Row::new(
        "PAIS apply, 100 changes, parallelism 8, 20 ms latency",
        ms(apply.wall),
        format!("1.3 × ⌈100/8⌉ × 20 ms + plan {} = {}", ms(plan), ms(bound)),
        apply.wall.as_secs_f64() / bound.as_secs_f64(),
    ));
    runtime.block_on(running.shutdown());
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Measures every target and prints the table.
pub fn run() {
    mcpform::http::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load_before = load_average();
    let mut rows = Vec::new();
    let plan_of_100 = pais_plans(&runtime, &mut rows);
    rendering(&mut rows);
    hasmcp_plan(&runtime, &mut rows);
    klavis(&runtime, &mut rows);
    pais_apply(&runtime, &mut rows, plan_of_100);
    println!(
        "mcpform {} on {cores} cores; 1-minute load average {load_before} before, {} after\n",
        env!("CARGO_PKG_VERSION"),
        load_average()
    );
    println!("| target | mcpform | bound | ratio | |");
    println!("|---|---:|---|---:|---|");
    for row in rows {
        let verdict = if row.ratio <= 1.0 { "ok" } else { "**over**" };
        println!(
            "| {} | {} | {} | {:.2} | {verdict} |",
            row.target, row.measured, row.bound, row.ratio
        );
    }
}
