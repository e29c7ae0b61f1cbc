//! HasMCP: every update replaces the whole server, so apply sends the full object with the
//! `version` read at plan time, and checks the answer: HasMCP returns 200 even when a stale
//! `version` made it drop the name/instructions update.

mod api;
mod client;
mod convert;

pub(super) use convert::desired_resource;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::config::model::{HasmcpProvider as HasmcpConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta};
use crate::http::{HttpClient, HttpError};
use crate::plan::{Method, Request};

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
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let listed = client::list_servers(&self.http).await?;
            let wanted = |server: &api::Server| {
                desired.iter().any(|d| match &d.id {
                    Some(id) => *id == server.id,
                    None => d.name.as_deref() == Some(server.name.as_str()),
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

    fn send<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
            let method = crate::http::method(request.method);
            // Neither is idempotent: a repeated PATCH would carry a stale version.
            let response = self
                .http
                .send(method, &request.path, &[], Some(&request.body), false)
                .await?;
            if request.method == Method::Patch {
                let answer: api::ServerEnvelope = response.decode()?;
                verify_update(&request.body["server"], &answer.server)?;
            }
            Ok(())
        })
    }
}

/// The write landed only if the version moved by exactly one and the scalars are what was
/// sent; a concurrent writer can itself bump the version by one, so both are checked.
fn verify_update(sent: &Value, answer: &api::Server) -> Result<(), WriteError> {
    let sent_version = sent["version"].as_i64().unwrap_or_default();
    let scalars_match = sent["name"] == json!(answer.name)
        && sent["instructions"] == json!(answer.instructions())
        && sent["requestHeadersProxyEnabled"] == json!(answer.request_headers_proxy_enabled);
    if answer.version == sent_version + 1 && scalars_match {
        return Ok(());
    }
    Err(WriteError::answered(
        Verdict::Conflict,
        format!(
            "the server was changed by someone else since the plan (sent version {sent_version}, \
         the platform now has version {} {}); HasMCP may have replaced its links but dropped the \
         name/instructions update",
            answer.version,
            if scalars_match {
                "with the planned values"
            } else {
                "with other values"
            },
        ),
    ))
}

impl RequestBuilder for HasmcpProvider {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(version: i64, name: &str) -> api::Server {
        serde_json::from_value(
            json!({"id": "sSuB9Gf6aD4", "name": name, "instructions": "i", "version": version,
                                      "requestHeadersProxyEnabled": false}),
        )
        .unwrap()
    }

    #[test]
    fn a_write_is_confirmed_only_by_version_plus_one_and_the_sent_scalars() {
        let sent = json!({"name": "new", "instructions": "i", "requestHeadersProxyEnabled": false, "version": 4});
        assert!(verify_update(&sent, &answer(5, "new")).is_ok());
        // A concurrent writer bumped the version by one; our stale write was dropped.
        let dropped = verify_update(&sent, &answer(5, "old")).unwrap_err();
        assert_eq!(dropped.verdict, Verdict::Conflict);
        assert!(verify_update(&sent, &answer(6, "new")).is_err());
    }
}
