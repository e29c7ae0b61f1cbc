//! PAIS (VMware Private AI Services): a true JSON Merge Patch (RFC 7396) at the top level.
//!
//! Changed fields carry their new value, removed ones `null`, untouched ones are absent;
//! `headers` is write-only and sent whole. Tool approvals (`approve_tools`) are a flag map written
//! by one approval request per tool after the server's own request (`approve.rs`).

mod api;
mod approve;
mod client;
mod confirm;
mod convert;
#[cfg(test)]
mod tests;

pub(super) use convert::desired_resource;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::config::model::{PaisProvider as PaisConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta, WriteOnlyAction};
use crate::http::oidc::TokenSource;
use crate::http::{HttpClient, HttpError, HttpResponse, RetryPolicy};
use crate::plan::{FollowUp, Method, Request, ResourceChange};
use convert::APPROVE_TOOLS;

use super::create::{Creates, create_once};
use super::{BoxFuture, Connection, Provider, Verdict, WriteError};

pub struct PaisProvider {
    http: HttpClient,
    /// How long apply waits for tools a plan could not name yet to be discovered.
    tool_discovery_timeout: Duration,
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
        Ok(PaisProvider {
            http,
            tool_discovery_timeout: connection.settings.tool_discovery_timeout,
        })
    }
}

/// The configured servers whose config has `approve_tools`, found in one lookup per live
/// server whatever the fleet's size: by id (PAIS ids compare case-insensitively), else by name.
struct ApprovingTools<'a> {
    ids: HashSet<String>,
    names: HashSet<&'a str>,
}

impl<'a> ApprovingTools<'a> {
    fn new(desired: &'a [DesiredResource]) -> Self {
        let mut approving = ApprovingTools {
            ids: HashSet::new(),
            names: HashSet::new(),
        };
        for resource in desired
            .iter()
            .filter(|d| d.document.contains_key(APPROVE_TOOLS))
        {
            match (&resource.id, &resource.name) {
                (Some(id), _) => {
                    approving.ids.insert(id.to_ascii_lowercase());
                }
                (None, Some(name)) => {
                    approving.names.insert(name);
                }
                (None, None) => {}
            }
        }
        approving
    }

    fn of(&self, server: &api::McpServer) -> bool {
        (!self.ids.is_empty() && self.ids.contains(&server.id.to_ascii_lowercase()))
            || server
                .name
                .as_deref()
                .is_some_and(|name| self.names.contains(name))
    }
}

impl Provider for PaisProvider {
    fn platform(&self) -> Platform {
        Platform::Pais
    }

    /// Every server; the tools only of those whose config has `approve_tools` (one listing
    /// each, one server after the other), so omitting it reads nothing more.
    fn fetch_live<'a>(
        &'a self,
        desired: &'a [DesiredResource],
        _managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let approving = ApprovingTools::new(desired);
            let mut live = Vec::new();
            for server in client::list_servers(&self.http).await? {
                let tools = if approving.of(&server) {
                    Some(client::list_tools(&self.http, &server.id).await?)
                } else {
                    None
                };
                live.push(convert::live_object(server, tools));
            }
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
            confirm::check_answer(request, &answer.json()).map(|_| None)
        })
    }

    /// The server's own request (a create yields the new server's id), then its approvals.
    fn apply<'a>(
        &'a self,
        change: &'a ResourceChange,
    ) -> BoxFuture<'a, Result<Option<String>, WriteError>> {
        Box::pin(async move {
            let (created, server_id) = match &change.request {
                Some(request) if request.method == Method::Post => {
                    let id = create_once(self, request).await?;
                    (Some(id.clone()), id)
                }
                Some(request) => {
                    let created = self.send(request).await?;
                    (created, change.remote_id.clone().unwrap_or_default())
                }
                None => (None, change.remote_id.clone().unwrap_or_default()),
            };
            if change.follow_ups.is_empty() {
                return Ok(created);
            }
            let approvals = approve::Approvals {
                http: &self.http,
                address: &change.address,
                server_id: &server_id,
                discovery_timeout: self.tool_discovery_timeout,
            };
            let approved = approvals.apply(&change.follow_ups).await;
            match (approved, &created) {
                (Ok(()), _) => Ok(created),
                // The server itself was created and confirmed: say so, so the report does not
                // read as if nothing exists (the next plan matches it by name).
                (Err(error), Some(id)) => Err(WriteError::after_creating(
                    error.verdict,
                    id.clone(),
                    format!(
                        "the server was created (id {id}), but its tools were not approved: {error}"
                    ),
                )),
                (Err(error), None) => Err(error),
            }
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

    fn check_found(&self, request: &Request, found: &api::McpServer) -> Result<String, WriteError> {
        confirm::check_server(&request.body, found.clone())
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
                    if key == APPROVE_TOOLS {
                        continue;
                    }
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
                body.remove(APPROVE_TOOLS);
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

    fn flag_maps(&self) -> &'static [&'static str] {
        &[APPROVE_TOOLS]
    }

    /// One approval request per tool whose state differs: every live tool of that name, or, for a
    /// tool not live yet (a new server's, one not discovered), one request whose path apply
    /// completes (`{server_id}`, `{tool_id}`).
    fn build_follow_ups(&self, delta: &ResourceDelta) -> Vec<FollowUp> {
        let server_id = delta.live.map_or("{server_id}", |l| l.id.as_str());
        let mut follow_ups = Vec::new();
        for field in delta.fields {
            let Some(name) = field
                .path
                .strip_prefix(APPROVE_TOOLS)
                .and_then(|rest| rest.strip_prefix('.'))
            else {
                continue;
            };
            let approve = field
                .after
                .as_ref()
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let live_tools = delta
                .live
                .and_then(|l| l.meta.get("tools"))
                .and_then(|tools| tools.get(name))
                .and_then(Value::as_array);
            let tool_ids: Vec<&str> = match live_tools {
                Some(tools) => tools
                    .iter()
                    .filter(|t| t["is_approved"].as_bool() != Some(approve))
                    .filter_map(|t| t["id"].as_str())
                    .collect(),
                None => vec!["{tool_id}"],
            };
            for tool_id in tool_ids {
                follow_ups.push(FollowUp {
                    field: field.path.clone(),
                    request: Request {
                        method: Method::Post,
                        path: api::approval_path(server_id, tool_id),
                        body: json!({"is_approved": approve}),
                        sensitive: Vec::new(),
                    },
                });
            }
        }
        follow_ups
    }
}
