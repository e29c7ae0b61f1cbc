//! HasMCP's state: the servers in insertion order, read from and written to the data file.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::validate::validate;
use super::wire::{Links, ProviderInput, Server, ServerInput, is_id, new_id, now, parse_time};
use crate::store::{PlatformState, servers_of};

pub(super) const INITIAL_VERSION: i32 = 1;

/// The servers in insertion order, which is the order CE's unsorted list query returns.
#[derive(Clone, Debug, Default)]
pub(super) struct HasmcpState {
    pub(super) servers: Vec<Server>,
}

impl HasmcpState {
    pub(super) fn position(&self, id: &str) -> Option<usize> {
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
