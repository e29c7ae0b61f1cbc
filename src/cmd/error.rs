//! The one error a command returns: what went wrong (a miette report, printed as before), the
//! kind that picks the exit status, and hints saying what to do next. Module errors become a
//! `CommandError` through `From`, where their kind and hints are chosen; modules themselves
//! never know exit statuses or the commands that called them.

use std::fmt;

use miette::{Diagnostic, Report};

use super::exit::ExitStatus;
use crate::config::ConfigErrors;
use crate::plan::PlanFailed;
use crate::plan::file::{PlanFileError, StalePlan};
use crate::provider::SetupError;
use crate::state::{BackendError, StateError};

/// What kind of failure ended the command; it picks the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something the user gave is wrong or missing: the config, a flag, a file, an answer.
    User,
    /// A platform could not be read, or did not take every write.
    Platform,
    /// A local file, stream or the runtime failed.
    Local,
    /// `apply PLANFILE`: the saved plan no longer matches the config or the live state.
    StalePlan,
    /// Stdout was closed by its reader (`plan --format json | head`): it has all it wanted, so
    /// the run ends quietly and successfully.
    ClosedStdout,
}

/// A command's failure: printed once by `main`, which exits with the status of its kind.
pub struct CommandError {
    kind: ErrorKind,
    error: Report,
    hints: Vec<String>,
}

impl CommandError {
    /// An error of the given kind, without hints.
    pub fn new(kind: ErrorKind, error: impl Into<Report>) -> CommandError {
        CommandError {
            kind,
            error: error.into(),
            hints: Vec::new(),
        }
    }

    /// The user must change something.
    pub fn user(error: impl Into<Report>) -> CommandError {
        CommandError::new(ErrorKind::User, error)
    }

    /// Local I/O failed.
    pub fn local(error: impl Into<Report>) -> CommandError {
        CommandError::new(ErrorKind::Local, error)
    }

    /// Writing to stdout failed; a closed pipe is not a failure but the reader being done.
    pub fn stdout(error: std::io::Error) -> CommandError {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            CommandError::new(
                ErrorKind::ClosedStdout,
                miette::miette!("stdout closed: {error}"),
            )
        } else {
            CommandError::local(miette::miette!("cannot write to stdout: {error}"))
        }
    }

    /// Nothing to print: the run ends with its exit status alone.
    pub fn is_quiet(&self) -> bool {
        self.kind == ErrorKind::ClosedStdout
    }

    /// Adds a line saying what to do next; printed before the error's own help.
    pub fn with_hint(mut self, hint: impl Into<String>) -> CommandError {
        self.hints.push(hint.into());
        self
    }

    /// The exit status this error ends the run with.
    pub fn exit_status(&self) -> ExitStatus {
        match self.kind {
            ErrorKind::StalePlan => ExitStatus::StalePlan,
            ErrorKind::ClosedStdout => ExitStatus::Success,
            ErrorKind::User | ErrorKind::Platform | ErrorKind::Local => ExitStatus::Failure,
        }
    }
}

impl From<ConfigErrors> for CommandError {
    fn from(error: ConfigErrors) -> CommandError {
        CommandError::user(error)
    }
}

impl From<SetupError> for CommandError {
    fn from(error: SetupError) -> CommandError {
        match error {
            SetupError::NoEndpoint { .. } | SetupError::Tls { .. } => CommandError::user(error),
            SetupError::Client { .. } => CommandError::new(ErrorKind::Platform, error),
        }
    }
}

impl From<PlanFailed> for CommandError {
    fn from(error: PlanFailed) -> CommandError {
        CommandError::new(ErrorKind::Platform, error)
    }
}

impl From<StateError> for CommandError {
    fn from(error: StateError) -> CommandError {
        CommandError::local(error)
    }
}

impl From<BackendError> for CommandError {
    fn from(error: BackendError) -> CommandError {
        match error {
            BackendError::State(error) => error.into(),
            BackendError::Unavailable { .. } | BackendError::Conflict { .. } => {
                CommandError::local(error)
            }
            _ => CommandError::user(error),
        }
    }
}

impl From<PlanFileError> for CommandError {
    fn from(error: PlanFileError) -> CommandError {
        match error {
            PlanFileError::Read { .. } => {
                CommandError::user(error).with_hint("create one with `mcpform plan --out FILE`")
            }
            PlanFileError::Write { .. } | PlanFileError::Config { .. } => {
                CommandError::local(error)
            }
        }
    }
}

impl From<StalePlan> for CommandError {
    fn from(error: StalePlan) -> CommandError {
        CommandError::new(ErrorKind::StalePlan, error)
            .with_hint("run `mcpform plan --out FILE` again, review it, and apply the new file")
    }
}

// Printed through miette like the error it wraps, with the hints joined to its help.
impl fmt::Debug for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl Diagnostic for CommandError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.error.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let own = self.error.help().map(|help| help.to_string());
        let lines: Vec<String> = self.hints.iter().cloned().chain(own).collect();
        (!lines.is_empty()).then(|| Box::new(lines.join("\n")) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.error.url()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.error.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.error.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.error.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.error.diagnostic_source()
    }
}

/// How errors are drawn on stderr: miette's graphical report, coloured only when `color`.
pub fn install_report_hook(color: bool) {
    // `set_hook` fails only when a hook is set already, and `run` sets it once per process.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(true)
                .terminal_links(false)
                .width(100)
                .build(),
        )
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_plan_exits_3_and_says_what_to_do_first() {
        let error = CommandError::from(StalePlan {
            reasons: vec!["`pais/servers/a` changed on the platform since the plan".into()],
        });
        assert_eq!(error.exit_status(), ExitStatus::StalePlan);
        let help = error.help().unwrap().to_string();
        assert!(
            help.starts_with("run `mcpform plan --out FILE` again"),
            "{help}"
        );
        assert!(help.ends_with("- `pais/servers/a` changed on the platform since the plan"));
    }

    #[test]
    fn every_other_kind_exits_1() {
        for kind in [ErrorKind::User, ErrorKind::Platform, ErrorKind::Local] {
            let error = CommandError::new(kind, miette::miette!("x"));
            assert_eq!(error.exit_status(), ExitStatus::Failure);
        }
    }
}
