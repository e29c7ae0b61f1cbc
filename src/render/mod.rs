//! Render: the plan as text, JSON or Markdown. No logic beyond presentation:
//! everything shown is read from the `Plan`, and every value passes through `masked_*` first.

mod drift;
mod json;
mod markdown;
mod text;

use serde_json::Value;

pub use drift::{render_drift_json, render_drift_markdown, render_drift_text};
pub use json::render_json;
pub use markdown::{DEFAULT_MAX_BYTES, comment_marker, render_markdown};
pub use text::{TextStyle, render_text};

use crate::mask::{SENSITIVE, Secrets};
use crate::plan::{FieldChange, Request, ResourceChange};

/// A field's before/after values as they may be shown.
/// `1 resource`, `2 resources`: a count with its noun in the right number.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

fn masked_values(field: &FieldChange, secrets: &Secrets) -> (Option<Value>, Option<Value>) {
    let mask = |value: &Option<Value>| {
        value.as_ref().map(|v| {
            if field.sensitive {
                Value::String(SENSITIVE.into())
            } else {
                secrets.mask_json(v)
            }
        })
    };
    (mask(&field.before), mask(&field.after))
}

/// A field's values as the text and Markdown forms show them: masked, and numbers in the same
/// form on both sides. A float with no fraction facing an integer reads as an integer
/// (`10 → 30`, not `10.0 → 30`): platforms often return the user's `10` as `10.0`. Display
/// only; the JSON form and what is sent are untouched.
fn shown_values(field: &FieldChange, secrets: &Secrets) -> (Option<Value>, Option<Value>) {
    let (before, after) = masked_values(field, secrets);
    let as_integer = |value: Option<Value>, other: &Option<Value>| match (&value, other) {
        (Some(Value::Number(n)), Some(Value::Number(o))) if n.is_f64() && !o.is_f64() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| Value::from(f as i64))
            .or(value),
        _ => value,
    };
    let shown_before = as_integer(before, &after);
    let shown_after = as_integer(after, &shown_before);
    (shown_before, shown_after)
}

/// A change's request as it may be shown or saved: `{method, path, body}`, masked.
pub fn masked_request(change: &ResourceChange, secrets: &Secrets) -> Value {
    match &change.request {
        Some(request) => serde_json::json!({
            "method": request.method.as_str(),
            "path": request.path,
            "body": masked_body(request, secrets),
        }),
        None => Value::Null,
    }
}

/// A change's follow-ups (PAIS tool approvals) as they may be shown or saved:
/// `[{field, method, path, body}]`, masked.
pub fn masked_follow_ups(change: &ResourceChange, secrets: &Secrets) -> Value {
    change
        .follow_ups
        .iter()
        .map(|follow_up| {
            serde_json::json!({
                "field": follow_up.field,
                "method": follow_up.request.method.as_str(),
                "path": follow_up.request.path,
                "body": masked_body(&follow_up.request, secrets),
            })
        })
        .collect()
}

/// A request body as it may be shown: secret-by-nature subtrees and secret values masked.
fn masked_body(request: &Request, secrets: &Secrets) -> Value {
    let mut body = secrets.mask_json(&request.body);
    for pointer in &request.sensitive {
        if let Some(subtree) = body.pointer_mut(pointer) {
            mask_all_strings(subtree);
        }
    }
    body
}

fn mask_all_strings(value: &mut Value) {
    match value {
        Value::String(s) => *s = SENSITIVE.into(),
        Value::Array(items) => items.iter_mut().for_each(mask_all_strings),
        Value::Object(map) => map.values_mut().for_each(mask_all_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
