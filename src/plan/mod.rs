//! The plan: what mcpform intends to do, as data.
//!
//! `diff` produces it, `render` prints it, `apply` executes it; neither of the latter
//! recomputes anything. Values here are real (apply needs them): every output masks them
//! through `mask::Secrets` and the `sensitive` markers.

mod build;
pub mod file;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::model::Platform;
pub use build::{Account, Accounts, LiveState, PlanFailed, Planner};

/// Everything one run would change, sorted by provider then address.
///
/// Deliberately not `Serialize`: every serialized form goes through `render`, which masks.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<ResourceChange>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::NoOp => summary.no_op += 1,
            }
        }
        summary
    }

    /// Whether applying would send any request.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.request.is_some())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    /// Never filled: mcpform does not delete (a resource missing from the config is left alone).
    pub delete: usize,
    pub no_op: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::NoOp => "no-op",
        }
    }
}

/// The planned change of one configured resource.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    /// `<provider>/<collection>/<name or id>`.
    pub address: String,
    pub provider: String,
    pub platform: Platform,
    pub action: Action,
    /// The platform's id of the live object (absent for `create`).
    pub remote_id: Option<String>,
    /// Field-level differences, in the config's snake_case naming.
    pub fields: Vec<FieldChange>,
    /// The exact request apply sends; absent for `no-op`.
    pub request: Option<Request>,
    /// Write-only field fingerprints to record in the state file once the request succeeds.
    pub state_after: Option<BTreeMap<String, String>>,
    /// The normalized live object this change was computed from (`id`, `document`, `meta`),
    /// so a saved plan can tell whether the platform changed since.
    pub live: Option<Value>,
}

/// One field that differs. `before`/`after` are `None` when the field is unset on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Dotted path in config naming, e.g. `mcp_server.timeout_seconds`.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The values are secret: shown as `(sensitive)` everywhere.
    pub sensitive: bool,
    /// The platform never returns this field, so `before` is unknown rather than unset;
    /// the change comes from the state file's fingerprint.
    pub write_only: bool,
    /// Why a write-only field is in the plan (it cannot be compared with the live value).
    pub note: Option<String>,
}

/// An HTTP request apply will send. The body is real; `sensitive` lists JSON Pointer
/// prefixes inside it whose values every output must mask.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Path relative to the provider's endpoint, e.g. `/api/v1/control/mcp-servers/5d…`.
    pub path: String,
    pub body: Value,
    pub sensitive: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}
