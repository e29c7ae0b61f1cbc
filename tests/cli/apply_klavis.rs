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

    work.run(&["apply", "--auto-approve"]).expect_code(0);
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
    assert!(
        field["note"]
            .as_str()
            .unwrap()
            .contains("not readable from the platform")
    );
    let text = work.run(&["plan"]);
    text.expect_code(0);
    assert!(
        text.stdout.contains("read_only = (write-only) → true"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_unknown_instance_is_an_error_naming_its_address() {
    let klavis = Emulator::start(Platform::Klavis, json!({"instances": []}));
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        &format!("      - id: {ID}\n        read_only: true\n"),
    )]));
    let run = work.run(&["plan"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!("klavis/instances/{ID}")),
        "{}",
        run.stderr
    );
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
    assert_eq!(requests.len(), 40, "20 reads and 20 writes");
    assert!(
        requests.iter().all(|r| r.status != 429),
        "no request was rate limited"
    );
}
