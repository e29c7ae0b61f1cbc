//! Diff: desired resources vs live objects into plan entries.
//!
//! Pure functions only: no I/O, no printing. Platform specifics arrive through the
//! `RequestBuilder` each provider implements; everything here is the same for all platforms.

mod compare;
mod flag_maps;
mod identity;
mod typo;
mod write_only;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

pub use compare::values_equal;
use compare::{Sensitivity, compare, overlay_ignored};
pub use identity::MatchError;
use identity::{LiveIndex, match_live};
use typo::UrlIndex;
pub use write_only::WriteOnlyAction;

use crate::config::model::Platform;
use crate::mask::Secrets;
use crate::plan::{Action, FieldChange, FollowUp, LiveSnapshot, Request, ResourceChange};
use crate::state::State;

/// A configured resource, normalized into config naming.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    /// `<provider>/<collection>/<name or id>`.
    pub address: String,
    /// Matches the live object by id when set, else by name.
    pub id: Option<String>,
    /// The name to match by when there is no `id`.
    pub name: Option<String>,
    /// The readable fields, normalized like the live side (defaults filled, empties dropped).
    pub document: Map<String, Value>,
    /// Fields the platform accepts but never returns; `None` when the config omits them.
    pub write_only: Vec<(String, Option<Value>)>,
    /// Dotted paths mcpform leaves to others.
    pub ignore: Vec<String>,
    /// Dotted-path prefixes whose values are secret by nature.
    pub secret_paths: &'static [&'static str],
    /// `lifecycle.prevent_destroy`: recorded in the state at apply, so that a plan that would
    /// delete the object once the entry is gone fails.
    pub prevent_destroy: bool,
    /// The id of the object the state records mcpform manages for this entry (which has no
    /// `id`): matched before the name when live, so a server renamed in a console is renamed
    /// back rather than created again (and its old self deleted by a prune). Klavis instances
    /// by `user_id` and `server_name` are found only this way.
    pub recorded_id: Option<String>,
    /// Fields sent only to create the object, never diffed (Klavis's `userId`, `serverName`).
    pub create_only: Map<String, Value>,
}

/// A live object, normalized into config naming.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveObject {
    /// The platform's id.
    pub id: String,
    /// The object's name, where the platform has one.
    pub name: Option<String>,
    /// The readable fields.
    pub document: Map<String, Value>,
    /// Server-managed values a request needs but that are never diffed (HasMCP's `version`).
    pub meta: Map<String, Value>,
}

/// What differs for one resource: what a provider turns into its platform's request.
pub struct ResourceDelta<'a> {
    /// The configured resource.
    pub desired: &'a DesiredResource,
    /// The desired document with ignored fields taken from the live object.
    pub effective: &'a Map<String, Value>,
    /// `None` when the object does not exist yet.
    pub live: Option<&'a LiveObject>,
    /// Readable fields that differ.
    pub fields: &'a [FieldChange],
    /// Write-only fields to send or reset.
    pub write_only: &'a [(String, WriteOnlyAction)],
}

/// The platform-specific half of planning: the exact requests for a delta.
pub trait RequestBuilder {
    /// The request that turns the live object into the desired one (every field outside the
    /// flag maps).
    fn build_request(&self, delta: &ResourceDelta) -> Request;
    /// Top-level maps of name → boolean written through requests of their own, after the
    /// resource's request (PAIS `approve_tools`): the config names the entries that are `true`,
    /// an entry it does not name is `false`, and an omitted map is left alone (`flag_maps.rs`).
    fn flag_maps(&self) -> &'static [&'static str] {
        &[]
    }
    /// The requests for the changed flag-map entries, in field order.
    fn build_follow_ups(&self, _delta: &ResourceDelta) -> Vec<FollowUp> {
        Vec::new()
    }
    /// The request that deletes the live object `id`.
    fn delete_request(&self, id: &str) -> Request;
}

/// Who the resources belong to, and what is known besides the live objects.
pub struct PlanScope<'a> {
    /// The provider block's name.
    pub provider: &'a str,
    /// The provider's platform.
    pub platform: Platform,
    /// Write-only fingerprints from earlier applies.
    pub state: &'a State,
    /// Values every output masks.
    pub secrets: &'a Secrets,
}

/// Plans every desired resource of one provider against that provider's live objects.
/// Collects every matching problem rather than stopping at the first.
pub fn plan_resources(
    builder: &dyn RequestBuilder,
    scope: &PlanScope,
    desired: &[DesiredResource],
    live: &[Arc<LiveObject>],
) -> Result<Vec<ResourceChange>, Vec<MatchError>> {
    // Argon2id once per distinct write-only string, spread over the cores, before the diff
    // asks for them one resource at a time.
    scope.state.precompute(desired.iter().flat_map(|resource| {
        resource
            .write_only
            .iter()
            .filter(|(path, _)| !resource.ignore.iter().any(|i| i == path))
            .filter_map(|(_, value)| value.as_ref())
    }));
    let index = LiveIndex::new(live);
    // Only a resource to create asks for the url hint: an in-sync fleet never builds it.
    let urls = std::cell::OnceCell::new();
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for resource in desired {
        match match_live(resource, &index) {
            Ok(matched) => {
                let mut change = plan_resource(builder, scope, resource, matched);
                if matched.is_none()
                    && let Some((path, note)) =
                        urls.get_or_init(|| UrlIndex::new(live)).hint(resource)
                    && let Some(field) = change.fields.iter_mut().find(|f| f.path == path)
                {
                    field.note = Some(note);
                }
                changes.push(change);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

fn plan_resource(
    builder: &dyn RequestBuilder,
    scope: &PlanScope,
    desired: &DesiredResource,
    shared: Option<&Arc<LiveObject>>,
) -> ResourceChange {
    let live = shared.map(|object| &**object);
    // The desired document as compared: copied only when `ignore` or a flag map changes it
    // (a fleet of plain servers is compared as configured, with no copy each).
    let mut effective = Cow::Borrowed(&desired.document);
    if !desired.ignore.is_empty() {
        overlay_ignored(
            effective.to_mut(),
            live.map(|l| &l.document),
            &desired.ignore,
        );
    }
    let flag_maps = builder.flag_maps();
    let has_flag_map =
        |document: &Map<String, Value>| flag_maps.iter().any(|key| document.contains_key(*key));
    if has_flag_map(&effective) || live.is_some_and(|l| has_flag_map(&l.document)) {
        flag_maps::complete(effective.to_mut(), live.map(|l| &l.document), flag_maps);
    }
    let effective: &Map<String, Value> = &effective;
    let sensitivity = Sensitivity {
        secret_paths: desired.secret_paths,
        secrets: scope.secrets,
    };
    let empty = Map::new();
    let mut fields = compare(
        effective,
        live.map_or(&empty, |l| &l.document),
        &sensitivity,
    );

    let recorded = scope.state.record(&desired.address);
    let mut state_after: BTreeMap<String, String> = recorded.cloned().unwrap_or_default();
    let mut write_only = Vec::new();
    for (path, value) in &desired.write_only {
        if desired.ignore.iter().any(|i| i == path) {
            continue;
        }
        let address = &desired.address;
        let fingerprint = value
            .as_ref()
            .map(|v| scope.state.fingerprint(address, path, v));
        let previous = recorded.and_then(|r| r.get(path));
        let unchanged = match (value, previous) {
            (Some(v), Some(previous)) => scope.state.matches(address, path, v, previous),
            _ => false,
        };
        let unverifiable = previous.and_then(|p| scope.state.unverifiable(p));
        let Some(planned) = write_only::plan(
            path,
            value.as_ref(),
            unchanged,
            previous,
            unverifiable,
            &sensitivity,
        ) else {
            continue;
        };
        match &fingerprint {
            Some(fp) => state_after.insert(path.clone(), fp.clone()),
            None => state_after.remove(path),
        };
        fields.push(planned.field);
        write_only.push((path.clone(), planned.action));
    }
    fields.sort_by(|a, b| a.path.cmp(&b.path));

    let action = match (live, fields.is_empty()) {
        (None, _) => Action::Create,
        (Some(_), false) => Action::Update,
        (Some(_), true) => Action::NoOp,
    };
    let delta = ResourceDelta {
        desired,
        effective,
        live,
        fields: &fields,
        write_only: &write_only,
    };
    // A change of flag-map entries alone needs no request for the resource itself.
    let needs_request = action == Action::Create
        || fields
            .iter()
            .any(|f| !flag_maps::contains(flag_maps, &f.path));
    let request = needs_request.then(|| builder.build_request(&delta));
    let follow_ups = if action == Action::NoOp {
        Vec::new()
    } else {
        builder.build_follow_ups(&delta)
    };
    let state_changed = !write_only.is_empty();
    ResourceChange {
        address: desired.address.clone(),
        provider: scope.provider.to_owned(),
        platform: scope.platform,
        action,
        remote_id: live.map(|l| l.id.clone()),
        prevent_destroy: desired.prevent_destroy,
        fields,
        request,
        follow_ups,
        state_after: state_changed.then_some(state_after),
        live: shared.map(|object| LiveSnapshot {
            object: Arc::clone(object),
            secret_paths: desired.secret_paths,
        }),
    }
}

#[cfg(test)]
mod tests;
