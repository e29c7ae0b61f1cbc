//! How a run ends: the exit statuses of the command-line contract, and the `--help` table
//! that lists them. The only place that knows the numbers; commands return an `ExitStatus`
//! (or an error whose kind picks one) and never a bare code.

use std::process::ExitCode;

/// How a command ended, as the process reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what it was asked (drift, `plan --detailed-exitcode`: nothing differs).
    Success,
    /// `plan --detailed-exitcode`: changes pending; drift: a resource differs.
    Changes,
    /// An invalid config, an HTTP failure, a resource that failed to apply, or a cancelled apply.
    Failure,
    /// `apply PLANFILE`: the saved plan is stale, nothing was sent.
    StalePlan,
}

impl ExitStatus {
    /// Every status, in the order of their codes.
    const ALL: [ExitStatus; 4] = [
        ExitStatus::Success,
        ExitStatus::Failure,
        ExitStatus::Changes,
        ExitStatus::StalePlan,
    ];

    /// The process exit code.
    fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::StalePlan => 3,
        }
    }

    /// What the status means, for the `--help` table.
    fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => "success (plan/drift: no changes)",
            ExitStatus::Failure => {
                "error: invalid config, HTTP failure, a resource that failed to apply, or a cancelled apply"
            }
            ExitStatus::Changes => {
                "plan --detailed-exitcode: changes pending; drift: a resource differs"
            }
            ExitStatus::StalePlan => "apply PLANFILE: the saved plan is stale, nothing was sent",
        }
    }

    /// The "Exit status" table at the end of `mcpform --help`, one line per status.
    pub fn help_table() -> String {
        let mut table = String::from("Exit status:");
        for status in ExitStatus::ALL {
            table.push_str(&format!("\n  {}  {}", status.code(), status.meaning()));
        }
        table
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    #[test]
    fn the_help_lists_every_status_under_its_code() {
        let help = Cli::command().render_long_help().to_string();
        let table = &help[help.find("Exit status:").expect("the help has the table")..];
        assert_eq!(table.trim_end(), ExitStatus::help_table());
        let codes: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3], "the codes of interface.md, in order");
        assert!(
            table.contains(
                "  2  plan --detailed-exitcode: changes pending; drift: a resource differs"
            )
        );
    }
}
