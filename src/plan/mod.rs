//! The plan: what mcpform intends to do, as data, with the stage that makes it (`build.rs`:
//! fetch, then diff) and the saved-plan file (`file.rs`).
//!
//! `render` prints a plan and `apply` executes it; neither recomputes anything. Values here
//! are real (apply needs them): every output masks them through `mask::Secrets` and the
//! `sensitive` markers.

mod build;
pub mod file;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::config::model::Platform;
use crate::diff::LiveObject;
pub use build::{Account, Accounts, LiveState, PlanFailed, Planner, Reading};

/// Everything one run would change, sorted by provider then address.
///
/// Deliberately not `Serialize`: every serialized form goes through `render`, which masks.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// One entry per configured resource in the run, and one per managed object to delete.
    pub changes: Vec<ResourceChange>,
    /// Managed objects whose config entry is gone, left in place because pruning is off.
    pub kept: Vec<Kept>,
    /// Managed objects (provider, id) that are no longer on the platform: `apply` forgets them.
    pub gone: Vec<(String, String)>,
}

/// A managed object whose config entry is gone, left in place: the run does not prune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The address its config entry had.
    pub address: String,
    /// The provider block's name.
    pub provider: String,
    /// That provider's platform.
    pub platform: Platform,
    /// The platform's id of the object.
    pub remote_id: String,
}

impl Plan {
    /// How many changes of each action the plan holds.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::NoOp => summary.no_op += 1,
            }
        }
        summary
    }

    /// Whether applying would send any request.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(ResourceChange::sends)
    }
}

/// Counts of planned changes by action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Resources to create.
    pub create: usize,
    /// Resources to update.
    pub update: usize,
    /// Managed objects to delete (their config entry is gone and the run prunes).
    pub delete: usize,
    /// Resources already in line.
    pub no_op: usize,
}

/// What apply does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create it.
    Create,
    /// Change it in place.
    Update,
    /// Delete it: a managed object whose config entry is gone, in a run that prunes.
    Delete,
    /// Nothing: it is in line.
    NoOp,
}

impl Action {
    /// The name in every output (`create`, `update`, `delete`, `no-op`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
    }
}

/// The planned change of one configured resource.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    /// `<provider>/<collection>/<name or id>`.
    pub address: String,
    /// The provider block's name.
    pub provider: String,
    /// That provider's platform.
    pub platform: Platform,
    /// What apply does to the resource.
    pub action: Action,
    /// The platform's id of the live object (absent for `create`).
    pub remote_id: Option<String>,
    /// The config entry's `lifecycle.prevent_destroy`, recorded in the state once applied.
    pub prevent_destroy: bool,
    /// Field-level differences, in the config's snake_case naming.
    pub fields: Vec<FieldChange>,
    /// The exact request apply sends for the resource itself; absent for `no-op`, and when only
    /// flag-map entries (PAIS tool approvals) change.
    pub request: Option<Request>,
    /// Requests sent after `request` (or alone), one per changed flag-map entry: PAIS tool
    /// approvals.
    pub follow_ups: Vec<FollowUp>,
    /// Write-only field fingerprints to record in the state file once the request succeeds.
    pub state_after: Option<BTreeMap<String, String>>,
    /// The live object this change was computed from, so a saved plan can tell whether the
    /// platform changed since.
    pub live: Option<LiveSnapshot>,
}

/// The normalized live object a change was computed from, shared with the fetch's result (a
/// fleet's plan copies none of them), and the config paths in its `document` that are secret
/// by nature, which a saved plan's fingerprint hides.
#[derive(Debug, Clone)]
pub struct LiveSnapshot {
    /// The object as fetched.
    pub object: Arc<LiveObject>,
    /// Dotted config paths whose values are secret by nature (Idun headers and env).
    pub secret_paths: &'static [&'static str],
}

impl LiveSnapshot {
    /// What a saved plan fingerprints: `id`, `document`, `meta` and `secret_paths`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.object.id,
            "document": self.object.document,
            "meta": self.object.meta,
            "secret_paths": self.secret_paths,
        })
    }
}

impl ResourceChange {
    /// Whether applying it sends anything.
    pub fn sends(&self) -> bool {
        self.request.is_some() || !self.follow_ups.is_empty()
    }
}

/// A request for one changed entry of a flag map (a PAIS tool's approval), sent once the
/// resource's own request is confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// The field it changes, e.g. `approve_tools.search_issues`.
    pub field: String,
    /// The request. Ids not known when planning (the server of a create, a tool not yet
    /// discovered) stand in its path as `{server_id}` and `{tool_id}`: apply fills them in.
    pub request: Request,
}

/// One field that differs. `before`/`after` are `None` when the field is unset on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// Dotted path in config naming, e.g. `mcp_server.timeout_seconds`.
    pub path: String,
    /// The live value.
    pub before: Option<Value>,
    /// The configured value.
    pub after: Option<Value>,
    /// The values are secret: shown as `(sensitive)` everywhere.
    pub sensitive: bool,
    /// The platform never returns this field, so `before` is unknown rather than unset;
    /// the change comes from the state file's fingerprint.
    pub write_only: bool,
    /// Why a write-only field is in the plan (it cannot be compared with the live value), or,
    /// on the `url` of a create, the live server with the same url (a likely typo in `name`).
    pub note: Option<String>,
}

/// An HTTP request apply will send. The body is real; `sensitive` lists JSON Pointer
/// prefixes inside it whose values every output must mask.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// Path relative to the provider's endpoint, e.g. `/api/v1/control/mcp-servers/5d…`.
    pub path: String,
    /// The JSON body.
    pub body: Value,
    /// JSON Pointer prefixes in `body` whose values are secret.
    pub sensitive: Vec<String>,
}

/// The HTTP methods apply sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Create.
    Post,
    /// Update.
    Patch,
    /// Delete.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}
