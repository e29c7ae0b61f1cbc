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
    // One buffer, flushed once: stdout's own buffering flushes at every line.
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match render(output.format, &mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        // `mcpform plan --format json | head`: the reader has all it wanted; the run goes on
        // (the step summary, `--out`) and keeps its exit status.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(CommandError::stdout(e)),
    }
    // After a broken pipe the buffer still holds what could not be written: drop it unwritten.
    let _ = stdout.into_parts();
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
