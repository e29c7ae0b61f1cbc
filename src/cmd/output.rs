//! Printing a report: stdout in the chosen format, and the GitHub step summary when asked.
//! Knows nothing of what the report says; the renderers do.

use std::io::Write;

use super::CommandError;
use crate::cli::{Format, OutputArgs};

/// Renders to stdout; with `--step-summary` and `GITHUB_STEP_SUMMARY` set, also appends the
/// Markdown form to that file.
pub fn emit(
    output: &OutputArgs,
    render: impl Fn(Format, &mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    render(output.format, &mut std::io::stdout().lock()).map_err(CommandError::stdout)?;
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
        render(Format::Markdown, &mut file)
            .and_then(|()| writeln!(file))
            .map_err(|e| {
                CommandError::local(miette::miette!("cannot write $GITHUB_STEP_SUMMARY: {e}"))
            })?;
    }
    Ok(())
}
