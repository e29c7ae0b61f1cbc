//! The PATCH body is a minimal RFC 7396 merge patch, proven against an independent
//! implementation: for arbitrary live and desired PAIS servers, `json_patch::merge` of
//! mcpform's body into the live server gives exactly the desired one, and the body holds only
//! the keys that differ (removed ones as `null`).
//!
//! The body comes from the real pipeline: config server → desired document, live server as
//! PAIS returns it → live document, `plan_resources` (diff, then the provider's
//! `RequestBuilder::build_request`). No network.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::api::McpServer;
use super::convert;
use crate::config::model::{PaisServer, ProviderConfig};
use crate::diff::{PlanScope, plan_resources};
use crate::http::ClientSettings;
use crate::mask::Secrets;
use crate::plan::Method;
use crate::provider::{Provider, connect};
use crate::state::State;

const ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";

/// The fields a config sets and a PATCH may change (`headers`, write-only, apart).
const WRITABLE: [&str; 5] = [
    "name",
    "url",
    "transport",
    "description",
    "documentation_url",
];

/// Server names: a few common ones, so that live and desired often agree, and arbitrary ones.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["github", "jira", "Confluence Tools"]).prop_map(str::to_owned),
        "[A-Za-z0-9 _.-]{1,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["", "GitHub tools", "old", "Two\nlines.", "ünïcødé ✓"])
            .prop_map(str::to_owned),
        ".{0,16}",
    ]
}

/// URLs already in the canonical form PAIS stores (pydantic's), as mcpform compares them.
fn url(host: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["github", "jira"]).prop_map(str::to_owned),
        "[a-z0-9]{1,8}(/[a-z0-9_-]{1,8})?",
    ]
    .prop_map(move |path| format!("https://{host}/{path}"))
}

fn transport() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["SSE", "STREAMABLE_HTTP"]).prop_map(str::to_owned)
}

/// A field of a live server: absent, `null` (PAIS returns unset optional fields as `null`), or set.
fn live_optional(value: impl Strategy<Value = String>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        value.prop_map(|v| Some(Value::String(v))),
    ]
}

/// Headers in the config's shape: `name`, `value`, `secret`.
fn headers() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            "[A-Z][a-z]{1,6}(-[A-Z][a-z]{1,6})?",
            "[ -~]{0,12}",
            any::<bool>(),
        ),
        0..3,
    )
    .prop_map(|headers| {
        headers
            .into_iter()
            .map(|(name, value, secret)| json!({"name": name, "value": value, "secret": secret}))
            .collect()
    })
}

fn put(object: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), value);
    }
}

prop_compose! {
    /// A server as PAIS stores it: the readable fields, the write-only `headers` (stored, never
    /// returned) and read-only fields mcpform never writes, one of them nested.
    fn live_server()(
        name in live_optional(name()),
        url in url("mcp.example.com"),
        transport in transport(),
        description in live_optional(text()),
        documentation_url in live_optional(url("docs.example.com")),
        headers in prop::option::of(headers()),
        healthy in any::<bool>(),
        tools in prop::collection::vec("[a-z_]{1,10}", 0..3),
    ) -> Value {
        let mut live = Map::new();
        live.insert("id".into(), json!(ID));
        put(&mut live, "name", name);
        live.insert("url".into(), json!(url));
        live.insert("transport".into(), json!(transport));
        put(&mut live, "description", description);
        put(&mut live, "documentation_url", documentation_url);
        // Stored in the platform's wire shape (`is_secret`).
        put(&mut live, "headers", headers.map(|h| headers_wire(&h)));
        live.insert("created_at".into(), json!("2025-01-02T03:04:05Z"));
        live.insert("status".into(), json!({"healthy": healthy, "tools": tools}));
        Value::Object(live)
    }
}

/// A server in the config that matches `live`: by name when it has one (unless `by_id`), else
/// by id, with any name or none (a rename, or a name removed).
fn desired_server(live: &Value) -> impl Strategy<Value = Value> + use<> {
    let live_name = live.get("name").and_then(Value::as_str).map(str::to_owned);
    (
        any::<bool>(),
        prop::option::of(name()),
        url("mcp.example.com"),
        transport(),
        prop::option::of(text()),
        prop::option::of(url("docs.example.com")),
        prop::option::of(headers()),
    )
        .prop_map(
            move |(by_id, other_name, url, transport, description, documentation_url, headers)| {
                let mut server = Map::new();
                match (&live_name, by_id) {
                    (Some(name), false) => put(&mut server, "name", Some(json!(name))),
                    _ => {
                        server.insert("id".into(), json!(ID));
                        put(&mut server, "name", other_name.map(Value::String));
                    }
                }
                server.insert("url".into(), json!(url));
                server.insert("transport".into(), json!(transport));
                put(&mut server, "description", description.map(Value::String));
                put(
                    &mut server,
                    "documentation_url",
                    documentation_url.map(Value::String),
                );
                put(&mut server, "headers", headers);
                Value::Object(server)
            },
        )
}

/// Config headers in PAIS's wire shape, as the PATCH carries them.
fn headers_wire(config: &Value) -> Value {
    let headers: Vec<crate::config::model::PaisHeader> =
        serde_json::from_value(config.clone()).expect("valid config headers");
    convert::headers_wire(&headers)
}

/// The PAIS provider, built once (its HTTP client is slow to build and never used here).
static PROVIDER: LazyLock<Box<dyn Provider>> = LazyLock::new(|| {
    let config: ProviderConfig = serde_json::from_value(json!({
        "platform": "pais", "name": "pais", "endpoint": "https://pais.example", "servers": []
    }))
    .expect("valid provider block");
    connect(
        &config,
        None,
        &ClientSettings::default(),
        &Secrets::default(),
    )
    .expect("provider builds without network")
});

/// mcpform's request body for making `live` (as PAIS stores it) look like `desired` (a config
/// server), or `None` when there is nothing to send.
fn request_body(live: &Value, desired: &Value) -> Option<Value> {
    let provider = PROVIDER.as_ref();
    let server: PaisServer = serde_json::from_value(desired.clone()).expect("a config server");
    let desired = convert::desired_resource("pais", &server);
    let secrets = Secrets::default();

    // What a GET returns: never `headers`.
    let mut returned = live.clone();
    returned.as_object_mut().unwrap().remove("headers");
    let returned: McpServer = serde_json::from_value(returned).expect("a PAIS server");
    // Cheap KDF parameters: hundreds of cases, each fingerprinting fresh random headers.
    let state = State::with_params(crate::fingerprint::cheap_params()).unwrap();
    let scope = PlanScope {
        provider: "pais",
        platform: provider.platform(),
        state: &state,
        secrets: &secrets,
    };
    let changes = plan_resources(
        provider,
        &scope,
        &[desired],
        &[convert::live_object(returned, None).into()],
    )
    .expect("the desired server matches the live one");
    let request = changes.into_iter().next()?.request?;
    assert_eq!(
        request.method,
        Method::Patch,
        "an existing server is patched"
    );
    assert_eq!(
        request.path,
        format!("{}/{ID}", super::api::COLLECTION_PATH)
    );
    Some(request.body)
}

/// A field's value with `null` read as absent, as RFC 7396 and PAIS both read it.
fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

proptest! {
    #[test]
    fn merging_the_patch_into_the_live_server_gives_the_desired_one(
        (live, desired) in live_server().prop_flat_map(|live| (Just(live.clone()), desired_server(&live)))
    ) {
        let patch = request_body(&live, &desired).unwrap_or_else(|| json!({}));
        prop_assert!(patch.is_object(), "a merge patch is an object: {patch}");

        let mut merged = live.clone();
        json_patch::merge(&mut merged, &patch);

        for key in WRITABLE {
            prop_assert_eq!(field(&merged, key), field(&desired, key), "`{}` after the merge", key);
        }
        let headers = match desired.get("headers") {
            Some(config) => Some(headers_wire(config)),
            // Not in the config: left alone.
            None => live.get("headers").cloned(),
        };
        prop_assert_eq!(merged.get("headers"), headers.as_ref(), "`headers` after the merge");
        for key in ["id", "created_at", "status"] {
            prop_assert_eq!(merged.get(key), live.get(key), "read-only `{}` untouched", key);
        }

        // Only what differs: each key changes its field, removals are `null`.
        for (key, value) in patch.as_object().unwrap() {
            if key == "headers" {
                prop_assert!(desired.get("headers").is_some(), "headers sent though not configured");
                continue;
            }
            prop_assert!(WRITABLE.contains(&key.as_str()), "`{}` is not writable", key);
            prop_assert_ne!(field(&live, key), field(&desired, key), "`{}` sent though unchanged", key);
            prop_assert_eq!(value, field(&desired, key).unwrap_or(&Value::Null));
        }
    }
}

/// The plan for one config server against one live server (or none) with these tools.
fn plan_approvals(
    desired: Value,
    live_tools: Option<Vec<super::api::McpTool>>,
) -> crate::plan::ResourceChange {
    let server: PaisServer = serde_json::from_value(desired).expect("a config server");
    let desired = convert::desired_resource("pais", &server);
    let live: Vec<_> = live_tools
        .map(|tools| {
            let server: McpServer = serde_json::from_value(json!({
                "id": ID, "name": "github", "url": "https://mcp.example.com/", "transport": "SSE"
            }))
            .unwrap();
            convert::live_object(server, Some(tools)).into()
        })
        .into_iter()
        .collect();
    let (state, secrets) = (State::default(), Secrets::default());
    let scope = PlanScope {
        provider: "pais",
        platform: PROVIDER.platform(),
        state: &state,
        secrets: &secrets,
    };
    plan_resources(PROVIDER.as_ref(), &scope, &[desired], &live)
        .expect("matches")
        .remove(0)
}

fn tool(id: &str, name: &str, approved: bool) -> super::api::McpTool {
    super::api::McpTool {
        id: id.into(),
        name: Some(name.into()),
        origin_name: None,
        is_approved: approved,
    }
}

fn follow_up_targets(change: &crate::plan::ResourceChange) -> Vec<(String, Value)> {
    change
        .follow_ups
        .iter()
        .map(|f| (f.request.path.clone(), f.request.body.clone()))
        .collect()
}

#[test]
fn approvals_alone_send_no_patch_and_one_request_per_differing_tool() {
    let change = plan_approvals(
        json!({"name": "github", "url": "https://mcp.example.com", "transport": "SSE",
               "approve_tools": ["a", "d"]}),
        Some(vec![
            tool("t1", "a", false),
            tool("t2", "c", true),
            tool("t3", "d", true),
            tool("t4", "d", false),
        ]),
    );
    assert_eq!(change.action, crate::plan::Action::Update);
    assert!(change.request.is_none(), "{:?}", change.request);
    let path = |tool: &str| super::api::approval_path(ID, tool);
    assert_eq!(
        follow_up_targets(&change),
        vec![
            (path("t1"), json!({"is_approved": true})),
            (path("t2"), json!({"is_approved": false})),
            // Of two tools named `d`, only the one not approved yet.
            (path("t4"), json!({"is_approved": true})),
        ]
    );
}

#[test]
fn a_create_leaves_approvals_out_of_its_body_and_their_ids_to_apply() {
    let change = plan_approvals(
        json!({"name": "new", "url": "https://mcp.example.com", "transport": "SSE",
               "approve_tools": ["a"]}),
        None,
    );
    let request = change.request.as_ref().unwrap();
    assert_eq!(request.method, Method::Post);
    assert!(
        request.body.get("approve_tools").is_none(),
        "{}",
        request.body
    );
    assert_eq!(
        follow_up_targets(&change),
        vec![(
            super::api::approval_path("{server_id}", "{tool_id}"),
            json!({"is_approved": true})
        )]
    );
}

#[test]
fn a_field_change_beside_approvals_patches_only_that_field() {
    let change = plan_approvals(
        json!({"name": "github", "url": "https://mcp.example.com", "transport": "SSE",
               "description": "new", "approve_tools": []}),
        Some(vec![tool("t1", "a", true)]),
    );
    assert_eq!(
        change.request.as_ref().unwrap().body,
        json!({"description": "new"})
    );
    assert_eq!(change.follow_ups.len(), 1);
}
