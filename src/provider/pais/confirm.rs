//! Whether PAIS's answer to a write shows it: the `McpServer` it returns (or lists, after a
//! create whose answer was lost) must carry every readable field that was sent. `headers` is
//! write-only, so a valid `McpServer` with the other sent fields is all the confirmation there is.
//! An approval is confirmed by the `McpTool` its answer shows, with `is_approved` as sent.
//! Pure: no HTTP.

use serde_json::Value;

use super::api::{McpServer, McpTool};
use super::convert;
use crate::plan::{Method, Request};
use crate::provider::{Verdict, WriteError};

/// Checks the answer to a `PATCH` or `POST`; the confirmed server's id.
pub fn check_answer(request: &Request, answer: &Value) -> Result<String, WriteError> {
    if answer.is_null() {
        return Err(WriteError::answered(
            Verdict::NotConfirmed,
            "PAIS answered without a body, so nothing shows the write took effect",
        ));
    }
    let server: McpServer = serde_json::from_value(answer.clone()).map_err(|e| {
        WriteError::answered(
            Verdict::NotConfirmed,
            format!("PAIS answered with something other than the MCP server ({e})"),
        )
    })?;
    if request.method == Method::Patch {
        let sent_id = request.path.rsplit('/').next().unwrap_or_default();
        if !server.id.eq_ignore_ascii_case(sent_id) {
            return Err(WriteError::answered(
                Verdict::NotConfirmed,
                format!("PAIS answered with another MCP server (id `{}`)", server.id),
            ));
        }
    }
    check_server(&request.body, server)
}

/// Checks that `server` shows every readable field of the request body `sent`; its id.
pub fn check_server(sent: &Value, server: McpServer) -> Result<String, WriteError> {
    let id = server.id.clone();
    let live = convert::live_object(server, None).document;
    let differing: Vec<String> = sent
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != "headers")
        .filter(|(key, value)| {
            let expected = match value {
                Value::Null => None,
                Value::String(s) if key.ends_with("url") => {
                    Some(Value::String(convert::normalize_url(s)))
                }
                other => Some((*other).clone()),
            };
            live.get(key.as_str()) != expected.as_ref()
        })
        .map(|(key, _)| format!("`{key}`"))
        .collect();
    if differing.is_empty() {
        return Ok(id);
    }
    Err(WriteError::answered(
        Verdict::NotAppliedAsPlanned,
        format!(
            "PAIS answered with other values than were sent for {}",
            differing.join(", ")
        ),
    ))
}

/// What an approval's answer shows: the tool approved as sent, the tool otherwise, or no tool
/// at all (then only a fresh listing can tell).
pub fn check_approval(
    tool_id: &str,
    approve: bool,
    answer: &Value,
) -> Option<Result<(), WriteError>> {
    let tool: McpTool = serde_json::from_value(answer.clone()).ok()?;
    if !tool.id.eq_ignore_ascii_case(tool_id) {
        return None;
    }
    Some(if tool.is_approved == approve {
        Ok(())
    } else {
        Err(WriteError::answered(
            Verdict::NotAppliedAsPlanned,
            format!(
                "PAIS answered that the tool is {} after it was asked to {} it",
                if tool.is_approved {
                    "approved"
                } else {
                    "unapproved"
                },
                if approve { "approve" } else { "unapprove" }
            ),
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "5d0c7b3e-1f7a-4c1e-9d2b-2f9d1b0e6a11";

    fn patch(body: Value) -> Request {
        Request {
            method: Method::Patch,
            path: format!("/api/v1/control/mcp-servers/{ID}"),
            body,
            sensitive: Vec::new(),
        }
    }

    fn server(extra: Value) -> Value {
        let mut server = json!({"id": ID, "object": "mcp_server", "name": "github",
            "url": "https://mcp.example.com/github", "transport": "SSE",
            "description": null, "documentation_url": null});
        server
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        server
    }

    #[test]
    fn the_returned_server_with_the_sent_fields_confirms_even_without_headers() {
        let sent = json!({"description": "new", "documentation_url": null,
                          "headers": [{"name": "A", "value": "v", "is_secret": true}]});
        let answer = server(json!({"description": "new"}));
        assert_eq!(check_answer(&patch(sent), &answer).unwrap(), ID);
    }

    #[test]
    fn an_approval_is_confirmed_by_the_tool_it_answers() {
        let tool =
            |id: &str, approved: bool| json!({"id": id, "name": "a", "is_approved": approved});
        assert!(
            check_approval("t1", true, &tool("t1", true))
                .unwrap()
                .is_ok()
        );
        let error = check_approval("t1", true, &tool("t1", false))
            .unwrap()
            .unwrap_err();
        assert_eq!(error.verdict, Verdict::NotAppliedAsPlanned);
        assert!(error.to_string().contains("unapproved"), "{error}");
        assert!(check_approval("t1", true, &tool("t2", true)).is_none());
        assert!(check_approval("t1", true, &json!({"ok": true})).is_none());
        assert!(check_approval("t1", true, &Value::Null).is_none());
    }

    #[test]
    fn urls_compare_as_pydantic_canonicalizes_them() {
        let sent = json!({"url": "https://mcp.example.com"});
        let answer = server(json!({"url": "https://mcp.example.com/"}));
        assert!(check_answer(&patch(sent), &answer).is_ok());
    }

    #[test]
    fn an_empty_or_foreign_answer_is_not_confirmed() {
        let sent = json!({"headers": [{"name": "A", "value": "v", "is_secret": true}]});
        for answer in [
            Value::Null,
            json!({}),
            json!({"detail": "ok"}),
            json!([server(json!({}))]),
        ] {
            let error = check_answer(&patch(sent.clone()), &answer).unwrap_err();
            assert_eq!(error.verdict, Verdict::NotConfirmed, "{answer}");
        }
        let other = server(json!({"id": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"}));
        let error = check_answer(&patch(sent), &other).unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed);
    }

    #[test]
    fn an_answer_with_other_values_names_the_fields_not_the_values() {
        let sent =
            json!({"description": "secret-ish", "name": "github", "transport": "STREAMABLE_HTTP"});
        let error = check_answer(&patch(sent), &server(json!({"description": "old"}))).unwrap_err();
        assert_eq!(error.verdict, Verdict::NotAppliedAsPlanned);
        let message = error.to_string();
        assert!(message.contains("`description`, `transport`"), "{message}");
        assert!(!message.contains("secret-ish"), "{message}");
    }

    #[test]
    fn a_removed_field_must_come_back_unset() {
        let sent = json!({"documentation_url": null});
        let answer = server(json!({"documentation_url": "https://docs.example.com/"}));
        assert!(check_answer(&patch(sent), &answer).is_err());
    }
}
