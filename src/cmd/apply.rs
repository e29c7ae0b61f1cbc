//! `mcpform apply`: plan, confirm, execute, record write-only fingerprints, report. Sends
//! only planned requests; a saved plan is applied exactly as reviewed or, when stale, not at all.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use miette::Diagnostic;

use super::workspace::{RunOptions, Workspace, process_env};
use super::{CommandError, ErrorKind, ExitStatus, Settings};
use crate::apply::{self, ResourceResult};
use crate::cli::{ParallelismArgs, SelectionArgs};
use crate::plan::file::PlanFile;
use crate::provider::Verdict;
use crate::render::{self, TextStyle, count};

/// `mcpform apply`'s arguments.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`: send exactly its requests, or nothing if it is stale (exit 3)
    #[arg(value_name = "PLANFILE")]
    plan_file: Option<PathBuf>,
    /// Apply without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    auto_approve: bool,
    #[command(flatten)]
    parallelism: ParallelismArgs,
    #[command(flatten)]
    select: SelectionArgs,
    /// Delete the managed objects that left the config, as `prune: true` on every provider
    #[arg(long)]
    prune: bool,
    /// Wait up to this long for another run's lock on the state (`30s`, `5m`); `0s` fails at once
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    lock_timeout: std::time::Duration,
    /// Send credentials to an endpoint other than the one the last apply recorded in the state
    /// (a deliberate move; apply records the new one)
    #[arg(long)]
    allow_endpoint_change: bool,
    /// How long to wait for PAIS to discover the tools `approve_tools` lists that are not there yet
    /// (a new server's); one still missing by then fails its server
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    discovery_timeout: std::time::Duration,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("refusing to apply without confirmation: stdin is not a terminal")]
#[diagnostic(
    code(mcpform::apply::needs_approval),
    help("review the changes with `mcpform plan`, then run `mcpform apply --auto-approve`")
)]
struct NeedsApproval;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{failed} of {} failed to apply", count(*.total, "resource", "resources"))]
#[diagnostic(
    code(mcpform::apply::failed),
    help("fix the cause, then re-run `mcpform apply`: resources already applied show no changes")
)]
struct ApplyFailed {
    failed: usize,
    total: usize,
}

/// Applies a fresh plan after confirmation, or a saved one; `Failure` when cancelled.
pub async fn run(settings: &Settings, args: &ApplyArgs) -> Result<ExitStatus, CommandError> {
    // Applying a saved plan is the approval: it was reviewed when it was made.
    let approved = args.auto_approve || args.plan_file.is_some();
    if !approved && !std::io::stdin().is_terminal() {
        return Err(CommandError::user(NeedsApproval));
    }
    // A saved plan carries the selection it was made with.
    let saved = args.plan_file.as_deref().map(PlanFile::read).transpose()?;
    if saved.is_some() && !(args.select.targets.is_empty() && args.select.excludes.is_empty()) {
        return Err(CommandError::user(miette::miette!(
            help = "drop --target/--exclude: the plan file applies exactly the resources it was made for",
            "a saved plan carries its own selection"
        )));
    }
    let selection = saved
        .as_ref()
        .map_or_else(|| args.select.selection(), |s| s.selection.clone());
    let options = RunOptions {
        selection: &selection,
        read_only: false,
        check_selection: saved.is_none(),
        env: &process_env,
        lock: Some(("apply", args.lock_timeout)),
        allow_endpoint_change: args.allow_endpoint_change,
        tool_discovery_timeout: Some(args.discovery_timeout),
        // A saved plan carries whether it was made with `--prune`.
        prune: saved.as_ref().map_or(args.prune, |s| s.prune),
        parallelism: args.parallelism.get(),
    };
    // The lock is held from before the state is read (and the live state planned) until the
    // state is written back: a second apply waits or fails, and never plans from stale state.
    let mut workspace = Workspace::open(settings, &options).await?;
    let result = plan_and_apply(settings, args, &mut workspace, saved.as_ref(), approved).await;
    workspace.close().await;
    let released = workspace.release().await;
    // A lock that could not be released matters only when the run itself succeeded.
    result.and_then(|status| released.map(|()| status))
}

/// Everything after the workspace is open; `run` closes it and releases the state's lock
/// whatever this returns.
async fn plan_and_apply(
    settings: &Settings,
    args: &ApplyArgs,
    workspace: &mut Workspace,
    saved: Option<&PlanFile>,
    approved: bool,
) -> Result<ExitStatus, CommandError> {
    let selection = saved.map_or_else(|| args.select.selection(), |s| s.selection.clone());
    let plan = workspace.planner(&selection).plan().await?;
    if let Some(saved) = saved {
        saved.verify(
            &plan,
            &workspace.config.files,
            &workspace.config.secrets,
            settings.fingerprint_key.as_ref(),
        )?;
    }
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: settings.color_stdout,
        show_requests: false,
    };
    {
        // One buffer, flushed once: stdout's own buffering flushes at every line.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        render::render_text(&plan, secrets, style, &mut stdout)
            .and_then(|()| std::io::Write::flush(&mut stdout))
            .map_err(|e| {
                CommandError::local(miette::miette!("cannot write the plan to stdout: {e}"))
            })?;
    }
    if !plan.has_changes() {
        // Ownership of the matched objects, the endpoints the credentials went to (a first
        // apply, an allowed move), and records of an older state format that matched
        // (rewritten in the new one).
        let before = workspace.state.to_text();
        apply::record_applied(&mut workspace.state, &plan, &[]);
        workspace.record_origins();
        if workspace.state.has_upgrades() || workspace.state.to_text() != before {
            workspace.save_state().await?;
        }
        return Ok(ExitStatus::Success);
    }
    if !approved && !confirm()? {
        println!("\nApply cancelled; nothing was sent.");
        return Ok(ExitStatus::Failure);
    }

    println!();
    let results = apply::execute(
        &plan,
        &workspace.accounts,
        args.parallelism.get(),
        &|result| {
            if settings.verbose {
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

    let before = workspace.state.to_text();
    apply::record_applied(&mut workspace.state, &plan, &results);
    workspace.record_origins();
    if workspace.state.has_upgrades() || workspace.state.to_text() != before {
        workspace.save_state().await?;
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
        let error = ApplyFailed {
            failed,
            total: results.len(),
        };
        return Err(CommandError::new(ErrorKind::Platform, error));
    }
    Ok(ExitStatus::Success)
}

fn confirm() -> Result<bool, CommandError> {
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CommandError::local(miette::miette!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

/// One line per resource, saying plainly whether the platform has the change.
fn describe(result: &ResourceResult) -> String {
    let address = &result.change.address;
    let verb = result.change.action.as_str();
    match &result.outcome {
        Ok(_) => format!("✓ {address}: {verb} applied"),
        Err(error) => format!(
            "✗ {address}: {verb} failed, {}: {error}",
            describe_verdict(error.verdict)
        ),
    }
}

/// What the platform has after a failed write, and where to look when it is unsure.
fn describe_verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::LeftUntouched => "left untouched",
        Verdict::NotConfirmed => "not confirmed (run `mcpform plan` to see whether it took effect)",
        Verdict::NotAppliedAsPlanned => {
            "not applied as planned (run `mcpform plan` to see the live state)"
        }
        Verdict::Conflict => {
            "conflict with another writer (run `mcpform plan` to see the live state)"
        }
    }
}
