//! PAIS's state: the servers in creation order, read from and written to the data file.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::validate::{CREATE_FIELDS, validate_write};
use super::wire::McpServer;
use crate::fastapi::one_of;
use crate::store::{PlatformState, servers_of};

const AVAILABILITIES: [&str; 3] = ["AVAILABLE", "UNAVAILABLE", "PENDING"];

/// Server-managed keys a data file may carry besides the writable ones.
const MANAGED_FIELDS: [&str; 7] = [
    "linked_agents",
    "id",
    "object",
    "created_at",
    "last_updated_at",
    "last_available_at",
    "availability",
];

/// The servers in creation order (the order `order=asc` lists them in).
#[derive(Clone, Debug, Default)]
pub(super) struct PaisState {
    pub(super) servers: Vec<McpServer>,
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
    let patch = validate_write(&Value::Object(writable), &CREATE_FIELDS, true).map_err(|errs| {
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
    let mut server = McpServer::new(id, created_at, last_updated_at);
    server.last_available_at = timestamp("last_available_at", last_updated_at)?;
    server.availability = availability;
    server.linked_agents = match fields.get("linked_agents") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(agents)) => agents
            .iter()
            .map(|a| a.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or("linked_agents: must be a list of agent names")?,
        Some(_) => return Err("linked_agents: must be a list of agent names".into()),
    };
    server.merge(&patch);
    Ok(server)
}

pub(super) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
