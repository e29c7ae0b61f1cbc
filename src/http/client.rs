//! One platform account's HTTP client: sending, retrying, redirects, tokens.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::retry::{MAX_RETRY_AFTER, Outcome, parse_retry_after};
use super::{
    BodyError, ClientSettings, ErrorFormat, HttpError, HttpResponse, MAX_ERROR_BODY_BYTES,
    RateLimiter, RetryPolicy, TlsOptions, error_chain, install_crypto_provider, jitter, oidc,
    read_body, tls,
};
use crate::mask::Secrets;

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
