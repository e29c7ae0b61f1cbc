//! Local, stateful emulators of the admin APIs mcpform manages (PAIS, Idun, HasMCP, Klavis), for
//! `mcpform emulate`, `mcpform demo` and the end-to-end tests.
//!
//! This crate depends on nothing of mcpform: it exists to test mcpform's providers, so it must not
//! share their code; the platform names are all the two have in common. Here live what all
//! platforms share: options, start-up and shutdown, the control routes (`/_emulator/...`) and the
//! wiring of the state store, the record/rate-limit/fault middleware and the interleaved writes.
//! Each platform lives in its own module that builds its router and validates its requests.
//!
//! Layers, outermost first: record (and rate limit, and faults) → platform auth → interleave →
//! handler. So a rate-limited or faulted request neither reaches auth nor fires an interleave.

#![warn(missing_docs)]

mod fastapi;
mod faults;
mod hasmcp;
mod https;
mod idun;
mod interleave;
mod klavis;
mod oidc;
mod pais;
mod store;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultTiming, RecordedRequest};
pub use https::TlsIdentity;
pub use interleave::Interleave;
pub use oidc::{IdentityProvider, TOKEN_PATH as OIDC_TOKEN_PATH};

use faults::{RateLimit, Traffic};
use interleave::Interleaver;
use store::StateHandle;

/// A platform the emulators stand in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    /// VMware Private AI Services: `/api/v1/control/mcp-servers`, FastAPI.
    Pais,
    /// Idun Agent Platform's standalone admin API: `/admin/api/v1/mcp-servers`, FastAPI.
    Idun,
    /// HasMCP Community Edition: `/servers`, Go with Fiber.
    Hasmcp,
    /// Klavis AI: `/mcp-server/instance/{instanceId}`, FastAPI.
    Klavis,
}

impl Platform {
    /// The platform's name in lower case, as mcpform's configs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Pais => "pais",
            Platform::Idun => "idun",
            Platform::Hasmcp => "hasmcp",
            Platform::Klavis => "klavis",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to run one emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The platform whose API to serve.
    pub platform: Platform,
    /// Address to listen on, e.g. `127.0.0.1:0` for an ephemeral port.
    pub listen: SocketAddr,
    /// Seed from this JSON file if it exists; every mutation is persisted to it atomically.
    pub data: Option<PathBuf>,
    /// In-process seed in the data-file format; used when `data` is `None` or does not exist.
    pub seed: Option<Value>,
    /// What clients must present; it must be a kind the platform supports.
    pub auth: EmulatorAuth,
    /// Requests per second the emulator accepts before answering 429 in the platform's shape:
    /// a token bucket holding `ceil(rate)` requests, refilled at `rate` per second, over every
    /// platform request (control routes and interleaved writes excluded). `None` = no limit.
    pub rate_limit: Option<f64>,
}

/// The authentication the emulated platform demands. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum EmulatorAuth {
    /// Open API (Idun: auth mode `none`; HasMCP CE: `apiauth` disabled).
    None,
    /// `Authorization: Bearer <token>` on every request (PAIS, HasMCP, Klavis).
    Bearer(String),
    /// Idun auth mode `password`: log in for an `idun_session` cookie.
    Password(String),
    /// PAIS behind an OIDC identity provider the emulator runs itself (under `/oidc`): bearer
    /// tokens it issued and that have not expired.
    Oidc(IdentityProvider),
    /// PAIS behind a third-party identity provider: bearer JWTs signed (RS256) by a key of
    /// `jwks` (a JWK set, as the provider's `jwks_uri` serves it), whose `iss` is `issuer` and
    /// whose `exp` has not passed.
    Jwt {
        /// The identity provider's issuer URL, as its tokens' `iss` claim says it.
        issuer: String,
        /// The identity provider's public keys.
        jwks: Value,
    },
}

impl std::fmt::Debug for EmulatorAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmulatorAuth::None => f.write_str("None"),
            EmulatorAuth::Bearer(_) => f.write_str("Bearer(\"(sensitive)\")"),
            EmulatorAuth::Password(_) => f.write_str("Password(\"(sensitive)\")"),
            EmulatorAuth::Oidc(idp) => write!(f, "Oidc({idp:?})"),
            EmulatorAuth::Jwt { issuer, .. } => write!(f, "Jwt {{ issuer: {issuer:?} }}"),
        }
    }
}

/// What a platform module hands back: its routes, its auth check and its state.
pub(crate) struct PlatformApp {
    /// The routes behind auth, state applied; interleaved writes are dispatched to them.
    pub guarded: Router,
    /// Routes anyone may call (Idun's login), outside auth and interleaving.
    pub open: Router,
    pub auth: AuthCheck,
    pub state: Arc<dyn StateHandle>,
    /// Adds the web framework's answers for unknown routes and methods.
    pub fallbacks: fn(Router) -> Router,
}

/// A platform's authentication: the platform's answer refusing a request, or `None` to let it in.
pub(crate) type AuthCheck = Arc<dyn Fn(&HeaderMap) -> Option<Response> + Send + Sync>;

/// An emulator serving on a local port. Dropping it stops the server too.
pub struct RunningEmulator {
    addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    traffic: Arc<Traffic>,
    interleaver: Arc<Interleaver>,
    state: Arc<dyn StateHandle>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The address the emulator listens on, with the port it was given.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (loopback when listening on all interfaces).
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("{}://{addr}", self.scheme)
    }

    /// Every request received, in arrival order (control routes excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.traffic.requests()
    }

    /// Forgets every request received so far.
    pub fn clear_requests(&self) {
        self.traffic.clear_requests();
    }

    /// Queues a fault; see [`Fault`].
    pub fn inject(&self, fault: Fault) {
        self.traffic.inject(fault);
    }

    /// Drops every queued fault, including the ones that never run out.
    pub fn clear_faults(&self) {
        self.traffic.clear_faults();
    }

    /// Makes every platform request wait this long before it is handled (a slow platform);
    /// `Duration::ZERO` turns it off. Control routes are never delayed.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.traffic.set_latency(latency);
    }

    /// Queues a write by "another client", applied right before the next request matching its
    /// trigger (after that request passed auth); see [`Interleave`]. An interleave whose method
    /// or path can never be sent is dropped with a message on stderr.
    pub fn interleave(&self, write: Interleave) {
        match write.check() {
            Ok(()) => self.interleaver.push(write),
            Err(e) => eprintln!("emulator: interleave not queued: {e}"),
        }
    }

    /// Drops every interleave that has not fired yet.
    pub fn clear_interleaves(&self) {
        self.interleaver.clear();
    }

    /// The full internal state in the data-file format, write-only fields included.
    pub fn state(&self) -> Value {
        self.state.snapshot()
    }

    /// Replaces the whole state (and the data file), e.g. to change objects behind a client's back.
    pub fn set_state(&self, v: Value) -> Result<(), String> {
        self.state.replace(v)
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts an emulator and returns once it is listening.
pub async fn start(options: EmulatorOptions) -> io::Result<RunningEmulator> {
    start_serving(options, None).await
}

/// Starts an emulator serving HTTPS with `identity`, and returns once it is listening.
pub async fn start_https(
    options: EmulatorOptions,
    identity: TlsIdentity,
) -> io::Result<RunningEmulator> {
    start_serving(options, Some(identity)).await
}

async fn start_serving(
    options: EmulatorOptions,
    tls: Option<TlsIdentity>,
) -> io::Result<RunningEmulator> {
    let limit = options
        .rate_limit
        .map(|rate| RateLimit::new(options.platform, rate))
        .transpose()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let initial = store::load_initial(options.data.as_deref(), options.seed.as_ref())?;
    let interleaver = Arc::new(Interleaver::default());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = build_platform(&options, initial, scheme)?;
    let traffic = Arc::new(Traffic::new(limit));

    // The interleave layer goes on first, so that auth runs before it.
    let guarded = interleaver
        .wrap(app.guarded)
        .route_layer(axum::middleware::from_fn_with_state(app.auth, authenticate));
    let router = guarded.merge(app.open).merge(control_routes(
        traffic.clone(),
        interleaver.clone(),
        app.state.clone(),
    ));
    let router = (app.fallbacks)(router).layer(axum::middleware::from_fn_with_state(
        traffic.clone(),
        faults::record_and_fault,
    ));

    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        // A dropped sender also means "stop".
        let _ = stopped.await;
    };
    let task = match tls {
        None => tokio::spawn(serve(listener, router, shutdown)),
        Some(identity) => {
            let listener = https::TlsListener::new(listener, &identity)?;
            tokio::spawn(serve(listener, router, shutdown))
        }
    };

    Ok(RunningEmulator {
        addr,
        scheme,
        traffic,
        interleaver,
        state: app.state,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn serve<L>(
    listener: L,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let addr = listener.local_addr();
    if let Err(err) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        let addr = addr.map_or_else(|_| "?".to_owned(), |a| a.to_string());
        eprintln!("emulator on {addr} stopped: {err}");
    }
}

fn build_platform(
    options: &EmulatorOptions,
    initial: Option<Value>,
    scheme: &'static str,
) -> io::Result<PlatformApp> {
    let invalid = |msg: &str| io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned());
    let bad_seed = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
    let data = options.data.clone();
    // Idun logs in with a password; the other three take a bearer token. Any may run open.
    let credential = match (&options.auth, options.platform) {
        (EmulatorAuth::None, _) => None,
        (EmulatorAuth::Password(password), Platform::Idun) => Some(password.as_str()),
        (EmulatorAuth::Bearer(_), Platform::Idun) => {
            return Err(invalid(
                "idun authenticates with a password login (or none), not a bearer token",
            ));
        }
        (EmulatorAuth::Bearer(token), _) => Some(token.as_str()),
        (EmulatorAuth::Password(_), platform) => {
            return Err(invalid(&format!(
                "{platform} authenticates with a bearer token, not a password"
            )));
        }
        (EmulatorAuth::Oidc(_) | EmulatorAuth::Jwt { .. }, Platform::Pais) => None,
        (EmulatorAuth::Oidc(_) | EmulatorAuth::Jwt { .. }, platform) => {
            return Err(invalid(&format!(
                "the OIDC modes are for pais; {platform} takes a fixed credential"
            )));
        }
    };
    let build = match options.platform {
        Platform::Pais => pais::build,
        Platform::Idun => idun::build,
        Platform::Hasmcp => hasmcp::build,
        Platform::Klavis => klavis::build,
    };
    let mut app = build(initial, data, credential).map_err(bad_seed)?;
    match &options.auth {
        EmulatorAuth::Oidc(idp) => {
            app.auth = idp.auth_check();
            app.open = app.open.merge(idp.routes(scheme));
        }
        EmulatorAuth::Jwt { issuer, jwks } => {
            app.auth = oidc::jwt_check(issuer, jwks).map_err(|e| invalid(&e))?;
        }
        _ => {}
    }
    // `--data` names a file that should exist once the emulator runs, even before any write.
    if let Some(path) = &options.data {
        if !path.exists() {
            app.state.persist()?;
        }
    }
    Ok(app)
}

async fn authenticate(State(check): State<AuthCheck>, request: Request, next: Next) -> Response {
    match check(request.headers()) {
        None => next.run(request).await,
        Some(refusal) => refusal,
    }
}

fn control_routes(
    traffic: Arc<Traffic>,
    interleaver: Arc<Interleaver>,
    state: Arc<dyn StateHandle>,
) -> Router {
    #[derive(Clone)]
    struct Control {
        traffic: Arc<Traffic>,
        interleaver: Arc<Interleaver>,
        state: Arc<dyn StateHandle>,
    }

    async fn list_requests(State(c): State<Control>) -> Json<Vec<RecordedRequest>> {
        Json(c.traffic.requests())
    }
    async fn clear_requests(State(c): State<Control>) -> StatusCode {
        c.traffic.clear_requests();
        StatusCode::NO_CONTENT
    }
    async fn add_fault(State(c): State<Control>, body: axum::body::Bytes) -> Response {
        let fault: Fault = match serde_json::from_slice(&body) {
            Ok(fault) => fault,
            Err(e) => return control_error(format!("not a fault: {e}")),
        };
        if let Err(e) = fault.check() {
            return control_error(e);
        }
        c.traffic.inject(fault);
        StatusCode::NO_CONTENT.into_response()
    }
    async fn clear_faults(State(c): State<Control>) -> StatusCode {
        c.traffic.clear_faults();
        StatusCode::NO_CONTENT
    }
    async fn add_interleave(State(c): State<Control>, body: axum::body::Bytes) -> Response {
        let write: Interleave = match serde_json::from_slice(&body) {
            Ok(write) => write,
            Err(e) => return control_error(format!("not an interleave: {e}")),
        };
        if let Err(e) = write.check() {
            return control_error(e);
        }
        c.interleaver.push(write);
        StatusCode::NO_CONTENT.into_response()
    }
    async fn clear_interleaves(State(c): State<Control>) -> StatusCode {
        c.interleaver.clear();
        StatusCode::NO_CONTENT
    }
    async fn get_state(State(c): State<Control>) -> Json<Value> {
        Json(c.state.snapshot())
    }
    async fn put_state(State(c): State<Control>, body: axum::body::Bytes) -> Response {
        let value: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return control_error(format!("not JSON: {e}")),
        };
        match c.state.replace(value) {
            Ok(()) => Json(c.state.snapshot()).into_response(),
            Err(e) => control_error(e),
        }
    }

    Router::new()
        .route(
            "/_emulator/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/_emulator/faults", post(add_fault).delete(clear_faults))
        .route(
            "/_emulator/interleave",
            post(add_interleave).delete(clear_interleaves),
        )
        .route("/_emulator/state", get(get_state).put(put_state))
        .with_state(Control {
            traffic,
            interleaver,
            state,
        })
}

fn control_error(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}
