//! FastAPI's error bodies, shared by the platforms built on it (PAIS, Klavis):
//! `{"detail": "text"}` or `{"detail": [{"loc": [...], "msg": ...}]}`.

use serde_json::Value;

use crate::http::PlatformError;

pub fn error_message(status: u16, body: &str) -> PlatformError {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").cloned());
    let message = match detail {
        Some(Value::String(text)) => text,
        Some(Value::Array(items)) => items
            .iter()
            .map(describe_item)
            .collect::<Vec<_>>()
            .join("; "),
        _ if body.trim().is_empty() => format!("no error message in the HTTP {status} response"),
        _ => body.trim().chars().take(500).collect(),
    };
    PlatformError {
        message,
        rolled_back: false,
        fatal: None,
    }
}

fn describe_item(item: &Value) -> String {
    let location: Vec<String> = item
        .get("loc")
        .and_then(Value::as_array)
        .map(|loc| {
            loc.iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
    if location.is_empty() {
        msg.to_owned()
    } else {
        format!("{}: {msg}", location.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_the_field() {
        let body = r#"{"detail":[{"type":"url_parsing","loc":["body","url"],"msg":"Input should be a valid URL"}]}"#;
        assert_eq!(
            error_message(422, body).message,
            "body.url: Input should be a valid URL"
        );
    }

    #[test]
    fn plain_details_and_empty_bodies_read_well() {
        assert_eq!(
            error_message(401, r#"{"detail":"Not authenticated"}"#).message,
            "Not authenticated"
        );
        assert_eq!(
            error_message(503, "").message,
            "no error message in the HTTP 503 response"
        );
    }
}
