//! `mcpform plan`: fetch, diff, render; optionally save the plan. Never writes to a platform
//! or to the state file.

use std::path::PathBuf;

use clap::Args;

use super::output::{emit, run_title};
use super::workspace::{RunOptions, Workspace, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::cli::{Format, OutputArgs, ParallelismArgs, SelectionArgs};
use crate::plan::file::PlanFile;
use crate::render::{self, TextStyle};

/// `mcpform plan`'s arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    output: OutputArgs,
    /// Exit 2 when there are changes, 0 when there are none
    #[arg(long)]
    detailed_exitcode: bool,
    /// Also save the plan here, for `mcpform apply FILE` (holds no secret value)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Show the exact request each change sends (text format; JSON and Markdown always do)
    #[arg(long)]
    show_requests: bool,
    #[command(flatten)]
    select: SelectionArgs,
    /// Delete the managed objects that left the config, as `prune: true` on every provider
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    parallelism: ParallelismArgs,
    /// Accepted as for `apply`; plan reads the state without locking it, so it never waits
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    lock_timeout: std::time::Duration,
    /// Send credentials to an endpoint other than the one the last apply recorded in the state
    /// (a deliberate move; apply records the new one)
    #[arg(long)]
    allow_endpoint_change: bool,
}

/// Prints the plan; with `--detailed-exitcode`, `Changes` when applying would send anything.
pub async fn run(settings: &Settings, args: &PlanArgs) -> Result<ExitStatus, CommandError> {
    let selection = args.select.selection();
    let workspace = Workspace::open(
        settings,
        &RunOptions {
            selection: &selection,
            read_only: true,
            check_selection: true,
            env: &process_env,
            lock: None,
            allow_endpoint_change: args.allow_endpoint_change,
            tool_discovery_timeout: None,
            prune: args.prune,
            parallelism: args.parallelism.get(),
        },
    )
    .await?;
    let plan = workspace.planner(&selection).plan().await;
    workspace.close().await;
    let plan = plan?;
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: settings.color_stdout,
        show_requests: args.show_requests,
    };
    let title = run_title(&args.output, &workspace, settings);
    emit(&args.output, |format, max_bytes, out| match format {
        Format::Text => render::render_text(&plan, secrets, style, out),
        Format::Json => render::render_json(&plan, secrets, out),
        Format::Markdown => render::render_markdown(&plan, secrets, &title, max_bytes, out),
    })?;
    if let Some(path) = &args.out {
        PlanFile::new(
            &plan,
            &workspace.config.files,
            &selection,
            args.prune,
            secrets,
            settings.fingerprint_key.as_ref(),
        )?
        .write(path)?;
        let shown = path.display();
        eprintln!("saved the plan to `{shown}`\nhelp: apply it with `mcpform apply {shown}`");
    }
    let status = if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    };
    workspace.finish();
    super::leave_to_exit(plan);
    Ok(status)
}
