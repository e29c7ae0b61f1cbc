//! Klavis ↔ normalized documents. An instance has no readable settings at all: its one
//! writable field, `isReadOnly`, is write-only. An instance without `id` is the one of its
//! `user_id` and `server_name`, created when missing (`userId`, `serverName` are create-only).

use serde_json::{Map, Value, json};

use super::api::Instance;
use crate::config::model::KlavisInstance;
use crate::diff::{DesiredResource, LiveObject};

pub fn desired_resource(provider: &str, instance: &KlavisInstance) -> DesiredResource {
    let mut create_only = Map::new();
    let key = match (&instance.id, &instance.user_id, &instance.server_name) {
        (Some(id), _, _) => id.clone(),
        (None, Some(user), Some(server)) => {
            create_only.insert("userId".into(), json!(user));
            create_only.insert("serverName".into(), json!(server));
            format!("{user}/{server}")
        }
        // Validation requires one or the other; nothing to key by is never planned.
        (None, _, _) => String::new(),
    };
    DesiredResource {
        address: super::super::address(provider, "instances", &key),
        id: instance.id.clone(),
        name: None,
        document: Map::new(),
        write_only: vec![("read_only".into(), instance.read_only.map(Value::Bool))],
        ignore: instance.ignore.clone(),
        secret_paths: &[],
        prevent_destroy: instance
            .lifecycle
            .as_ref()
            .is_some_and(|l| l.prevent_destroy),
        recorded_id: None,
        create_only,
    }
}

pub fn live_object(id: String, instance: Instance) -> LiveObject {
    LiveObject {
        id: instance.instance_id.unwrap_or(id),
        name: instance.server_name,
        document: Map::new(),
        meta: Map::new(),
    }
}
