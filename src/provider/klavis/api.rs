//! Klavis wire types (`/mcp-server/instance/{id}`). Errors are FastAPI's.
//! Shapes only: no HTTP calls and no conversion to the normalized documents (`convert.rs`).

use serde::Deserialize;

pub const INSTANCE_PATH: &str = "/mcp-server/instance";

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
