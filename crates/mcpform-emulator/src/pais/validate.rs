//! The pydantic models of PAIS's requests: the create and update bodies (`extra="forbid"`) and
//! the list query, with their 422 details.

use serde_json::{Map, Value, json};

use crate::fastapi::{
    Bound, FieldError, at, check_bound, expect_str, extra_forbidden, lax_bool, missing,
    model_attributes_type, one_of, query_int, query_pairs,
};

const TRANSPORTS: [&str; 2] = ["STREAMABLE_HTTP", "SSE"];

/// Field order of `McpServerCreateRequest`, which is also the order pydantic reports errors in.
pub(super) const CREATE_FIELDS: [&str; 6] = [
    "url",
    "transport",
    "name",
    "description",
    "documentation_url",
    "headers",
];

/// Field order of `McpServerUpdateRequest`.
pub(super) const UPDATE_FIELDS: [&str; 6] = [
    "name",
    "description",
    "documentation_url",
    "headers",
    "url",
    "transport",
];

/// Validates a create (`required`) or update body with `extra="forbid"` models and returns it as
/// pydantic parses it: the keys that were sent, `null` kept, values coerced (a header's
/// `is_secret` to a boolean, `false` when left out). That is the merge patch to apply.
pub(super) fn validate_write(
    body: &Value,
    order: &[&str],
    required: bool,
) -> Result<Value, Vec<FieldError>> {
    let base = vec![json!("body")];
    let Value::Object(fields) = body else {
        return Err(vec![model_attributes_type(base, body)]);
    };
    let mut patch = Map::new();
    let mut errors = Vec::new();
    for &key in order {
        let loc = at(&base, key);
        let Some(value) = fields.get(key) else {
            if required && (key == "url" || key == "transport") {
                errors.push(missing(loc, body));
            }
            continue;
        };
        let parsed = match key {
            "name" | "description" | "documentation_url" => match value {
                Value::Null => Ok(Value::Null),
                other => expect_str(other, loc)
                    .map(Value::String)
                    .map_err(|e| vec![e]),
            },
            // `null` is refused here, so a patch can never remove a required field.
            "url" => validate_url(value, loc)
                .map(Value::String)
                .map_err(|e| vec![e]),
            "transport" => one_of(value, &TRANSPORTS, "enum", loc)
                .map(Value::String)
                .map_err(|e| vec![e]),
            "headers" => validate_headers(value, loc),
            _ => unreachable!("field lists only name writable fields"),
        };
        match parsed {
            Ok(value) => {
                patch.insert(key.to_owned(), value);
            }
            Err(es) => errors.extend(es),
        }
    }
    for (key, value) in fields {
        if !order.contains(&key.as_str()) {
            errors.push(extra_forbidden(at(&base, key.as_str()), value));
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(patch))
    } else {
        Err(errors)
    }
}

/// An absolute http(s) URL, kept as sent (`url` is an `AnyUrl`, restricted to http and https).
fn validate_url(value: &Value, loc: Vec<Value>) -> Result<String, FieldError> {
    let Value::String(text) = value else {
        return Err(FieldError::new(
            "url_type",
            loc,
            "URL input should be a string or URL",
            value.clone(),
        ));
    };
    let parsing = |reason: String| {
        FieldError::new(
            "url_parsing",
            loc.clone(),
            format!("Input should be a valid URL, {reason}"),
            value.clone(),
        )
        .with_ctx(json!({ "error": reason }))
    };
    if text.is_empty() {
        return Err(parsing("input is empty".into()));
    }
    let parsed = url::Url::parse(text).map_err(|e| parsing(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FieldError::new(
            "url_scheme",
            loc,
            "URL scheme should be 'http' or 'https'",
            value.clone(),
        )
        .with_ctx(json!({ "expected_schemes": "'http' or 'https'" })));
    }
    Ok(text.clone())
}

/// `headers: list[McpServerHeader] | None`; `null` removes them all.
fn validate_headers(value: &Value, loc: Vec<Value>) -> Result<Value, Vec<FieldError>> {
    let items = match value {
        Value::Null => return Ok(Value::Null),
        Value::Array(items) => items,
        other => {
            return Err(vec![FieldError::new(
                "list_type",
                loc,
                "Input should be a valid list",
                other.clone(),
            )]);
        }
    };
    let mut headers = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_loc = at(&loc, i);
        let Value::Object(fields) = item else {
            errors.push(model_attributes_type(item_loc, item));
            continue;
        };
        let text = |key: &str, errors: &mut Vec<FieldError>| match fields.get(key) {
            None => {
                errors.push(missing(at(&item_loc, key), item));
                None
            }
            Some(v) => expect_str(v, at(&item_loc, key))
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let name = text("name", &mut errors);
        let value = text("value", &mut errors);
        let is_secret = match fields.get("is_secret") {
            None => Some(false),
            Some(v) => lax_bool(v, at(&item_loc, "is_secret"))
                .map_err(|e| errors.push(e))
                .ok(),
        };
        for (key, extra) in fields {
            if !matches!(key.as_str(), "name" | "value" | "is_secret") {
                errors.push(extra_forbidden(at(&item_loc, key.as_str()), extra));
            }
        }
        if let (Some(name), Some(value), Some(is_secret)) = (name, value, is_secret) {
            headers.push(json!({ "name": name, "value": value, "is_secret": is_secret }));
        }
    }
    if errors.is_empty() {
        Ok(Value::Array(headers))
    } else {
        Err(errors)
    }
}

/// Parsed list query; `routes::list` says how each part is used.
pub(super) struct ListQuery {
    pub(super) after: Option<String>,
    pub(super) before: Option<String>,
    pub(super) limit: usize,
    pub(super) offset: usize,
    pub(super) descending: bool,
    pub(super) count: bool,
    pub(super) name: Option<String>,
}

pub(super) fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, Vec<FieldError>> {
    let params = query_pairs(raw);
    let loc = |key: &str| vec![json!("query"), json!(key)];
    let text = |key: &str| params.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut errors = Vec::new();
    let mut int_param = |key: &str, default: i64, bounds: &[Bound]| -> i64 {
        let Some(value) = params.get(key) else {
            return default;
        };
        let checked = query_int(value, loc(key)).and_then(|n| {
            bounds
                .iter()
                .try_fold(n, |n, b| check_bound(n, *b, loc(key), value))
        });
        checked.unwrap_or_else(|e| {
            errors.push(e);
            default
        })
    };
    let limit = int_param("limit", 100, &[Bound::Gt(0), Bound::Lt(1000)]);
    let offset = int_param("offset", 0, &[Bound::Ge(0), Bound::Lt(1 << 32)]);
    let descending = match params.get("order") {
        None => false,
        Some(v) => match one_of(v, &["asc", "desc"], "enum", loc("order")) {
            Ok(order) => order == "desc",
            Err(e) => {
                errors.push(e);
                false
            }
        },
    };
    let count = match params.get("set_num_objects") {
        None => false,
        Some(v) => lax_bool(v, loc("set_num_objects")).unwrap_or_else(|e| {
            errors.push(e);
            false
        }),
    };
    if errors.is_empty() {
        Ok(ListQuery {
            after: text("after"),
            before: text("before"),
            limit: limit as usize,
            offset: offset as usize,
            descending,
            count,
            name: text("name"),
        })
    } else {
        Err(errors)
    }
}
