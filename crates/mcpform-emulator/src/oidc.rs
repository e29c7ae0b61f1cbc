//! PAIS's OIDC modes. PAIS takes access tokens from the identity provider its instance is
//! configured with; the emulator either runs a small one itself (`IdentityProvider`, under
//! `/oidc`: discovery, a token endpoint with the password, `client_credentials` and
//! `refresh_token` grants, short-lived opaque tokens) or accepts the JWTs of a third-party one,
//! checked against its JWK set (`jwt_check`).
//!
//! The token endpoint answers as Keycloak does (PAIS's usual identity provider): RFC 6749
//! error objects, `invalid_grant` "Invalid user credentials" for a wrong password,
//! `invalid_client` (401) for a wrong client secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::AuthCheck;
use crate::fastapi::{self, bearer_credentials};

/// Where the emulator's identity provider takes token requests.
pub const TOKEN_PATH: &str = "/oidc/token";
/// The emulator's issuer is `{base}/oidc`; its discovery document is here.
const DISCOVERY_PATH: &str = "/oidc/.well-known/openid-configuration";

/// An identity provider with one client and, optionally, one user. Clones share the tokens
/// issued.
#[derive(Clone)]
pub struct IdentityProvider {
    client_id: String,
    client_secret: Option<String>,
    user: Option<(String, String)>,
    token_lifetime: Duration,
    issued: Arc<Mutex<Issued>>,
}

/// Two identity providers are alike when they are configured alike.
impl PartialEq for IdentityProvider {
    fn eq(&self, other: &Self) -> bool {
        self.client_id == other.client_id
            && self.client_secret == other.client_secret
            && self.user == other.user
            && self.token_lifetime == other.token_lifetime
    }
}

impl Eq for IdentityProvider {}

/// Secrets hidden.
impl std::fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("client_id", &self.client_id)
            .field("confidential", &self.client_secret.is_some())
            .field("user", &self.user.as_ref().map(|(name, _)| name))
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
}

/// Tokens issued and when each expires.
#[derive(Default)]
struct Issued {
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Instant>,
}

fn lock(issued: &Mutex<Issued>) -> std::sync::MutexGuard<'_, Issued> {
    issued
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IdentityProvider {
    /// A client `client_id` (confidential when it has a secret), the user of the password
    /// grant if any, and how long an access token lives.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Option<String>,
        user: Option<(String, String)>,
        token_lifetime: Duration,
    ) -> IdentityProvider {
        IdentityProvider {
            client_id: client_id.into(),
            client_secret,
            user,
            token_lifetime,
            issued: Arc::default(),
        }
    }

    /// A refresh token outlives many access tokens, as Keycloak's session does.
    fn refresh_lifetime(&self) -> Duration {
        (self.token_lifetime * 10).max(Duration::from_secs(60))
    }

    /// Lets in a request with a bearer token this provider issued that has not expired.
    pub(crate) fn auth_check(&self) -> AuthCheck {
        let issued = Arc::clone(&self.issued);
        Arc::new(move |headers: &HeaderMap| {
            let valid = bearer_credentials(headers).is_some_and(|token| {
                lock(&issued)
                    .access
                    .get(token.trim())
                    .is_some_and(|expiry| Instant::now() < *expiry)
            });
            (!valid).then(|| fastapi::Error::NotAuthenticated.into_response())
        })
    }

    /// Discovery and the token endpoint, open to anyone.
    pub(crate) fn routes(&self, scheme: &'static str) -> Router {
        Router::new()
            .route(DISCOVERY_PATH, get(discovery))
            .route(TOKEN_PATH, post(token))
            .with_state((self.clone(), scheme))
    }

    /// Issues a new access token (and a refresh token) and forgets expired ones.
    fn issue(&self) -> Value {
        let now = Instant::now();
        let access = random_token("at");
        let refresh = random_token("rt");
        let mut issued = lock(&self.issued);
        issued.access.retain(|_, expiry| now < *expiry);
        issued.refresh.retain(|_, expiry| now < *expiry);
        issued
            .access
            .insert(access.clone(), now + self.token_lifetime);
        issued
            .refresh
            .insert(refresh.clone(), now + self.refresh_lifetime());
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime.as_secs().max(1),
            "refresh_token": refresh,
            "refresh_expires_in": self.refresh_lifetime().as_secs(),
            "scope": "openid",
        })
    }
}

fn random_token(kind: &str) -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("emu-{kind}-{hex}")
}

async fn discovery(
    State((_, scheme)): State<(IdentityProvider, &'static str)>,
    headers: HeaderMap,
) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let issuer = format!("{scheme}://{host}/oidc");
    Json(json!({
        "issuer": issuer,
        "token_endpoint": format!("{scheme}://{host}{TOKEN_PATH}"),
        "grant_types_supported": ["password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    State((idp, _)): State<(IdentityProvider, &'static str)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str);
    // The client: HTTP Basic, or `client_id` (and `client_secret`) in the body.
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            field("client_id").map(str::to_owned),
            field("client_secret").map(str::to_owned),
        ),
    };
    let client_ok = client_id.as_deref() == Some(idp.client_id.as_str())
        && match &idp.client_secret {
            Some(secret) => client_secret.as_deref() == Some(secret.as_str()),
            None => true,
        };
    if !client_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    match field("grant_type") {
        Some("password") => {
            let given = (field("username"), field("password"));
            let known = idp
                .user
                .as_ref()
                .map(|(u, p)| (Some(u.as_str()), Some(p.as_str())));
            if known.is_none() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "Client not allowed for direct access grants",
                );
            }
            if known != Some(given) {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_grant",
                    "Invalid user credentials",
                );
            }
        }
        Some("client_credentials") if idp.client_secret.is_none() => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized_client",
                "Public client not allowed to retrieve service account",
            );
        }
        Some("client_credentials") => {}
        Some("refresh_token") => {
            let now = Instant::now();
            let presented = field("refresh_token").unwrap_or_default();
            // Refresh tokens are used once: the answer carries the next one.
            let valid = lock(&idp.issued)
                .refresh
                .remove(presented)
                .is_some_and(|expiry| now < expiry);
            if !valid {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid refresh token",
                );
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant_type",
            );
        }
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(idp.issue())).into_response()
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// Lets in a request whose bearer is a JWT signed with RS256 by a key of `jwks`, issued by
/// `issuer`, not expired. An error when `jwks` holds no RSA key.
pub(crate) fn jwt_check(issuer: &str, jwks: &Value) -> Result<AuthCheck, String> {
    let keys: Vec<(Option<String>, Vec<u8>, Vec<u8>)> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter_map(|k| {
            let part = |name: &str| URL_SAFE_NO_PAD.decode(k.get(name)?.as_str()?).ok();
            let kid = k.get("kid").and_then(Value::as_str).map(str::to_owned);
            Some((kid, part("n")?, part("e")?))
        })
        .collect();
    if keys.is_empty() {
        return Err("the JWK set holds no RSA key".into());
    }
    let issuer = issuer.to_owned();
    Ok(Arc::new(move |headers: &HeaderMap| {
        let valid = bearer_credentials(headers)
            .is_some_and(|token| verify_jwt(token.trim(), &issuer, &keys));
        (!valid).then(|| fastapi::Error::NotAuthenticated.into_response())
    }))
}

fn verify_jwt(token: &str, issuer: &str, keys: &[(Option<String>, Vec<u8>, Vec<u8>)]) -> bool {
    let mut parts = token.split('.');
    let (Some(head), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let (Some(head_json), Some(claims_json), Ok(signature)) =
        (json(head), json(claims), URL_SAFE_NO_PAD.decode(signature))
    else {
        return false;
    };
    if head_json.get("alg").and_then(Value::as_str) != Some("RS256") {
        return false;
    }
    let kid = head_json.get("kid").and_then(Value::as_str);
    let signed = &token[..head.len() + 1 + claims.len()];
    let signed_by_a_key = keys
        .iter()
        .filter(|(key_id, _, _)| kid.is_none() || key_id.as_deref() == kid)
        .any(|(_, n, e)| {
            ring::signature::RsaPublicKeyComponents { n, e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    signed.as_bytes(),
                    &signature,
                )
                .is_ok()
        });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let fresh = claims_json
        .get("exp")
        .and_then(Value::as_f64)
        .is_some_and(|exp| now < exp);
    let ours = claims_json.get("iss").and_then(Value::as_str) == Some(issuer);
    signed_by_a_key && fresh && ours
}
