//! Applying tool approvals: completing the requests a plan could not address yet (a new server's
//! tools, tools not discovered when planning) by waiting, bounded, for PAIS to discover them, then
//! sending each approval and confirming it from PAIS's answer.
//!
//! Progress goes to stderr while waiting. A listed tool that never appears fails the resource,
//! named in the error; nothing of the resource's approvals is sent then.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::api::{self, McpTool};
use super::{client, confirm};
use crate::http::HttpClient;
use crate::plan::FollowUp;
use crate::provider::{Verdict, WriteError};

/// What stands in a planned approval's path for an id the plan could not know.
const SERVER_PLACEHOLDER: &str = "{server_id}";
const TOOL_PLACEHOLDER: &str = "{tool_id}";

/// How often progress is printed while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// One server's approvals, sent after its own request was confirmed.
pub struct Approvals<'a> {
    pub http: &'a HttpClient,
    /// The resource's address, for progress lines.
    pub address: &'a str,
    /// The server's id (a create's comes from PAIS's answer).
    pub server_id: &'a str,
    /// How long to wait for tools to be discovered.
    pub discovery_timeout: Duration,
}

/// One approval to send: which tool, and to what.
struct Approval {
    name: String,
    tool_id: String,
    approve: bool,
}

impl Approvals<'_> {
    /// Sends every planned approval, waiting first for the tools the plan could not address.
    pub async fn apply(&self, follow_ups: &[FollowUp]) -> Result<(), WriteError> {
        let mut approvals = Vec::new();
        let mut waiting_for: Vec<(&str, bool)> = Vec::new();
        for follow_up in follow_ups {
            let name = tool_name(&follow_up.field);
            let approve = follow_up.request.body["is_approved"]
                .as_bool()
                .unwrap_or(false);
            match planned_tool_id(&follow_up.request.path) {
                Some(tool_id) => approvals.push(Approval {
                    name: name.to_owned(),
                    tool_id: tool_id.to_owned(),
                    approve,
                }),
                None => waiting_for.push((name, approve)),
            }
        }
        if !waiting_for.is_empty() {
            let names: Vec<&str> = waiting_for.iter().map(|(name, _)| *name).collect();
            let discovered = self.wait_for(&names).await?;
            for (name, approve) in waiting_for {
                for tool in &discovered[name] {
                    if tool.is_approved != approve {
                        approvals.push(Approval {
                            name: name.to_owned(),
                            tool_id: tool.id.clone(),
                            approve,
                        });
                    }
                }
            }
        }
        for approval in &approvals {
            self.send(approval).await?;
        }
        Ok(())
    }

    /// Lists the server's tools until every name is there, or the timeout passes; the tools by
    /// name.
    async fn wait_for(&self, names: &[&str]) -> Result<BTreeMap<String, Vec<McpTool>>, WriteError> {
        let started = Instant::now();
        let timeout = self.discovery_timeout;
        let poll_every = (timeout / 30).clamp(Duration::from_millis(100), Duration::from_secs(5));
        let mut reported = started;
        let mut announced = false;
        loop {
            let tools = client::list_tools(self.http, self.server_id).await?;
            let mut by_name: BTreeMap<String, Vec<McpTool>> = BTreeMap::new();
            for tool in tools {
                if let Some(name) = tool.config_name() {
                    by_name.entry(name.to_owned()).or_default().push(tool);
                }
            }
            let missing: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !by_name.contains_key(*n))
                .collect();
            if missing.is_empty() {
                return Ok(by_name);
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(never_appeared(&missing, &by_name, timeout));
            }
            if !announced {
                eprintln!(
                    "{}: waiting up to {} for PAIS to discover {}",
                    self.address,
                    humantime::format_duration(timeout),
                    quoted(&missing)
                );
                announced = true;
                reported = Instant::now();
            } else if reported.elapsed() >= PROGRESS_EVERY {
                eprintln!(
                    "{}: still waiting for {} ({}s of {}s)",
                    self.address,
                    quoted(&missing),
                    waited.as_secs(),
                    timeout.as_secs()
                );
                reported = Instant::now();
            }
            tokio::time::sleep(poll_every.min(timeout - waited)).await;
        }
    }

    /// Sends one approval (setting a flag: safe to send again) and confirms it from the answer,
    /// or, when the answer shows no tool, from a fresh listing.
    async fn send(&self, approval: &Approval) -> Result<(), WriteError> {
        let path = api::approval_path(self.server_id, &approval.tool_id);
        let body = serde_json::json!({"is_approved": approval.approve});
        let answer = self
            .http
            .send(reqwest::Method::POST, &path, &[], Some(&body), true)
            .await
            .map_err(|e| in_tool(&approval.name, WriteError::from(e)))?;
        let checked =
            match confirm::check_approval(&approval.tool_id, approval.approve, &answer.json()) {
                Some(checked) => checked,
                None => self.check_listed(approval).await,
            };
        checked.map_err(|e| in_tool(&approval.name, e))
    }

    /// Whether the tools listing shows the approval.
    async fn check_listed(&self, approval: &Approval) -> Result<(), WriteError> {
        let unconfirmed = |why: String| WriteError::answered(Verdict::NotConfirmed, why);
        let tools = client::list_tools(self.http, self.server_id)
            .await
            .map_err(|e| {
                unconfirmed(format!(
                    "PAIS's answer showed no tool, and listing the tools afterwards failed: {e}"
                ))
            })?;
        match tools
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(&approval.tool_id))
        {
            Some(tool) if tool.is_approved == approval.approve => Ok(()),
            Some(_) => Err(WriteError::answered(
                Verdict::NotAppliedAsPlanned,
                "PAIS answered, but its tools listing shows the approval unchanged",
            )),
            None => Err(unconfirmed(
                "PAIS's answer showed no tool, and the tool is no longer listed".into(),
            )),
        }
    }
}

/// The tool a planned approval is for: `approve_tools.NAME`.
fn tool_name(field: &str) -> &str {
    field
        .strip_prefix(super::APPROVE_TOOLS)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(field)
}

/// The tool id in a planned approval's path, unless the plan left it to apply.
fn planned_tool_id(path: &str) -> Option<&str> {
    let tool_id = path.strip_suffix("/approval")?.rsplit('/').next()?;
    (tool_id != TOOL_PLACEHOLDER && !path.contains(SERVER_PLACEHOLDER)).then_some(tool_id)
}

fn never_appeared(
    missing: &[&str],
    discovered: &BTreeMap<String, Vec<McpTool>>,
    timeout: Duration,
) -> WriteError {
    let found = if discovered.is_empty() {
        "it lists no tools".to_owned()
    } else {
        let names: Vec<&str> = discovered.keys().map(String::as_str).collect();
        format!("it lists {}", quoted(&names))
    };
    WriteError::answered(
        Verdict::NotAppliedAsPlanned,
        format!(
            "PAIS did not discover {} within {} ({found}), so no tool of this server was \
             approved; check the names in `approve_tools`, or allow longer with \
             `--discovery-timeout`",
            quoted(missing),
            humantime::format_duration(timeout)
        ),
    )
}

/// A failed approval, saying which tool it was for.
fn in_tool(name: &str, error: WriteError) -> WriteError {
    WriteError::answered(error.verdict, format!("approving tool `{name}`: {error}"))
}

/// `a`, `b` and `c` in backticks, as a phrase: "tool `a`" or "tools `a` and `b`".
fn quoted(names: &[&str]) -> String {
    let ticked: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match ticked.as_slice() {
        [one] => format!("tool {one}"),
        [rest @ .., last] => format!("tools {} and {last}", rest.join(", ")),
        [] => "no tool".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_paths_tell_known_tools_from_those_apply_must_find() {
        let known = api::approval_path("s1", "t1");
        assert_eq!(planned_tool_id(&known), Some("t1"));
        assert_eq!(
            planned_tool_id(&api::approval_path("s1", TOOL_PLACEHOLDER)),
            None
        );
        assert_eq!(
            planned_tool_id(&api::approval_path(SERVER_PLACEHOLDER, TOOL_PLACEHOLDER)),
            None
        );
        assert_eq!(tool_name("approve_tools.search.v2"), "search.v2");
    }

    #[test]
    fn names_read_as_a_phrase() {
        assert_eq!(quoted(&["a"]), "tool `a`");
        assert_eq!(quoted(&["a", "b", "c"]), "tools `a`, `b` and `c`");
    }

    #[test]
    fn a_tool_that_never_appeared_is_named_with_what_was_found() {
        let error = never_appeared(&["b"], &BTreeMap::new(), Duration::from_secs(60));
        let message = error.to_string();
        assert!(
            message.contains("tool `b`") && message.contains("1m"),
            "{message}"
        );
        assert!(message.contains("lists no tools"), "{message}");
    }
}
