//! Matching a configured resource to its live object: by `id` when pinned, else by the id the
//! state recorded for it (when still live), else by name. Pure; two live objects with the wanted
//! name are an error naming both, never a guess.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::{DesiredResource, LiveObject};

/// Why a configured resource cannot be matched to one live object.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum MatchError {
    /// The configured `id` matches no live object.
    #[error("`{address}`: no live object has id `{id}`")]
    #[diagnostic(
        code(mcpform::plan::id_not_found),
        help(
            "check the id on the platform; it may have been deleted. Where a resource also has a \
             `name`, removing `id` matches it by name instead (and creates it when missing)"
        )
    )]
    IdNotFound {
        /// The resource's address.
        address: String,
        /// The configured id.
        id: String,
    },
    /// More than one live object has the configured name.
    #[error("`{address}`: {count} live objects are named `{name}` ({ids})")]
    #[diagnostic(
        code(mcpform::plan::ambiguous_name),
        help("pin the one mcpform should manage with `id:` in the config")
    )]
    AmbiguousName {
        /// The resource's address.
        address: String,
        /// The configured name.
        name: String,
        /// How many live objects have it.
        count: usize,
        /// Their ids, comma-separated.
        ids: String,
    },
}

/// Live objects indexed by id and by name, so matching stays linear in the number of objects.
pub(super) struct LiveIndex<'a> {
    /// Ids compare case-insensitively (UUIDs may come back in either case): keyed lower-case.
    by_id: HashMap<Cow<'a, str>, &'a Arc<LiveObject>>,
    /// The first object of each name; names that several objects share are in `shared`.
    by_name: HashMap<&'a str, &'a Arc<LiveObject>>,
    shared: HashMap<&'a str, Vec<&'a Arc<LiveObject>>>,
}

impl<'a> LiveIndex<'a> {
    pub(super) fn new(live: &'a [Arc<LiveObject>]) -> LiveIndex<'a> {
        let mut by_name: HashMap<&str, &Arc<LiveObject>> = HashMap::with_capacity(live.len());
        let mut shared: HashMap<&str, Vec<&Arc<LiveObject>>> = HashMap::new();
        for object in live {
            let Some(name) = object.name.as_deref() else {
                continue;
            };
            if let Some(&first) = by_name.get(name) {
                shared
                    .entry(name)
                    .or_insert_with(|| vec![first])
                    .push(object);
            } else {
                by_name.insert(name, object);
            }
        }
        let by_id = live.iter().map(|l| (lower_case(&l.id), l)).collect();
        LiveIndex {
            by_id,
            by_name,
            shared,
        }
    }

    fn by_id(&self, id: &str) -> Option<&'a Arc<LiveObject>> {
        self.by_id.get(&lower_case(id)).copied()
    }
}

fn lower_case(id: &str) -> Cow<'_, str> {
    if id.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(id.to_ascii_lowercase())
    } else {
        Cow::Borrowed(id)
    }
}

pub(super) fn match_live<'a>(
    desired: &DesiredResource,
    live: &LiveIndex<'a>,
) -> Result<Option<&'a Arc<LiveObject>>, MatchError> {
    if let Some(id) = &desired.id {
        return live
            .by_id(id)
            .map(Some)
            .ok_or_else(|| MatchError::IdNotFound {
                address: desired.address.clone(),
                id: id.clone(),
            });
    }
    if let Some(id) = &desired.recorded_id
        && let Some(found) = live.by_id(id)
    {
        return Ok(Some(found));
    }
    let Some(name) = &desired.name else {
        return Ok(None);
    };
    let Some(&first) = live.by_name.get(name.as_str()) else {
        return Ok(None);
    };
    match live.shared.get(name.as_str()) {
        None => Ok(Some(first)),
        Some(many) => Err(MatchError::AmbiguousName {
            address: desired.address.clone(),
            name: name.clone(),
            count: many.len(),
            ids: many
                .iter()
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
