//! Whether Idun's answer to a write shows it: `{data, reload}` where `data` carries every field
//! that was sent (`mcpServer` compared normalized, as plans compare it) and `reload.status` says
//! the engine took it (`reloaded`, or `restart_required`, which still saved it). A listed row
//! confirms a create whose answer was lost the same way, without the reload. Pure: no HTTP.

use serde::Deserialize;
use serde_json::Value;

use super::api::McpServerRead;
use super::convert;
use crate::plan::{Method, Request};
use crate::provider::{Verdict, WriteError};

/// `{data, reload}`: what every Idun write answers.
#[derive(Debug, Deserialize)]
struct WriteAnswer {
    data: McpServerRead,
    reload: Reload,
}

/// `StandaloneReloadResult`.
#[derive(Debug, Deserialize)]
struct Reload {
    status: Option<String>,
}

/// Checks the answer to a `PATCH` or `POST`.
pub fn check_answer(request: &Request, answer: &Value) -> Result<(), WriteError> {
    let not_confirmed = |why: String| WriteError::answered(Verdict::NotConfirmed, why);
    if answer.is_null() {
        return Err(not_confirmed(
            "Idun answered without a body, so nothing shows the write took effect".into(),
        ));
    }
    let answer: WriteAnswer = serde_json::from_value(answer.clone()).map_err(|e| {
        not_confirmed(format!(
            "Idun answered with something other than `{{data, reload}}` ({e})"
        ))
    })?;
    match answer.reload.status.as_deref() {
        Some("reloaded" | "restart_required") => {}
        Some(status) => {
            return Err(not_confirmed(format!(
                "Idun answered with reload status `{status}`"
            )));
        }
        None => {
            return Err(not_confirmed(
                "Idun answered without a reload status".into(),
            ));
        }
    }
    if request.method == Method::Patch {
        let sent_id = request.path.rsplit('/').next().unwrap_or_default();
        if !answer.data.id.eq_ignore_ascii_case(sent_id) {
            return Err(not_confirmed(format!(
                "Idun answered with another MCP server (id `{}`)",
                answer.data.id
            )));
        }
    }
    check_server(&request.body, &answer.data)
}

/// `{data: {id, deleted}, reload}`: Idun's answer to a `DELETE`.
#[derive(Debug, Deserialize)]
struct DeleteAnswer {
    data: Deleted,
    reload: Reload,
}

#[derive(Debug, Deserialize)]
struct Deleted {
    id: String,
    deleted: bool,
}

/// Checks the answer to a `DELETE`: the envelope must say the server it was sent for is
/// `deleted`, and the reload must have taken it.
pub fn check_deleted(request: &Request, answer: &Value) -> Result<(), WriteError> {
    let not_confirmed = |why: String| WriteError::answered(Verdict::NotConfirmed, why);
    let answer: DeleteAnswer = serde_json::from_value(answer.clone()).map_err(|e| {
        not_confirmed(format!(
            "Idun answered the delete with something other than `{{data: {{id, deleted}}, reload}}` ({e})"
        ))
    })?;
    let sent_id = request.path.rsplit('/').next().unwrap_or_default();
    if !answer.data.id.eq_ignore_ascii_case(sent_id) {
        return Err(not_confirmed(format!(
            "Idun answered the delete for another MCP server (id `{}`)",
            answer.data.id
        )));
    }
    if !answer.data.deleted {
        return Err(WriteError::answered(
            Verdict::NotAppliedAsPlanned,
            "Idun answered the delete with `deleted: false`",
        ));
    }
    match answer.reload.status.as_deref() {
        Some("reloaded" | "restart_required") => Ok(()),
        status => Err(not_confirmed(format!(
            "Idun answered the delete with reload status `{}`",
            status.unwrap_or("none")
        ))),
    }
}

/// Checks that `server` shows every field of the request body `sent`.
pub fn check_server(sent: &Value, server: &McpServerRead) -> Result<(), WriteError> {
    let mut differing = Vec::new();
    if let Some(name) = sent.get("name") {
        if *name != Value::String(server.name.clone()) {
            differing.push("`name`");
        }
    }
    if let Some(enabled) = sent.get("enabled") {
        if *enabled != Value::Bool(server.enabled) {
            differing.push("`enabled`");
        }
    }
    if let Some(mcp_server) = sent.get("mcpServer") {
        let sent =
            convert::mcp_server_document(mcp_server.as_object().unwrap_or(&Default::default()));
        let live = convert::mcp_server_document(&server.mcp_server);
        if !crate::diff::values_equal(&Value::Object(sent), &Value::Object(live)) {
            differing.push("`mcpServer`");
        }
    }
    if differing.is_empty() {
        return Ok(());
    }
    Err(WriteError::answered(
        Verdict::NotAppliedAsPlanned,
        format!(
            "Idun answered with other values than were sent for {}",
            differing.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

    fn request(method: Method, body: Value) -> Request {
        let path = match method {
            Method::Patch | Method::Delete => format!("/admin/api/v1/mcp-servers/{ID}"),
            Method::Post => "/admin/api/v1/mcp-servers".to_owned(),
        };
        Request {
            method,
            path,
            body,
            sensitive: Vec::new(),
        }
    }

    fn answer(name: &str, timeout: f64, status: &str) -> Value {
        json!({
            "data": {"id": ID, "slug": "github", "name": name, "enabled": true,
                     "mcpServer": {"name": "github", "transport": "streamable_http",
                                   "url": "https://mcp.example.com/github", "command": null,
                                   "args": [], "headers": {}, "env": {}, "timeoutSeconds": timeout},
                     "createdAt": "2026-11-30T17:28:39", "updatedAt": "2026-11-30T17:28:39"},
            "reload": {"status": status, "message": "m", "error": null}
        })
    }

    fn sent() -> Value {
        json!({"name": "GitHub", "enabled": true,
               "mcpServer": {"name": "github", "url": "https://mcp.example.com/github", "timeoutSeconds": 60}})
    }

    #[test]
    fn data_with_the_sent_fields_and_a_good_reload_confirms() {
        for status in ["reloaded", "restart_required"] {
            let answer = answer("GitHub", 60.0, status);
            assert!(check_answer(&request(Method::Patch, sent()), &answer).is_ok());
            assert!(check_answer(&request(Method::Post, sent()), &answer).is_ok());
        }
    }

    #[test]
    fn data_that_does_not_show_the_sent_name_or_server_is_not_applied() {
        let error = check_answer(
            &request(Method::Patch, sent()),
            &answer("Other", 30.0, "reloaded"),
        )
        .unwrap_err();
        assert_eq!(error.verdict, Verdict::NotAppliedAsPlanned);
        assert!(error.to_string().contains("`name`, `mcpServer`"), "{error}");
    }

    #[test]
    fn a_failed_or_missing_reload_or_an_empty_answer_is_not_confirmed() {
        let failed = answer("GitHub", 60.0, "reload_failed");
        let mut missing = answer("GitHub", 60.0, "reloaded");
        missing.as_object_mut().unwrap().remove("reload");
        for answer in [failed, missing, Value::Null, json!({"data": null})] {
            let error = check_answer(&request(Method::Patch, sent()), &answer).unwrap_err();
            assert_eq!(error.verdict, Verdict::NotConfirmed, "{answer}");
        }
    }

    #[test]
    fn a_patch_answered_with_another_server_is_not_confirmed() {
        let mut other = answer("GitHub", 60.0, "reloaded");
        other["data"]["id"] = json!("7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b");
        let error = check_answer(&request(Method::Patch, sent()), &other).unwrap_err();
        assert_eq!(error.verdict, Verdict::NotConfirmed);
    }
}
