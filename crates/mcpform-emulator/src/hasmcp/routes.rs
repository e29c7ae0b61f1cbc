//! HasMCP's routes and handlers: list, create, read, full-replacement update and delete, behind
//! CE's exact-match bearer check, with its `{"error": {...}}` envelope and Fiber's fallbacks.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::go_json::decode_request;
use super::store::{HasmcpState, INITIAL_VERSION};
use super::validate::validate;
use super::wire::{Links, Preload, Server, is_id, new_id, now};
use crate::store::{PersistError, Store};

pub(super) const BASE: &str = "/servers";

/// CE's literal answers, byte for byte.
pub(super) const INVALID_PAYLOAD: &str =
    r#"{"error": {"message":"invalid request payload", "code":400}}"#;

pub(super) const UNAUTHORIZED: &str =
    r#"{"error": {"message":"authentication failed", "code":401}}"#;

#[derive(Debug)]
pub(super) enum HasmcpError {
    /// `{"error": {"code", "message", "data"?}}` with `code` = the HTTP status.
    Api {
        status: StatusCode,
        message: String,
        /// Sorted by key, as Go marshals a map; left out when empty.
        data: Map<String, Value>,
    },
    /// HTTP 422 with `"code": 400` in the body.
    InvalidPayload,
    Unauthorized,
    /// The data file could not be written; `message` is CE's for the operation.
    Persist {
        message: &'static str,
        error: std::io::Error,
    },
}

impl HasmcpError {
    pub(super) fn bad_request(message: &str, key: &str, value: Value) -> Self {
        let mut data = Map::new();
        data.insert(key.to_owned(), value);
        HasmcpError::Api {
            status: StatusCode::BAD_REQUEST,
            message: message.to_owned(),
            data,
        }
    }

    fn not_found(id: &str) -> Self {
        let mut data = Map::new();
        data.insert("reason".into(), json!("record not found"));
        data.insert("serverID".into(), json!(id));
        HasmcpError::Api {
            status: StatusCode::NOT_FOUND,
            message: "server not found".into(),
            data,
        }
    }

    /// For seed errors.
    pub(super) fn describe(&self) -> String {
        match self {
            HasmcpError::Api { message, data, .. } => match data.values().next() {
                Some(value) => format!("{message} ({value})"),
                None => message.clone(),
            },
            other => format!("{other:?}"),
        }
    }

    /// Marks a persist failure with CE's message for the operation.
    fn during(message: &'static str) -> impl Fn(HasmcpError) -> HasmcpError {
        move |e| match e {
            HasmcpError::Persist { error, .. } => HasmcpError::Persist { message, error },
            other => other,
        }
    }
}

impl From<PersistError> for HasmcpError {
    fn from(e: PersistError) -> Self {
        HasmcpError::Persist {
            message: "internal server error",
            error: e.0,
        }
    }
}

impl IntoResponse for HasmcpError {
    fn into_response(self) -> Response {
        match self {
            HasmcpError::Api {
                status,
                message,
                data,
            } => {
                let mut error = Map::new();
                error.insert("code".into(), json!(status.as_u16()));
                error.insert("message".into(), json!(message));
                if !data.is_empty() {
                    error.insert("data".into(), Value::Object(data));
                }
                (status, Json(json!({ "error": error }))).into_response()
            }
            HasmcpError::InvalidPayload => (
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CONTENT_TYPE, "application/json")],
                INVALID_PAYLOAD,
            )
                .into_response(),
            // Sent by a middleware that sets no content type.
            HasmcpError::Unauthorized => {
                (StatusCode::UNAUTHORIZED, [PLAIN_TEXT], UNAUTHORIZED).into_response()
            }
            HasmcpError::Persist { message, error } => {
                eprintln!("hasmcp emulator: cannot write the data file: {error}");
                let mut data = Map::new();
                data.insert("reason".into(), json!(error.to_string()));
                HasmcpError::Api {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: message.into(),
                    data,
                }
                .into_response()
            }
        }
    }
}

type Shared = State<Arc<Store<HasmcpState>>>;

/// The routes, state applied (auth is added by the caller).
pub(super) fn router(store: Arc<Store<HasmcpState>>) -> Router {
    Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{id}}"),
            get(read).patch(update).delete(remove),
        )
        .with_state(store)
}

/// CE compares the whole header with `"Bearer " + token`: exact, case-sensitive.
pub(super) fn refusal(token: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let expected = format!("Bearer {}", token?);
    let presented = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    (presented != Some(expected.as_bytes())).then(|| HasmcpError::Unauthorized.into_response())
}

/// Fiber's default error handler: plain text, `Cannot GET /path` for an unknown route, and
/// `Method Not Allowed` for a known route with another method.
pub(super) fn fallbacks(router: Router) -> Router {
    router
        .fallback(|method: Method, uri: Uri| async move {
            let text = format!("Cannot {method} {}", html_escape(uri.path()));
            (StatusCode::NOT_FOUND, [PLAIN_TEXT], text).into_response()
        })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                [PLAIN_TEXT],
                "Method Not Allowed",
            )
                .into_response()
        })
}

/// What fasthttp sends when nothing set a content type.
const PLAIN_TEXT: (header::HeaderName, &str) = (header::CONTENT_TYPE, "text/plain; charset=utf-8");

/// Go's `html.EscapeString`.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
}

/// `GET /servers`: every server, tools only; `{}` when there are none (`omitempty`).
async fn list(State(store): Shared) -> Json<Value> {
    store.read(|state| {
        let servers: Vec<Value> = state
            .servers
            .iter()
            .map(|s| s.to_wire(Preload::Tools))
            .collect();
        let mut out = Map::new();
        if !servers.is_empty() {
            out.insert("servers".into(), Value::Array(servers));
        }
        Json(Value::Object(out))
    })
}

/// `POST /servers`: 201; the client's `version` is ignored and set to 1.
async fn create(
    State(store): Shared,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), HasmcpError> {
    let input = decode_request(&body).ok_or(HasmcpError::InvalidPayload)?;
    validate(&input, None)?;
    let answer = store.mutate(|state| {
        let id = loop {
            let id = new_id();
            if state.position(&id).is_none() {
                break id;
            }
        };
        let now = now();
        let server = Server {
            id,
            created_at: now,
            updated_at: now,
            request_headers_proxy_enabled: input.request_headers_proxy_enabled,
            links: Links::from_input(&input),
            name: input.name,
            instructions: input.instructions,
            version: INITIAL_VERSION,
        };
        let answer = server.to_wire(Preload::All);
        state.servers.push(server);
        Ok::<_, HasmcpError>(answer)
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "server": answer }))))
}

async fn read(State(store): Shared, Path(id): Path<String>) -> Result<Json<Value>, HasmcpError> {
    if !is_id(&id) {
        return Err(HasmcpError::bad_request(
            "invalid server ID",
            "serverID",
            json!(id),
        ));
    }
    store.read(|state| {
        let index = state
            .position(&id)
            .ok_or_else(|| HasmcpError::not_found(&id))?;
        Ok(Json(
            json!({ "server": state.servers[index].to_wire(Preload::All) }),
        ))
    })
}

/// `PATCH /servers/{id}`: full replacement; `mod.rs` describes the stale-version quirk.
async fn update(
    State(store): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, HasmcpError> {
    let input = decode_request(&body).ok_or(HasmcpError::InvalidPayload)?;
    validate(&input, Some(&id))?;
    store
        .mutate(|state| {
            let index = state
                .position(&id)
                .ok_or_else(|| HasmcpError::not_found(&id))?;
            let server = &mut state.servers[index];
            // `UPDATE ... WHERE id = ? AND version = ?`: a stale version matches no row.
            if i64::from(server.version) == input.version {
                server.version = server
                    .version
                    .checked_add(1)
                    .ok_or_else(|| HasmcpError::Api {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        message: "failed to update the server".into(),
                        data: Map::from_iter([("reason".into(), json!("integer out of range"))]),
                    })?;
                server.name = input.name.clone();
                server.instructions = input.instructions.clone();
                server.request_headers_proxy_enabled = input.request_headers_proxy_enabled;
                server.updated_at = now();
            }
            // The associations are deleted and re-inserted whatever the version.
            server.links = Links::from_input(&input);
            Ok(Json(json!({ "server": server.to_wire(Preload::All) })))
        })
        .map_err(HasmcpError::during("failed to update the server"))
}

/// `DELETE /servers/{id}`: 204 whether or not the server exists (or the id is well-formed).
async fn remove(State(store): Shared, Path(id): Path<String>) -> Result<StatusCode, HasmcpError> {
    if store.read(|state| state.position(&id).is_none()) {
        return Ok(StatusCode::NO_CONTENT);
    }
    store
        .mutate(|state| {
            state.servers.retain(|s| s.id != id);
            Ok(StatusCode::NO_CONTENT)
        })
        .map_err(HasmcpError::during("failed to delete server"))
}
