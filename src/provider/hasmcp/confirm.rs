//! Whether HasMCP's answer to a write shows it. HasMCP answers 200 even when a stale `version`
//! made it drop the name/instructions update, so an update is confirmed only by `version` =
//! sent + 1 **and** the sent scalars; a create (or a listed server, after a create whose answer
//! was lost) by the sent scalars. Links are not compared: the listing leaves some out. Pure.

use serde_json::{Value, json};

use super::api;
use crate::plan::{Method, Request};
use crate::provider::{Verdict, WriteError};

/// Checks the answer `{"server": ...}` to a `PATCH` or `POST`.
pub fn check_answer(request: &Request, answer: &Value) -> Result<(), WriteError> {
    let answer: api::ServerEnvelope = serde_json::from_value(answer.clone()).map_err(|e| {
        WriteError::answered(
            Verdict::NotConfirmed,
            format!("HasMCP answered with something other than `{{\"server\": ...}}` ({e})"),
        )
    })?;
    let sent = &request.body["server"];
    match request.method {
        Method::Patch => check_update(sent, &answer.server),
        Method::Post | Method::Delete => check_scalars(sent, &answer.server),
    }
}

/// The update landed only if the version moved by exactly one and the scalars are what was
/// sent; a concurrent writer can itself bump the version by one, so both are checked.
fn check_update(sent: &Value, answer: &api::Server) -> Result<(), WriteError> {
    let sent_version = sent["version"].as_i64().unwrap_or_default();
    let scalars_match = scalars_match(sent, answer);
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

/// A created server shows the sent name, instructions and header proxying.
pub fn check_scalars(sent: &Value, server: &api::Server) -> Result<(), WriteError> {
    if scalars_match(sent, server) {
        return Ok(());
    }
    Err(WriteError::answered(
        Verdict::NotAppliedAsPlanned,
        "HasMCP answered with another name, instructions or header proxying than were sent",
    ))
}

fn scalars_match(sent: &Value, server: &api::Server) -> bool {
    sent["name"] == json!(server.name)
        && sent["instructions"] == json!(server.instructions())
        && sent["requestHeadersProxyEnabled"] == json!(server.request_headers_proxy_enabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(version: i64, name: &str) -> Value {
        json!({"server": {"id": "sSuB9Gf6aD4", "name": name, "instructions": "i", "version": version,
                          "requestHeadersProxyEnabled": false}})
    }

    fn request(method: Method, server: Value) -> Request {
        Request {
            method,
            path: "/servers/sSuB9Gf6aD4".into(),
            body: json!({ "server": server }),
            sensitive: Vec::new(),
        }
    }

    #[test]
    fn an_update_is_confirmed_only_by_version_plus_one_and_the_sent_scalars() {
        let sent = json!({"name": "new", "instructions": "i", "requestHeadersProxyEnabled": false, "version": 4});
        let patch = request(Method::Patch, sent);
        assert!(check_answer(&patch, &answer(5, "new")).is_ok());
        // A concurrent writer bumped the version by one; our stale write was dropped.
        let dropped = check_answer(&patch, &answer(5, "old")).unwrap_err();
        assert_eq!(dropped.verdict, Verdict::Conflict);
        assert!(check_answer(&patch, &answer(6, "new")).is_err());
    }

    #[test]
    fn a_create_is_confirmed_by_the_sent_scalars() {
        let sent = json!({"name": "new", "instructions": "i", "requestHeadersProxyEnabled": false});
        let post = request(Method::Post, sent);
        assert!(check_answer(&post, &answer(1, "new")).is_ok());
        let other = check_answer(&post, &answer(1, "other")).unwrap_err();
        assert_eq!(other.verdict, Verdict::NotAppliedAsPlanned);
    }

    #[test]
    fn an_empty_or_foreign_answer_is_not_confirmed() {
        let post = request(Method::Post, json!({"name": "new"}));
        for answer in [Value::Null, json!({}), json!({"servers": []})] {
            let error = check_answer(&post, &answer).unwrap_err();
            assert_eq!(error.verdict, Verdict::NotConfirmed, "{answer}");
        }
    }
}
