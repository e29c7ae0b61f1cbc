//! PAIS wire types (`/api/v1/control/mcp-servers`) and its FastAPI error format.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;

use crate::http::PlatformError;

pub const COLLECTION_PATH: &str = "/api/v1/control/mcp-servers";

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

/// `McpServersListResponse` (cursor pagination).
#[derive(Debug, Deserialize)]
pub struct McpServerList {
    pub data: Vec<McpServer>,
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
