//! The Markdown plan for pull-request comments: a marker line (so CI can update its comment in
//! place), a summary table, then one `<details>` per resource with its field changes and the
//! exact request. GitHub rejects comments over 65,536 characters, so the output stays within
//! a byte budget by dropping, in order, request bodies, then whole detail blocks, then table
//! rows, always at section boundaries (never mid-fence), and says what it cut.

use std::fmt::Write as _;

use serde_json::Value;

use super::{masked_body, shown_values};
use crate::mask::Secrets;
use crate::plan::{Action, Plan, ResourceChange};

/// The hidden first line a CI step searches for to find and update its previous comment.
pub const COMMENT_MARKER: &str = "<!-- mcpform:plan -->";

/// GitHub's comment limit is 65,536 characters; the default leaves room for a CI step's own text.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Longest value shown in a table cell before it is shortened.
const MAX_CELL_CHARS: usize = 200;

/// The plan as Markdown within `max_bytes`, for a pull-request comment; secrets masked.
pub fn render_markdown(
    plan: &Plan,
    secrets: &Secrets,
    max_bytes: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(markdown(plan, secrets, max_bytes).as_bytes())
}

fn markdown(plan: &Plan, secrets: &Secrets, max_bytes: usize) -> String {
    let changed: Vec<&ResourceChange> = ordered(plan);
    if changed.is_empty() {
        let configured = super::count(
            plan.changes.len(),
            "configured resource",
            "configured resources",
        );
        return format!("{COMMENT_MARKER}\n**mcpform plan:** no changes ({configured} in sync).\n");
    }
    let sections = Sections {
        header: header(plan),
        rows: changed.iter().map(|c| table_row(c)).collect(),
        full: changed.iter().map(|c| details(c, secrets, true)).collect(),
        short: changed.iter().map(|c| details(c, secrets, false)).collect(),
        max_bytes,
    };
    // Cheapest cut first: bodies of the largest blocks, then whole blocks, then table rows.
    let mut cut = Cut {
        blocks: vec![Block::Full; changed.len()],
        rows_kept: changed.len(),
    };
    let mut by_size: Vec<usize> = (0..changed.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(sections.full[i].len()));
    for &i in &by_size {
        if sections.assemble(&cut).len() <= max_bytes {
            return sections.assemble(&cut);
        }
        cut.blocks[i] = Block::WithoutBody;
    }
    for &i in &by_size {
        if sections.assemble(&cut).len() <= max_bytes {
            return sections.assemble(&cut);
        }
        cut.blocks[i] = Block::Omitted;
    }
    while cut.rows_kept > 0 && sections.assemble(&cut).len() > max_bytes {
        cut.rows_kept -= 1;
    }
    sections.assemble(&cut)
}

/// Every part of the comment, rendered once; assembling picks which parts fit.
struct Sections {
    header: String,
    rows: Vec<String>,
    full: Vec<String>,
    short: Vec<String>,
    max_bytes: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Full,
    WithoutBody,
    Omitted,
}

struct Cut {
    blocks: Vec<Block>,
    rows_kept: usize,
}

impl Sections {
    fn assemble(&self, cut: &Cut) -> String {
        let mut text = self.header.clone();
        text.push_str("| Platform | Address | Action | Fields changed |\n|---|---|---|---|\n");
        for row in &self.rows[..cut.rows_kept] {
            text.push_str(row);
        }
        let rows_cut = self.rows.len() - cut.rows_kept;
        if rows_cut > 0 {
            let _ = writeln!(text, "| | _… and {rows_cut} more_ | | |");
        }
        text.push('\n');
        for (i, block) in cut.blocks.iter().enumerate() {
            match block {
                Block::Full => text.push_str(&self.full[i]),
                Block::WithoutBody => text.push_str(&self.short[i]),
                Block::Omitted => {}
            }
        }
        let count = |kind: Block| cut.blocks.iter().filter(|b| **b == kind).count();
        let mut cuts = Vec::new();
        // A block with no body to cut is as short as it gets; only count real cuts.
        let bodies_cut = (0..cut.blocks.len())
            .filter(|&i| {
                cut.blocks[i] == Block::WithoutBody && self.short[i].len() < self.full[i].len()
            })
            .count();
        if bodies_cut > 0 {
            let resources = super::count(bodies_cut, "resource", "resources");
            cuts.push(format!("request bodies of {resources}"));
        }
        if count(Block::Omitted) > 0 {
            let resources = super::count(count(Block::Omitted), "resource", "resources");
            cuts.push(format!("details of {resources}"));
        }
        if rows_cut > 0 {
            cuts.push(super::count(rows_cut, "table row", "table rows"));
        }
        if !cuts.is_empty() {
            let _ = writeln!(
                text,
                "> [!NOTE]\n> Shortened to fit {} bytes: left out {}. Run `mcpform plan` to see everything.",
                self.max_bytes,
                cuts.join(", ")
            );
        }
        text
    }
}

/// Changed resources, creates before updates, each group by address.
fn ordered(plan: &Plan) -> Vec<&ResourceChange> {
    let rank = |a: Action| match a {
        Action::Create => 0,
        Action::Update => 1,
        Action::NoOp => 2,
    };
    let mut changed: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.request.is_some())
        .collect();
    changed.sort_by(|a, b| (rank(a.action), &a.address).cmp(&(rank(b.action), &b.address)));
    changed
}

fn header(plan: &Plan) -> String {
    let s = plan.summary();
    format!(
        "{COMMENT_MARKER}\n### mcpform plan: {} to create, {} to update, {} to delete, {} unchanged\n\n",
        s.create, s.update, s.delete, s.no_op
    )
}

fn table_row(change: &ResourceChange) -> String {
    let fields: Vec<String> = change.fields.iter().map(|f| code(&f.path)).collect();
    format!(
        "| {} | {} | {} | {} |\n",
        change.platform,
        code(&change.address),
        change.action.as_str(),
        fields.join(", ")
    )
}

fn details(change: &ResourceChange, secrets: &Secrets, with_body: bool) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "<details><summary><code>{}</code>: {} ({})</summary>\n",
        html_escape(&change.address),
        change.action.as_str(),
        super::count(change.fields.len(), "field", "fields")
    );
    text.push_str("| Field | Before | After |\n|---|---|---|\n");
    for field in &change.fields {
        let (before, after) = shown_values(field, secrets);
        let before = if field.write_only {
            "_(write-only: not readable)_".to_owned()
        } else {
            cell(before.as_ref())
        };
        let after = match (&after, field.write_only) {
            (None, true) => "_(reset to the platform default)_".to_owned(),
            (Some(_), false) if field.sensitive && before != "_(unset)_" => {
                "_(sensitive, changed)_".to_owned()
            }
            _ => cell(after.as_ref()),
        };
        let _ = writeln!(text, "| {} | {before} | {after} |", code(&field.path));
    }
    if let Some(request) = &change.request {
        let _ = writeln!(
            text,
            "\nRequest: `{} {}`",
            request.method.as_str(),
            request.path
        );
        if with_body {
            let body =
                serde_json::to_string_pretty(&masked_body(request, secrets)).unwrap_or_default();
            let fence = fence_for(&body);
            let _ = writeln!(text, "\n{fence}json\n{body}\n{fence}");
        } else {
            text.push_str("\n_Request body left out to fit the size budget._\n");
        }
    }
    text.push_str("\n</details>\n\n");
    text
}

/// A table cell: the value as inline code, shortened, with pipes escaped so the table holds.
fn cell(value: Option<&Value>) -> String {
    match value {
        None => "_(unset)_".to_owned(),
        Some(value) => {
            let text = value.to_string();
            let shown = if text.chars().count() > MAX_CELL_CHARS {
                format!("{}…", text.chars().take(MAX_CELL_CHARS).collect::<String>())
            } else {
                text
            };
            code(&shown)
        }
    }
}

/// Inline code that survives any content: backticks get a longer delimiter, pipes and
/// newlines cannot break the table.
pub(super) fn code(text: &str) -> String {
    let text = text.replace('|', "\\|").replace('\n', " ");
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// A code fence longer than any backtick run inside the block.
fn fence_for(body: &str) -> String {
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest_run.max(2) + 1)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_escapes_pipes_and_backticks() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
    }

    #[test]
    fn fences_outgrow_backticks_in_the_body() {
        assert_eq!(fence_for("{}"), "```");
        assert_eq!(fence_for("````"), "`````");
    }
}
