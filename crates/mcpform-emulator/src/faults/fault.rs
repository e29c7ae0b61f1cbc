//! What a fault is: the canned answer, which requests it matches, and its builders.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Platform;

/// A canned answer that replaces the normal handler's for matching requests.
///
/// By default the fault fires **before** the handler, which then never runs: a faulted write
/// changes nothing, which is how the emulators model a platform that refused it or rolled it back.
/// With `when: after` the handler runs first (the write is stored) and its answer is replaced:
/// how a platform, proxy or network loses the answer to a write that landed.
///
/// The answer is `status` with `body` (JSON) or `raw_body` (bytes as given) and `headers`: an
/// empty 200 is `{"status": 200}`, a redirect is a 3xx with a `Location` header
/// ([`Fault::redirect`]). With `drop_connection: true` there is no answer at all: the connection
/// is closed mid-response, as a reset or a killed server leaves it (`status` is then ignored).
/// With `delay_ms` the answer (or the dropped connection) comes only that long after the request
/// arrived (after the handler ran, for `when: after`): a silent server, for a client whose
/// timeout is shorter.
///
/// Over HTTP (`POST /_emulator/faults`) every field but `status` may be left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// HTTP method to match, case-insensitive; `A|B` matches either; `None` matches any.
    pub method: Option<String>,
    /// Substring the request path must contain; `None` matches any path.
    pub path_contains: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// JSON body of the answer; `null` (the default over HTTP) sends an empty body.
    #[serde(default)]
    pub body: Value,
    /// The answer's body exactly as given (truncated JSON, an HTML error page), instead of `body`;
    /// sent as `text/plain` unless `headers` give a `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    /// Headers of the answer, as (name, value) pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// How many matching requests to answer; `None` = every matching request, forever.
    pub times: Option<u32>,
    /// Whether the fault replaces the handler (`before`, the default) or its answer (`after`).
    #[serde(default)]
    pub when: FaultTiming,
    /// Close the connection without an answer instead of answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// How long to wait, in milliseconds, before answering (0: at once).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// When a [`Fault`] fires, relative to the platform's handler.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTiming {
    /// Instead of the handler: nothing the request asked for happens.
    #[default]
    Before,
    /// After the handler stored the request's effect: only the answer is lost or replaced.
    After,
}

impl Fault {
    /// One 429 with `Retry-After`, in the platform's error shape.
    pub fn rate_limited(platform: Platform, retry_after_secs: u64) -> Fault {
        let body = match platform {
            Platform::Pais => json!({ "detail": "Too Many Requests" }),
            Platform::Klavis => json!({ "detail": "Rate limit exceeded" }),
            Platform::Idun => json!({
                "error": { "code": "rate_limited", "message": "Too many requests." }
            }),
            Platform::Hasmcp => json!({ "error": { "message": "ratelimited", "code": 429 } }),
        };
        Fault {
            method: None,
            path_contains: None,
            status: 429,
            body,
            headers: vec![("Retry-After".to_owned(), retry_after_secs.to_string())],
            times: Some(1),
            ..Fault::answer(429)
        }
    }

    /// 503 on every request, forever, in the platform's error shape.
    pub fn unavailable(platform: Platform) -> Fault {
        let body = match platform {
            Platform::Pais | Platform::Klavis => json!({ "detail": "Service Unavailable" }),
            Platform::Idun => json!({
                "error": { "code": "internal_error", "message": "Service unavailable." }
            }),
            Platform::Hasmcp => {
                json!({ "error": { "message": "service unavailable", "code": 503 } })
            }
        };
        Fault {
            method: None,
            path_contains: None,
            body,
            ..Fault::answer(503)
        }
    }

    /// Idun's answer when the engine rejects a new config: 500, nothing saved. Once.
    pub fn idun_reload_failed() -> Fault {
        Fault {
            method: Some("PATCH|POST".to_owned()),
            path_contains: Some("/admin/api/v1/mcp-servers".to_owned()),
            body: json!({
                "error": {
                    "code": "reload_failed",
                    "message": "Engine reload failed; config not saved.",
                    "details": { "recovered": true }
                }
            }),
            times: Some(1),
            ..Fault::answer(500)
        }
    }

    /// `status` with an empty body and no headers, on every request, forever, before the
    /// handler: the base the other constructors fill in (`Fault { .., ..Fault::answer(200) }`).
    pub fn answer(status: u16) -> Fault {
        Fault {
            method: None,
            path_contains: None,
            status,
            body: Value::Null,
            raw_body: None,
            headers: Vec::new(),
            times: None,
            when: FaultTiming::Before,
            drop_connection: false,
            delay_ms: 0,
        }
    }

    /// No answer for `delay_ms` milliseconds, then an empty 200 (a client with a shorter timeout
    /// has given up by then), on every request, forever: a silent server.
    pub fn silent(delay_ms: u64) -> Fault {
        Fault {
            delay_ms,
            ..Fault::answer(200)
        }
    }

    /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`, on every request, forever.
    pub fn redirect(status: u16, location: &str) -> Fault {
        Fault {
            headers: vec![("Location".to_owned(), location.to_owned())],
            ..Fault::answer(status)
        }
    }

    /// The connection closed without an answer, on every request, forever.
    pub fn dropped_connection() -> Fault {
        Fault {
            drop_connection: true,
            ..Fault::answer(200)
        }
    }

    /// The same answer, given after the handler has stored the request's effect.
    pub fn after_handler(self) -> Fault {
        Fault {
            when: FaultTiming::After,
            ..self
        }
    }

    /// Only for requests with this method (`A|B` for either) and a path containing `path`.
    pub fn on(self, method: &str, path_contains: &str) -> Fault {
        Fault {
            method: Some(method.to_owned()),
            path_contains: Some(path_contains.to_owned()),
            ..self
        }
    }

    /// The same answer, `delay_ms` milliseconds late.
    pub fn delayed(self, delay_ms: u64) -> Fault {
        Fault { delay_ms, ..self }
    }

    /// Only `times` matching requests.
    pub fn times(self, times: u32) -> Fault {
        Fault {
            times: Some(times),
            ..self
        }
    }

    pub(super) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|wanted| {
            wanted
                .split('|')
                .any(|m| m.trim().eq_ignore_ascii_case(method))
        });
        let path_ok = self
            .path_contains
            .as_deref()
            .is_none_or(|needle| path.contains(needle));
        method_ok && path_ok && self.times != Some(0)
    }

    /// Checks what `IntoResponse` cannot report; used when a fault arrives over HTTP.
    pub(crate) fn check(&self) -> Result<(), String> {
        StatusCode::from_u16(self.status).map_err(|e| format!("status: {e}"))?;
        for (name, value) in &self.headers {
            HeaderName::try_from(name.as_str()).map_err(|e| format!("header `{name}`: {e}"))?;
            HeaderValue::try_from(value.as_str()).map_err(|e| format!("header `{name}`: {e}"))?;
        }
        Ok(())
    }
}
