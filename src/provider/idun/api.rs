//! Idun standalone wire types (`/admin/api/v1/mcp-servers`, camelCase) and its error envelope.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::PlatformError;

pub const COLLECTION_PATH: &str = "/admin/api/v1/mcp-servers";
pub const LOGIN_PATH: &str = "/admin/api/v1/auth/login";
pub const LOGOUT_PATH: &str = "/admin/api/v1/auth/logout";

/// `StandaloneMCPServerRead`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpServerRead {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// The engine's `MCPServer`, camelCase, with defaults and nulls filled in.
    pub mcp_server: Map<String, Value>,
}

/// Config name ↔ wire name of each `MCPServer` field. User maps keep their keys verbatim.
pub const MCP_SERVER_FIELDS: [(&str, &str); 14] = [
    ("name", "name"),
    ("transport", "transport"),
    ("url", "url"),
    ("command", "command"),
    ("args", "args"),
    ("headers", "headers"),
    ("env", "env"),
    ("cwd", "cwd"),
    ("encoding", "encoding"),
    ("encoding_error_handler", "encodingErrorHandler"),
    ("timeout_seconds", "timeoutSeconds"),
    ("sse_read_timeout_seconds", "sseReadTimeoutSeconds"),
    ("terminate_on_close", "terminateOnClose"),
    ("session_kwargs", "sessionKwargs"),
];

/// The admin envelope `{"error": {"code", "message", "fieldErrors"?}}`, or FastAPI's plain
/// `{"detail": "..."}` (401). `reload_failed` means the platform rolled the write back.
pub fn error_message(status: u16, body: &str) -> PlatformError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    if let Some(error) = json.as_ref().and_then(|v| v.get("error")) {
        let code = error.get("code").and_then(Value::as_str).unwrap_or("error");
        let mut message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let field_errors: Vec<String> = error
            .get("fieldErrors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| {
                let field = f.get("field").and_then(Value::as_str).unwrap_or("?");
                let msg = f
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("invalid");
                format!("{field}: {msg}")
            })
            .collect();
        if !field_errors.is_empty() {
            message = format!("{message} ({})", field_errors.join("; "));
        }
        if code == "unsupported_mode" {
            // The platform runs in auth mode `none`: it answers 503 to every login, for good.
            return PlatformError {
                message: format!("{code}: {message}"),
                rolled_back: false,
                fatal: Some(
                    "the platform runs without login (auth mode `none`): remove `auth: password` from the provider block, or switch the platform to password mode (`IDUN_ADMIN_AUTH_MODE=password`)"
                        .into(),
                ),
            };
        }
        if code == "reload_failed" {
            // Idun's message is a sentence of its own ("Engine reload failed; config not saved.").
            let message = message.trim_end().trim_end_matches('.');
            return PlatformError {
                message: format!("{code}: {message} (the platform rolled the change back)"),
                rolled_back: true,
                fatal: None,
            };
        }
        if code == "validation_failed"
            && message == "Assembled config failed validation."
            && field_errors.is_empty()
        {
            // The write was valid on its own, but the agent's whole config was not: a server
            // with no agent refuses every MCP server write this way. Said in the message, as a
            // failed resource shows its error's message only.
            return PlatformError {
                message: format!(
                    "{code}: {message} help: Idun accepts no MCP server until an agent is configured; configure the agent first (the `agent:` block of the server's config.yaml, or the admin UI's onboarding), then re-run"
                ),
                rolled_back: false,
                fatal: None,
            };
        }
        return PlatformError {
            message: format!("{code}: {message}"),
            rolled_back: false,
            fatal: None,
        };
    }
    let message = match json.as_ref().and_then(|v| v.get("detail")) {
        Some(Value::String(detail)) => detail.clone(),
        _ if body.trim().is_empty() => format!("no error message in the HTTP {status} response"),
        _ => body.trim().chars().take(500).collect(),
    };
    PlatformError {
        message,
        rolled_back: false,
        fatal: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_failed_is_rolled_back_and_says_it_was_rolled_back() {
        let body = r#"{"error":{"code":"reload_failed","message":"Engine reload failed; config not saved.","details":{"recovered":true}}}"#;
        let error = error_message(500, body);
        assert!(error.rolled_back);
        assert_eq!(
            error.message,
            "reload_failed: Engine reload failed; config not saved (the platform rolled the change back)"
        );
    }

    #[test]
    fn no_agent_says_an_agent_must_be_configured_first() {
        let body = r#"{"error":{"code":"validation_failed","message":"Assembled config failed validation.","fieldErrors":[]}}"#;
        let error = error_message(422, body);
        assert!(
            error.message.starts_with(
                "validation_failed: Assembled config failed validation. help: Idun accepts no MCP server until an agent is configured"
            ),
            "{}",
            error.message
        );
    }

    #[test]
    fn unsupported_mode_is_final_and_says_what_to_do() {
        let body = r#"{"error":{"code":"unsupported_mode","message":"Login is not available."}}"#;
        let error = error_message(503, body);
        assert!(error.fatal.unwrap().contains("remove `auth: password`"));
        assert!(
            error_message(503, r#"{"error":{"code":"internal_error","message":"x"}}"#)
                .fatal
                .is_none()
        );
    }

    #[test]
    fn field_errors_are_listed() {
        let body = r#"{"error":{"code":"validation_failed","message":"Invalid body.","fieldErrors":[{"field":"body.mcpServer.url","message":"url is required"}]}}"#;
        assert_eq!(
            error_message(422, body).message,
            "validation_failed: Invalid body. (body.mcpServer.url: url is required)"
        );
    }
}
