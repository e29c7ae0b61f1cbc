//! Idun ↔ normalized documents.
//!
//! The platform answers with every `MCPServer` field, unset ones as `null` and empty
//! collections as `[]`/`{}`; the config omits them. Both sides drop nulls and empty
//! collections and fill the platform's defaults, so neither shows as a change.

use serde_json::{Map, Value, json};

use super::api::{MCP_SERVER_FIELDS, McpServerRead};
use crate::config::model::IdunServer;
use crate::diff::{DesiredResource, LiveObject};

/// Header and env values are secret by nature (they carry tokens), whoever set them.
pub(super) const SECRET_PATHS: &[&str] = &["mcp_server.headers", "mcp_server.env"];

pub fn desired_resource(provider: &str, server: &IdunServer) -> DesiredResource {
    let mcp_server = match serde_json::to_value(&server.mcp_server) {
        Ok(Value::Object(map)) => normalize(map),
        _ => Map::new(),
    };
    let mut document = Map::new();
    document.insert("name".into(), json!(server.name));
    document.insert("enabled".into(), json!(server.enabled));
    document.insert("mcp_server".into(), Value::Object(mcp_server));
    DesiredResource {
        address: super::super::address(provider, "servers", &server.name),
        id: server.id.clone(),
        name: Some(server.name.clone()),
        document,
        write_only: Vec::new(),
        ignore: server.ignore.clone(),
        secret_paths: SECRET_PATHS,
        prevent_destroy: server.lifecycle.as_ref().is_some_and(|l| l.prevent_destroy),
        recorded_id: None,
        create_only: Map::new(),
    }
}

pub fn live_object(server: McpServerRead) -> LiveObject {
    let mut document = Map::new();
    document.insert("name".into(), json!(server.name));
    document.insert("enabled".into(), json!(server.enabled));
    document.insert(
        "mcp_server".into(),
        Value::Object(mcp_server_document(&server.mcp_server)),
    );
    LiveObject {
        id: server.id,
        name: Some(server.name),
        document,
        meta: Map::new(),
    }
}

/// A wire `mcpServer` (sent or returned) as the normalized document, in config naming.
pub fn mcp_server_document(wire: &Map<String, Value>) -> Map<String, Value> {
    let document = MCP_SERVER_FIELDS
        .iter()
        .filter_map(|(config, name)| wire.get(*name).map(|v| ((*config).to_owned(), v.clone())))
        .collect();
    normalize(document)
}

/// The effective `mcp_server` document in the platform's camelCase, for the request body.
pub fn mcp_server_wire(document: &Map<String, Value>) -> Value {
    let mut wire = Map::new();
    for (config, name) in MCP_SERVER_FIELDS {
        if let Some(value) = document.get(config) {
            wire.insert(name.to_owned(), value.clone());
        }
    }
    Value::Object(wire)
}

fn normalize(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|_, v| match v {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    });
    map.entry("transport")
        .or_insert_with(|| json!("streamable_http"));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_row_with_nulls_and_defaults_equals_the_minimal_config() {
        let server: IdunServer = serde_json::from_value(json!({
            "name": "GitHub",
            "mcp_server": {"name": "github", "url": "https://mcp.example.com/github", "timeout_seconds": 30}
        }))
        .unwrap();
        let live: McpServerRead = serde_json::from_value(json!({
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "name": "GitHub", "enabled": true,
            "mcpServer": {
                "name": "github", "transport": "streamable_http", "url": "https://mcp.example.com/github",
                "command": null, "args": [], "headers": {}, "env": {}, "cwd": null, "encoding": null,
                "encodingErrorHandler": null, "timeoutSeconds": 30.0, "sseReadTimeoutSeconds": null,
                "terminateOnClose": null, "sessionKwargs": {}
            }
        }))
        .unwrap();
        let desired = desired_resource("idun", &server);
        let live = live_object(live);
        assert!(crate::diff::values_equal(
            &Value::Object(desired.document),
            &Value::Object(live.document)
        ));
    }

    #[test]
    fn the_wire_form_is_camel_case_and_keeps_user_map_keys() {
        let document = json!({"name": "n", "timeout_seconds": 5, "headers": {"X-Api_key": "v"}});
        assert_eq!(
            mcp_server_wire(document.as_object().unwrap()),
            json!({"name": "n", "headers": {"X-Api_key": "v"}, "timeoutSeconds": 5})
        );
    }
}
