//! Klavis ↔ normalized documents. An instance has no readable settings at all: its one
//! writable field, `isReadOnly`, is write-only.

use serde_json::{Map, Value};

use super::api::Instance;
use crate::config::model::KlavisInstance;
use crate::diff::{DesiredResource, LiveObject};

pub fn desired_resource(provider: &str, instance: &KlavisInstance) -> DesiredResource {
    DesiredResource {
        address: super::super::address(provider, "instances", &instance.id),
        id: Some(instance.id.clone()),
        name: None,
        document: Map::new(),
        write_only: vec![("read_only".into(), instance.read_only.map(Value::Bool))],
        ignore: instance.ignore.clone(),
        secret_paths: &[],
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
