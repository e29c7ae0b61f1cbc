//! Emulator of the Idun Agent Platform standalone admin API (`/admin/api/v1/mcp-servers`).
//!
//! Owns Idun's camelCase wire shapes, the engine `MCPServer` schema (defaults, transport rules),
//! slugs, the shallow `PATCH` (inner `mcpServer` replaced whole, `null` never clears), the admin
//! error envelope and password-mode sessions. The engine reload always succeeds here; tests model
//! a failed one with `Fault::idun_reload_failed`.
//!
//! `wire.rs` holds the shapes, `store.rs` the state and seed, `slug.rs` the slug derivation,
//! `validate.rs` the request models and `routes.rs` the handlers, sessions and error envelope.

mod routes;
mod slug;
mod store;
#[cfg(test)]
mod tests;
mod validate;
mod wire;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::store::Store;
use crate::{PlatformApp, fastapi};

pub(crate) fn build(
    seed: Option<Value>,
    data: Option<PathBuf>,
    password: Option<&str>,
) -> Result<PlatformApp, String> {
    let store = Arc::new(Store::seeded(seed, data)?);
    let idun = Arc::new(routes::Idun {
        store: store.clone(),
        password: password.map(str::to_owned),
        sessions: Mutex::new(HashSet::new()),
    });
    // Interleaved writes go to the admin routes only; a login is not a write.
    let (admin, auth) = routes::routers(idun.clone());
    Ok(PlatformApp {
        guarded: admin,
        open: auth,
        auth: Arc::new(move |headers| idun.refusal(headers)),
        state: store,
        fallbacks: fastapi::fallbacks,
    })
}
