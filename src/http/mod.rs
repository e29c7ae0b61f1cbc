//! The HTTP client every provider uses: timeouts, retries, rate limiting, masked errors.
//!
//! Retry policy and redirect policy live here and nowhere else. Providers supply how their
//! platform phrases errors (`ErrorFormat`); this module never knows which platform it talks to.
//!
//! Redirects: a write (any method but GET) never follows one: a 301/302/303 would turn it into
//! a GET and a 307/308 would carry its body, secrets included, to wherever `Location` points.
//! Reads follow redirects within the endpoint's origin only. A redirect not followed is an
//! error naming its `Location` (masked).

mod client;
mod error;
pub mod oidc;
mod rate_limit;
mod response;
mod retry;
mod tls;

use std::time::Duration;

pub use client::HttpClient;
pub use error::HttpError;
use error::error_chain;
pub use rate_limit::RateLimiter;
pub use response::HttpResponse;
use response::{BodyError, MAX_ERROR_BODY_BYTES, read_body};
pub use retry::{RetryPolicy, jitter};
pub(crate) use tls::SkipVerify;
pub use tls::{TlsFileError, TlsOptions};

/// Makes rustls's `ring` provider the process default, once. reqwest is built without a
/// provider of its own (`rustls-no-provider`: the default one, aws-lc-rs, is a C library that
/// doubled the cold build), so every `reqwest::Client` in the process needs this to have run
/// first. Idempotent and cheap; `HttpClient::new` and `cmd::run` call it.
pub fn install_crypto_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // An error means a provider was installed before (by an embedding program): keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// How one run's clients behave (from the command line).
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// How long to wait for each response.
    pub timeout: Duration,
    /// When to send a request again.
    pub retry: RetryPolicy,
    /// Log every request and response status to stderr.
    pub verbose: bool,
    /// Refuse every request but reads (and logins): what makes `drift` read-only by construction.
    pub read_only: bool,
    /// The largest response body read; a larger one is an error, never buffered whole.
    pub max_response_bytes: usize,
    /// How long apply waits for a platform to discover a new server's tools before approving
    /// them (PAIS `approve_tools`, `apply --discovery-timeout`).
    pub tool_discovery_timeout: Duration,
    /// How many reads one client has in flight at once (`--parallelism`): a platform is read
    /// by at most this many connections, however many objects it holds.
    pub max_reads_in_flight: usize,
}

/// How many requests a run sends at once unless told otherwise (`--parallelism`).
pub const DEFAULT_PARALLELISM: usize = 8;

/// How long apply waits for PAIS to discover a server's tools unless told otherwise: public
/// PAIS clients poll for up to a minute.
pub const DEFAULT_TOOL_DISCOVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// The default cap on a response body: 32 MiB. A page of 999 PAIS servers or a few thousand
/// Idun servers (Idun lists without paging) is a few MiB; nothing mcpform reads comes close.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            verbose: false,
            read_only: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            tool_discovery_timeout: DEFAULT_TOOL_DISCOVERY_TIMEOUT,
            max_reads_in_flight: DEFAULT_PARALLELISM,
        }
    }
}

/// The HTTP method of a planned request.
pub fn method(method: crate::plan::Method) -> reqwest::Method {
    match method {
        crate::plan::Method::Post => reqwest::Method::POST,
        crate::plan::Method::Patch => reqwest::Method::PATCH,
        crate::plan::Method::Delete => reqwest::Method::DELETE,
    }
}

/// A platform's reading of an error response.
pub struct PlatformError {
    /// The platform's own explanation, as the user should read it.
    pub message: String,
    /// The platform says it undid the write (Idun's `reload_failed`): nothing was saved, and
    /// sending it again cannot help.
    pub rolled_back: bool,
    /// The platform's answer is final whatever its status (Idun's `unsupported_mode` on a 503):
    /// never retried; the text says what to do instead and is shown as the error's help.
    pub fatal: Option<String>,
}

/// Turns an error response body into the platform's own message.
pub type ErrorFormat = fn(status: u16, body: &str) -> PlatformError;
