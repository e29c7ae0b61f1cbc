//! OIDC access tokens for one provider (`auth.oidc`): one token per run, shared by every
//! request, fetched by whichever request needs it first while the others wait for it
//! (single-flight), renewed shortly before `expires_in` runs out (with the `refresh_token`
//! grant when one was issued), and fetched anew once when the platform answers 401.
//!
//! Same shape as Idun's session (`provider/idun/client.rs`): the state sits behind one lock,
//! and a generation number tells a request that saw a token rejected whether another request
//! already replaced it. A refused grant is final for the run: every later request fails the
//! same way instead of asking the identity provider again.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::retry::{Outcome, jitter};
use super::tls::{self, TlsOptions};
use super::{BodyError, ClientSettings, HttpError, MAX_ERROR_BODY_BYTES, error_chain, read_body};
use crate::config::model::OidcAuth;
use crate::mask::Secrets;

/// How long before its expiry a token is renewed: a quarter of its life, at most 30 s (a
/// request sent just before the expiry must still arrive in time).
fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 4).min(Duration::from_secs(30))
}

/// One access token, as requests send it.
#[derive(Clone)]
pub struct Token {
    /// `Bearer …`, marked sensitive (never logged by the HTTP stack).
    header: HeaderValue,
    /// Which fetch produced it (1 = the first).
    generation: u64,
}

impl Token {
    /// The `Authorization` header that carries it.
    pub fn header(&self) -> HeaderValue {
        self.header.clone()
    }
}

/// The tokens of one provider for one run.
pub struct TokenSource {
    provider: String,
    config: OidcAuth,
    client: reqwest::Client,
    settings: ClientSettings,
    secrets: Secrets,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Where tokens come from: `token_url`, or read once from the issuer's discovery document.
    endpoint: Option<TokenEndpoint>,
    token: Option<Held>,
    /// Bumped by each fetched token; 0 = none yet.
    generation: u64,
    /// A refused grant or an unreachable identity provider: every later request fails so.
    failed: Option<HttpError>,
}

#[derive(Clone)]
struct TokenEndpoint {
    url: String,
    /// Send `client_secret` as HTTP Basic (else in the form body).
    basic: bool,
}

struct Held {
    token: Token,
    refresh: Option<String>,
    /// When to fetch the next one; `None`: the token did not say when it expires.
    renew_at: Option<Instant>,
}

/// What is asked of the token endpoint.
enum Grant<'a> {
    Password {
        username: &'a str,
        password: &'a str,
    },
    ClientCredentials,
    Refresh(&'a str),
}

impl Grant<'_> {
    fn name(&self) -> &'static str {
        match self {
            Grant::Password { .. } => "password",
            Grant::ClientCredentials => "client_credentials",
            Grant::Refresh(_) => "refresh_token",
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: Option<String>,
    /// A number of seconds; some identity providers send it as a string.
    expires_in: Option<Value>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

impl TokenSource {
    /// A source for provider `provider`; sends nothing until a token is needed.
    pub fn new(
        provider: &str,
        config: &OidcAuth,
        tls: Option<&TlsOptions>,
        settings: &ClientSettings,
        secrets: &Secrets,
    ) -> Result<TokenSource, HttpError> {
        let builder = match tls::client_config(tls) {
            Some(config) => reqwest::Client::builder().tls_backend_preconfigured(config),
            None => reqwest::Client::builder(),
        };
        let client = builder
            // A redirect would carry the credentials in the body to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("mcpform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Token {
                message: format!("provider `{provider}`: cannot build the OIDC client: {e}"),
                help: "report this as a bug in mcpform".into(),
            })?;
        Ok(TokenSource {
            provider: provider.to_owned(),
            config: config.clone(),
            client,
            settings: settings.clone(),
            secrets: secrets.clone(),
            state: Mutex::new(State::default()),
        })
    }

    /// The token to send now: the held one while it is fresh, else a new one.
    pub async fn current(&self) -> Result<Token, HttpError> {
        let mut state = self.state.lock().await;
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        if let Some(held) = &state.token
            && held.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(held.token.clone());
        }
        self.fetch(&mut state, true).await
    }

    /// A token to replace `rejected` (the platform answered 401 to it): a new one, unless
    /// another request already fetched one since.
    pub async fn renew(&self, rejected: &Token) -> Result<Token, HttpError> {
        let mut state = self.state.lock().await;
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        if let Some(held) = &state.token
            && held.token.generation != rejected.generation
        {
            return Ok(held.token.clone());
        }
        // The platform refused the token: its refresh token is not trusted either.
        self.fetch(&mut state, false).await
    }

    async fn fetch(&self, state: &mut State, may_refresh: bool) -> Result<Token, HttpError> {
        let result = self.fetch_inner(state, may_refresh).await;
        if let Err(error) = &result {
            state.failed = Some(error.clone());
        }
        result
    }

    async fn fetch_inner(&self, state: &mut State, may_refresh: bool) -> Result<Token, HttpError> {
        let endpoint = match &state.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => {
                let endpoint = self.endpoint().await?;
                state.endpoint = Some(endpoint.clone());
                endpoint
            }
        };
        let refresh = state
            .token
            .as_ref()
            .and_then(|held| held.refresh.clone())
            .filter(|_| may_refresh);
        let answer = match refresh {
            // An expired or revoked refresh token is no error: the first grant again.
            Some(refresh) => match self.grant(&endpoint, &Grant::Refresh(&refresh)).await {
                Ok(answer) => answer,
                Err(_) => self.grant(&endpoint, &self.first_grant()).await?,
            },
            None => self.grant(&endpoint, &self.first_grant()).await?,
        };
        let fetched = Instant::now();
        let lifetime = answer.expires_in.as_ref().and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let renew_at = lifetime
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|seconds| {
                let lifetime = Duration::from_secs_f64(seconds.min(1e9));
                fetched + lifetime - renewal_margin(lifetime)
            });
        let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.access_token))
            .map_err(|_| HttpError::Token {
                message: format!(
                    "provider `{}`: the identity provider issued an access token that cannot be sent in an HTTP header",
                    self.provider
                ),
                help: "check `auth.oidc.token_url` (or `issuer`): it must be the identity provider's OIDC token endpoint".into(),
            })?;
        header.set_sensitive(true);
        state.generation += 1;
        let token = Token {
            header,
            generation: state.generation,
        };
        // A token answer without a refresh token keeps the one held (RFC 6749 §6).
        let refresh = answer
            .refresh_token
            .or_else(|| state.token.take().and_then(|held| held.refresh));
        state.token = Some(Held {
            token: token.clone(),
            refresh,
            renew_at,
        });
        Ok(token)
    }

    fn first_grant(&self) -> Grant<'_> {
        match (&self.config.username, &self.config.password) {
            (Some(username), Some(password)) => Grant::Password { username, password },
            _ => Grant::ClientCredentials,
        }
    }

    /// The token endpoint: `token_url`, or the issuer's discovery document's.
    async fn endpoint(&self) -> Result<TokenEndpoint, HttpError> {
        if let Some(url) = &self.config.token_url {
            // Without the identity provider's metadata, Basic: the method RFC 6749 §2.3.1
            // makes every server support.
            return Ok(TokenEndpoint {
                url: url.clone(),
                basic: true,
            });
        }
        let issuer = self.config.issuer.as_deref().unwrap_or_default();
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let fail = |what: String| {
            HttpError::Token {
            message: format!(
                "provider `{}`: cannot read the identity provider's discovery document {}: {what}",
                self.provider,
                self.secrets.mask_text(&url)
            ),
            help: "check `auth.oidc.issuer` (it is the URL before `/.well-known/openid-configuration`), or give `auth.oidc.token_url` instead".into(),
        }
        };
        let (status, body) = self
            .send(|| self.client.get(&url), &url)
            .await
            .map_err(|e| self.unreachable(e, "issuer"))?;
        if !(200..300).contains(&status) {
            return Err(fail(format!("HTTP {status}")));
        }
        let discovery: Discovery = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("not a discovery document ({e})")))?;
        let methods = &discovery.token_endpoint_auth_methods_supported;
        let has = |m: &str| methods.iter().any(|x| x == m);
        Ok(TokenEndpoint {
            url: discovery.token_endpoint,
            basic: has("client_secret_basic") || !has("client_secret_post"),
        })
    }

    async fn grant(
        &self,
        endpoint: &TokenEndpoint,
        grant: &Grant<'_>,
    ) -> Result<TokenAnswer, HttpError> {
        let secret = self.config.client_secret.as_deref();
        let basic = secret.filter(|_| endpoint.basic);
        // The serializer is not `Send`: built and dropped before anything is awaited.
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", grant.name());
            match grant {
                Grant::Password { username, password } => {
                    form.append_pair("username", username);
                    form.append_pair("password", password);
                }
                Grant::ClientCredentials => {}
                Grant::Refresh(token) => {
                    form.append_pair("refresh_token", token);
                }
            }
            if !matches!(grant, Grant::Refresh(_)) {
                form.append_pair("scope", self.config.scope.as_deref().unwrap_or("openid"));
            }
            if basic.is_none() {
                form.append_pair("client_id", &self.config.client_id);
                if let Some(secret) = secret {
                    form.append_pair("client_secret", secret);
                }
            }
            form.finish()
        };
        let request = || {
            let request = self
                .client
                .post(&endpoint.url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body.clone());
            match basic {
                // RFC 6749 §2.3.1: both form-encoded before they are joined.
                Some(secret) => request.basic_auth(
                    form_encode(&self.config.client_id),
                    Some(form_encode(secret)),
                ),
                None => request,
            }
        };
        let field = if self.config.token_url.is_some() {
            "token_url"
        } else {
            "issuer"
        };
        let (status, body) = self
            .send(request, &endpoint.url)
            .await
            .map_err(|e| self.unreachable(e, field))?;
        if (200..300).contains(&status) {
            let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| HttpError::Token {
                message: format!(
                    "provider `{}`: the identity provider's token endpoint answered HTTP {status} without an access token",
                    self.provider
                ),
                help: format!("check `auth.oidc.{field}`: it must be the identity provider's OIDC token endpoint").into(),
            })?;
            if let Some(kind) = &answer.token_type
                && !kind.eq_ignore_ascii_case("bearer")
            {
                return Err(HttpError::Token {
                    message: format!(
                        "provider `{}`: the identity provider issued a `{}` token, not a bearer token",
                        self.provider,
                        self.secrets.mask_text(kind)
                    ),
                    help: "configure the OIDC client to issue bearer access tokens".into(),
                });
            }
            return Ok(answer);
        }
        Err(self.refused(grant, status, &body))
    }

    /// The identity provider's refusal, naming the config fields to fix.
    fn refused(&self, grant: &Grant<'_>, status: u16, body: &[u8]) -> HttpError {
        let provider = &self.provider;
        let Ok(answer) = serde_json::from_slice::<ErrorAnswer>(body) else {
            return HttpError::Token {
                message: format!(
                    "provider `{provider}`: the identity provider's token endpoint answered HTTP {status}"
                ),
                help: "check `auth.oidc.token_url` (or `issuer`): it must be the identity provider's OIDC token endpoint".into(),
            };
        };
        let grant_name = grant.name();
        let help = match (answer.error.as_str(), grant) {
            ("invalid_grant", Grant::Password { .. }) => {
                "check `auth.oidc.username` and `auth.oidc.password` (and the environment variables they come from)".to_owned()
            }
            ("invalid_client" | "unauthorized_client", _) => {
                "check `auth.oidc.client_id` and `auth.oidc.client_secret` (and the environment variables they come from)".to_owned()
            }
            ("invalid_scope", _) => "check `auth.oidc.scope` (default `openid`)".to_owned(),
            ("unsupported_grant_type", _) => format!(
                "the client may not use the `{grant_name}` grant: allow it for the client at the identity provider, or give `auth.oidc.username` and `password` (password grant) or leave them out (client_credentials)"
            ),
            _ => "check the provider's `auth.oidc` block".to_owned(),
        };
        let description = answer
            .error_description
            .map(|d| format!(" ({})", truncate(&self.secrets.mask_text(&d), 300)))
            .unwrap_or_default();
        HttpError::Token {
            message: format!(
                "provider `{provider}`: the identity provider refused the {grant_name} grant: {}{description}",
                truncate(&self.secrets.mask_text(&answer.error), 100)
            ),
            help: help.into(),
        }
    }

    /// No answer from the identity provider.
    fn unreachable(&self, error: reqwest::Error, field: &str) -> HttpError {
        let untrusted = tls::is_untrusted_certificate(&error);
        let message = self.secrets.mask_text(&error_chain(&error.without_url()));
        let help = if untrusted {
            "if the identity provider uses an internal or self-signed CA, set the provider's `tls.ca_file` to a PEM file of that CA's certificate".to_owned()
        } else {
            format!(
                "check `auth.oidc.{field}` and your network (and the proxy variables, if you need a proxy)"
            )
        };
        HttpError::Token {
            message: format!(
                "provider `{}`: cannot reach the identity provider: {message}",
                self.provider
            ),
            help: help.into(),
        }
    }

    /// Sends (again, as the retry policy allows: a token request changes nothing the platform
    /// keeps) and reads the answer's status and body.
    async fn send(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, Vec<u8>), reqwest::Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = request().send().await;
            let outcome = match &result {
                Ok(response) if response.status().as_u16() == 429 => Some(Outcome::Rejected),
                Ok(response) if response.status().is_server_error() => Some(Outcome::ServerError),
                Ok(_) => None,
                Err(e) if tls::is_untrusted_certificate(e) => None,
                Err(e) if e.is_connect() => Some(Outcome::ConnectFailed),
                Err(_) => Some(Outcome::Interrupted),
            };
            if self.settings.verbose {
                let status = match &result {
                    Ok(response) => response.status().as_u16().to_string(),
                    Err(_) => "failed".to_owned(),
                };
                eprintln!(
                    "POST {} → {status} ({} ms)",
                    self.secrets.mask_text(url),
                    started.elapsed().as_millis()
                );
            }
            let retry = outcome
                .is_some_and(|outcome| self.settings.retry.should_retry(outcome, true, attempt));
            if !retry {
                let response = result?;
                let status = response.status().as_u16();
                // Cut at the limit: a token answer is small, so a cut one is no token.
                let body = match read_body(response, MAX_ERROR_BODY_BYTES, true).await {
                    Ok(body) => body,
                    Err(BodyError::Read(e)) => return Err(e),
                    Err(BodyError::TooLarge) => Vec::new(),
                };
                return Ok((status, body));
            }
            tokio::time::sleep(self.settings.retry.backoff(attempt, jitter())).await;
        }
    }
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use mcpform_emulator::{
        EmulatorAuth, EmulatorOptions, IdentityProvider, OIDC_TOKEN_PATH, Platform,
    };

    use std::sync::Arc;

    use super::*;
    use crate::http::{HttpClient, PlatformError};

    fn no_format(_: u16, body: &str) -> PlatformError {
        PlatformError {
            message: body.to_owned(),
            rolled_back: false,
            fatal: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_starting_together_share_one_token_request() {
        let idp = IdentityProvider::new(
            "cli",
            None,
            Some(("user".into(), "pass-word".into())),
            Duration::from_secs(300),
        );
        let emulator = mcpform_emulator::start(EmulatorOptions {
            platform: Platform::Pais,
            listen: "127.0.0.1:0".parse().unwrap(),
            data: None,
            seed: None,
            auth: EmulatorAuth::Oidc(idp),
            rate_limit: None,
        })
        .await
        .unwrap();
        // A slow identity provider: every request below asks for a token while it answers.
        emulator.set_latency(Duration::from_millis(200));
        let config: OidcAuth = serde_json::from_value(serde_json::json!({
            "token_url": format!("{}{OIDC_TOKEN_PATH}", emulator.url()),
            "client_id": "cli", "username": "user", "password": "pass-word"
        }))
        .unwrap();
        let settings = ClientSettings::default();
        let secrets = Secrets::default();
        let tokens = TokenSource::new("pais", &config, None, &settings, &secrets).unwrap();
        let http = Arc::new(
            HttpClient::new(
                &emulator.url(),
                None,
                None,
                None,
                no_format,
                &settings,
                &secrets,
            )
            .unwrap()
            .with_tokens(Arc::new(tokens)),
        );
        let reads: Vec<_> = (0..16)
            .map(|_| {
                let http = Arc::clone(&http);
                tokio::spawn(async move {
                    http.get("/api/v1/control/mcp-servers", &[])
                        .await
                        .map(|_| ())
                })
            })
            .collect();
        for read in reads {
            read.await.unwrap().unwrap();
        }
        let requests = emulator.requests();
        let token_requests = requests
            .iter()
            .filter(|r| r.path == OIDC_TOKEN_PATH)
            .count();
        assert_eq!(token_requests, 1, "{requests:#?}");
        assert_eq!(requests.len(), 17);
    }

    #[test]
    fn tokens_are_renewed_a_quarter_of_their_life_early_at_most_30_seconds() {
        assert_eq!(
            renewal_margin(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
    }
}
