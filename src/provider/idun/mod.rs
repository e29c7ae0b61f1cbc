//! Idun Agent Platform (standalone): shallow PATCH of `name`, `enabled`, `mcpServer`.
//!
//! Not a merge patch: `null` is rejected or ignored, so mcpform never sends it, and
//! `mcpServer` is replaced whole by the platform, so it is always sent whole.

mod api;
mod client;
mod confirm;
mod convert;

pub(super) use convert::desired_resource;

use serde_json::{Map, Value};

use crate::config::model::{IdunProvider as IdunConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta};
use crate::http::{HttpError, HttpResponse, RetryPolicy};
use crate::plan::{Method, Request};

use super::create::{Creates, create_once};
use super::{BoxFuture, Connection, Provider, WriteError};
use client::IdunClient;

pub struct IdunProvider {
    client: IdunClient,
    retry: RetryPolicy,
}

impl IdunProvider {
    pub fn new(config: &IdunConfig, connection: &Connection) -> Result<Self, HttpError> {
        let http = connection.http_client(None, api::error_message)?;
        Ok(IdunProvider {
            client: IdunClient::new(http, config.auth.as_ref().map(|a| a.password.clone())),
            retry: connection.settings.retry,
        })
    }
}

impl Provider for IdunProvider {
    fn platform(&self) -> Platform {
        Platform::Idun
    }

    fn fetch_live<'a>(
        &'a self,
        _desired: &'a [DesiredResource],
        _managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            Ok(self
                .client
                .list_servers()
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
        // A failed reload comes back as HTTP 500 `reload_failed`, which `api::error_message`
        // marks as rolled back: not retried, and reported as leaving the server untouched.
        Box::pin(async move {
            match request.method {
                Method::Post => return create_once(self, request).await.map(Some),
                Method::Delete => {
                    let sent = self
                        .client
                        .send(reqwest::Method::DELETE, &request.path, None, true)
                        .await;
                    return match sent {
                        // Already gone (a retry after a lost answer, or deleted by hand).
                        Err(error) if error.status() == Some(404) => Ok(None),
                        sent => confirm::check_deleted(request, &sent?.json()).map(|()| None),
                    };
                }
                Method::Patch => {}
            }
            let answer = self
                .client
                .send(
                    crate::http::method(request.method),
                    &request.path,
                    Some(&request.body),
                    true,
                )
                .await?;
            confirm::check_answer(request, &answer.json()).map(|()| None)
        })
    }

    fn secret_paths(&self) -> &'static [&'static str] {
        convert::SECRET_PATHS
    }

    /// The platform picks a new server's slug before taking its write lock, so two creates
    /// whose names fold to one slug at once fail with 500; it serialises writes anyway.
    fn max_write_concurrency(&self) -> Option<usize> {
        Some(1)
    }

    /// Logs out: each login is a session row on the platform that lives 24 hours otherwise.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.client.logout())
    }
}

impl Creates for IdunProvider {
    type Found = api::McpServerRead;

    fn post<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<HttpResponse, HttpError>> {
        Box::pin(self.client.send(
            reqwest::Method::POST,
            &request.path,
            Some(&request.body),
            false,
        ))
    }

    fn check_answer(&self, request: &Request, answer: &HttpResponse) -> Result<String, WriteError> {
        let answer = answer.json();
        confirm::check_answer(request, &answer)?;
        Ok(answer["data"]["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Names are not unique on Idun (slugs are), but a create is planned only when no live
    /// server has the name, so the ones that have it afterwards are this create's.
    fn name<'r>(&self, request: &'r Request) -> Option<&'r str> {
        request.body.get("name").and_then(Value::as_str)
    }

    fn find<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Vec<api::McpServerRead>, HttpError>> {
        Box::pin(async move {
            let mut servers = self.client.list_servers().await?;
            servers.retain(|s| s.name == name);
            Ok(servers)
        })
    }

    fn check_found(
        &self,
        request: &Request,
        found: &api::McpServerRead,
    ) -> Result<String, WriteError> {
        confirm::check_server(&request.body, found)?;
        Ok(found.id.clone())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }
}

impl RequestBuilder for IdunProvider {
    fn delete_request(&self, id: &str) -> Request {
        Request {
            method: Method::Delete,
            path: format!("{}/{id}", api::COLLECTION_PATH),
            body: Value::Null,
            sensitive: Vec::new(),
        }
    }

    fn build_request(&self, delta: &ResourceDelta) -> Request {
        let mcp_server = || {
            let document = delta
                .effective
                .get("mcp_server")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            convert::mcp_server_wire(&document)
        };
        let mut body = Map::new();
        let (method, path) = match delta.live {
            Some(live) => {
                let changed = |key: &str| {
                    delta
                        .fields
                        .iter()
                        .any(|f| f.path.split('.').next() == Some(key))
                };
                for key in ["name", "enabled"] {
                    if changed(key) {
                        body.insert(
                            key.to_owned(),
                            delta.effective.get(key).cloned().unwrap_or(Value::Null),
                        );
                    }
                }
                if changed("mcp_server") {
                    body.insert("mcpServer".into(), mcp_server());
                }
                (
                    Method::Patch,
                    format!("{}/{}", api::COLLECTION_PATH, live.id),
                )
            }
            None => {
                for key in ["name", "enabled"] {
                    if let Some(value) = delta.effective.get(key) {
                        body.insert(key.to_owned(), value.clone());
                    }
                }
                body.insert("mcpServer".into(), mcp_server());
                (Method::Post, api::COLLECTION_PATH.to_owned())
            }
        };
        let sensitive = if body.contains_key("mcpServer") {
            vec!["/mcpServer/headers".to_owned(), "/mcpServer/env".to_owned()]
        } else {
            Vec::new()
        };
        Request {
            method,
            path,
            body: Value::Object(body),
            sensitive,
        }
    }
}
