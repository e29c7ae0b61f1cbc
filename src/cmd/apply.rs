//! `mcpform apply`: plan, confirm, execute, record write-only fingerprints, report.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use miette::Diagnostic;

use super::workspace::{RunOptions, Workspace, process_env};
use crate::apply::{self, ResourceResult};
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::http::HttpError;
use crate::plan::file::PlanFile;
use crate::provider::WriteError;
use crate::render::{self, TextStyle};

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("refusing to apply without confirmation: stdin is not a terminal")]
#[diagnostic(
    code(mcpform::apply::needs_approval),
    help("review the changes with `mcpform plan`, then run `mcpform apply --auto-approve`")
)]
struct NeedsApproval;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{failed} of {total} resource(s) failed to apply")]
#[diagnostic(
    code(mcpform::apply::failed),
    help("fix the cause, then re-run `mcpform apply`: resources already applied show no changes")
)]
struct ApplyFailed {
    failed: usize,
    total: usize,
}

pub async fn run(global: &GlobalArgs, args: &ApplyArgs) -> miette::Result<ExitCode> {
    // Applying a saved plan is the approval: it was reviewed when it was made.
    let approved = args.auto_approve || args.plan_file.is_some();
    if !approved && !std::io::stdin().is_terminal() {
        return Err(NeedsApproval.into());
    }
    // A saved plan carries the selection it was made with.
    let saved = args.plan_file.as_deref().map(PlanFile::read).transpose()?;
    if saved.is_some() && !(args.select.targets.is_empty() && args.select.excludes.is_empty()) {
        return Err(miette::miette!(
            help = "drop --target/--exclude: the plan file applies exactly the resources it was made for",
            "a saved plan carries its own selection"
        ));
    }
    let selection = saved
        .as_ref()
        .map_or_else(|| args.select.selection(), |s| s.selection.clone());
    let options = RunOptions {
        selection: &selection,
        read_only: false,
        env: &process_env,
    };
    let mut workspace = Workspace::open(global, &options)?;
    let plan = workspace.planner().plan().await?;
    if let Some(saved) = &saved {
        if let Err(stale) = saved.verify(&plan, &workspace.config.files) {
            eprintln!("{:?}", miette::Report::new(stale));
            return Ok(ExitCode::from(super::EXIT_STALE_PLAN));
        }
    }
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: super::stdout_color(global),
        show_requests: false,
    };
    render::render_text(&plan, secrets, style, &mut std::io::stdout().lock())
        .map_err(|e| miette::miette!("cannot write the plan to stdout: {e}"))?;
    if !plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    if !approved && !confirm()? {
        println!("\nApply cancelled; nothing was sent.");
        return Ok(ExitCode::FAILURE);
    }

    println!();
    let results = apply::execute(
        &plan,
        &workspace.accounts,
        args.parallelism as usize,
        &|result| {
            if global.verbose {
                eprintln!(
                    "{}: {}",
                    result.change.address,
                    if result.outcome.is_ok() {
                        "done"
                    } else {
                        "failed"
                    }
                );
            }
        },
    )
    .await;
    for result in &results {
        println!("{}", describe(result));
    }

    apply::record_applied(&mut workspace.state, &results);
    if results
        .iter()
        .any(|r| r.outcome.is_ok() && r.change.state_after.is_some())
    {
        workspace.state.save(&workspace.state_path)?;
    }

    let failed = results.iter().filter(|r| r.outcome.is_err()).count();
    println!(
        "\nApply {}: {} applied, {failed} failed.",
        if failed == 0 {
            "complete"
        } else {
            "incomplete"
        },
        results.len() - failed
    );
    if failed > 0 {
        return Err(ApplyFailed {
            failed,
            total: results.len(),
        }
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

fn confirm() -> miette::Result<bool> {
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| miette::miette!("cannot read the answer: {e}"))?;
    Ok(answer.trim() == "yes")
}

/// One line per resource, saying plainly whether the platform has the change.
fn describe(result: &ResourceResult) -> String {
    let address = &result.change.address;
    let verb = result.change.action.as_str();
    match &result.outcome {
        Ok(()) => format!("✓ {address}: {verb} applied"),
        Err(error) => format!("✗ {address}: {verb} failed, {}: {error}", certainty(error)),
    }
}

/// Whether the platform may have applied a failed request anyway.
fn certainty(error: &WriteError) -> &'static str {
    match error {
        WriteError::Http(HttpError::Status { status, .. }) if *status < 500 || *status == 503 => {
            "left untouched"
        }
        WriteError::Http(HttpError::Status { message, .. })
            if message.contains("rolled the change back") =>
        {
            "left untouched"
        }
        WriteError::Http(_) => "not confirmed (run `mcpform plan` to see whether it took effect)",
        WriteError::NotApplied(_) => {
            "not applied as planned (run `mcpform plan` to see the live state)"
        }
    }
}
