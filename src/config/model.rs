//! The typed config model: what a user may write in `mcpform.yaml`.
//!
//! These types are the single source of truth for the config: the JSON Schema (`mcpform schema`)
//! is generated from them, validation walks that schema, and the providers read these structs.
//! Keys are snake_case; keys inside user maps (`headers`, `env`, `session_kwargs`) are verbatim.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One config file (`version: 1`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "mcpform config")]
pub struct ConfigFile {
    /// Config format version; must be 1.
    pub version: ConfigVersion,
    /// Where mcpform keeps its state; without it, the local file beside the first config file.
    pub state: Option<StateConfig>,
    /// The platforms to manage, each with the resources mcpform owns there.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
}

/// Where the state lives and how it is locked. Every value may use `${VAR}` and is secret.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StateConfig {
    /// A JSON file, locked with an OS file lock beside it (`FILE.lock`) during `apply`.
    Local(LocalState),
    /// A row of the table `mcpform_state` (created if missing), locked with an advisory lock.
    Postgres(PostgresState),
    /// An object in an S3-compatible store, locked with a lock object (`KEY.lock`) during `apply`.
    S3(S3State),
}

/// The local state file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalState {
    /// The state file (relative to the config file); default `mcpform.state.json` beside it.
    pub path: Option<String>,
}

/// The state in a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresState {
    /// A libpq connection string or URL, normally `${VAR}`: it holds the password.
    pub url: String,
    /// The state's row: several configs can share one database (default `default`).
    #[schemars(length(max = 200))]
    pub name: Option<String>,
}

/// The state in an S3-compatible object store; credentials from the `AWS_*` variables.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3State {
    /// The bucket that holds the state object.
    pub bucket: String,
    /// The state object's key; the lock object is `KEY.lock`.
    pub key: String,
    /// The store's URL, for S3-compatible stores other than AWS.
    #[schemars(url)]
    pub endpoint: Option<String>,
    /// The bucket's region, e.g. `eu-central-1`.
    pub region: Option<String>,
}

/// The only config format version so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(try_from = "u64", into = "u64")]
#[schemars(with = "ConfigVersionSchema")]
pub struct ConfigVersion;

#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // only its schema is used: `version` must be exactly 1
struct ConfigVersionSchema(#[schemars(range(min = 1, max = 1))] u64);

impl TryFrom<u64> for ConfigVersion {
    type Error = String;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        if value == 1 {
            Ok(ConfigVersion)
        } else {
            Err(format!("unsupported config version {value}; expected 1"))
        }
    }
}

impl From<ConfigVersion> for u64 {
    fn from(_: ConfigVersion) -> u64 {
        1
    }
}

/// A platform account mcpform talks to. `platform` selects the API and the resource kinds.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum ProviderConfig {
    /// VMware Private AI Services: MCP servers under `/api/v1/control/mcp-servers`.
    Pais(PaisProvider),
    /// Idun Agent Platform (standalone): MCP servers under `/admin/api/v1/mcp-servers`.
    Idun(IdunProvider),
    /// HasMCP: MCP servers under `/servers`.
    Hasmcp(HasmcpProvider),
    /// Klavis AI: server connection instances under `/mcp-server/instance`.
    Klavis(KlavisProvider),
}

/// Which platform a provider talks to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// VMware Private AI Services.
    Pais,
    /// Idun Agent Platform (standalone).
    Idun,
    /// HasMCP.
    Hasmcp,
    /// Klavis AI.
    Klavis,
}

impl Platform {
    /// Every platform, in the order the docs list them.
    pub const ALL: [Platform; 4] = [
        Platform::Pais,
        Platform::Idun,
        Platform::Hasmcp,
        Platform::Klavis,
    ];

    /// The platform's name as written in `platform:` (lowercase).
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Pais => "pais",
            Platform::Idun => "idun",
            Platform::Hasmcp => "hasmcp",
            Platform::Klavis => "klavis",
        }
    }

    /// The endpoint used when the provider block gives none; `None` for self-hosted platforms.
    pub fn default_endpoint(self) -> Option<&'static str> {
        match self {
            Platform::Pais => None,
            Platform::Idun => Some("http://127.0.0.1:8000"),
            Platform::Hasmcp => Some("https://app.hasmcp.com/api/v1"),
            Platform::Klavis => Some("https://api.klavis.ai"),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown platform `{s}`; expected one of pais, idun, hasmcp, klavis")
            })
    }
}

/// Bearer-token authentication (`Authorization: Bearer <token>`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BearerAuth {
    /// The token; normally `${ENV_VAR}` so it stays out of git.
    pub bearer: String,
}

/// Idun's admin password login (omit `auth` when the platform runs with auth mode `none`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordAuth {
    /// The admin password; normally `${ENV_VAR}`.
    pub password: String,
}

/// PAIS authentication: a fixed bearer token, or short-lived tokens from the deployment's
/// OIDC identity provider. Give exactly one of the two.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaisAuth {
    /// A fixed token (`Authorization: Bearer <token>`); normally `${ENV_VAR}`.
    pub bearer: Option<String>,
    /// Tokens from the identity provider, fetched once per run and renewed before they expire.
    pub oidc: Option<OidcAuth>,
}

/// An OIDC client: `username` + `password` use the password grant, without them the
/// `client_credentials` grant. Give `token_url` or `issuer` (discovery), not both.
/// Every value is secret: masked in every output.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcAuth {
    /// The identity provider's token endpoint.
    #[schemars(url)]
    pub token_url: Option<String>,
    /// The identity provider's issuer URL: the token endpoint is read from
    /// `{issuer}/.well-known/openid-configuration`.
    #[schemars(url)]
    pub issuer: Option<String>,
    /// The OIDC client's id.
    pub client_id: String,
    /// The client's secret, for a confidential client; normally `${ENV_VAR}`.
    pub client_secret: Option<String>,
    /// The user of the password grant (with `password`).
    pub username: Option<String>,
    /// The user's password (with `username`); normally `${ENV_VAR}`.
    pub password: Option<String>,
    /// The scope asked for (default `openid`).
    pub scope: Option<String>,
}

/// How mcpform checks the provider's TLS certificate (its token requests included).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// A PEM bundle of CA certificates trusted besides the system's (relative to the config
    /// file), for internal or self-signed CAs.
    pub ca_file: Option<String>,
    /// Do not check the certificate at all (warned about on every run); prefer `ca_file`.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// A PAIS deployment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaisProvider {
    /// Unique provider name; the first part of every address.
    pub name: String,
    /// Base URL of the PAIS deployment, e.g. `https://pais.example.internal`.
    #[schemars(url)]
    pub endpoint: String,
    /// A fixed bearer token, or OIDC tokens from the deployment's identity provider.
    pub auth: Option<PaisAuth>,
    /// TLS settings: an extra CA bundle, or no certificate check.
    pub tls: Option<TlsConfig>,
    /// Client-side request limit in requests per second (none by default).
    #[schemars(range(min = 0.1))]
    pub rate_limit: Option<f64>,
    /// Delete the objects mcpform manages (created, or applied a config entry to) once their
    /// config entry is gone. Off by default: the plan names them and leaves them in place.
    #[serde(default)]
    pub prune: bool,
    /// The MCP servers mcpform manages on this deployment.
    #[serde(default)]
    pub servers: Vec<PaisServer>,
}

/// A PAIS MCP server (`McpServerUpdateRequest`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaisServer {
    /// The server's UUID; when given, the server is matched by id instead of by name.
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// Name of the MCP server (matches the live server when no `id` is given).
    pub name: Option<String>,
    /// Base URL of the MCP server.
    #[schemars(url)]
    pub url: String,
    /// Transport protocol to the MCP server.
    pub transport: PaisTransport,
    /// Free-text description shown in PAIS. Omitted: removed (sent as `null`).
    pub description: Option<String>,
    /// Where the MCP server's API documentation lives.
    #[schemars(url)]
    pub documentation_url: Option<String>,
    /// HTTP headers mcpform sends to the MCP server. Write-only: PAIS never returns them, so
    /// mcpform tracks a salted fingerprint in the state file. Omit to leave them alone.
    pub headers: Option<Vec<PaisHeader>>,
    /// The server's tools to approve, by name (a tool's `name`, else its `origin_name`; exact
    /// match): exactly these are approved and every other tool of the server is unapproved. A new
    /// server's tools are approved once PAIS has discovered them. Omit to leave approvals alone.
    pub approve_tools: Option<Vec<String>>,
    /// Fields mcpform leaves to others (never diffed, never sent).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What mcpform may do to the object besides updating it.
    pub lifecycle: Option<Lifecycle>,
}

/// How PAIS connects to an MCP server: `STREAMABLE_HTTP` or `SSE`.
// The variants stay undocumented: schemars turns documented unit variants into a `oneOf` of
// `const`s, which the docs tables and some editors render worse than a plain `enum`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaisTransport {
    StreamableHttp,
    Sse,
}

/// One HTTP header of a PAIS MCP server.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaisHeader {
    /// Header name, e.g. `Authorization`.
    pub name: String,
    /// Header value; use `${VAR}` for credentials.
    pub value: String,
    /// Marks the value secret on the platform (`is_secret`) and masks it in every output.
    #[serde(default)]
    pub secret: bool,
}

/// An Idun Agent Platform (standalone) instance.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdunProvider {
    /// Unique provider name; the first part of every address.
    pub name: String,
    /// Base URL of the Idun instance (default `http://127.0.0.1:8000`).
    #[schemars(url)]
    pub endpoint: Option<String>,
    /// Password login; omit for auth mode `none`.
    pub auth: Option<PasswordAuth>,
    /// TLS settings: an extra CA bundle, or no certificate check.
    pub tls: Option<TlsConfig>,
    /// Client-side request limit in requests per second (none by default).
    #[schemars(range(min = 0.1))]
    pub rate_limit: Option<f64>,
    /// Delete the objects mcpform manages (created, or applied a config entry to) once their
    /// config entry is gone. Off by default: the plan names them and leaves them in place.
    #[serde(default)]
    pub prune: bool,
    /// The MCP server rows mcpform manages on this instance.
    #[serde(default)]
    pub servers: Vec<IdunServer>,
}

/// An Idun MCP server row (`name`, `enabled`, `mcpServer`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdunServer {
    /// The row's UUID; when given, matched by id instead of by name.
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// Display name of the row (matches the live row when no `id` is given).
    pub name: String,
    /// Whether the engine loads this server (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The MCP connection; the platform replaces it whole on every change.
    pub mcp_server: IdunMcpServer,
    /// Fields of this resource mcpform leaves to others: never diffed; where the platform needs a
    /// whole object sent back, the live value goes back unchanged.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What mcpform may do to the object besides updating it.
    pub lifecycle: Option<Lifecycle>,
}

fn default_true() -> bool {
    true
}

/// Idun's `MCPServer` connection settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdunMcpServer {
    /// The server's name inside the agent's config (not unique-checked by Idun).
    pub name: String,
    /// Default `streamable_http`.
    #[serde(default)]
    pub transport: IdunTransport,
    /// Required for `sse`, `streamable_http` and `websocket`.
    #[schemars(url)]
    pub url: Option<String>,
    /// Required (with `args`) for `stdio`.
    pub command: Option<String>,
    /// Arguments of `command` (`stdio`; must not be empty there).
    #[serde(default)]
    pub args: Vec<String>,
    /// Header values are secret: masked in every output.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Environment values are secret: masked in every output.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory of `command` (`stdio`).
    pub cwd: Option<String>,
    /// Text encoding of the `stdio` streams.
    pub encoding: Option<String>,
    /// What the `stdio` client does with undecodable bytes.
    pub encoding_error_handler: Option<IdunEncodingErrorHandler>,
    /// Connection timeout of the MCP client; Idun reads back 30 when unset.
    #[schemars(range(min = 0.0))]
    pub timeout_seconds: Option<serde_json::Number>,
    /// How long the client waits for the next SSE event.
    #[schemars(range(min = 0.0))]
    pub sse_read_timeout_seconds: Option<serde_json::Number>,
    /// Whether the client ends its session when it closes (`streamable_http`).
    pub terminate_on_close: Option<bool>,
    /// Extra keyword arguments for the MCP client session; keys verbatim.
    #[serde(default)]
    pub session_kwargs: BTreeMap<String, serde_json::Value>,
}

/// How Idun's MCP client reaches the server: `stdio` runs `command`; `sse`, `streamable_http`
/// and `websocket` connect to `url`.
// Variants undocumented on purpose: see `PaisTransport`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdunTransport {
    Stdio,
    Sse,
    #[default]
    StreamableHttp,
    Websocket,
}

/// What the `stdio` client does with bytes it cannot decode: `strict` fails, `ignore` drops
/// them, `replace` puts a replacement character in their place.
// Variants undocumented on purpose: see `PaisTransport`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdunEncodingErrorHandler {
    Strict,
    Ignore,
    Replace,
}

/// A HasMCP account.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HasmcpProvider {
    /// Unique provider name; the first part of every address.
    pub name: String,
    /// Base URL including `/api/v1` (default `https://app.hasmcp.com/api/v1`).
    #[schemars(url)]
    pub endpoint: Option<String>,
    /// Bearer-token authentication (`Authorization: Bearer <token>`).
    pub auth: Option<BearerAuth>,
    /// TLS settings: an extra CA bundle, or no certificate check.
    pub tls: Option<TlsConfig>,
    /// Client-side request limit in requests per second (none by default).
    #[schemars(range(min = 0.1))]
    pub rate_limit: Option<f64>,
    /// Delete the objects mcpform manages (created, or applied a config entry to) once their
    /// config entry is gone. Off by default: the plan names them and leaves them in place.
    #[serde(default)]
    pub prune: bool,
    /// The MCP servers mcpform manages in this account.
    #[serde(default)]
    pub servers: Vec<HasmcpServer>,
}

/// A HasMCP server. The platform replaces all of it on every update.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HasmcpServer {
    /// The server's 11-character id; when given, matched by id instead of by name.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]{11}$"))]
    pub id: Option<String>,
    /// 1 to 16 letters or digits.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]{1,16}$"))]
    pub name: String,
    /// Instructions the MCP server gives its clients. Omitted: set to empty (HasMCP replaces the
    /// whole server).
    #[serde(default)]
    #[schemars(length(max = 4096))]
    pub instructions: String,
    /// Whether HasMCP forwards the client's request headers to the provider.
    #[serde(default)]
    pub request_headers_proxy_enabled: bool,
    /// At most one provider, with the ids of the tools the server exposes.
    #[serde(default)]
    #[schemars(length(max = 1))]
    pub providers: Vec<HasmcpProviderLink>,
    /// Resource ids (compared as a set).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Prompt ids (compared as a set).
    #[serde(default)]
    pub prompts: Vec<String>,
    /// Fields of this resource mcpform leaves to others: never diffed; where the platform needs a
    /// whole object sent back, the live value goes back unchanged.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What mcpform may do to the object besides updating it.
    pub lifecycle: Option<Lifecycle>,
}

/// A HasMCP provider linked to a server, with the tools it exposes there.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HasmcpProviderLink {
    /// The provider's 11-character id.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]{11}$"))]
    pub id: String,
    /// Tool ids (compared as a set).
    #[serde(default)]
    pub tools: Vec<String>,
}

/// A Klavis account (US by default; EU is `https://api.eu.klavis.ai`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KlavisProvider {
    /// Unique provider name; the first part of every address.
    pub name: String,
    /// Base URL of the Klavis API; EU accounts use `https://api.eu.klavis.ai`.
    #[schemars(url)]
    pub endpoint: Option<String>,
    /// Bearer-token authentication (`Authorization: Bearer <token>`).
    pub auth: Option<BearerAuth>,
    /// TLS settings: an extra CA bundle, or no certificate check.
    pub tls: Option<TlsConfig>,
    /// Client-side request limit (default 2 per second, the platform's free-tier limit).
    #[schemars(range(min = 0.1))]
    pub rate_limit: Option<f64>,
    /// Delete the objects mcpform manages (created, or applied a config entry to) once their
    /// config entry is gone. Off by default: the plan names them and leaves them in place.
    #[serde(default)]
    pub prune: bool,
    /// The server instances mcpform manages, each named by `id`, or by `user_id` and
    /// `server_name`.
    #[serde(default)]
    pub instances: Vec<KlavisInstance>,
}

/// What mcpform may do to a resource's live object besides updating it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Make any plan that would delete the object fail (kept in the state from the last apply,
    /// so it holds once the config entry is gone).
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// A Klavis server connection instance, named by `id`, or by `user_id` and `server_name`
/// (created when missing; Klavis cannot list instances, so mcpform records the id it gets).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KlavisInstance {
    /// The instance's UUID (`instanceId`): pins an existing instance. Without it, the instance
    /// is the one of `user_id` and `server_name`.
    #[schemars(extend("format" = "uuid"))]
    pub id: Option<String>,
    /// The user the instance belongs to (`userId`); with `server_name`, the instance's natural
    /// key when no `id` is given.
    pub user_id: Option<String>,
    /// The MCP server's name in Klavis's catalogue (`serverName`, e.g. `GitHub`), compared case-
    /// and separator-insensitively as Klavis does.
    pub server_name: Option<String>,
    /// Write-only: Klavis never returns it, so mcpform tracks a fingerprint in the state file.
    pub read_only: Option<bool>,
    /// Fields of this resource mcpform leaves to others: never diffed; where the platform needs a
    /// whole object sent back, the live value goes back unchanged.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What mcpform may do to the object besides updating it.
    pub lifecycle: Option<Lifecycle>,
}

impl ProviderConfig {
    /// The provider's unique name (`name:`), the first part of every address.
    pub fn name(&self) -> &str {
        match self {
            ProviderConfig::Pais(p) => &p.name,
            ProviderConfig::Idun(p) => &p.name,
            ProviderConfig::Hasmcp(p) => &p.name,
            ProviderConfig::Klavis(p) => &p.name,
        }
    }

    /// The platform this provider block talks to.
    pub fn platform(&self) -> Platform {
        match self {
            ProviderConfig::Pais(_) => Platform::Pais,
            ProviderConfig::Idun(_) => Platform::Idun,
            ProviderConfig::Hasmcp(_) => Platform::Hasmcp,
            ProviderConfig::Klavis(_) => Platform::Klavis,
        }
    }

    /// Whether the provider's requests carry credentials (it has an `auth:` block).
    pub fn has_auth(&self) -> bool {
        match self {
            ProviderConfig::Pais(p) => p.auth.is_some(),
            ProviderConfig::Idun(p) => p.auth.is_some(),
            ProviderConfig::Hasmcp(p) => p.auth.is_some(),
            ProviderConfig::Klavis(p) => p.auth.is_some(),
        }
    }

    /// The configured endpoint, or the platform's default.
    pub fn endpoint(&self) -> Option<&str> {
        let configured = match self {
            ProviderConfig::Pais(p) => Some(p.endpoint.as_str()),
            ProviderConfig::Idun(p) => p.endpoint.as_deref(),
            ProviderConfig::Hasmcp(p) => p.endpoint.as_deref(),
            ProviderConfig::Klavis(p) => p.endpoint.as_deref(),
        };
        configured.or(self.platform().default_endpoint())
    }

    /// The provider's TLS settings, if it has any.
    pub fn tls(&self) -> Option<&TlsConfig> {
        match self {
            ProviderConfig::Pais(p) => p.tls.as_ref(),
            ProviderConfig::Idun(p) => p.tls.as_ref(),
            ProviderConfig::Hasmcp(p) => p.tls.as_ref(),
            ProviderConfig::Klavis(p) => p.tls.as_ref(),
        }
    }

    /// Resolves a relative `tls.ca_file` against the directory of the config file it is in.
    pub fn resolve_paths(&mut self, config_dir: &std::path::Path) {
        let tls = match self {
            ProviderConfig::Pais(p) => p.tls.as_mut(),
            ProviderConfig::Idun(p) => p.tls.as_mut(),
            ProviderConfig::Hasmcp(p) => p.tls.as_mut(),
            ProviderConfig::Klavis(p) => p.tls.as_mut(),
        };
        if let Some(file) = tls.and_then(|t| t.ca_file.as_mut()) {
            *file = config_dir.join(&*file).to_string_lossy().into_owned();
        }
    }

    /// Whether the provider deletes the managed objects that left its config (`prune: true`).
    pub fn prune(&self) -> bool {
        match self {
            ProviderConfig::Pais(p) => p.prune,
            ProviderConfig::Idun(p) => p.prune,
            ProviderConfig::Hasmcp(p) => p.prune,
            ProviderConfig::Klavis(p) => p.prune,
        }
    }

    /// Requests per second the client allows itself (Klavis defaults to its free-tier 2/s).
    pub fn rate_limit(&self) -> Option<f64> {
        match self {
            ProviderConfig::Pais(p) => p.rate_limit,
            ProviderConfig::Idun(p) => p.rate_limit,
            ProviderConfig::Hasmcp(p) => p.rate_limit,
            ProviderConfig::Klavis(p) => p.rate_limit.or(Some(2.0)),
        }
    }
}
