//! Emulator of VMware Private AI Services' MCP-server API (`/api/v1/control/mcp-servers`).
//!
//! Owns PAIS's wire shapes (`wire.rs`), its state and seed (`store.rs`), its FastAPI validation
//! with 422 `detail` lists (`validate.rs`), and the routes (`routes.rs`): the top-level JSON Merge
//! Patch of `PATCH`, OpenAI-style cursor pagination and bearer auth. Headers are write-only:
//! stored and persisted, never returned. `availability` is `PENDING` in the answer to a create or
//! update and `AVAILABLE` from the next read on (as if the probe succeeded). Each server's tools,
//! their discovery and approval are `tools.rs`'s.

mod paging;
mod routes;
mod store;
#[cfg(test)]
mod tests;
mod tools;
mod validate;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use serde_json::Value;

use crate::store::Store;
use crate::{PlatformApp, fastapi};

pub(crate) fn build(
    seed: Option<Value>,
    data: Option<PathBuf>,
    token: Option<&str>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(seed, data)?);
    let token = token.map(str::to_owned);
    Ok(PlatformApp {
        guarded: routes::router(store.clone()),
        open: Router::new(),
        auth: Arc::new(move |headers| routes::refusal(token.as_deref(), headers)),
        state: store,
        fallbacks: fastapi::fallbacks,
    })
}
