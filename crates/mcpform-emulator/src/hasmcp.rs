//! Emulator of the HasMCP server API (`/servers`), as the Community Edition implements it.
//!
//! The routes sit right under the provider endpoint (CE serves them under `/api/v1`, which the
//! endpoint includes). Owns CE's wire shapes (Go `encoding/json` with `omitempty`), its lenient
//! request decoding, its 400 validations, the full-replacement `PATCH` with its silent
//! optimistic-concurrency quirk, the exact-match bearer auth and the `{"error": {...}}` envelope.
//!
//! CE behaviour worth knowing, all reproduced here:
//! - Responses say `instructions`; the hosted spec's response shows `description` instead.
//! - Empty fields are left out of answers (`omitempty`): no `instructions` when it is empty, no
//!   `providers`/`resources`/`prompts` when there are none, and `{}` for an empty list.
//! - The list preloads only tools, so list items never carry `resources` or `prompts`.
//! - A server stores tool links as (provider, tool) rows: a provider sent without tools is not
//!   kept, and `providers` in answers is rebuilt from the rows, in the order they were sent.
//! - `PATCH` replaces everything: an omitted `instructions` becomes `""`, an omitted
//!   `requestHeadersProxyEnabled` `false`, omitted links empty. The scalar update runs only when
//!   `version` equals the stored one (and then bumps it); with a stale version it silently does
//!   nothing, yet the links are still replaced and the answer is still 200 with the re-read server.
//! - A body Go cannot decode into its types is HTTP 422 with `"code": 400` in the body; keys are
//!   matched case-insensitively, unknown keys are ignored and `null` means "zero value".
//! - `DELETE` answers 204 for any id, existing or not.
//!
//! Choices where CE differs from the hosted API or says nothing: ids are opaque 11-character
//! base62 strings (CE decodes them to int64; this emulator does not); a malformed server id is
//! 400 "invalid server ID" on GET and PATCH (DELETE still answers 204); a tool, provider, resource
//! or prompt id that is not 11 base62 characters is 400 (CE would store a garbage id); any
//! well-formed link id is accepted (no catalogue); a link sent twice is kept once.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::interleave::Interleaver;
use super::store::{PersistError, PlatformState, Store, servers_of};
use super::{Fallback, PlatformApp};

const BASE: &str = "/servers";
const ID_LEN: usize = 11;
const NAME_MAX_LEN: usize = 16;
const INSTRUCTIONS_MAX_LEN: usize = 4096;
const PROVIDERS_MAX: usize = 1;
const INITIAL_VERSION: i32 = 1;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CE's literal answers, byte for byte.
const INVALID_PAYLOAD: &str = r#"{"error": {"message":"invalid request payload", "code":400}}"#;
const UNAUTHORIZED: &str = r#"{"error": {"message":"authentication failed", "code":401}}"#;

/// `^[A-Za-z0-9]{11}$`.
fn is_id(text: &str) -> bool {
    text.len() == ID_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh random id in HasMCP's format.
fn new_id() -> String {
    let mut out = String::with_capacity(ID_LEN);
    let mut bytes = [0u8; 32];
    while out.len() < ID_LEN {
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        // 248 = 4 * 62: rejecting the rest keeps the characters uniform.
        for b in bytes.iter().filter(|b| **b < 248) {
            if out.len() < ID_LEN {
                out.push(BASE62[usize::from(*b) % 62] as char);
            }
        }
    }
    out
}

/// Now, to the second: CE answers RFC 3339 timestamps without fractions.
fn now() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Go's `time.RFC3339` of a UTC time.
fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    let normalized = text
        .strip_suffix("+00:00")
        .map(|t| format!("{t}Z"))
        .unwrap_or_else(|| text.to_owned());
    let t = humantime::parse_rfc3339_weak(&normalized)
        .map_err(|e| format!("`{text}` is not an RFC 3339 UTC time: {e}"))?;
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

/// A server's association rows, in the order they were written.
#[derive(Clone, Debug, Default, PartialEq)]
struct Links {
    /// (provider id, tool id).
    tools: Vec<(String, String)>,
    resources: Vec<String>,
    prompts: Vec<String>,
}

impl Links {
    /// The rows a request asks for: one per tool (a provider without tools has none), each
    /// link once, in the order sent.
    fn from_input(input: &ServerInput) -> Links {
        let mut links = Links::default();
        for provider in &input.providers {
            for tool in &provider.tools {
                let row = (provider.id.clone(), tool.clone());
                if !links.tools.contains(&row) {
                    links.tools.push(row);
                }
            }
        }
        for (from, into) in [
            (&input.resources, &mut links.resources),
            (&input.prompts, &mut links.prompts),
        ] {
            for id in from {
                if !into.contains(id) {
                    into.push(id.clone());
                }
            }
        }
        links
    }

    /// `providers: [{id, tools: [{id}]}]`, grouped by provider in first-seen order.
    fn providers(&self) -> Vec<Value> {
        let mut grouped: Vec<(&str, Vec<Value>)> = Vec::new();
        for (provider, tool) in &self.tools {
            let tool = json!({ "id": tool });
            match grouped.iter_mut().find(|(p, _)| p == provider) {
                Some((_, tools)) => tools.push(tool),
                None => grouped.push((provider, vec![tool])),
            }
        }
        grouped
            .into_iter()
            .map(|(id, tools)| json!({ "id": id, "tools": tools }))
            .collect()
    }
}

fn id_refs(ids: &[String]) -> Vec<Value> {
    ids.iter().map(|id| json!({ "id": id })).collect()
}

#[derive(Clone, Debug, PartialEq)]
struct Server {
    id: String,
    created_at: SystemTime,
    updated_at: SystemTime,
    request_headers_proxy_enabled: bool,
    name: String,
    instructions: String,
    version: i32,
    links: Links,
}

/// Which associations an answer carries.
#[derive(Clone, Copy, PartialEq)]
enum Preload {
    /// `GET /servers`: tools only.
    Tools,
    /// Everything else: tools, resources and prompts.
    All,
}

impl Server {
    /// CE's `view.Server`, fields in struct order, empty ones left out (`omitempty`);
    /// `requestHeadersProxyEnabled` has no `omitempty` and is always there.
    fn to_wire(&self, preload: Preload) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("createdAt".into(), json!(format_time(self.created_at)));
        out.insert("updatedAt".into(), json!(format_time(self.updated_at)));
        out.insert(
            "requestHeadersProxyEnabled".into(),
            json!(self.request_headers_proxy_enabled),
        );
        if !self.name.is_empty() {
            out.insert("name".into(), json!(self.name));
        }
        if !self.instructions.is_empty() {
            out.insert("instructions".into(), json!(self.instructions));
        }
        if self.version != 0 {
            out.insert("version".into(), json!(self.version));
        }
        let providers = self.links.providers();
        if !providers.is_empty() {
            out.insert("providers".into(), Value::Array(providers));
        }
        if preload == Preload::All {
            if !self.links.resources.is_empty() {
                out.insert(
                    "resources".into(),
                    Value::Array(id_refs(&self.links.resources)),
                );
            }
            if !self.links.prompts.is_empty() {
                out.insert("prompts".into(), Value::Array(id_refs(&self.links.prompts)));
            }
        }
        Value::Object(out)
    }

    /// The data-file form: every field, empty or not.
    fn to_stored(&self) -> Value {
        json!({
            "id": self.id,
            "createdAt": format_time(self.created_at),
            "updatedAt": format_time(self.updated_at),
            "name": self.name,
            "instructions": self.instructions,
            "requestHeadersProxyEnabled": self.request_headers_proxy_enabled,
            "version": self.version,
            "providers": self.links.providers(),
            "resources": id_refs(&self.links.resources),
            "prompts": id_refs(&self.links.prompts),
        })
    }
}

/// The servers in insertion order, which is the order CE's unsorted list query returns.
#[derive(Clone, Debug, Default)]
struct HasmcpState {
    servers: Vec<Server>,
}

impl HasmcpState {
    fn position(&self, id: &str) -> Option<usize> {
        self.servers.iter().position(|s| s.id == id)
    }
}

impl PlatformState for HasmcpState {
    fn from_value(value: Value) -> Result<Self, String> {
        let now = now();
        let items = servers_of(value)?;
        // Explicit ids are reserved first, so a generated one never takes them.
        let explicit: Vec<&str> = items
            .iter()
            .filter_map(|item| item.get("id").and_then(Value::as_str))
            .collect();
        let mut servers: Vec<Server> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let server = seed_server(item, now, |id| {
                explicit.contains(&id) || servers.iter().any(|s| s.id == id)
            })
            .map_err(|e| format!("servers[{i}]: {e}"))?;
            if servers.iter().any(|s| s.id == server.id) {
                return Err(format!("servers[{i}]: duplicate id {}", server.id));
            }
            servers.push(server);
        }
        Ok(HasmcpState { servers })
    }

    fn to_value(&self) -> Value {
        json!({ "servers": self.servers.iter().map(Server::to_stored).collect::<Vec<_>>() })
    }
}

fn seed_server(
    item: &Value,
    now: SystemTime,
    taken: impl Fn(&str) -> bool,
) -> Result<Server, String> {
    const KEYS: [&str; 10] = [
        "id",
        "createdAt",
        "updatedAt",
        "name",
        "instructions",
        "requestHeadersProxyEnabled",
        "version",
        "providers",
        "resources",
        "prompts",
    ];
    let Value::Object(fields) = item else {
        return Err("must be an object".into());
    };
    if let Some(key) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{key}`; expected one of {}",
            KEYS.join(", ")
        ));
    }
    let get = |key: &str| fields.get(key).filter(|v| !v.is_null());
    let text = |key: &str| -> Result<String, String> {
        match get(key) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("{key}: must be a string")),
        }
    };
    let id = match get("id") {
        None => loop {
            let id = new_id();
            if !taken(&id) {
                break id;
            }
        },
        Some(Value::String(s)) if is_id(s) => s.clone(),
        Some(other) => return Err(format!("id: {other} is not 11 base62 characters")),
    };
    let id_list = |key: &str, value: Option<&Value>| -> Result<Vec<String>, String> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let items = value
            .as_array()
            .ok_or_else(|| format!("{key}: must be an array of {{\"id\": ...}}"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(o)
                    if o.len() == 1 && o.get("id").and_then(Value::as_str).is_some_and(is_id) =>
                {
                    Ok(o["id"].as_str().unwrap_or_default().to_owned())
                }
                _ => Err(format!(
                    "{key}[{i}]: must be {{\"id\": <11 base62 characters>}}"
                )),
            })
            .collect()
    };
    let mut providers = Vec::new();
    if let Some(value) = get("providers") {
        let items = value
            .as_array()
            .ok_or("providers: must be an array of {\"id\": ..., \"tools\": [...]}")?;
        for (i, item) in items.iter().enumerate() {
            let Value::Object(p) = item else {
                return Err(format!("providers[{i}]: must be an object"));
            };
            if let Some(key) = p.keys().find(|k| !matches!(k.as_str(), "id" | "tools")) {
                return Err(format!("providers[{i}]: unknown key `{key}`"));
            }
            let id = p
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| is_id(id))
                .ok_or_else(|| format!("providers[{i}].id: must be 11 base62 characters"))?;
            let tools = id_list(&format!("providers[{i}].tools"), p.get("tools"))?;
            if tools.is_empty() {
                return Err(format!(
                    "providers[{i}]: a provider without tools cannot be stored (HasMCP keeps \
                     only (provider, tool) links)"
                ));
            }
            providers.push(ProviderInput {
                id: id.to_owned(),
                tools,
            });
        }
    }
    let version = match get("version") {
        None => INITIAL_VERSION,
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("version: {v} is not a positive 32-bit integer"))?,
    };
    let request_headers_proxy_enabled = match get("requestHeadersProxyEnabled") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("requestHeadersProxyEnabled: must be true or false".into()),
    };
    let input = ServerInput {
        name: text("name")?,
        instructions: text("instructions")?,
        request_headers_proxy_enabled,
        version: i64::from(version),
        providers,
        resources: id_list("resources", fields.get("resources"))?,
        prompts: id_list("prompts", fields.get("prompts"))?,
    };
    validate(&input, None).map_err(|e| e.describe())?;
    let time = |key: &str, default: SystemTime| match get(key) {
        None => Ok(default),
        Some(Value::String(s)) => parse_time(s).map_err(|e| format!("{key}: {e}")),
        Some(_) => Err(format!("{key}: must be an RFC 3339 string")),
    };
    let created_at = time("createdAt", now)?;
    Ok(Server {
        id,
        created_at,
        updated_at: time("updatedAt", created_at)?,
        request_headers_proxy_enabled: input.request_headers_proxy_enabled,
        links: Links::from_input(&input),
        name: input.name,
        instructions: input.instructions,
        version,
    })
}

/// A Go type, as far as `encoding/json` checks it while decoding CE's request views.
#[derive(Clone, Copy)]
enum Go {
    Str,
    Bool,
    Int32,
    Int64,
    /// `json.RawMessage`: anything.
    Raw,
    Slice(&'static Go),
    /// Also stands for a pointer to a struct (`null` is accepted everywhere anyway).
    Struct(&'static [(&'static str, Go)]),
}

const HEADER: Go = Go::Struct(&[("key", Go::Str), ("value", Go::Str)]);
const TOOL: Go = Go::Struct(&[
    ("id", Go::Str),
    ("providerID", Go::Str),
    ("method", Go::Str),
    ("path", Go::Str),
    ("name", Go::Str),
    ("title", Go::Str),
    ("description", Go::Str),
    ("pathArgsJSONSchema", Go::Raw),
    ("queryArgsJSONSchema", Go::Raw),
    ("reqBodyJSONSchema", Go::Raw),
    ("resBodyJSONSchema", Go::Raw),
    ("headers", Go::Slice(&HEADER)),
    ("oauth2Scopes", Go::Slice(&Go::Str)),
]);
const OAUTH2: Go = Go::Struct(&[
    ("clientID", Go::Str),
    ("clientSecret", Go::Str),
    ("authURL", Go::Str),
    ("tokenURL", Go::Str),
]);
const PROVIDER: Go = Go::Struct(&[
    ("id", Go::Str),
    ("createdAt", Go::Str),
    ("updatedAt", Go::Str),
    ("version", Go::Int32),
    ("apiType", Go::Str),
    ("visibilityType", Go::Str),
    ("baseURL", Go::Str),
    ("documentURL", Go::Str),
    ("iconURL", Go::Str),
    ("secretPrefix", Go::Str),
    ("name", Go::Str),
    ("description", Go::Str),
    ("tools", Go::Slice(&TOOL)),
    ("oauth2Config", OAUTH2),
]);
const RESOURCE: Go = Go::Struct(&[
    ("id", Go::Str),
    ("createdAt", Go::Str),
    ("updatedAt", Go::Str),
    ("name", Go::Str),
    ("description", Go::Str),
    ("uri", Go::Str),
    ("mimeType", Go::Str),
    ("size", Go::Int64),
    ("annotations", Go::Raw),
    ("visibilityType", Go::Str),
]);
const PROMPT: Go = Go::Struct(&[
    ("id", Go::Str),
    ("createdAt", Go::Str),
    ("updatedAt", Go::Str),
    ("name", Go::Str),
    ("description", Go::Str),
    ("arguments", Go::Raw),
    ("messages", Go::Raw),
    ("visibilityType", Go::Str),
]);
const SERVER: Go = Go::Struct(&[
    ("id", Go::Str),
    ("createdAt", Go::Str),
    ("updatedAt", Go::Str),
    ("requestHeadersProxyEnabled", Go::Bool),
    ("name", Go::Str),
    ("instructions", Go::Str),
    ("version", Go::Int32),
    ("providers", Go::Slice(&PROVIDER)),
    ("resources", Go::Slice(&RESOURCE)),
    ("prompts", Go::Slice(&PROMPT)),
    ("visibilityType", Go::Str),
]);
/// `view.CreateServerRequest` / `view.UpdateServerRequest`.
const REQUEST: Go = Go::Struct(&[("server", SERVER)]);

/// Go matches an object key to a field exactly or, failing that, case-insensitively.
fn go_field_type(fields: &[(&str, Go)], key: &str) -> Option<Go> {
    fields
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| {
            fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        })
        .map(|(_, ty)| *ty)
}

/// Whether `json.Unmarshal` into `ty` succeeds: `null` fits anything, unknown keys are ignored,
/// integers must be integer literals in range.
fn go_accepts(value: &Value, ty: Go) -> bool {
    match (ty, value) {
        (_, Value::Null) | (Go::Raw, _) => true,
        (Go::Str, Value::String(_)) | (Go::Bool, Value::Bool(_)) => true,
        (Go::Int32, Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        (Go::Int64, Value::Number(n)) => n.as_i64().is_some(),
        (Go::Slice(item), Value::Array(items)) => items.iter().all(|v| go_accepts(v, *item)),
        (Go::Struct(fields), Value::Object(entries)) => entries.iter().all(|(key, v)| {
            go_field_type(fields, key).is_none_or(|field_type| go_accepts(v, field_type))
        }),
        _ => false,
    }
}

/// The value Go ends up with in field `name`: the last matching key whose value is not `null`
/// (a `null` leaves the field as it was).
fn go_get<'a>(entries: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    entries
        .iter()
        .filter(|(key, v)| key.eq_ignore_ascii_case(name) && !v.is_null())
        .map(|(_, v)| v)
        .next_back()
}

fn go_string(entries: &Map<String, Value>, name: &str) -> String {
    go_get(entries, name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The elements of a slice field; a `null` element decodes to the zero value (an empty object).
fn go_objects<'a>(
    entries: &'a Map<String, Value>,
    name: &str,
) -> Vec<Option<&'a Map<String, Value>>> {
    go_get(entries, name)
        .and_then(Value::as_array)
        .map(|items| items.iter().map(Value::as_object).collect())
        .unwrap_or_default()
}

fn go_ids(entries: &Map<String, Value>, name: &str) -> Vec<String> {
    go_objects(entries, name)
        .into_iter()
        .map(|item| item.map(|o| go_string(o, "id")).unwrap_or_default())
        .collect()
}

#[derive(Debug, Default)]
struct ProviderInput {
    id: String,
    tools: Vec<String>,
}

/// The fields of `view.Server` CE acts on, after Go decoding (absent = zero value).
#[derive(Debug, Default)]
struct ServerInput {
    name: String,
    instructions: String,
    request_headers_proxy_enabled: bool,
    version: i64,
    providers: Vec<ProviderInput>,
    resources: Vec<String>,
    prompts: Vec<String>,
}

/// Decodes `{"server": {...}}` as CE's mapper does; `None` is CE's "invalid request payload".
fn decode_request(bytes: &[u8]) -> Option<ServerInput> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    if !go_accepts(&value, REQUEST) {
        return None;
    }
    let empty = Map::new();
    let server = value
        .as_object()
        .and_then(|top| go_get(top, "server"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let providers = go_objects(server, "providers")
        .into_iter()
        .map(|p| {
            let p = p.unwrap_or(&empty);
            ProviderInput {
                id: go_string(p, "id"),
                tools: go_ids(p, "tools"),
            }
        })
        .collect();
    Some(ServerInput {
        name: go_string(server, "name"),
        instructions: go_string(server, "instructions"),
        request_headers_proxy_enabled: go_get(server, "requestHeadersProxyEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        version: go_get(server, "version")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        providers,
        resources: go_ids(server, "resources"),
        prompts: go_ids(server, "prompts"),
    })
}

/// CE's validations, in its order; `path_id` is `Some` for an update. The link-id checks at the
/// end are this emulator's (CE accepts anything there).
fn validate(input: &ServerInput, path_id: Option<&str>) -> Result<(), HasmcpError> {
    let bad =
        |message: &str, key: &str, value: Value| HasmcpError::bad_request(message, key, value);
    if let Some(id) = path_id {
        if !is_id(id) {
            return Err(bad("invalid server ID", "serverID", json!(id)));
        }
        if input.version == 0 {
            return Err(bad("invalid server version", "version", json!(0)));
        }
    }
    // Go's `len` counts bytes.
    if input.name.is_empty() || input.name.len() > NAME_MAX_LEN {
        return Err(bad(
            &format!("name must be between 1 and {NAME_MAX_LEN} characters"),
            "name",
            json!(input.name),
        ));
    }
    if !input.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(
            "name must be `[a-zA-Z0-9]{1,16}",
            "name",
            json!(input.name),
        ));
    }
    if input.instructions.len() > INSTRUCTIONS_MAX_LEN {
        return Err(bad(
            &format!("instructions must be less than {INSTRUCTIONS_MAX_LEN} characters"),
            "instructions",
            json!(input.instructions),
        ));
    }
    if input.providers.len() > PROVIDERS_MAX {
        return Err(bad(
            &format!("max providers allowed per MCP server is set to {PROVIDERS_MAX}"),
            "providersCount",
            json!(input.providers.len()),
        ));
    }
    for provider in &input.providers {
        if !is_id(&provider.id) {
            return Err(bad("invalid provider ID", "providerID", json!(provider.id)));
        }
        if let Some(tool) = provider.tools.iter().find(|t| !is_id(t)) {
            return Err(bad("invalid tool ID", "toolID", json!(tool)));
        }
    }
    if let Some(id) = input.resources.iter().find(|r| !is_id(r)) {
        return Err(bad("invalid resource ID", "resourceID", json!(id)));
    }
    if let Some(id) = input.prompts.iter().find(|p| !is_id(p)) {
        return Err(bad("invalid prompt ID", "promptID", json!(id)));
    }
    Ok(())
}

#[derive(Debug)]
enum HasmcpError {
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
    fn bad_request(message: &str, key: &str, value: Value) -> Self {
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
    fn describe(&self) -> String {
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
            // Sent by a middleware that sets no content type: fasthttp's default.
            HasmcpError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                UNAUTHORIZED,
            )
                .into_response(),
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

struct Hasmcp {
    store: Arc<Store<HasmcpState>>,
    /// `None` = CE with `apiauth` disabled.
    token: Option<String>,
}

type Shared = State<Arc<Hasmcp>>;

pub(crate) fn build(
    initial: Option<Value>,
    data: Option<PathBuf>,
    token: Option<&str>,
    interleaver: &Arc<Interleaver>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(initial, data)?);
    let hasmcp = Arc::new(Hasmcp {
        store: store.clone(),
        token: token.map(str::to_owned),
    });
    let handlers = Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{id}}"),
            get(read).patch(update).delete(remove),
        )
        .with_state(hasmcp.clone());
    let router = interleaver
        .wrap(handlers)
        .route_layer(axum::middleware::from_fn_with_state(hasmcp, require_token));
    Ok(PlatformApp {
        router,
        state: store,
        fallback: Fallback::Fiber,
    })
}

/// CE compares the whole header with `"Bearer " + token`: exact, case-sensitive.
async fn require_token(State(hasmcp): Shared, request: Request, next: Next) -> Response {
    if let Some(token) = &hasmcp.token {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if presented != Some(format!("Bearer {token}").as_bytes()) {
            return HasmcpError::Unauthorized.into_response();
        }
    }
    next.run(request).await
}

/// `GET /servers`: every server, tools only; `{}` when there are none (`omitempty`).
async fn list(State(hasmcp): Shared) -> Json<Value> {
    hasmcp.store.read(|state| {
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
    State(hasmcp): Shared,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), HasmcpError> {
    let input = decode_request(&body).ok_or(HasmcpError::InvalidPayload)?;
    validate(&input, None)?;
    let answer = hasmcp.store.mutate(|state| {
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

async fn read(State(hasmcp): Shared, Path(id): Path<String>) -> Result<Json<Value>, HasmcpError> {
    if !is_id(&id) {
        return Err(HasmcpError::bad_request(
            "invalid server ID",
            "serverID",
            json!(id),
        ));
    }
    hasmcp.store.read(|state| {
        let index = state
            .position(&id)
            .ok_or_else(|| HasmcpError::not_found(&id))?;
        Ok(Json(
            json!({ "server": state.servers[index].to_wire(Preload::All) }),
        ))
    })
}

/// `PATCH /servers/{id}`: full replacement, see the module docs for the stale-version quirk.
async fn update(
    State(hasmcp): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, HasmcpError> {
    let input = decode_request(&body).ok_or(HasmcpError::InvalidPayload)?;
    validate(&input, Some(&id))?;
    hasmcp
        .store
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
async fn remove(State(hasmcp): Shared, Path(id): Path<String>) -> Result<StatusCode, HasmcpError> {
    if hasmcp.store.read(|state| state.position(&id).is_none()) {
        return Ok(StatusCode::NO_CONTENT);
    }
    hasmcp
        .store
        .mutate(|state| {
            state.servers.retain(|s| s.id != id);
            Ok(StatusCode::NO_CONTENT)
        })
        .map_err(HasmcpError::during("failed to delete server"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Platform;
    use crate::test_support::{client, send, start_emulator, start_limited};
    use crate::{EmulatorAuth, Interleave, RunningEmulator};

    const TOKEN: &str = "tok-456";
    const ID: &str = "sSuB9Gf6aD4";
    const PROVIDER: &str = "kSuB9Gf6aD4";
    const T1: &str = "tAAAAAAAAA1";
    const T2: &str = "tBBBBBBBBB2";
    const T3: &str = "tCCCCCCCCC3";
    const RES: &str = "rSuB9Gf6aD4";
    const PROMPT: &str = "pSuB9Gf6aD4";
    const OLD_TIME: &str = "2024-01-02T03:04:05Z";

    fn seed() -> Value {
        json!({ "servers": [{
            "id": ID, "name": "github1", "instructions": "Old instructions.",
            "requestHeadersProxyEnabled": true, "version": 3,
            "createdAt": OLD_TIME, "updatedAt": OLD_TIME,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
            "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
        }]})
    }

    async fn seeded() -> RunningEmulator {
        start_emulator(
            Platform::Hasmcp,
            Some(seed()),
            EmulatorAuth::Bearer(TOKEN.into()),
        )
        .await
    }

    fn servers_url(emu: &RunningEmulator) -> String {
        format!("{}{BASE}", emu.url())
    }

    fn one(emu: &RunningEmulator, id: &str) -> String {
        format!("{}{BASE}/{id}", emu.url())
    }

    async fn get(emu: &RunningEmulator, id: &str) -> (u16, Value) {
        send(client().get(one(emu, id)).bearer_auth(TOKEN)).await
    }

    async fn patch(emu: &RunningEmulator, id: &str, server: Value) -> (u16, Value) {
        send(
            client()
                .patch(one(emu, id))
                .bearer_auth(TOKEN)
                .json(&json!({ "server": server })),
        )
        .await
    }

    async fn post(emu: &RunningEmulator, body: Value) -> (u16, Value) {
        send(
            client()
                .post(servers_url(emu))
                .bearer_auth(TOKEN)
                .json(&body),
        )
        .await
    }

    async fn raw(request: reqwest::RequestBuilder) -> (u16, String, String) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    fn stored(emu: &RunningEmulator) -> Value {
        emu.state()["servers"][0].clone()
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[tokio::test]
    async fn get_returns_the_full_server_and_the_list_leaves_out_resources_and_prompts() {
        let emu = seeded().await;
        let (status, body) = get(&emu, ID).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({ "server": {
                "id": ID, "createdAt": OLD_TIME, "updatedAt": OLD_TIME,
                "requestHeadersProxyEnabled": true, "name": "github1",
                "instructions": "Old instructions.", "version": 3,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
                "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
            }})
        );
        assert_eq!(
            keys(&body["server"]),
            [
                "id",
                "createdAt",
                "updatedAt",
                "requestHeadersProxyEnabled",
                "name",
                "instructions",
                "version",
                "providers",
                "resources",
                "prompts"
            ],
            "Go's struct order"
        );
        assert!(
            body["server"].get("description").is_none(),
            "CE says instructions"
        );

        let (status, list) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
        assert_eq!(status, 200);
        let item = &list["servers"][0];
        assert!(item.get("resources").is_none(), "{item}");
        assert!(item.get("prompts").is_none(), "{item}");
        assert_eq!(
            item["providers"], body["server"]["providers"],
            "tools are preloaded"
        );
        assert_eq!(item["instructions"], "Old instructions.");
        assert_eq!(item["version"], 3);
    }

    #[tokio::test]
    async fn create_is_201_with_version_1_and_a_fresh_id() {
        let emu = start_emulator(Platform::Hasmcp, None, EmulatorAuth::Bearer(TOKEN.into())).await;
        let (status, body) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
        assert_eq!(
            (status, body),
            (200, json!({})),
            "an empty list is `{{}}` (omitempty)"
        );

        let (status, created) = post(
            &emu,
            json!({ "server": {
                "name": "Files2", "instructions": "Use it.", "version": 9,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }, { "id": T1 }] }],
                "resources": [{ "id": RES }]
            }}),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let server = &created["server"];
        assert_eq!(server["version"], 1, "the client's version is ignored");
        assert_eq!(server["requestHeadersProxyEnabled"], false);
        assert_eq!(
            server["providers"],
            json!([{ "id": PROVIDER, "tools": [{ "id": T3 }, { "id": T1 }] }]),
            "links keep the order they were sent in"
        );
        assert_eq!(server["resources"], json!([{ "id": RES }]));
        assert!(server.get("prompts").is_none(), "no prompts: left out");
        let id = server["id"].as_str().unwrap();
        assert!(is_id(id), "{id}");
        let created_at = server["createdAt"].as_str().unwrap();
        assert_eq!(created_at.len(), 20, "RFC 3339 seconds: {created_at}");
        assert!(created_at.ends_with('Z'));
        assert_eq!(server["updatedAt"], server["createdAt"]);

        let (status, read) = get(&emu, id).await;
        assert_eq!(status, 200);
        assert_eq!(&read["server"], server);
        let (_, list) = send(client().get(servers_url(&emu)).bearer_auth(TOKEN)).await;
        assert_eq!(list["servers"].as_array().unwrap().len(), 1);
        assert_eq!(
            emu.state()["servers"][0]["prompts"],
            json!([]),
            "state() carries every field"
        );
    }

    #[tokio::test]
    async fn patch_replaces_everything_and_bumps_the_version() {
        let emu = seeded().await;
        let (status, body) = patch(&emu, ID, json!({ "name": "github2", "version": 3 })).await;
        assert_eq!(status, 200, "{body}");
        let server = &body["server"];
        assert_eq!(server["name"], "github2");
        assert_eq!(server["version"], 4);
        assert_eq!(
            server["requestHeadersProxyEnabled"], false,
            "omitted: false"
        );
        for key in ["instructions", "providers", "resources", "prompts"] {
            assert!(
                server.get(key).is_none(),
                "omitted {key} is emptied: {server}"
            );
        }
        assert_ne!(server["updatedAt"], OLD_TIME);
        assert_eq!(server["createdAt"], OLD_TIME);
        let after = stored(&emu);
        assert_eq!(after["instructions"], "");
        assert_eq!(
            (&after["providers"], &after["resources"], &after["prompts"]),
            (&json!([]), &json!([]), &json!([]))
        );
        assert_eq!(after["version"], 4);
        let (_, read) = get(&emu, ID).await;
        assert_eq!(read, body, "the answer is the re-read server");

        // The next write must carry the new version.
        let (status, body) = patch(
            &emu,
            ID,
            json!({
                "name": "github2", "instructions": "New.", "version": 4,
                "requestHeadersProxyEnabled": true,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T1 }] }]
            }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["server"]["version"], 5);
        assert_eq!(body["server"]["instructions"], "New.");
        assert_eq!(body["server"]["requestHeadersProxyEnabled"], true);
    }

    #[tokio::test]
    async fn a_stale_version_is_200_with_the_scalars_unchanged_but_the_links_replaced() {
        let emu = seeded().await;
        let (status, body) = patch(
            &emu,
            ID,
            json!({
                "name": "renamed", "instructions": "Mine.", "version": 2,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }] }],
                "prompts": [{ "id": PROMPT }]
            }),
        )
        .await;
        assert_eq!(status, 200, "a stale version is not rejected");
        let server = &body["server"];
        assert_eq!(server["name"], "github1");
        assert_eq!(server["instructions"], "Old instructions.");
        assert_eq!(server["requestHeadersProxyEnabled"], true);
        assert_eq!(server["version"], 3, "not bumped");
        assert_eq!(server["updatedAt"], OLD_TIME);
        assert_eq!(
            server["providers"],
            json!([{ "id": PROVIDER, "tools": [{ "id": T3 }] }]),
            "the links were replaced anyway"
        );
        assert!(server.get("resources").is_none());
        assert_eq!(server["prompts"], json!([{ "id": PROMPT }]));
        assert_eq!(stored(&emu)["resources"], json!([]));

        // A version from the future is just as stale.
        let (status, body) = patch(&emu, ID, json!({ "name": "x", "version": 99 })).await;
        assert_eq!(status, 200);
        assert_eq!(body["server"]["name"], "github1");
        assert!(body["server"].get("providers").is_none());
    }

    #[tokio::test]
    async fn validation_errors_are_400_in_the_error_envelope_and_change_nothing() {
        let emu = seeded().await;
        let before = emu.state();
        let long_instructions = "x".repeat(INSTRUCTIONS_MAX_LEN + 1);
        let ok_instructions = "é".repeat(INSTRUCTIONS_MAX_LEN / 2);
        let cases: Vec<(&str, Value, &str, Value)> = vec![
            (
                "no version",
                json!({ "name": "a" }),
                "invalid server version",
                json!({ "version": 0 }),
            ),
            (
                "version 0",
                json!({ "name": "a", "version": 0 }),
                "invalid server version",
                json!({ "version": 0 }),
            ),
            (
                "no name",
                json!({ "version": 3 }),
                "name must be between 1 and 16 characters",
                json!({ "name": "" }),
            ),
            (
                "long name",
                json!({ "name": "a".repeat(17), "version": 3 }),
                "name must be between 1 and 16 characters",
                json!({ "name": "a".repeat(17) }),
            ),
            (
                "hyphen",
                json!({ "name": "git-hub", "version": 3 }),
                "name must be `[a-zA-Z0-9]{1,16}",
                json!({ "name": "git-hub" }),
            ),
            (
                "space",
                json!({ "name": "git hub", "version": 3 }),
                "name must be `[a-zA-Z0-9]{1,16}",
                json!({ "name": "git hub" }),
            ),
            (
                "long instructions",
                json!({ "name": "a", "version": 3, "instructions": long_instructions }),
                "instructions must be less than 4096 characters",
                json!({ "instructions": long_instructions }),
            ),
            (
                "instructions in bytes",
                json!({ "name": "a", "version": 3, "instructions": format!("{ok_instructions}é") }),
                "instructions must be less than 4096 characters",
                json!({ "instructions": format!("{ok_instructions}é") }),
            ),
            (
                "two providers",
                json!({ "name": "a", "version": 3, "providers": [
                    { "id": PROVIDER, "tools": [{ "id": T1 }] },
                    { "id": "kSuB9Gf6aD5", "tools": [{ "id": T2 }] }
                ]}),
                "max providers allowed per MCP server is set to 1",
                json!({ "providersCount": 2 }),
            ),
            (
                "provider id",
                json!({ "name": "a", "version": 3, "providers": [{ "id": "short", "tools": [{ "id": T1 }] }] }),
                "invalid provider ID",
                json!({ "providerID": "short" }),
            ),
            (
                "tool id",
                json!({ "name": "a", "version": 3, "providers": [{ "id": PROVIDER, "tools": [{ "id": "t-1-2-3-4-5" }] }] }),
                "invalid tool ID",
                json!({ "toolID": "t-1-2-3-4-5" }),
            ),
            (
                "resource id",
                json!({ "name": "a", "version": 3, "resources": [{ "id": "r" }] }),
                "invalid resource ID",
                json!({ "resourceID": "r" }),
            ),
            (
                "prompt element null",
                json!({ "name": "a", "version": 3, "prompts": [null] }),
                "invalid prompt ID",
                json!({ "promptID": "" }),
            ),
        ];
        for (what, server, message, data) in cases {
            let (status, body) = patch(&emu, ID, server).await;
            assert_eq!(status, 400, "{what}: {body}");
            assert_eq!(
                body,
                json!({ "error": { "code": 400, "message": message, "data": data } }),
                "{what}"
            );
        }
        // Names are checked on create too (no version needed there).
        let (status, body) = post(&emu, json!({ "server": { "name": "" } })).await;
        assert_eq!(status, 400);
        assert_eq!(
            body["error"]["message"],
            "name must be between 1 and 16 characters"
        );
        let (status, _) = patch(
            &emu,
            ID,
            json!({ "name": "a", "version": 3, "instructions": ok_instructions }),
        )
        .await;
        assert_eq!(status, 200, "4096 bytes is allowed");
        let mut after = emu.state();
        assert_eq!(after["servers"][0]["version"], 4);
        after["servers"][0] = before["servers"][0].clone();
        assert_eq!(
            after, before,
            "only the last, valid PATCH changed something"
        );
    }

    #[tokio::test]
    async fn unparsable_bodies_are_422_with_code_400_in_the_body() {
        let emu = seeded().await;
        let before = emu.state();
        let http = client();
        let bodies = [
            "{\"server\": {\"name\": ",
            "",
            "[]",
            "{\"server\": []}",
            "{\"server\": {\"name\": 5, \"version\": 3}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3.0}}",
            "{\"server\": {\"name\": \"a\", \"version\": 4294967296}}",
            "{\"server\": {\"name\": \"a\", \"version\": \"3\"}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3, \"requestHeadersProxyEnabled\": \"true\"}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3, \"providers\": {}}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3, \"resources\": [{\"id\": 7}]}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3, \"providers\": [{\"id\": \"kSuB9Gf6aD4\", \"oauth2Config\": []}]}}",
            "{\"server\": {\"name\": \"a\", \"version\": 3}} trailing",
        ];
        for body in bodies {
            for request in [http.patch(one(&emu, ID)), http.post(servers_url(&emu))] {
                let (status, content_type, text) = raw(request
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body))
                .await;
                assert_eq!(status, 422, "{body}");
                assert_eq!(content_type, "application/json");
                assert_eq!(text, INVALID_PAYLOAD, "{body}");
            }
        }
        // Parse errors come before the id check.
        let (status, _, _) = raw(http.patch(one(&emu, "bad")).bearer_auth(TOKEN).body("{")).await;
        assert_eq!(status, 422);
        assert_eq!(emu.state(), before);
    }

    #[tokio::test]
    async fn go_decoding_is_lenient() {
        let emu = seeded().await;
        // Keys match case-insensitively, unknown keys and read-only fields are ignored, `null`
        // means the zero value, and the body needs no content type.
        let body = json!({ "SERVER": {
            "Name": "github1", "instructions": null, "Version": 3, "unknown": [1, 2],
            "id": "ignoredIgnor", "createdAt": "whenever", "description": "not a CE field",
            "providers": [{ "id": PROVIDER, "name": "p", "tools": [
                { "id": T1, "method": "GET" }, { "id": T1 }, { "ID": T2 }
            ]}],
            "resources": [{ "id": RES, "size": 10, "annotations": { "any": "thing" } }],
            "prompts": null
        }});
        let (status, answer) = send(
            client()
                .patch(one(&emu, ID))
                .bearer_auth(TOKEN)
                .body(body.to_string()),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        let server = &answer["server"];
        assert_eq!(server["id"], ID, "the path wins");
        assert_eq!(server["version"], 4);
        assert!(server.get("instructions").is_none(), "null → \"\"");
        assert_eq!(
            server["providers"],
            json!([{ "id": PROVIDER, "tools": [{ "id": T1 }, { "id": T2 }] }]),
            "a link sent twice is kept once"
        );
        assert_eq!(server["resources"], json!([{ "id": RES }]));
        assert_eq!(server["createdAt"], OLD_TIME);

        // A provider sent without tools leaves no row behind, so it is not there afterwards.
        let (status, answer) = patch(
            &emu,
            ID,
            json!({ "name": "github1", "version": 4, "providers": [{ "id": PROVIDER, "tools": [] }] }),
        )
        .await;
        assert_eq!(status, 200);
        assert!(answer["server"].get("providers").is_none(), "{answer}");
        // `{"server": null}` and `null` decode to an empty server: a 400, not a 422.
        for body in ["{\"server\": null}", "null", "{}"] {
            let (status, answer) = send(
                client()
                    .post(servers_url(&emu))
                    .bearer_auth(TOKEN)
                    .body(body),
            )
            .await;
            assert_eq!(status, 400, "{body}: {answer}");
        }
    }

    #[tokio::test]
    async fn ids_unknown_malformed_and_delete() {
        let emu = seeded().await;
        let missing = "zzzzzzzzzzz";
        for (status, body) in [
            get(&emu, missing).await,
            patch(&emu, missing, json!({ "name": "a", "version": 1 })).await,
        ] {
            assert_eq!(status, 404);
            assert_eq!(
                body,
                json!({ "error": { "code": 404, "message": "server not found",
                        "data": { "reason": "record not found", "serverID": missing } } })
            );
        }
        for (status, body) in [
            get(&emu, "short").await,
            patch(&emu, "short", json!({ "name": "a", "version": 1 })).await,
        ] {
            assert_eq!(status, 400);
            assert_eq!(body["error"]["message"], "invalid server ID");
            assert_eq!(body["error"]["code"], 400);
        }
        let http = client();
        for id in [missing, "short", ID, ID] {
            let (status, _, text) = raw(http.delete(one(&emu, id)).bearer_auth(TOKEN)).await;
            assert_eq!((status, text.as_str()), (204, ""), "DELETE {id}");
        }
        assert_eq!(emu.state(), json!({ "servers": [] }));
        let (status, _) = get(&emu, ID).await;
        assert_eq!(status, 404);
    }

    #[tokio::test]
    async fn auth_is_an_exact_match_of_the_whole_header() {
        let emu = seeded().await;
        let http = client();
        for request in [
            http.get(servers_url(&emu)),
            http.get(servers_url(&emu)).bearer_auth("wrong"),
            http.get(servers_url(&emu))
                .header("authorization", format!("bearer {TOKEN}")),
            http.get(servers_url(&emu))
                .header("authorization", format!("Bearer  {TOKEN}")),
            http.get(servers_url(&emu)).header("authorization", TOKEN),
            // Auth runs before the body is read.
            http.post(servers_url(&emu)).body("{"),
            http.delete(one(&emu, ID)),
        ] {
            let (status, content_type, text) = raw(request).await;
            assert_eq!(status, 401);
            assert_eq!(content_type, "text/plain; charset=utf-8");
            assert_eq!(text, UNAUTHORIZED);
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                body,
                json!({ "error": { "message": "authentication failed", "code": 401 } })
            );
        }
        assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
        let open = start_emulator(Platform::Hasmcp, Some(seed()), EmulatorAuth::None).await;
        let (status, _) = send(http.get(servers_url(&open))).await;
        assert_eq!(status, 200, "auth disabled");
    }

    #[tokio::test]
    async fn unknown_routes_answer_like_fiber() {
        let emu = seeded().await;
        let http = client();
        let (status, content_type, text) = raw(http
            .get(format!("{}/providers", emu.url()))
            .bearer_auth(TOKEN))
        .await;
        assert_eq!((status, text.as_str()), (404, "Cannot GET /providers"));
        assert_eq!(content_type, "text/plain; charset=utf-8");
        let (status, _, text) = raw(http.put(servers_url(&emu)).bearer_auth(TOKEN)).await;
        assert_eq!((status, text.as_str()), (405, "Method Not Allowed"));
    }

    #[tokio::test]
    async fn rate_limit_answers_ces_literal_429_and_counts_unauthenticated_requests() {
        let emu = start_limited(
            Platform::Hasmcp,
            Some(seed()),
            EmulatorAuth::Bearer(TOKEN.into()),
            1.0,
        )
        .await;
        let http = client();
        // The limiter sits before auth: a rejected login attempt uses up the token too.
        let (status, _, _) = raw(http.get(servers_url(&emu))).await;
        assert_eq!(status, 401);
        let response = http
            .get(servers_url(&emu))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            response.text().await.unwrap(),
            r#"{"error": {"message":"ratelimited", "code":429}}"#
        );
        let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [401, 429]);
    }

    #[tokio::test]
    async fn interleaved_writer_makes_the_next_patch_stale() {
        let emu = start_limited(
            Platform::Hasmcp,
            Some(seed()),
            EmulatorAuth::Bearer(TOKEN.into()),
            // One request per second: the interleaved write must not need a token.
            1.0,
        )
        .await;
        emu.interleave(Interleave {
            before_method: "PATCH".into(),
            before_path_contains: ID.into(),
            method: "PATCH".into(),
            path: format!("{BASE}/{ID}"),
            body: json!({ "server": {
                "name": "github1", "instructions": "Theirs.", "version": 3,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T1 }, { "id": T2 }] }]
            }}),
        });
        // mcpform's PATCH, built from a read at version 3.
        let (status, body) = patch(
            &emu,
            ID,
            json!({
                "name": "github1", "instructions": "Ours.", "version": 3,
                "requestHeadersProxyEnabled": true,
                "providers": [{ "id": PROVIDER, "tools": [{ "id": T3 }] }],
                "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
            }),
        )
        .await;
        assert_eq!(status, 200);
        let server = &body["server"];
        assert_eq!(server["version"], 4, "bumped once, by the other writer");
        assert_eq!(
            server["instructions"], "Theirs.",
            "our scalars were dropped"
        );
        assert_eq!(server["requestHeadersProxyEnabled"], false);
        assert_eq!(
            server["providers"],
            json!([{ "id": PROVIDER, "tools": [{ "id": T3 }] }]),
            "our links replaced theirs"
        );
        let log = emu.requests();
        assert_eq!(log.len(), 1, "only mcpform's PATCH is recorded: {log:?}");
        assert_eq!(log[0].status, 200);
    }

    #[tokio::test]
    async fn interleave_over_http_fires_once_and_only_after_auth() {
        let emu = seeded().await;
        let http = client();
        let write = json!({
            "before_method": "GET", "before_path_contains": "/servers/",
            "method": "DELETE", "path": format!("{BASE}/{ID}")
        });
        let control = format!("{}/_emulator/interleave", emu.url());
        let (status, _) = send(http.post(&control).json(&write)).await;
        assert_eq!(status, 204);
        let (status, _) = send(http.post(&control).json(&json!({ "method": "GET" }))).await;
        assert_eq!(status, 400, "path and before_method are required");
        let (status, _) = send(http.post(&control).json(&json!({
            "before_method": "GET", "method": "GET", "path": "servers"
        })))
        .await;
        assert_eq!(status, 400, "a relative path is refused");

        // The list does not match; an unauthenticated GET does not fire it.
        send(http.get(servers_url(&emu)).bearer_auth(TOKEN)).await;
        let (status, _) = send(http.get(one(&emu, ID))).await;
        assert_eq!(status, 401);
        assert_eq!(emu.state()["servers"].as_array().unwrap().len(), 1);
        // The authenticated read does: the server is deleted right before it is read.
        let (status, _) = get(&emu, ID).await;
        assert_eq!(status, 404);
        assert_eq!(emu.state(), json!({ "servers": [] }));

        // DELETE /_emulator/interleave drops pending ones.
        let (status, _) = send(http.post(&control).json(&write)).await;
        assert_eq!(status, 204);
        let (status, _) = send(http.delete(&control)).await;
        assert_eq!(status, 204);
        emu.set_state(seed()).unwrap();
        let (status, _) = get(&emu, ID).await;
        assert_eq!(status, 200, "the cleared interleave never fired");
    }

    #[test]
    fn seed_round_trips_and_fills_defaults() {
        let state = HasmcpState::from_value(seed()).unwrap();
        assert_eq!(state.to_value(), seed_full());
        assert_eq!(
            HasmcpState::from_value(state.to_value())
                .unwrap()
                .to_value(),
            state.to_value()
        );
        let state = HasmcpState::from_value(json!({ "servers": [
            { "name": "a" }, { "id": "x0000000000", "name": "b", "version": 1 }
        ]}))
        .unwrap();
        let first = &state.to_value()["servers"][0];
        assert!(is_id(first["id"].as_str().unwrap()));
        assert_eq!(first["version"], 1);
        assert_eq!(first["instructions"], "");
        assert_eq!(first["requestHeadersProxyEnabled"], false);
        assert_eq!(first["updatedAt"], first["createdAt"]);
        assert_eq!(state.servers[1].id, "x0000000000");
    }

    fn seed_full() -> Value {
        json!({ "servers": [{
            "id": ID, "createdAt": OLD_TIME, "updatedAt": OLD_TIME, "name": "github1",
            "instructions": "Old instructions.", "requestHeadersProxyEnabled": true,
            "version": 3,
            "providers": [{ "id": PROVIDER, "tools": [{ "id": T2 }, { "id": T1 }] }],
            "resources": [{ "id": RES }], "prompts": [{ "id": PROMPT }]
        }]})
    }

    #[test]
    fn seed_errors_name_the_item_and_field() {
        let bad = |server: Value| {
            HasmcpState::from_value(json!({ "servers": [{ "name": "ok" }, server] })).unwrap_err()
        };
        let cases = [
            (json!({ "name": "bad-name" }), "name must be"),
            (json!({ "name": "a", "id": "short" }), "id:"),
            (json!({ "name": "a", "version": 0 }), "version"),
            (json!({ "name": "a", "version": "1" }), "version"),
            (
                json!({ "name": "a", "description": "x" }),
                "unknown key `description`",
            ),
            (
                json!({ "name": "a", "providers": [{ "id": PROVIDER, "tools": [] }] }),
                "without tools",
            ),
            (
                json!({ "name": "a", "providers": [{ "id": PROVIDER, "tools": [T1] }] }),
                "tools[0]",
            ),
            (
                json!({ "name": "a", "resources": [{ "id": "r" }] }),
                "resources[0]",
            ),
            (
                json!({ "name": "a", "createdAt": "yesterday" }),
                "createdAt",
            ),
            (
                json!({ "name": "a", "requestHeadersProxyEnabled": 1 }),
                "requestHeadersProxyEnabled",
            ),
        ];
        for (server, needle) in cases {
            let err = bad(server.clone());
            assert!(err.starts_with("servers[1]: "), "{server}: {err}");
            assert!(err.contains(needle), "{server}: {err}");
        }
        let dup = json!({ "id": ID, "name": "a" });
        let err = HasmcpState::from_value(json!({ "servers": [dup.clone(), dup] })).unwrap_err();
        assert!(err.contains("duplicate id"), "{err}");
    }

    #[test]
    fn go_type_checks() {
        assert!(go_accepts(&json!({ "server": null }), REQUEST));
        assert!(go_accepts(&json!(null), REQUEST));
        assert!(go_accepts(&json!({ "Server": { "VERSION": -5 } }), REQUEST));
        assert!(!go_accepts(
            &json!({ "server": { "version": 2147483648_i64 } }),
            REQUEST
        ));
        assert!(go_accepts(
            &json!({ "server": { "resources": [{ "size": 9_007_199_254_740_993_i64 }] } }),
            REQUEST
        ));
        assert!(!go_accepts(
            &json!({ "server": { "providers": [{ "tools": [{ "oauth2Scopes": [1] }] }] } }),
            REQUEST
        ));
        assert!(go_accepts(
            &json!({ "server": { "providers": [{ "tools": [{ "reqBodyJSONSchema": [1, "x"] }] }] } }),
            REQUEST
        ));
        assert!(!go_accepts(&json!("x"), REQUEST));
    }

    #[test]
    fn generated_ids_match_the_pattern() {
        let ids: Vec<String> = (0..50).map(|_| new_id()).collect();
        assert!(ids.iter().all(|id| is_id(id)), "{ids:?}");
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }
}
