//! The human plan, Terraform-style: one block per changed resource, `old → new` per field,
//! multi-line strings as a unified diff, a summary line.

use std::io::Write;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::shown_values;
use crate::mask::Secrets;
use crate::plan::{Action, FieldChange, Plan};

/// How the text plan is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle {
    /// Colour the markers (never with `NO_COLOR`, `CI=true`, or output that is not a terminal).
    pub color: bool,
    /// Print each change's exact request under it.
    pub show_requests: bool,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl TextStyle {
    fn paint(&self, color: &str, text: &str) -> String {
        if self.color {
            format!("{color}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// The plan as text, Terraform-style, secrets masked.
pub fn render_text(
    plan: &Plan,
    secrets: &Secrets,
    style: TextStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let summary = plan.summary();
    if !plan.has_changes() {
        let count = plan.changes.len();
        let (noun, verb) = if count == 1 {
            ("resource", "matches")
        } else {
            ("resources", "match")
        };
        writeln!(
            out,
            "No changes. {count} configured {noun} {verb} the live state."
        )?;
        return render_kept(plan, style, out);
    }
    writeln!(out, "mcpform will perform the following actions:")?;
    render_changes(plan, secrets, style, Tense::Plan, out)?;
    render_kept(plan, style, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "{} {} to create, {} to update, {} to delete; {} unchanged.",
        style.paint(BOLD, "Plan:"),
        summary.create,
        summary.update,
        summary.delete,
        summary.no_op
    )
}

/// The managed objects whose config entry is gone and that the run leaves in place.
pub fn render_kept(plan: &Plan, style: TextStyle, out: &mut dyn Write) -> std::io::Result<()> {
    for kept in &plan.kept {
        writeln!(out)?;
        writeln!(
            out,
            "  {}",
            style.paint(
                BOLD,
                &format!(
                    "# {} is no longer in the config: kept, since provider `{}` does not prune",
                    kept.address, kept.provider
                )
            )
        )?;
        writeln!(out, "    {} (id {})", kept.address, kept.remote_id)?;
        writeln!(
            out,
            "          # `--prune` or `prune: true` on the provider deletes it; adding it back to the config keeps managing it"
        )?;
    }
    Ok(())
}

/// How a block's header reads: what apply will do, or how the live state differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    /// `plan`/`apply`: "will be created", "will be updated in place".
    Plan,
    /// `drift`: "is missing", "differs from the config"; drift changes nothing.
    Drift,
}

/// One block per resource that sends something: its header line and its field changes.
pub fn render_changes(
    plan: &Plan,
    secrets: &Secrets,
    style: TextStyle,
    tense: Tense,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for change in plan.changes.iter().filter(|c| c.sends()) {
        let (marker, color, verb) = match (change.action, tense) {
            (Action::Create, Tense::Plan) => ("+", GREEN, "will be created"),
            (Action::Create, Tense::Drift) => ("+", GREEN, "is missing from the platform"),
            (Action::Update | Action::NoOp, Tense::Plan) => {
                ("~", YELLOW, "will be updated in place")
            }
            (Action::Update | Action::NoOp, Tense::Drift) => {
                ("~", YELLOW, "differs from the config")
            }
            (Action::Delete, Tense::Plan) => ("-", RED, "will be destroyed"),
            (Action::Delete, Tense::Drift) => (
                "-",
                RED,
                "is managed but no longer in the config (apply would destroy it)",
            ),
        };
        writeln!(out)?;
        writeln!(
            out,
            "  {}",
            style.paint(BOLD, &format!("# {} {verb}", change.address))
        )?;
        let id = change
            .remote_id
            .as_deref()
            .map(|id| format!(" (id {id})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} {}{id}",
            style.paint(color, marker),
            change.address
        )?;
        let width = change
            .fields
            .iter()
            .map(|f| f.path.len())
            .max()
            .unwrap_or(0);
        for field in &change.fields {
            render_field(field, width, secrets, style, out)?;
        }
        if style.show_requests {
            let follow_ups = super::masked_follow_ups(change, secrets);
            let requests = change
                .request
                .is_some()
                .then(|| super::masked_request(change, secrets));
            for request in requests
                .iter()
                .chain(follow_ups.as_array().into_iter().flatten())
            {
                writeln!(
                    out,
                    "      {} {} {}",
                    style.paint(BOLD, "request:"),
                    request["method"].as_str().unwrap_or_default(),
                    request["path"].as_str().unwrap_or_default()
                )?;
                // A delete has no body to show.
                if !request["body"].is_null() {
                    let body = serde_json::to_string_pretty(&request["body"]).unwrap_or_default();
                    for line in body.lines() {
                        writeln!(out, "        {line}")?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn render_field(
    field: &FieldChange,
    width: usize,
    secrets: &Secrets,
    style: TextStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let (before, after) = shown_values(field, secrets);
    let path = format!("{:width$}", field.path);
    if field.sensitive && !field.write_only && before.is_some() && after.is_some() {
        return writeln!(
            out,
            "      {} {path} = (sensitive, changed)",
            style.paint(YELLOW, "~")
        );
    }
    if field.write_only {
        let shown = after
            .as_ref()
            .map_or_else(|| "(reset to the platform default)".to_owned(), show);
        writeln!(
            out,
            "      {} {path} = (write-only) → {shown}",
            style.paint(YELLOW, "~")
        )?;
        if let Some(note) = &field.note {
            writeln!(out, "          # {note}")?;
        }
        return Ok(());
    }
    let written = match (&before, &after) {
        (None, Some(after)) => writeln!(
            out,
            "      {} {path} = {}",
            style.paint(GREEN, "+"),
            show(after)
        ),
        (Some(before), None) => writeln!(
            out,
            "      {} {path} = {} → null",
            style.paint(RED, "-"),
            show(before)
        ),
        (Some(Value::String(old)), Some(Value::String(new)))
            if old.contains('\n') || new.contains('\n') =>
        {
            writeln!(out, "      {} {path} =", style.paint(YELLOW, "~"))?;
            render_text_diff(old, new, style, out)
        }
        (Some(before), Some(after)) => {
            writeln!(
                out,
                "      {} {path} = {} → {}",
                style.paint(YELLOW, "~"),
                show(before),
                show(after)
            )
        }
        (None, None) => Ok(()),
    };
    written?;
    // A readable field's note: the likely-typo hint on the `url` of a create.
    if let Some(note) = &field.note {
        writeln!(out, "          # {note}")?;
    }
    Ok(())
}

fn render_text_diff(
    old: &str,
    new: &str,
    style: TextStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let diff = TextDiff::from_lines(old, new);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        let (sign, color) = match change.tag() {
            ChangeTag::Delete => ("-", RED),
            ChangeTag::Insert => ("+", GREEN),
            ChangeTag::Equal => (" ", ""),
        };
        let text = format!("{sign} {line}");
        let shown = if color.is_empty() {
            text
        } else {
            style.paint(color, &text)
        };
        writeln!(out, "          {shown}")?;
    }
    Ok(())
}

/// JSON form: strings quoted, collections compact, so every value reads unambiguously.
fn show(value: &Value) -> String {
    value.to_string()
}
