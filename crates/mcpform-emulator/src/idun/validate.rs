//! The pydantic models of Idun's requests: the engine's `MCPServer` (defaults, transport rules),
//! `StandaloneMCPServerCreate` and `StandaloneMCPServerPatch`.

use serde_json::{Map, Value, json};

use super::wire::McpServerConfig;
use crate::fastapi::{
    FieldError, at, expect_str, lax_bool, lax_float, missing, model_attributes_type, one_of,
    string_list, string_map, value_error,
};

const TRANSPORTS: [&str; 4] = ["stdio", "sse", "streamable_http", "websocket"];

const ENCODING_ERROR_HANDLERS: [&str; 3] = ["strict", "ignore", "replace"];

/// A field found under its camelCase alias or, failing that, its snake_case name
/// (`populate_by_name=True`; pydantic tries the alias first).
pub(super) fn field<'a>(
    fields: &'a Map<String, Value>,
    alias: &str,
    name: &str,
) -> Option<&'a Value> {
    fields.get(alias).or_else(|| fields.get(name))
}

/// Validates an `MCPServer` at `loc`. Unknown keys are ignored, as pydantic's default does.
pub(super) fn validate_mcp_server(
    value: &Value,
    loc: &[Value],
) -> Result<McpServerConfig, Vec<FieldError>> {
    let Value::Object(fields) = value else {
        return Err(vec![model_attributes_type(loc.to_vec(), value)]);
    };
    let mut errors = Vec::new();
    let text =
        |alias: &str, name: &str, errors: &mut Vec<FieldError>| match field(fields, alias, name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(expect_str(v, at(loc, alias)), errors).map(Some),
        };
    let float =
        |alias: &str, name: &str, errors: &mut Vec<FieldError>| match field(fields, alias, name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(lax_float(v, at(loc, alias)), errors).map(Some),
        };
    let map = |alias: &str, name: &str, any_values: bool, errors: &mut Vec<FieldError>| match field(
        fields, alias, name,
    ) {
        None => Some(Map::new()),
        Some(v) => take_all(string_map(v, at(loc, alias), any_values), errors),
    };
    // Checked in the schema's field order, which is the order pydantic reports errors in.
    let name = match field(fields, "name", "name") {
        None => take(Err(missing(at(loc, "name"), value)), &mut errors),
        Some(v) => take(expect_str(v, at(loc, "name")), &mut errors),
    };
    let transport = match field(fields, "transport", "transport") {
        None => Some("streamable_http".to_owned()),
        Some(v) => take(
            one_of(v, &TRANSPORTS, "literal_error", at(loc, "transport")),
            &mut errors,
        ),
    };
    let url = text("url", "url", &mut errors);
    let command = text("command", "command", &mut errors);
    let args = match field(fields, "args", "args") {
        None => Some(Vec::new()),
        Some(v) => take_all(string_list(v, at(loc, "args")), &mut errors),
    };
    let headers = map("headers", "headers", false, &mut errors);
    let env = map("env", "env", false, &mut errors);
    let cwd = text("cwd", "cwd", &mut errors);
    let encoding = text("encoding", "encoding", &mut errors);
    let encoding_error_handler =
        match field(fields, "encodingErrorHandler", "encoding_error_handler") {
            None | Some(Value::Null) => Some(None),
            Some(v) => take(
                one_of(
                    v,
                    &ENCODING_ERROR_HANDLERS,
                    "literal_error",
                    at(loc, "encodingErrorHandler"),
                ),
                &mut errors,
            )
            .map(Some),
        };
    let timeout_seconds = float("timeoutSeconds", "timeout_seconds", &mut errors);
    let sse_read_timeout_seconds = float(
        "sseReadTimeoutSeconds",
        "sse_read_timeout_seconds",
        &mut errors,
    );
    let terminate_on_close = match field(fields, "terminateOnClose", "terminate_on_close") {
        None | Some(Value::Null) => Some(None),
        Some(v) => take(lax_bool(v, at(loc, "terminateOnClose")), &mut errors).map(Some),
    };
    let session_kwargs = map("sessionKwargs", "session_kwargs", true, &mut errors);

    let (
        Some(name),
        Some(transport),
        Some(url),
        Some(command),
        Some(args),
        Some(headers),
        Some(env),
        Some(cwd),
        Some(encoding),
        Some(encoding_error_handler),
        Some(timeout_seconds),
        Some(sse_read_timeout_seconds),
        Some(terminate_on_close),
        Some(session_kwargs),
    ) = (
        name,
        transport,
        url,
        command,
        args,
        headers,
        env,
        cwd,
        encoding,
        encoding_error_handler,
        timeout_seconds,
        sse_read_timeout_seconds,
        terminate_on_close,
        session_kwargs,
    )
    else {
        return Err(errors);
    };
    // The schema's `@model_validator(mode="after")`, which only runs once every field is valid.
    let blank = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
    let rule = if transport != "stdio" && blank(&url) {
        Some(format!("url is required for transport '{transport}'"))
    } else if transport == "stdio" && blank(&command) {
        Some("command is required for stdio transport".to_owned())
    } else if transport == "stdio" && args.is_empty() {
        Some("args is required for stdio transport".to_owned())
    } else {
        None
    };
    if let Some(message) = rule {
        return Err(vec![value_error(loc.to_vec(), &message, value)]);
    }
    Ok(McpServerConfig {
        name,
        transport,
        url,
        command,
        args,
        headers,
        env,
        cwd,
        encoding,
        encoding_error_handler,
        timeout_seconds,
        sse_read_timeout_seconds,
        terminate_on_close,
        session_kwargs,
    })
}

fn take<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn take_all<T>(result: Result<T, Vec<FieldError>>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|es| errors.extend(es)).ok()
}

/// `StandaloneMCPServerCreate`: `{name, enabled = true, mcpServer}`.
pub(super) fn validate_create(
    body: &Value,
) -> Result<(String, bool, McpServerConfig), Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let name = match fields.get("name") {
        None => Err(missing(at(&base, "name"), body)),
        Some(v) => expect_str(v, at(&base, "name")),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let enabled = match fields.get("enabled") {
        None => Ok(true),
        Some(v) => lax_bool(v, at(&base, "enabled")),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let config = match field(fields, "mcpServer", "mcp_server") {
        None => Err(vec![missing(at(&base, "mcpServer"), body)]),
        Some(v) => validate_mcp_server(v, &at(&base, "mcpServer")),
    }
    .map_err(|es| errors.extend(es))
    .ok();
    match (name, enabled, config) {
        (Some(name), Some(enabled), Some(config)) => Ok((name, enabled, config)),
        _ => Err(errors),
    }
}

/// `StandaloneMCPServerPatch`, reduced to what the handler acts on.
pub(super) struct Patch {
    /// Whether any known field was present (pydantic's `model_fields_set`).
    pub(super) touched: bool,
    pub(super) name: Option<String>,
    pub(super) enabled: Option<bool>,
    pub(super) config: Option<McpServerConfig>,
}

pub(super) fn validate_patch(body: &Value) -> Result<Patch, Vec<FieldError>> {
    let base = [json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base.to_vec(), body)]);
    };
    let mut errors = Vec::new();
    let raw_name = fields.get("name");
    let name = match raw_name {
        None | Some(Value::Null) => None,
        Some(v) => expect_str(v, at(&base, "name"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let raw_enabled = fields.get("enabled");
    let enabled = match raw_enabled {
        None | Some(Value::Null) => None,
        Some(v) => lax_bool(v, at(&base, "enabled"))
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let raw_config = field(fields, "mcpServer", "mcp_server");
    let config = match raw_config {
        None | Some(Value::Null) => None,
        Some(v) => validate_mcp_server(v, &at(&base, "mcpServer"))
            .map_err(|es| errors.extend(es))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if raw_name == Some(&Value::Null) {
        return Err(vec![value_error(
            base.to_vec(),
            "name cannot be null",
            body,
        )]);
    }
    Ok(Patch {
        touched: raw_name.is_some() || raw_enabled.is_some() || raw_config.is_some(),
        name,
        enabled,
        config,
    })
}
