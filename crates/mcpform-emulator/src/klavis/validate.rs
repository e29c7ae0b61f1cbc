//! The pydantic models of Klavis's requests: the path's `instanceId`,
//! `UpdateServerInstanceRequest` and `CreateServerRequest`.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::fastapi::{
    FieldError, at, expect_str, extra_forbidden, lax_bool, missing, model_attributes_type,
    parse_path_uuid, value_error,
};

/// What `CreateServerRequest` asks for: the natural key and the initial `isReadOnly`.
pub(super) struct CreateRequest {
    pub(super) server_name: String,
    pub(super) user_id: String,
    pub(super) is_read_only: bool,
}

/// `CreateServerRequest`: `serverName` and `userId` required (non-empty), `isReadOnly`
/// optional (default false); the other optional keys are accepted and not modelled.
pub(super) fn validate_create(body: &Value) -> Result<CreateRequest, Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let mut text = |key: &str| match fields.get(key) {
        None => {
            errors.push(missing(at(&base, key), body));
            None
        }
        Some(v) => match expect_str(v, at(&base, key)) {
            Ok(s) if s.is_empty() => {
                errors.push(value_error(at(&base, key), "must not be empty", v));
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    let server_name = text("serverName");
    let user_id = text("userId");
    let is_read_only = match fields.get("isReadOnly") {
        None | Some(Value::Null) => Some(false),
        Some(v) => lax_bool(v, at(&base, "isReadOnly"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    match (server_name, user_id, is_read_only) {
        (Some(server_name), Some(user_id), Some(is_read_only)) if errors.is_empty() => {
            Ok(CreateRequest {
                server_name,
                user_id,
                is_read_only,
            })
        }
        _ => Err(errors),
    }
}

/// A server name as Klavis compares them: case and separators (space, `_`, `-`) do not count,
/// so `google calendar`, `GOOGLE_CALENDAR` and `Google Calendar` are one server.
pub(super) fn server_key(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

const PATH_PARAM: &str = "instanceId";

pub(super) fn path_id(raw: &str) -> Result<Uuid, FieldError> {
    parse_path_uuid(raw, PATH_PARAM)
}

/// `UpdateServerInstanceRequest`: `{isReadOnly: bool | null}`, extra keys forbidden. `None` means
/// "no change" (the key was absent or `null`).
pub(super) fn validate_update(body: &Value) -> Result<Option<bool>, Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let read_only = match fields.get("isReadOnly") {
        None | Some(Value::Null) => None,
        Some(v) => lax_bool(v, at(&base, "isReadOnly"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    for (key, value) in fields {
        if key != "isReadOnly" {
            errors.push(extra_forbidden(at(&base, key.as_str()), value));
        }
    }
    if errors.is_empty() {
        Ok(read_only)
    } else {
        Err(errors)
    }
}
