//! Field-level comparison of two normalized documents (config naming, JSON values).
//!
//! Pure: no I/O, no printing. Objects are compared key by key down to their leaves; arrays
//! and scalars are leaves (providers sort set-like arrays when normalizing).

use serde_json::{Map, Value};

use crate::mask::Secrets;
use crate::plan::FieldChange;

/// What decides whether a field's values are secret.
pub struct Sensitivity<'a> {
    /// Dotted-path prefixes whose values are secret by nature (Idun headers and env).
    pub secret_paths: &'a [&'a str],
    pub secrets: &'a Secrets,
}

impl Sensitivity<'_> {
    pub(super) fn is_sensitive(
        &self,
        path: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> bool {
        let by_path = self
            .secret_paths
            .iter()
            .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}.")));
        let by_value = [before, after]
            .into_iter()
            .flatten()
            .any(|v| matches!(v, Value::String(s) if self.secrets.is_secret(s)));
        by_path || by_value
    }
}

/// Lists every leaf that differs between `desired` and `live`, sorted by path.
pub fn compare(
    desired: &Map<String, Value>,
    live: &Map<String, Value>,
    sensitivity: &Sensitivity,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    compare_objects("", desired, live, sensitivity, &mut changes);
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn compare_objects(
    prefix: &str,
    desired: &Map<String, Value>,
    live: &Map<String, Value>,
    sensitivity: &Sensitivity,
    changes: &mut Vec<FieldChange>,
) {
    let empty = Map::new();
    let keys = desired
        .keys()
        .chain(live.keys().filter(|k| !desired.contains_key(*k)));
    // Built only where a field differs or nests: most fields of a fleet are equal.
    let path_of = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    for key in keys {
        match (desired.get(key), live.get(key)) {
            (Some(Value::Object(d)), Some(Value::Object(l))) => {
                compare_objects(&path_of(key), d, l, sensitivity, changes)
            }
            // A map that exists on one side only shows its entries, not one opaque blob.
            (Some(Value::Object(d)), None) => {
                compare_objects(&path_of(key), d, &empty, sensitivity, changes)
            }
            (None, Some(Value::Object(l))) => {
                compare_objects(&path_of(key), &empty, l, sensitivity, changes)
            }
            (d, l) if !option_values_equal(d, l) => {
                let path = path_of(key);
                changes.push(FieldChange {
                    sensitive: sensitivity.is_sensitive(&path, l, d),
                    path,
                    before: l.cloned(),
                    after: d.cloned(),
                    write_only: false,
                    note: None,
                });
            }
            _ => {}
        }
    }
}

fn option_values_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => values_equal(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// JSON equality where `30` and `30.0` are the same number (platforms written in Python
/// echo integers back as floats and vice versa).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Makes ignored fields of `desired` equal to the live ones, so they neither show as changes
/// nor get overwritten when a platform needs a whole object sent back.
pub fn overlay_ignored(
    desired: &mut Map<String, Value>,
    live: Option<&Map<String, Value>>,
    ignore: &[String],
) {
    for path in ignore {
        let segments: Vec<&str> = path.split('.').collect();
        let live_value = live.and_then(|l| lookup(l, &segments)).cloned();
        set_path(desired, &segments, live_value);
    }
}

fn lookup<'a>(map: &'a Map<String, Value>, segments: &[&str]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    let value = map.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(value.as_object()?, rest)
}

fn set_path(map: &mut Map<String, Value>, segments: &[&str], value: Option<Value>) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if rest.is_empty() {
        match value {
            Some(v) => map.insert((*first).to_owned(), v),
            None => map.remove(*first),
        };
        return;
    }
    if value.is_none() && !map.contains_key(*first) {
        return;
    }
    let child = map
        .entry((*first).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(child) = child {
        set_path(child, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn plain() -> Sensitivity<'static> {
        static NONE: std::sync::LazyLock<Secrets> = std::sync::LazyLock::new(Secrets::default);
        Sensitivity {
            secret_paths: &[],
            secrets: &NONE,
        }
    }

    fn paths(changes: &[FieldChange]) -> Vec<&str> {
        changes.iter().map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn equal_documents_have_no_changes() {
        let d = doc(json!({"a": 1, "m": {"x": [1, 2]}}));
        assert!(compare(&d, &d.clone(), &plain()).is_empty());
    }

    #[test]
    fn changed_added_and_removed_leaves_are_listed_by_path() {
        let desired = doc(json!({"description": "new", "transport": "SSE", "url": "u"}));
        let live = doc(
            json!({"description": "old", "documentation_url": "d", "url": "u", "transport": "STREAMABLE_HTTP"}),
        );
        let changes = compare(&desired, &live, &plain());
        assert_eq!(
            paths(&changes),
            ["description", "documentation_url", "transport"]
        );
        assert_eq!(changes[1].before, Some(json!("d")));
        assert_eq!(changes[1].after, None);
    }

    #[test]
    fn nested_maps_diff_per_entry_even_when_one_side_lacks_the_map() {
        let desired = doc(json!({"mcp_server": {"headers": {"A": "1"}, "timeout_seconds": 30}}));
        let live = doc(json!({"mcp_server": {"timeout_seconds": 10}}));
        let changes = compare(&desired, &live, &plain());
        assert_eq!(
            paths(&changes),
            ["mcp_server.headers.A", "mcp_server.timeout_seconds"]
        );
    }

    #[test]
    fn integers_and_floats_with_the_same_value_are_equal() {
        let desired = doc(json!({"t": 30.0}));
        let live = doc(json!({"t": 30}));
        assert!(compare(&desired, &live, &plain()).is_empty());
    }

    #[test]
    fn secret_paths_and_secret_values_are_marked_sensitive() {
        let mut secrets = Secrets::default();
        secrets.add_value("Bearer s3cr3t-token");
        let sensitivity = Sensitivity {
            secret_paths: &["mcp_server.env"],
            secrets: &secrets,
        };
        let desired =
            doc(json!({"mcp_server": {"env": {"K": "v2"}}, "a": "Bearer s3cr3t-token", "b": "x"}));
        let live = doc(json!({"mcp_server": {"env": {"K": "v1"}}, "a": "old", "b": "y"}));
        let changes = compare(&desired, &live, &sensitivity);
        let flags: Vec<(&str, bool)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.sensitive))
            .collect();
        assert_eq!(
            flags,
            [("a", true), ("b", false), ("mcp_server.env.K", true)]
        );
    }

    #[test]
    fn ignored_fields_take_the_live_value_or_disappear() {
        let mut desired =
            doc(json!({"description": "mine", "mcp_server": {"url": "a", "cwd": "/x"}}));
        let live = doc(json!({"description": "theirs", "mcp_server": {"url": "b"}}));
        overlay_ignored(
            &mut desired,
            Some(&live),
            &["description".into(), "mcp_server.cwd".into()],
        );
        assert_eq!(
            Value::Object(desired),
            json!({"description": "theirs", "mcp_server": {"url": "a"}})
        );
    }
}
