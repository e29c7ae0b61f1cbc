//! Providers: one module per platform behind one small trait.
//!
//! Every platform folder has the same files: `api.rs` (wire types and error format),
//! `client.rs` (HTTP calls), `convert.rs` (wire and config ↔ normalized documents) and
//! `mod.rs` (the trait impl and the platform's request shape). Knowing one means knowing all.

mod idun;
mod pais;

use std::future::Future;
use std::pin::Pin;

use crate::config::model::{Platform, ProviderConfig};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder};
use crate::http::{ClientSettings, HttpError};
use crate::mask::Secrets;
use crate::plan::Request;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One configured platform account.
pub trait Provider: RequestBuilder + Send + Sync {
    fn name(&self) -> &str;
    fn platform(&self) -> Platform;
    /// The configured resources, normalized like the live side.
    fn desired(&self) -> &[DesiredResource];
    /// Reads the live objects the configured resources could match, in as few requests as
    /// the platform's API allows.
    fn fetch_live(&self) -> BoxFuture<'_, Result<Vec<LiveObject>, HttpError>>;
    /// Sends one planned request; `Ok` only when the platform confirms the write.
    fn send<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<(), HttpError>>;
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SetupError {
    #[error("provider `{provider}` has no endpoint")]
    #[diagnostic(
        code(mcpform::provider::no_endpoint),
        help(
            "set `endpoint:` in the provider block, or pass `--endpoint-override {provider}=URL`"
        )
    )]
    NoEndpoint { provider: String },
    #[error("provider `{provider}`: {source}")]
    #[diagnostic(code(mcpform::provider::client))]
    Client { provider: String, source: HttpError },
    #[error(
        "provider `{provider}`: the {platform} platform is not supported by this version of mcpform yet"
    )]
    #[diagnostic(
        code(mcpform::provider::unsupported),
        help("remove the provider block, or use `--target`/`--exclude` to skip it")
    )]
    Unsupported {
        provider: String,
        platform: Platform,
    },
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
    let client_error = |source| SetupError::Client {
        provider: provider.clone(),
        source,
    };
    Ok(match config {
        ProviderConfig::Pais(c) => {
            Box::new(pais::PaisProvider::new(c, endpoint, settings, secrets).map_err(client_error)?)
        }
        ProviderConfig::Idun(c) => {
            Box::new(idun::IdunProvider::new(c, endpoint, settings, secrets).map_err(client_error)?)
        }
        ProviderConfig::Hasmcp(_) | ProviderConfig::Klavis(_) => {
            return Err(SetupError::Unsupported {
                provider,
                platform: config.platform(),
            });
        }
    })
}

/// `<provider>/<collection>/<name or id>`.
fn address(provider: &str, collection: &str, key: &str) -> String {
    format!("{provider}/{collection}/{key}")
}
