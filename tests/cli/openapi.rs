//! Every request body mcpform sends to HasMCP and Klavis validates against the schemas of the
//! platforms' published OpenAPI specs (tests/fixtures/openapi/request-schemas.json).

use mcpform_emulator::Platform;
use serde_json::{Value, json};

use crate::support::*;

fn assert_valid(definition: &str, body: &Value) {
    let schemas: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi/request-schemas.json"
    )))
    .unwrap();
    let schema = json!({"$defs": schemas["$defs"], "$ref": format!("#/$defs/{definition}")});
    let validator = jsonschema::validator_for(&schema).expect("the published schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{definition}: {errors:#?}\n{body:#}");
}

#[test]
fn hasmcp_update_and_create_bodies_match_the_published_spec() {
    let hasmcp = Emulator::start(
        Platform::Hasmcp,
        json!({"servers": [{"id": "sSuB9Gf6aD4", "name": "github1", "instructions": "old", "version": 2}]}),
    );
    let servers = "      - name: github1
        instructions: new
        providers: [ { id: kSuB9Gf6aD4, tools: [ kSuB9Gf6aD5 ] } ]
        resources: [ rSuB9Gf6aD4 ]
      - name: jira1
        prompts: [ pSuB9Gf6aD4 ]
";
    let work = Workdir::new(&config(&[hasmcp_provider(&hasmcp.url(), servers)]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let writes = hasmcp.writes();
    assert_eq!(writes.len(), 2);
    for write in &writes {
        let definition = if write.method == "PATCH" {
            "hasmcp.UpdateServerRequest"
        } else {
            "hasmcp.CreateServerRequest"
        };
        assert_valid(definition, write.body.as_ref().unwrap());
    }
}

#[test]
fn klavis_bodies_match_the_published_spec() {
    let id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let klavis = Emulator::start(
        Platform::Klavis,
        json!({"instances": [{"instanceId": id, "serverName": "GitHub"}]}),
    );
    let work = Workdir::new(&config(&[klavis_provider(
        &klavis.url(),
        &format!("      - id: {id}\n        read_only: true\n"),
    )]));
    work.run(&["apply", "--auto-approve"]).expect_code(0);
    let writes = klavis.writes();
    assert_eq!(writes.len(), 1);
    assert_valid(
        "klavis.UpdateServerInstanceRequest",
        writes[0].body.as_ref().unwrap(),
    );
    // And the spec really is strict: an extra key would fail.
    let schemas_reject = std::panic::catch_unwind(|| {
        assert_valid(
            "klavis.UpdateServerInstanceRequest",
            &json!({"isReadOnly": true, "extra": 1}),
        );
    });
    assert!(schemas_reject.is_err());
}
