//! A successful response, and reading a body without ever holding more of it than a cap.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::HttpError;
use crate::mask::Secrets;

/// Error bodies are only ever shown in part: at most this much of one is read.
pub(super) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A successful response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The body as received (at most `ClientSettings::max_response_bytes`), checked to be JSON
    /// or empty. Kept as bytes and decoded straight into the wire type, never into a
    /// `serde_json::Value` first: a value tree of a hostile body can be many times its size.
    pub(super) body: Vec<u8>,
    /// The request's method and URL as errors may show them (secrets masked).
    pub(super) method: String,
    pub(super) url: String,
    /// serde's message may quote a value of the body, and the body may echo a secret.
    pub(super) secrets: Secrets,
}

impl HttpResponse {
    /// A response as a test's fake platform gives it.
    #[cfg(test)]
    pub fn for_test(status: u16, body: Value) -> HttpResponse {
        HttpResponse {
            status,
            body: serde_json::to_vec(&body).expect("a JSON value serializes"),
            method: "POST".into(),
            url: "http://127.0.0.1:1/x".into(),
            secrets: Secrets::default(),
        }
    }

    /// Reads the body as the platform's wire type; a body of another shape is an
    /// `InvalidResponse` naming the request. An empty body reads as JSON `null`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        let decoded = if self.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_value(Value::Null)
        } else {
            serde_json::from_slice(&self.body)
        };
        decoded.map_err(|e| HttpError::InvalidResponse {
            method: self.method.clone(),
            url: self.url.clone(),
            message: self.secrets.mask_text(&e.to_string()),
        })
    }

    /// The body as a JSON value (`null` when empty), for checks that read a few fields of a
    /// write's answer. The body was checked to be JSON when it arrived, so this cannot fail.
    pub fn json(&self) -> Value {
        self.decode().unwrap_or(Value::Null)
    }

    /// The listing error for this response's request (see `HttpError::BadListing`).
    pub fn bad_listing(&self, message: impl Into<String>) -> HttpError {
        HttpError::BadListing {
            method: self.method.clone(),
            url: self.url.clone(),
            message: message.into(),
        }
    }
}

/// Why a response body could not be read whole.
pub(super) enum BodyError {
    /// Longer than the cap.
    TooLarge,
    /// The connection broke while the body was coming.
    Read(reqwest::Error),
}

/// Reads a body chunk by chunk, never holding more than `limit` bytes. With `truncate`, a
/// longer body is cut at the limit (error bodies, shown only in part); otherwise it is an error.
pub(super) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    truncate: bool,
) -> Result<Vec<u8>, BodyError> {
    if !truncate && response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        let room = limit - body.len();
        if chunk.len() > room {
            if truncate {
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
