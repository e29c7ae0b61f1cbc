//! The keywords of each JSON type: object properties, array items, string patterns, lengths
//! and formats, and number bounds.

use serde_json::{Map, Value};

use super::messages::one_line;
use super::{Place, Seg, Walker};
use crate::config::diagnostic::Code;
use crate::config::suggest;
use crate::config::tree::{Entry, Kind, Node};

impl<'s> Walker<'s, '_> {
    pub(super) fn check_object(
        &mut self,
        node: &Node,
        entries: &[Entry],
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        let properties = keywords.get("properties").and_then(Value::as_object);
        let additional = keywords.get("additionalProperties");
        for entry in entries {
            let property = properties.and_then(|p| p.get(&entry.key));
            let schema = match (property, additional) {
                (Some(schema), _) => schema,
                (None, Some(Value::Bool(false))) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let diag = self
                        .error(Code::UnknownField, format!("unknown field `{}`", entry.key))
                        .at(entry.key_span, format!("not a field of {}", self.subject()))
                        .help(suggest::help(&entry.key, &known));
                    self.push(diag);
                    continue;
                }
                (None, Some(schema)) => schema,
                (None, None) => continue,
            };
            self.path.push(Seg::Key(entry.key.clone()));
            let place = Place {
                key_span: Some(entry.key_span),
                property,
            };
            self.check(&entry.value, schema, &place);
            self.path.pop();
        }
        let missing: Vec<&str> = keywords
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|name| node.entry(name).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let list = suggest::list(missing.iter().copied(), "and");
        let help = match (missing.as_slice(), properties) {
            ([one], Some(properties)) => {
                match properties.get(*one).and_then(|p| self.description(p)) {
                    Some(description) => format!("add `{one}`: {}", one_line(description)),
                    None => format!("add `{one}`"),
                }
            }
            _ => format!("add {list}"),
        };
        let span = place.key_span.unwrap_or_else(|| node.head(self.file));
        let diag = self
            .error(
                Code::MissingField,
                format!("{} is missing {list}", self.subject()),
            )
            .at(span, format!("missing {list}"))
            .help(help);
        self.push(diag);
    }

    pub(super) fn check_array(
        &mut self,
        items: &[Node],
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        if let Some(item_schema) = keywords.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Seg::Index(i));
                self.check(item, item_schema, &Place::default());
                self.path.pop();
            }
        }
        if let Some(max) = keywords.get("maxItems").and_then(Value::as_u64) {
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            if let Some(first_extra) = items.get(max) {
                let extra = items.len() - max;
                let help = self.place_description(place).map_or_else(
                    || "remove the extra items".to_owned(),
                    |d| format!("{}: {}", self.subject(), one_line(d)),
                );
                let diag = self
                    .error(
                        Code::TooManyItems,
                        format!(
                            "{} has {} items, more than the {max} allowed",
                            self.subject(),
                            items.len()
                        ),
                    )
                    .at(
                        first_extra.span,
                        if extra == 1 {
                            "one too many".to_owned()
                        } else {
                            format!("{extra} too many from here")
                        },
                    )
                    .help(help);
                self.push(diag);
            }
        }
    }

    pub(super) fn check_string(
        &mut self,
        node: &Node,
        value: &str,
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        if let Some(pattern) = keywords.get("pattern").and_then(Value::as_str) {
            let regex = self
                .patterns
                .entry(pattern)
                .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
            if regex.as_ref().is_some_and(|r| !r.is_match(value)) {
                let help = self.place_description(place).map_or_else(
                    || "change the value to match the pattern".to_owned(),
                    |d| format!("{}: {}", self.subject(), one_line(d)),
                );
                let diag = self
                    .error(Code::PatternMismatch, self.invalid_value(node))
                    .at(node.span, format!("does not match `{pattern}`"))
                    .help(help);
                self.push(diag);
            }
        }
        if let Some(max) = keywords.get("maxLength").and_then(Value::as_u64) {
            let length = value.chars().count();
            if length as u64 > max {
                let diag = self
                    .error(
                        Code::TooLong,
                        format!(
                            "{} is {length} characters long, more than the {max} allowed",
                            self.subject()
                        ),
                    )
                    .at(node.span, "too long")
                    .help(format!("shorten it by {} characters", length as u64 - max));
                self.push(diag);
            }
        }
        match keywords.get("format").and_then(Value::as_str) {
            Some("uri") => {
                let problem = match url::Url::parse(value) {
                    Err(error) => Some(error.to_string()),
                    Ok(url) if !url.has_host() => Some("no host".to_owned()),
                    Ok(_) => None,
                };
                if let Some(problem) = problem {
                    let diag = self
                        .error(Code::InvalidUrl, self.invalid_value(node))
                        .at(node.span, problem)
                        .help("write an absolute URL, like `https://mcp.example.com/github`");
                    self.push(diag);
                }
            }
            Some("uuid") if !is_uuid(value) => {
                let diag = self
                    .error(Code::InvalidUuid, self.invalid_value(node))
                    .at(node.span, "not a UUID")
                    .help("a UUID looks like `3c90c3cc-0d44-4b50-8888-8dd25736052a`");
                self.push(diag);
            }
            _ => {}
        }
    }

    pub(super) fn check_number(
        &mut self,
        node: &Node,
        keywords: &'s Map<String, Value>,
        place: &Place<'s>,
    ) {
        let value = match node.kind {
            Kind::Integer(i) => i as f64,
            Kind::Float(f) => f,
            _ => return,
        };
        let minimum = keywords.get("minimum");
        let maximum = keywords.get("maximum");
        let below = minimum.and_then(Value::as_f64).is_some_and(|m| value < m);
        let above = maximum.and_then(Value::as_f64).is_some_and(|m| value > m);
        if !below && !above {
            return;
        }
        let subject = self.subject();
        let (message, label, advice) = match (minimum, maximum) {
            (Some(min), Some(max)) if min == max => (
                format!("{subject} must be {min}"),
                format!("expected {min}"),
                format!("set it to {min}"),
            ),
            (Some(min), _) if below => (
                format!("{subject} must be at least {min}"),
                "too small".to_owned(),
                format!("use {min} or more"),
            ),
            (_, max) => {
                let max = max.unwrap_or(&Value::Null);
                (
                    format!("{subject} must be at most {max}"),
                    "too large".to_owned(),
                    format!("use {max} or less"),
                )
            }
        };
        // The bound is what to do; the description says what the number means.
        let help = self.place_description(place).map_or_else(
            || advice.clone(),
            |d| format!("{advice}; {subject}: {}", one_line(d)),
        );
        let diag = self
            .error(Code::OutOfRange, message)
            .at(node.span, label)
            .help(help);
        self.push(diag);
    }
}

fn is_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}
