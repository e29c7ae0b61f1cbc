//! Fleet-scale reads: bounded and rate-limited HasMCP fetches, Klavis plans that read only what
//! can change them, and the emulator's latency option.

use std::io::{BufRead, BufReader};

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

/// `count` HasMCP servers, live and configured alike.
fn hasmcp_fleet(count: usize) -> (serde_json::Value, String) {
    let live: Vec<_> = (0..count)
        .map(|i| json!({"id": format!("s{i:010}"), "name": format!("server{i}"), "version": 1}))
        .collect();
    let configured = (0..count)
        .map(|i| format!("      - name: server{i}\n"))
        .collect();
    (json!({ "servers": live }), configured)
}

#[test]
fn hasmcp_reads_stay_within_parallelism_and_ride_out_the_platforms_429s() {
    let (live, configured) = hasmcp_fleet(40);
    let hasmcp = Emulator::start_limited(Platform::Hasmcp, live, 10.0);
    let work = Workdir::new(&config(&[hasmcp_provider(&hasmcp.url(), &configured)]));

    let run = work.run(&["plan", "--parallelism", "3"]);
    run.expect_code(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    let requests = hasmcp.requests();
    let rejected = requests.iter().filter(|r| r.status == 429).count();
    assert!(rejected > 0, "the fleet outran 10 requests a second");
    for i in 0..40 {
        let path = format!("/servers/s{i:010}");
        assert!(
            requests.iter().any(|r| r.path == path && r.status == 200),
            "{path} was read in the end"
        );
    }
    let busiest = requests.iter().map(|r| r.in_flight).max().unwrap();
    assert!(
        busiest < 3,
        "at most 3 reads at once, but one arrived with {busiest} others in flight"
    );
}

#[test]
fn a_configured_rate_under_the_platforms_limits_reads_too() {
    let (live, configured) = hasmcp_fleet(20);
    let hasmcp = Emulator::start_limited(Platform::Hasmcp, live, 10.0);
    let block = hasmcp_provider(&hasmcp.url(), &configured).replacen(
        "    servers:",
        "    rate_limit: 8\n    servers:",
        1,
    );
    let work = Workdir::new(&config(&[block]));

    work.run(&["plan"]).expect_code(0);
    let requests = hasmcp.requests();
    assert_eq!(requests.len(), 21, "one list and 20 reads, none re-sent");
    assert!(requests.iter().all(|r| r.status == 200));
}

const IDS: [&str; 3] = [
    "3c90c3cc-0d44-4b50-8888-000000000001",
    "3c90c3cc-0d44-4b50-8888-000000000002",
    "3c90c3cc-0d44-4b50-8888-000000000003",
];

fn klavis_instances(read_only: [bool; 3]) -> String {
    IDS.iter()
        .zip(read_only)
        .map(|(id, read_only)| format!("      - id: {id}\n        read_only: {read_only}\n"))
        .collect()
}

#[test]
fn klavis_plans_read_nothing_and_drift_still_finds_a_deleted_instance() {
    let live: Vec<_> = IDS
        .iter()
        .map(|id| json!({"instanceId": id, "serverName": "GitHub", "externalUserId": "user-1", "isReadOnly": false}))
        .collect();
    let klavis = Emulator::start(Platform::Klavis, json!({ "instances": live }));
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        &klavis_instances([true; 3]),
    )]));

    // Three changes cost their three PATCHes and nothing else.
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let sent: Vec<String> = klavis.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(sent, ["PATCH"; 3]);

    // In sync with the state: nothing at all.
    klavis.clear_requests();
    let plan = work.run(&["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert_eq!(klavis.requests(), [], "a plan in sync sends nothing");

    // Deleted behind mcpform's back, then changed in the config: the plan cannot know, the
    // PATCH finds out and changes nothing, and drift reads every instance and reports it.
    let mut state = klavis.state();
    state["instances"].as_array_mut().unwrap().remove(2);
    klavis.set_state(state);
    work.write_config(&config(&[klavis_provider(
        &klavis.url(),
        &klavis_instances([true, true, false]),
    )]));
    // Each run starts with the platform's burst of 2: let its bucket refill after the last one.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let apply = work.run(&["apply", "--auto-approve"]);
    snapshot!(apply, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # klavis/instances/3c90c3cc-0d44-4b50-8888-000000000003 will be updated in place
      ~ klavis/instances/3c90c3cc-0d44-4b50-8888-000000000003 (id 3c90c3cc-0d44-4b50-8888-000000000003)
          ~ read_only = (write-only) → false
              # not readable from the platform; differs from what mcpform last applied

    Plan: 0 to create, 1 to update, 0 to delete; 2 unchanged.

    ✗ klavis/instances/3c90c3cc-0d44-4b50-8888-000000000003: update failed, left untouched: PATCH http://127.0.0.1:[PORT]/mcp-server/instance/3c90c3cc-0d44-4b50-8888-000000000003 answered HTTP 404: Instance not found

    Apply incomplete: 0 applied, 1 failed.
    ----- stderr -----
    mcpform::apply::failed

      × 1 of 1 resource failed to apply
      help: fix the cause, then re-run `mcpform apply`: resources already applied show no changes

    [exit status: 1]
    ");
    work.write_config(&config(&[klavis_provider(
        &klavis.url(),
        &klavis_instances([true; 3]),
    )]));
    klavis.clear_requests();
    let drift = work.run(&["drift"]);
    let mut reads: Vec<String> = klavis.requests().into_iter().map(|r| r.path).collect();
    reads.sort();
    reads.dedup();
    assert_eq!(reads.len(), 3, "drift reads every instance: {reads:?}");
    snapshot!(drift, @r"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::id_not_found

      × `klavis/instances/3c90c3cc-0d44-4b50-8888-000000000003`: no live object has id `3c90c3cc-0d44-
      │ 4b50-8888-000000000003`
      help: check the id on the platform; it may have been deleted. Where a resource also has a
            `name`, removing `id` matches it by name instead (and creates it when missing)

    [exit status: 1]
    ");
}

#[test]
fn emulate_latency_delays_every_answer() {
    let work = Workdir::new(&config(&[pais_provider(
        "http://127.0.0.1:1",
        "      - { name: one, url: \"https://one.example/mcp\", transport: SSE }\n",
    )]));
    let mut emulator = work
        .command(&[
            "emulate",
            "--platform",
            "pais",
            "--listen",
            "127.0.0.1:0",
            "--latency",
            "300ms",
        ])
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_owned();
    let plan = work.run(&["plan", "-v", "--endpoint-override", &format!("pais={url}")]);
    let _ = emulator.kill();
    let _ = emulator.wait();
    plan.expect_code(0);
    let logged: Vec<u64> = plan
        .stderr
        .lines()
        .filter_map(|line| line.strip_suffix(" ms)")?.rsplit('(').next()?.parse().ok())
        .collect();
    assert!(!logged.is_empty(), "{}", plan.stderr);
    assert!(
        logged.iter().all(|ms| *ms >= 300),
        "every answer came after the latency: {logged:?}"
    );
}
