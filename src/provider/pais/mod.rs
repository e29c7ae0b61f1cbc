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

use serde_json::{Map, Value};

use crate::config::model::{PaisProvider as PaisConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta, WriteOnlyAction};
use crate::http::{HttpClient, HttpError, HttpResponse, RetryPolicy};
use crate::plan::{Method, Request};

use super::create::{Creates, create_once};
use super::{BoxFuture, Connection, Provider, Verdict, WriteError};

pub struct PaisProvider {
    http: HttpClient,
}

impl PaisProvider {
    pub fn new(config: &PaisConfig, connection: &Connection) -> Result<Self, HttpError> {
        let bearer = config.auth.as_ref().map(|a| a.bearer.as_str());
        Ok(PaisProvider {
            http: connection.http_client(bearer, api::error_message)?,
        })
    }
}

impl Provider for PaisProvider {
    fn platform(&self) -> Platform {
        Platform::Pais
    }

    fn fetch_live<'a>(
        &'a self,
        _desired: &'a [DesiredResource],
        _managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            Ok(client::list_servers(&self.http)
                .await?
                .into_iter()
                .map(convert::live_object)
                .collect())
        })
    }

    fn send<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Option<String>, WriteError>> {
        Box::pin(async move {
            match request.method {
                Method::Post => return create_once(self, request).await.map(Some),
                Method::Delete => return self.delete(request).await.map(|()| None),
                Method::Patch => {}
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
            confirm::check_answer(request, &answer.json()).map(|()| None)
        })
    }
}

impl PaisProvider {
    /// `DELETE`: a 2xx or a 404 (already gone) shows the server gone; a 409 means one of its
    /// tools is still linked to an agent, and PAIS keeps the server.
    async fn delete(&self, request: &Request) -> Result<(), WriteError> {
        let sent = self
            .http
            .send(reqwest::Method::DELETE, &request.path, &[], None, true)
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(error) if error.status() == Some(404) => Ok(()),
            Err(error) if error.status() == Some(409) => Err(WriteError::settled(
                Verdict::LeftUntouched,
                error.to_string(),
                "a tool of this MCP server is still linked to an agent, so PAIS keeps the \
                 server; unlink the tool from the agent in PAIS, then re-run `mcpform apply`",
            )),
            Err(error) => Err(error.into()),
        }
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

    fn check_answer(&self, request: &Request, answer: &HttpResponse) -> Result<String, WriteError> {
        let answer = answer.json();
        confirm::check_answer(request, &answer)?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
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

    fn check_found(&self, request: &Request, found: &api::McpServer) -> Result<String, WriteError> {
        confirm::check_server(&request.body, found.clone())?;
        Ok(found.id.clone())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.http.retry_policy()
    }
}

impl RequestBuilder for PaisProvider {
    fn delete_request(&self, id: &str) -> Request {
        Request {
            method: Method::Delete,
            path: format!("{}/{id}", api::COLLECTION_PATH),
            body: Value::Null,
            sensitive: Vec::new(),
        }
    }

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
