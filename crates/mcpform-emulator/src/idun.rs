//! Emulator of the Idun Agent Platform standalone admin API (`/admin/api/v1/mcp-servers`).
//!
//! Owns Idun's camelCase wire shapes, the engine `MCPServer` schema (defaults, transport rules),
//! slugs, the shallow `PATCH` (inner `mcpServer` replaced whole, `null` never clears), the admin
//! error envelope and password-mode sessions. The engine reload always succeeds here; tests model
//! a failed one with `Fault::idun_reload_failed`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::interleave::Interleaver;
use super::random_token;
use super::store::{PersistError, PlatformState, Store, servers_of};
use super::validation::{
    FieldError, at, decode_body, expect_str, lax_bool, lax_float, missing, model_attributes_type,
    one_of, parse_path_uuid, string_list, string_map, value_error,
};
use super::{Fallback, PlatformApp};

const BASE: &str = "/admin/api/v1/mcp-servers";
const AUTH_BASE: &str = "/admin/api/v1/auth";
const SESSION_COOKIE: &str = "idun_session";
const SESSION_TTL_SECS: u64 = 24 * 3600;
const TRANSPORTS: [&str; 4] = ["stdio", "sse", "streamable_http", "websocket"];
const ENCODING_ERROR_HANDLERS: [&str; 3] = ["strict", "ignore", "replace"];
const MAX_SLUG_LEN: usize = 64;
const MAX_SLUG_SUFFIX: u32 = 99;

/// The engine's `MCPServer` (`idun_agent_schema/engine/mcp_server.py`), after validation.
#[derive(Clone, Debug, PartialEq)]
struct McpServerConfig {
    name: String,
    transport: String,
    url: Option<String>,
    command: Option<String>,
    args: Vec<String>,
    headers: Map<String, Value>,
    env: Map<String, Value>,
    cwd: Option<String>,
    encoding: Option<String>,
    encoding_error_handler: Option<String>,
    timeout_seconds: Option<f64>,
    sse_read_timeout_seconds: Option<f64>,
    terminate_on_close: Option<bool>,
    session_kwargs: Map<String, Value>,
}

impl McpServerConfig {
    /// The read form: every field, unset optionals as `null` (FastAPI does not exclude None).
    fn to_wire(&self) -> Value {
        json!({
            "name": self.name,
            "transport": self.transport,
            "url": self.url,
            "command": self.command,
            "args": self.args,
            "headers": self.headers,
            "env": self.env,
            "cwd": self.cwd,
            "encoding": self.encoding,
            "encodingErrorHandler": self.encoding_error_handler,
            "timeoutSeconds": self.timeout_seconds,
            "sseReadTimeoutSeconds": self.sse_read_timeout_seconds,
            "terminateOnClose": self.terminate_on_close,
            "sessionKwargs": self.session_kwargs,
        })
    }
}

/// A field found under its camelCase alias or, failing that, its snake_case name
/// (`populate_by_name=True`; pydantic tries the alias first).
fn field<'a>(fields: &'a Map<String, Value>, alias: &str, name: &str) -> Option<&'a Value> {
    fields.get(alias).or_else(|| fields.get(name))
}

/// Validates an `MCPServer` at `loc`. Unknown keys are ignored, as pydantic's default does.
fn validate_mcp_server(value: &Value, loc: &[Value]) -> Result<McpServerConfig, Vec<FieldError>> {
    let Value::Object(fields) = value else {
        return Err(vec![model_attributes_type(loc.to_vec(), value)]);
    };
    let mut errors = Vec::new();
    let text =
        |alias: &str, name: &str, errors: &mut Vec<FieldError>| match field(fields, alias, name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(expect_str(v, at(loc, alias)), errors).map(Some),
        };
    let float =
        |alias: &str, name: &str, errors: &mut Vec<FieldError>| match field(fields, alias, name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(lax_float(v, at(loc, alias)), errors).map(Some),
        };
    let map = |alias: &str, name: &str, any_values: bool, errors: &mut Vec<FieldError>| match field(
        fields, alias, name,
    ) {
        None => Some(Map::new()),
        Some(v) => take_all(string_map(v, at(loc, alias), any_values), errors),
    };
    // Checked in the schema's field order, which is the order pydantic reports errors in.
    let name = match field(fields, "name", "name") {
        None => take(Err(missing(at(loc, "name"), value)), &mut errors),
        Some(v) => take(expect_str(v, at(loc, "name")), &mut errors),
    };
    let transport = match field(fields, "transport", "transport") {
        None => Some("streamable_http".to_owned()),
        Some(v) => take(
            one_of(v, &TRANSPORTS, "literal_error", at(loc, "transport")),
            &mut errors,
        ),
    };
    let url = text("url", "url", &mut errors);
    let command = text("command", "command", &mut errors);
    let args = match field(fields, "args", "args") {
        None => Some(Vec::new()),
        Some(v) => take_all(string_list(v, at(loc, "args")), &mut errors),
    };
    let headers = map("headers", "headers", false, &mut errors);
    let env = map("env", "env", false, &mut errors);
    let cwd = text("cwd", "cwd", &mut errors);
    let encoding = text("encoding", "encoding", &mut errors);
    let encoding_error_handler =
        match field(fields, "encodingErrorHandler", "encoding_error_handler") {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(
                one_of(
                    v,
                    &ENCODING_ERROR_HANDLERS,
                    "literal_error",
                    at(loc, "encodingErrorHandler"),
                ),
                &mut errors,
            )
            .map(Some),
        };
    let timeout_seconds = float("timeoutSeconds", "timeout_seconds", &mut errors);
    let sse_read_timeout_seconds = float(
        "sseReadTimeoutSeconds",
        "sse_read_timeout_seconds",
        &mut errors,
    );
    let terminate_on_close = match field(fields, "terminateOnClose", "terminate_on_close") {
        None | Some(Value::Null) => Some(None),
        Some(v) => take(lax_bool(v, at(loc, "terminateOnClose")), &mut errors).map(Some),
    };
    let session_kwargs = map("sessionKwargs", "session_kwargs", true, &mut errors);

    let (
        Some(name),
        Some(transport),
        Some(url),
        Some(command),
        Some(args),
        Some(headers),
        Some(env),
        Some(cwd),
        Some(encoding),
        Some(encoding_error_handler),
        Some(timeout_seconds),
        Some(sse_read_timeout_seconds),
        Some(terminate_on_close),
        Some(session_kwargs),
    ) = (
        name,
        transport,
        url,
        command,
        args,
        headers,
        env,
        cwd,
        encoding,
        encoding_error_handler,
        timeout_seconds,
        sse_read_timeout_seconds,
        terminate_on_close,
        session_kwargs,
    )
    else {
        return Err(errors);
    };
    // The schema's `@model_validator(mode="after")`, which only runs once every field is valid.
    let blank = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
    let rule = if transport != "stdio" && blank(&url) {
        Some(format!("url is required for transport '{transport}'"))
    } else if transport == "stdio" && blank(&command) {
        Some("command is required for stdio transport".to_owned())
    } else if transport == "stdio" && args.is_empty() {
        Some("args is required for stdio transport".to_owned())
    } else {
        None
    };
    if let Some(message) = rule {
        return Err(vec![value_error(loc.to_vec(), &message, value)]);
    }
    Ok(McpServerConfig {
        name,
        transport,
        url,
        command,
        args,
        headers,
        env,
        cwd,
        encoding,
        encoding_error_handler,
        timeout_seconds,
        sse_read_timeout_seconds,
        terminate_on_close,
        session_kwargs,
    })
}

fn take<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn take_all<T>(result: Result<T, Vec<FieldError>>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|es| errors.extend(es)).ok()
}

/// One `standalone_mcp_server` row.
#[derive(Clone, Debug)]
struct Row {
    id: Uuid,
    slug: String,
    name: String,
    enabled: bool,
    config: McpServerConfig,
    created_at: SystemTime,
    updated_at: SystemTime,
}

impl Row {
    /// `StandaloneMCPServerRead`.
    fn to_wire(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "slug": self.slug,
            "name": self.name,
            "enabled": self.enabled,
            "mcpServer": self.config.to_wire(),
            "createdAt": format_time(self.created_at),
            "updatedAt": format_time(self.updated_at),
        })
    }
}

/// Pydantic's rendering of a UTC datetime: ISO-8601 with microseconds and `Z`.
fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    let normalized = text
        .strip_suffix("+00:00")
        .map(|t| format!("{t}Z"))
        .unwrap_or_else(|| text.to_owned());
    humantime::parse_rfc3339_weak(&normalized).map_err(|e| format!("`{text}`: {e}"))
}

/// The rows in creation order.
#[derive(Clone, Debug, Default)]
struct IdunState {
    rows: Vec<Row>,
}

impl IdunState {
    /// `ensure_unique_slug`: the candidate, then `-2` … `-99`.
    fn unique_slug(&self, candidate: &str, also_taken: &HashSet<String>) -> Option<String> {
        let taken = |s: &str| also_taken.contains(s) || self.rows.iter().any(|r| r.slug == s);
        if !taken(candidate) {
            return Some(candidate.to_owned());
        }
        (2..=MAX_SLUG_SUFFIX)
            .map(|n| format!("{candidate}-{n}"))
            .find(|s| !taken(s))
    }
}

impl PlatformState for IdunState {
    fn from_value(value: Value) -> Result<Self, String> {
        let items = servers_of(value)?;
        // Explicit slugs are reserved first so that derived ones never steal them.
        let mut explicit = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(slug) = item.get("slug").and_then(Value::as_str) {
                if slug.is_empty() || !explicit.insert(slug.to_owned()) {
                    return Err(format!("servers[{i}]: empty or duplicate slug `{slug}`"));
                }
            }
        }
        let now = SystemTime::now();
        let mut state = IdunState::default();
        for (i, item) in items.iter().enumerate() {
            let row =
                seed_row(item, &state, &explicit, now).map_err(|e| format!("servers[{i}]: {e}"))?;
            if state.rows.iter().any(|r| r.id == row.id) {
                return Err(format!("servers[{i}]: duplicate id {}", row.id));
            }
            state.rows.push(row);
        }
        state.rows.sort_by_key(|r| r.created_at);
        Ok(state)
    }

    fn to_value(&self) -> Value {
        json!({ "servers": self.rows.iter().map(Row::to_wire).collect::<Vec<_>>() })
    }
}

fn seed_row(
    item: &Value,
    state: &IdunState,
    explicit_slugs: &HashSet<String>,
    now: SystemTime,
) -> Result<Row, String> {
    const KEYS: [&str; 10] = [
        "id",
        "slug",
        "name",
        "enabled",
        "mcpServer",
        "mcp_server",
        "createdAt",
        "created_at",
        "updatedAt",
        "updated_at",
    ];
    let Value::Object(fields) = item else {
        return Err("must be an object".into());
    };
    if let Some(key) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unknown key `{key}`"));
    }
    let describe = |errors: Vec<FieldError>| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.dotted_loc(), e.msg))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let name = match fields.get("name") {
        Some(v) => expect_str(v, vec![json!("name")]).map_err(|e| describe(vec![e]))?,
        None => return Err("name: Field required".into()),
    };
    let enabled = match fields.get("enabled") {
        None => true,
        Some(v) => lax_bool(v, vec![json!("enabled")]).map_err(|e| describe(vec![e]))?,
    };
    let config = match field(fields, "mcpServer", "mcp_server") {
        Some(v) => validate_mcp_server(v, &[json!("mcpServer")]).map_err(describe)?,
        None => return Err("mcpServer: Field required".into()),
    };
    let id = match fields.get("id") {
        None | Some(Value::Null) => Uuid::new_v4(),
        Some(Value::String(s)) => Uuid::parse_str(s).map_err(|e| format!("id: {e}"))?,
        Some(_) => return Err("id: must be a UUID string".into()),
    };
    let slug = match fields.get("slug") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => {
            let candidate = normalize_slug(&name)
                .ok_or_else(|| format!("cannot derive a slug from name {name:?}"))?;
            state
                .unique_slug(&candidate, explicit_slugs)
                .ok_or_else(|| format!("no free slug for `{candidate}`"))?
        }
        Some(_) => return Err("slug: must be a string".into()),
    };
    let time = |alias: &str, name: &str, default: SystemTime| match field(fields, alias, name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => parse_time(s).map_err(|e| format!("{alias}: {e}")),
        Some(_) => Err(format!("{alias}: must be an ISO-8601 string")),
    };
    let created_at = time("createdAt", "created_at", now)?;
    Ok(Row {
        id,
        slug,
        name,
        enabled,
        config,
        created_at,
        updated_at: time("updatedAt", "updated_at", created_at)?,
    })
}

/// `normalize_slug`: trim, fold to ASCII, lowercase, runs of anything else to `-`, trim `-`,
/// cut to 64 characters. `None` when nothing is left.
fn normalize_slug(name: &str) -> Option<String> {
    let mut folded = String::new();
    for c in name.trim().chars() {
        fold_to_ascii(c, &mut folded);
    }
    let mut slug = String::new();
    for c in folded.to_ascii_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(MAX_SLUG_LEN).collect();
    (!slug.is_empty()).then_some(slug)
}

/// An approximation of NFKD followed by dropping non-ASCII: the accented Latin letters, common
/// compatibility forms (ligatures, full-width ASCII, super/subscript digits, odd spaces) fold to
/// their ASCII base; anything else is dropped, as Python drops characters NFKD leaves non-ASCII.
fn fold_to_ascii(c: char, out: &mut String) {
    const GROUPS: [(&str, &str); 44] = [
        ("ÀÁÂÃÄÅĀĂĄǍ", "A"),
        ("àáâãäåāăąǎª", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("Ď", "D"),
        ("ď", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("Ĥ", "H"),
        ("ĥ", "h"),
        ("ÌÍÎÏĨĪĬĮİǏ", "I"),
        ("ìíîïĩīĭįǐ", "i"),
        ("Ĵ", "J"),
        ("ĵ", "j"),
        ("Ķ", "K"),
        ("ķ", "k"),
        ("ĹĻĽĿ", "L"),
        ("ĺļľŀ", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņňŉ", "n"),
        ("ÒÓÔÕÖŌŎŐƠǑ", "O"),
        ("òóôõöōŏőơǒº", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠ", "S"),
        ("śŝşšſ", "s"),
        ("ŢŤ", "T"),
        ("ţť", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲƯǓ", "U"),
        ("ùúûüũūŭůűųưǔ", "u"),
        ("Ŵ", "W"),
        ("ŵ", "w"),
        ("ÝŶŸ", "Y"),
        ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("Ĳ", "IJ"),
        ("ĳ", "ij"),
        ("ﬀ", "ff"),
        ("ﬁ", "fi"),
        ("ﬂ", "fl"),
        (
            "\u{a0}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{202f}\u{205f}\u{3000}",
            " ",
        ),
    ];
    if c.is_ascii() {
        out.push(c);
        return;
    }
    if let Some((_, ascii)) = GROUPS.iter().find(|(set, _)| set.contains(c)) {
        out.push_str(ascii);
        return;
    }
    let code = c as u32;
    let folded = match code {
        // Full-width ASCII.
        0xFF01..=0xFF5E => char::from_u32(code - 0xFF01 + 0x21),
        0xB9 => Some('1'),
        0xB2 => Some('2'),
        0xB3 => Some('3'),
        // Superscript and subscript digits.
        0x2070 => Some('0'),
        0x2074..=0x2079 => char::from_digit(code - 0x2070, 10),
        0x2080..=0x2089 => char::from_digit(code - 0x2080, 10),
        _ => None,
    };
    if let Some(f) = folded {
        out.push(f);
    }
}

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
            IdunError::AuthRequired => (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "detail": "Authentication required." })),
            )
                .into_response(),
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

fn reload(message: &str) -> Value {
    json!({ "status": "reloaded", "message": message, "error": null })
}

struct Idun {
    store: Arc<Store<IdunState>>,
    /// `Some` = auth mode `password`.
    password: Option<String>,
    /// Live session tokens; not persisted, like a restart that loses the signing secret.
    sessions: Mutex<HashSet<String>>,
}

impl Idun {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        session_cookie(headers).is_some_and(|token| self.sessions().contains(&token))
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

pub(crate) fn build(
    initial: Option<Value>,
    data: Option<PathBuf>,
    password: Option<&str>,
    interleaver: &Arc<Interleaver>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(initial, data)?);
    let idun = Arc::new(Idun {
        store: store.clone(),
        password: password.map(str::to_owned),
        sessions: Mutex::new(HashSet::new()),
    });
    // Interleaved writes go to the admin routes only; a login is not a write.
    let admin = Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{mcp_id}}"),
            get(read).patch(update).delete(remove),
        )
        .with_state(idun.clone());
    let admin = interleaver
        .wrap(admin)
        .route_layer(axum::middleware::from_fn_with_state(
            idun.clone(),
            require_session,
        ));
    let auth = Router::new()
        .route(&format!("{AUTH_BASE}/login"), post(login))
        .route(&format!("{AUTH_BASE}/logout"), post(logout))
        .route(&format!("{AUTH_BASE}/me"), get(me))
        .with_state(idun);
    Ok(PlatformApp {
        router: admin.merge(auth),
        state: store,
        fallback: Fallback::FastApi,
    })
}

/// `require_auth`: runs before body validation, like a FastAPI router dependency.
async fn require_session(State(idun): Shared, request: Request, next: Next) -> Response {
    if idun.password.is_some() && !idun.has_session(request.headers()) {
        return IdunError::AuthRequired.into_response();
    }
    next.run(request).await
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

/// `StandaloneMCPServerCreate`: `{name, enabled = true, mcpServer}`.
fn validate_create(body: &Value) -> Result<(String, bool, McpServerConfig), Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let name = match fields.get("name") {
        None => Err(missing(at(&base, "name"), body)),
        Some(v) => expect_str(v, at(&base, "name")),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let enabled = match fields.get("enabled") {
        None => Ok(true),
        Some(v) => lax_bool(v, at(&base, "enabled")),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let config = match field(fields, "mcpServer", "mcp_server") {
        None => Err(vec![missing(at(&base, "mcpServer"), body)]),
        Some(v) => validate_mcp_server(v, &at(&base, "mcpServer")),
    }
    .map_err(|es| errors.extend(es))
    .ok();
    match (name, enabled, config) {
        (Some(name), Some(enabled), Some(config)) => Ok((name, enabled, config)),
        _ => Err(errors),
    }
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
    let data = idun.store.mutate(|state| {
        let slug = state
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
            })?;
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

/// `StandaloneMCPServerPatch`, reduced to what the handler acts on.
struct Patch {
    /// Whether any known field was present (pydantic's `model_fields_set`).
    touched: bool,
    name: Option<String>,
    enabled: Option<bool>,
    config: Option<McpServerConfig>,
}

fn validate_patch(body: &Value) -> Result<Patch, Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let raw_name = fields.get("name");
    let name = match raw_name {
        None | Some(Value::Null) => None,
        Some(v) => expect_str(v, at(&base, "name"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let raw_enabled = fields.get("enabled");
    let enabled = match raw_enabled {
        None | Some(Value::Null) => None,
        Some(v) => lax_bool(v, at(&base, "enabled"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let raw_config = field(fields, "mcpServer", "mcp_server");
    let config = match raw_config {
        None | Some(Value::Null) => None,
        Some(v) => validate_mcp_server(v, &at(&base, "mcpServer"))
            .map_err(|es| errors.extend(es))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if raw_name == Some(&Value::Null) {
        return Err(vec![value_error(
            base.to_vec(),
            "name cannot be null",
            body,
        )]);
    }
    Ok(Patch {
        touched: raw_name.is_some() || raw_enabled.is_some() || raw_config.is_some(),
        name,
        enabled,
        config,
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
        let row = state
            .rows
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| IdunError::not_found(id))?;
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
        state.rows.remove(index);
        Ok(Json(json!({
            "data": { "id": id.to_string(), "deleted": true },
            "reload": reload("Saved and reloaded."),
        })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Platform;
    use crate::test_support::{client, send, start_emulator};
    use crate::{EmulatorAuth, Fault, RunningEmulator};

    async fn open() -> RunningEmulator {
        start_emulator(Platform::Idun, None, EmulatorAuth::None).await
    }

    fn servers(emu: &RunningEmulator) -> String {
        format!("{}{BASE}", emu.url())
    }

    async fn create(emu: &RunningEmulator, body: Value) -> (u16, Value) {
        send(client().post(servers(emu)).json(&body)).await
    }

    /// Creates a server and returns its id.
    async fn create_ok(emu: &RunningEmulator, body: Value) -> String {
        let (status, answer) = create(emu, body).await;
        assert_eq!(status, 201, "{answer}");
        answer["data"]["id"].as_str().unwrap().to_owned()
    }

    fn http_server(name: &str) -> Value {
        json!({ "name": name, "mcpServer": { "name": name.to_lowercase(), "url": "https://mcp.example.com" } })
    }

    fn is_iso_utc(v: &Value) -> bool {
        let s = v.as_str().unwrap_or_default();
        s.len() == 27 && s.ends_with('Z') && humantime::parse_rfc3339(s).is_ok()
    }

    #[tokio::test]
    async fn create_fills_schema_defaults_and_reads_them_back() {
        let emu = open().await;
        let (status, answer) = create(&emu, http_server("GitHub")).await;
        assert_eq!(status, 201);
        assert_eq!(
            answer["reload"],
            json!({ "status": "reloaded", "message": "Saved and reloaded.", "error": null })
        );
        let data = &answer["data"];
        assert_eq!(data["slug"], "github");
        assert_eq!(data["name"], "GitHub");
        assert_eq!(data["enabled"], true);
        assert!(is_iso_utc(&data["createdAt"]), "{}", data["createdAt"]);
        assert_eq!(data["createdAt"], data["updatedAt"]);
        assert_eq!(
            data["mcpServer"],
            json!({
                "name": "github",
                "transport": "streamable_http",
                "url": "https://mcp.example.com",
                "command": null,
                "args": [],
                "headers": {},
                "env": {},
                "cwd": null,
                "encoding": null,
                "encodingErrorHandler": null,
                "timeoutSeconds": null,
                "sseReadTimeoutSeconds": null,
                "terminateOnClose": null,
                "sessionKwargs": {}
            })
        );
        let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "id",
                "slug",
                "name",
                "enabled",
                "mcpServer",
                "createdAt",
                "updatedAt"
            ]
        );

        let id = data["id"].as_str().unwrap();
        let (status, read) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
        assert_eq!(status, 200);
        assert_eq!(&read, data, "GET returns the bare object");
        let (_, list) = send(client().get(servers(&emu))).await;
        assert_eq!(list, json!([data]), "the collection is a bare array");
        assert_eq!(emu.state(), json!({ "servers": [data] }));
    }

    #[tokio::test]
    async fn snake_case_input_lax_values_and_plaintext_secrets() {
        let emu = open().await;
        let (status, answer) = create(
            &emu,
            json!({
                "name": "Files",
                "enabled": "false",
                "mcp_server": {
                    "name": "files",
                    "transport": "stdio",
                    "command": "npx",
                    "args": ["-y", "server-files"],
                    "env": { "TOKEN": "s3cret" },
                    "timeout_seconds": 30,
                    "sseReadTimeoutSeconds": "2.5",
                    "terminate_on_close": 1,
                    "encoding_error_handler": "replace",
                    "session_kwargs": { "read_timeout": { "seconds": 3 } },
                    "ignoredKey": true
                }
            }),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        let server = &answer["data"]["mcpServer"];
        assert_eq!(answer["data"]["enabled"], false);
        assert_eq!(
            server["env"],
            json!({ "TOKEN": "s3cret" }),
            "env comes back in plaintext"
        );
        assert_eq!(server["timeoutSeconds"], json!(30.0));
        assert_eq!(server["sseReadTimeoutSeconds"], json!(2.5));
        assert_eq!(server["terminateOnClose"], true);
        assert_eq!(server["encodingErrorHandler"], "replace");
        assert_eq!(
            server["sessionKwargs"],
            json!({ "read_timeout": { "seconds": 3 } })
        );
        assert!(server.get("ignoredKey").is_none() && server.get("timeout_seconds").is_none());
    }

    #[tokio::test]
    async fn invalid_bodies_are_422_in_the_admin_envelope() {
        let emu = open().await;
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            ("array", json!([]), "body", "model_attributes_type"),
            (
                "no name",
                json!({ "mcpServer": { "name": "a", "url": "http://a" } }),
                "body.name",
                "missing",
            ),
            (
                "no mcpServer",
                json!({ "name": "a" }),
                "body.mcpServer",
                "missing",
            ),
            (
                "inner name",
                json!({ "name": "a", "mcpServer": { "url": "http://a" } }),
                "body.mcpServer.name",
                "missing",
            ),
            (
                "transport",
                json!({ "name": "a", "mcpServer": { "name": "a", "transport": "http", "url": "u" } }),
                "body.mcpServer.transport",
                "literal_error",
            ),
            (
                "url type",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": 1 } }),
                "body.mcpServer.url",
                "string_type",
            ),
            (
                "no url",
                json!({ "name": "a", "mcpServer": { "name": "a", "transport": "sse" } }),
                "body.mcpServer",
                "value_error",
            ),
            (
                "empty url",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "" } }),
                "body.mcpServer",
                "value_error",
            ),
            (
                "stdio no command",
                json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "args": ["x"] } }),
                "body.mcpServer",
                "value_error",
            ),
            (
                "stdio no args",
                json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "command": "x" } }),
                "body.mcpServer",
                "value_error",
            ),
            (
                "args type",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "args": "x" } }),
                "body.mcpServer.args",
                "list_type",
            ),
            (
                "arg item",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "args": [1] } }),
                "body.mcpServer.args.0",
                "string_type",
            ),
            (
                "header value",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "headers": { "A": 1 } } }),
                "body.mcpServer.headers.A",
                "string_type",
            ),
            (
                "env type",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "env": [] } }),
                "body.mcpServer.env",
                "dict_type",
            ),
            (
                "timeout",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "timeoutSeconds": "soon" } }),
                "body.mcpServer.timeoutSeconds",
                "float_parsing",
            ),
            (
                "handler",
                json!({ "name": "a", "mcpServer": { "name": "a", "url": "u", "encodingErrorHandler": "loud" } }),
                "body.mcpServer.encodingErrorHandler",
                "literal_error",
            ),
            (
                "enabled null",
                json!({ "name": "a", "enabled": null, "mcpServer": { "name": "a", "url": "u" } }),
                "body.enabled",
                "bool_type",
            ),
        ];
        for (what, body, field, code) in cases {
            let (status, answer) = create(&emu, body).await;
            assert_eq!(status, 422, "{what}: {answer}");
            assert_eq!(answer["error"]["code"], "validation_failed", "{what}");
            assert_eq!(
                answer["error"]["message"],
                "Request body failed validation."
            );
            let errors = answer["error"]["fieldErrors"].as_array().unwrap();
            assert_eq!(errors.len(), 1, "{what}: {answer}");
            assert_eq!(errors[0]["field"], field, "{what}: {answer}");
            assert_eq!(errors[0]["code"], code, "{what}: {answer}");
            assert!(
                answer["error"].get("details").is_none(),
                "None parts are left out"
            );
        }
        let (_, answer) = create(
            &emu,
            json!({ "name": "a", "mcpServer": { "name": "a", "transport": "websocket" } }),
        )
        .await;
        assert_eq!(
            answer["error"]["fieldErrors"][0]["message"],
            "Value error, url is required for transport 'websocket'"
        );
        let (_, answer) = create(&emu, json!({ "name": "a", "mcpServer": { "name": "a", "transport": "stdio", "command": "x", "args": [] } })).await;
        assert_eq!(
            answer["error"]["fieldErrors"][0]["message"],
            "Value error, args is required for stdio transport"
        );
        assert_eq!(emu.state(), json!({ "servers": [] }));

        let (status, answer) = send(
            client()
                .post(servers(&emu))
                .header("content-type", "application/json")
                .body("{\"name\": \"a\",}"),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(answer["error"]["fieldErrors"][0]["code"], "json_invalid");
        assert!(
            answer["error"]["fieldErrors"][0]["field"]
                .as_str()
                .unwrap()
                .starts_with("body.")
        );
    }

    #[tokio::test]
    async fn slugs_are_derived_suffixed_exhausted_and_sticky() {
        let emu = open().await;
        let first = create_ok(&emu, http_server("My Server!")).await;
        let (_, second) = create(&emu, http_server("my-server")).await;
        assert_eq!(second["data"]["slug"], "my-server-2");
        let (_, third) = create(&emu, http_server("  MY   server ")).await;
        assert_eq!(third["data"]["slug"], "my-server-3");
        let (_, accented) = create(&emu, http_server("Café Ünïcode — ﬁx")).await;
        assert_eq!(accented["data"]["slug"], "cafe-unicode-fix");

        let (status, answer) = create(&emu, http_server("!!! ???")).await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["error"]["message"],
            "Cannot derive a slug from the provided name."
        );
        assert_eq!(answer["error"]["fieldErrors"][0]["field"], "name");
        assert_eq!(answer["error"]["fieldErrors"][0]["code"], "invalid");

        let (status, renamed) = send(
            client()
                .patch(format!("{}/{first}", servers(&emu)))
                .json(&json!({ "name": "Completely different" })),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            renamed["data"]["slug"], "my-server",
            "the slug is sticky on rename"
        );
        assert_eq!(renamed["data"]["name"], "Completely different");

        let mut rows =
            vec![json!({ "slug": "dup", "name": "Dup", "mcpServer": { "name": "d", "url": "u" } })];
        for n in 2..=99 {
            rows.push(json!({ "slug": format!("dup-{n}"), "name": "Dup", "mcpServer": { "name": "d", "url": "u" } }));
        }
        emu.set_state(json!({ "servers": rows })).unwrap();
        let (status, answer) = create(&emu, http_server("DUP")).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(answer["error"]["code"], "conflict");
        assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 99);
    }

    #[test]
    fn slug_normalization() {
        assert_eq!(normalize_slug("GitHub").as_deref(), Some("github"));
        assert_eq!(normalize_slug("--a__b--").as_deref(), Some("a-b"));
        assert_eq!(
            normalize_slug("Ｆｕｌｌ\u{a0}width²").as_deref(),
            Some("full-width2")
        );
        assert_eq!(normalize_slug("日本語"), None);
        assert_eq!(normalize_slug("   "), None);
        let long = "x".repeat(70);
        assert_eq!(normalize_slug(&long).unwrap().len(), 64);
    }

    #[tokio::test]
    async fn patch_semantics() {
        let emu = open().await;
        let id = create_ok(&emu, json!({
            "name": "GitHub",
            "mcpServer": { "name": "github", "url": "https://a", "timeoutSeconds": 30, "headers": { "A": "1" } }
        }))
        .await;
        let url = format!("{}/{id}", servers(&emu));
        let http = client();
        let original = emu.state()["servers"][0].clone();

        // `{}` is a no-op.
        let (status, answer) = send(http.patch(&url).json(&json!({}))).await;
        assert_eq!(status, 200);
        assert_eq!(
            answer["reload"],
            json!({ "status": "reloaded", "message": "No changes.", "error": null })
        );
        assert_eq!(answer["data"], original);

        // name: null is refused, and nothing changes.
        let (status, answer) = send(
            http.patch(&url)
                .json(&json!({ "name": null, "enabled": false })),
        )
        .await;
        assert_eq!(status, 422);
        let error = &answer["error"]["fieldErrors"][0];
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("name cannot be null"),
            "{answer}"
        );
        assert_eq!(error["field"], "body");
        assert_eq!(emu.state()["servers"][0], original);

        // enabled: null and mcpServer: null are ignored.
        let (status, answer) = send(
            http.patch(&url)
                .json(&json!({ "enabled": null, "mcpServer": null })),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(answer["reload"]["message"], "Saved and reloaded.");
        assert_eq!(
            answer["data"], original,
            "nothing changed, so updatedAt did not move either"
        );

        // A partial mcpServer is validated as a whole one.
        let (status, answer) = send(
            http.patch(&url)
                .json(&json!({ "mcpServer": { "url": "https://b" } })),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["error"]["fieldErrors"][0]["field"],
            "body.mcpServer.name"
        );
        assert_eq!(answer["error"]["fieldErrors"][0]["code"], "missing");

        // A whole mcpServer replaces the old one: keys not sent go back to their defaults.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (status, answer) = send(http.patch(&url).json(&json!({
            "enabled": false,
            "mcpServer": { "name": "github", "transport": "sse", "url": "https://b" }
        })))
        .await;
        assert_eq!(status, 200, "{answer}");
        let data = &answer["data"];
        assert_eq!(data["enabled"], false);
        assert_eq!(
            data["name"], "GitHub",
            "absent top-level keys are untouched"
        );
        assert_eq!(data["mcpServer"]["timeoutSeconds"], Value::Null);
        assert_eq!(data["mcpServer"]["headers"], json!({}));
        assert_eq!(data["mcpServer"]["transport"], "sse");
        assert_ne!(data["updatedAt"], original["updatedAt"]);
        assert_eq!(data["createdAt"], original["createdAt"]);
        let (_, read) = send(http.get(&url)).await;
        assert_eq!(&read, data, "GET returns what PATCH stored");
        assert_eq!(emu.state()["servers"][0], *data);
    }

    #[tokio::test]
    async fn ids_not_found_and_delete() {
        let emu = open().await;
        let http = client();
        let missing_id = Uuid::new_v4();
        for request in [
            http.get(format!("{}/{missing_id}", servers(&emu))),
            http.delete(format!("{}/{missing_id}", servers(&emu))),
            http.patch(format!("{}/{missing_id}", servers(&emu)))
                .json(&json!({})),
        ] {
            let (status, answer) = send(request).await;
            assert_eq!(status, 404);
            assert_eq!(
                answer,
                json!({ "error": { "code": "not_found", "message": format!("No MCP server with id {missing_id}.") } })
            );
        }
        for request in [
            http.get(format!("{}/42", servers(&emu))),
            http.delete(format!("{}/42", servers(&emu))),
            http.patch(format!("{}/42", servers(&emu)))
                .json(&json!({ "name": 1 })),
        ] {
            let (status, answer) = send(request).await;
            assert_eq!(status, 422);
            assert_eq!(answer["error"]["code"], "validation_failed");
            assert_eq!(answer["error"]["fieldErrors"][0]["field"], "path.mcp_id");
            assert_eq!(answer["error"]["fieldErrors"][0]["code"], "uuid_parsing");
        }

        let a = create_ok(&emu, http_server("A")).await;
        let b = create_ok(&emu, http_server("B")).await;
        let (status, answer) = send(http.delete(format!("{}/{a}", servers(&emu)))).await;
        assert_eq!(status, 200);
        assert_eq!(
            answer,
            json!({ "data": { "id": a, "deleted": true }, "reload": { "status": "reloaded", "message": "Saved and reloaded.", "error": null } })
        );
        let (_, list) = send(http.get(servers(&emu))).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["id"], b);
    }

    #[tokio::test]
    async fn list_is_ordered_by_created_at() {
        let seed = json!({ "servers": [
            { "name": "Late", "createdAt": "2026-01-02T00:00:00Z", "mcpServer": { "name": "l", "url": "u" } },
            { "name": "Early", "created_at": "2026-01-01T00:00:00.5+00:00", "mcpServer": { "name": "e", "url": "u" } },
        ]});
        let emu = start_emulator(Platform::Idun, Some(seed), EmulatorAuth::None).await;
        create_ok(&emu, http_server("Now")).await;
        let (_, list) = send(client().get(servers(&emu))).await;
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Early", "Late", "Now"]);
        assert_eq!(list[0]["createdAt"], "2026-01-01T00:00:00.500000Z");
        assert_eq!(
            list[0]["updatedAt"], list[0]["createdAt"],
            "updatedAt defaults to createdAt"
        );
        assert_eq!(list[0]["slug"], "early");
    }

    #[tokio::test]
    async fn password_mode_login_cookie_and_logout() {
        let emu = start_emulator(
            Platform::Idun,
            None,
            EmulatorAuth::Password("hunter2".into()),
        )
        .await;
        let http = client();
        let login = format!("{}{AUTH_BASE}/login", emu.url());

        let (status, body) = send(http.get(servers(&emu))).await;
        assert_eq!(
            (status, body),
            (401, json!({ "detail": "Authentication required." }))
        );
        let (status, body) = send(http.post(servers(&emu)).json(&json!([]))).await;
        assert_eq!(status, 401, "auth is checked before the body: {body}");

        let (status, body) = send(http.post(&login).json(&json!({ "password": "nope" }))).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            json!({ "error": { "code": "auth_required", "message": "Invalid credentials." } })
        );
        let (status, _) = send(http.post(&login).json(&json!({}))).await;
        assert_eq!(status, 422);

        let response = http
            .post(&login)
            .json(&json!({ "password": "hunter2" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("idun_session="), "{cookie}");
        for attribute in ["HttpOnly", "Path=/", "SameSite=Lax"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "ok": true })
        );

        let (status, _) = send(http.get(servers(&emu))).await;
        assert_eq!(status, 200, "the cookie jar carries the session");
        let (_, me) = send(http.get(format!("{}{AUTH_BASE}/me", emu.url()))).await;
        assert_eq!(me, json!({ "authenticated": true, "authMode": "password" }));
        let last = emu.requests().pop().unwrap();
        assert!(last.cookie.unwrap().starts_with("idun_session="));

        let (status, _) = send(
            client()
                .get(servers(&emu))
                .header("cookie", "idun_session=forged"),
        )
        .await;
        assert_eq!(status, 401);

        let (status, _) = send(http.post(format!("{}{AUTH_BASE}/logout", emu.url()))).await;
        assert_eq!(status, 200);
        let (status, _) = send(
            client()
                .get(servers(&emu))
                .header("cookie", cookie.split(';').next().unwrap()),
        )
        .await;
        assert_eq!(status, 401, "the session ended with logout");
    }

    #[tokio::test]
    async fn none_mode_is_open_and_refuses_login() {
        let emu = open().await;
        let http = client();
        let (status, body) = send(
            http.post(format!("{}{AUTH_BASE}/login", emu.url()))
                .json(&json!({ "password": "x" })),
        )
        .await;
        assert_eq!(status, 503);
        assert_eq!(body["error"]["code"], "unsupported_mode");
        assert!(body["error"]["message"].is_string());
        let (status, _) = send(http.get(servers(&emu))).await;
        assert_eq!(status, 200);
        let (_, me) = send(http.get(format!("{}{AUTH_BASE}/me", emu.url()))).await;
        assert_eq!(me, json!({ "authenticated": true, "authMode": "none" }));
    }

    #[tokio::test]
    async fn reload_failure_rolls_back() {
        let emu = open().await;
        let id = create_ok(&emu, http_server("A")).await;
        let before = emu.state();
        emu.inject(Fault::idun_reload_failed());
        let url = format!("{}/{id}", servers(&emu));
        let (status, body) = send(client().patch(&url).json(&json!({ "enabled": false }))).await;
        assert_eq!(status, 500);
        assert_eq!(
            body,
            json!({ "error": { "code": "reload_failed", "message": "Engine reload failed; config not saved.", "details": { "recovered": true } } })
        );
        assert_eq!(emu.state(), before);
        let (status, body) = send(client().patch(&url).json(&json!({ "enabled": false }))).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["enabled"], false);
        assert_eq!(
            emu.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
            [201, 500, 200]
        );
    }

    #[tokio::test]
    async fn data_file_round_trip_keeps_ids_slugs_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idun.json");
        let options = || crate::EmulatorOptions {
            platform: Platform::Idun,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: Some(path.clone()),
            seed: None,
            auth: EmulatorAuth::None,
            rate_limit: None,
        };
        let emu = crate::start(options()).await.unwrap();
        let id = create_ok(&emu, http_server("Persisted")).await;
        let (_, read) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
        emu.shutdown().await;
        let emu = crate::start(options()).await.unwrap();
        let (status, again) = send(client().get(format!("{}/{id}", servers(&emu)))).await;
        assert_eq!(status, 200);
        assert_eq!(again, read);
    }

    #[test]
    fn seed_errors() {
        let err = IdunState::from_value(json!({ "servers": [{ "name": "a", "mcpServer": { "name": "a", "transport": "sse" } }] })).unwrap_err();
        assert!(err.contains("url is required"), "{err}");
        let err = IdunState::from_value(json!({ "servers": [{ "name": "a", "mcpServer": { "name": "a", "url": "u" }, "extra": 1 }] })).unwrap_err();
        assert!(err.contains("extra"), "{err}");
        let row = json!({ "slug": "s", "name": "a", "mcpServer": { "name": "a", "url": "u" } });
        let err = IdunState::from_value(json!({ "servers": [row.clone(), row] })).unwrap_err();
        assert!(err.contains("duplicate slug"), "{err}");
        // An explicit slug is kept even when a derived one would collide with it.
        let state = IdunState::from_value(json!({ "servers": [
            { "name": "a", "mcpServer": { "name": "a", "url": "u" } },
            { "slug": "a", "name": "other", "mcpServer": { "name": "a", "url": "u" } }
        ]}))
        .unwrap();
        let slugs: Vec<&str> = state.rows.iter().map(|r| r.slug.as_str()).collect();
        assert_eq!(slugs, ["a-2", "a"]);
    }
}
