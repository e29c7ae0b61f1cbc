//! Ownership: per provider, the ids of the objects mcpform manages (it created them, or a config
//! entry was matched to them in an apply that reached its end), each with its entry's address and
//! `prevent_destroy` at that apply. Only these objects can ever be planned as deletes. Part of the
//! state document (`managed`, format 3); pure bookkeeping, no I/O.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::State;

/// An object mcpform manages: what its config entry was at the last apply that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    /// The config entry's address, which names the object once the entry is gone.
    pub address: String,
    /// `lifecycle.prevent_destroy` of the entry: a plan that would delete the object fails.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
}

impl State {
    /// The objects of `provider` mcpform manages, by id.
    pub fn managed(&self, provider: &str) -> Option<&BTreeMap<String, Managed>> {
        self.managed.get(provider)
    }

    /// The ids of the objects of `provider` managed for config entries, by the entry's address:
    /// how an entry without an `id` that mcpform created (a Klavis instance by `user_id` and
    /// `server_name`) finds its object again.
    pub fn managed_ids(&self, provider: &str) -> HashMap<&str, &str> {
        let managed = self.managed.get(provider).into_iter().flatten();
        managed
            .map(|(id, m)| (m.address.as_str(), id.as_str()))
            .collect()
    }

    /// Records `ids` of `provider` as managed, each for the config entry at its address (and
    /// its `prevent_destroy`), replacing what was recorded for those ids: what `apply` does for
    /// every object it created or matched, and what `export --adopt` does for the objects it
    /// wrote into the config. Only `save` makes it last.
    pub fn record_managed(
        &mut self,
        provider: &str,
        ids: impl IntoIterator<Item = (String, Managed)>,
    ) {
        let managed = self.managed.entry(provider.to_owned()).or_default();
        let ids: Vec<(String, Managed)> = ids.into_iter().collect();
        // One config entry names one object: the last id recorded for an address is the
        // entry's, and an id recorded for it before (the object was replaced) is no longer.
        let mut claimant: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        for (i, (_, entry)) in ids.iter().enumerate() {
            claimant.insert(entry.address.as_str(), i);
        }
        managed.retain(|id, m| {
            let claimed = claimant.get(m.address.as_str());
            claimed.is_none_or(|&i| ids[i].0 == *id)
        });
        let last: Vec<bool> = (ids.iter().enumerate())
            .map(|(i, (_, entry))| claimant[entry.address.as_str()] == i)
            .collect();
        let recorded = ids.into_iter().zip(last).filter(|(_, last)| *last);
        managed.extend(recorded.map(|(entry, _)| entry));
    }

    /// Forgets that mcpform manages `id` of `provider` (it was deleted).
    pub fn forget_managed(&mut self, provider: &str, id: &str) {
        if let Some(managed) = self.managed.get_mut(provider) {
            managed.remove(id);
            if managed.is_empty() {
                self.managed.remove(provider);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn cheap() -> State {
        State::with_params(crate::fingerprint::cheap_params()).unwrap()
    }

    /// A format 2 file, as the previous release wrote it (`tests/fixtures/state/format-2.json`):
    /// its records load unchanged, nothing is managed, and the next save writes format 3 with
    /// the records as they were.
    #[test]
    fn a_format_2_file_loads_without_loss_and_is_saved_as_format_3() {
        let text = include_str!("../../tests/fixtures/state/format-2.json");
        let old: Value = serde_json::from_str(text).unwrap();
        let state = State::parse(text).unwrap();
        assert!(state.managed("pais").is_none(), "format 2 manages nothing");
        assert_eq!(
            state.record("pais/servers/github").unwrap()["headers"],
            old["resources"]["pais/servers/github"]["headers"]
        );
        let file: Value = serde_json::from_str(&state.to_text()).unwrap();
        assert_eq!(file["format_version"], "3");
        assert_eq!(file["fingerprint"], old["fingerprint"]);
        assert_eq!(file["resources"], old["resources"]);
        assert_eq!(file["managed"], json!({}));
    }

    #[test]
    fn managed_objects_are_recorded_per_provider_saved_and_forgotten() {
        let mut state = cheap();
        let entry = |address: &str, prevent_destroy| Managed {
            address: address.into(),
            prevent_destroy,
        };
        state.record_managed(
            "pais",
            [
                ("id-1".to_owned(), entry("pais/servers/a", false)),
                ("id-2".to_owned(), entry("pais/servers/b", true)),
            ],
        );
        assert_eq!(
            state.managed_ids("pais").get("pais/servers/b"),
            Some(&"id-2")
        );
        assert_eq!(state.managed_ids("idun").get("pais/servers/b"), None);
        // A new object for an address replaces the one recorded for it.
        state.record_managed(
            "pais",
            [("id-3".to_owned(), entry("pais/servers/a", false))],
        );
        assert_eq!(
            state.managed_ids("pais").get("pais/servers/a"),
            Some(&"id-3")
        );
        assert!(!state.managed("pais").unwrap().contains_key("id-1"));

        let loaded = State::parse(&state.to_text()).unwrap();
        assert_eq!(loaded, state);
        assert!(loaded.managed("pais").unwrap()["id-2"].prevent_destroy);
        let file: Value = serde_json::from_str(&state.to_text()).unwrap();
        assert_eq!(
            file["managed"]["pais"]["id-3"],
            json!({"address": "pais/servers/a"}),
            "`prevent_destroy: false` is not written"
        );

        state.forget_managed("pais", "id-2");
        state.forget_managed("pais", "id-3");
        assert!(state.managed("pais").is_none());
        assert!(state.is_empty());
    }

    #[test]
    fn one_batch_records_the_last_id_of_each_address_and_moves_ids() {
        let mut state = cheap();
        let entry = |address: &str| Managed {
            address: address.into(),
            prevent_destroy: false,
        };
        state.record_managed(
            "pais",
            [
                ("old-a".to_owned(), entry("pais/servers/a")),
                ("b".to_owned(), entry("pais/servers/b")),
            ],
        );
        state.record_managed(
            "pais",
            [
                ("new-a".to_owned(), entry("pais/servers/a")),
                ("newer-a".to_owned(), entry("pais/servers/a")),
                ("b".to_owned(), entry("pais/servers/c")),
            ],
        );
        let ids = state.managed_ids("pais");
        assert_eq!(ids.get("pais/servers/a"), Some(&"newer-a"));
        assert_eq!(ids.get("pais/servers/c"), Some(&"b"));
        assert_eq!(ids.len(), 2, "{ids:?}");
    }
}
