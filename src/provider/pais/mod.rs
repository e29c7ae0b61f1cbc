//! PAIS (VMware Private AI Services): a true JSON Merge Patch (RFC 7396) at the top level.
//!
//! Changed fields carry their new value, removed ones `null`, untouched ones are absent;
//! `headers` is write-only and sent whole.

mod api;
mod client;
mod confirm;
mod convert;
#[cfg(test)]
mod tests;

pub(super) use convert::desired_resource;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::model::{PaisProvider as PaisConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta, WriteOnlyAction};
use crate::http::oidc::TokenSource;
use crate::http::{HttpClient, HttpError, HttpResponse, RetryPolicy};
use crate::plan::{Method, Request};

use super::create::{Creates, create_once};
use super::{BoxFuture, Connection, Provider, WriteError};

pub struct PaisProvider {
    http: HttpClient,
}

impl PaisProvider {
    pub fn new(config: &PaisConfig, connection: &Connection) -> Result<Self, HttpError> {
        let auth = config.auth.as_ref();
        let bearer = auth.and_then(|a| a.bearer.as_deref());
        let mut http = connection.http_client(bearer, api::error_message)?;
        if let Some(oidc) = auth.and_then(|a| a.oidc.as_ref()) {
            let tokens = TokenSource::new(
                connection.provider,
                oidc,
                connection.tls,
                connection.settings,
                connection.secrets,
            )?;
            http = http.with_tokens(Arc::new(tokens));
        }
        Ok(PaisProvider { http })
    }
}

impl Provider for PaisProvider {
    fn platform(&self) -> Platform {
        Platform::Pais
    }

    fn fetch_live<'a>(
        &'a self,
        _desired: &'a [DesiredResource],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            Ok(client::list_servers(&self.http)
                .await?
                .into_iter()
                .map(convert::live_object)
                .collect())
        })
    }

    fn send<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            if request.method == Method::Post {
                return create_once(self, request).await;
            }
            // A merge patch is idempotent: the HTTP client may send it again.
            let answer = self
                .http
                .send(
                    crate::http::method(request.method),
                    &request.path,
                    &[],
                    Some(&request.body),
                    true,
                )
                .await?;
            confirm::check_answer(request, &answer.json())
        })
    }
}

impl Creates for PaisProvider {
    type Found = api::McpServer;

    fn post<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<HttpResponse, HttpError>> {
        Box::pin(self.http.send(
            reqwest::Method::POST,
            &request.path,
            &[],
            Some(&request.body),
            false,
        ))
    }

    fn check_answer(&self, request: &Request, answer: &HttpResponse) -> Result<(), WriteError> {
        confirm::check_answer(request, &answer.json())
    }

    fn name<'r>(&self, request: &'r Request) -> Option<&'r str> {
        request.body.get("name").and_then(Value::as_str)
    }

    fn find<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<api::McpServer>, HttpError>> {
        Box::pin(async move {
            let mut servers = client::list_servers(&self.http).await?;
            servers.retain(|s| s.name.as_deref() == Some(name));
            Ok(servers)
        })
    }

    fn check_found(&self, request: &Request, found: &api::McpServer) -> Result<(), WriteError> {
        confirm::check_server(&request.body, found.clone())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.http.retry_policy()
    }
}

impl RequestBuilder for PaisProvider {
    fn build_request(&self, delta: &ResourceDelta) -> Request {
        let mut body = Map::new();
        let (method, path) = match delta.live {
            Some(live) => {
                for field in delta.fields.iter().filter(|f| !f.write_only) {
                    let key = field.path.split('.').next().unwrap_or(&field.path);
                    body.insert(
                        key.to_owned(),
                        delta.effective.get(key).cloned().unwrap_or(Value::Null),
                    );
                }
                (
                    Method::Patch,
                    format!("{}/{}", api::COLLECTION_PATH, live.id),
                )
            }
            None => {
                body = delta.effective.clone();
                (Method::Post, api::COLLECTION_PATH.to_owned())
            }
        };
        for (field, action) in delta.write_only {
            let value = match action {
                WriteOnlyAction::Set(value) => value.clone(),
                // A new object has nothing to reset.
                WriteOnlyAction::Reset if delta.live.is_none() => continue,
                WriteOnlyAction::Reset => Value::Null,
            };
            body.insert(field.clone(), value);
        }
        Request {
            method,
            path,
            body: Value::Object(body),
            sensitive: Vec::new(),
        }
    }
}
