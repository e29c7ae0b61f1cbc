//! The HTTP client every provider uses: timeouts, retries, rate limiting, masked errors.
//!
//! Retry policy and redirect policy live here and nowhere else. Providers supply how their
//! platform phrases errors (`ErrorFormat`); this module never knows which platform it talks to.
//!
//! Redirects: a write (any method but GET) never follows one: a 301/302/303 would turn it into
//! a GET and a 307/308 would carry its body, secrets included, to wherever `Location` points.
//! Reads follow redirects within the endpoint's origin only. A redirect not followed is an
//! error naming its `Location` (masked).

pub mod oidc;
mod rate_limit;
mod retry;
mod tls;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::mask::Secrets;
pub use rate_limit::RateLimiter;
use retry::{MAX_RETRY_AFTER, Outcome, parse_retry_after};
pub use retry::{RetryPolicy, jitter};
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

/// Error bodies are only ever shown in part: at most this much of one is read.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

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

/// Why a request did not succeed.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
pub enum HttpError {
    /// The platform answered with an error status.
    #[error("{method} {url} answered HTTP {status}{}: {message}", attempts_note(*.attempts))]
    #[diagnostic(code(mcpform::http::status))]
    Status {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
        /// The platform says it undid the write (see `PlatformError::rolled_back`).
        rolled_back: bool,
        /// What to do instead, when the answer is final (see `PlatformError::fatal`). Boxed to
        /// keep every `Result` carrying an `HttpError` small.
        #[help]
        help: Option<Box<str>>,
    },
    #[error("{method} {url} failed{}: {message}", attempts_note(*.attempts))]
    #[diagnostic(
        code(mcpform::http::transport),
        help("check the provider's `endpoint` and your network")
    )]
    /// No answer came: the connection failed or timed out.
    Transport {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
        /// No answer came within the timeout: the platform may still be working on the request.
        timed_out: bool,
    },
    /// The server's certificate is not trusted: not retried, it will not change by itself.
    #[error("{method} {url} failed: the server's TLS certificate is not trusted: {message}")]
    #[diagnostic(
        code(mcpform::http::untrusted_certificate),
        help(
            "if the server uses an internal or self-signed CA, set the provider's `tls.ca_file` to a PEM file of that CA's certificate (relative to the config file)"
        )
    )]
    UntrustedCertificate {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the TLS library said.
        message: String,
    },
    /// The provider's OIDC identity provider gave no token (see `oidc`).
    #[error("{message}")]
    #[diagnostic(code(mcpform::http::oidc))]
    Token {
        /// What went wrong, naming the provider; secrets masked.
        message: String,
        /// Which config field to fix.
        #[help]
        help: Box<str>,
    },
    /// A write refused before sending: the command only reads.
    #[error("refused to send {method} {url}: this command only reads")]
    #[diagnostic(code(mcpform::http::read_only))]
    ReadOnly {
        /// The refused request's method.
        method: String,
        /// The refused request's URL, secrets masked.
        url: String,
    },
    /// A redirect that mcpform does not follow: any redirect answering a write, and a read's
    /// redirect to another origin (or past the hop limit).
    #[error("{method} {url} answered HTTP {status}, a redirect to `{location}`; {why}")]
    #[diagnostic(
        code(mcpform::http::redirect),
        help("point the provider's `endpoint` at the address the platform really serves")
    )]
    Redirect {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The redirect's HTTP status.
        status: u16,
        /// The `Location` it pointed at, secrets masked.
        location: String,
        /// Why it was not followed.
        why: &'static str,
    },
    /// A success whose body is not what the platform documents.
    #[error("{method} {url} returned a body mcpform cannot read: {message}")]
    #[diagnostic(code(mcpform::http::invalid_response))]
    InvalidResponse {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// What the platform (or the transport) said, secrets masked.
        message: String,
    },
    /// A response body larger than mcpform reads; reading stopped at the limit.
    #[error("{method} {url} answered with a body over {}; mcpform stopped reading it", size(*.limit))]
    #[diagnostic(
        code(mcpform::http::too_large),
        help(
            "no answer of the APIs mcpform manages comes near that size: check that the provider's `endpoint` is the platform's API, not a proxy or a download"
        )
    )]
    TooLarge {
        /// The request's method.
        method: String,
        /// The request's URL, secrets masked.
        url: String,
        /// The cap, in bytes.
        limit: usize,
    },
    /// A listing that does not progress or contradicts itself: planning from it would be
    /// planning from a partial or wrong view of the platform.
    #[error("{method} {url}: {message}")]
    #[diagnostic(
        code(mcpform::http::bad_listing),
        help(
            "the platform's listing is inconsistent, so nothing was planned from it: run again later, and report it to the platform's operator if it persists"
        )
    )]
    BadListing {
        /// The listing's method.
        method: String,
        /// The listing's URL, secrets masked.
        url: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A byte count as people read it: `32 MiB`, `64 KiB`, `100 bytes`.
fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl HttpError {
    /// The HTTP status of a `Status` error.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A successful response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body as received (at most `ClientSettings::max_response_bytes`), checked to be JSON
    /// or empty. Kept as bytes and decoded straight into the wire type, never into a
    /// `serde_json::Value` first: a value tree of a hostile body can be many times its size.
    body: Vec<u8>,
    /// The request's method and URL as errors may show them (secrets masked).
    method: String,
    url: String,
    /// serde's message may quote a value of the body, and the body may echo a secret.
    secrets: Secrets,
}

impl HttpResponse {
    /// A response as a test's fake platform gives it.
    #[cfg(test)]
    pub fn for_test(status: u16, body: Value) -> HttpResponse {
        HttpResponse {
            status,
            body: serde_json::to_vec(&body).expect("a JSON value serializes"),
            method: "POST".into(),
            url: "http://127.0.0.1:1/x".into(),
            secrets: Secrets::default(),
        }
    }

    /// Reads the body as the platform's wire type; a body of another shape is an
    /// `InvalidResponse` naming the request. An empty body reads as JSON `null`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        let decoded = if self.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_value(Value::Null)
        } else {
            serde_json::from_slice(&self.body)
        };
        decoded.map_err(|e| HttpError::InvalidResponse {
            method: self.method.clone(),
            url: self.url.clone(),
            message: self.secrets.mask_text(&e.to_string()),
        })
    }

    /// The body as a JSON value (`null` when empty), for checks that read a few fields of a
    /// write's answer. The body was checked to be JSON when it arrived, so this cannot fail.
    pub fn json(&self) -> Value {
        self.decode().unwrap_or(Value::Null)
    }

    /// The listing error for this response's request (see `HttpError::BadListing`).
    pub fn bad_listing(&self, message: impl Into<String>) -> HttpError {
        HttpError::BadListing {
            method: self.method.clone(),
            url: self.url.clone(),
            message: message.into(),
        }
    }
}

/// Why a response body could not be read whole.
enum BodyError {
    /// Longer than the cap.
    TooLarge,
    /// The connection broke while the body was coming.
    Read(reqwest::Error),
}

/// Reads a body chunk by chunk, never holding more than `limit` bytes. With `truncate`, a
/// longer body is cut at the limit (error bodies, shown only in part); otherwise it is an error.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    truncate: bool,
) -> Result<Vec<u8>, BodyError> {
    if !truncate && response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        let room = limit - body.len();
        if chunk.len() > room {
            if truncate {
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// One platform account's HTTP client.
pub struct HttpClient {
    /// For GET: follows redirects within the endpoint's origin.
    reads: reqwest::Client,
    /// For every other method: never follows a redirect. Shares the cookie jar with `reads`.
    writes: reqwest::Client,
    base: String,
    settings: ClientSettings,
    limiter: Option<RateLimiter>,
    /// Permits for reads in flight (`ClientSettings::max_reads_in_flight`).
    read_slots: tokio::sync::Semaphore,
    errors: ErrorFormat,
    secrets: Secrets,
    /// Where each request's bearer token comes from, when it is not fixed (OIDC).
    tokens: Option<Arc<oidc::TokenSource>>,
}

impl HttpClient {
    /// `bearer` adds `Authorization: Bearer …` to every request; cookies are always kept
    /// (Idun's session). `tls` is the provider's own TLS settings, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        endpoint: &str,
        bearer: Option<&str>,
        tls: Option<&TlsOptions>,
        rate_limit: Option<f64>,
        errors: ErrorFormat,
        settings: &ClientSettings,
        secrets: &Secrets,
    ) -> Result<HttpClient, HttpError> {
        let mut headers = HeaderMap::new();
        if let Some(token) = bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                HttpError::Transport {
                    method: "-".into(),
                    url: endpoint.into(),
                    message: "the bearer token contains characters not allowed in an HTTP header"
                        .into(),
                    attempts: 0,
                    timed_out: false,
                }
            })?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let jar = Arc::new(reqwest::cookie::Jar::default());
        install_crypto_provider();
        let build = |redirects: reqwest::redirect::Policy| {
            let builder = match tls::client_config(tls) {
                Some(config) => reqwest::Client::builder().tls_backend_preconfigured(config),
                None => reqwest::Client::builder(),
            };
            builder
                .default_headers(headers.clone())
                .cookie_provider(Arc::clone(&jar))
                .redirect(redirects)
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
                .user_agent(concat!("mcpform/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| HttpError::Transport {
                    method: "-".into(),
                    url: endpoint.into(),
                    message: e.to_string(),
                    attempts: 0,
                    timed_out: false,
                })
        };
        let reads = build(reqwest::redirect::Policy::custom(follow_within_origin))?;
        let writes = build(reqwest::redirect::Policy::custom(|attempt| attempt.stop()))?;
        Ok(HttpClient {
            reads,
            writes,
            base: endpoint.trim_end_matches('/').to_owned(),
            settings: settings.clone(),
            limiter: rate_limit.map(RateLimiter::per_second),
            read_slots: tokio::sync::Semaphore::new(settings.max_reads_in_flight.max(1)),
            errors,
            secrets: secrets.clone(),
            tokens: None,
        })
    }

    /// Takes every request's bearer token from `tokens`: fetched before the first request,
    /// renewed before it expires, and fetched anew once when the platform answers 401.
    pub fn with_tokens(mut self, tokens: Arc<oidc::TokenSource>) -> HttpClient {
        self.tokens = Some(tokens);
        self
    }

    /// When to send a request again: for callers that decide themselves whether a write may be
    /// re-sent (a create whose outcome is unknown).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.settings.retry
    }

    /// Sends a GET (idempotent, so retried freely), once one of the client's read slots is
    /// free. The slot is held through retries: a platform answering 429 gets fewer requests, not
    /// more, while it asks mcpform to wait.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<HttpResponse, HttpError> {
        let _slot = self.read_slots.acquire().await.expect("never closed");
        self.send(reqwest::Method::GET, path, query, None, true)
            .await
    }

    /// Logs in (a POST that changes nothing on the platform, so read-only runs may send it).
    pub async fn login(&self, path: &str, body: &Value) -> Result<HttpResponse, HttpError> {
        self.send_unchecked(reqwest::Method::POST, path, &[], Some(body), true)
            .await
    }

    /// Ends a session (a POST that changes nothing but the session, so read-only runs may send
    /// it). Not re-sent after a server error: a session left open expires on its own.
    pub async fn logout(&self, path: &str) -> Result<HttpResponse, HttpError> {
        self.send_unchecked(reqwest::Method::POST, path, &[], None, false)
            .await
    }

    /// Sends a request, retrying what `RetryPolicy` allows. `idempotent` says whether
    /// re-sending after an uncertain failure is safe.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<HttpResponse, HttpError> {
        if self.settings.read_only && method != reqwest::Method::GET {
            return Err(HttpError::ReadOnly {
                method: method.to_string(),
                url: self.shown_url(path),
            });
        }
        self.send_unchecked(method, path, query, body, idempotent)
            .await
    }

    /// Sends with the current token of `tokens`, if there are any; a 401 (the token was not
    /// accepted: nothing was done) renews it once and sends again.
    async fn send_unchecked(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<HttpResponse, HttpError> {
        let Some(tokens) = &self.tokens else {
            return self
                .send_with(method, path, query, body, idempotent, None)
                .await;
        };
        let token = tokens.current().await?;
        match self
            .send_with(method.clone(), path, query, body, idempotent, Some(&token))
            .await
        {
            Err(e) if e.status() == Some(401) => {
                let token = tokens.renew(&token).await?;
                self.send_with(method, path, query, body, idempotent, Some(&token))
                    .await
            }
            result => result,
        }
    }

    async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
        token: Option<&oidc::Token>,
    ) -> Result<HttpResponse, HttpError> {
        let url = format!("{}{}", self.base, path);
        let shown = self.shown_url(path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            let client = if method == reqwest::Method::GET {
                &self.reads
            } else {
                &self.writes
            };
            let mut request = client.request(method.clone(), &url).query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            if let Some(token) = token {
                request = request.header(reqwest::header::AUTHORIZATION, token.header());
            }
            let started = std::time::Instant::now();
            let result = request.send().await;
            let (outcome, wait, error) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    self.log(&method, &shown, &status.to_string(), started);
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    if (300..400).contains(&status) {
                        return Err(self.redirect_error(&method, &shown, &response));
                    }
                    if (200..300).contains(&status) {
                        let limit = self.settings.max_response_bytes;
                        match read_body(response, limit, false).await {
                            Ok(body) => return self.parse_body(&method, &shown, status, body),
                            Err(BodyError::TooLarge) => {
                                return Err(HttpError::TooLarge {
                                    method: method.to_string(),
                                    url: shown,
                                    limit,
                                });
                            }
                            Err(BodyError::Read(e)) => {
                                let error = HttpError::Transport {
                                    method: method.to_string(),
                                    url: shown.clone(),
                                    message: self.secrets.mask_text(&error_chain(&e)),
                                    attempts: attempt,
                                    timed_out: e.is_timeout(),
                                };
                                (Outcome::Interrupted, None, error)
                            }
                        }
                    } else {
                        let body = read_body(response, MAX_ERROR_BODY_BYTES, true)
                            .await
                            .unwrap_or_default();
                        // Masked before the platform's format reads it: a body that echoes a
                        // secret (raw or JSON-escaped) may be shown cut short, and a cut secret
                        // no longer matches.
                        let text = self.secrets.mask_text(&String::from_utf8_lossy(&body));
                        let platform = (self.errors)(status, &text);
                        let final_answer = platform.fatal.is_some();
                        let error = HttpError::Status {
                            method: method.to_string(),
                            url: shown.clone(),
                            status,
                            message: self.secrets.mask_text(&platform.message),
                            attempts: attempt,
                            rolled_back: platform.rolled_back,
                            help: platform.fatal.map(String::into_boxed_str),
                        };
                        let outcome = match status {
                            _ if final_answer => return Err(error),
                            // A 503 may come from a proxy after the platform stored the write,
                            // so only a 429 proves the request was refused unprocessed.
                            429 => Outcome::Rejected,
                            500..=599 if !platform.rolled_back => Outcome::ServerError,
                            _ => return Err(error),
                        };
                        (outcome, retry_after, error)
                    }
                }
                Err(e) => {
                    self.log(&method, &shown, "failed", started);
                    if tls::is_untrusted_certificate(&e) {
                        return Err(HttpError::UntrustedCertificate {
                            method: method.to_string(),
                            url: shown,
                            message: self.secrets.mask_text(&error_chain(&e.without_url())),
                        });
                    }
                    let outcome = if e.is_connect() {
                        Outcome::ConnectFailed
                    } else {
                        Outcome::Interrupted
                    };
                    let timed_out = e.is_timeout();
                    let message = if timed_out {
                        format!(
                            "no response within {}s",
                            self.settings.timeout.as_secs_f64()
                        )
                    } else {
                        // The URL is in the error already (masked); reqwest's copy is not.
                        error_chain(&e.without_url())
                    };
                    let error = HttpError::Transport {
                        method: method.to_string(),
                        url: shown.clone(),
                        message: self.secrets.mask_text(&message),
                        attempts: attempt,
                        timed_out,
                    };
                    (outcome, None, error)
                }
            };
            if !self
                .settings
                .retry
                .should_retry(outcome, idempotent, attempt)
            {
                return Err(error);
            }
            let delay = match wait {
                Some(wait) if wait > MAX_RETRY_AFTER => return Err(error),
                Some(wait) => wait,
                None => self.settings.retry.backoff(attempt, jitter()),
            };
            if self.settings.verbose {
                eprintln!("retrying {method} {shown} in {:.1}s", delay.as_secs_f64());
            }
            tokio::time::sleep(delay).await;
        }
    }

    fn parse_body(
        &self,
        method: &reqwest::Method,
        url: &str,
        status: u16,
        body: Vec<u8>,
    ) -> Result<HttpResponse, HttpError> {
        // Checked here, so that a write whose answer is not JSON is never taken as confirmed;
        // `IgnoredAny` walks the body without building anything.
        if !body.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| {
                HttpError::InvalidResponse {
                    method: method.to_string(),
                    url: url.to_owned(),
                    message: self.secrets.mask_text(&e.to_string()),
                }
            })?;
        }
        Ok(HttpResponse {
            status,
            body,
            method: method.to_string(),
            url: url.to_owned(),
            secrets: self.secrets.clone(),
        })
    }

    /// The error for a redirect answer that was not followed, naming its `Location` (masked).
    fn redirect_error(
        &self,
        method: &reqwest::Method,
        shown: &str,
        response: &reqwest::Response,
    ) -> HttpError {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_else(|| "(no Location header)".to_owned());
        let why = if *method != reqwest::Method::GET {
            "mcpform never follows a redirect on a write"
        } else if !same_origin_location(response.url(), &location) {
            "mcpform follows redirects only within the endpoint's origin"
        } else {
            "too many redirects"
        };
        HttpError::Redirect {
            method: method.to_string(),
            url: shown.to_owned(),
            status: response.status().as_u16(),
            location: self.secrets.mask_text(&location),
            why,
        }
    }

    /// The URL as errors and logs may show it: an endpoint built from `${VAR}` is secret.
    fn shown_url(&self, path: &str) -> String {
        self.secrets.mask_text(&format!("{}{path}", self.base))
    }

    fn log(&self, method: &reqwest::Method, url: &str, status: &str, started: std::time::Instant) {
        if self.settings.verbose {
            eprintln!(
                "{method} {url} → {status} ({} ms)",
                started.elapsed().as_millis()
            );
        }
    }
}

/// The read client's redirect policy: follow within the first request's origin, at most 10 hops.
fn follow_within_origin(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same_origin = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if same_origin && attempt.previous().len() <= 10 {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// Whether `location`, resolved against `from`, stays in `from`'s origin.
fn same_origin_location(from: &reqwest::Url, location: &str) -> bool {
    from.join(location)
        .is_ok_and(|target| target.origin() == from.origin())
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
