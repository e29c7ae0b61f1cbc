//! Write-only fields: the platform never returns them, so the decision rests on the state
//! file's fingerprint of what mcpform last applied.
//!
//! Set in the config and unrecorded or different → send. Omitted from the config → leave
//! alone (mcpform cannot see what is there), unless mcpform set it before → reset.

use serde_json::Value;

use super::compare::Sensitivity;
use crate::plan::FieldChange;

/// What to do with a write-only field.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOnlyAction {
    /// Send this value.
    Set(Value),
    /// Back to the platform's default (PAIS `headers: null`, Klavis `isReadOnly: false`).
    Reset,
}

pub(super) struct Planned {
    pub field: FieldChange,
    pub action: WriteOnlyAction,
}

/// `unchanged`: the state's record (`recorded`) is the fingerprint of `value`; `unverifiable`:
/// why this run cannot check the record (made with another `MCPFORM_FINGERPRINT_KEY`).
pub(super) fn plan(
    path: &str,
    value: Option<&Value>,
    unchanged: bool,
    recorded: Option<&String>,
    unverifiable: Option<&str>,
    sensitivity: &Sensitivity,
) -> Option<Planned> {
    let (note, action) = match (value, recorded) {
        (Some(_), Some(_)) if unchanged => return None,
        (Some(v), Some(_)) if unverifiable.is_some() => (
            unverifiable.unwrap_or_default(),
            WriteOnlyAction::Set(v.clone()),
        ),
        (Some(v), Some(_)) => (
            "differs from what mcpform last applied",
            WriteOnlyAction::Set(v.clone()),
        ),
        (Some(v), None) => (
            "the state file has no record of it",
            WriteOnlyAction::Set(v.clone()),
        ),
        (None, Some(_)) => (
            "mcpform set it before and the config no longer does",
            WriteOnlyAction::Reset,
        ),
        (None, None) => return None,
    };
    Some(Planned {
        field: FieldChange {
            path: path.to_owned(),
            before: None,
            after: value.cloned(),
            sensitive: sensitivity.is_sensitive(path, None, value),
            write_only: true,
            note: Some(format!("not readable from the platform; {note}")),
        },
        action,
    })
}
