//! The `mcpform` binary: parses the command line, runs the command, prints its error (if any)
//! once, and exits with the status the command or its error chose.

use std::process::ExitCode;

use mcpform::cli::Cli;
use mcpform::cmd::{self, ExitStatus};

fn main() -> ExitCode {
    let cli = match Cli::try_parse_checked() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Usage errors are failures (1); 2 is reserved for "changes pending".
            let status = if e.use_stderr() {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            };
            return status.into();
        }
    };
    let status = match cmd::run(cli) {
        Ok(status) => status,
        Err(error) => {
            let status = error.exit_status();
            if !error.is_quiet() {
                eprintln!("{:?}", miette::Report::new(error));
            }
            status
        }
    };
    status.into()
}
