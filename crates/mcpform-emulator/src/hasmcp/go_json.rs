//! Go's `encoding/json`, as far as CE's request decoding needs it: which JSON fits which Go type,
//! case-insensitive key matching, and `null` as "leave the zero value".

use serde_json::{Map, Value};

use super::wire::{ProviderInput, ServerInput};

/// A Go type, as far as `encoding/json` checks it while decoding CE's request views.
#[derive(Clone, Copy)]
pub(super) enum Go {
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
pub(super) const REQUEST: Go = Go::Struct(&[("server", SERVER)]);

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
pub(super) fn go_accepts(value: &Value, ty: Go) -> bool {
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

/// Decodes `{"server": {...}}` as CE's mapper does; `None` is CE's "invalid request payload".
pub(super) fn decode_request(bytes: &[u8]) -> Option<ServerInput> {
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
