//! PAIS's `McpServer`: the answer to every read and write, and its data-file form, which adds the
//! write-only `headers`.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::validate::Changes;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct McpHeader {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) is_secret: bool,
}

#[derive(Clone, Debug)]
pub(super) struct McpServer {
    pub(super) id: Uuid,
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) documentation_url: Option<String>,
    pub(super) url: String,
    pub(super) transport: String,
    /// Write-only: never in a response.
    pub(super) headers: Option<Vec<McpHeader>>,
    pub(super) created_at: i64,
    pub(super) last_updated_at: i64,
    pub(super) last_available_at: i64,
    pub(super) availability: String,
}

impl McpServer {
    /// The `McpServer` response object. Unset optional fields are omitted.
    pub(super) fn to_wire(&self) -> Value {
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
    pub(super) fn to_stored(&self) -> Value {
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

    pub(super) fn apply(&mut self, changes: Changes) {
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
    pub(super) fn answer_pending_then_available(&mut self, now: i64) -> Value {
        self.availability = "PENDING".into();
        let answer = self.to_wire();
        self.availability = "AVAILABLE".into();
        self.last_available_at = now;
        answer
    }
}
