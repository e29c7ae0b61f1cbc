//! One module per command; each takes its parsed arguments and returns the exit status.
//! Errors are miette reports; `main` prints them and exits 1.

mod apply;
mod demo;
mod drift;
mod emulate;
mod output;
mod plan;
mod validate;
mod workspace;

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::cli::{Cli, Command, GlobalArgs};

/// Changes pending (`plan --detailed-exitcode`) or drift found.
pub const EXIT_CHANGES: u8 = 2;
/// `apply PLANFILE`: the saved plan no longer matches; nothing was sent.
pub const EXIT_STALE_PLAN: u8 = 3;

pub async fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Validate => validate::run(&cli.global),
        Command::Plan(args) => plan::run(&cli.global, &args).await,
        Command::Apply(args) => apply::run(&cli.global, &args).await,
        Command::Drift(args) => drift::run(&cli.global, &args).await,
        Command::Schema => {
            print!("{}", crate::config::json_schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Emulate(args) => emulate::run(&args).await,
        Command::Demo => demo::run(&cli.global).await,
    }
}

/// Colour only for a person at a terminal: never with `--no-color`, `NO_COLOR` or `CI=true`.
pub fn use_color(global: &GlobalArgs, stream_is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    stream_is_terminal && !global.no_color && !no_color && !ci
}

pub fn stdout_color(global: &GlobalArgs) -> bool {
    use_color(global, std::io::stdout().is_terminal())
}
