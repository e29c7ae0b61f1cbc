//! Emulator of the HasMCP server API (`/servers`), as the Community Edition implements it.
//!
//! The routes sit right under the provider endpoint (CE serves them under `/api/v1`, which the
//! endpoint includes). Owns CE's wire shapes (Go `encoding/json` with `omitempty`), its lenient
//! request decoding, its 400 validations, the full-replacement `PATCH` with its silent
//! optimistic-concurrency quirk, the exact-match bearer auth and the `{"error": {...}}` envelope.
//!
//! CE behaviour worth knowing, all reproduced here:
//! - Responses say `instructions`; the hosted spec's response shows `description` instead.
//! - Empty fields are left out of answers (`omitempty`): no `instructions` when it is empty, no
//!   `providers`/`resources`/`prompts` when there are none, and `{}` for an empty list.
//! - The list preloads only tools, so list items never carry `resources` or `prompts`.
//! - A server stores tool links as (provider, tool) rows: a provider sent without tools is not
//!   kept, and `providers` in answers is rebuilt from the rows, in the order they were sent.
//! - `PATCH` replaces everything: an omitted `instructions` becomes `""`, an omitted
//!   `requestHeadersProxyEnabled` `false`, omitted links empty. The scalar update runs only when
//!   `version` equals the stored one (and then bumps it); with a stale version it silently does
//!   nothing, yet the links are still replaced and the answer is still 200 with the re-read server.
//! - A body Go cannot decode into its types is HTTP 422 with `"code": 400` in the body; keys are
//!   matched case-insensitively, unknown keys are ignored and `null` means "zero value".
//! - `DELETE` answers 204 for any id, existing or not.
//!
//! Choices where CE differs from the hosted API or says nothing: ids are opaque 11-character
//! base62 strings (CE decodes them to int64; this emulator does not); a malformed server id is
//! 400 "invalid server ID" on GET and PATCH (DELETE still answers 204); a tool, provider, resource
//!
//! `wire.rs` holds the shapes, `store.rs` the state and seed, `go_json.rs` the Go decoding of
//! requests, `validate.rs` CE's checks and `routes.rs` the handlers, auth and error envelope.

mod go_json;
mod routes;
mod store;
#[cfg(test)]
mod tests;
mod validate;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use serde_json::Value;

use crate::PlatformApp;
use crate::store::Store;

pub(crate) fn build(
    seed: Option<Value>,
    data: Option<PathBuf>,
    token: Option<&str>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(seed, data)?);
    // `None` = CE with `apiauth` disabled.
    let token = token.map(str::to_owned);
    Ok(PlatformApp {
        guarded: routes::router(store.clone()),
        open: Router::new(),
        auth: Arc::new(move |headers| routes::refusal(token.as_deref(), headers)),
        state: store,
        fallbacks: routes::fallbacks,
    })
}
