//! Emulator of Klavis AI's MCP-server instance API (`/mcp-server/instance/{instanceId}`).
//!
//! Owns the instance routes mcpform uses (GET, PATCH, DELETE by id; Klavis has no list), the
//! FastAPI validation of the path UUID and of `UpdateServerInstanceRequest` (`extra="forbid"`,
//! lax `bool | None`), FastAPI's `HTTPBearer` auth and the `{"detail": "..."}` errors. The one
//! writable setting, `isReadOnly`, is write-only: stored, persisted and shown by `state()`, echoed
//! by PATCH, never returned by GET. Instances are created by seeding (the create endpoint is not
//! emulated).
//!
//! Choices where Klavis documents nothing: `PATCH` with `{}` or `{"isReadOnly": null}` changes
//! nothing and echoes the current value; an unknown instance is 404 `{"detail": "Instance not
//! found"}` on every route (after validation, as FastAPI validates before the handler runs);
//! a missing or non-bearer `Authorization` is 401 `{"detail": "Not authenticated"}` and a wrong
//! key 403 `{"detail": "Invalid API key"}`; GET shows `oauthUrl: null` when there is none
//! (FastAPI does not drop `None`).

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

use crate::store::Store;
use crate::{PlatformApp, fastapi};

pub(crate) fn build(
    seed: Option<Value>,
    data: Option<PathBuf>,
    api_key: Option<&str>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(seed, data)?);
    let api_key = api_key.map(str::to_owned);
    Ok(PlatformApp {
        guarded: routes::router(store.clone()),
        open: Router::new(),
        auth: Arc::new(move |headers| routes::refusal(api_key.as_deref(), headers)),
        state: store,
        fallbacks: fastapi::fallbacks,
    })
}
