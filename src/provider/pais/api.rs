//! PAIS wire types (`/api/v1/control/mcp-servers`, its tools) and its FastAPI error format.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;

use crate::http::PlatformError;

pub const COLLECTION_PATH: &str = "/api/v1/control/mcp-servers";

/// Every server's tools, filtered by `server=ID`.
pub const TOOLS_PATH: &str = "/api/v1/control/mcp-servers/tools";

/// Where a tool of a server is approved or unapproved (`{"is_approved": bool}`).
pub fn approval_path(server_id: &str, tool_id: &str) -> String {
    format!("{COLLECTION_PATH}/{server_id}/tools/{tool_id}/approval")
}

/// `McpServer` as PAIS returns it. `headers` is write-only and never appears here.
#[derive(Debug, Clone, Deserialize)]
pub struct McpServer {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub documentation_url: Option<String>,
    pub url: String,
    pub transport: String,
}

/// `McpTool`, the fields mcpform reads. Production tools without `name` were seen.
#[derive(Debug, Clone, Deserialize)]
pub struct McpTool {
    pub id: String,
    pub name: Option<String>,
    pub origin_name: Option<String>,
    pub is_approved: bool,
}

impl McpTool {
    /// What `approve_tools` calls it: its `name`, else its `origin_name`.
    pub fn config_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.origin_name.as_deref())
    }
}

/// A list response (cursor pagination): `McpServersListResponse` and the tools listing.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    pub last_id: Option<String>,
}

/// PAIS's 404 has no body at all; everything else is FastAPI's shape.
pub fn error_message(status: u16, body: &str) -> PlatformError {
    if status == 404 && body.trim().is_empty() {
        return PlatformError {
            message: "invalid MCP server id (the server does not exist)".into(),
            rolled_back: false,
            fatal: None,
        };
    }
    crate::provider::fastapi::error_message(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bodiless_404_still_says_what_is_wrong() {
        assert!(error_message(404, "").message.contains("does not exist"));
    }
}
