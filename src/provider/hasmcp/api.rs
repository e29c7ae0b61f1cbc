//! HasMCP wire types (`/servers`) and its error envelope.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;
use serde_json::Value;

use crate::http::PlatformError;

pub const COLLECTION_PATH: &str = "/servers";

/// `{"server": Server}` and `{"servers": [Server]}`.
#[derive(Debug, Deserialize)]
pub struct ServerEnvelope {
    pub server: Server,
}

#[derive(Debug, Deserialize)]
pub struct ServerList {
    #[serde(default)]
    pub servers: Vec<Server>,
}

/// `Server` as HasMCP returns it. The request says `instructions`; the hosted response
/// documents `description` instead, so both are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub instructions: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub request_headers_proxy_enabled: bool,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub providers: Vec<ProviderLink>,
    /// The list endpoint leaves these out; only `GET /servers/{id}` has them.
    pub resources: Option<Vec<IdRef>>,
    pub prompts: Option<Vec<IdRef>>,
}

impl Server {
    pub fn instructions(&self) -> &str {
        self.instructions
            .as_deref()
            .or(self.description.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProviderLink {
    pub id: String,
    #[serde(default)]
    pub tools: Vec<IdRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    pub id: String,
}

/// `{"error": {"code", "message", "data"?}}`. HasMCP answers an unparsable body with HTTP 422
/// but `code: 400` in the body; both numbers are kept so the message is not misleading.
pub fn error_message(status: u16, body: &str) -> PlatformError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error = json.as_ref().and_then(|v| v.get("error"));
    let message = match error {
        Some(error) => {
            let text = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned();
            match error.get("code").and_then(Value::as_u64) {
                Some(code) if code != u64::from(status) => format!("{text} (platform code {code})"),
                _ => text,
            }
        }
        None if body.trim().is_empty() => format!("no error message in the HTTP {status} response"),
        None => body.trim().chars().take(500).collect(),
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
    fn the_mismatched_code_quirk_is_spelled_out() {
        let body = r#"{"error":{"message":"invalid request payload","code":400}}"#;
        assert_eq!(
            error_message(422, body).message,
            "invalid request payload (platform code 400)"
        );
        let body = r#"{"error":{"message":"server not found","code":404}}"#;
        assert_eq!(error_message(404, body).message, "server not found");
    }
}
