//! The pydantic models of Klavis's requests: the path's `instanceId` and
//! `UpdateServerInstanceRequest`.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::fastapi::{
    FieldError, at, extra_forbidden, lax_bool, model_attributes_type, parse_path_uuid,
};

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
