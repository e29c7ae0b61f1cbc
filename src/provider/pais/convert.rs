//! PAIS ↔ normalized documents. Config and wire names are the same here except the header
//! flag (`secret` ↔ `is_secret`) and the tools: `approve_tools` becomes the flag map
//! `approve_tools: {NAME: true}` on the desired side and `{NAME: is_approved}` on the live side,
//! whose `meta.tools` keeps each name's tool ids for the approval requests.

use serde_json::{Map, Value, json};

use super::api::{McpServer, McpTool};
use crate::config::model::{PaisHeader, PaisServer, PaisTransport};
use crate::diff::{DesiredResource, LiveObject};

pub fn desired_resource(provider: &str, server: &PaisServer) -> DesiredResource {
    let key = server
        .name
        .as_deref()
        .or(server.id.as_deref())
        .unwrap_or_default();
    let transport = match server.transport {
        PaisTransport::StreamableHttp => "STREAMABLE_HTTP",
        PaisTransport::Sse => "SSE",
    };
    let mut document = Map::with_capacity(DOCUMENT_FIELDS);
    insert_opt(&mut document, "name", server.name.clone());
    document.insert("url".into(), Value::String(normalize_url(&server.url)));
    document.insert("transport".into(), Value::String(transport.into()));
    insert_opt(&mut document, "description", server.description.clone());
    insert_opt(
        &mut document,
        "documentation_url",
        server.documentation_url.as_deref().map(normalize_url),
    );
    if let Some(names) = &server.approve_tools {
        let approved = names
            .iter()
            .map(|name| (name.clone(), Value::Bool(true)))
            .collect();
        document.insert(APPROVE_TOOLS.into(), Value::Object(approved));
    }
    DesiredResource {
        address: super::super::address(provider, "servers", key),
        id: server.id.clone(),
        name: server.name.clone(),
        document,
        write_only: vec![(
            "headers".into(),
            server.headers.as_deref().map(headers_wire),
        )],
        ignore: server.ignore.clone(),
        secret_paths: &[],
        prevent_destroy: server.lifecycle.as_ref().is_some_and(|l| l.prevent_destroy),
        recorded_id: None,
        create_only: Map::new(),
    }
}

/// The most fields a server's document has: sized once, where a fleet's worth of documents
/// would otherwise each grow twice.
const DOCUMENT_FIELDS: usize = 6;

/// The flag map of tool approvals (`approve_tools.NAME`).
pub const APPROVE_TOOLS: &str = "approve_tools";

/// A live server; `tools` when its approvals are managed (its config has `approve_tools`).
/// Tools with neither `name` nor `origin_name` cannot be named in the config and are skipped; a
/// name several tools share is approved only when all of them are.
pub fn live_object(server: McpServer, tools: Option<Vec<McpTool>>) -> LiveObject {
    let mut document = Map::with_capacity(DOCUMENT_FIELDS);
    insert_opt(&mut document, "name", server.name.clone());
    document.insert("url".into(), Value::String(normalize_url(&server.url)));
    document.insert("transport".into(), Value::String(server.transport));
    insert_opt(&mut document, "description", server.description);
    insert_opt(
        &mut document,
        "documentation_url",
        server.documentation_url.as_deref().map(normalize_url),
    );
    let mut meta = Map::new();
    if let Some(tools) = tools {
        let mut approved = Map::new();
        let mut ids = Map::new();
        for tool in &tools {
            let Some(name) = tool.config_name() else {
                continue;
            };
            let all = approved.get(name).and_then(Value::as_bool).unwrap_or(true);
            approved.insert(name.to_owned(), Value::Bool(all && tool.is_approved));
            let entry = ids.entry(name.to_owned()).or_insert_with(|| json!([]));
            if let Value::Array(list) = entry {
                list.push(json!({"id": tool.id, "is_approved": tool.is_approved}));
            }
        }
        document.insert(APPROVE_TOOLS.into(), Value::Object(approved));
        meta.insert("tools".into(), Value::Object(ids));
    }
    LiveObject {
        id: server.id,
        name: server.name,
        document,
        meta,
    }
}

/// Headers in PAIS's wire shape.
pub fn headers_wire(headers: &[PaisHeader]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|h| json!({"name": h.name, "value": h.value, "is_secret": h.secret}))
            .collect(),
    )
}

fn insert_opt(document: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        document.insert(key.into(), Value::String(value));
    }
}

/// PAIS validates URLs with pydantic, which canonicalizes them (`https://h` → `https://h/`);
/// canonicalizing both sides the same way keeps that from showing as a change.
pub fn normalize_url(raw: &str) -> String {
    url::Url::parse(raw).map_or_else(|_| raw.to_owned(), String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_and_desired_documents_use_the_same_shape() {
        let server: PaisServer = serde_json::from_value(json!({
            "name": "github", "url": "https://mcp.example.com", "transport": "SSE",
            "headers": [{"name": "A", "value": "v", "secret": true}]
        }))
        .unwrap();
        let desired = desired_resource("pais", &server);
        assert_eq!(desired.address, "pais/servers/github");
        assert_eq!(
            desired.write_only[0].1,
            Some(json!([{"name": "A", "value": "v", "is_secret": true}]))
        );
        let live = live_object(
            McpServer {
                id: "x".into(),
                name: Some("github".into()),
                description: None,
                documentation_url: None,
                url: "https://mcp.example.com/".into(),
                transport: "SSE".into(),
            },
            None,
        );
        assert_eq!(desired.document, live.document);
    }

    fn tool(id: &str, name: Option<&str>, origin: Option<&str>, approved: bool) -> McpTool {
        McpTool {
            id: id.into(),
            name: name.map(str::to_owned),
            origin_name: origin.map(str::to_owned),
            is_approved: approved,
        }
    }

    #[test]
    fn tools_are_named_by_name_else_origin_name_and_shared_names_need_all_approved() {
        let server = McpServer {
            id: "s".into(),
            name: Some("github".into()),
            description: None,
            documentation_url: None,
            url: "https://mcp.example.com/".into(),
            transport: "SSE".into(),
        };
        let tools = vec![
            tool("1", Some("a"), Some("a_origin"), true),
            tool("2", None, Some("b"), false),
            tool("3", None, None, true),
            tool("4", Some("d"), None, true),
            tool("5", Some("d"), None, false),
        ];
        let live = live_object(server, Some(tools));
        assert_eq!(
            live.document["approve_tools"],
            json!({"a": true, "b": false, "d": false})
        );
        assert_eq!(
            live.meta["tools"]["d"],
            json!([{"id": "4", "is_approved": true}, {"id": "5", "is_approved": false}])
        );
        let desired: PaisServer = serde_json::from_value(json!({
            "name": "github", "url": "https://mcp.example.com", "transport": "SSE",
            "approve_tools": ["a", "b"]
        }))
        .unwrap();
        assert_eq!(
            desired_resource("pais", &desired).document["approve_tools"],
            json!({"a": true, "b": true})
        );
    }
}
