//! The drift report: text, JSON and Markdown, read straight from a `DriftReport`.
//! Pure: writes to the given `Write`, masks every secret, and never decides the exit status.

use std::fmt::Write as _;
use std::io::Write;

use serde_json::{Value, json};

use super::text::{Tense, TextStyle, render_changes};
use super::{masked_values, shown_values};
use crate::drift::DriftReport;
use crate::mask::Secrets;
use crate::plan::Action;

fn status(action: Action) -> &'static str {
    match action {
        Action::NoOp => "in-sync",
        Action::Update => "differs",
        Action::Create => "missing",
        Action::Delete => "not-in-config",
    }
}

/// What drift could not see, when anything: "Not checked: 2 write-only fields …".
fn unchecked_line(report: &DriftReport) -> Option<String> {
    if report.unchecked.is_empty() {
        return None;
    }
    let per_provider: Vec<String> = report
        .unchecked_by_provider()
        .into_iter()
        .map(|(provider, n)| format!("{provider}: {n}"))
        .collect();
    Some(format!(
        "Not checked: {} the platforms never return ({}); a change made to {} outside mcpform \
         does not show here.",
        super::count(
            report.unchecked.len(),
            "write-only field",
            "write-only fields"
        ),
        per_provider.join(", "),
        if report.unchecked.len() == 1 {
            "it"
        } else {
            "them"
        }
    ))
}

fn coverage_line(report: &DriftReport) -> String {
    let mut line = match report.coverage_percent() {
        Some(percent) => {
            let managed: usize = report
                .coverage
                .iter()
                .filter(|c| c.total.is_some())
                .map(|c| c.managed)
                .sum();
            let total: usize = report.coverage.iter().filter_map(|c| c.total).sum();
            format!("Coverage: {managed} of {total} live objects are managed ({percent:.0}%).")
        }
        None => "Coverage: no platform here can list its objects.".to_owned(),
    };
    let unlisted: Vec<&str> = report
        .coverage
        .iter()
        .filter(|c| c.total.is_none())
        .map(|c| c.provider.as_str())
        .collect();
    if !unlisted.is_empty() {
        let _ = write!(
            line,
            " Not listable, so not counted: {}.",
            unlisted.join(", ")
        );
    }
    line
}

/// The drift report as text.
pub fn render_drift_text(
    report: &DriftReport,
    secrets: &Secrets,
    style: TextStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let configured = report.plan.changes.len();
    match report.drifted() {
        0 => writeln!(
            out,
            "No drift. {} the live state.",
            match configured {
                1 => "1 configured resource matches".to_owned(),
                n => format!("{n} configured resources match"),
            }
        )?,
        n => {
            writeln!(
                out,
                "Drift: {n} of {} {} from the config (before = live, after = config).",
                super::count(configured, "configured resource", "configured resources"),
                if n == 1 { "differs" } else { "differ" }
            )?;
            render_changes(&report.plan, secrets, style, Tense::Drift, out)?;
        }
    }
    if !report.unmanaged.is_empty() {
        writeln!(
            out,
            "\nUnmanaged: {} that no config names:",
            super::count(report.unmanaged.len(), "live object", "live objects")
        )?;
        for object in &report.unmanaged {
            writeln!(out, "  {}", object.address)?;
        }
    }
    if !report.plan.kept.is_empty() {
        writeln!(
            out,
            "\nNo longer in the config: {} mcpform manages, kept since pruning is off (`--prune` would delete them):",
            super::count(report.plan.kept.len(), "live object", "live objects")
        )?;
        for kept in &report.plan.kept {
            writeln!(out, "  {} (id {})", kept.address, kept.remote_id)?;
        }
    }
    if let Some(line) = unchecked_line(report) {
        writeln!(out, "\n{line}")?;
    }
    writeln!(out, "\n{}", coverage_line(report))
}

/// The drift report as one JSON document.
pub fn render_drift_json(
    report: &DriftReport,
    secrets: &Secrets,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let resources: Vec<Value> = report
        .plan
        .changes
        .iter()
        .map(|change| {
            let fields: Vec<Value> = change
                .fields
                .iter()
                .map(|field| {
                    let (live, config) = masked_values(field, secrets);
                    json!({"path": field.path, "live": live, "config": config, "write_only": field.write_only})
                })
                .collect();
            json!({
                "address": change.address,
                "provider": change.provider,
                "platform": change.platform.as_str(),
                "status": status(change.action),
                "fields": fields,
            })
        })
        .collect();
    let unmanaged: Vec<Value> = report
        .unmanaged
        .iter()
        .map(|u| json!({"provider": u.provider, "platform": u.platform.as_str(), "id": u.id, "name": u.name, "address": u.address}))
        .collect();
    let providers: Vec<Value> = report
        .coverage
        .iter()
        .map(|c| json!({"provider": c.provider, "platform": c.platform.as_str(), "managed": c.managed, "total": c.total}))
        .collect();
    let unchecked: Vec<Value> = report
        .unchecked
        .iter()
        .map(|u| json!({"provider": u.provider, "address": u.address, "field": u.field}))
        .collect();
    let mut document = json!({
        "format_version": "1",
        "drifted": report.drifted(),
        "resources": resources,
        "unmanaged": unmanaged,
        "unchecked": {"count": unchecked.len(), "providers": report.unchecked_by_provider(), "fields": unchecked},
        "coverage": {"percent": report.coverage_percent(), "providers": providers},
    });
    if !report.plan.kept.is_empty() {
        // Managed objects whose config entry is gone, left in place: pruning is off.
        document["kept"] = report
            .plan
            .kept
            .iter()
            .map(|k| json!({"address": k.address, "provider": k.provider, "platform": k.platform.as_str(), "id": k.remote_id}))
            .collect();
    }
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// The drift report as Markdown headed by `title`, within `max_bytes`.
pub fn render_drift_markdown(
    report: &DriftReport,
    secrets: &Secrets,
    title: &str,
    max_bytes: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let title = secrets.mask_text(title);
    let mut text = format!(
        "{}\n### mcpform drift · {}\n\n",
        super::markdown::comment_marker("drift", &title),
        super::markdown::html_escape(&title)
    );
    let drifted: Vec<_> = report
        .plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    let _ = writeln!(
        text,
        "**{} of {} {}, {} unmanaged**\n",
        drifted.len(),
        super::count(
            report.plan.changes.len(),
            "configured resource",
            "configured resources"
        ),
        if drifted.len() == 1 {
            "differs"
        } else {
            "differ"
        },
        report.unmanaged.len()
    );
    if !drifted.is_empty() {
        text.push_str("| Address | Status | Fields (live → config) |\n|---|---|---|\n");
        for change in &drifted {
            let fields: Vec<String> = change
                .fields
                .iter()
                .map(|f| {
                    let (live, config) = shown_values(f, secrets);
                    let show =
                        |v: Option<Value>| v.map_or_else(|| "unset".to_owned(), |v| v.to_string());
                    let shown = match (f.write_only, f.sensitive, &live, &config) {
                        (true, _, _, _) => format!("write-only → {}", show(config)),
                        (false, true, Some(_), Some(_)) => "(sensitive, changed)".to_owned(),
                        _ => format!("{} → {}", show(live), show(config)),
                    };
                    super::markdown::code(&format!("{}: {shown}", f.path))
                })
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} | {} |",
                super::markdown::code(&change.address),
                status(change.action),
                fields.join("<br>")
            );
        }
        text.push('\n');
    }
    if !report.unmanaged.is_empty() {
        text.push_str(
            "<details><summary>Unmanaged live objects</summary>\n\n| Address | Id |\n|---|---|\n",
        );
        for u in &report.unmanaged {
            let _ = writeln!(
                text,
                "| {} | {} |",
                super::markdown::code(&u.address),
                super::markdown::code(&u.id)
            );
        }
        text.push_str("\n</details>\n\n");
    }
    if let Some(line) = unchecked_line(report) {
        let _ = writeln!(text, "{line}\n");
    }
    let _ = writeln!(text, "{}", coverage_line(report));
    if text.len() > max_bytes {
        // Rows are independent lines: cut whole lines and close what was opened.
        let mut cut = String::new();
        for line in text.lines() {
            if cut.len() + line.len() + 200 > max_bytes {
                break;
            }
            cut.push_str(line);
            cut.push('\n');
        }
        if cut.matches("<details>").count() > cut.matches("</details>").count() {
            cut.push_str("\n</details>\n");
        }
        let _ = writeln!(
            cut,
            "\n> [!NOTE]\n> Shortened to fit {max_bytes} bytes. The complete report is in the \
             summary of the CI job that posted this (`--step-summary`)."
        );
        text = cut;
    }
    out.write_all(text.as_bytes())
}
