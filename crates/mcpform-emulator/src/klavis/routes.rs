//! Klavis's routes and handlers: create (or find) an instance by user and server name, read,
//! update and delete one, behind FastAPI's `HTTPBearer` and an API-key check.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::store::KlavisState;
use super::validate::{path_id, server_key, validate_create, validate_update};
use super::wire::{Instance, update_answer};
use crate::fastapi::{self, bearer_credentials, decode_body};
use crate::store::Store;

pub(super) const BASE: &str = "/mcp-server/instance";

type Shared = State<Arc<Store<KlavisState>>>;

/// The routes, state applied (auth is added by the caller).
pub(super) fn router(store: Arc<Store<KlavisState>>) -> Router {
    Router::new()
        .route(&format!("{BASE}/create"), post(create))
        .route(
            &format!("{BASE}/{{instance_id}}"),
            get(read).patch(update).delete(remove),
        )
        .with_state(store)
}

/// FastAPI's `HTTPBearer`, then the key check. Runs before any validation, like a security
/// dependency.
pub(super) fn refusal(api_key: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let expected = api_key?;
    let refused = match bearer_credentials(headers) {
        None => fastapi::Error::NotAuthenticated,
        Some(key) if key != expected => {
            fastapi::Error::Http(StatusCode::FORBIDDEN, Some("Invalid API key"))
        }
        Some(_) => return None,
    };
    Some(refused.into_response())
}

fn not_found() -> fastapi::Error {
    fastapi::Error::Http(StatusCode::NOT_FOUND, Some("Instance not found"))
}

/// `POST /create`: the instance of `(userId, serverName)`, created when missing. A known pair
/// answers its existing instance unchanged (its `isReadOnly` included); server names compare
/// case- and separator-insensitively.
async fn create(
    State(store): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, fastapi::Error> {
    let body = decode_body(&headers, &body).map_err(|e| fastapi::Error::Validation(vec![e]))?;
    let request = validate_create(&body).map_err(fastapi::Error::Validation)?;
    let key = server_key(&request.server_name);
    store.mutate(|state| {
        let existing = state
            .instances
            .iter()
            .find(|i| i.external_user_id == request.user_id && server_key(&i.server_name) == key);
        let instance = match existing {
            Some(instance) => instance.clone(),
            None => {
                let instance = Instance {
                    id: uuid::Uuid::new_v4(),
                    auth_needed: true,
                    is_authenticated: false,
                    server_name: request.server_name.clone(),
                    platform: String::new(),
                    external_user_id: request.user_id.clone(),
                    oauth_url: None,
                    is_read_only: request.is_read_only,
                };
                state.instances.push(instance.clone());
                instance
            }
        };
        Ok(Json(json!({
            "serverUrl": format!("https://strata.klavis.ai/mcp/?instance_id={}", instance.id),
            "instanceId": instance.id.to_string(),
            "oauthUrl": null,
        })))
    })
}

async fn read(
    State(store): Shared,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, fastapi::Error> {
    let id = path_id(&raw_id).map_err(|e| fastapi::Error::Validation(vec![e]))?;
    store.read(|state| {
        state
            .position(id)
            .map(|i| Json(state.instances[i].to_wire()))
            .ok_or_else(not_found)
    })
}

/// `PATCH`: sets `isReadOnly` when the body carries a value; `{}` and `null` change nothing.
async fn update(
    State(store): Shared,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, fastapi::Error> {
    // FastAPI validates the path and the body together and reports both.
    let mut errors = Vec::new();
    let id = path_id(&raw_id).map_err(|e| errors.push(e)).ok();
    let change = match decode_body(&headers, &body) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(body) => validate_update(&body).map_err(|es| errors.extend(es)).ok(),
    };
    let (Some(id), Some(change)) = (id, change) else {
        return Err(fastapi::Error::Validation(errors));
    };
    let Some(read_only) = change else {
        return store.read(|state| {
            let index = state.position(id).ok_or_else(not_found)?;
            Ok(update_answer(&state.instances[index]))
        });
    };
    store.mutate(|state| {
        let index = state.position(id).ok_or_else(not_found)?;
        let instance = &mut state.instances[index];
        instance.is_read_only = read_only;
        Ok(update_answer(instance))
    })
}

/// `DELETE`: 200 `StatusResponse`.
async fn remove(
    State(store): Shared,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, fastapi::Error> {
    let id = path_id(&raw_id).map_err(|e| fastapi::Error::Validation(vec![e]))?;
    store.mutate(|state| {
        let index = state.position(id).ok_or_else(not_found)?;
        state.instances.remove(index);
        let mut answer = Map::new();
        answer.insert("success".into(), json!(true));
        answer.insert(
            "message".into(),
            json!(format!("Server instance {id} deleted successfully")),
        );
        Ok(Json(Value::Object(answer)))
    })
}
