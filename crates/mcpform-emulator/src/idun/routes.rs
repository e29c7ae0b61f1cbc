//! Idun's routes and handlers: the admin CRUD (shallow `PATCH`, reload reports), the
//! password-mode session login, and the admin error envelope.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use uuid::Uuid;

use super::slug::normalize_slug;
use super::store::{IdunState, MAX_SLUG_SUFFIX};
use super::validate::{validate_create, validate_patch};
use super::wire::{Row, reload};
use crate::fastapi::{
    self, FieldError, decode_body, expect_str, missing, model_attributes_type, parse_path_uuid,
};
use crate::store::{PersistError, Store};

pub(super) const BASE: &str = "/admin/api/v1/mcp-servers";

pub(super) const AUTH_BASE: &str = "/admin/api/v1/auth";

const SESSION_COOKIE: &str = "idun_session";

const SESSION_TTL_SECS: u64 = 24 * 3600;

/// Where the emulator ends every session, as a restart with a new session secret would. Reached
/// through an [`Interleave`](crate::Interleave) (which skips auth) to expire a client's session
/// mid-run, e.g. `DELETE /_emulator/sessions` before the next `POST`; a direct call needs a
/// session itself. Not recorded, like every `/_emulator` route.
pub(super) const END_SESSIONS_PATH: &str = "/_emulator/sessions";

/// How long a create takes between choosing its slug and inserting the row. The real server
/// picks the slug before it takes its write lock and awaits its database in between, so
/// concurrent creates whose names fold to one slug both pick it, and the second insert fails
/// its UNIQUE constraint: 500 `internal_error`. This window makes that race show here too.
const SLUG_RACE_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// A `StandaloneAdminError` answer, or the plain FastAPI 401 of the auth gate.
enum IdunError {
    Admin {
        status: StatusCode,
        code: &'static str,
        message: String,
        field_errors: Option<Vec<Value>>,
    },
    AuthRequired,
    Persist(std::io::Error),
}

impl IdunError {
    fn admin(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        IdunError::Admin {
            status,
            code,
            message: message.into(),
            field_errors: None,
        }
    }

    /// Request validation (body, path and query alike), as the admin handler renders it.
    fn validation(errors: Vec<FieldError>) -> Self {
        IdunError::Admin {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "Request body failed validation.".into(),
            field_errors: Some(
                errors
                    .iter()
                    .map(|e| json!({ "field": e.dotted_loc(), "message": e.msg, "code": e.kind }))
                    .collect(),
            ),
        }
    }

    /// What a write gets on a server with no agent: the assembled config cannot validate.
    fn no_agent() -> Self {
        IdunError::Admin {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "Assembled config failed validation.".into(),
            field_errors: Some(Vec::new()),
        }
    }

    fn not_found(id: Uuid) -> Self {
        IdunError::admin(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No MCP server with id {id}."),
        )
    }
}

impl From<PersistError> for IdunError {
    fn from(e: PersistError) -> Self {
        IdunError::Persist(e.0)
    }
}

impl IntoResponse for IdunError {
    fn into_response(self) -> Response {
        match self {
            IdunError::Admin {
                status,
                code,
                message,
                field_errors,
            } => {
                // The envelope is dumped with `exclude_none`, so absent parts are left out.
                let mut error = json!({ "code": code, "message": message });
                if let Some(field_errors) = field_errors {
                    error["fieldErrors"] = Value::Array(field_errors);
                }
                (status, Json(json!({ "error": error }))).into_response()
            }
            IdunError::AuthRequired => {
                fastapi::detail(StatusCode::UNAUTHORIZED, "Authentication required.")
            }
            IdunError::Persist(err) => {
                eprintln!("idun emulator: cannot write the data file: {err}");
                IdunError::admin(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "An unexpected error occurred. See server logs for details.",
                )
                .into_response()
            }
        }
    }
}

pub(super) struct Idun {
    pub(super) store: Arc<Store<IdunState>>,
    /// `Some` = auth mode `password`.
    pub(super) password: Option<String>,
    /// Live session tokens; not persisted, like a restart that loses the signing secret.
    pub(super) sessions: Mutex<HashSet<String>>,
}

impl Idun {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        session_cookie(headers).is_some_and(|token| self.sessions().contains(&token))
    }

    /// `require_auth`: runs before body validation, like a FastAPI router dependency.
    pub(super) fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        (self.password.is_some() && !self.has_session(headers))
            .then(|| IdunError::AuthRequired.into_response())
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

type Shared = State<Arc<Idun>>;

/// The admin routes, which need a session in password mode and which interleaved writes go to,
/// and the auth routes, which anyone may call.
pub(super) fn routers(idun: Arc<Idun>) -> (Router, Router) {
    // Unknown admin paths (a trailing slash included) and methods get the admin envelope's 404;
    // behind auth, so that a request without a session gets the 401 first.
    let admin = Router::new()
        .route(BASE, get(list).post(create).fallback(admin_not_found))
        .route(
            &format!("{BASE}/{{mcp_id}}"),
            get(read)
                .patch(update)
                .delete(remove)
                .fallback(admin_not_found),
        )
        .route(
            &format!("{BASE}/{{mcp_id}}/tools"),
            post(check_connection).fallback(admin_not_found),
        )
        .route("/admin/api", any(admin_not_found))
        .route("/admin/api/", any(admin_not_found))
        .route("/admin/api/{*rest}", any(admin_not_found))
        .route(END_SESSIONS_PATH, delete(end_sessions))
        .with_state(idun.clone());
    let auth = Router::new()
        .route(
            &format!("{AUTH_BASE}/login"),
            post(login).fallback(admin_not_found),
        )
        .route(
            &format!("{AUTH_BASE}/logout"),
            post(logout).fallback(admin_not_found),
        )
        .route(
            &format!("{AUTH_BASE}/me"),
            get(me).fallback(admin_not_found),
        )
        .with_state(idun);
    (admin, auth)
}

/// The admin API's catch-all: 404 in the admin envelope, for any method.
async fn admin_not_found(uri: Uri) -> IdunError {
    IdunError::admin(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("No admin API endpoint at {}", uri.path()),
    )
}

/// `POST {id}/tools`: the live connection check. The emulator reaches no MCP server, so it
/// answers as the real server does for an unreachable one: 200 with `ok: false`.
async fn check_connection(
    State(idun): Shared,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, IdunError> {
    let id = path_id(&raw_id)?;
    idun.store.read(|state| {
        let row = state
            .rows
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| IdunError::not_found(id))?;
        let target = row
            .config
            .url
            .clone()
            .or_else(|| row.config.command.clone())
            .unwrap_or_default();
        Ok(Json(json!({
            "ok": false,
            "details": null,
            "error": format!("unexpected failure: the emulator connects to no MCP server ({target})"),
        })))
    })
}

/// 32 random bytes as hex, for session tokens.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn login(
    State(idun): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdunError> {
    let body = decode_body(&headers, &body).map_err(|e| IdunError::validation(vec![e]))?;
    let password = match &body {
        Value::Object(fields) => match fields.get("password") {
            None => Err(missing(vec![json!("body"), json!("password")], &body)),
            Some(v) => expect_str(v, vec![json!("body"), json!("password")]),
        },
        other => Err(model_attributes_type(vec![json!("body")], other)),
    }
    .map_err(|e| IdunError::validation(vec![e]))?;
    let Some(expected) = &idun.password else {
        return Err(IdunError::admin(
            StatusCode::SERVICE_UNAVAILABLE,
            "unsupported_mode",
            "Login is not available — IDUN_ADMIN_AUTH_MODE is not 'password'.",
        ));
    };
    if password != *expected {
        return Err(IdunError::admin(
            StatusCode::UNAUTHORIZED,
            "auth_required",
            "Invalid credentials.",
        ));
    }
    let token = random_token();
    idun.sessions().insert(token.clone());
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; Max-Age={SESSION_TTL_SECS}; Path=/; SameSite=Lax"
    );
    let mut response = Json(json!({ "ok": true })).into_response();
    if let Ok(value) = HeaderValue::try_from(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn logout(State(idun): Shared, headers: HeaderMap) -> Response {
    if let Some(token) = session_cookie(&headers) {
        idun.sessions().remove(&token);
    }
    let mut response = Json(json!({ "ok": true })).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "idun_session=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Max-Age=0; Path=/; SameSite=Lax",
        ),
    );
    response
}

async fn end_sessions(State(idun): Shared) -> StatusCode {
    idun.sessions().clear();
    StatusCode::NO_CONTENT
}

async fn me(State(idun): Shared, headers: HeaderMap) -> Json<Value> {
    Json(match idun.password {
        None => json!({ "authenticated": true, "authMode": "none" }),
        Some(_) => json!({ "authenticated": idun.has_session(&headers), "authMode": "password" }),
    })
}

async fn list(State(idun): Shared) -> Json<Value> {
    idun.store.read(|state| {
        let mut rows: Vec<&Row> = state.rows.iter().collect();
        rows.sort_by_key(|r| r.created_at);
        Json(Value::Array(rows.iter().map(|r| r.to_wire()).collect()))
    })
}

async fn create(
    State(idun): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), IdunError> {
    let body = decode_body(&headers, &body).map_err(|e| IdunError::validation(vec![e]))?;
    let (name, enabled, config) = validate_create(&body).map_err(IdunError::validation)?;
    let Some(candidate) = normalize_slug(&name) else {
        return Err(IdunError::Admin {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "Cannot derive a slug from the provided name.".into(),
            field_errors: Some(vec![json!({
                "field": "name",
                "message": format!("Cannot derive a slug from name {}", python_repr(&name)),
                "code": "invalid",
            })]),
        });
    };
    // `ensure_unique_slug` runs before the write lock: see `SLUG_RACE_WINDOW`.
    let slug = idun.store.read(|state| {
        state
            .unique_slug(&candidate, &HashSet::new())
            .ok_or_else(|| {
                IdunError::admin(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "Could not find a unique slug for {} after {MAX_SLUG_SUFFIX} attempts",
                        python_repr(&candidate)
                    ),
                )
            })
    })?;
    tokio::time::sleep(SLUG_RACE_WINDOW).await;
    let data = idun.store.mutate(|state| {
        if !state.agent {
            return Err(IdunError::no_agent());
        }
        if state.rows.iter().any(|r| r.slug == slug) {
            // sqlite3.IntegrityError: UNIQUE constraint failed, unhandled.
            return Err(IdunError::admin(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "An unexpected error occurred. See server logs for details.",
            ));
        }
        let now = SystemTime::now();
        let row = Row {
            id: Uuid::new_v4(),
            slug,
            name,
            enabled,
            config,
            created_at: now,
            updated_at: now,
        };
        let data = row.to_wire();
        state.rows.push(row);
        Ok::<_, IdunError>(data)
    })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "data": data, "reload": reload("Saved and reloaded.") })),
    ))
}

/// Python's `repr` of a simple string, for messages that embed `{name!r}`.
fn python_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn path_id(raw: &str) -> Result<Uuid, IdunError> {
    parse_path_uuid(raw, "mcp_id").map_err(|e| IdunError::validation(vec![e]))
}

async fn read(State(idun): Shared, Path(raw_id): Path<String>) -> Result<Json<Value>, IdunError> {
    let id = path_id(&raw_id)?;
    idun.store.read(|state| {
        state
            .rows
            .iter()
            .find(|r| r.id == id)
            .map(|r| Json(r.to_wire()))
            .ok_or_else(|| IdunError::not_found(id))
    })
}

/// `PATCH`: shallow; `enabled: null` and `mcpServer: null` are ignored, `mcpServer` is replaced
/// whole, the slug never changes. `updatedAt` moves only when a value really changed, as the
/// ORM skips an UPDATE that changes nothing.
async fn update(
    State(idun): Shared,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, IdunError> {
    let mut errors = Vec::new();
    let id = parse_path_uuid(&raw_id, "mcp_id")
        .map_err(|e| errors.push(e))
        .ok();
    let patch = match decode_body(&headers, &body) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(body) => validate_patch(&body).map_err(|es| errors.extend(es)).ok(),
    };
    let (Some(id), Some(patch)) = (id, patch) else {
        return Err(IdunError::validation(errors));
    };
    if !patch.touched {
        return idun.store.read(|state| {
            let row = state
                .rows
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| IdunError::not_found(id))?;
            Ok(Json(
                json!({ "data": row.to_wire(), "reload": reload("No changes.") }),
            ))
        });
    }
    let data = idun.store.mutate(|state| {
        let agent = state.agent;
        let row = state
            .rows
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| IdunError::not_found(id))?;
        if !agent {
            return Err(IdunError::no_agent());
        }
        let before = (row.name.clone(), row.enabled, row.config.clone());
        if let Some(name) = patch.name {
            row.name = name;
        }
        if let Some(enabled) = patch.enabled {
            row.enabled = enabled;
        }
        if let Some(config) = patch.config {
            row.config = config;
        }
        if before != (row.name.clone(), row.enabled, row.config.clone()) {
            row.updated_at = SystemTime::now();
        }
        Ok::<_, IdunError>(row.to_wire())
    })?;
    Ok(Json(
        json!({ "data": data, "reload": reload("Saved and reloaded.") }),
    ))
}

async fn remove(State(idun): Shared, Path(raw_id): Path<String>) -> Result<Json<Value>, IdunError> {
    let id = path_id(&raw_id)?;
    idun.store.mutate(|state| {
        let index = state
            .rows
            .iter()
            .position(|r| r.id == id)
            .ok_or_else(|| IdunError::not_found(id))?;
        if !state.agent {
            return Err(IdunError::no_agent());
        }
        state.rows.remove(index);
        Ok(Json(json!({
            "data": { "id": id.to_string(), "deleted": true },
            "reload": reload("Saved and reloaded."),
        })))
    })
}
