//! Each platform's request shape for typical changes, through the real pure pipeline:
//! config → desired document → diff against a live object → request. No network.

use serde_json::{Map, Value, json};

use super::{Provider, Verdict, WriteError, connect, desired_resources};
use crate::config::model::ProviderConfig;
use crate::diff::{DesiredResource, LiveObject, PlanScope, plan_resources};
use crate::http::{ClientSettings, HttpError};
use crate::mask::Secrets;
use crate::plan::{Method, ResourceChange};
use crate::state::State;

/// A provider block's provider, built without network, with the resources it asks for.
struct Block {
    name: String,
    provider: Box<dyn Provider>,
    desired: Vec<DesiredResource>,
}

fn provider(config: Value) -> Block {
    let config: ProviderConfig = serde_json::from_value(config).expect("valid provider block");
    let secrets = Secrets::default();
    let provider = connect(
        &config,
        Some("http://127.0.0.1:1"),
        &ClientSettings::default(),
        &secrets,
    )
    .expect("provider builds without network");
    Block {
        name: config.name().to_owned(),
        provider,
        desired: desired_resources(&config),
    }
}

fn live(id: &str, name: Option<&str>, document: Value, meta: Value) -> LiveObject {
    let object = |v: Value| v.as_object().cloned().unwrap_or_else(Map::new);
    LiveObject {
        id: id.into(),
        name: name.map(str::to_owned),
        document: object(document),
        meta: object(meta),
    }
}

fn plan(block: &Block, live: &[LiveObject], state: &State) -> Vec<ResourceChange> {
    let secrets = Secrets::default();
    let scope = PlanScope {
        provider: &block.name,
        platform: block.provider.platform(),
        state,
        secrets: &secrets,
    };
    let live: Vec<_> = live.iter().cloned().map(std::sync::Arc::new).collect();
    plan_resources(block.provider.as_ref(), &scope, &block.desired, &live).expect("matches")
}

#[test]
fn pais_sends_a_top_level_merge_patch_with_null_for_removed_fields() {
    let pais = provider(
        json!({"platform": "pais", "name": "pais", "endpoint": "https://p.example", "servers": [
            {"name": "github", "url": "https://mcp.example.com/github", "transport": "STREAMABLE_HTTP", "description": "new"}
        ]}),
    );
    let current = live(
        "id-1",
        Some("github"),
        json!({"name": "github", "url": "https://mcp.example.com/github", "transport": "SSE",
               "description": "old", "documentation_url": "https://docs.example.com/"}),
        json!({}),
    );
    let request = plan(&pais, &[current], &State::new())[0]
        .request
        .clone()
        .unwrap();
    assert_eq!(request.method, Method::Patch);
    assert_eq!(request.path, "/api/v1/control/mcp-servers/id-1");
    assert_eq!(
        request.body,
        json!({"description": "new", "documentation_url": null, "transport": "STREAMABLE_HTTP"})
    );
}

#[test]
fn idun_sends_only_changed_top_level_fields_and_mcp_server_whole() {
    let idun = provider(json!({"platform": "idun", "name": "idun", "servers": [
        {"name": "GitHub", "enabled": false,
         "mcp_server": {"name": "github", "url": "https://mcp.example.com/github", "timeout_seconds": 60}}
    ]}));
    let document = json!({"name": "GitHub", "enabled": true,
        "mcp_server": {"name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github", "timeout_seconds": 30}});
    let changes = plan(
        &idun,
        &[live("id-2", Some("GitHub"), document, json!({}))],
        &State::new(),
    );
    assert_eq!(
        changes[0].request.as_ref().unwrap().body,
        json!({"enabled": false, "mcpServer": {"name": "github", "transport": "streamable_http",
               "url": "https://mcp.example.com/github", "timeoutSeconds": 60}})
    );
}

#[test]
fn idun_never_sends_null_even_when_a_field_is_removed() {
    let idun = provider(json!({"platform": "idun", "name": "idun", "servers": [
        {"name": "GitHub", "mcp_server": {"name": "github", "url": "https://mcp.example.com/github"}}
    ]}));
    let document = json!({"name": "GitHub", "enabled": true,
        "mcp_server": {"name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github", "cwd": "/srv"}});
    let body = plan(
        &idun,
        &[live("id-3", Some("GitHub"), document, json!({}))],
        &State::new(),
    )[0]
    .request
    .clone()
    .unwrap()
    .body;
    assert_eq!(
        body,
        json!({"mcpServer": {"name": "github", "transport": "streamable_http",
                             "url": "https://mcp.example.com/github"}}),
        "`mcpServer` whole, without `cwd`: that is how Idun removes it"
    );
    assert!(!has_null(&body), "no `null` anywhere: {body}");
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(fields) => fields.values().any(has_null),
        _ => false,
    }
}

#[test]
fn hasmcp_sends_the_full_object_with_the_live_version() {
    let hasmcp = provider(json!({"platform": "hasmcp", "name": "h", "servers": [
        {"name": "github1", "instructions": "new", "resources": ["rSuB9Gf6aD4"]}
    ]}));
    let document = json!({"name": "github1", "instructions": "old", "request_headers_proxy_enabled": false,
        "providers": [], "resources": ["rSuB9Gf6aD4"], "prompts": []});
    let changes = plan(
        &hasmcp,
        &[live(
            "sSuB9Gf6aD4",
            Some("github1"),
            document,
            json!({"version": 7}),
        )],
        &State::new(),
    );
    let fields: Vec<&str> = changes[0].fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(fields, ["instructions"]);
    assert_eq!(
        changes[0].request.as_ref().unwrap().body,
        json!({"server": {"name": "github1", "instructions": "new", "requestHeadersProxyEnabled": false,
               "providers": [], "resources": [{"id": "rSuB9Gf6aD4"}], "prompts": [], "version": 7}})
    );
}

#[test]
fn klavis_sends_read_only_when_unrecorded_and_resets_it_to_false() {
    let id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let klavis = provider(
        json!({"platform": "klavis", "name": "k", "instances": [{"id": id, "read_only": true}]}),
    );
    let instance = [live(id, Some("GitHub"), json!({}), json!({}))];
    let mut state = State::new();
    let first = plan(&klavis, &instance, &state);
    assert_eq!(
        first[0].request.as_ref().unwrap().body,
        json!({"isReadOnly": true})
    );
    state.set_record(&first[0].address, first[0].state_after.clone().unwrap());
    assert!(plan(&klavis, &instance, &state)[0].request.is_none());

    let dropped = provider(json!({"platform": "klavis", "name": "k", "instances": [{"id": id}]}));
    let reset = plan(&dropped, &instance, &state);
    assert_eq!(
        reset[0].request.as_ref().unwrap().body,
        json!({"isReadOnly": false})
    );
}

#[test]
fn a_write_error_says_what_the_platform_was_left_with() {
    let status = |status: u16, rolled_back: bool| {
        WriteError::from(HttpError::Status {
            method: "PATCH".into(),
            url: "http://127.0.0.1:1/x".into(),
            status,
            message: "m".into(),
            attempts: 1,
            rolled_back,
            help: None,
        })
        .verdict
    };
    assert_eq!(status(422, false), Verdict::LeftUntouched);
    assert_eq!(status(429, false), Verdict::LeftUntouched);
    // A proxy may answer 503 or 408 after the platform stored the write.
    assert_eq!(status(503, false), Verdict::NotConfirmed);
    assert_eq!(status(408, false), Verdict::NotConfirmed);
    assert_eq!(status(500, false), Verdict::NotConfirmed);
    // Idun's `reload_failed`: a 500 whose body says the platform rolled the write back.
    assert_eq!(status(500, true), Verdict::LeftUntouched);
}
