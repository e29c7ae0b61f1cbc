//! `mcpform completion SHELL` and `mcpform man`: the shell completion script and the man page,
//! both generated from the same clap definitions as `--help`, so they never drift from it.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{CommandError, ExitStatus};
use crate::cli::Cli;

/// `mcpform completion`'s arguments.
#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    bash:       mcpform completion bash > ~/.local/share/bash-completion/completions/mcpform\n  \
    zsh:        mcpform completion zsh > \"${fpath[1]}/_mcpform\"\n  \
    fish:       mcpform completion fish > ~/.config/fish/completions/mcpform.fish\n  \
    powershell: mcpform completion powershell | Out-String | Invoke-Expression")]
pub struct CompletionArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script for the shell to stdout.
pub fn run(args: &CompletionArgs) -> Result<ExitStatus, CommandError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "mcpform", &mut script);
    print_stdout(&script)
}

/// Prints the man page (roff) to stdout: one page, mcpform(1), with every command's synopsis
/// and options under COMMANDS and the exit statuses under EXIT STATUS.
pub fn man() -> Result<ExitStatus, CommandError> {
    let page = man_page(Cli::command())
        .map_err(|e| CommandError::local(miette::miette!("cannot render the man page: {e}")))?;
    print_stdout(page.as_bytes())
}

/// The whole page. clap_mangen renders one page per command; this stitches the commands'
/// sections into the top-level page, so `man mcpform` alone documents every flag.
fn man_page(command: clap::Command) -> std::io::Result<String> {
    let top = clap_mangen::Man::new(command.clone());
    let mut page = render(|w| top.render_title(w))?;
    for section in [
        render(|w| top.render_name_section(w))?,
        render(|w| top.render_synopsis_section(w))?,
        render(|w| top.render_description_section(w))?,
        render(|w| top.render_options_section(w))?,
    ] {
        page.push_str(&without_preamble(&section));
    }
    page.push_str(".SH COMMANDS\n");
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("mcpform {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().bin_name(&name));
        page.push_str(&format!(".SS \"{}\"\n", name.replace('-', "\\-")));
        let mut parts = vec![
            render(|w| man.render_description_section(w))?,
            render(|w| man.render_synopsis_section(w))?,
        ];
        if sub.get_arguments().any(|arg| !arg.is_hide_set()) {
            parts.push(render(|w| man.render_options_section(w))?);
        }
        if sub.get_after_help().is_some() {
            parts.push(render(|w| man.render_extra_section(w))?);
        }
        for part in parts {
            // A command's sections become paragraphs of its subsection.
            for line in without_preamble(&part).lines() {
                if line.starts_with(".SH ") {
                    page.push_str(".PP\n");
                } else {
                    page.push_str(line);
                    page.push('\n');
                }
            }
        }
    }
    let exit = without_preamble(&render(|w| top.render_extra_section(w))?);
    page.push_str(&exit.replacen(".SH EXTRA", ".SH \"EXIT STATUS\"", 1));
    page.push_str(&without_preamble(&render(|w| {
        top.render_version_section(w)
    })?));
    Ok(page)
}

fn render(section: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<String> {
    let mut out = Vec::new();
    section(&mut out)?;
    String::from_utf8(out).map_err(std::io::Error::other)
}

/// A section without the two lines that define `\*(Aq`, which every rendered part repeats.
fn without_preamble(roff: &str) -> String {
    roff.lines()
        .filter(|line| !line.starts_with(".ie \\n(.g .ds Aq") && !line.starts_with(".el .ds Aq"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn print_stdout(bytes: &[u8]) -> Result<ExitStatus, CommandError> {
    super::output::to_stdout(|stdout| stdout.write_all(bytes))?;
    Ok(ExitStatus::Success)
}
