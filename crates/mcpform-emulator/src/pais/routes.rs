//! PAIS's routes and handlers: list with cursor pagination, create, read, merge-patch update and
//! delete, behind FastAPI's `HTTPBearer`; the tool routes are `tools.rs`'s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use uuid::Uuid;

use super::paging::{self, Listing};
use super::store::{PaisState, now_secs};
use super::tools;
use super::validate::{CREATE_FIELDS, UPDATE_FIELDS, parse_list_query, validate_write};
use super::wire::McpServer;
use crate::fastapi::{self, bearer_credentials, decode_body, parse_path_uuid};
use crate::store::Store;

pub(super) const BASE: &str = "/api/v1/control/mcp-servers";

type Shared = State<Arc<Store<PaisState>>>;

/// The routes, state applied (auth is added by the caller).
pub(super) fn router(store: Arc<Store<PaisState>>) -> Router {
    Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{mcp_server_id}}"),
            get(read).patch(update).delete(remove),
        )
        .merge(tools::router())
        .with_state(store)
}

/// FastAPI's `HTTPBearer` plus a token check; both failures look the same to the client.
pub(super) fn refusal(token: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let token = token?;
    (bearer_credentials(headers).map(str::trim) != Some(token))
        .then(|| fastapi::Error::NotAuthenticated.into_response())
}

/// PAIS answers an unknown id with a bare 404 ("Invalid MCP server ID.", no body).
pub(super) fn not_found() -> fastapi::Error {
    fastapi::Error::Http(StatusCode::NOT_FOUND, None)
}

/// `GET` list, paged as `paging.rs` says, with the `name` filter.
async fn list(
    State(store): Shared,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, fastapi::Error> {
    let query = parse_list_query(raw.as_deref()).map_err(fastapi::Error::Validation)?;
    store.read(|state| {
        let listing = Listing {
            items: state.servers.iter().collect(),
            id: |s: &McpServer| s.id,
            wire: &McpServer::to_wire,
            noun: "MCP server",
        };
        let matches_name = |s: &McpServer| {
            query
                .name
                .as_ref()
                .is_none_or(|n| s.name() == Some(n.as_str()))
        };
        paging::page(listing, &query, matches_name).map(Json)
    })
}

async fn create(
    State(store): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), fastapi::Error> {
    let body = decode_body(&headers, &body).map_err(|e| fastapi::Error::Validation(vec![e]))?;
    let patch = validate_write(&body, &CREATE_FIELDS, true).map_err(fastapi::Error::Validation)?;
    let answer = store.mutate(|state| {
        let now = now_secs();
        let mut server = McpServer::new(Uuid::new_v4(), now, now);
        server.merge(&patch);
        let answer = server.answer_pending_then_available(now);
        let delay = state.tool_discovery_delay;
        tools::discover(&mut state.tools, &server, now, delay);
        state.servers.push(server);
        Ok::<_, fastapi::Error>(answer)
    })?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn read(
    State(store): Shared,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, fastapi::Error> {
    let id = parse_path_uuid(&raw_id, "mcp_server_id")
        .map_err(|e| fastapi::Error::Validation(vec![e]))?;
    store.read(|state| {
        state
            .servers
            .iter()
            .find(|s| s.id == id)
            .map(|s| Json(s.to_wire()))
            .ok_or_else(not_found)
    })
}

/// `PATCH`: JSON Merge Patch. The body is validated first, path and body together, before the
/// server is looked up (so a bad body on an unknown id is a 422, not a 404); then the validated
/// body is merged into the server. Nothing is checked after the merge: every key sent was valid on
/// its own, and `url` and `transport`, the required ones, cannot be `null`, so the merge cannot
/// remove them.
async fn update(
    State(store): Shared,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, fastapi::Error> {
    // FastAPI validates the path and the body together and reports both.
    let mut errors = Vec::new();
    let id = parse_path_uuid(&raw_id, "mcp_server_id")
        .map_err(|e| errors.push(e))
        .ok();
    let patch = match decode_body(&headers, &body) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(body) => validate_write(&body, &UPDATE_FIELDS, false)
            .map_err(|es| errors.extend(es))
            .ok(),
    };
    let (Some(id), Some(patch)) = (id, patch) else {
        return Err(fastapi::Error::Validation(errors));
    };
    let answer = store.mutate(|state| {
        let server = state
            .servers
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(not_found)?;
        let now = now_secs();
        server.merge(&patch);
        server.last_updated_at = now;
        Ok::<_, fastapi::Error>(server.answer_pending_then_available(now))
    })?;
    Ok(Json(answer))
}

/// `DELETE`: 204; 409 while one of the server's tools is linked to an agent (the data file's
/// `linked_agents`), which leaves the server in place.
async fn remove(
    State(store): Shared,
    Path(raw_id): Path<String>,
) -> Result<StatusCode, fastapi::Error> {
    let id = parse_path_uuid(&raw_id, "mcp_server_id")
        .map_err(|e| fastapi::Error::Validation(vec![e]))?;
    store.mutate(|state| {
        let index = state
            .servers
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(not_found)?;
        if !state.servers[index].linked_agents.is_empty() {
            return Err(fastapi::Error::Http(
                StatusCode::CONFLICT,
                Some("MCP server has tools linked to one or more agents."),
            ));
        }
        state.servers.remove(index);
        state.tools.retain(|t| t.server_id != id);
        Ok(StatusCode::NO_CONTENT)
    })
}
