//! Settings: the global flags resolved once into what commands need, with every derived choice
//! settled here (colour per stream, the clamped timeout, the retry policy, the default paths).
//! Commands read `Settings`, never `GlobalArgs`; `demo` builds its own `Settings` directly.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::config::LoadedConfig;
use crate::config::model::StateConfig;
use crate::fingerprint::FingerprintKey;
use crate::http::{ClientSettings, RetryPolicy};
use crate::state::{self, Location};

/// The shortest timeout a run uses, so `--timeout 0` cannot fail every request at once.
const MIN_TIMEOUT: Duration = Duration::from_millis(100);

/// How one run behaves, whatever the command.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Config files or directories to load; `mcpform.yaml` when none was given.
    pub config: Vec<PathBuf>,
    /// `--endpoint-override NAME=URL`, in command-line order.
    pub endpoint_overrides: Vec<(String, String)>,
    /// `--state`; `None` means the default beside the first config file.
    pub state: Option<PathBuf>,
    /// How long to wait for each HTTP response.
    pub timeout: Duration,
    /// When to retry a request.
    pub retry: RetryPolicy,
    /// Log progress and every HTTP request to stderr.
    pub verbose: bool,
    /// Colour what goes to stdout (plans, reports).
    pub color_stdout: bool,
    /// Colour error reports on stderr.
    pub color_stderr: bool,
    /// `MCPFORM_FINGERPRINT_KEY`: key state and plan fingerprints with HMAC instead of
    /// Argon2id. A secret: registered with the output masking, never written anywhere.
    pub fingerprint_key: Option<FingerprintKey>,
}

/// The environment variable holding the fingerprint key.
pub const FINGERPRINT_KEY_VAR: &str = "MCPFORM_FINGERPRINT_KEY";

impl Settings {
    /// Resolves the parsed global flags, the environment (`NO_COLOR`, `CI`,
    /// `MCPFORM_FINGERPRINT_KEY`) and whether each
    /// output stream is a terminal.
    pub fn new(global: &GlobalArgs) -> Settings {
        let config = if global.config.is_empty() {
            vec![PathBuf::from("mcpform.yaml")]
        } else {
            global.config.clone()
        };
        let color = |is_terminal: bool| use_color(global.no_color, is_terminal);
        Settings {
            config,
            endpoint_overrides: global.endpoint_override.clone(),
            state: global.state.clone(),
            timeout: Duration::from_secs_f64(global.timeout.max(MIN_TIMEOUT.as_secs_f64())),
            retry: RetryPolicy {
                max_retries: global.retries,
                ..RetryPolicy::default()
            },
            verbose: global.verbose,
            color_stdout: color(std::io::stdout().is_terminal()),
            color_stderr: color(std::io::stderr().is_terminal()),
            fingerprint_key: std::env::var(FINGERPRINT_KEY_VAR)
                .ok()
                .and_then(|k| FingerprintKey::new(&k)),
        }
    }

    /// The endpoint `--endpoint-override` gives provider `name`; the last one wins.
    pub fn endpoint_override(&self, name: &str) -> Option<&str> {
        self.endpoint_overrides
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, url)| url.as_str())
    }

    /// Where the state lives: `--state FILE`, else the config's `state:` block, else
    /// `mcpform.state.json` beside the first loaded config file. A local `path` in the block
    /// is relative to the file that holds the block.
    pub fn state_location(&self, config: &LoadedConfig) -> Location {
        if let Some(path) = &self.state {
            return Location::Local(path.clone());
        }
        let beside = |file: Option<&PathBuf>, name: &str| -> PathBuf {
            let dir = file
                .and_then(|f| f.parent())
                .filter(|d| !d.as_os_str().is_empty());
            dir.map_or_else(|| PathBuf::from(name), |d| d.join(name))
        };
        match &config.state {
            None => Location::Local(beside(config.files.first(), state::DEFAULT_FILE_NAME)),
            Some((StateConfig::Local(local), file)) => match &local.path {
                Some(path) if Path::new(path).is_absolute() => Location::Local(path.into()),
                Some(path) => Location::Local(beside(Some(file), path)),
                None => Location::Local(beside(Some(file), state::DEFAULT_FILE_NAME)),
            },
            Some((StateConfig::Postgres(pg), _)) => Location::Postgres {
                url: pg.url.clone(),
                name: pg.name.clone().unwrap_or_else(|| "default".into()),
            },
            Some((StateConfig::S3(s3), _)) => Location::S3(state::S3Location {
                bucket: s3.bucket.clone(),
                key: s3.key.clone(),
                endpoint: s3.endpoint.clone(),
                region: s3.region.clone(),
            }),
        }
    }

    /// How this run's HTTP clients behave; `read_only` refuses every write (`drift`), and
    /// `parallelism` bounds each client's reads in flight.
    pub fn http(&self, read_only: bool, parallelism: usize) -> ClientSettings {
        ClientSettings {
            timeout: self.timeout,
            retry: self.retry,
            verbose: self.verbose,
            read_only,
            max_response_bytes: crate::http::DEFAULT_MAX_RESPONSE_BYTES,
            tool_discovery_timeout: crate::http::DEFAULT_TOOL_DISCOVERY_TIMEOUT,
            max_reads_in_flight: parallelism,
        }
    }
}

/// Colour only for a person at a terminal: never with `--no-color`, `NO_COLOR` or `CI=true`.
fn use_color(no_color_flag: bool, stream_is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    stream_is_terminal && !no_color_flag && !no_color && !ci
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(state: Option<&str>) -> Settings {
        Settings {
            config: Vec::new(),
            endpoint_overrides: vec![
                ("pais".into(), "http://a.example".into()),
                ("pais".into(), "http://b.example".into()),
            ],
            state: state.map(PathBuf::from),
            timeout: MIN_TIMEOUT,
            retry: RetryPolicy::default(),
            verbose: false,
            color_stdout: false,
            color_stderr: false,
            fingerprint_key: None,
        }
    }

    fn loaded(files: &[&str], state: Option<(StateConfig, &str)>) -> LoadedConfig {
        LoadedConfig {
            providers: Vec::new(),
            written: Vec::new(),
            secrets: Default::default(),
            files: files.iter().map(PathBuf::from).collect(),
            warnings: Vec::new(),
            state: state.map(|(s, f)| (s, PathBuf::from(f))),
            counts: Default::default(),
        }
    }

    #[test]
    fn the_state_file_defaults_to_the_first_config_files_directory() {
        let config = loaded(&["conf/a.yaml", "other/b.yaml"], None);
        let local = |p: &Path| Location::Local(p.to_owned());
        assert_eq!(
            settings(None).state_location(&config),
            local(&Path::new("conf").join(state::DEFAULT_FILE_NAME))
        );
        assert_eq!(
            settings(Some("s.json")).state_location(&config),
            local(Path::new("s.json"))
        );
        let block = StateConfig::Local(crate::config::model::LocalState {
            path: Some("st/x.json".into()),
        });
        let config = loaded(
            &["conf/a.yaml", "other/b.yaml"],
            Some((block, "other/b.yaml")),
        );
        assert_eq!(
            settings(None).state_location(&config),
            local(Path::new("other/st/x.json"))
        );
        let pg = StateConfig::Postgres(crate::config::model::PostgresState {
            url: "postgres://u:pw@h/db".into(),
            name: None,
        });
        let config = loaded(&["a.yaml"], Some((pg, "a.yaml")));
        assert_eq!(
            settings(None).state_location(&config),
            Location::Postgres {
                url: "postgres://u:pw@h/db".into(),
                name: "default".into()
            }
        );
        // `--state` always means a local file.
        assert_eq!(
            settings(Some("s.json")).state_location(&config),
            local(Path::new("s.json"))
        );
    }

    #[test]
    fn the_last_endpoint_override_wins() {
        assert_eq!(
            settings(None).endpoint_override("pais"),
            Some("http://b.example")
        );
        assert_eq!(settings(None).endpoint_override("idun"), None);
    }
}
