//! Providers: one module per platform behind one small trait.
//!
//! Every platform folder has the same files: `api.rs` (wire types and error format),
//! `client.rs` (HTTP calls), `convert.rs` (wire and config ↔ normalized documents) and
//! `mod.rs` (the trait impl and the platform's request shape). Knowing one means knowing all.
//! A provider keeps no user resources between calls: each call is given the ones it concerns.

mod create;
mod fastapi;
mod hasmcp;
mod idun;
mod klavis;
mod listing;
mod pais;

use std::future::Future;
use std::pin::Pin;

use crate::config::model::{Platform, ProviderConfig};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder};
use crate::http::{ClientSettings, ErrorFormat, HttpClient, HttpError, TlsOptions};
use crate::mask::Secrets;
use crate::plan::{Request, ResourceChange};

/// A boxed future that may cross threads, as trait methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One configured platform account: how to reach it and how its API reads and writes. It keeps
/// no user resources; each call is given the ones it concerns.
pub trait Provider: RequestBuilder + Send + Sync {
    /// The platform this provider talks to.
    fn platform(&self) -> Platform;
    /// Reads the live objects, in as few requests as the platform's API allows: every object
    /// where the platform can list them, else only the `desired` ones and the managed objects
    /// `managed` (ids from the state, so that a plan can delete or keep them: Klavis).
    fn fetch_live<'a>(
        &'a self,
        desired: &'a [DesiredResource],
        managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>>;
    /// Reads every live object whole, for `export`: like `fetch_live`, plus the fields its
    /// listing leaves out of objects no config names.
    fn fetch_complete<'a>(
        &'a self,
        desired: &'a [DesiredResource],
        managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        self.fetch_live(desired, managed)
    }
    /// Dotted-path prefixes of a live document whose values are secret by nature.
    fn secret_paths(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether a plan takes a resource named by `id` as existing without reading it: the
    /// platform's read shows nothing a plan compares, and a write to an id that is gone fails
    /// on its own, changing nothing (Klavis). `drift` reads every resource whatever this says.
    fn plan_assumes_resources_named_by_id(&self) -> bool {
        false
    }
    /// Whether `fetch_live` returns every live object (so unmanaged ones can be reported).
    fn lists_everything(&self) -> bool {
        true
    }
    /// Sends one planned request; `Ok` only when the platform confirms the write (for a delete:
    /// shows the object gone). `Ok` holds the id of a created object.
    fn send<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Option<String>, WriteError>>;
    /// Applies one planned change: its request, then its follow-ups (PAIS tool approvals); `Ok`
    /// only when the platform confirms every write, with the id of a created object. Platforms
    /// without follow-ups send the request.
    fn apply<'a>(
        &'a self,
        change: &'a ResourceChange,
    ) -> BoxFuture<'a, Result<Option<String>, WriteError>> {
        Box::pin(async move {
            match &change.request {
                Some(request) => self.send(request).await,
                None => Ok(None),
            }
        })
    }
    /// How many writes the platform takes at once: `Some(1)` sends them one at a time, in plan
    /// order; `None` leaves it to `--parallelism`.
    fn max_write_concurrency(&self) -> Option<usize> {
        None
    }
    /// Ends what the provider opened on the platform during the run (Idun: its login session).
    /// The command layer calls it once at the end of every run, whether the run succeeded or
    /// not; nothing is sent through the provider after it. Best effort, never fails.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// What a failed write left on the platform, as far as the platform's answer tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The platform refused the write or rolled it back: the live object is as it was.
    LeftUntouched,
    /// No answer says whether the write took effect (a timeout, a server error).
    NotConfirmed,
    /// The platform answered success, but its answer shows other values than were sent.
    NotAppliedAsPlanned,
    /// Another writer changed the object since the plan; the platform kept part of each write.
    Conflict,
}

/// Why a planned write did not take effect, and what that left on the platform.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{cause}")]
pub struct WriteError {
    /// Decided where the platform's answer is read, so the report never guesses from text.
    pub verdict: Verdict,
    cause: WriteCause,
}

#[derive(Debug, Clone, thiserror::Error)]
enum WriteCause {
    #[error(transparent)]
    Http(HttpError),
    /// The platform answered success; the message says how its answer differs.
    #[error("{0}")]
    Answer(String),
    /// A failed request or an answer that showed nothing (its message, secrets masked), and what
    /// mcpform learned afterwards (a create looked up by name).
    #[error("{error}; {note}")]
    Settled { error: String, note: String },
    /// The object was created; the message says which later step failed.
    #[error("{message}")]
    AfterCreating { id: String, message: String },
}

impl WriteError {
    /// The platform answered success, but its answer shows the write did not land as sent.
    pub fn answered(verdict: Verdict, message: impl Into<String>) -> WriteError {
        WriteError {
            verdict,
            cause: WriteCause::Answer(message.into()),
        }
    }

    /// The change created its object (`id`, confirmed), then a later step of it failed: the
    /// object exists, and mcpform manages it all the same.
    pub fn after_creating(verdict: Verdict, id: String, message: String) -> WriteError {
        WriteError {
            verdict,
            cause: WriteCause::AfterCreating { id, message },
        }
    }

    /// The id of the object the change created before it failed, if it did.
    pub fn created(&self) -> Option<&str> {
        match &self.cause {
            WriteCause::AfterCreating { id, .. } => Some(id),
            _ => None,
        }
    }
}

impl WriteError {
    /// A failed request whose effect a later read settled: `note` says what it showed.
    fn settled(verdict: Verdict, error: String, note: impl Into<String>) -> WriteError {
        WriteError {
            verdict,
            cause: WriteCause::Settled {
                error,
                note: note.into(),
            },
        }
    }
}

impl From<HttpError> for WriteError {
    fn from(error: HttpError) -> WriteError {
        let verdict = match &error {
            // Rejected before anything changed (a client error, or a refusal to send at all), or
            // undone by the platform itself. A 408 (request timeout) proves nothing.
            HttpError::Status {
                status,
                rolled_back,
                ..
            } if (*status < 500 && *status != 408) || *rolled_back => Verdict::LeftUntouched,
            HttpError::ReadOnly { .. }
            | HttpError::UntrustedCertificate { .. }
            | HttpError::Token { .. } => Verdict::LeftUntouched,
            // A server error (a 503 too: a proxy may send it after the platform stored the
            // write), a lost connection, a redirect or an unreadable answer: it may have landed.
            HttpError::Status { .. }
            | HttpError::Transport { .. }
            | HttpError::Redirect { .. }
            | HttpError::InvalidResponse { .. }
            | HttpError::TooLarge { .. }
            | HttpError::BadListing { .. } => Verdict::NotConfirmed,
        };
        WriteError {
            verdict,
            cause: WriteCause::Http(error),
        }
    }
}

/// Why a provider could not be built.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SetupError {
    /// Neither the config nor `--endpoint-override` gives an endpoint.
    #[error("provider `{provider}` has no endpoint")]
    #[diagnostic(
        code(mcpform::provider::no_endpoint),
        help(
            "set `endpoint:` in the provider block, or pass `--endpoint-override {provider}=URL`"
        )
    )]
    NoEndpoint {
        /// The provider block's name.
        provider: String,
    },
    /// `tls.ca_file` cannot be used.
    #[error("provider `{provider}`: cannot use `tls.ca_file`")]
    #[diagnostic(
        code(mcpform::provider::tls),
        help(
            "set `tls.ca_file` to a PEM file of CA certificates (a path relative to the config file)"
        )
    )]
    Tls {
        /// The provider block's name.
        provider: String,
        /// Why the file cannot be used.
        source: crate::http::TlsFileError,
    },
    /// The HTTP client could not be built.
    #[error("provider `{provider}`: {source}")]
    #[diagnostic(code(mcpform::provider::client))]
    Client {
        /// The provider block's name.
        provider: String,
        /// Why the client could not be built.
        source: HttpError,
    },
}

/// What a provider needs to build its HTTP client, resolved from the provider block and flags.
pub struct Connection<'a> {
    /// The base URL.
    pub endpoint: &'a str,
    /// Requests per second; Klavis defaults to its free-tier limit of 2.
    pub rate_limit: Option<f64>,
    /// Timeouts, retries, logging.
    pub settings: &'a ClientSettings,
    /// Values to mask in errors and logs.
    pub secrets: &'a Secrets,
    /// The provider block's name.
    pub provider: &'a str,
    /// The provider's own TLS settings (`tls:`), if any.
    pub tls: Option<&'a TlsOptions>,
}

impl Connection<'_> {
    fn http_client(
        &self,
        bearer: Option<&str>,
        errors: ErrorFormat,
    ) -> Result<HttpClient, HttpError> {
        HttpClient::new(
            self.endpoint,
            bearer,
            self.tls,
            self.rate_limit,
            errors,
            self.settings,
            self.secrets,
        )
    }
}

/// Builds the provider for one config block. `endpoint` overrides the configured one.
pub fn connect(
    config: &ProviderConfig,
    endpoint: Option<&str>,
    settings: &ClientSettings,
    secrets: &Secrets,
) -> Result<Box<dyn Provider>, SetupError> {
    let provider = config.name().to_owned();
    let endpoint = endpoint
        .or(config.endpoint())
        .ok_or_else(|| SetupError::NoEndpoint {
            provider: provider.clone(),
        })?;
    let tls = config.tls();
    let tls = TlsOptions::load(
        tls.and_then(|t| t.ca_file.as_deref()),
        tls.is_some_and(|t| t.insecure_skip_verify),
    )
    .map_err(|source| SetupError::Tls {
        provider: provider.clone(),
        source,
    })?;
    let connection = Connection {
        endpoint,
        rate_limit: config.rate_limit(),
        settings,
        secrets,
        provider: &provider,
        tls: tls.as_ref(),
    };
    let built: Result<Box<dyn Provider>, HttpError> = match config {
        ProviderConfig::Pais(c) => {
            pais::PaisProvider::new(c, &connection).map(|p| Box::new(p) as _)
        }
        ProviderConfig::Idun(c) => {
            idun::IdunProvider::new(c, &connection).map(|p| Box::new(p) as _)
        }
        ProviderConfig::Hasmcp(c) => {
            hasmcp::HasmcpProvider::new(c, &connection).map(|p| Box::new(p) as _)
        }
        ProviderConfig::Klavis(c) => {
            klavis::KlavisProvider::new(c, &connection).map(|p| Box::new(p) as _)
        }
    };
    built.map_err(|source| SetupError::Client { provider, source })
}

/// The resources a config block asks for, normalized like the live side, in config order.
pub fn desired_resources(config: &ProviderConfig) -> Vec<DesiredResource> {
    let mut resources: Vec<DesiredResource> = match config {
        ProviderConfig::Pais(c) => c
            .servers
            .iter()
            .map(|s| pais::desired_resource(&c.name, s))
            .collect(),
        ProviderConfig::Idun(c) => c
            .servers
            .iter()
            .map(|s| idun::desired_resource(&c.name, s))
            .collect(),
        ProviderConfig::Hasmcp(c) => c
            .servers
            .iter()
            .map(|s| hasmcp::desired_resource(&c.name, s))
            .collect(),
        ProviderConfig::Klavis(c) => c
            .instances
            .iter()
            .map(|i| klavis::desired_resource(&c.name, i))
            .collect(),
    };
    address_shared_names_by_id(&mut resources);
    resources
}

/// Two resources may share a name when each pins its `id` (the platform allows it, and
/// `export` writes such objects that way): their addresses use the ids, so every address
/// stays unique. The config check refuses a shared name that is not pinned on every use.
fn address_shared_names_by_id(resources: &mut [DesiredResource]) {
    let mut uses: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for name in resources.iter().filter_map(|r| r.name.clone()) {
        *uses.entry(name).or_default() += 1;
    }
    for resource in resources.iter_mut() {
        let shared = resource.name.as_ref().is_some_and(|n| uses[n] > 1);
        if let (true, Some(id)) = (shared, &resource.id)
            && let Some((prefix, _)) = resource.address.rsplit_once('/')
        {
            resource.address = format!("{prefix}/{id}");
        }
    }
}

/// `<provider>/<collection>/<name or id>`.
fn address(provider: &str, collection: &str, key: &str) -> String {
    format!("{provider}/{collection}/{key}")
}

#[cfg(test)]
mod tests;
