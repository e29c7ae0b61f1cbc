//! Klavis: one setting per instance, `{"isReadOnly": <bool>}`, which GET never returns. The
//! state file's fingerprint decides when to send it; resetting means `false`.
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
use crate::plan::Request;

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

    fn fetch_live<'a>(
        &'a self,
        desired: &'a [DesiredResource],
    ) -> BoxFuture<'a, Result<Vec<LiveObject>, HttpError>> {
        Box::pin(async move {
            let ids = desired.iter().filter_map(|d| d.id.clone()).collect();
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

    fn send<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<(), WriteError>> {
        Box::pin(async move {
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
        })
    }
}

impl RequestBuilder for KlavisProvider {
    fn build_request(&self, delta: &ResourceDelta) -> Request {
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
            method: crate::plan::Method::Patch,
            path: format!("{}/{id}", api::INSTANCE_PATH),
            body: json!({"isReadOnly": read_only}),
            sensitive: Vec::new(),
        }
    }
}
