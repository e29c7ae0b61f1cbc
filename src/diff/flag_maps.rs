//! Flag maps: a top-level map of name → boolean that the config lists in full by naming the
//! entries that are `true` (PAIS `approve_tools`). Pure.
//!
//! A live entry the config does not name is desired `false`, so unlisting a tool shows as
//! `approve_tools.c: true → false` rather than as a removal. A map the config omits is left as it
//! is live: it neither shows as a change nor gets written.

use serde_json::{Map, Value};

/// Completes the desired document's flag maps against the live document.
pub fn complete(
    desired: &mut Map<String, Value>,
    live: Option<&Map<String, Value>>,
    flag_maps: &[&str],
) {
    for &key in flag_maps {
        let live_map = live.and_then(|l| l.get(key)).and_then(Value::as_object);
        match desired.get_mut(key) {
            Some(Value::Object(wanted)) => {
                for name in live_map.into_iter().flat_map(Map::keys) {
                    if !wanted.contains_key(name) {
                        wanted.insert(name.clone(), Value::Bool(false));
                    }
                }
            }
            Some(_) => {}
            None => {
                if let Some(live_map) = live_map {
                    desired.insert(key.to_owned(), Value::Object(live_map.clone()));
                }
            }
        }
    }
}

/// Whether a field path lies inside one of the flag maps (`approve_tools.search`).
pub fn contains(flag_maps: &[&str], path: &str) -> bool {
    flag_maps.iter().any(|key| {
        path.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_unlisted_live_entry_is_desired_false_and_listed_ones_stay_true() {
        let mut desired = map(json!({"url": "u", "approve_tools": {"a": true, "b": true}}));
        let live = map(json!({"approve_tools": {"a": false, "c": true}}));
        complete(&mut desired, Some(&live), &["approve_tools"]);
        assert_eq!(
            desired["approve_tools"],
            json!({"a": true, "b": true, "c": false})
        );
    }

    #[test]
    fn an_omitted_map_takes_the_live_one_so_nothing_changes() {
        let mut desired = map(json!({"url": "u"}));
        let live = map(json!({"approve_tools": {"c": true}}));
        complete(&mut desired, Some(&live), &["approve_tools"]);
        assert_eq!(desired["approve_tools"], json!({"c": true}));
        let mut created = map(json!({"url": "u"}));
        complete(&mut created, None, &["approve_tools"]);
        assert!(!created.contains_key("approve_tools"));
    }

    #[test]
    fn an_empty_list_unapproves_everything_live() {
        let mut desired = map(json!({"approve_tools": {}}));
        let live = map(json!({"approve_tools": {"c": true}}));
        complete(&mut desired, Some(&live), &["approve_tools"]);
        assert_eq!(desired["approve_tools"], json!({"c": false}));
    }

    #[test]
    fn paths_inside_a_map_are_told_from_lookalikes() {
        assert!(contains(&["approve_tools"], "approve_tools.a.b"));
        assert!(!contains(&["approve_tools"], "approve_tools"));
        assert!(!contains(&["approve_tools"], "approve_toolsx.a"));
        assert!(!contains(&[], "approve_tools.a"));
    }
}
