//! Klavis's `GetInstanceResponse`, the PATCH answer, and the data-file form of an instance, which
//! adds the write-only `isReadOnly`.

use axum::Json;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Instance {
    pub(super) id: Uuid,
    pub(super) auth_needed: bool,
    pub(super) is_authenticated: bool,
    pub(super) server_name: String,
    pub(super) platform: String,
    pub(super) external_user_id: String,
    pub(super) oauth_url: Option<String>,
    /// Write-only: never in a GET answer.
    pub(super) is_read_only: bool,
}

impl Instance {
    /// `GetInstanceResponse`, in the schema's field order.
    pub(super) fn to_wire(&self) -> Value {
        json!({
            "instanceId": self.id.to_string(),
            "authNeeded": self.auth_needed,
            "isAuthenticated": self.is_authenticated,
            "serverName": self.server_name,
            "platform": self.platform,
            "externalUserId": self.external_user_id,
            "oauthUrl": self.oauth_url,
        })
    }

    /// The data-file form: the wire object plus `isReadOnly` (`oauthUrl` only when set).
    pub(super) fn to_stored(&self) -> Value {
        let mut out = self.to_wire();
        if self.oauth_url.is_none() {
            if let Value::Object(fields) = &mut out {
                fields.remove("oauthUrl");
            }
        }
        out["isReadOnly"] = json!(self.is_read_only);
        out
    }
}

pub(super) fn update_answer(instance: &Instance) -> Json<Value> {
    Json(json!({
        "instanceId": instance.id.to_string(),
        "isReadOnly": instance.is_read_only,
        "message": "Server instance updated successfully",
    }))
}
