//! PAIS's MCP tools: what each server offers, discovered some time after the server is created,
//! whether each is approved, the paged listing (`GET /api/v1/control/mcp-servers/tools?server=`)
//! and the approval endpoint (`POST .../{server_id}/tools/{tool_id}/approval`).
//!
//! What a server offers is deterministic: the seed's `tools` when the data file gives them
//! (discovered already), else the comma-separated names in the `tools` query parameter of the
//! server's URL (`https://mcp.example.com/x?tools=search,create`), discovered
//! `tool_discovery_delay_ms` after the create. Every discovered tool starts unapproved, as external
//! tools do on PAIS. A server's tools go with it when it is deleted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use uuid::Uuid;

use super::paging::{self, Listing};
use super::routes::BASE;
use super::store::{PaisState, now_secs};
use super::validate::parse_list_query;
use super::wire::McpServer;
use crate::fastapi::{
    self, FieldError, at, decode_body, extra_forbidden, lax_bool, missing, model_attributes_type,
    parse_path_uuid, query_pairs,
};
use crate::store::Store;

/// How long a created server's tools take to appear unless the data file says otherwise
/// (`tool_discovery_delay_ms`); real PAIS takes seconds.
pub(super) const DEFAULT_DISCOVERY_DELAY: Duration = Duration::from_secs(2);

/// One tool of one server (`McpTool`).
#[derive(Clone, Debug)]
pub(super) struct McpTool {
    pub(super) id: Uuid,
    pub(super) server_id: Uuid,
    /// Absent on some production tools; `origin_name` is always there.
    pub(super) name: Option<String>,
    pub(super) origin_name: String,
    pub(super) is_approved: bool,
    pub(super) last_updated_at: i64,
    /// When discovery makes it visible; `None`: visible already.
    pub(super) discovered_at: Option<Instant>,
}

impl McpTool {
    fn visible(&self, now: Instant) -> bool {
        self.discovered_at.is_none_or(|at| at <= now)
    }

    fn to_wire(&self, servers: &[McpServer]) -> Value {
        let server_name = servers
            .iter()
            .find(|s| s.id == self.server_id)
            .and_then(McpServer::name);
        json!({
            "id": self.id.to_string(),
            "object": "mcp_tool",
            "server": {"id": self.server_id.to_string(), "name": server_name},
            "tool_type": "MCP",
            "tool_configuration_type": "GENERIC_MCP_TOOL_LINK",
            "name": self.name,
            "origin_name": self.origin_name,
            "input_schema": {"type": "object", "properties": {}},
            "is_approved": self.is_approved,
            "availability": "AVAILABLE",
            "last_available_at": self.last_updated_at,
            "last_updated_at": self.last_updated_at,
        })
    }

    /// The data-file form (inside its server): no server reference, no discovery time.
    fn to_stored(&self) -> Value {
        let mut out = json!({
            "id": self.id.to_string(),
            "origin_name": self.origin_name,
            "is_approved": self.is_approved,
            "last_updated_at": self.last_updated_at,
        });
        if let Some(name) = &self.name {
            out["name"] = json!(name);
        }
        out
    }
}

/// Schedules the discovery of a server's tools: the names in its URL's `tools` query parameter,
/// visible after `delay`.
pub(super) fn discover(tools: &mut Vec<McpTool>, server: &McpServer, now: i64, delay: Duration) {
    let discovered_at = Instant::now() + delay;
    let url = server.fields.get("url").and_then(Value::as_str);
    for name in offered_names(url.unwrap_or_default()) {
        tools.push(McpTool {
            id: Uuid::new_v4(),
            server_id: server.id,
            name: Some(name.clone()),
            origin_name: name,
            is_approved: false,
            last_updated_at: now,
            discovered_at: Some(discovered_at),
        });
    }
}

/// The tool names a server URL offers: its `tools` query parameter, split at commas.
fn offered_names(url: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(url) else {
        return Vec::new();
    };
    url.query_pairs()
        .filter(|(key, _)| key == "tools")
        .flat_map(|(_, value)| {
            value
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A seeded server's tools (`tools: [{id?, name?, origin_name?, is_approved?}]`), visible at
/// once; at least one of `name` and `origin_name` is required.
pub(super) fn seed_tools(server_id: Uuid, value: &Value, now: i64) -> Result<Vec<McpTool>, String> {
    let Value::Array(items) = value else {
        return Err("tools: must be an array".into());
    };
    let mut tools = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let fail = |what: &str| format!("tools[{i}]: {what}");
        let Value::Object(fields) = item else {
            return Err(fail("must be an object"));
        };
        let text = |key: &str| match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(fail(&format!("{key}: must be a string"))),
        };
        let name = text("name")?;
        let origin_name = text("origin_name")?
            .or_else(|| name.clone())
            .ok_or_else(|| fail("needs a `name` or an `origin_name`"))?;
        let id = match text("id")? {
            None => Uuid::new_v4(),
            Some(s) => Uuid::parse_str(&s).map_err(|e| fail(&format!("id: {e}")))?,
        };
        let is_approved = match fields.get("is_approved") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(fail("is_approved: must be a boolean")),
        };
        let last_updated_at = match fields.get("last_updated_at") {
            None | Some(Value::Null) => now,
            Some(v) => v
                .as_i64()
                .ok_or_else(|| fail("last_updated_at: must be unix seconds (an integer)"))?,
        };
        if let Some(key) = fields.keys().find(|k| {
            !matches!(
                k.as_str(),
                "id" | "name" | "origin_name" | "is_approved" | "last_updated_at"
            )
        }) {
            return Err(fail(&format!("unknown key `{key}`")));
        }
        tools.push(McpTool {
            id,
            server_id,
            name,
            origin_name,
            is_approved,
            last_updated_at,
            discovered_at: None,
        });
    }
    Ok(tools)
}

/// A server's tools in their data-file form, or `None` when it has none.
pub(super) fn stored_tools(tools: &[McpTool], server_id: Uuid) -> Option<Value> {
    let stored: Vec<Value> = tools
        .iter()
        .filter(|t| t.server_id == server_id)
        .map(McpTool::to_stored)
        .collect();
    (!stored.is_empty()).then_some(Value::Array(stored))
}

type Shared = State<Arc<Store<PaisState>>>;

/// The tool routes, to merge into the server routes (the static `tools` segment wins over the
/// server id).
pub(super) fn router() -> Router<Arc<Store<PaisState>>> {
    Router::new()
        .route(&format!("{BASE}/tools"), get(list))
        .route(
            &format!("{BASE}/{{mcp_server_id}}/tools/{{tool_id}}/approval"),
            post(approve),
        )
}

/// `GET .../tools`: the discovered tools, of one server with `server=ID`, paged like servers.
async fn list(
    State(store): Shared,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, fastapi::Error> {
    let mut errors = Vec::new();
    let query = parse_list_query(raw.as_deref())
        .map_err(|es| errors.extend(es))
        .ok();
    let server = match query_pairs(raw.as_deref()).get("server") {
        None => None,
        Some(value) => {
            let raw = value.as_str().unwrap_or_default();
            Uuid::parse_str(raw)
                .map_err(|e| {
                    errors.push(FieldError::new(
                        "uuid_parsing",
                        vec![json!("query"), json!("server")],
                        format!("Input should be a valid UUID, {e}"),
                        json!(raw),
                    ))
                })
                .ok()
        }
    };
    let Some(query) = query.filter(|_| errors.is_empty()) else {
        return Err(fastapi::Error::Validation(errors));
    };
    let now = Instant::now();
    store.read(|state| {
        let listing = Listing {
            items: state.tools.iter().filter(|t| t.visible(now)).collect(),
            id: |t: &McpTool| t.id,
            wire: &|t: &McpTool| t.to_wire(&state.servers),
            noun: "MCP tool",
        };
        let of_server = |t: &McpTool| server.is_none_or(|s| t.server_id == s);
        paging::page(listing, &query, of_server).map(Json)
    })
}

/// `POST .../{server_id}/tools/{tool_id}/approval` with `{"is_approved": bool}`: the path and
/// the body are validated together (422), then an unknown server, or a tool it does not have (or
/// has not discovered yet), is a bare 404. Answers the updated tool.
async fn approve(
    State(store): Shared,
    Path((raw_server, raw_tool)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, fastapi::Error> {
    let mut errors = Vec::new();
    let server_id = parse_path_uuid(&raw_server, "mcp_server_id")
        .map_err(|e| errors.push(e))
        .ok();
    let tool_id = parse_path_uuid(&raw_tool, "tool_id")
        .map_err(|e| errors.push(e))
        .ok();
    let approved = match decode_body(&headers, &body) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(body) => validate_approval(&body)
            .map_err(|es| errors.extend(es))
            .ok(),
    };
    let (Some(server_id), Some(tool_id), Some(approved)) = (server_id, tool_id, approved) else {
        return Err(fastapi::Error::Validation(errors));
    };
    let now = Instant::now();
    store.mutate(|state| {
        if !state.servers.iter().any(|s| s.id == server_id) {
            return Err(super::routes::not_found());
        }
        let tool = state
            .tools
            .iter_mut()
            .find(|t| t.id == tool_id && t.server_id == server_id && t.visible(now))
            .ok_or_else(super::routes::not_found)?;
        tool.is_approved = approved;
        tool.last_updated_at = now_secs();
        let tool = tool.clone();
        Ok(Json(tool.to_wire(&state.servers)))
    })
}

/// The approval body: `{"is_approved": bool}`, required, nothing else (`extra="forbid"`).
fn validate_approval(body: &Value) -> Result<bool, Vec<FieldError>> {
    let base = vec![json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base, body)]);
    };
    let mut errors = Vec::new();
    let approved = match fields.get("is_approved") {
        None => {
            errors.push(missing(at(&base, "is_approved"), body));
            None
        }
        Some(value) => lax_bool(value, at(&base, "is_approved"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    for (key, value) in fields.iter().filter(|(k, _)| k.as_str() != "is_approved") {
        errors.push(extra_forbidden(at(&base, key.as_str()), value));
    }
    match approved {
        Some(approved) if errors.is_empty() => Ok(approved),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_offers_the_names_in_its_tools_parameter() {
        assert_eq!(
            offered_names("https://mcp.example.com/x?tools=search,%20create,,&other=1"),
            vec!["search", "create"]
        );
        assert!(offered_names("https://mcp.example.com/x").is_empty());
        assert!(offered_names("not a url").is_empty());
    }

    #[test]
    fn the_approval_body_is_one_required_boolean() {
        assert_eq!(validate_approval(&json!({"is_approved": true})), Ok(true));
        assert_eq!(validate_approval(&json!({"is_approved": "no"})), Ok(false));
        for bad in [
            json!({}),
            json!({"is_approved": "maybe"}),
            json!({"is_approved": true, "x": 1}),
            json!([true]),
        ] {
            assert!(validate_approval(&bad).is_err(), "{bad}");
        }
    }
}
