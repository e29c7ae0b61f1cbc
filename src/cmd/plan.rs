//! `mcpform plan`: fetch, diff, render. Never writes to a platform or to the state file.

use std::process::ExitCode;

use super::workspace::Workspace;
use crate::cli::{Format, GlobalArgs, PlanArgs};
use crate::render::{self, TextStyle};

pub async fn run(global: &GlobalArgs, args: &PlanArgs) -> miette::Result<ExitCode> {
    let workspace = Workspace::open(global, &super::workspace::process_env)?;
    let plan = workspace.plan().await?;
    let mut out = std::io::stdout().lock();
    let secrets = &workspace.config.secrets;
    match args.format {
        Format::Text => render::render_text(
            &plan,
            secrets,
            TextStyle {
                color: super::stdout_color(global),
            },
            &mut out,
        ),
        Format::Json => render::render_json(&plan, secrets, &mut out),
    }
    .map_err(|e| miette::miette!("cannot write the plan to stdout: {e}"))?;
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(super::EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}
