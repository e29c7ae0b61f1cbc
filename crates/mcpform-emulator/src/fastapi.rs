//! What the emulated FastAPI apps share (PAIS and Klavis; Idun too, with its own error envelope):
//! pydantic v2's validation records (`type`, `loc`, `msg`, `input`, `ctx`) and lax coercions, body
//! decoding, path-UUID and query parsing, `HTTPBearer`, and FastAPI's answers: the 422
//! `{"detail": [...]}`, `{"detail": "..."}` errors and the unknown route and method fallbacks.
//! It mirrors `src/provider/fastapi.rs`, which reads these answers on the client side.

use std::io;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::store::PersistError;

/// One validation failure, shaped like an item of pydantic's `ValidationError.errors()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    // Boxed to keep `Result<_, FieldError>` small.
    pub input: Box<Value>,
    pub ctx: Option<Box<Value>>,
}

impl FieldError {
    pub fn new(kind: &'static str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        FieldError {
            kind,
            loc,
            msg: msg.into(),
            input: Box::new(input),
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(Box::new(ctx));
        self
    }

    /// An item of FastAPI's `HTTPValidationError.detail`.
    pub fn to_fastapi(&self) -> Value {
        let mut item = json!({
            "type": self.kind,
            "loc": self.loc,
            "msg": self.msg,
            "input": self.input,
        });
        if let Some(ctx) = &self.ctx {
            item["ctx"] = (**ctx).clone();
        }
        item
    }

    /// The location joined with dots (`body.mcpServer.url`), as Idun reports it.
    pub fn dotted_loc(&self) -> String {
        self.loc
            .iter()
            .map(|part| match part {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Extends a location by one key or index.
pub(crate) fn at(loc: &[Value], part: impl Into<Value>) -> Vec<Value> {
    let mut out = loc.to_vec();
    out.push(part.into());
    out
}

pub(crate) fn missing(loc: Vec<Value>, container: &Value) -> FieldError {
    FieldError::new("missing", loc, "Field required", container.clone())
}

pub(crate) fn extra_forbidden(loc: Vec<Value>, input: &Value) -> FieldError {
    FieldError::new(
        "extra_forbidden",
        loc,
        "Extra inputs are not permitted",
        input.clone(),
    )
}

/// FastAPI validates bodies with `from_attributes=True`, so a non-object where a model is
/// expected gets this error rather than `model_type`.
pub(crate) fn model_attributes_type(loc: Vec<Value>, input: &Value) -> FieldError {
    FieldError::new(
        "model_attributes_type",
        loc,
        "Input should be a valid dictionary or object to extract fields from",
        input.clone(),
    )
}

/// Pydantic's message for a failed `@model_validator`/`ValueError`.
pub(crate) fn value_error(loc: Vec<Value>, message: &str, input: &Value) -> FieldError {
    FieldError::new(
        "value_error",
        loc,
        format!("Value error, {message}"),
        input.clone(),
    )
    .with_ctx(json!({ "error": {} }))
}

/// Decodes a request body the way FastAPI does for a JSON model parameter: an empty body or a
/// JSON `null` is `missing` (FastAPI treats a `None` body as absent), a JSON (or untyped) body is
/// parsed, and any other content type is passed on as raw text so that model validation rejects
/// it.
pub(crate) fn decode_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, FieldError> {
    if bytes.is_empty() {
        return Err(missing(vec![json!("body")], &Value::Null));
    }
    let is_json = match headers.get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => {
            let essence = value
                .to_str()
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        }
    };
    if !is_json {
        return Ok(Value::String(String::from_utf8_lossy(bytes).into_owned()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|err| {
        let position = byte_offset(bytes, err.line(), err.column());
        FieldError::new(
            "json_invalid",
            vec![json!("body"), json!(position)],
            "JSON decode error",
            json!({}),
        )
        .with_ctx(json!({ "error": json_error_reason(&err) }))
    })?;
    if value.is_null() {
        return Err(missing(vec![json!("body")], &Value::Null));
    }
    Ok(value)
}

fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// serde_json's message without its "at line X column Y" suffix, which `loc` already carries.
fn json_error_reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(idx) => text[..idx].to_owned(),
        None => text,
    }
}

/// A path parameter declared as `UUID`. Pydantic parses with the Rust `uuid` crate too, so
/// the accepted forms and the error text match.
pub(crate) fn parse_path_uuid(raw: &str, param: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(raw).map_err(|err| {
        FieldError::new(
            "uuid_parsing",
            vec![json!("path"), json!(param)],
            format!("Input should be a valid UUID, {err}"),
            json!(raw),
        )
        .with_ctx(json!({ "error": err.to_string() }))
    })
}

/// Query parameters as FastAPI reads them: the last occurrence of a name wins.
pub(crate) fn query_pairs(raw: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        out.insert(key.into_owned(), Value::String(value.into_owned()));
    }
    out
}

pub(crate) fn expect_str(value: &Value, loc: Vec<Value>) -> Result<String, FieldError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(FieldError::new(
            "string_type",
            loc,
            "Input should be a valid string",
            other.clone(),
        )),
    }
}

/// Pydantic's lax `bool`: booleans, 0/1, and the usual yes/no words.
pub(crate) fn lax_bool(value: &Value, loc: Vec<Value>) -> Result<bool, FieldError> {
    let parsing = |input: &Value| {
        FieldError::new(
            "bool_parsing",
            loc.clone(),
            "Input should be a valid boolean, unable to interpret input",
            input.clone(),
        )
    };
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            _ => Err(parsing(value)),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
            _ => Err(parsing(value)),
        },
        other => Err(FieldError::new(
            "bool_type",
            loc,
            "Input should be a valid boolean",
            other.clone(),
        )),
    }
}

/// Pydantic's lax `float`: numbers and numeric strings.
pub(crate) fn lax_float(value: &Value, loc: Vec<Value>) -> Result<f64, FieldError> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| {
            FieldError::new(
                "float_type",
                loc.clone(),
                "Input should be a valid number",
                value.clone(),
            )
        }),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| {
            FieldError::new(
                "float_parsing",
                loc.clone(),
                "Input should be a valid number, unable to parse string as a number",
                value.clone(),
            )
        }),
        other => Err(FieldError::new(
            "float_type",
            loc,
            "Input should be a valid number",
            other.clone(),
        )),
    }
}

/// An integer query parameter (always a string on the wire).
pub(crate) fn query_int(value: &Value, loc: Vec<Value>) -> Result<i64, FieldError> {
    let text = value.as_str().unwrap_or_default().trim();
    text.parse::<i64>().map_err(|_| {
        FieldError::new(
            "int_parsing",
            loc,
            "Input should be a valid integer, unable to parse string as an integer",
            value.clone(),
        )
    })
}

/// Checks `gt`/`lt`/`ge` bounds with pydantic's messages.
pub(crate) fn check_bound(
    n: i64,
    bound: Bound,
    loc: Vec<Value>,
    input: &Value,
) -> Result<i64, FieldError> {
    let (ok, kind, words, key, limit) = match bound {
        Bound::Gt(l) => (n > l, "greater_than", "greater than", "gt", l),
        Bound::Lt(l) => (n < l, "less_than", "less than", "lt", l),
        Bound::Ge(l) => (
            n >= l,
            "greater_than_equal",
            "greater than or equal to",
            "ge",
            l,
        ),
    };
    if ok {
        Ok(n)
    } else {
        Err(FieldError::new(
            kind,
            loc,
            format!("Input should be {words} {limit}"),
            input.clone(),
        )
        .with_ctx(json!({ key: limit })))
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Bound {
    Gt(i64),
    Lt(i64),
    Ge(i64),
}

/// A value restricted to a fixed set of strings. `kind` is `literal_error` for `Literal[...]`
/// fields and `enum` for `Enum` fields; the message is the same.
pub(crate) fn one_of(
    value: &Value,
    allowed: &[&str],
    kind: &'static str,
    loc: Vec<Value>,
) -> Result<String, FieldError> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_owned()),
        _ => {
            let expected = expected_list(allowed);
            Err(FieldError::new(
                kind,
                loc,
                format!("Input should be {expected}"),
                value.clone(),
            )
            .with_ctx(json!({ "expected": expected })))
        }
    }
}

/// `'a', 'b' or 'c'`, pydantic's way of listing choices.
fn expected_list(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A `list[str]` field.
pub(crate) fn string_list(value: &Value, loc: Vec<Value>) -> Result<Vec<String>, Vec<FieldError>> {
    let Value::Array(items) = value else {
        return Err(vec![FieldError::new(
            "list_type",
            loc,
            "Input should be a valid list",
            value.clone(),
        )]);
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match expect_str(item, at(&loc, i)) {
            Ok(s) => out.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A `dict[str, str]` field (values must be strings) or, with `any_values`, `dict[str, Any]`.
pub(crate) fn string_map(
    value: &Value,
    loc: Vec<Value>,
    any_values: bool,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let Value::Object(entries) = value else {
        return Err(vec![FieldError::new(
            "dict_type",
            loc,
            "Input should be a valid dictionary",
            value.clone(),
        )]);
    };
    if any_values {
        return Ok(entries.clone());
    }
    let mut errors = Vec::new();
    for (key, item) in entries {
        if let Err(e) = expect_str(item, at(&loc, key.as_str())) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(entries.clone())
    } else {
        Err(errors)
    }
}

/// An error answer of a FastAPI app.
#[derive(Debug)]
pub(crate) enum Error {
    /// 422 `{"detail": [...]}`: request validation failed (path, query and body together).
    Validation(Vec<FieldError>),
    /// `HTTPBearer`'s 401 `{"detail": "Not authenticated"}` with `WWW-Authenticate: Bearer`.
    NotAuthenticated,
    /// An `HTTPException`: the status and its `detail`, or an empty body for `None`.
    Http(StatusCode, Option<&'static str>),
    /// The data file could not be written: the app's 500.
    Persist(io::Error),
}

impl From<PersistError> for Error {
    fn from(e: PersistError) -> Self {
        Error::Persist(e.0)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::Validation(errors) => {
                let detail: Vec<Value> = errors.iter().map(FieldError::to_fastapi).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({ "detail": detail })),
                )
                    .into_response()
            }
            Error::NotAuthenticated => {
                let mut response = detail(StatusCode::UNAUTHORIZED, "Not authenticated");
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Error::Http(status, None) => status.into_response(),
            Error::Http(status, Some(text)) => detail(status, text),
            Error::Persist(err) => {
                eprintln!("emulator: cannot write the data file: {err}");
                detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

/// `{"detail": text}`, the body of an `HTTPException`.
pub(crate) fn detail(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "detail": text }))).into_response()
}

/// The credentials `HTTPBearer` accepts: the header is split at its first space, the scheme
/// compared case-insensitively. `None` when `HTTPBearer` answers 401.
pub(crate) fn bearer_credentials(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

/// FastAPI's answers for an unknown route and for a known route with another method.
pub(crate) fn fallbacks(router: Router) -> Router {
    router
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_split_at_the_first_space() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            bearer_credentials(&headers).map(str::to_owned)
        };
        assert_eq!(with("Bearer t0k").as_deref(), Some("t0k"));
        assert_eq!(with("bEaReR  t0k").as_deref(), Some(" t0k"));
        assert_eq!(with("Bearer"), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(with("Basic t0k"), None);
        assert_eq!(bearer_credentials(&HeaderMap::new()), None);
    }

    #[test]
    fn expected_list_matches_pydantic_wording() {
        assert_eq!(expected_list(&["a"]), "'a'");
        assert_eq!(expected_list(&["a", "b"]), "'a' or 'b'");
        assert_eq!(expected_list(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }

    #[test]
    fn decode_body_reports_position_of_malformed_json() {
        let headers = HeaderMap::new();
        let err = decode_body(&headers, b"{\"a\": }").unwrap_err();
        assert_eq!(err.kind, "json_invalid");
        assert_eq!(err.loc, vec![json!("body"), json!(6)]);
        assert_eq!(err.msg, "JSON decode error");
    }

    #[test]
    fn decode_body_treats_empty_as_missing_and_foreign_content_as_text() {
        let mut headers = HeaderMap::new();
        assert_eq!(decode_body(&headers, b"").unwrap_err().kind, "missing");
        assert_eq!(
            decode_body(&headers, b" null ").unwrap_err().kind,
            "missing"
        );
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(decode_body(&headers, b"{}").unwrap(), json!("{}"));
        headers.insert(
            header::CONTENT_TYPE,
            "application/merge-patch+json".parse().unwrap(),
        );
        assert_eq!(decode_body(&headers, b"{}").unwrap(), json!({}));
    }

    #[test]
    fn lax_coercions() {
        let loc = vec![json!("x")];
        assert_eq!(lax_bool(&json!("Yes"), loc.clone()), Ok(true));
        assert_eq!(lax_bool(&json!(0), loc.clone()), Ok(false));
        assert_eq!(
            lax_bool(&json!(2), loc.clone()).unwrap_err().kind,
            "bool_parsing"
        );
        assert_eq!(
            lax_bool(&json!([]), loc.clone()).unwrap_err().kind,
            "bool_type"
        );
        assert_eq!(lax_float(&json!(30), loc.clone()), Ok(30.0));
        assert_eq!(lax_float(&json!("2.5"), loc.clone()), Ok(2.5));
        assert_eq!(
            lax_float(&json!("x"), loc.clone()).unwrap_err().kind,
            "float_parsing"
        );
        assert_eq!(lax_float(&json!(true), loc).unwrap_err().kind, "float_type");
    }

    #[test]
    fn uuid_errors_carry_the_parser_reason() {
        let err = parse_path_uuid("nope", "id").unwrap_err();
        assert_eq!(err.kind, "uuid_parsing");
        assert!(
            err.msg.starts_with("Input should be a valid UUID, "),
            "{}",
            err.msg
        );
        assert_eq!(err.dotted_loc(), "path.id");
    }

    #[test]
    fn bounds() {
        let loc = vec![json!("q")];
        let input = json!("0");
        let err = check_bound(0, Bound::Gt(0), loc.clone(), &input).unwrap_err();
        assert_eq!(err.msg, "Input should be greater than 0");
        assert_eq!(err.ctx, Some(Box::new(json!({"gt": 0}))));
        assert!(check_bound(999, Bound::Lt(1000), loc, &input).is_ok());
    }
}
