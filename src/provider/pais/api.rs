//! PAIS wire types (`/api/v1/control/mcp-servers`) and its FastAPI error format.

use serde::Deserialize;
use serde_json::Value;

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

/// FastAPI errors: `{"detail": "text"}` or `{"detail": [{"loc": [...], "msg": ...}]}`;
/// PAIS's 404 has no body at all.
pub fn error_message(status: u16, body: &str) -> PlatformError {
    let message = match serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").cloned())
    {
        Some(Value::String(text)) => text,
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let location: Vec<String> = item
                    .get("loc")
                    .and_then(Value::as_array)
                    .map(|loc| {
                        loc.iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                if location.is_empty() {
                    msg.to_owned()
                } else {
                    format!("{}: {msg}", location.join("."))
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ if status == 404 => "invalid MCP server id (the server does not exist)".to_owned(),
        _ if body.trim().is_empty() => "no error message in the response".to_owned(),
        _ => body.trim().chars().take(500).collect(),
    };
    PlatformError {
        message,
        final_error: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_the_field() {
        let body = r#"{"detail":[{"type":"url_parsing","loc":["body","url"],"msg":"Input should be a valid URL"}]}"#;
        assert_eq!(
            error_message(422, body).message,
            "body.url: Input should be a valid URL"
        );
    }

    #[test]
    fn a_bodiless_404_still_says_what_is_wrong() {
        assert!(error_message(404, "").message.contains("does not exist"));
    }
}
