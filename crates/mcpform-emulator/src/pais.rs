//! Emulator of VMware Private AI Services' MCP-server API (`/api/v1/control/mcp-servers`).
//!
//! Owns PAIS's wire shapes, its FastAPI validation (422 with a `detail` list), the top-level
//! JSON Merge Patch of `PATCH`, OpenAI-style cursor pagination and bearer auth. Headers are
//! write-only: stored and persisted, never returned. `availability` is `PENDING` in the answer
//! to a create or update and `AVAILABLE` from the next read on (as if the probe succeeded).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::interleave::Interleaver;
use super::store::{PersistError, PlatformState, Store, servers_of};
use super::validation::{
    Bound, FieldError, at, check_bound, decode_body, expect_str, extra_forbidden, lax_bool,
    missing, model_attributes_type, one_of, parse_path_uuid, query_int, query_pairs,
};
use super::{Fallback, PlatformApp};

const BASE: &str = "/api/v1/control/mcp-servers";
const TRANSPORTS: [&str; 2] = ["STREAMABLE_HTTP", "SSE"];
const AVAILABILITIES: [&str; 3] = ["AVAILABLE", "UNAVAILABLE", "PENDING"];
/// Field order of `McpServerCreateRequest`, which is also the order pydantic reports errors in.
const CREATE_FIELDS: [&str; 6] = [
    "url",
    "transport",
    "name",
    "description",
    "documentation_url",
    "headers",
];
/// Field order of `McpServerUpdateRequest`.
const UPDATE_FIELDS: [&str; 6] = [
    "name",
    "description",
    "documentation_url",
    "headers",
    "url",
    "transport",
];
/// Server-managed keys a data file may carry besides the writable ones.
const MANAGED_FIELDS: [&str; 6] = [
    "id",
    "object",
    "created_at",
    "last_updated_at",
    "last_available_at",
    "availability",
];

#[derive(Clone, Debug, PartialEq)]
struct McpHeader {
    name: String,
    value: String,
    is_secret: bool,
}

#[derive(Clone, Debug)]
struct McpServer {
    id: Uuid,
    name: Option<String>,
    description: Option<String>,
    documentation_url: Option<String>,
    url: String,
    transport: String,
    /// Write-only: never in a response.
    headers: Option<Vec<McpHeader>>,
    created_at: i64,
    last_updated_at: i64,
    last_available_at: i64,
    availability: String,
}

impl McpServer {
    /// The `McpServer` response object. Unset optional fields are omitted.
    fn to_wire(&self) -> Value {
        let mut out = Map::new();
        for (key, value) in [
            ("name", &self.name),
            ("description", &self.description),
            ("documentation_url", &self.documentation_url),
        ] {
            if let Some(v) = value {
                out.insert(key.into(), json!(v));
            }
        }
        out.insert("url".into(), json!(self.url));
        out.insert("transport".into(), json!(self.transport));
        out.insert("id".into(), json!(self.id.to_string()));
        out.insert("object".into(), json!("mcp_server"));
        out.insert("created_at".into(), json!(self.created_at));
        out.insert("availability".into(), json!(self.availability));
        out.insert("last_available_at".into(), json!(self.last_available_at));
        out.insert("last_updated_at".into(), json!(self.last_updated_at));
        Value::Object(out)
    }

    /// The data-file form: the wire object plus the write-only headers.
    fn to_stored(&self) -> Value {
        let mut out = self.to_wire();
        if let Some(headers) = &self.headers {
            out["headers"] = Value::Array(
                headers
                    .iter()
                    .map(|h| json!({ "name": h.name, "value": h.value, "is_secret": h.is_secret }))
                    .collect(),
            );
        }
        out
    }

    fn apply(&mut self, changes: Changes) {
        if let Some(v) = changes.name {
            self.name = v;
        }
        if let Some(v) = changes.description {
            self.description = v;
        }
        if let Some(v) = changes.documentation_url {
            self.documentation_url = v;
        }
        if let Some(v) = changes.headers {
            self.headers = v;
        }
        if let Some(v) = changes.url {
            self.url = v;
        }
        if let Some(v) = changes.transport {
            self.transport = v;
        }
    }

    /// Answers a write with `PENDING`, then stores the server as found reachable right away.
    fn answer_pending_then_available(&mut self, now: i64) -> Value {
        self.availability = "PENDING".into();
        let answer = self.to_wire();
        self.availability = "AVAILABLE".into();
        self.last_available_at = now;
        answer
    }
}

/// The servers in creation order (the order `order=asc` lists them in).
#[derive(Clone, Debug, Default)]
struct PaisState {
    servers: Vec<McpServer>,
}

impl PlatformState for PaisState {
    fn from_value(value: Value) -> Result<Self, String> {
        let now = now_secs();
        let mut servers = Vec::new();
        for (i, item) in servers_of(value)?.into_iter().enumerate() {
            let server = seed_server(&item, now).map_err(|e| format!("servers[{i}]: {e}"))?;
            if servers.iter().any(|s: &McpServer| s.id == server.id) {
                return Err(format!("servers[{i}]: duplicate id {}", server.id));
            }
            servers.push(server);
        }
        servers.sort_by_key(|s| s.created_at);
        Ok(PaisState { servers })
    }

    fn to_value(&self) -> Value {
        json!({ "servers": self.servers.iter().map(McpServer::to_stored).collect::<Vec<_>>() })
    }
}

fn seed_server(item: &Value, now: i64) -> Result<McpServer, String> {
    let Value::Object(fields) = item else {
        return Err("must be an object".into());
    };
    let writable: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| !MANAGED_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let changes =
        validate_write(&Value::Object(writable), &CREATE_FIELDS, true).map_err(|errs| {
            errs.iter()
                .map(|e| format!("{}: {}", e.dotted_loc().trim_start_matches("body."), e.msg))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    let timestamp = |key: &str, default: i64| -> Result<i64, String> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_i64()
                .ok_or_else(|| format!("{key}: must be unix seconds (an integer)")),
        }
    };
    let id = match fields.get("id") {
        None | Some(Value::Null) => Uuid::new_v4(),
        Some(Value::String(s)) => Uuid::parse_str(s).map_err(|e| format!("id: {e}"))?,
        Some(_) => return Err("id: must be a UUID string".into()),
    };
    match fields.get("object") {
        None | Some(Value::Null) => {}
        Some(v) if v == "mcp_server" => {}
        Some(_) => return Err("object: must be \"mcp_server\"".into()),
    }
    let availability = match fields.get("availability") {
        None | Some(Value::Null) => "AVAILABLE".to_owned(),
        Some(v) => one_of(v, &AVAILABILITIES, "enum", vec![json!("availability")])
            .map_err(|e| format!("availability: {}", e.msg))?,
    };
    let created_at = timestamp("created_at", now)?;
    let last_updated_at = timestamp("last_updated_at", created_at)?;
    let mut server = McpServer {
        id,
        name: None,
        description: None,
        documentation_url: None,
        url: String::new(),
        transport: String::new(),
        headers: None,
        created_at,
        last_updated_at,
        last_available_at: timestamp("last_available_at", last_updated_at)?,
        availability,
    };
    server.apply(changes);
    Ok(server)
}

/// A validated create or update body: `Some` = the key was present (`Some(None)` = `null`).
#[derive(Debug, Default)]
struct Changes {
    name: Option<Option<String>>,
    description: Option<Option<String>>,
    documentation_url: Option<Option<String>>,
    headers: Option<Option<Vec<McpHeader>>>,
    url: Option<String>,
    transport: Option<String>,
}

/// Validates a create (`required`) or update body with `extra="forbid"` models.
fn validate_write(
    body: &Value,
    order: &[&str],
    required: bool,
) -> Result<Changes, Vec<FieldError>> {
    let base = vec![json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base, body)]);
    };
    let mut changes = Changes::default();
    let mut errors = Vec::new();
    for &key in order {
        let loc = at(&base, key);
        let Some(value) = fields.get(key) else {
            if required && (key == "url" || key == "transport") {
                errors.push(missing(loc, body));
            }
            continue;
        };
        let optional_text = |errors: &mut Vec<FieldError>| match value {
            Value::Null => Some(None),
            other => match expect_str(other, loc.clone()) {
                Ok(s) => Some(Some(s)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        match key {
            "name" => changes.name = optional_text(&mut errors),
            "description" => changes.description = optional_text(&mut errors),
            "documentation_url" => changes.documentation_url = optional_text(&mut errors),
            "url" => match validate_url(value, loc) {
                Ok(url) => changes.url = Some(url),
                Err(e) => errors.push(e),
            },
            "transport" => match one_of(value, &TRANSPORTS, "enum", loc) {
                Ok(t) => changes.transport = Some(t),
                Err(e) => errors.push(e),
            },
            "headers" => match validate_headers(value, loc) {
                Ok(h) => changes.headers = Some(h),
                Err(es) => errors.extend(es),
            },
            _ => unreachable!("field lists only name writable fields"),
        }
    }
    for (key, value) in fields {
        if !order.contains(&key.as_str()) {
            errors.push(extra_forbidden(at(&base, key.as_str()), value));
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

/// An absolute http(s) URL, kept as sent (`url` is an `AnyUrl`, restricted to http and https).
fn validate_url(value: &Value, loc: Vec<Value>) -> Result<String, FieldError> {
    let Value::String(text) = value else {
        return Err(FieldError::new(
            "url_type",
            loc,
            "URL input should be a string or URL",
            value.clone(),
        ));
    };
    let parsing = |reason: String| {
        FieldError::new(
            "url_parsing",
            loc.clone(),
            format!("Input should be a valid URL, {reason}"),
            value.clone(),
        )
        .with_ctx(json!({ "error": reason }))
    };
    if text.is_empty() {
        return Err(parsing("input is empty".into()));
    }
    let parsed = url::Url::parse(text).map_err(|e| parsing(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FieldError::new(
            "url_scheme",
            loc,
            "URL scheme should be 'http' or 'https'",
            value.clone(),
        )
        .with_ctx(json!({ "expected_schemes": "'http' or 'https'" })));
    }
    Ok(text.clone())
}

/// `headers: list[McpServerHeader] | None`; `null` removes them all.
fn validate_headers(
    value: &Value,
    loc: Vec<Value>,
) -> Result<Option<Vec<McpHeader>>, Vec<FieldError>> {
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        other => {
            return Err(vec![FieldError::new(
                "list_type",
                loc,
                "Input should be a valid list",
                other.clone(),
            )]);
        }
    };
    let mut headers = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_loc = at(&loc, i);
        let Value::Object(fields) = item else {
            errors.push(model_attributes_type(item_loc, item));
            continue;
        };
        let text = |key: &str, errors: &mut Vec<FieldError>| match fields.get(key) {
            None => {
                errors.push(missing(at(&item_loc, key), item));
                None
            }
            Some(v) => expect_str(v, at(&item_loc, key))
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let name = text("name", &mut errors);
        let value = text("value", &mut errors);
        let is_secret = match fields.get("is_secret") {
            None => Some(false),
            Some(v) => lax_bool(v, at(&item_loc, "is_secret"))
                .map_err(|e| errors.push(e))
                .ok(),
        };
        for (key, extra) in fields {
            if !matches!(key.as_str(), "name" | "value" | "is_secret") {
                errors.push(extra_forbidden(at(&item_loc, key.as_str()), extra));
            }
        }
        if let (Some(name), Some(value), Some(is_secret)) = (name, value, is_secret) {
            headers.push(McpHeader {
                name,
                value,
                is_secret,
            });
        }
    }
    if errors.is_empty() {
        Ok(Some(headers))
    } else {
        Err(errors)
    }
}

enum PaisError {
    Validation(Vec<FieldError>),
    /// PAIS answers an unknown id with a bare 404 ("Invalid MCP server ID.", no body).
    NotFound,
    Persist(std::io::Error),
}

impl From<PersistError> for PaisError {
    fn from(e: PersistError) -> Self {
        PaisError::Persist(e.0)
    }
}

impl IntoResponse for PaisError {
    fn into_response(self) -> Response {
        match self {
            PaisError::Validation(errors) => {
                let detail: Vec<Value> = errors.iter().map(FieldError::to_fastapi).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({ "detail": detail })),
                )
                    .into_response()
            }
            PaisError::NotFound => StatusCode::NOT_FOUND.into_response(),
            PaisError::Persist(err) => {
                eprintln!("pais emulator: cannot write the data file: {err}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({ "detail": "Internal Server Error" })),
                )
                    .into_response()
            }
        }
    }
}

struct Pais {
    store: Arc<Store<PaisState>>,
    token: Option<String>,
}

type Shared = State<Arc<Pais>>;

pub(crate) fn build(
    initial: Option<Value>,
    data: Option<PathBuf>,
    token: Option<&str>,
    interleaver: &Arc<Interleaver>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(initial, data)?);
    let pais = Arc::new(Pais {
        store: store.clone(),
        token: token.map(str::to_owned),
    });
    let handlers = Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{mcp_server_id}}"),
            get(read).patch(update).delete(remove),
        )
        .with_state(pais.clone());
    let router = interleaver
        .wrap(handlers)
        .route_layer(axum::middleware::from_fn_with_state(pais, require_bearer));
    Ok(PlatformApp {
        router,
        state: store,
        fallback: Fallback::FastApi,
    })
}

/// FastAPI's `HTTPBearer` plus a token check; both failures look the same to the client.
async fn require_bearer(State(pais): Shared, request: Request, next: Next) -> Response {
    if let Some(token) = &pais.token {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, credentials)| credentials.trim());
        if presented != Some(token.as_str()) {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "detail": "Not authenticated" })),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    next.run(request).await
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parsed list query; see [`list`].
struct ListQuery {
    after: Option<String>,
    before: Option<String>,
    limit: usize,
    offset: usize,
    descending: bool,
    count: bool,
    name: Option<String>,
}

fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, Vec<FieldError>> {
    let params = query_pairs(raw);
    let loc = |key: &str| vec![json!("query"), json!(key)];
    let text = |key: &str| params.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut errors = Vec::new();
    let mut int_param = |key: &str, default: i64, bounds: &[Bound]| -> i64 {
        let Some(value) = params.get(key) else {
            return default;
        };
        let checked = query_int(value, loc(key)).and_then(|n| {
            bounds
                .iter()
                .try_fold(n, |n, b| check_bound(n, *b, loc(key), value))
        });
        checked.unwrap_or_else(|e| {
            errors.push(e);
            default
        })
    };
    let limit = int_param("limit", 100, &[Bound::Gt(0), Bound::Lt(1000)]);
    let offset = int_param("offset", 0, &[Bound::Ge(0), Bound::Lt(1 << 32)]);
    let descending = match params.get("order") {
        None => false,
        Some(v) => match one_of(v, &["asc", "desc"], "enum", loc("order")) {
            Ok(order) => order == "desc",
            Err(e) => {
                errors.push(e);
                false
            }
        },
    };
    let count = match params.get("set_num_objects") {
        None => false,
        Some(v) => lax_bool(v, loc("set_num_objects")).unwrap_or_else(|e| {
            errors.push(e);
            false
        }),
    };
    if errors.is_empty() {
        Ok(ListQuery {
            after: text("after"),
            before: text("before"),
            limit: limit as usize,
            offset: offset as usize,
            descending,
            count,
            name: text("name"),
        })
    } else {
        Err(errors)
    }
}

/// `GET` list. `after`/`before` are ids in the chosen order and bound the window exclusively;
/// `before` alone returns the page right before it. `offset` skips into the window (from the
/// cursor's side). The `name` filter applies inside the window, so a cursor may name a server
/// the filter excludes. An unknown cursor id is a 422, not an empty page, so that a client paging
/// through a concurrently deleted server fails loudly instead of silently stopping.
async fn list(State(pais): Shared, RawQuery(raw): RawQuery) -> Result<Json<Value>, PaisError> {
    let query = parse_list_query(raw.as_deref()).map_err(PaisError::Validation)?;
    pais.store.read(|state| {
        let mut ordered: Vec<&McpServer> = state.servers.iter().collect();
        if query.descending {
            ordered.reverse();
        }
        let position = |cursor: &str, key: &str| {
            Uuid::parse_str(cursor)
                .ok()
                .and_then(|id| ordered.iter().position(|s| s.id == id))
                .ok_or_else(|| {
                    PaisError::Validation(vec![FieldError::new(
                        "value_error",
                        vec![json!("query"), json!(key)],
                        format!("Value error, no MCP server with id {cursor}"),
                        json!(cursor),
                    )])
                })
        };
        let start = match &query.after {
            Some(cursor) => position(cursor, "after")? + 1,
            None => 0,
        };
        let end = match &query.before {
            Some(cursor) => position(cursor, "before")?,
            None => ordered.len(),
        };
        let matches_name = |s: &&McpServer| {
            query
                .name
                .as_ref()
                .is_none_or(|n| s.name.as_ref() == Some(n))
        };
        let window: Vec<&McpServer> = ordered
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(matches_name)
            .collect();
        let (page, has_more) = if query.before.is_some() && query.after.is_none() {
            let stop = window.len().saturating_sub(query.offset);
            let first = stop.saturating_sub(query.limit);
            (&window[first..stop], first > 0)
        } else {
            let first = query.offset.min(window.len());
            let stop = (first + query.limit).min(window.len());
            (&window[first..stop], stop < window.len())
        };
        let num_objects = query
            .count
            .then(|| ordered.iter().copied().filter(matches_name).count());
        Ok(Json(json!({
            "object": "list",
            "data": page.iter().map(|s| s.to_wire()).collect::<Vec<_>>(),
            "has_more": has_more,
            "first_id": page.first().map(|s| s.id.to_string()),
            "last_id": page.last().map(|s| s.id.to_string()),
            "num_objects": num_objects,
        })))
    })
}

async fn create(
    State(pais): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), PaisError> {
    let body = decode_body(&headers, &body).map_err(|e| PaisError::Validation(vec![e]))?;
    let changes = validate_write(&body, &CREATE_FIELDS, true).map_err(PaisError::Validation)?;
    let answer = pais.store.mutate(|state| {
        let now = now_secs();
        let mut server = McpServer {
            id: Uuid::new_v4(),
            name: None,
            description: None,
            documentation_url: None,
            url: String::new(),
            transport: String::new(),
            headers: None,
            created_at: now,
            last_updated_at: now,
            last_available_at: now,
            availability: String::new(),
        };
        server.apply(changes);
        let answer = server.answer_pending_then_available(now);
        state.servers.push(server);
        Ok::<_, PaisError>(answer)
    })?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn read(State(pais): Shared, Path(raw_id): Path<String>) -> Result<Json<Value>, PaisError> {
    let id =
        parse_path_uuid(&raw_id, "mcp_server_id").map_err(|e| PaisError::Validation(vec![e]))?;
    pais.store.read(|state| {
        state
            .servers
            .iter()
            .find(|s| s.id == id)
            .map(|s| Json(s.to_wire()))
            .ok_or(PaisError::NotFound)
    })
}

/// `PATCH`: top-level JSON Merge Patch. Present keys are set, `null` unsets an optional field,
/// absent keys are untouched, `headers` is replaced whole.
async fn update(
    State(pais): Shared,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, PaisError> {
    // FastAPI validates the path and the body together and reports both.
    let mut errors = Vec::new();
    let id = parse_path_uuid(&raw_id, "mcp_server_id")
        .map_err(|e| errors.push(e))
        .ok();
    let changes = match decode_body(&headers, &body) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(body) => validate_write(&body, &UPDATE_FIELDS, false)
            .map_err(|es| errors.extend(es))
            .ok(),
    };
    let (Some(id), Some(changes)) = (id, changes) else {
        return Err(PaisError::Validation(errors));
    };
    let answer = pais.store.mutate(|state| {
        let server = state
            .servers
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(PaisError::NotFound)?;
        let now = now_secs();
        server.apply(changes);
        server.last_updated_at = now;
        Ok::<_, PaisError>(server.answer_pending_then_available(now))
    })?;
    Ok(Json(answer))
}

async fn remove(State(pais): Shared, Path(raw_id): Path<String>) -> Result<StatusCode, PaisError> {
    let id =
        parse_path_uuid(&raw_id, "mcp_server_id").map_err(|e| PaisError::Validation(vec![e]))?;
    pais.store.mutate(|state| {
        let index = state
            .servers
            .iter()
            .position(|s| s.id == id)
            .ok_or(PaisError::NotFound)?;
        state.servers.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Platform;
    use crate::test_support::{client, send, start_emulator};
    use crate::{EmulatorAuth, RunningEmulator};

    const ID: &str = "5d0c2a4e-1b7f-4c3a-9e2d-8f6a1b2c3d4e";

    async fn seeded() -> RunningEmulator {
        let seed = json!({ "servers": [{
            "id": ID,
            "name": "github",
            "description": "GitHub tools",
            "url": "https://mcp.example.com/github",
            "transport": "STREAMABLE_HTTP",
            "headers": [{ "name": "Authorization", "value": "Bearer s3cret", "is_secret": true }],
            "created_at": 1_700_000_000
        }]});
        start_emulator(Platform::Pais, Some(seed), EmulatorAuth::None).await
    }

    fn one(emu: &RunningEmulator) -> String {
        format!("{}{BASE}/{ID}", emu.url())
    }

    fn stored(emu: &RunningEmulator) -> Value {
        emu.state()["servers"][0].clone()
    }

    #[tokio::test]
    async fn create_answers_pending_without_headers_and_later_reads_are_available() {
        let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
        let http = client();
        let (status, created) = send(http.post(format!("{}{BASE}", emu.url())).json(&json!({
            "url": "https://mcp.example.com/x",
            "transport": "SSE",
            "name": "x",
            "headers": [{ "name": "X-Key", "value": "k1" }]
        })))
        .await;
        assert_eq!(status, 201);
        assert_eq!(created["availability"], "PENDING");
        assert_eq!(created["object"], "mcp_server");
        assert!(
            created.get("headers").is_none(),
            "headers are write-only: {created}"
        );
        assert!(
            created.get("description").is_none(),
            "unset optionals are omitted"
        );
        let id = created["id"].as_str().unwrap();
        assert!(Uuid::parse_str(id).is_ok());
        for key in ["created_at", "last_updated_at", "last_available_at"] {
            assert!(created[key].is_i64(), "{key} is unix seconds");
        }

        let (status, read) = send(http.get(format!("{}{BASE}/{id}", emu.url()))).await;
        assert_eq!(status, 200);
        assert_eq!(read["availability"], "AVAILABLE");
        assert!(read.get("headers").is_none());
        let mut expected = created.clone();
        expected["availability"] = json!("AVAILABLE");
        expected["last_available_at"] = read["last_available_at"].clone();
        assert_eq!(read, expected);

        let (_, list) = send(http.get(format!("{}{BASE}", emu.url()))).await;
        assert!(list["data"][0].get("headers").is_none());
        assert_eq!(
            emu.state()["servers"][0]["headers"],
            json!([{ "name": "X-Key", "value": "k1", "is_secret": false }]),
            "state() shows the write-only headers, is_secret defaulting to false"
        );
    }

    #[tokio::test]
    async fn patch_is_a_top_level_merge_patch() {
        let emu = seeded().await;
        let http = client();
        let before = stored(&emu);

        // Present keys set, absent keys untouched.
        let (status, patched) = send(
            http.patch(one(&emu))
                .json(&json!({ "documentation_url": "https://docs" })),
        )
        .await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["availability"], "PENDING");
        let (_, read) = send(http.get(one(&emu))).await;
        assert_eq!(read["documentation_url"], "https://docs");
        assert_eq!(read["name"], "github");
        assert_eq!(read["description"], "GitHub tools");
        assert_eq!(read["url"], before["url"]);
        assert_eq!(
            stored(&emu)["headers"],
            before["headers"],
            "headers untouched when absent"
        );
        assert!(read["last_updated_at"].as_i64() > before["last_updated_at"].as_i64());

        // null removes; headers are replaced whole.
        let (status, _) = send(http.patch(one(&emu)).json(&json!({
            "name": null,
            "description": null,
            "headers": [{ "name": "X-Other", "value": "v", "is_secret": "true" }]
        })))
        .await;
        assert_eq!(status, 200);
        let (_, read) = send(http.get(one(&emu))).await;
        assert!(read.get("name").is_none(), "{read}");
        assert!(read.get("description").is_none());
        assert_eq!(read["documentation_url"], "https://docs");
        assert_eq!(
            stored(&emu)["headers"],
            json!([{ "name": "X-Other", "value": "v", "is_secret": true }])
        );

        let (status, _) = send(http.patch(one(&emu)).json(&json!({
            "headers": null, "url": "http://new.example:8080/mcp", "transport": "SSE"
        })))
        .await;
        assert_eq!(status, 200);
        let after = stored(&emu);
        assert!(after.get("headers").is_none(), "{after}");
        assert_eq!(after["url"], "http://new.example:8080/mcp");
        assert_eq!(after["transport"], "SSE");
        assert_eq!(after["created_at"], before["created_at"]);
        assert_eq!(after["id"], ID);

        // An empty patch changes nothing but the update time.
        let (status, _) = send(http.patch(one(&emu)).json(&json!({}))).await;
        assert_eq!(status, 200);
        let mut again = stored(&emu);
        again["last_updated_at"] = after["last_updated_at"].clone();
        again["last_available_at"] = after["last_available_at"].clone();
        assert_eq!(again, after);
    }

    /// Every 422 the brief lists, with FastAPI's `type` and `loc`; none may change anything.
    #[tokio::test]
    async fn invalid_patches_are_422_with_fastapi_details_and_change_nothing() {
        let emu = seeded().await;
        let http = client();
        let before = emu.state();
        let cases: Vec<(&str, Value, &str, Value)> = vec![
            (
                "array body",
                json!([1]),
                "model_attributes_type",
                json!(["body"]),
            ),
            (
                "string body",
                json!("x"),
                "model_attributes_type",
                json!(["body"]),
            ),
            (
                "empty url",
                json!({ "url": "" }),
                "url_parsing",
                json!(["body", "url"]),
            ),
            (
                "relative url",
                json!({ "url": "/mcp" }),
                "url_parsing",
                json!(["body", "url"]),
            ),
            (
                "no host",
                json!({ "url": "https://" }),
                "url_parsing",
                json!(["body", "url"]),
            ),
            (
                "ftp url",
                json!({ "url": "ftp://x.example" }),
                "url_scheme",
                json!(["body", "url"]),
            ),
            (
                "url null",
                json!({ "url": null }),
                "url_type",
                json!(["body", "url"]),
            ),
            (
                "url number",
                json!({ "url": 5 }),
                "url_type",
                json!(["body", "url"]),
            ),
            (
                "transport",
                json!({ "transport": "WEBSOCKET" }),
                "enum",
                json!(["body", "transport"]),
            ),
            (
                "transport case",
                json!({ "transport": "sse" }),
                "enum",
                json!(["body", "transport"]),
            ),
            (
                "transport null",
                json!({ "transport": null }),
                "enum",
                json!(["body", "transport"]),
            ),
            (
                "name number",
                json!({ "name": 5 }),
                "string_type",
                json!(["body", "name"]),
            ),
            (
                "description bool",
                json!({ "description": true }),
                "string_type",
                json!(["body", "description"]),
            ),
            (
                "doc url list",
                json!({ "documentation_url": [] }),
                "string_type",
                json!(["body", "documentation_url"]),
            ),
            (
                "headers object",
                json!({ "headers": {} }),
                "list_type",
                json!(["body", "headers"]),
            ),
            (
                "header string",
                json!({ "headers": ["A: b"] }),
                "model_attributes_type",
                json!(["body", "headers", 0]),
            ),
            (
                "header no name",
                json!({ "headers": [{ "value": "v" }] }),
                "missing",
                json!(["body", "headers", 0, "name"]),
            ),
            (
                "header no value",
                json!({ "headers": [{ "name": "A" }] }),
                "missing",
                json!(["body", "headers", 0, "value"]),
            ),
            (
                "header value int",
                json!({ "headers": [{ "name": "A", "value": 1 }] }),
                "string_type",
                json!(["body", "headers", 0, "value"]),
            ),
            (
                "is_secret word",
                json!({ "headers": [{ "name": "A", "value": "v", "is_secret": "maybe" }] }),
                "bool_parsing",
                json!(["body", "headers", 0, "is_secret"]),
            ),
            (
                "is_secret list",
                json!({ "headers": [{ "name": "A", "value": "v", "is_secret": [] }] }),
                "bool_type",
                json!(["body", "headers", 0, "is_secret"]),
            ),
            (
                "header extra",
                json!({ "headers": [{ "name": "A", "value": "v", "secret": true }] }),
                "extra_forbidden",
                json!(["body", "headers", 0, "secret"]),
            ),
            (
                "unknown key",
                json!({ "verify_tls": "DISABLE" }),
                "extra_forbidden",
                json!(["body", "verify_tls"]),
            ),
            (
                "server-managed key",
                json!({ "id": ID }),
                "extra_forbidden",
                json!(["body", "id"]),
            ),
        ];
        for (what, body, kind, loc) in cases {
            let (status, answer) = send(http.patch(one(&emu)).json(&body)).await;
            assert_eq!(status, 422, "{what}: {answer}");
            let detail = answer["detail"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: {answer}"));
            assert_eq!(detail.len(), 1, "{what}: {answer}");
            assert_eq!(detail[0]["type"], kind, "{what}: {answer}");
            assert_eq!(detail[0]["loc"], loc, "{what}: {answer}");
            assert!(detail[0]["msg"].is_string(), "{what}");
            assert!(detail[0].get("input").is_some(), "{what}");
        }
        assert_eq!(emu.state(), before);
    }

    #[tokio::test]
    async fn malformed_json_empty_body_and_several_errors_at_once() {
        let emu = seeded().await;
        let http = client();
        let (status, answer) = send(
            http.patch(one(&emu))
                .header("content-type", "application/json")
                .body("{\"name\": }"),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(answer["detail"][0]["type"], "json_invalid");
        assert_eq!(answer["detail"][0]["loc"], json!(["body", 9]));
        assert_eq!(answer["detail"][0]["msg"], "JSON decode error");

        let (status, answer) = send(http.patch(one(&emu))).await;
        assert_eq!(status, 422);
        assert_eq!(answer["detail"][0]["type"], "missing");
        assert_eq!(answer["detail"][0]["loc"], json!(["body"]));

        let (status, answer) = send(
            http.patch(one(&emu))
                .json(&json!({ "name": 1, "url": null, "x": 1 })),
        )
        .await;
        assert_eq!(status, 422);
        let locs: Vec<&Value> = answer["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["loc"])
            .collect();
        assert_eq!(
            locs,
            vec![
                &json!(["body", "name"]),
                &json!(["body", "url"]),
                &json!(["body", "x"])
            ]
        );

        // Path and body errors are reported together; validation comes before the 404.
        let (status, answer) = send(
            http.patch(format!("{}{BASE}/not-a-uuid", emu.url()))
                .json(&json!({ "url": "" })),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(answer["detail"][0]["loc"], json!(["path", "mcp_server_id"]));
        assert_eq!(answer["detail"][0]["type"], "uuid_parsing");
        assert_eq!(answer["detail"][1]["loc"], json!(["body", "url"]));
        let unknown = format!("{}{BASE}/{}", emu.url(), Uuid::new_v4());
        let (status, _) = send(http.patch(&unknown).json(&json!({ "url": "" }))).await;
        assert_eq!(status, 422);
    }

    #[tokio::test]
    async fn create_requires_url_and_transport() {
        let emu = start_emulator(Platform::Pais, None, EmulatorAuth::None).await;
        let http = client();
        let (status, answer) = send(
            http.post(format!("{}{BASE}", emu.url()))
                .json(&json!({ "name": "x" })),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(
            answer["detail"],
            json!([
                { "type": "missing", "loc": ["body", "url"], "msg": "Field required", "input": { "name": "x" } },
                { "type": "missing", "loc": ["body", "transport"], "msg": "Field required", "input": { "name": "x" } }
            ])
        );
        assert_eq!(emu.state(), json!({ "servers": [] }));
    }

    #[tokio::test]
    async fn bad_and_unknown_ids() {
        let emu = seeded().await;
        let http = client();
        let bad = format!("{}{BASE}/xyz", emu.url());
        for request in [
            http.get(&bad),
            http.delete(&bad),
            http.patch(&bad).json(&json!({})),
        ] {
            let (status, answer) = send(request).await;
            assert_eq!(status, 422);
            assert_eq!(answer["detail"][0]["loc"], json!(["path", "mcp_server_id"]));
            assert_eq!(answer["detail"][0]["type"], "uuid_parsing");
        }
        let unknown = format!("{}{BASE}/{}", emu.url(), Uuid::new_v4());
        for request in [
            http.get(&unknown),
            http.delete(&unknown),
            http.patch(&unknown).json(&json!({})),
        ] {
            let (status, answer) = send(request).await;
            assert_eq!(
                (status, answer),
                (404, Value::Null),
                "404 has an empty body"
            );
        }
        // Other spellings of a UUID reach the same server.
        let (status, _) =
            send(http.get(format!("{}{BASE}/{}", emu.url(), ID.to_uppercase()))).await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn delete_is_204_and_the_server_is_gone() {
        let emu = seeded().await;
        let http = client();
        let (status, body) = send(http.delete(one(&emu))).await;
        assert_eq!((status, body), (204, Value::Null));
        let (status, _) = send(http.get(one(&emu))).await;
        assert_eq!(status, 404);
        assert_eq!(emu.state(), json!({ "servers": [] }));
    }

    #[tokio::test]
    async fn bearer_auth_guards_every_route() {
        let seed =
            json!({ "servers": [{ "id": ID, "url": "https://a.example", "transport": "SSE" }] });
        let emu = start_emulator(
            Platform::Pais,
            Some(seed),
            EmulatorAuth::Bearer("t0k".into()),
        )
        .await;
        let http = client();
        let list = format!("{}{BASE}", emu.url());
        for request in [
            http.get(&list),
            http.get(&list).bearer_auth("wrong"),
            http.get(&list).header("authorization", "t0k"),
            http.get(one(&emu)).basic_auth("u", Some("t0k")),
            http.patch(one(&emu)).json(&json!({ "name": "x" })),
            http.delete(one(&emu)),
        ] {
            let (status, body) = send(request).await;
            assert_eq!(
                (status, body),
                (401, json!({ "detail": "Not authenticated" }))
            );
        }
        let (status, _) = send(http.get(&list).bearer_auth("t0k")).await;
        assert_eq!(status, 200);
        let (status, _) = send(http.get(one(&emu)).header("authorization", "bearer t0k")).await;
        assert_eq!(status, 200);
        assert!(
            emu.state()["servers"][0].get("name").is_none(),
            "no write got through"
        );
    }

    fn many(n: usize) -> Value {
        let servers: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "id": format!("00000000-0000-4000-8000-{i:012}"),
                    "name": if i % 10 == 0 { "tenth".to_owned() } else { format!("s{i}") },
                    "url": format!("https://mcp.example.com/{i}"),
                    "transport": "SSE",
                    // Shuffled creation times: the list order follows them, not the seed order.
                    "created_at": 1_700_000_000 + ((i * 7) % n) as i64,
                })
            })
            .collect();
        json!({ "servers": servers })
    }

    async fn list(emu: &RunningEmulator, query: &[(&str, &str)]) -> (u16, Value) {
        send(client().get(format!("{}{BASE}", emu.url())).query(query)).await
    }

    fn ids(page: &Value) -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn pagination_over_250_servers() {
        let seed = many(250);
        let emu = start_emulator(Platform::Pais, Some(seed.clone()), EmulatorAuth::None).await;
        let mut by_time: Vec<(i64, String)> = seed["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["created_at"].as_i64().unwrap(),
                    s["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        by_time.sort();
        let expected: Vec<String> = by_time.into_iter().map(|(_, id)| id).collect();

        let (status, all) = list(&emu, &[("limit", "999")]).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&all), expected);
        assert_eq!(all["has_more"], false);
        assert_eq!(all["object"], "list");
        assert_eq!(all["first_id"], expected[0]);
        assert_eq!(all["last_id"], expected[249]);
        assert_eq!(
            all["num_objects"],
            Value::Null,
            "only filled with set_num_objects"
        );

        let (_, default_page) = list(&emu, &[]).await;
        assert_eq!(ids(&default_page), expected[..100]);
        assert_eq!(default_page["has_more"], true);

        // Walk with `after` at a small limit.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut query = vec![("limit", "7")];
            if let Some(a) = &after {
                query.push(("after", a.as_str()));
            }
            let (status, page) = list(&emu, &query).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            seen.extend(ids(&page));
            if page["has_more"] == false {
                break;
            }
            after = Some(page["last_id"].as_str().unwrap().to_owned());
        }
        assert_eq!(pages, 36);
        assert_eq!(seen, expected);

        // Same walk with limit=100 and order=desc.
        let (_, first) = list(&emu, &[("limit", "100"), ("order", "desc")]).await;
        let (_, second) = list(
            &emu,
            &[
                ("limit", "100"),
                ("order", "desc"),
                ("after", first["last_id"].as_str().unwrap()),
            ],
        )
        .await;
        let (_, third) = list(
            &emu,
            &[
                ("limit", "100"),
                ("order", "desc"),
                ("after", second["last_id"].as_str().unwrap()),
            ],
        )
        .await;
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!([ids(&first), ids(&second), ids(&third)].concat(), reversed);
        assert_eq!(
            (&first["has_more"], &second["has_more"], &third["has_more"]),
            (&json!(true), &json!(true), &json!(false))
        );
        assert_eq!(ids(&third).len(), 50);

        // `before` gives the page right before the cursor; `offset` skips into the window.
        let (_, before) = list(&emu, &[("limit", "5"), ("before", expected[20].as_str())]).await;
        assert_eq!(ids(&before), expected[15..20]);
        assert_eq!(before["has_more"], true);
        let (_, offset) = list(
            &emu,
            &[
                ("limit", "5"),
                ("offset", "3"),
                ("after", expected[9].as_str()),
            ],
        )
        .await;
        assert_eq!(ids(&offset), expected[13..18]);
        let (_, between) = list(
            &emu,
            &[
                ("after", expected[1].as_str()),
                ("before", expected[5].as_str()),
            ],
        )
        .await;
        assert_eq!(ids(&between), expected[2..5]);
        assert_eq!(between["has_more"], false);

        // `name` filter and counts.
        let (_, named) = list(
            &emu,
            &[
                ("name", "tenth"),
                ("set_num_objects", "true"),
                ("limit", "10"),
            ],
        )
        .await;
        assert_eq!(named["num_objects"], 25);
        assert_eq!(ids(&named).len(), 10);
        assert!(
            named["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["name"] == "tenth")
        );
        let (_, none) = list(&emu, &[("name", "absent"), ("set_num_objects", "1")]).await;
        assert_eq!(none["data"], json!([]));
        assert_eq!(
            (&none["first_id"], &none["last_id"], &none["num_objects"]),
            (&Value::Null, &Value::Null, &json!(0))
        );
        let (_, past_end) = list(&emu, &[("after", expected[249].as_str())]).await;
        assert_eq!(
            (past_end["data"].clone(), past_end["has_more"].clone()),
            (json!([]), json!(false))
        );
    }

    #[tokio::test]
    async fn list_query_validation() {
        let emu = start_emulator(Platform::Pais, Some(many(3)), EmulatorAuth::None).await;
        type Query<'a> = Vec<(&'a str, &'a str)>;
        let cases: Vec<(Query, &str, &str)> = vec![
            (vec![("limit", "0")], "greater_than", "limit"),
            (vec![("limit", "1000")], "less_than", "limit"),
            (vec![("limit", "ten")], "int_parsing", "limit"),
            (vec![("offset", "-1")], "greater_than_equal", "offset"),
            (vec![("order", "up")], "enum", "order"),
            (
                vec![("set_num_objects", "maybe")],
                "bool_parsing",
                "set_num_objects",
            ),
            (
                vec![("after", "00000000-0000-4000-8000-999999999999")],
                "value_error",
                "after",
            ),
            (vec![("before", "nope")], "value_error", "before"),
        ];
        for (query, kind, param) in cases {
            let (status, answer) = list(&emu, &query).await;
            assert_eq!(status, 422, "{query:?}: {answer}");
            assert_eq!(answer["detail"][0]["type"], kind, "{query:?}: {answer}");
            assert_eq!(answer["detail"][0]["loc"], json!(["query", param]));
        }
        let (status, answer) = list(&emu, &[("limit", "0"), ("order", "up")]).await;
        assert_eq!(status, 422);
        assert_eq!(answer["detail"].as_array().unwrap().len(), 2);
        let (status, _) = list(&emu, &[("limit", "999"), ("unknown", "x")]).await;
        assert_eq!(status, 200, "unknown query parameters are ignored");
    }

    #[test]
    fn seed_validation_names_the_bad_item() {
        let err = PaisState::from_value(json!({ "servers": [
            { "url": "https://a.example", "transport": "SSE" },
            { "url": "https://b.example", "transport": "WS" }
        ]}))
        .unwrap_err();
        assert!(err.starts_with("servers[1]: transport"), "{err}");
        let dup = json!({ "id": ID, "url": "https://a.example", "transport": "SSE" });
        let err = PaisState::from_value(json!({ "servers": [dup.clone(), dup] })).unwrap_err();
        assert!(err.contains("duplicate id"), "{err}");
        let err = PaisState::from_value(json!({ "servers": [{ "url": "https://a", "transport": "SSE", "created_at": "yesterday" }] }))
            .unwrap_err();
        assert!(err.contains("created_at"), "{err}");
    }

    #[test]
    fn state_round_trips_through_the_data_format() {
        let value = json!({ "servers": [{
            "name": "n", "url": "https://a.example", "transport": "SSE", "id": ID,
            "object": "mcp_server", "created_at": 5, "availability": "UNAVAILABLE",
            "last_available_at": 3, "last_updated_at": 6,
            "headers": [{ "name": "h", "value": "v", "is_secret": false }]
        }]});
        let state = PaisState::from_value(value.clone()).unwrap();
        assert_eq!(state.to_value(), value);
    }
}
