//! Matching a configured resource to its live object: by `id` when pinned, else by the id the
//! state recorded for it (when still live), else by name. Pure; two live objects with the wanted
//! name are an error naming both, never a guess.

use std::collections::HashMap;

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
    by_id: HashMap<String, &'a LiveObject>,
    by_name: HashMap<&'a str, Vec<&'a LiveObject>>,
}

impl<'a> LiveIndex<'a> {
    pub(super) fn new(live: &'a [LiveObject]) -> LiveIndex<'a> {
        let mut by_name: HashMap<&str, Vec<&LiveObject>> = HashMap::new();
        for object in live {
            if let Some(name) = &object.name {
                by_name.entry(name.as_str()).or_default().push(object);
            }
        }
        // Ids compare case-insensitively: UUIDs may come back in either case.
        let by_id = live
            .iter()
            .map(|l| (l.id.to_ascii_lowercase(), l))
            .collect();
        LiveIndex { by_id, by_name }
    }
}

pub(super) fn match_live<'a>(
    desired: &DesiredResource,
    live: &LiveIndex<'a>,
) -> Result<Option<&'a LiveObject>, MatchError> {
    if let Some(id) = &desired.id {
        return live
            .by_id
            .get(&id.to_ascii_lowercase())
            .copied()
            .map(Some)
            .ok_or_else(|| MatchError::IdNotFound {
                address: desired.address.clone(),
                id: id.clone(),
            });
    }
    if let Some(id) = &desired.recorded_id
        && let Some(found) = live.by_id.get(&id.to_ascii_lowercase())
    {
        return Ok(Some(found));
    }
    let Some(name) = &desired.name else {
        return Ok(None);
    };
    match live
        .by_name
        .get(name.as_str())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(MatchError::AmbiguousName {
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
