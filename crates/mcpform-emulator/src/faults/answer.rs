//! How a fault answers: its response, its delay, and a connection dropped mid-response.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Fault;

impl Fault {
    /// The answer, once `delay_ms` has passed. A client that gave up meanwhile closed its end;
    /// the answer then goes nowhere, and the log shows the status it would have had.
    pub(super) async fn delayed_response(self) -> Response {
        if self.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        }
        self.into_response()
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        if self.drop_connection {
            // Headers may already be on their way; the failing body makes the server close the
            // connection, so the client never reads a complete answer.
            let mut response = Response::new(Body::new(BrokenBody));
            response.extensions_mut().insert(Dropped);
            return response;
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = if let Some(raw) = self.raw_body {
            (status, raw).into_response()
        } else if self.body.is_null() {
            status.into_response()
        } else {
            (status, axum::Json(self.body)).into_response()
        };
        if self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// Marks a response that closes the connection instead of answering (logged with status 0).
#[derive(Clone, Copy)]
pub(super) struct Dropped;

/// A response body that fails at once: the server closes the connection mid-response.
struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulator fault: connection dropped",
        ))))
    }
}
