//! Idun's camelCase wire shapes: the engine's `MCPServer`, the `StandaloneMCPServerRead` row, its
//! timestamps, and the reload report that accompanies every write. The data file holds rows in
//! their wire form.

use std::time::SystemTime;

use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The engine's `MCPServer` (`idun_agent_schema/engine/mcp_server.py`), after validation.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct McpServerConfig {
    pub(super) name: String,
    pub(super) transport: String,
    pub(super) url: Option<String>,
    pub(super) command: Option<String>,
    pub(super) args: Vec<String>,
    pub(super) headers: Map<String, Value>,
    pub(super) env: Map<String, Value>,
    pub(super) cwd: Option<String>,
    pub(super) encoding: Option<String>,
    pub(super) encoding_error_handler: Option<String>,
    pub(super) timeout_seconds: Option<f64>,
    pub(super) sse_read_timeout_seconds: Option<f64>,
    pub(super) terminate_on_close: Option<bool>,
    pub(super) session_kwargs: Map<String, Value>,
}

impl McpServerConfig {
    /// The read form: every field, unset optionals as `null` (FastAPI does not exclude None).
    pub(super) fn to_wire(&self) -> Value {
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

/// One `standalone_mcp_server` row.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub(super) id: Uuid,
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) enabled: bool,
    pub(super) config: McpServerConfig,
    pub(super) created_at: SystemTime,
    pub(super) updated_at: SystemTime,
}

impl Row {
    /// `StandaloneMCPServerRead`.
    pub(super) fn to_wire(&self) -> Value {
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

/// As the real server renders its timestamps: ISO-8601 in UTC, whole seconds, no zone
/// (`2026-11-30T17:28:39`): the SQLite column keeps a naive datetime.
fn format_time(t: SystemTime) -> String {
    let text = humantime::format_rfc3339_seconds(t).to_string();
    text.trim_end_matches('Z').to_owned()
}

pub(super) fn parse_time(text: &str) -> Result<SystemTime, String> {
    let normalized = match text.strip_suffix("+00:00") {
        Some(t) => format!("{t}Z"),
        // A naive datetime, as the server writes them, is UTC.
        None if !text.ends_with('Z') => format!("{text}Z"),
        None => text.to_owned(),
    };
    humantime::parse_rfc3339_weak(&normalized).map_err(|e| format!("`{text}`: {e}"))
}

pub(super) fn reload(message: &str) -> Value {
    json!({ "status": "reloaded", "message": message, "error": null })
}
