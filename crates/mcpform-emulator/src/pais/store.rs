//! PAIS's state: the servers in creation order and their tools, read from and written to the data
//! file.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::tools::{self, DEFAULT_DISCOVERY_DELAY, McpTool, seed_tools, stored_tools};
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

/// The servers in creation order (the order `order=asc` lists them in), and their tools.
#[derive(Clone, Debug)]
pub(super) struct PaisState {
    pub(super) servers: Vec<McpServer>,
    /// Every server's tools, in discovery order (the order the tools listing uses).
    pub(super) tools: Vec<McpTool>,
    /// How long after a create the server's tools appear (`tool_discovery_delay_ms`).
    pub(super) tool_discovery_delay: Duration,
}

impl Default for PaisState {
    fn default() -> Self {
        PaisState {
            servers: Vec::new(),
            tools: Vec::new(),
            tool_discovery_delay: DEFAULT_DISCOVERY_DELAY,
        }
    }
}

/// The data file's optional top-level key besides `servers`.
const DISCOVERY_DELAY_KEY: &str = "tool_discovery_delay_ms";

impl PlatformState for PaisState {
    fn from_value(mut value: Value) -> Result<Self, String> {
        let now = now_secs();
        let mut state = PaisState::default();
        if let Some(delay) = value
            .as_object_mut()
            .and_then(|doc| doc.remove(DISCOVERY_DELAY_KEY))
        {
            let millis = delay.as_u64().ok_or_else(|| {
                format!("{DISCOVERY_DELAY_KEY}: must be milliseconds (an integer)")
            })?;
            state.tool_discovery_delay = Duration::from_millis(millis);
        }
        for (i, mut item) in servers_of(value)?.into_iter().enumerate() {
            let seeded_tools = item
                .as_object_mut()
                .and_then(|fields| fields.remove("tools"));
            let server = seed_server(&item, now).map_err(|e| format!("servers[{i}]: {e}"))?;
            if state.servers.iter().any(|s: &McpServer| s.id == server.id) {
                return Err(format!("servers[{i}]: duplicate id {}", server.id));
            }
            match seeded_tools {
                Some(tools) => state.tools.extend(
                    seed_tools(server.id, &tools, now).map_err(|e| format!("servers[{i}]: {e}"))?,
                ),
                // Discovered before the emulator started.
                None => tools::discover(&mut state.tools, &server, now, Duration::ZERO),
            }
            state.servers.push(server);
        }
        state.servers.sort_by_key(|s| s.created_at);
        Ok(state)
    }

    fn to_value(&self) -> Value {
        let servers: Vec<Value> = self
            .servers
            .iter()
            .map(|server| {
                let mut stored = server.to_stored();
                if let Some(tools) = stored_tools(&self.tools, server.id) {
                    stored["tools"] = tools;
                }
                stored
            })
            .collect();
        let mut doc = json!({ "servers": servers });
        if self.tool_discovery_delay != DEFAULT_DISCOVERY_DELAY {
            doc[DISCOVERY_DELAY_KEY] = json!(self.tool_discovery_delay.as_millis() as u64);
        }
        doc
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
