//! PAIS's OpenAI-style cursor pagination, shared by the server and tool listings: `after` and
//! `before` are ids in the chosen order and bound the window exclusively; `before` alone returns
//! the page right before it; `offset` skips into the window (from the cursor's side). A filter
//! applies inside the window, so a cursor may name an object the filter excludes. An unknown
//! cursor id is a 422, not an empty page, so that a client paging through a concurrently deleted
//! object fails loudly instead of silently stopping.

use serde_json::{Value, json};
use uuid::Uuid;

use super::validate::ListQuery;
use crate::fastapi::{self, FieldError};

/// What a listing pages through, and how its objects look on the wire.
pub(super) struct Listing<'a, T> {
    /// Every object, in creation order.
    pub(super) items: Vec<&'a T>,
    pub(super) id: fn(&T) -> Uuid,
    /// The object as the listing answers it.
    pub(super) wire: &'a dyn Fn(&T) -> Value,
    /// What the listing holds, for the unknown-cursor message (`MCP server`).
    pub(super) noun: &'static str,
}

/// One page of `listing` as `query` asks for it, keeping only the objects `keep` accepts.
pub(super) fn page<T>(
    listing: Listing<'_, T>,
    query: &ListQuery,
    keep: impl Fn(&T) -> bool,
) -> Result<Value, fastapi::Error> {
    let Listing {
        mut items,
        id,
        wire,
        noun,
    } = listing;
    if query.descending {
        items.reverse();
    }
    let position = |cursor: &str, key: &str| {
        Uuid::parse_str(cursor)
            .ok()
            .and_then(|wanted| items.iter().position(|item| id(item) == wanted))
            .ok_or_else(|| {
                fastapi::Error::Validation(vec![FieldError::new(
                    "value_error",
                    vec![json!("query"), json!(key)],
                    format!("Value error, no {noun} with id {cursor}"),
                    json!(cursor),
                )])
            })
    };
    let start = match &query.after {
        Some(cursor) => position(cursor, "after")? + 1,
        None => 0,
    };
    let end = match &query.before {
        Some(cursor) => position(cursor, "before")?,
        None => items.len(),
    };
    let window: Vec<&T> = items
        .get(start..end.max(start))
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|item| keep(item))
        .collect();
    let (page, has_more) = if query.before.is_some() && query.after.is_none() {
        let stop = window.len().saturating_sub(query.offset);
        let first = stop.saturating_sub(query.limit);
        (&window[first..stop], first > 0)
    } else {
        let first = query.offset.min(window.len());
        let stop = (first + query.limit).min(window.len());
        (&window[first..stop], stop < window.len())
    };
    let num_objects = query
        .count
        .then(|| items.iter().filter(|item| keep(item)).count());
    Ok(json!({
        "object": "list",
        "data": page.iter().map(|item| wire(item)).collect::<Vec<_>>(),
        "has_more": has_more,
        "first_id": page.first().map(|item| id(item).to_string()),
        "last_id": page.last().map(|item| id(item).to_string()),
        "num_objects": num_objects,
    }))
}
