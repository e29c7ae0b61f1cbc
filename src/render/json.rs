//! The JSON plan (`plan --format json`), `format_version` 1, as documented in interface.md.
//! Pure: writes to the given `Write`; every value passes through the masking first.

use serde_json::{Value, json};

use super::{masked_follow_ups, masked_request, masked_values};
use crate::mask::Secrets;
use crate::plan::Plan;

/// The plan as one JSON document (`format_version` 1), secrets masked.
pub fn render_json(
    plan: &Plan,
    secrets: &Secrets,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|change| {
            let fields: Vec<Value> = change
                .fields
                .iter()
                .map(|field| {
                    let (before, after) = masked_values(field, secrets);
                    let mut entry = json!({"path": field.path, "before": before, "after": after});
                    if field.sensitive {
                        entry["sensitive"] = json!(true);
                    }
                    if field.write_only {
                        entry["write_only"] = json!(true);
                    }
                    if let Some(note) = &field.note {
                        entry["note"] = json!(note);
                    }
                    entry
                })
                .collect();
            let mut entry = json!({
                "address": change.address,
                "provider": change.provider,
                "platform": change.platform.as_str(),
                "action": change.action.as_str(),
                "fields": fields,
            });
            if let Some(id) = &change.remote_id {
                entry["id"] = json!(id);
            }
            if change.request.is_some() {
                entry["request"] = masked_request(change, secrets);
            }
            if !change.follow_ups.is_empty() {
                entry["follow_ups"] = masked_follow_ups(change, secrets);
            }
            entry
        })
        .collect();
    let summary = plan.summary();
    let mut document = json!({
        "format_version": "1",
        "changes": changes,
        "summary": {"create": summary.create, "update": summary.update, "delete": summary.delete, "no_op": summary.no_op},
    });
    if !plan.kept.is_empty() {
        // Managed objects whose config entry is gone, left in place: pruning is off.
        document["kept"] = plan
            .kept
            .iter()
            .map(|k| {
                json!({"address": k.address, "provider": k.provider,
                       "platform": k.platform.as_str(), "id": k.remote_id,
                       "reason": "no longer in the config; kept because pruning is off"})
            })
            .collect();
    }
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
