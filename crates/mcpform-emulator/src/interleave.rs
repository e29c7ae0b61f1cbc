//! Deterministic races: a write by "another client" slipped in right before a chosen request.
//!
//! A queued [`Interleave`] waits for the next request matching its trigger. That request first
//! passes the platform's auth (the interleave layer sits inside each platform's auth layer), then
//! the write is dispatched to the platform's own handlers (same routing, validation and store),
//! then the triggering request is handled. The write bypasses the request log, the rate limit,
//! the fault queue and auth: it stands for a client the emulator does not watch.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A write applied as if another client had sent it just before the next request matching
/// `before_method` and `before_path_contains` (once that request has passed auth). Fires once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interleave {
    /// Method of the triggering request, case-insensitive; `A|B` matches either; empty = any.
    pub before_method: String,
    /// Substring the triggering request's path must contain; empty = any path.
    #[serde(default)]
    pub before_path_contains: String,
    /// Method of the write.
    pub method: String,
    /// Path of the write, with an optional query; it must start with `/`.
    pub path: String,
    /// Sent as `application/json`; `null` (the default over HTTP) sends no body, e.g. for DELETE.
    #[serde(default)]
    pub body: Value,
}

impl Interleave {
    fn triggered_by(&self, method: &str, path: &str) -> bool {
        let wanted = self.before_method.trim();
        let method_ok = wanted.is_empty()
            || wanted
                .split('|')
                .any(|m| m.trim().eq_ignore_ascii_case(method));
        method_ok && path.contains(&self.before_path_contains)
    }

    /// Refuses what could never be dispatched; used before queueing.
    pub(crate) fn check(&self) -> Result<(), String> {
        Method::from_bytes(self.method.to_ascii_uppercase().as_bytes())
            .map_err(|e| format!("method `{}`: {e}", self.method))?;
        if !self.path.starts_with('/') {
            return Err(format!("path `{}` must start with `/`", self.path));
        }
        self.path
            .parse::<Uri>()
            .map_err(|e| format!("path `{}`: {e}", self.path))?;
        Ok(())
    }

    fn to_request(&self) -> Result<Request, String> {
        self.check()?;
        let method = Method::from_bytes(self.method.to_ascii_uppercase().as_bytes())
            .map_err(|e| e.to_string())?;
        let mut builder = Request::builder().method(method).uri(self.path.as_str());
        let body = if self.body.is_null() {
            Body::empty()
        } else {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&self.body).map_err(|e| e.to_string())?)
        };
        builder.body(body).map_err(|e| e.to_string())
    }
}

/// The pending interleaves of one emulator and the handlers they are dispatched to.
#[derive(Default)]
pub(crate) struct Interleaver {
    pending: Mutex<Vec<Interleave>>,
    /// The platform's routes without auth or this layer; set once by [`Interleaver::wrap`].
    dispatch: OnceLock<MethodRouter>,
}

impl Interleaver {
    fn pending(&self) -> MutexGuard<'_, Vec<Interleave>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, write: Interleave) {
        self.pending().push(write);
    }

    pub fn clear(&self) {
        self.pending().clear();
    }

    /// Removes and returns, in queue order, every pending interleave this request triggers.
    fn take_triggered(&self, method: &str, path: &str) -> Vec<Interleave> {
        let mut pending = self.pending();
        let (fired, kept): (Vec<_>, Vec<_>) = pending
            .drain(..)
            .partition(|w| w.triggered_by(method, path));
        *pending = kept;
        fired
    }

    /// Makes `handlers` (a platform's routes, state applied, no auth) the dispatch target and
    /// returns them with the interleave layer; `start` then adds the platform's auth on top, so
    /// that auth runs first.
    pub fn wrap(self: &Arc<Self>, handlers: Router) -> Router {
        let _ = self
            .dispatch
            .set(axum::routing::any_service(handlers.clone()));
        handlers.route_layer(axum::middleware::from_fn_with_state(self.clone(), run))
    }

    /// Applies one write through the platform's handlers and returns the answer.
    async fn apply(&self, write: &Interleave) -> Result<Response, String> {
        let request = write.to_request()?;
        let dispatch = self
            .dispatch
            .get()
            .ok_or("the platform did not install the interleave layer")?
            .clone();
        Ok(Handler::call(dispatch, request, ()).await)
    }
}

async fn run(
    State(interleaver): State<Arc<Interleaver>>,
    request: Request,
    next: Next,
) -> Response {
    let fired = interleaver.take_triggered(request.method().as_str(), request.uri().path());
    for write in fired {
        match interleaver.apply(&write).await {
            Ok(answer) if answer.status().is_success() => {}
            // The other client's failure is its own; it is reported, not passed on.
            Ok(answer) => eprintln!(
                "emulator: interleaved {} {} answered {}",
                write.method,
                write.path,
                answer.status()
            ),
            Err(e) => eprintln!(
                "emulator: interleaved {} {} not sent: {e}",
                write.method, write.path
            ),
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(before_method: &str, before_path_contains: &str) -> Interleave {
        Interleave {
            before_method: before_method.into(),
            before_path_contains: before_path_contains.into(),
            method: "PATCH".into(),
            path: "/x".into(),
            body: json!({}),
        }
    }

    #[test]
    fn triggers_match_method_alternatives_and_path() {
        assert!(write("patch", "/servers/").triggered_by("PATCH", "/servers/a"));
        assert!(write("GET|PATCH", "").triggered_by("GET", "/anything"));
        assert!(write("", "/a").triggered_by("DELETE", "/a/b"));
        assert!(!write("PATCH", "/servers/").triggered_by("GET", "/servers/a"));
        assert!(!write("PATCH", "/servers/b").triggered_by("PATCH", "/servers/a"));
    }

    #[test]
    fn each_interleave_fires_once_in_queue_order() {
        let interleaver = Interleaver::default();
        let mut first = write("PATCH", "");
        first.path = "/first".into();
        let mut second = write("PATCH|GET", "");
        second.path = "/second".into();
        interleaver.push(first.clone());
        interleaver.push(write("DELETE", ""));
        interleaver.push(second.clone());
        assert_eq!(
            interleaver.take_triggered("PATCH", "/s"),
            vec![first, second]
        );
        assert!(interleaver.take_triggered("PATCH", "/s").is_empty());
        assert_eq!(interleaver.take_triggered("DELETE", "/s").len(), 1);
    }

    #[test]
    fn check_refuses_undispatchable_writes() {
        let mut w = write("GET", "");
        assert!(w.check().is_ok());
        w.path = "servers".into();
        assert!(w.check().is_err());
        w.path = "/servers".into();
        w.method = "BAD METHOD".into();
        assert!(w.check().is_err());
    }

    #[test]
    fn null_body_sends_nothing_and_json_is_typed() {
        let mut w = write("GET", "");
        w.method = "delete".into();
        w.body = Value::Null;
        let request = w.to_request().unwrap();
        assert_eq!(request.method(), Method::DELETE);
        assert!(request.headers().get(header::CONTENT_TYPE).is_none());
        let request = write("GET", "").to_request().unwrap();
        assert_eq!(request.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn http_form_defaults_path_and_body() {
        let w: Interleave = serde_json::from_value(
            json!({ "before_method": "GET", "method": "DELETE", "path": "/x" }),
        )
        .unwrap();
        assert_eq!(w.before_path_contains, "");
        assert_eq!(w.body, Value::Null);
    }
}
