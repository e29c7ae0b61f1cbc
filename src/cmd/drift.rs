//! `mcpform drift`: read-only by construction (its HTTP clients refuse every write), for
//! scheduled jobs: 0 in sync, 2 drift (or unmanaged objects with `--fail-on-unmanaged`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use super::output::emit;
use super::workspace::{RunOptions, Workspace, process_env};
use crate::cli::{DriftArgs, Format, GlobalArgs};
use crate::drift::{DriftReport, ProviderLive};
use crate::render::{self, TextStyle};

pub async fn run(global: &GlobalArgs, args: &DriftArgs) -> miette::Result<ExitCode> {
    let selection = args.select.selection();
    let workspace = Workspace::open(
        global,
        &RunOptions {
            selection: &selection,
            read_only: true,
            env: &process_env,
        },
    )?;
    // A narrowed run cannot tell unmanaged objects from configured ones it left out.
    let live = workspace.planner().fetch(selection.is_everything()).await?;
    let plan = workspace.planner().diff(&live)?;
    let listings: BTreeMap<String, ProviderLive> = live
        .iter()
        .map(|(name, objects)| {
            let provider = &workspace.accounts[name].provider;
            let complete = provider.lists_everything() && selection.is_everything();
            (
                name.clone(),
                ProviderLive {
                    platform: provider.platform(),
                    objects,
                    complete,
                },
            )
        })
        .collect();
    let report = DriftReport::new(plan, &listings);
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: super::stdout_color(global),
        show_requests: false,
    };
    emit(&args.output, |format, out| match format {
        Format::Text => render::render_drift_text(&report, secrets, style, out),
        Format::Json => render::render_drift_json(&report, secrets, out),
        Format::Markdown => {
            render::render_drift_markdown(&report, secrets, args.output.max_bytes, out)
        }
    })?;
    let drifted = report.drifted() > 0 || (args.fail_on_unmanaged && !report.unmanaged.is_empty());
    Ok(if drifted {
        ExitCode::from(super::EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}
