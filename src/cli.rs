//! Command-line definitions. The `///` comments are the `--help` text: written for users.
//! Holds the top-level `Cli`, `Command`, `GlobalArgs` and the argument groups several commands
//! share; each command's own arguments sit beside its `run` in `cmd/`. Parses; never acts.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::cmd::{
    ApplyArgs, CompletionArgs, DriftArgs, EmulateArgs, ExitStatus, ExportArgs, ForceUnlockArgs,
    PlanArgs, StateArgs, ValidateArgs,
};

/// Keep MCP server configurations in YAML, in git: plan and apply them like Terraform.
#[derive(Debug, Parser)]
#[command(name = "mcpform", version, after_help = ExitStatus::help_table())]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// Parses the command line like `try_parse`, and also refuses global flags the chosen
    /// command would ignore (`demo --state x`, `emulate -c x`) with a usage error.
    pub fn try_parse_checked() -> Result<Cli, clap::Error> {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(std::env::args_os())?;
        if let Some((name, sub)) = matches.subcommand() {
            let ignored: &[(&str, &str)] = match name {
                // The demo picks its own config, endpoints and state in a temporary directory.
                "demo" => &[
                    ("config", "--config"),
                    ("endpoint_override", "--endpoint-override"),
                    ("state", "--state"),
                ],
                // An emulator serves; it reads no config and sends no request.
                "emulate" => &[
                    ("config", "--config"),
                    ("endpoint_override", "--endpoint-override"),
                    ("state", "--state"),
                    ("timeout", "--timeout"),
                    ("retries", "--retries"),
                    ("verbose", "--verbose"),
                ],
                _ => &[],
            };
            for (id, flag) in ignored {
                if given(&matches, id) || given(sub, id) {
                    let sub_command = command
                        .find_subcommand_mut(name)
                        .expect("a parsed subcommand is defined");
                    return Err(sub_command.error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!("`mcpform {name}` does not use `{flag}`; remove it"),
                    ));
                }
            }
        }
        Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }
}

fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::CommandLine)
}

/// Flags every command takes; resolved once into `cmd::Settings`.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file or directory of *.yaml/*.yml files (repeatable) [default: mcpform.yaml]
    #[arg(short = 'c', long = "config", value_name = "PATH", global = true)]
    pub config: Vec<PathBuf>,

    /// Use another endpoint for one provider in this run (repeatable)
    #[arg(long, value_name = "NAME=URL", value_parser = EndpointOverride, global = true)]
    pub endpoint_override: Vec<(String, String)>,

    /// Local state file to use instead of the config's `state:` block [default: the block, else
    /// mcpform.state.json beside the first config file]
    #[arg(long, value_name = "PATH", global = true)]
    pub state: Option<PathBuf>,

    /// Seconds to wait for each HTTP response
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, global = true)]
    pub timeout: f64,

    /// How often to retry a request after 429, 5xx or a connection failure
    #[arg(long, value_name = "N", default_value_t = 4, global = true)]
    pub retries: u32,

    /// Log every HTTP request to stderr (secrets masked)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Never colour output (also: NO_COLOR, CI=true, or output that is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// `--parallelism`: how many requests a run sends at once.
#[derive(Debug, Clone, Copy, Args)]
pub struct ParallelismArgs {
    /// How many requests to send at once: reads per provider, writes in all (Idun always gets
    /// its writes one at a time)
    #[arg(long, value_name = "N", default_value_t = crate::http::DEFAULT_PARALLELISM as u32, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub parallelism: u32,
}

impl ParallelismArgs {
    /// The bound as a count.
    pub fn get(self) -> usize {
        self.parallelism as usize
    }
}

/// Which resources plan, apply and drift cover.
#[derive(Debug, Clone, Args)]
pub struct SelectionArgs {
    /// Only this resource address (repeatable; `*` and `?` glob: `pais/servers/*`)
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Leave out this resource address (repeatable; globs as for --target)
    #[arg(long = "exclude", value_name = "ADDRESS")]
    pub excludes: Vec<String>,
}

impl SelectionArgs {
    /// The resources these flags select.
    pub fn selection(&self) -> crate::selection::Selection {
        crate::selection::Selection {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the config offline: YAML, fields, types, values, environment variables
    Validate(ValidateArgs),
    /// Compare the live state with the config and print what apply would change; writes nothing
    Plan(PlanArgs),
    /// Plan, confirm, then send only the requests needed to make the live state match
    Apply(ApplyArgs),
    /// Read-only check for a schedule: which resources differ from the config, which live
    /// objects no config names
    Drift(DriftArgs),
    /// Print the JSON Schema of the config file (for editors: `# yaml-language-server: $schema=…`)
    Schema,
    /// Run a local emulator of a platform's API, to try mcpform without an account
    Emulate(EmulateArgs),
    /// Start emulators with sample live state, then plan and apply examples/demo.yaml
    Demo,
    /// Write the live objects of the configured providers as a config file in this format
    Export(ExportArgs),
    /// Remove the lock a killed run left on the state (named by the blocked run's error)
    ForceUnlock(ForceUnlockArgs),
    /// Work with the state itself: `state push --to` copies it to another backend
    State(StateArgs),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish) to stdout
    Completion(CompletionArgs),
    /// Print the man page (roff) to stdout: `mcpform man | man -l -`
    Man,
}

/// How a plan or drift report is printed.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Markdown: stay within this many bytes (GitHub comments take at most 65,536 characters)
    #[arg(long, value_name = "N", default_value_t = crate::render::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
    /// Also append the Markdown report to $GITHUB_STEP_SUMMARY when that is set (uncut there, up
    /// to GitHub's 1 MiB)
    #[arg(long)]
    pub step_summary: bool,
    /// Markdown: the run's name in the heading and the comment marker, so several plans (staging,
    /// production) can each keep one comment on a pull request [default: each provider's name
    /// and endpoint host]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

/// How a plan or drift report is printed: `text`, `json` or `markdown`.
// clap shows variant doc comments in `--help`, which would turn the one-line `--format` into a
// list; the names say what they are.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// Parses `--endpoint-override NAME=URL`. Its errors never repeat the value: a URL may carry
/// a secret in its path or query (clap's own "invalid value '…'" message would quote it).
#[derive(Debug, Clone, Copy)]
struct EndpointOverride;

impl clap::builder::TypedValueParser for EndpointOverride {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let raw = value
            .to_str()
            .ok_or_else(|| "the value is not UTF-8".to_owned());
        raw.and_then(parse_override).map_err(|message| {
            let mut cmd = cmd.clone();
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '--endpoint-override <NAME=URL>': {message}"),
            )
            .format(&mut cmd)
        })
    }
}

fn parse_override(raw: &str) -> Result<(String, String), String> {
    let (name, url) = raw
        .split_once('=')
        .ok_or("expected NAME=URL, e.g. `pais=http://127.0.0.1:8700`")?;
    let parsed = url::Url::parse(url)
        .map_err(|e| format!("the URL for provider `{name}` is not a URL ({e})"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "the URL for provider `{name}` has credentials in it (`user:pass@`); \
             give the credential under the provider's `auth` in the config instead"
        ));
    }
    Ok((name.to_owned(), url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_errors_never_repeat_the_url() {
        for raw in [
            "pais=https://admin:s3cr3t-pw@host.example",
            "pais=https://admin@host.example",
            "pais=not a url s3cr3t-pw",
            "s3cr3t-pw",
        ] {
            let error = parse_override(raw).unwrap_err();
            assert!(
                !error.contains("s3cr3t-pw") && !error.contains("admin"),
                "{error}"
            );
        }
        assert_eq!(
            parse_override("pais=http://127.0.0.1:1").unwrap(),
            ("pais".to_owned(), "http://127.0.0.1:1".to_owned())
        );
    }
}
