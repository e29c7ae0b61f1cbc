//! HasMCP ↔ normalized documents. Tools, resources and prompts are sets (the platform
//! returns them in database order), so both sides are sorted.

use serde_json::{Map, Value, json};

use super::api::Server;
use crate::config::model::{HasmcpProviderLink, HasmcpServer};
use crate::diff::{DesiredResource, LiveObject};

pub fn desired_resource(provider: &str, server: &HasmcpServer) -> DesiredResource {
    let links: Vec<(String, Vec<String>)> = server
        .providers
        .iter()
        .map(|HasmcpProviderLink { id, tools }| (id.clone(), tools.clone()))
        .collect();
    DesiredResource {
        address: super::super::address(provider, "servers", &server.name),
        id: server.id.clone(),
        name: Some(server.name.clone()),
        document: document(
            &server.name,
            &server.instructions,
            server.request_headers_proxy_enabled,
            links,
            server.resources.clone(),
            server.prompts.clone(),
        ),
        write_only: Vec::new(),
        ignore: server.ignore.clone(),
        secret_paths: &[],
        prevent_destroy: server.lifecycle.as_ref().is_some_and(|l| l.prevent_destroy),
        recorded_id: None,
        create_only: Map::new(),
    }
}

pub fn live_object(server: Server) -> LiveObject {
    let ids = |refs: &Option<Vec<super::api::IdRef>>| {
        refs.iter().flatten().map(|r| r.id.clone()).collect()
    };
    let links = server
        .providers
        .iter()
        .map(|p| (p.id.clone(), p.tools.iter().map(|t| t.id.clone()).collect()))
        .collect();
    let document = document(
        &server.name,
        server.instructions(),
        server.request_headers_proxy_enabled,
        links,
        ids(&server.resources),
        ids(&server.prompts),
    );
    let mut meta = Map::new();
    meta.insert("version".into(), json!(server.version));
    LiveObject {
        id: server.id,
        name: Some(server.name),
        document,
        meta,
    }
}

fn document(
    name: &str,
    instructions: &str,
    request_headers_proxy_enabled: bool,
    mut providers: Vec<(String, Vec<String>)>,
    resources: Vec<String>,
    prompts: Vec<String>,
) -> Map<String, Value> {
    // HasMCP stores links as (provider, tool) pairs, so a provider without tools cannot be
    // stored and never reads back; keeping it would show as a change on every plan.
    providers.retain(|(_, tools)| !tools.is_empty());
    providers.sort();
    let providers: Vec<Value> = providers
        .into_iter()
        .map(|(id, tools)| json!({"id": id, "tools": sorted(tools)}))
        .collect();
    let mut document = Map::new();
    document.insert("name".into(), json!(name));
    document.insert("instructions".into(), json!(instructions));
    document.insert(
        "request_headers_proxy_enabled".into(),
        json!(request_headers_proxy_enabled),
    );
    document.insert("providers".into(), Value::Array(providers));
    document.insert("resources".into(), json!(sorted(resources)));
    document.insert("prompts".into(), json!(sorted(prompts)));
    document
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

/// The full `ServerCreate` object HasMCP's PATCH and POST take, from a normalized document.
pub fn server_wire(document: &Map<String, Value>) -> Map<String, Value> {
    let id_refs = |key: &str| -> Value {
        let ids = document
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Value::Array(ids.into_iter().map(|id| json!({"id": id})).collect())
    };
    let providers: Vec<Value> = document
        .get("providers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let tools: Vec<Value> = p["tools"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| json!({"id": t}))
                .collect();
            json!({"id": p["id"], "tools": tools})
        })
        .collect();
    let mut wire = Map::new();
    wire.insert(
        "name".into(),
        document.get("name").cloned().unwrap_or(json!("")),
    );
    wire.insert(
        "instructions".into(),
        document.get("instructions").cloned().unwrap_or(json!("")),
    );
    wire.insert(
        "requestHeadersProxyEnabled".into(),
        document
            .get("request_headers_proxy_enabled")
            .cloned()
            .unwrap_or(json!(false)),
    );
    wire.insert("providers".into(), Value::Array(providers));
    wire.insert("resources".into(), id_refs("resources"));
    wire.insert("prompts".into(), id_refs("prompts"));
    wire
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_tools_resources_and_prompts_are_the_same_document() {
        let server: HasmcpServer = serde_json::from_value(json!({
            "name": "github1", "instructions": "Use it.",
            "providers": [{"id": "kSuB9Gf6aD4", "tools": ["bbbbbbbbbbb", "aaaaaaaaaaa"]}],
            "resources": ["r2222222222", "r1111111111"], "prompts": []
        }))
        .unwrap();
        let live: Server = serde_json::from_value(json!({
            "id": "sSuB9Gf6aD4", "name": "github1", "description": "Use it.", "version": 7,
            "providers": [{"id": "kSuB9Gf6aD4", "tools": [{"id": "aaaaaaaaaaa"}, {"id": "bbbbbbbbbbb"}]}],
            "resources": [{"id": "r1111111111"}, {"id": "r2222222222"}], "prompts": []
        }))
        .unwrap();
        let live = live_object(live);
        assert_eq!(desired_resource("h", &server).document, live.document);
        assert_eq!(live.meta["version"], 7);
    }

    #[test]
    fn the_wire_object_carries_every_field() {
        let document = document(
            "n",
            "",
            true,
            vec![("p".into(), vec!["t".into()])],
            vec!["r".into()],
            vec![],
        );
        assert_eq!(
            Value::Object(server_wire(&document)),
            json!({"name": "n", "instructions": "", "requestHeadersProxyEnabled": true,
                   "providers": [{"id": "p", "tools": [{"id": "t"}]}], "resources": [{"id": "r"}], "prompts": []})
        );
    }
}
