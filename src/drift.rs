//! Drift: which configured resources differ from their live objects, and which live objects
//! no config names ("unmanaged"), with a coverage figure per provider. Pure: built from a plan
//! and the live objects it was computed from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::config::model::Platform;
use crate::diff::LiveObject;
use crate::plan::{Action, Plan};

/// The outcome of `mcpform drift`.
pub struct DriftReport {
    /// The changes that would bring each configured resource in line.
    pub plan: Plan,
    /// Live objects no config names.
    pub unmanaged: Vec<Unmanaged>,
    /// Per provider, how many live objects the config manages.
    pub coverage: Vec<Coverage>,
    /// Configured write-only fields of live objects: the platform never returns them, so a
    /// change made to them outside mcpform (a header rotated in the console) cannot show here.
    pub unchecked: Vec<Unchecked>,
}

/// A configured write-only field drift cannot compare with the live object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// The provider block's name.
    pub provider: String,
    /// The configured resource.
    pub address: String,
    /// The field (`headers`, `read_only`).
    pub field: String,
}

/// A live object no configured resource matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmanaged {
    /// The provider it was found under.
    pub provider: String,
    /// That provider's platform.
    pub platform: Platform,
    /// The platform's id.
    pub id: String,
    /// Its name, where it has one.
    pub name: Option<String>,
    /// Where to find it, pasteable as an address: `<provider>/servers/<name>`, or the id in
    /// place of the name where the name is missing or not unique among the live objects.
    pub address: String,
}

/// How much of one provider's live state the config manages.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// The provider block's name.
    pub provider: String,
    /// That provider's platform.
    pub platform: Platform,
    /// Live objects matched by the config.
    pub managed: usize,
    /// All live objects; `None` where the platform cannot list them (Klavis).
    pub total: Option<usize>,
}

/// One provider's live objects, and whether they are all of them.
pub struct ProviderLive<'a> {
    /// The provider's platform.
    pub platform: Platform,
    /// Everything its fetch returned.
    pub objects: &'a [Arc<LiveObject>],
    /// The platform lists every object (PAIS, Idun, HasMCP), not only the configured ones.
    pub complete: bool,
}

impl DriftReport {
    /// Matches the plan's changes to the listings, per provider. `write_only` is every
    /// configured write-only field; those of resources that exist live are the unchecked ones.
    pub fn new(
        plan: Plan,
        live: &BTreeMap<String, ProviderLive>,
        write_only: Vec<Unchecked>,
    ) -> DriftReport {
        let mut unmanaged = Vec::new();
        let mut coverage = Vec::new();
        for (provider, provider_live) in live {
            // Managed objects whose config entry is gone are mcpform's, not unmanaged.
            let managed: BTreeSet<&str> = plan
                .changes
                .iter()
                .filter(|c| &c.provider == provider)
                .filter_map(|c| c.remote_id.as_deref())
                .chain(
                    plan.kept
                        .iter()
                        .filter(|k| &k.provider == provider)
                        .map(|k| k.remote_id.as_str()),
                )
                .collect();
            if provider_live.complete {
                let collection = match provider_live.platform {
                    Platform::Klavis => "instances",
                    Platform::Pais | Platform::Idun | Platform::Hasmcp => "servers",
                };
                let mut names: BTreeMap<&str, usize> = BTreeMap::new();
                for name in provider_live
                    .objects
                    .iter()
                    .filter_map(|o| o.name.as_deref())
                {
                    *names.entry(name).or_default() += 1;
                }
                let configured: BTreeSet<&str> =
                    plan.changes.iter().map(|c| c.address.as_str()).collect();
                let address = |object: &LiveObject| {
                    let by_name = object
                        .name
                        .as_deref()
                        .filter(|name| names.get(name) == Some(&1))
                        .map(|name| format!("{provider}/{collection}/{name}"))
                        .filter(|address| !configured.contains(address.as_str()));
                    by_name.unwrap_or_else(|| format!("{provider}/{collection}/{}", object.id))
                };
                unmanaged.extend(
                    provider_live
                        .objects
                        .iter()
                        .filter(|o| !managed.contains(o.id.as_str()))
                        .map(|o| Unmanaged {
                            provider: provider.clone(),
                            platform: provider_live.platform,
                            id: o.id.clone(),
                            name: o.name.clone(),
                            address: address(o),
                        }),
                );
            }
            coverage.push(Coverage {
                provider: provider.clone(),
                platform: provider_live.platform,
                managed: managed.len(),
                total: provider_live
                    .complete
                    .then_some(provider_live.objects.len()),
            });
        }
        let existing: BTreeSet<&str> = plan
            .changes
            .iter()
            .filter(|c| c.remote_id.is_some())
            .map(|c| c.address.as_str())
            .collect();
        let unchecked = write_only
            .into_iter()
            .filter(|u| existing.contains(u.address.as_str()))
            .collect();
        DriftReport {
            plan,
            unmanaged,
            coverage,
            unchecked,
        }
    }

    /// How many write-only fields went unchecked, per provider, in provider order.
    pub fn unchecked_by_provider(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for u in &self.unchecked {
            *counts.entry(u.provider.as_str()).or_default() += 1;
        }
        counts
    }

    /// Configured resources whose live object differs or is missing, and managed objects the
    /// run would delete (their config entry is gone and the run prunes).
    pub fn drifted(&self) -> usize {
        self.plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count()
    }

    /// Managed share of all listable live objects, in percent; `None` when nothing is listable.
    pub fn coverage_percent(&self) -> Option<f64> {
        let listable: Vec<&Coverage> = self.coverage.iter().filter(|c| c.total.is_some()).collect();
        let total: usize = listable.iter().filter_map(|c| c.total).sum();
        let managed: usize = listable.iter().map(|c| c.managed).sum();
        (total > 0).then(|| 100.0 * managed as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::plan::ResourceChange;

    fn object(id: &str) -> Arc<LiveObject> {
        Arc::new(LiveObject {
            id: id.into(),
            name: Some(format!("n{id}")),
            document: Map::new(),
            meta: Map::new(),
        })
    }

    fn change(provider: &str, id: &str, action: Action) -> ResourceChange {
        ResourceChange {
            address: format!("{provider}/servers/n{id}"),
            provider: provider.into(),
            platform: Platform::Pais,
            action,
            remote_id: Some(id.into()),
            prevent_destroy: false,
            fields: Vec::new(),
            request: None,
            follow_ups: Vec::new(),
            state_after: None,
            live: None,
        }
    }

    #[test]
    fn unmanaged_objects_and_coverage_come_from_listable_platforms_only() {
        let pais = [object("1"), object("2"), object("3"), object("4")];
        let klavis = [object("k")];
        let plan = Plan {
            changes: vec![
                change("pais", "1", Action::NoOp),
                change("pais", "2", Action::Update),
                change("klavis", "k", Action::NoOp),
            ],
            gone: Vec::new(),
            kept: vec![crate::plan::Kept {
                address: "pais/servers/n3".into(),
                provider: "pais".into(),
                platform: Platform::Pais,
                remote_id: "3".into(),
            }],
        };
        let live = BTreeMap::from([
            (
                "pais".to_owned(),
                ProviderLive {
                    platform: Platform::Pais,
                    objects: &pais,
                    complete: true,
                },
            ),
            (
                "klavis".to_owned(),
                ProviderLive {
                    platform: Platform::Klavis,
                    objects: &klavis,
                    complete: false,
                },
            ),
        ]);
        let report = DriftReport::new(plan, &live, Vec::new());
        let ids: Vec<&str> = report.unmanaged.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(
            ids,
            ["4"],
            "a managed object left the config is not unmanaged"
        );
        assert_eq!(report.drifted(), 1);
        assert_eq!(report.coverage_percent(), Some(75.0));
        assert_eq!(report.coverage[0].total, None, "klavis cannot list");
    }
}
