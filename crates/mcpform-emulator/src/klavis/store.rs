//! Klavis's state: the instances in seed order, then in creation order.

use serde_json::{Value, json};
use uuid::Uuid;

use super::wire::Instance;
use crate::store::{PlatformState, items_of};

/// The data-file keys of an instance, in `GetInstanceResponse` order plus the write-only one.
const SEED_KEYS: [&str; 8] = [
    "instanceId",
    "authNeeded",
    "isAuthenticated",
    "serverName",
    "platform",
    "externalUserId",
    "oauthUrl",
    "isReadOnly",
];

/// The instances in seed order.
#[derive(Clone, Debug, Default)]
pub(super) struct KlavisState {
    pub(super) instances: Vec<Instance>,
}

impl KlavisState {
    pub(super) fn position(&self, id: Uuid) -> Option<usize> {
        self.instances.iter().position(|i| i.id == id)
    }
}

impl PlatformState for KlavisState {
    fn from_value(value: Value) -> Result<Self, String> {
        let mut instances: Vec<Instance> = Vec::new();
        for (i, item) in items_of(value, "instances")?.iter().enumerate() {
            let instance = seed_instance(item).map_err(|e| format!("instances[{i}]: {e}"))?;
            if instances.iter().any(|other| other.id == instance.id) {
                return Err(format!(
                    "instances[{i}]: duplicate instanceId {}",
                    instance.id
                ));
            }
            instances.push(instance);
        }
        Ok(KlavisState { instances })
    }

    fn to_value(&self) -> Value {
        json!({ "instances": self.instances.iter().map(Instance::to_stored).collect::<Vec<_>>() })
    }
}

fn seed_instance(item: &Value) -> Result<Instance, String> {
    let Value::Object(fields) = item else {
        return Err("must be an object".into());
    };
    if let Some(key) = fields.keys().find(|k| !SEED_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "unknown key `{key}`; expected one of {}",
            SEED_KEYS.join(", ")
        ));
    }
    let text = |key: &str| -> Result<Option<String>, String> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{key}: must be a string")),
        }
    };
    let flag = |key: &str| -> Result<bool, String> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("{key}: must be true or false")),
        }
    };
    let id = match text("instanceId")? {
        None => return Err("instanceId: required (a UUID)".into()),
        Some(raw) => Uuid::parse_str(&raw).map_err(|e| format!("instanceId: {e}"))?,
    };
    let server_name = match text("serverName")? {
        Some(name) if !name.is_empty() => name,
        _ => return Err("serverName: required (e.g. \"GitHub\")".into()),
    };
    Ok(Instance {
        id,
        auth_needed: flag("authNeeded")?,
        is_authenticated: flag("isAuthenticated")?,
        server_name,
        platform: text("platform")?.unwrap_or_default(),
        external_user_id: text("externalUserId")?.unwrap_or_default(),
        oauth_url: text("oauthUrl")?,
        is_read_only: flag("isReadOnly")?,
    })
}
