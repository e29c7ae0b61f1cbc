//! `mcpform plan`: fetch, diff, render; optionally save the plan. Never writes to a platform
//! or to the state file.

use std::process::ExitCode;

use super::output::emit;
use super::workspace::{RunOptions, Workspace, process_env};
use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::plan::file::PlanFile;
use crate::render::{self, TextStyle};

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> miette::Result<ExitCode> {
    let selection = args.select.selection();
    let workspace = Workspace::open(
        global,
        &RunOptions {
            selection: &selection,
            read_only: true,
            env: &process_env,
        },
    )?;
    let plan = workspace.planner().plan().await?;
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: super::stdout_color(global),
        show_requests: args.show_requests,
    };
    emit(&args.output, |format, out| match format {
        Format::Text => render::render_text(&plan, secrets, style, out),
        Format::Json => render::render_json(&plan, secrets, out),
        Format::Markdown => render::render_markdown(&plan, secrets, args.output.max_bytes, out),
    })?;
    if let Some(path) = &args.out {
        PlanFile::new(&plan, &workspace.config.files, &selection, secrets)?.write(path)?;
        eprintln!(
            "Saved the plan to {}; apply it with `mcpform apply {}`.",
            path.display(),
            path.display()
        );
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(super::EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}
