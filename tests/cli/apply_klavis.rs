//! Klavis: `isReadOnly` is write-only; the state file decides when to send it.

use mcpform_emulator::Platform;
use serde_json::json;

use crate::support::*;

const ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

fn instance(id: &str) -> serde_json::Value {
    json!({"instanceId": id, "serverName": "GitHub", "externalUserId": "user-1", "isReadOnly": false})
}

#[test]
fn read_only_is_sent_once_and_again_after_the_state_is_lost() {
    let klavis = Emulator::start(Platform::Klavis, json!({"instances": [instance(ID)]}));
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        &format!("      - id: {ID}\n        read_only: true\n"),
    )]));

    let run = work.run(&["apply", "--auto-approve"]);
    snapshot!(run, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a will be updated in place
      ~ klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ read_only = (write-only) → true
              # not readable from the platform; the state file has no record of it

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.

    ✓ klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a: update applied

    Apply complete: 1 applied, 0 failed.
    [exit status: 0]
    ");
    let writes = klavis.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].path, format!("/mcp-server/instance/{ID}"));
    assert_eq!(writes[0].body, Some(json!({"isReadOnly": true})));
    assert_eq!(klavis.state()["instances"][0]["isReadOnly"], true);

    klavis.clear_requests();
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    assert!(
        klavis.writes().is_empty(),
        "the state file records what was sent"
    );

    std::fs::remove_file(work.state_file()).unwrap();
    let plan = work
        .run(&["plan", "--format", "json"])
        .expect_code(0)
        .json();
    let field = &plan["changes"][0]["fields"][0];
    assert_eq!(field["path"], "read_only");
    assert_eq!(field["write_only"], true);
    assert_eq!(field["before"], serde_json::Value::Null);
    assert_eq!(field["after"], true);
    assert_eq!(
        field["note"],
        "not readable from the platform; the state file has no record of it"
    );
    let text = work.run(&["plan"]);
    snapshot!(text, @"
    ----- stdout -----
    mcpform will perform the following actions:

      # klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a will be updated in place
      ~ klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a (id 3c90c3cc-0d44-4b50-8888-8dd25736052a)
          ~ read_only = (write-only) → true
              # not readable from the platform; the state file has no record of it

    Plan: 0 to create, 1 to update, 0 to delete; 0 unchanged.
    [exit status: 0]
    ");
}

#[test]
fn drift_reports_an_unknown_instance_naming_its_address() {
    let klavis = Emulator::start(Platform::Klavis, json!({"instances": []}));
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        &format!("      - id: {ID}\n        read_only: true\n"),
    )]));
    // Plans read no instance (a PATCH to a missing one fails on its own); drift reads each.
    let run = work.run(&["drift"]);
    snapshot!(run, @"
    ----- stderr -----
    mcpform::plan::failed

      × 1 problem stopped the plan; nothing was sent

    Error: mcpform::plan::id_not_found

      × `klavis/instances/3c90c3cc-0d44-4b50-8888-8dd25736052a`: no live object has id `3c90c3cc-0d44-
      │ 4b50-8888-8dd25736052a`
      help: check the id on the platform; it may have been deleted. Where a resource also has a
            `name`, removing `id` matches it by name instead (and creates it when missing)

    [exit status: 1]
    ");
}

#[test]
fn twenty_instances_apply_within_the_rate_limit_without_a_single_429() {
    let ids: Vec<String> = (0..20)
        .map(|i| format!("3c90c3cc-0d44-4b50-8888-{i:012}"))
        .collect();
    let klavis = Emulator::start(
        Platform::Klavis,
        json!({"instances": ids.iter().map(|id| instance(id)).collect::<Vec<_>>()}),
    );
    let instances: String = ids
        .iter()
        .map(|id| format!("      - id: {id}\n        read_only: true\n"))
        .collect();
    let work = Workdir::new(&config(&[klavis_provider(&klavis.url(), &instances)]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let requests = klavis.requests();
    assert_eq!(requests.len(), 20, "20 writes and no read");
    assert!(
        requests.iter().all(|r| r.status != 429),
        "no request was rate limited"
    );
}
