//! `mcpform drift`: read-only by construction (its HTTP clients refuse every write), for
//! scheduled jobs: 0 in sync, 2 drift (or unmanaged objects with `--fail-on-unmanaged`).

use std::collections::BTreeMap;

use clap::Args;

use super::output::{emit, run_title};
use super::workspace::{RunOptions, Workspace, process_env};
use super::{CommandError, ExitStatus, Settings};
use crate::cli::{Format, OutputArgs, ParallelismArgs, SelectionArgs};
use crate::drift::{DriftReport, ProviderLive, Unchecked};
use crate::plan::Reading;
use crate::render::{self, TextStyle};

/// `mcpform drift`'s arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    output: OutputArgs,
    /// Exit 2 also when live objects exist that no config names
    #[arg(long)]
    fail_on_unmanaged: bool,
    #[command(flatten)]
    select: SelectionArgs,
    #[command(flatten)]
    parallelism: ParallelismArgs,
    /// Send credentials to an endpoint other than the one the last apply recorded in the state
    /// (a deliberate move; apply records the new one)
    #[arg(long)]
    allow_endpoint_change: bool,
    /// Delete the managed objects that left the config, as `prune: true` on every provider
    #[arg(long)]
    prune: bool,
}

/// Prints the drift report; `Changes` when a configured resource differs (or, with
/// `--fail-on-unmanaged`, when a live object is unmanaged).
pub async fn run(settings: &Settings, args: &DriftArgs) -> Result<ExitStatus, CommandError> {
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
    let planner = workspace.planner(&selection);
    // A narrowed run cannot tell unmanaged objects from configured ones it left out.
    let reading = if selection.is_everything() {
        Reading::Listed
    } else {
        Reading::Selected
    };
    let live = planner.fetch(reading).await;
    workspace.close().await;
    let live = live?;
    let plan = planner.diff(&live)?;
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
    let write_only = workspace
        .accounts
        .iter()
        .flat_map(|(provider, account)| {
            account.desired.iter().flat_map(move |desired| {
                desired
                    .write_only
                    .iter()
                    .filter(|(_, value)| value.is_some())
                    .map(move |(field, _)| Unchecked {
                        provider: provider.clone(),
                        address: desired.address.clone(),
                        field: field.clone(),
                    })
            })
        })
        .collect();
    let report = DriftReport::new(plan, &listings, write_only);
    let secrets = &workspace.config.secrets;
    let style = TextStyle {
        color: settings.color_stdout,
        show_requests: false,
    };
    let title = run_title(&args.output, &workspace, settings);
    emit(&args.output, |format, max_bytes, out| match format {
        Format::Text => render::render_drift_text(&report, secrets, style, out),
        Format::Json => render::render_drift_json(&report, secrets, out),
        Format::Markdown => render::render_drift_markdown(&report, secrets, &title, max_bytes, out),
    })?;
    let drifted = report.drifted() > 0 || (args.fail_on_unmanaged && !report.unmanaged.is_empty());
    super::leave_to_exit((report, live));
    workspace.finish();
    Ok(if drifted {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
