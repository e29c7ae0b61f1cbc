//! PAIS ↔ normalized documents. Config and wire names are the same here except the header
//! flag (`secret` ↔ `is_secret`).

use serde_json::{Map, Value, json};

use super::api::McpServer;
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
    let mut document = Map::new();
    insert_opt(&mut document, "name", server.name.clone());
    document.insert("url".into(), Value::String(normalize_url(&server.url)));
    document.insert("transport".into(), Value::String(transport.into()));
    insert_opt(&mut document, "description", server.description.clone());
    insert_opt(
        &mut document,
        "documentation_url",
        server.documentation_url.as_deref().map(normalize_url),
    );
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

pub fn live_object(server: McpServer) -> LiveObject {
    let mut document = Map::new();
    insert_opt(&mut document, "name", server.name.clone());
    document.insert("url".into(), Value::String(normalize_url(&server.url)));
    document.insert("transport".into(), Value::String(server.transport));
    insert_opt(&mut document, "description", server.description);
    insert_opt(
        &mut document,
        "documentation_url",
        server.documentation_url.as_deref().map(normalize_url),
    );
    LiveObject {
        id: server.id,
        name: server.name,
        document,
        meta: Map::new(),
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
        let live = live_object(McpServer {
            id: "x".into(),
            name: Some("github".into()),
            description: None,
            documentation_url: None,
            url: "https://mcp.example.com/".into(),
            transport: "SSE".into(),
        });
        assert_eq!(desired.document, live.document);
    }
}
