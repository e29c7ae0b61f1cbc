//! Klavis: one setting per instance, `{"isReadOnly": <bool>}`, which GET never returns. The
//! state file's fingerprint decides when to send it; resetting means `false`.
//!
//! An instance given by `user_id` and `server_name` is created with
//! `POST /mcp-server/instance/create`, which returns the existing instance for a known pair (so
//! sending it again is safe), then gets its `isReadOnly` with a `PATCH`: whether the create
//! applies it to an existing instance is undocumented. The state records the id it answered.
//!
//! Reads: a GET shows only that the instance exists, and a PATCH to an instance that is gone
//! answers 404 and changes nothing. So a plan reads no instance named by id: it takes each as
//! existing and decides from the state's fingerprint alone (a fleet in sync costs no request, a
//! change costs its PATCH only, at 2 requests a second). `drift` reads every instance, and so
//! still reports one that is gone.

mod api;
mod client;
mod confirm;
mod convert;

pub(super) use convert::desired_resource;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::config::model::{KlavisProvider as KlavisConfig, Platform};
use crate::diff::{DesiredResource, LiveObject, RequestBuilder, ResourceDelta, WriteOnlyAction};
use crate::http::{HttpClient, HttpError};
use crate::plan::{Method, Request};

use super::{BoxFuture, Connection, Provider, WriteError};

pub struct KlavisProvider {
    http: Arc<HttpClient>,
}

impl KlavisProvider {
    pub fn new(config: &KlavisConfig, connection: &Connection) -> Result<Self, HttpError> {
        let bearer = config.auth.as_ref().map(|a| a.bearer.as_str());
        let http = connection.http_client(bearer, super::fastapi::error_message)?;
        Ok(KlavisProvider {
            http: Arc::new(http),
        })
    }
}

impl Provider for KlavisProvider {
    fn platform(&self) -> Platform {
        Platform::Klavis
    }

    /// Reads the configured instances (by `id`, or by the id the state recorded), and the
    /// managed ones: Klavis cannot list instances.
    fn fetch_live<'a>(
        &'a self,
        desired: &'a [DesiredResource],
        managed: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let mut ids: Vec<String> = desired
                .iter()
                .filter_map(|d| d.id.clone().or_else(|| d.recorded_id.clone()))
                .chain(managed.iter().cloned())
                .map(|id| id.to_ascii_lowercase())
                .collect();
            ids.sort();
            ids.dedup();
            let found = client::get_instances(&self.http, ids).await?;
            Ok(found
                .into_iter()
                .map(|(id, instance)| convert::live_object(id, instance))
                .collect())
        })
    }

    /// Klavis has no list endpoint: only the configured instances are read.
    fn lists_everything(&self) -> bool {
        false
    }

    /// A GET shows only that the instance exists (see the module's note).
    fn plan_assumes_resources_named_by_id(&self) -> bool {
        true
    }

    fn send<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Option<String>, WriteError>> {
        Box::pin(async move {
            match request.method {
                Method::Post => self.create(request).await.map(Some),
                Method::Delete => self.delete(request).await.map(|()| None),
                Method::Patch => self.patch(request).await.map(|()| None),
            }
        })
    }
}

impl KlavisProvider {
    /// `PATCH {"isReadOnly": …}`, confirmed by its echo.
    async fn patch(&self, request: &Request) -> Result<(), WriteError> {
        let response = self
            .http
            .send(
                reqwest::Method::PATCH,
                &request.path,
                &[],
                Some(&request.body),
                true,
            )
            .await?;
        confirm::check_answer(request, &response.json())
    }

    /// Creates (or finds: Klavis answers a known pair with its instance) the instance, then
    /// applies `isReadOnly` with a `PATCH` when the request carries it.
    async fn create(&self, request: &Request) -> Result<String, WriteError> {
        let answer = self
            .http
            .send(
                reqwest::Method::POST,
                &request.path,
                &[],
                Some(&request.body),
                true,
            )
            .await?;
        let id = confirm::check_created(&answer.json())?;
        if let Some(read_only) = request.body.get("isReadOnly") {
            let patch = Request {
                method: Method::Patch,
                path: format!("{}/{id}", api::INSTANCE_PATH),
                body: json!({ "isReadOnly": read_only }),
                sensitive: Vec::new(),
            };
            self.patch(&patch).await?;
        }
        Ok(id)
    }

    /// `DELETE`: `{"success": true}`, or a 404 (already gone), shows the instance gone.
    async fn delete(&self, request: &Request) -> Result<(), WriteError> {
        let sent = self
            .http
            .send(reqwest::Method::DELETE, &request.path, &[], None, true)
            .await;
        match sent {
            Err(error) if error.status() == Some(404) => Ok(()),
            sent => confirm::check_deleted(&sent?.json()),
        }
    }
}

impl RequestBuilder for KlavisProvider {
    fn delete_request(&self, id: &str) -> Request {
        Request {
            method: Method::Delete,
            path: format!("{}/{id}", api::INSTANCE_PATH),
            body: Value::Null,
            sensitive: Vec::new(),
        }
    }

    fn build_request(&self, delta: &ResourceDelta) -> Request {
        if delta.live.is_none() {
            // Only an instance by `user_id` and `server_name` is ever planned as a create.
            let mut body = delta.desired.create_only.clone();
            for (field, action) in delta.write_only {
                if let (true, WriteOnlyAction::Set(value)) = (field == "read_only", action) {
                    body.insert("isReadOnly".into(), value.clone());
                }
            }
            return Request {
                method: Method::Post,
                path: api::CREATE_PATH.to_owned(),
                body: Value::Object(body),
                sensitive: Vec::new(),
            };
        }
        let read_only = delta
            .write_only
            .iter()
            .find(|(field, _)| field == "read_only")
            .map(|(_, action)| match action {
                WriteOnlyAction::Set(value) => value.clone(),
                WriteOnlyAction::Reset => Value::Bool(false),
            })
            .unwrap_or(Value::Bool(false));
        let id = delta.live.map_or_else(
            || delta.desired.id.clone().unwrap_or_default(),
            |l| l.id.clone(),
        );
        Request {
            method: Method::Patch,
            path: format!("{}/{id}", api::INSTANCE_PATH),
            body: json!({"isReadOnly": read_only}),
            sensitive: Vec::new(),
        }
    }
}
