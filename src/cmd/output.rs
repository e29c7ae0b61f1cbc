//! Printing a report: stdout in the chosen format, and the GitHub step summary when asked.
//! Knows nothing of what the report says; the renderers do.

use std::io::Write;

use super::workspace::Workspace;
use super::{CommandError, Settings};
use crate::cli::{Format, OutputArgs};

/// The run's name for Markdown reports: `--title`, else each provider of the run with its
/// endpoint's host (`pais (pais.example.internal), idun (localhost:8000)`).
pub fn run_title(output: &OutputArgs, workspace: &Workspace, settings: &Settings) -> String {
    if let Some(title) = &output.title {
        return title.clone();
    }
    let providers: Vec<String> = workspace
        .config
        .providers
        .iter()
        .filter(|p| workspace.accounts.contains_key(p.name()))
        .map(|p| {
            let endpoint = settings.endpoint_override(p.name()).or(p.endpoint());
            let host = endpoint
                .and_then(|e| url::Url::parse(e).ok())
                .and_then(|u| {
                    let host = u.host_str()?.to_owned();
                    Some(
                        u.port()
                            .map_or(host.clone(), |port| format!("{host}:{port}")),
                    )
                });
            match host {
                Some(host) => format!("{} ({host})", p.name()),
                None => p.name().to_owned(),
            }
        })
        .collect();
    providers.join(", ")
}

/// Writes the run's product to stdout through one buffer, flushed once (stdout's own buffering
/// flushes at every line). A closed pipe is not a failure: `mcpform plan --format json | head`
/// has all it wanted, and the run goes on (the step summary, `--out`) with its exit status.
pub fn to_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = write(&mut stdout).and_then(|()| stdout.flush());
    // After a broken pipe the buffer still holds what could not be written: drop it unwritten.
    let _ = stdout.into_parts();
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CommandError::stdout(e)),
        _ => Ok(()),
    }
}

/// GitHub's limit for one step's summary is 1 MiB; the summary holds the report uncut up to it,
/// so a comment cut to fit can point there.
pub const STEP_SUMMARY_MAX_BYTES: usize = 1_000_000;

/// Renders to stdout; with `--step-summary` and `GITHUB_STEP_SUMMARY` set, also appends the
/// Markdown form to that file. `render` is given the format and the Markdown byte budget.
pub fn emit(
    output: &OutputArgs,
    render: impl Fn(Format, usize, &mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    to_stdout(|stdout| render(output.format, output.max_bytes, stdout))?;
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty());
    if let (true, Some(path)) = (output.step_summary, summary) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| {
                CommandError::local(miette::miette!(
                    "cannot open $GITHUB_STEP_SUMMARY ({}): {e}",
                    path.to_string_lossy()
                ))
            })?;
        render(Format::Markdown, STEP_SUMMARY_MAX_BYTES, &mut file)
            .and_then(|()| writeln!(file))
            .map_err(|e| {
                CommandError::local(miette::miette!("cannot write $GITHUB_STEP_SUMMARY: {e}"))
            })?;
    }
    Ok(())
}
