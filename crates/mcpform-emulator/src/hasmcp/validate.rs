//! CE's request validations, in its order, with its 400 messages.

use serde_json::{Value, json};

use super::routes::HasmcpError;
use super::wire::{ServerInput, is_id};

const NAME_MAX_LEN: usize = 16;

pub(super) const INSTRUCTIONS_MAX_LEN: usize = 4096;

const PROVIDERS_MAX: usize = 1;

/// CE's validations, in its order; `path_id` is `Some` for an update. The link-id checks at the
/// end are this emulator's (CE accepts anything there).
pub(super) fn validate(input: &ServerInput, path_id: Option<&str>) -> Result<(), HasmcpError> {
    let bad =
        |message: &str, key: &str, value: Value| HasmcpError::bad_request(message, key, value);
    if let Some(id) = path_id {
        if !is_id(id) {
            return Err(bad("invalid server ID", "serverID", json!(id)));
        }
        if input.version == 0 {
            return Err(bad("invalid server version", "version", json!(0)));
        }
    }
    // Go's `len` counts bytes.
    if input.name.is_empty() || input.name.len() > NAME_MAX_LEN {
        return Err(bad(
            &format!("name must be between 1 and {NAME_MAX_LEN} characters"),
            "name",
            json!(input.name),
        ));
    }
    if !input.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(
            "name must be `[a-zA-Z0-9]{1,16}",
            "name",
            json!(input.name),
        ));
    }
    if input.instructions.len() > INSTRUCTIONS_MAX_LEN {
        return Err(bad(
            &format!("instructions must be less than {INSTRUCTIONS_MAX_LEN} characters"),
            "instructions",
            json!(input.instructions),
        ));
    }
    if input.providers.len() > PROVIDERS_MAX {
        return Err(bad(
            &format!("max providers allowed per MCP server is set to {PROVIDERS_MAX}"),
            "providersCount",
            json!(input.providers.len()),
        ));
    }
    for provider in &input.providers {
        if !is_id(&provider.id) {
            return Err(bad("invalid provider ID", "providerID", json!(provider.id)));
        }
        if let Some(tool) = provider.tools.iter().find(|t| !is_id(t)) {
            return Err(bad("invalid tool ID", "toolID", json!(tool)));
        }
    }
    if let Some(id) = input.resources.iter().find(|r| !is_id(r)) {
        return Err(bad("invalid resource ID", "resourceID", json!(id)));
    }
    if let Some(id) = input.prompts.iter().find(|p| !is_id(p)) {
        return Err(bad("invalid prompt ID", "promptID", json!(id)));
    }
    Ok(())
}
