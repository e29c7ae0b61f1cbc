//! Whether Klavis's answer to a write shows it: the `PATCH` answer is the only place Klavis ever
//! shows `isReadOnly`, so it must echo the sent value (for the instance the request named). Pure.

use serde_json::Value;

use super::api::{CreateResponse, StatusResponse, UpdateResponse};
use crate::plan::Request;
use crate::provider::{Verdict, WriteError};

/// Checks the answer `{serverUrl, instanceId}` to a create; `Ok` holds the instance's id.
pub fn check_created(answer: &Value) -> Result<String, WriteError> {
    let answer: CreateResponse = serde_json::from_value(answer.clone()).map_err(|e| {
        WriteError::answered(
            Verdict::NotConfirmed,
            format!("Klavis answered the create without the instance's `instanceId` ({e})"),
        )
    })?;
    if uuid_like(&answer.instance_id) {
        Ok(answer.instance_id)
    } else {
        Err(WriteError::answered(
            Verdict::NotConfirmed,
            "Klavis answered the create with an `instanceId` that is not a UUID",
        ))
    }
}

/// Checks the answer `{success, message}` to a `DELETE`.
pub fn check_deleted(answer: &Value) -> Result<(), WriteError> {
    match serde_json::from_value::<StatusResponse>(answer.clone()) {
        Ok(StatusResponse { success: true, .. }) => Ok(()),
        Ok(StatusResponse { message, .. }) => Err(WriteError::answered(
            Verdict::NotAppliedAsPlanned,
            format!(
                "Klavis answered the delete with `success: false` ({})",
                message.as_deref().unwrap_or("no message")
            ),
        )),
        Err(e) => Err(WriteError::answered(
            Verdict::NotConfirmed,
            format!("Klavis answered the delete without `success` ({e})"),
        )),
    }
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Checks the answer `{instanceId, isReadOnly, message}` to a `PATCH`.
pub fn check_answer(request: &Request, answer: &Value) -> Result<(), WriteError> {
    let answer: UpdateResponse = serde_json::from_value(answer.clone()).map_err(|e| {
        WriteError::answered(
            Verdict::NotConfirmed,
            format!("Klavis answered without the instance's `isReadOnly` ({e})"),
        )
    })?;
    let sent_id = request.path.rsplit('/').next().unwrap_or_default();
    if let Some(id) = &answer.instance_id {
        if !id.eq_ignore_ascii_case(sent_id) {
            return Err(WriteError::answered(
                Verdict::NotConfirmed,
                format!("Klavis answered for another instance (`{id}`)"),
            ));
        }
    }
    let sent = &request.body["isReadOnly"];
    if sent.as_bool() != Some(answer.is_read_only) {
        return Err(WriteError::answered(
            Verdict::NotAppliedAsPlanned,
            format!(
                "Klavis answered `isReadOnly: {}` after mcpform sent `isReadOnly: {sent}`",
                answer.is_read_only
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

    fn patch(read_only: bool) -> Request {
        Request {
            method: crate::plan::Method::Patch,
            path: format!("/mcp-server/instance/{ID}"),
            body: json!({ "isReadOnly": read_only }),
            sensitive: Vec::new(),
        }
    }

    #[test]
    fn the_echoed_value_confirms() {
        let answer = json!({"instanceId": ID, "isReadOnly": true, "message": "ok"});
        assert!(check_answer(&patch(true), &answer).is_ok());
    }

    #[test]
    fn another_echo_is_not_applied_as_planned() {
        let answer = json!({"instanceId": ID, "isReadOnly": false, "message": "ok"});
        let error = check_answer(&patch(true), &answer).unwrap_err();
        assert_eq!(error.verdict, Verdict::NotAppliedAsPlanned);
        assert!(error.to_string().contains("`isReadOnly: false`"), "{error}");
    }

    #[test]
    fn no_echo_or_another_instance_is_not_confirmed() {
        let other =
            json!({"instanceId": "7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "isReadOnly": true});
        for answer in [Value::Null, json!({"message": "ok"}), other] {
            let error = check_answer(&patch(true), &answer).unwrap_err();
            assert_eq!(error.verdict, Verdict::NotConfirmed, "{answer}");
        }
    }
}
