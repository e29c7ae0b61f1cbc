//! HasMCP: every update replaces the whole server, so apply sends the full object with the
//! `version` read at plan time, and checks the answer: HasMCP returns 200 even when a stale
//! `version` made it drop the name/instructions update.

mod api;
mod client;
mod confirm;
mod convert;

pub(super) use convert::desired_resource;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::config::model::{HasmcpProvider as HasmcpConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta};
use crate::http::{HttpClient, HttpError, HttpResponse, RetryPolicy};
use crate::plan::{Method, Request};

use super::create::{Creates, create_once};
use super::{BoxFuture, Connection, Provider, Verdict, WriteError};

pub struct HasmcpProvider {
    http: Arc<HttpClient>,
}

impl HasmcpProvider {
    pub fn new(config: &HasmcpConfig, connection: &Connection) -> Result<Self, HttpError> {
        let bearer = config.auth.as_ref().map(|a| a.bearer.as_str());
        let http = connection.http_client(bearer, api::error_message)?;
        Ok(HasmcpProvider {
            http: Arc::new(http),
        })
    }
}

impl Provider for HasmcpProvider {
    fn platform(&self) -> Platform {
        Platform::Hasmcp
    }

    /// One list to match names, then the full object of each matched server only (the list
    /// leaves out resources and prompts).
    fn fetch_live<'a>(
        &'a self,
        desired: &'a [DesiredResource],
        _managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let listed = client::list_servers(&self.http).await?;
            let wanted = |server: &api::Server| {
                desired.iter().any(|d| match &d.id {
                    Some(id) => *id == server.id,
                    None => {
                        d.recorded_id.as_deref() == Some(server.id.as_str())
                            || d.name.as_deref() == Some(server.name.as_str())
                    }
                })
            };
            let (matched, unmatched): (Vec<_>, Vec<_>) =
                listed.into_iter().partition(|s| wanted(s));
            let ids = matched.into_iter().map(|s| s.id).collect();
            let mut live: Vec<LiveObject> = client::get_servers(&self.http, ids)
                .await?
                .into_iter()
                .map(convert::live_object)
                .collect();
            // The rest are only listed: no config names them, so their links are never compared.
            live.extend(unmatched.into_iter().map(convert::live_object));
            live.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(live)
        })
    }

    /// The listing, then every listed server whole.
    fn fetch_complete<'a>(
        &'a self,
        _desired: &'a [DesiredResource],
        _managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let ids = client::list_servers(&self.http)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            let mut live: Vec<LiveObject> = client::get_servers(&self.http, ids)
                .await?
                .into_iter()
                .map(convert::live_object)
                .collect();
            live.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(live)
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
            // Not idempotent: a repeated PATCH would carry a stale version.
            let answer = self
                .http
                .send(
                    reqwest::Method::PATCH,
                    &request.path,
                    &[],
                    Some(&request.body),
                    false,
                )
                .await?;
            confirm::check_answer(request, &answer.json()).map(|()| None)
        })
    }
}

impl HasmcpProvider {
    /// `DELETE`: HasMCP answers 204 whether or not the server existed, so only a read that
    /// finds it gone (404) shows the delete took effect.
    async fn delete(&self, request: &Request) -> Result<(), WriteError> {
        self.http
            .send(reqwest::Method::DELETE, &request.path, &[], None, true)
            .await?;
        match self.http.get(&request.path, &[]).await {
            Err(error) if error.status() == Some(404) => Ok(()),
            Ok(_) => Err(WriteError::answered(
                Verdict::NotAppliedAsPlanned,
                "HasMCP answered 204, but reading the server afterwards still finds it",
            )),
            Err(error) => Err(WriteError::settled(
                Verdict::NotConfirmed,
                "HasMCP answers 204 whether or not it deleted anything".into(),
                format!("reading the server afterwards failed: {error}"),
            )),
        }
    }
}

impl Creates for HasmcpProvider {
    type Found = api::Server;

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
        Ok(answer["server"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    fn name<'r>(&self, request: &'r Request) -> Option<&'r str> {
        request.body["server"].get("name").and_then(Value::as_str)
    }

    fn find<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<api::Server>, HttpError>> {
        Box::pin(async move {
            let mut servers = client::list_servers(&self.http).await?;
            servers.retain(|s| s.name == name);
            Ok(servers)
        })
    }

    fn check_found(&self, request: &Request, found: &api::Server) -> Result<String, WriteError> {
        confirm::check_scalars(&request.body["server"], found)?;
        Ok(found.id.clone())
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.http.retry_policy()
    }
}

impl RequestBuilder for HasmcpProvider {
    fn delete_request(&self, id: &str) -> Request {
        Request {
            method: Method::Delete,
            path: format!("{}/{id}", api::COLLECTION_PATH),
            body: Value::Null,
            sensitive: Vec::new(),
        }
    }

    fn build_request(&self, delta: &ResourceDelta) -> Request {
        let mut server = convert::server_wire(delta.effective);
        let (method, path) = match delta.live {
            Some(live) => {
                server.insert(
                    "version".into(),
                    live.meta.get("version").cloned().unwrap_or(json!(0)),
                );
                (
                    Method::Patch,
                    format!("{}/{}", api::COLLECTION_PATH, live.id),
                )
            }
            None => (Method::Post, api::COLLECTION_PATH.to_owned()),
        };
        let mut body = Map::new();
        body.insert("server".into(), Value::Object(server));
        Request {
            method,
            path,
            body: Value::Object(body),
            sensitive: Vec::new(),
        }
    }
}
