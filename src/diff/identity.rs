//! Matching a configured resource to its live object: by `id` when pinned, else by name.

use super::{DesiredResource, LiveObject};

#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum MatchError {
    #[error("`{address}`: no live object has id `{id}`")]
    #[diagnostic(
        code(mcpform::plan::id_not_found),
        help(
            "check the id on the platform, or remove `id` to match by name (and create when missing)"
        )
    )]
    IdNotFound { address: String, id: String },
    #[error("`{address}`: {count} live objects are named `{name}` ({ids})")]
    #[diagnostic(
        code(mcpform::plan::ambiguous_name),
        help("pin the one mcpform should manage with `id:` in the config")
    )]
    AmbiguousName {
        address: String,
        name: String,
        count: usize,
        ids: String,
    },
}

pub(super) fn match_live<'a>(
    desired: &DesiredResource,
    live: &'a [LiveObject],
) -> Result<Option<&'a LiveObject>, MatchError> {
    if let Some(id) = &desired.id {
        return live
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(id))
            .map(Some)
            .ok_or_else(|| MatchError::IdNotFound {
                address: desired.address.clone(),
                id: id.clone(),
            });
    }
    let Some(name) = &desired.name else {
        return Ok(None);
    };
    let named: Vec<&LiveObject> = live
        .iter()
        .filter(|l| l.name.as_deref() == Some(name))
        .collect();
    match named.as_slice() {
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
