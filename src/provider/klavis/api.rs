//! Klavis wire types (`/mcp-server/instance/{id}`). Errors are FastAPI's.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;

pub const INSTANCE_PATH: &str = "/mcp-server/instance";
/// Creates an instance for a `(userId, serverName)` pair, or answers the existing one.
pub const CREATE_PATH: &str = "/mcp-server/instance/create";

/// `GetInstanceResponse`: proves the instance exists; it has no `isReadOnly`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub instance_id: Option<String>,
    pub server_name: Option<String>,
}

/// `UpdateServerInstanceResponse`: the only place Klavis ever shows `isReadOnly`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateResponse {
    pub instance_id: Option<String>,
    pub is_read_only: bool,
}

/// `CreateServerResponse`: the instance's id and URL (the existing ones for a known pair).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateResponse {
    pub instance_id: String,
}

/// `StatusResponse`: the answer to a `DELETE`.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusResponse {
    pub success: bool,
    pub message: Option<String>,
}
