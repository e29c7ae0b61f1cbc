//! PAIS's `McpServer`: the answer to every read and write, and its data-file form, which adds the
//! write-only `headers`.

use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The writable keys in the order `McpServer` answers them; `headers` is write-only.
const ANSWERED_FIELDS: [&str; 5] = [
    "name",
    "description",
    "documentation_url",
    "url",
    "transport",
];

#[derive(Clone, Debug)]
pub(super) struct McpServer {
    pub(super) id: Uuid,
    /// The writable fields, a JSON object that creates and updates merge their validated bodies
    /// into: `url` and `transport` always, `name`, `description`, `documentation_url` and the
    /// write-only `headers` (`[{name, value, is_secret}]`) when set.
    pub(super) fields: Value,
    pub(super) created_at: i64,
    pub(super) last_updated_at: i64,
    pub(super) last_available_at: i64,
    pub(super) availability: String,
    /// Emulator-only, set by the data file: agents one of the server's tools is linked to. PAIS
    /// refuses to delete such a server (409).
    pub(super) linked_agents: Vec<String>,
}

impl McpServer {
    /// A server with no writable fields yet; `merge` a create body into it.
    pub(super) fn new(id: Uuid, created_at: i64, last_updated_at: i64) -> McpServer {
        McpServer {
            id,
            fields: Value::Object(Map::new()),
            created_at,
            last_updated_at,
            last_available_at: last_updated_at,
            availability: "AVAILABLE".into(),
            linked_agents: Vec::new(),
        }
    }

    /// Applies a validated body as a JSON Merge Patch (RFC 7396), with `json-patch`'s
    /// implementation rather than one of ours, since the emulator exists to check mcpform's
    /// patches: a key sent is set, a `null` removes the key, `headers` (an array) is replaced whole.
    pub(super) fn merge(&mut self, patch: &Value) {
        json_patch::merge(&mut self.fields, patch);
    }

    pub(super) fn name(&self) -> Option<&str> {
        self.fields.get("name").and_then(Value::as_str)
    }

    /// The `McpServer` response object. Unset optional fields are omitted.
    pub(super) fn to_wire(&self) -> Value {
        let mut out = Map::new();
        for key in ANSWERED_FIELDS {
            if let Some(value) = self.fields.get(key) {
                out.insert(key.into(), value.clone());
            }
        }
        out.insert("id".into(), json!(self.id.to_string()));
        out.insert("object".into(), json!("mcp_server"));
        out.insert("created_at".into(), json!(self.created_at));
        out.insert("availability".into(), json!(self.availability));
        out.insert("last_available_at".into(), json!(self.last_available_at));
        out.insert("last_updated_at".into(), json!(self.last_updated_at));
        Value::Object(out)
    }

    /// The data-file form: the wire object plus the write-only headers and the agents linked to
    /// its tools.
    pub(super) fn to_stored(&self) -> Value {
        let mut out = self.to_wire();
        if let Some(headers) = self.fields.get("headers") {
            out["headers"] = headers.clone();
        }
        if !self.linked_agents.is_empty() {
            out["linked_agents"] = json!(self.linked_agents);
        }
        out
    }

    /// Answers a write with `PENDING`, then stores the server as found reachable right away.
    pub(super) fn answer_pending_then_available(&mut self, now: i64) -> Value {
        self.availability = "PENDING".into();
        let answer = self.to_wire();
        self.availability = "AVAILABLE".into();
        self.last_available_at = now;
        answer
    }
}
