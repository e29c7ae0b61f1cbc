//! JSON types of schema values and of nodes, and which types a schema admits.

use serde_json::Value;

use crate::config::tree::Node;

pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(super) fn json_types(types: &Value) -> Vec<&str> {
    match types {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a node's type is among `types` (an empty list accepts anything).
pub(super) fn admits(types: &[&str], node: &Node) -> bool {
    admits_type(types, node.json_type())
}

pub(super) fn admits_type(types: &[&str], actual: &str) -> bool {
    types.is_empty()
        || types.contains(&actual)
        || (actual == "integer" && types.contains(&"number"))
}
