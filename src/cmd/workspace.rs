//! What plan, apply, drift and demo share: the loaded config, one provider per block with the
//! resources the selection covers, and the state file. Opening one sends nothing; planning is
//! the plan stage's (`plan::Planner`), never done here.

use std::sync::Arc;
use std::time::Duration;

use miette::Diagnostic;

use super::{CommandError, Settings};
use crate::config::model::ProviderConfig;
use crate::config::{self, LoadedConfig, suggest};
use crate::diff::DesiredResource;
use crate::plan::{Account, Accounts, Planner};
use crate::provider;
use crate::selection::Selection;
use crate::state::{EndpointCheck, HeldLock, LockInfo, State, StateBackend, Version, open_backend};

/// One run's config, providers and state.
pub struct Workspace {
    /// The loaded config, with its secrets.
    pub config: LoadedConfig,
    /// Each provider block's provider and selected resources.
    pub accounts: Accounts,
    /// Write-only fingerprints from earlier applies.
    pub state: State,
    /// The version of `state` read; a save must still find it.
    state_version: Version,
    /// Where `state` is read from and saved to.
    pub backend: Box<dyn StateBackend>,
    /// The state's lock, when the run took it (apply): held until `release` or the end.
    lock: Option<Box<dyn HeldLock>>,
    /// Each provider's endpoint origin in this run, checked against the state.
    origins: Vec<ProviderOrigin>,
}

/// Where one provider of the run sends its requests.
struct ProviderOrigin {
    provider: String,
    /// `https://host:port`.
    origin: String,
    /// Whether its requests carry credentials (an `auth:` block).
    credentials: bool,
    /// Whether the origin came from a variable (then it is kept as a fingerprint).
    secret: bool,
}

/// A provider's credentials would go to another origin than the last apply sent them to.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error(
    "provider `{provider}`: the config sends its credentials to {new}, but the last apply sent \
     them to {old}; nothing was sent"
)]
#[diagnostic(
    code(mcpform::state::endpoint_moved),
    help(
        "a changed `endpoint:` (or `--endpoint-override`) would hand the platform's credentials \
         to another host. If the move is intended, run with `--allow-endpoint-change`; apply then \
         records the new endpoint. Otherwise restore the endpoint."
    )
)]
struct EndpointMoved {
    provider: String,
    new: String,
    old: String,
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`--endpoint-override {name}=…` names no provider in the config")]
#[diagnostic(
    code(mcpform::cli::unknown_provider),
    help("providers in the config: {known}")
)]
struct UnknownOverride {
    name: String,
    known: String,
}

/// A `--target`/`--exclude` pattern that matches no resource of the config.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`--{flag} {pattern}` matches no resource in the config")]
#[diagnostic(code(mcpform::cli::selection_matches_nothing), help("{help}"))]
struct SelectionMatchesNothing {
    flag: &'static str,
    pattern: String,
    help: String,
}

impl SelectionMatchesNothing {
    /// Shown addresses at most, when no address is close to the pattern.
    const SHOWN: usize = 10;

    /// Checks every pattern of `selection` against the addresses the config defines.
    fn check(config: &LoadedConfig, selection: &Selection) -> Result<(), SelectionMatchesNothing> {
        let addresses: Vec<String> = config
            .providers
            .iter()
            .flat_map(provider::desired_resources)
            .map(|d| d.address)
            .collect();
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let Some((flag, pattern)) = selection.unmatched(&addresses) else {
            return Ok(());
        };
        let help = if addresses.is_empty() {
            "the config defines no resource".to_owned()
        } else if let Some(close) = closest_address(pattern, &addresses) {
            format!("did you mean `{close}`?")
        } else {
            let more = addresses.len().saturating_sub(Self::SHOWN);
            let list = if more == 0 {
                suggest::list(addresses.iter().copied(), "and")
            } else {
                let shown: Vec<String> = addresses[..Self::SHOWN]
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect();
                format!("{} and {more} more", shown.join(", "))
            };
            format!("the config's resources: {list}")
        };
        Err(SelectionMatchesNothing {
            flag,
            pattern: pattern.to_owned(),
            help,
        })
    }
}

/// The address closest to `pattern`, comparing the names after the last `/` (every address
/// of a provider shares its prefix, which would make them all look close).
fn closest_address<'a>(pattern: &str, addresses: &[&'a str]) -> Option<&'a str> {
    let last = |a: &'a str| a.rsplit_once('/').map_or(a, |(_, name)| name);
    let (prefix, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let close = suggest::closest(name, addresses.iter().map(|a| last(a)))?;
    let named = || addresses.iter().filter(|a| last(a) == close);
    named()
        .find(|a| a.rsplit_once('/').is_some_and(|(p, _)| p == prefix))
        .or_else(|| named().next())
        .copied()
}

/// What the run may do and cover, beyond the config itself.
pub struct RunOptions<'a> {
    /// `--target`/`--exclude`: the resources the run covers.
    pub selection: &'a Selection,
    /// Refuse every write at the HTTP layer (`drift`).
    pub read_only: bool,
    /// Looks up environment variables for `${VAR}` interpolation.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Whether every `--target`/`--exclude` must match a resource of the config: `false` for
    /// a saved plan's selection, which the plan file's own checks cover.
    pub check_selection: bool,
    /// Lock the state for this operation (`apply`) before reading it, waiting up to this long
    /// for another run's lock; `None` reads without locking (plan, drift).
    pub lock: Option<(&'a str, Duration)>,
    /// `--allow-endpoint-change`: send credentials to an endpoint origin other than the one the
    /// state recorded at the last apply.
    pub allow_endpoint_change: bool,
    /// How long apply waits for a new PAIS server's tools to be discovered
    /// (`--discovery-timeout`); commands that send nothing keep the default.
    pub tool_discovery_timeout: Option<Duration>,
    /// `--prune`: as `prune: true` on every provider.
    pub prune: bool,
    /// `--parallelism`: how many requests each provider has in flight at once, reads included.
    pub parallelism: usize,
}

impl Workspace {
    /// Loads and validates the config, builds every provider (sending nothing), takes the
    /// state's lock when asked to, then reads the state.
    pub async fn open(
        settings: &Settings,
        options: &RunOptions<'_>,
    ) -> Result<Workspace, CommandError> {
        let config = load_config(settings, options.env)?;
        let known: Vec<&str> = config.providers.iter().map(|p| p.name()).collect();
        for (name, _) in &settings.endpoint_overrides {
            if !known.contains(&name.as_str()) {
                return Err(CommandError::user(UnknownOverride {
                    name: name.clone(),
                    known: known.join(", "),
                }));
            }
        }
        // Without `--target`/`--exclude` there is no pattern to match.
        if options.check_selection && !options.selection.is_everything() {
            SelectionMatchesNothing::check(&config, options.selection)
                .map_err(CommandError::user)?;
        }
        let mut http = settings.http(options.read_only, options.parallelism);
        if let Some(timeout) = options.tool_discovery_timeout {
            http.tool_discovery_timeout = timeout;
        }
        let mut providers = Vec::new();
        for block in &config.providers {
            let endpoint = settings.endpoint_override(block.name());
            providers.push(provider::connect(block, endpoint, &http, &config.secrets)?);
        }
        let backend = open_backend(&settings.state_location(&config))?;
        let lock = match options.lock {
            Some((operation, timeout)) => {
                Some(backend.lock(&LockInfo::new(operation), timeout).await?)
            }
            None => None,
        };
        let mut loaded = match backend.load().await {
            Ok(loaded) => loaded,
            Err(error) => {
                // An s3 lock object would outlive this run: give it back before failing.
                if let Some(lock) = lock {
                    let _ = lock.release().await;
                }
                return Err(error.into());
            }
        };
        loaded.state.use_key(settings.fingerprint_key.as_ref());
        let origins = provider_origins(&config, settings);
        if !options.allow_endpoint_change {
            check_origins(&loaded.state, &origins, &config)?;
        }
        let mut accounts = Accounts::new();
        for (block, provider) in config.providers.iter().zip(providers) {
            let account = Account {
                provider: Arc::from(provider),
                desired: selected(block, options.selection, &loaded.state),
                prune: options.prune || block.prune(),
            };
            accounts.insert(block.name().to_owned(), account);
        }
        Ok(Workspace {
            config,
            accounts,
            state: loaded.state,
            state_version: loaded.version,
            backend,
            lock,
            origins,
        })
    }

    /// Records each provider's endpoint origin in the state (apply, once it has sent what it
    /// planned).
    pub fn record_origins(&mut self) {
        for o in &self.origins {
            self.state.record_endpoint(&o.provider, &o.origin, o.secret);
        }
    }

    /// Ends what the providers opened on their platforms (Idun's login sessions), all at
    /// once. Every command that opened a workspace calls it when it is done with the platforms,
    /// whether it succeeded or not.
    pub async fn close(&self) {
        let mut closing = tokio::task::JoinSet::new();
        for account in self.accounts.values() {
            let provider = Arc::clone(&account.provider);
            closing.spawn(async move { provider.close().await });
        }
        while closing.join_next().await.is_some() {}
    }

    /// Ends the run's use of the workspace: the lock and the state backend are dropped as
    /// usual, the loaded config and the desired resources are left to the process exit.
    pub fn finish(self) {
        let Workspace {
            config,
            accounts,
            state,
            lock,
            backend,
            ..
        } = self;
        drop((lock, backend));
        super::leave_to_exit((config, accounts, state));
    }

    /// Writes the state back, only over the version this run read.
    pub async fn save_state(&mut self) -> Result<(), CommandError> {
        self.state_version = self.backend.save(&self.state, &self.state_version).await?;
        Ok(())
    }

    /// Releases the state's lock, if this run holds it.
    pub async fn release(&mut self) -> Result<(), CommandError> {
        if let Some(lock) = self.lock.take() {
            lock.release().await?;
        }
        Ok(())
    }

    /// The plan stage over this workspace's providers, state and secrets, for `selection`.
    pub fn planner<'a>(&'a self, selection: &'a Selection) -> Planner<'a> {
        Planner {
            accounts: &self.accounts,
            selection,
            state: &self.state,
            secrets: &self.config.secrets,
        }
    }
}

/// Each provider's endpoint origin, as this run would send requests.
fn provider_origins(config: &LoadedConfig, settings: &Settings) -> Vec<ProviderOrigin> {
    config
        .providers
        .iter()
        .filter_map(|block| {
            let endpoint = settings
                .endpoint_override(block.name())
                .or(block.endpoint())?;
            let origin = url::Url::parse(endpoint)
                .ok()?
                .origin()
                .ascii_serialization();
            Some(ProviderOrigin {
                provider: block.name().to_owned(),
                secret: config.secrets.mask_text(&origin) != origin,
                credentials: block.has_auth(),
                origin,
            })
        })
        .collect()
}

/// Refuses a run that would send a provider's credentials to another origin than the last
/// apply did, before any request.
fn check_origins(
    state: &State,
    origins: &[ProviderOrigin],
    config: &LoadedConfig,
) -> Result<(), CommandError> {
    for o in origins.iter().filter(|o| o.credentials) {
        if let EndpointCheck::Moved(recorded) = state.check_endpoint(&o.provider, &o.origin) {
            let old = recorded.unwrap_or_else(|| {
                "another origin (kept as a fingerprint: that endpoint came from a variable)"
                    .to_owned()
            });
            return Err(CommandError::user(EndpointMoved {
                provider: o.provider.clone(),
                new: config.secrets.mask_text(&o.origin),
                old,
            }));
        }
    }
    Ok(())
}

/// The resources of one config block that the selection covers. One without `id` gets the id
/// the state recorded for its address, so that it finds the object mcpform manages for it again:
/// a Klavis instance by `user_id` and `server_name`, or a server renamed in a console.
fn selected(
    block: &ProviderConfig,
    selection: &Selection,
    state: &State,
) -> Arc<[DesiredResource]> {
    let managed = state.managed_ids(block.name());
    provider::desired_resources(block)
        .into_iter()
        .filter(|d| selection.includes(&d.address))
        .map(|mut d| {
            if d.id.is_none() {
                d.recorded_id = managed.get(d.address.as_str()).map(|id| (*id).to_owned());
            }
            d
        })
        .collect()
}

/// Loads and checks the config files the settings name, and prints its warnings (once per
/// run: every command loads the config once) before anything is sent.
pub fn load_config(
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LoadedConfig, CommandError> {
    load_config_with(settings, env, config::LoadOptions::default())
}

/// `load_config`, with unset variables treated as `options` says (`validate`).
pub fn load_config_with(
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
    options: config::LoadOptions,
) -> Result<LoadedConfig, CommandError> {
    let mut config = config::load_with(&settings.config, env, options)?;
    if let Some(key) = &settings.fingerprint_key {
        config.secrets.add_value(key.expose());
    }
    for warning in &config.warnings {
        eprintln!("{:?}", miette::Report::new(warning.clone()));
    }
    for block in &config.providers {
        let endpoint = settings
            .endpoint_override(block.name())
            .or(block.endpoint());
        if let Some(warning) = PlainHttpCredentials::check(block, endpoint, &config.secrets) {
            eprintln!("{:?}", miette::Report::new(warning));
        }
        if let Some(warning) = PlainHttpCredentials::check_identity_provider(block, &config.secrets)
        {
            eprintln!("{:?}", miette::Report::new(warning));
        }
        if block.tls().is_some_and(|t| t.insecure_skip_verify) {
            let warning = InsecureSkipVerify {
                provider: block.name().to_owned(),
            };
            eprintln!("{:?}", miette::Report::new(warning));
        }
    }
    Ok(config)
}

/// A provider that sends a credential over plain `http://` to a host that is not loopback.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("provider `{provider}` sends its {credential} over plain `http://` to `{host}`")]
#[diagnostic(
    code(mcpform::http::plain_http_credentials),
    severity(Warning),
    help("anyone on the network path can read it; use an `https://` endpoint")
)]
struct PlainHttpCredentials {
    provider: String,
    credential: &'static str,
    host: String,
}

/// A provider whose TLS certificates are not checked.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("provider `{provider}` does not check TLS certificates (`tls.insecure_skip_verify: true`)")]
#[diagnostic(
    code(mcpform::http::insecure_skip_verify),
    severity(Warning),
    help(
        "anyone on the network path can pose as the platform and read its credentials; set `tls.ca_file` to the CA that signed its certificate instead"
    )
)]
struct InsecureSkipVerify {
    provider: String,
}

impl PlainHttpCredentials {
    /// The OIDC token request carries the client secret or the user's password.
    fn check_identity_provider(
        block: &ProviderConfig,
        secrets: &crate::mask::Secrets,
    ) -> Option<PlainHttpCredentials> {
        let ProviderConfig::Pais(pais) = block else {
            return None;
        };
        let oidc = pais.auth.as_ref()?.oidc.as_ref()?;
        let url = oidc.token_url.as_ref().or(oidc.issuer.as_ref())?;
        let url = url::Url::parse(url).ok()?;
        if url.scheme() != "http" || is_loopback(&url) {
            return None;
        }
        Some(PlainHttpCredentials {
            provider: block.name().to_owned(),
            credential: "OIDC client credentials",
            host: secrets.mask_text(url.host_str().unwrap_or_default()),
        })
    }

    fn check(
        block: &ProviderConfig,
        endpoint: Option<&str>,
        secrets: &crate::mask::Secrets,
    ) -> Option<PlainHttpCredentials> {
        let credential = match block {
            ProviderConfig::Pais(p) => p.auth.as_ref().map(|a| match a.oidc {
                Some(_) => "OIDC bearer token",
                None => "bearer token",
            }),
            ProviderConfig::Hasmcp(p) => p.auth.as_ref().map(|_| "bearer token"),
            ProviderConfig::Klavis(p) => p.auth.as_ref().map(|_| "API key"),
            ProviderConfig::Idun(p) => p.auth.as_ref().map(|_| "password"),
        }?;
        let url = url::Url::parse(endpoint?).ok()?;
        if url.scheme() != "http" || is_loopback(&url) {
            return None;
        }
        Some(PlainHttpCredentials {
            provider: block.name().to_owned(),
            credential,
            host: secrets.mask_text(url.host_str().unwrap_or_default()),
        })
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`: traffic that never leaves the machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The process environment, for `${VAR}` interpolation.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_remote_plain_http_is_a_warning() {
        let block = |endpoint: &str| -> ProviderConfig {
            serde_json::from_value(
                json!({"platform": "pais", "name": "pais", "endpoint": endpoint,
                "auth": {"bearer": "t0k3n-value"}, "servers": []}),
            )
            .unwrap()
        };
        let secrets = crate::mask::Secrets::default();
        for (endpoint, warns) in [
            ("http://pais.example", true),
            ("http://10.0.0.1:8700", true),
            ("https://pais.example", false),
            ("http://127.0.0.1:8700", false),
            ("http://127.5.0.1", false),
            ("http://[::1]:8700", false),
            ("http://localhost:8700", false),
            ("http://api.localhost", false),
        ] {
            let warning = PlainHttpCredentials::check(&block(endpoint), Some(endpoint), &secrets);
            assert_eq!(warning.is_some(), warns, "{endpoint}");
        }
        let without_auth: ProviderConfig = serde_json::from_value(
            json!({"platform": "idun", "name": "idun", "endpoint": "http://idun.example", "servers": []}),
        )
        .unwrap();
        assert!(
            PlainHttpCredentials::check(&without_auth, Some("http://idun.example"), &secrets)
                .is_none()
        );
    }

    #[test]
    fn a_selection_keeps_other_resources_out_of_the_run() {
        let block: ProviderConfig = serde_json::from_value(
            json!({"platform": "pais", "name": "pais", "endpoint": "https://p.example", "servers": [
                {"name": "a", "url": "https://a.example", "transport": "SSE"},
                {"name": "b", "url": "https://b.example", "transport": "SSE"}
            ]}),
        )
        .unwrap();
        let selection = Selection {
            targets: vec!["pais/servers/b".into()],
            excludes: Vec::new(),
        };
        let desired = selected(&block, &selection, &State::new());
        let addresses: Vec<&str> = desired.iter().map(|d| d.address.as_str()).collect();
        assert_eq!(addresses, ["pais/servers/b"]);
    }
}
