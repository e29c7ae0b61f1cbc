//! The Markdown plan for pull-request comments: a marker line naming the run (so CI can update
//! its own comment in place, one per run title), a summary table that shows short changes as
//! `before → after`, then one `<details>` per resource with every field change and the exact
//! request. GitHub rejects comments over 65,536 characters, so the output stays within
//! a byte budget by dropping, in order, request bodies, then whole detail blocks, then table
//! rows, always at section boundaries (never mid-fence), and says what it cut.

use std::fmt::Write as _;

use serde_json::Value;

use super::{masked_body, shown_values};
use crate::mask::Secrets;
use crate::plan::{Action, FieldChange, Plan, ResourceChange};

/// The hidden first line a CI step searches for to find and update its previous comment: one
/// per kind of report and run title, so staging and production plans keep a comment each.
pub fn comment_marker(kind: &str, title: &str) -> String {
    // An HTML comment ends at the first `--`; the title must not end it early.
    let title: String = title
        .chars()
        .map(|c| {
            if c == '-' || c == '>' || c == '<' || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("<!-- mcpform:{kind}: {title} -->")
}

/// Values (as JSON) at most this long are shown `before → after` in the summary table.
const MAX_TABLE_VALUE_CHARS: usize = 40;

/// GitHub's comment limit is 65,536 characters; the default leaves room for a CI step's own text.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Longest value shown in a table cell before it is shortened.
const MAX_CELL_CHARS: usize = 200;

/// The plan as Markdown within `max_bytes`, for a pull-request comment headed by `title`;
/// secrets masked.
pub fn render_markdown(
    plan: &Plan,
    secrets: &Secrets,
    title: &str,
    max_bytes: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(markdown(plan, secrets, &secrets.mask_text(title), max_bytes).as_bytes())
}

fn markdown(plan: &Plan, secrets: &Secrets, title: &str, max_bytes: usize) -> String {
    let changed: Vec<&ResourceChange> = ordered(plan);
    let marker = comment_marker("plan", title);
    if changed.is_empty() {
        let configured = super::count(
            plan.changes.len(),
            "configured resource",
            "configured resources",
        );
        let kept = kept_line(plan);
        let kept = match kept.trim_end() {
            "" => String::new(),
            line => format!("\n{line}\n"),
        };
        return format!(
            "{marker}\n**mcpform plan · {}:** no changes ({configured} in sync).\n{kept}",
            html_escape(title)
        );
    }
    let sections = Sections {
        header: header(plan, &marker, title),
        rows: changed.iter().map(|c| table_row(c, secrets)).collect(),
        blocks: changed.iter().map(|c| details(c, secrets)).collect(),
        max_bytes,
    };
    // Cheapest cut first: bodies of the largest blocks, then whole blocks, then table rows.
    // Each step only adjusts the running size; the text is assembled once, at the end.
    let mut cut = Cut::new(&sections);
    let mut by_size: Vec<usize> = (0..changed.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(sections.blocks[i].full_len()));
    for &i in &by_size {
        if cut.len(&sections) <= max_bytes {
            return sections.assemble(&cut);
        }
        cut.set(&sections, i, Block::WithoutBody);
    }
    for &i in &by_size {
        if cut.len(&sections) <= max_bytes {
            return sections.assemble(&cut);
        }
        cut.set(&sections, i, Block::Omitted);
    }
    while cut.rows_kept > 0 && cut.len(&sections) > max_bytes {
        cut.rows_kept -= 1;
        cut.rows_bytes -= sections.rows[cut.rows_kept].len();
    }
    sections.assemble(&cut)
}

/// The table's column heads, before the first row.
const TABLE_HEAD: &str = "| Platform | Address | Action | Changes |\n|---|---|---|---|\n";

/// What closes every `<details>` block.
const DETAILS_END: &str = "\n</details>\n\n";

/// What stands in for a request body that was cut.
const BODY_LEFT_OUT: &str = "\n_Request body left out to fit the size budget._\n";

/// Every part of the comment, rendered once; assembling picks which parts fit.
struct Sections {
    header: String,
    rows: Vec<String>,
    blocks: Vec<Details>,
    max_bytes: usize,
}

/// One resource's `<details>`, in parts: with its body it is `head + body + DETAILS_END`,
/// without it `head + body_cut + DETAILS_END`.
struct Details {
    head: String,
    /// The request body's fence, or empty without a request.
    body: String,
    /// What replaces the body when it is cut; empty without a request.
    body_cut: &'static str,
}

impl Details {
    fn full_len(&self) -> usize {
        self.head.len() + self.body.len() + DETAILS_END.len()
    }

    fn short_len(&self) -> usize {
        self.head.len() + self.body_cut.len() + DETAILS_END.len()
    }

    fn len(&self, block: Block) -> usize {
        match block {
            Block::Full => self.full_len(),
            Block::WithoutBody => self.short_len(),
            Block::Omitted => 0,
        }
    }

    /// Whether leaving out the body makes the block shorter: only those count as cut.
    fn has_body_to_cut(&self) -> bool {
        self.short_len() < self.full_len()
    }

    fn push_to(&self, text: &mut String, block: Block) {
        match block {
            Block::Full => {
                text.push_str(&self.head);
                text.push_str(&self.body);
                text.push_str(DETAILS_END);
            }
            Block::WithoutBody => {
                text.push_str(&self.head);
                text.push_str(self.body_cut);
                text.push_str(DETAILS_END);
            }
            Block::Omitted => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Full,
    WithoutBody,
    Omitted,
}

/// Which parts are kept, with the running totals that give the assembled size without
/// assembling.
struct Cut {
    blocks: Vec<Block>,
    rows_kept: usize,
    /// Bytes of the kept table rows.
    rows_bytes: usize,
    /// Bytes of the kept `<details>` blocks, each as far as it is cut.
    blocks_bytes: usize,
    /// Blocks whose request body was cut (and that had one to cut).
    bodies_cut: usize,
    /// Blocks left out whole.
    omitted: usize,
}

impl Cut {
    /// Everything kept.
    fn new(sections: &Sections) -> Cut {
        Cut {
            blocks: vec![Block::Full; sections.blocks.len()],
            rows_kept: sections.rows.len(),
            rows_bytes: sections.rows.iter().map(String::len).sum(),
            blocks_bytes: sections.blocks.iter().map(Details::full_len).sum(),
            bodies_cut: 0,
            omitted: 0,
        }
    }

    /// Cuts block `i` to `block`, keeping the totals.
    fn set(&mut self, sections: &Sections, i: usize, block: Block) {
        let details = &sections.blocks[i];
        let counted = |b: Block| b == Block::WithoutBody && details.has_body_to_cut();
        let old = self.blocks[i];
        self.blocks_bytes = self.blocks_bytes - details.len(old) + details.len(block);
        self.bodies_cut = self.bodies_cut - usize::from(counted(old)) + usize::from(counted(block));
        self.omitted = self.omitted - usize::from(old == Block::Omitted)
            + usize::from(block == Block::Omitted);
        self.blocks[i] = block;
    }

    fn rows_cut(&self, sections: &Sections) -> usize {
        sections.rows.len() - self.rows_kept
    }

    /// The byte length of `sections.assemble(self)`, from the totals.
    fn len(&self, sections: &Sections) -> usize {
        let rows_cut = self.rows_cut(sections);
        sections.header.len()
            + TABLE_HEAD.len()
            + self.rows_bytes
            + rows_cut_line(rows_cut).len()
            + 1
            + self.blocks_bytes
            + sections.note(self).len()
    }
}

/// The table row that stands for the rows cut, if any.
fn rows_cut_line(rows_cut: usize) -> String {
    if rows_cut > 0 {
        format!("| | _… and {rows_cut} more_ | | |\n")
    } else {
        String::new()
    }
}

impl Sections {
    fn assemble(&self, cut: &Cut) -> String {
        let note = self.note(cut);
        let rows_cut = rows_cut_line(cut.rows_cut(self));
        let mut text = String::with_capacity(cut.len(self));
        text.push_str(&self.header);
        text.push_str(TABLE_HEAD);
        for row in &self.rows[..cut.rows_kept] {
            text.push_str(row);
        }
        text.push_str(&rows_cut);
        text.push('\n');
        for (details, &block) in self.blocks.iter().zip(&cut.blocks) {
            details.push_to(&mut text, block);
        }
        text.push_str(&note);
        text
    }

    /// The closing note of what was cut; empty when nothing was.
    fn note(&self, cut: &Cut) -> String {
        let mut cuts = Vec::new();
        if cut.bodies_cut > 0 {
            let resources = super::count(cut.bodies_cut, "resource", "resources");
            cuts.push(format!("request bodies of {resources}"));
        }
        if cut.omitted > 0 {
            let resources = super::count(cut.omitted, "resource", "resources");
            cuts.push(format!("details of {resources}"));
        }
        let rows_cut = cut.rows_cut(self);
        if rows_cut > 0 {
            cuts.push(super::count(rows_cut, "table row", "table rows"));
        }
        if cuts.is_empty() {
            return String::new();
        }
        // The reviewer may have no credentials to re-run the plan: point at what the CI job
        // already keeps.
        format!(
            "> [!NOTE]\n> Shortened to fit {} bytes: left out {}. The complete plan is in the \
             summary of the CI job that posted this (`--step-summary`), and in the plan file it \
             saved (`--out`).\n",
            self.max_bytes,
            cuts.join(", ")
        )
    }
}

/// Changed resources, creates before updates, each group by address.
fn ordered(plan: &Plan) -> Vec<&ResourceChange> {
    let rank = |a: Action| match a {
        Action::Create => 0,
        Action::Update => 1,
        Action::Delete => 2,
        Action::NoOp => 3,
    };
    let mut changed: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.sends()).collect();
    changed.sort_by(|a, b| (rank(a.action), &a.address).cmp(&(rank(b.action), &b.address)));
    changed
}

fn header(plan: &Plan, marker: &str, title: &str) -> String {
    let s = plan.summary();
    let mut header = format!(
        "{marker}\n### mcpform plan · {}\n\n**{} to create, {} to update, {} to delete, {} unchanged**\n\n",
        html_escape(title),
        s.create,
        s.update,
        s.delete,
        s.no_op
    );
    if s.delete > 0 {
        let deleted: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| code(&c.address))
            .collect();
        let _ = writeln!(
            header,
            "> [!WARNING]\n> This plan **deletes** {}: {}.\n",
            super::count(s.delete, "object", "objects"),
            deleted.join(", ")
        );
    }
    header.push_str(&kept_line(plan));
    header
}

/// One line naming the managed objects left in place although their config entry is gone.
fn kept_line(plan: &Plan) -> String {
    if plan.kept.is_empty() {
        return String::new();
    }
    let kept: Vec<String> = plan.kept.iter().map(|k| code(&k.address)).collect();
    format!(
        "No longer in the config, kept (pruning is off): {}.\n\n",
        kept.join(", ")
    )
}

fn table_row(change: &ResourceChange, secrets: &Secrets) -> String {
    let fields: Vec<String> = change
        .fields
        .iter()
        .map(|f| table_change(f, change.action, secrets))
        .collect();
    format!(
        "| {} | {} | {} | {} |\n",
        change.platform,
        code(&change.address),
        change.action.as_str(),
        fields.join("<br>")
    )
}

/// One field in the summary table: `path: before → after` when both values are short scalars
/// (a create shows the value it sets), else the path alone, its values in the details below.
fn table_change(field: &FieldChange, action: Action, secrets: &Secrets) -> String {
    if field.write_only {
        return format!("{} _(write-only)_", code(&field.path));
    }
    let (before, after) = shown_values(field, secrets);
    if field.sensitive {
        return format!("{} _(sensitive, changed)_", code(&field.path));
    }
    let short = |value: &Option<Value>| match value {
        None => Some("unset".to_owned()),
        Some(Value::Array(_) | Value::Object(_)) => None,
        // A multi-line text reads better in the details' table than escaped in one cell.
        Some(Value::String(text)) if text.contains('\n') => None,
        Some(scalar) => {
            let text = scalar.to_string();
            (text.chars().count() <= MAX_TABLE_VALUE_CHARS).then_some(text)
        }
    };
    match (short(&before), short(&after), action) {
        (_, Some(after), Action::Create) => code(&format!("{}: {after}", field.path)),
        (Some(before), Some(after), _) => code(&format!("{}: {before} → {after}", field.path)),
        _ => code(&field.path),
    }
}

fn details(change: &ResourceChange, secrets: &Secrets) -> Details {
    let mut head = String::new();
    let _ = writeln!(
        head,
        "<details><summary><code>{}</code>: {} ({})</summary>\n",
        html_escape(&change.address),
        change.action.as_str(),
        super::count(change.fields.len(), "field", "fields")
    );
    if !change.fields.is_empty() {
        head.push_str("| Field | Before | After |\n|---|---|---|\n");
    }
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
        let _ = writeln!(head, "| {} | {before} | {after} |", code(&field.path));
    }
    // Notes of readable fields (the likely-typo hint on a create's `url`); a write-only
    // field's note is already said by its "not readable" cell.
    for field in change.fields.iter().filter(|f| !f.write_only) {
        if let Some(note) = &field.note {
            let _ = writeln!(
                head,
                "\n> **Note** ({}): {}",
                code(&field.path),
                html_escape(note)
            );
        }
    }
    let mut body = String::new();
    let mut body_cut = "";
    if let Some(request) = &change.request {
        let lead = if change.fields.is_empty() { "" } else { "\n" };
        let _ = writeln!(
            head,
            "{lead}Request: `{} {}`",
            request.method.as_str(),
            request.path
        );
        // A delete has no body to show.
        if !request.body.is_null() {
            let json =
                serde_json::to_string_pretty(&masked_body(request, secrets)).unwrap_or_default();
            let fence = fence_for(&json);
            let _ = writeln!(body, "\n{fence}json\n{json}\n{fence}");
            body_cut = BODY_LEFT_OUT;
        }
    }
    // Follow-ups (PAIS tool approvals) are one small body each: listed in full, never cut.
    if !change.follow_ups.is_empty() {
        let _ = writeln!(head, "\nThen, one request per tool:\n");
        for follow_up in &change.follow_ups {
            let body = masked_body(&follow_up.request, secrets);
            let _ = writeln!(
                head,
                "- `{} {}` {}",
                follow_up.request.method.as_str(),
                follow_up.request.path,
                code(&body.to_string())
            );
        }
    }
    Details {
        head,
        body,
        body_cut,
    }
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

pub(super) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_cannot_end_the_marker_early() {
        assert_eq!(
            comment_marker("plan", "prod --> <b>x</b>\n--"),
            "<!-- mcpform:plan: prod b x /b -->"
        );
    }

    #[test]
    fn inline_code_escapes_pipes_and_backticks() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
    }

    fn change(i: usize, with_request: bool) -> ResourceChange {
        let text = format!(
            "value {i} {}",
            "`".repeat(i % 4) + &"x".repeat(i * 37 % 150)
        );
        ResourceChange {
            address: format!("pais/servers/s<{i}>"),
            provider: "pais".into(),
            platform: crate::config::model::Platform::Pais,
            action: if i.is_multiple_of(3) {
                Action::Create
            } else {
                Action::Update
            },
            remote_id: None,
            prevent_destroy: false,
            fields: (0..i % 3)
                .map(|f| crate::plan::FieldChange {
                    path: format!("f|{f}"),
                    before: None,
                    after: Some(Value::String(text.clone())),
                    sensitive: false,
                    write_only: f == 1,
                    note: None,
                })
                .collect(),
            request: with_request.then(|| crate::plan::Request {
                method: crate::plan::Method::Patch,
                path: format!("/x/{i}"),
                body: serde_json::json!({ "v": text }),
                sensitive: Vec::new(),
            }),
            follow_ups: Vec::new(),
            state_after: None,
            live: None,
        }
    }

    /// The running size is the assembled size in every state the cutting passes through, so
    /// it decides exactly as assembling after each cut did.
    #[test]
    fn running_size_matches_the_assembled_text_at_every_cut() {
        let changed: Vec<ResourceChange> = (0..30).map(|i| change(i, true)).collect();
        let secrets = Secrets::default();
        for max_bytes in [0, 999, 60_000] {
            let sections = Sections {
                header: "h\n".into(),
                rows: changed.iter().map(|c| table_row(c, &secrets)).collect(),
                blocks: changed.iter().map(|c| details(c, &secrets)).collect(),
                max_bytes,
            };
            let mut cut = Cut::new(&sections);
            let check = |cut: &Cut| assert_eq!(cut.len(&sections), sections.assemble(cut).len());
            check(&cut);
            for block in [Block::WithoutBody, Block::Omitted] {
                for i in (0..changed.len()).rev() {
                    cut.set(&sections, i, block);
                    check(&cut);
                }
            }
            while cut.rows_kept > 0 {
                cut.rows_kept -= 1;
                cut.rows_bytes -= sections.rows[cut.rows_kept].len();
                check(&cut);
            }
        }
        // A block without a request has no body to cut and is not counted as cut.
        let plain = details(&change(4, false), &secrets);
        assert!(!plain.has_body_to_cut());
    }

    #[test]
    fn cut_output_stays_within_any_budget_and_balanced() {
        let plan = Plan {
            kept: Vec::new(),
            gone: Vec::new(),
            changes: (0..60).map(|i| change(i, true)).collect(),
        };
        let secrets = Secrets::default();
        let whole = markdown(&plan, &secrets, "t", usize::MAX);
        for max_bytes in (1_500..whole.len() + 10).step_by(997) {
            let text = markdown(&plan, &secrets, "t", max_bytes);
            assert!(text.len() <= max_bytes, "{} > {max_bytes}", text.len());
            assert_eq!(
                text.matches("<details>").count(),
                text.matches("</details>").count()
            );
        }
    }

    #[test]
    fn fences_outgrow_backticks_in_the_body() {
        assert_eq!(fence_for("{}"), "```");
        assert_eq!(fence_for("````"), "`````");
    }
}
